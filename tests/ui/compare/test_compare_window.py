"""The comparison and trainee mode reached from the main window's menus and shortcuts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gazex_viewer.core.gaze.agreement import agreement
from gazex_viewer.core.gaze.importers import import_gazesearch
from gazex_viewer.core.reading.document import Reading
from tests.conftest import shared_file
from tests.factories import demo_reading

NIH = "images/nih/00000001_000.png"


def _expert_file(tmp_path: Path) -> Path:
    raw = json.loads(shared_file("gaze/gazesearch_scanpaths.json").read_text())[:3]
    src = tmp_path / "sp.json"
    src.write_text(json.dumps(raw))
    path = tmp_path / "expert.reading.json"
    import_gazesearch(src)[2].save(path)
    return path


def test_gazesearch_reading_opened_on_a_larger_film_is_scaled_and_says_so(window: Any, messages: Any, tmp_path: Path) -> None:
    assert window.open_image(shared_file(NIH))
    path = _expert_file(tmp_path)
    raw = Reading.from_json(path.read_text())
    assert window.open_reading(path)
    assert messages.questions == []  # a known frame is scaled, not questioned
    shown = window.reading
    assert shown.image.width == 512 and shown.image.pixel_sha256 == "0" * 64  # the hash stays unknown
    assert shown.trajectory[0].x == pytest.approx(raw.trajectory[0].x * 512 / 224)
    text = " ".join(shown.warnings)
    assert "scaled from GazeSearch" in text and "hash unknown" in text


def test_compare_action_and_shortcut(window: Any, qtbot: Any, messages: Any, tmp_path: Path) -> None:
    assert window.open_image(shared_file(NIH))
    qtbot.keyClick(window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert messages.errors and "Nothing to compare" in messages.errors[-1][0]
    a = demo_reading(window.radiograph)
    assert window.show_reading(a)
    path = _expert_file(tmp_path)
    session = window.compare_with_reading(path)
    assert session is window.compare_session and session.dock.isVisible()
    b = Reading.from_json(path.read_text())
    assert session.panel.shown_whole_value("cc") == agreement(a, b)["cc"]
    session.panel.close_button.click()
    assert window.compare_session is None


def test_trainee_mode_toggle_and_shortcuts_sheet(window: Any, qtbot: Any) -> None:
    assert window.open_image(shared_file(NIH))
    a = demo_reading(window.radiograph)
    assert window.show_reading(a)
    qtbot.keyClick(window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.trainee_action.isChecked() and window.trainee_mode.active
    assert window.canvas.reading is None and not window.report_dock.isVisible()
    window.trainee_mode.panel.leave_button.click()
    assert not window.trainee_action.isChecked()
    assert window.canvas.reading is a and window.report_dock.isVisible()
    rows = {(g, t): k for g, t, k in window.shortcut_rows}
    assert rows[("Teaching", "Compare with reading")] == "Ctrl+Shift+C"
    assert rows[("Teaching", "Trainee mode")] == "Ctrl+Shift+T"
    dlg = window.show_shortcuts()
    qtbot.addWidget(dlg)
    cells = {dlg.table.item(r, 1).text() for r in range(dlg.table.rowCount())}
    assert {"Compare with reading", "Trainee mode", "Agreement plot"} <= cells
