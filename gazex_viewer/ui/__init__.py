"""The Qt user interface: the only package that imports PySide6 or pyqtgraph.

Floors, lowest first (a module imports only from its own floor or lower ones):

- ``style`` (theme, title, finding colours), ``selection`` (the shared selection), ``actions`` (the action
  registry, F1 list), ``services`` (the ``Shell`` / ``Dialogs`` Protocols a mode is handed), ``files`` (reading
  files opened from the window), ``settings``;
- ``workspace`` (the one observed model: radiograph, reading, review session, playback, mode), ``film/``,
  ``report/``;
- ``review/``, ``compare/``, ``model/``, ``pacs/``; then ``trainee/``;
- ``shell/`` (the application and the main window: layout, menus and docks).
"""
