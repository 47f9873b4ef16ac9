"""The application and its main window: layout, menus and docks."""
