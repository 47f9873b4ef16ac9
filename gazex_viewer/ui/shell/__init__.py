"""The application and its main window: layout, menus and docks (``main_window``); what File opens (``documents``)."""
