"""The API the modes are handed: the action registry and the Shell services (MainWindow implements them)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("pytestqt")


class _Gate:
    """Records what the registry asks a key gate to watch."""

    def __init__(self) -> None:
        self.watched: list[tuple[str, bool]] = []

    def watch(self, action: Any, *, review: bool = False) -> None:
        self.watched.append((action.text(), review))


def test_registry_builds_looks_up_lists_and_disables(qtbot: Any) -> None:
    from PySide6.QtWidgets import QMainWindow

    from gazex_viewer.ui.actions import ActionRegistry, ShortcutsDialog

    host = QMainWindow()
    qtbot.addWidget(host)
    gate = _Gate()
    reg = ActionRegistry(host, gate)
    calls: list[str] = []
    f = reg.menu("&File")
    reg.menu("&Help")
    opened = reg.add(f, "File", "&Open file…", "Ctrl+O", lambda: calls.append("open"))
    toggles: list[bool] = []
    inv = reg.add(f, "View", "&Invert grey scale", "I", toggles.append, checkable=True)
    review_menu = reg.menu("Re&view")  # created before Help
    accept = reg.add(review_menu, "Review", "&Accept finding", "A", lambda: calls.append("accept"), review=True)
    nokey = reg.add(review_menu, "Review", "Reviewer &name…", None, lambda: None)

    assert [a.text() for a in host.menuBar().actions()] == ["&File", "Re&view", "&Help"]
    assert reg.menu("Re&view") is review_menu  # found, not made twice
    assert reg["Open file"] is opened and reg["Accept finding"] is accept and "Reviewer name" in reg
    assert reg.get("nothing") is None
    with pytest.raises(KeyError):
        reg["nothing"]
    opened.trigger()
    inv.trigger()
    accept.trigger()
    assert calls == ["open", "accept"] and toggles == [True]
    assert opened in host.actions() and accept in review_menu.actions()
    # rows for F1: only actions with keys, text without "&" and "…"
    assert ("File", "Open file", "Ctrl+O") in reg.rows and all(r[1] != "Reviewer name" for r in reg.rows)
    reg.note("View", "Header window preset 1…9", "Ctrl+1 … Ctrl+9")
    reg.note("View", "Header window preset 1…9", "Ctrl+1 … Ctrl+9")
    assert reg.rows.count(("View", "Header window preset 1…9", "Ctrl+1 … Ctrl+9")) == 1
    # the gate watches every action, review ones strictly
    assert ("&Accept finding", True) in gate.watched and ("&Open file…", False) in gate.watched
    assert ("&Open file…", True) not in gate.watched
    # a mode turns a whole group off and back exactly
    changed = reg.set_group_enabled("Review", False)
    assert changed == [accept, nokey] and not accept.isEnabled()
    for a in changed:
        a.setEnabled(True)
    assert reg.group("Review") == [accept, nokey] and accept.isEnabled()
    dlg = ShortcutsDialog(reg.rows)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == len(reg.rows) == 4


def test_main_window_is_a_shell_with_a_registry(window: Any, messages: Any) -> None:
    from PySide6.QtWidgets import QDockWidget, QLabel, QSplitter

    from gazex_viewer.ui.services import Dialogs, Shell

    assert isinstance(window, Shell) and isinstance(window, Dialogs)
    reg = window.action_registry
    # the window's own actions are in the registry and listed in F1 from it
    assert reg["Run model on this film"].shortcut().toString() == "F5"
    assert reg["Accept finding"] in window.actions()
    assert window.shortcut_rows is reg.rows
    assert ("Review", "Accept finding", "A") in reg.rows
    # status and title
    window.show_status("hello", 0)
    assert window.statusBar().currentMessage() == "hello"
    window.clear_status()
    assert window.statusBar().currentMessage() == ""
    window.set_title("x — GazeX Viewer")
    assert window.windowTitle() == "x — GazeX Viewer"
    assert window.style_sheet() == window.styleSheet() and window.dialog_parent() is window
    # a tab beside the report, and out again
    dock = QDockWidget("Extra", window)
    dock.setObjectName("extraDock")
    window.add_tab(dock)
    dock.show()
    assert dock in window.side_docks() and dock in window.tabifiedDockWidgets(window.report_dock)
    window.remove_tab(dock)
    assert dock not in window.tabifiedDockWidgets(window.report_dock)
    # the film area is taken into a splitter and put back where it was
    split = QSplitter()
    area = window.take_film_area(split)
    assert area is window.stack
    with pytest.raises(RuntimeError):
        window.take_film_area(QLabel())
    split.addWidget(area)
    assert window.stack.parentWidget() is split
    window.restore_film_area()
    assert window.stack.parentWidget() is window.centralWidget() and split.isHidden()
    window.restore_film_area()  # not taken: nothing happens
    assert messages.errors == []
