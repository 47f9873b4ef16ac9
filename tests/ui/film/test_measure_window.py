"""Measuring in the main window, by keyboard and mouse: the Measure menu, the status line, the Measurements dock,
saving through the review (undo, redo, delete, the review database), and the issue 17 screenshots of RG1 with a
measured cardiothoracic ratio at 1280 x 800, 1920 x 1080 and 3840 x 2160."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import pydicom
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDockWidget

from gazex_viewer.core.review.store import open_store
from tests.conftest import shared_file
from tests.factories import demo_reading
from tests.ui.helpers import clipped_buttons, overlapping_widgets

RG1 = "dicom/RG1_UNCR.dcm"
SIZES = ((1280, 800), (1920, 1080), (3840, 2160))
#: RG1's heart at its widest and the thorax's inner margins (film pixels; 1841 x 1955)
HEART = ((600.0, 1250.0), (1360.0, 1250.0))
THORAX = ((190.0, 1180.0), (1650.0, 1180.0))


def _drag(qtbot: Any, win: Any, a: tuple[float, float], b: tuple[float, float], steps: int = 8) -> None:
    canvas = win.canvas
    vp = canvas.viewport()

    def pt(x: float, y: float) -> QPoint:
        p = canvas.map_image_to_widget(x, y)
        return QPoint(round(p.x()), round(p.y()))

    pa, pb = pt(*a), pt(*b)
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=pa)
    for k in range(1, steps + 1):
        qtbot.mouseMove(vp, QPoint(pa.x() + (pb.x() - pa.x()) * k // steps, pa.y() + (pb.y() - pa.y()) * k // steps))
        qtbot.wait(15)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=pb)
    qtbot.wait(10)


def _key(qtbot: Any, win: Any, key: Qt.Key, mod: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    win.canvas.setFocus()
    qtbot.keyClick(win.canvas, key, mod)
    qtbot.wait(10)


def _rg1_under_review(win: Any, qtbot: Any) -> Any:
    assert win.open_image(shared_file(RG1))
    assert win.show_reading(demo_reading(win.radiograph))
    panel = win.review_panel
    if panel.name_box.isVisibleTo(win):
        panel.name_edit.setText("Dr Ada Lovelace")
        panel.name_button.click()
    assert win.workspace.session is not None
    qtbot.wait(20)
    return win.workspace.session


def _ctr_by_keyboard_and_mouse(win: Any, qtbot: Any) -> None:
    _key(qtbot, win, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    assert win.measure.mode == "heart"
    assert win.statusBar().currentMessage().startswith("Cardiothoracic ratio: drag across the heart")
    _drag(qtbot, win, *HEART)
    _drag(qtbot, win, *THORAX)
    assert win.measure.mode == ""


def test_measure_menu_every_action_has_a_key(rwin: Any) -> None:
    acts = rwin.action_registry
    keys = {name: acts[name].shortcut().toString() for name in (
        "Ruler", "Cardiothoracic ratio", "Delete selected measurement", "Go to the measurements list")}
    assert keys == {"Ruler": "M", "Cardiothoracic ratio": "Shift+M", "Delete selected measurement": "Shift+Del",
                    "Go to the measurements list": "Alt+Shift+M"}
    assert [a.text() for a in rwin.menuBar().actions()][-2:] == ["M&easure", "&Help"]
    rows = [r for r in rwin.shortcut_rows if r[0] == "Measure"]
    assert len(rows) == 4  # listed in F1


def test_ctr_on_rg1_saved_with_the_review_undo_redo_delete(rwin: Any, qtbot: Any, db: Path) -> None:
    win = rwin
    session = _rg1_under_review(win, qtbot)
    dock = win.findChild(QDockWidget, "measurementsDock")
    assert dock is not None and not dock.isVisible()  # nothing measured: the window looks as it always did
    # RG1's header says 0\0: the ruler is refused with that reason
    _key(qtbot, win, Qt.Key.Key_M)
    assert win.measure.mode == ""
    assert win.statusBar().currentMessage() == (
        "Ruler refused: this film's PixelSpacing [0.0, 0.0] is not valid: lengths cannot be measured")
    _ctr_by_keyboard_and_mouse(win, qtbot)
    (m,) = session.measurements
    assert m.ratio == pytest.approx(760 / 1460, abs=0.01)
    assert win.statusBar().currentMessage() == f"{m.text}: saved with the review"
    assert dock.isVisible() and win.measure.panel.rows() == [f"M1  Cardiothoracic ratio: {m.text}"]
    assert win.measure.label_texts() == ["heart", f"M1 CTR {m.ratio:.2f}"]
    with closing(open_store(db)) as store:
        assert [e.action for e in store.events(session.reading_id)][-1] == "measure"
    # O hides every overlay, the measurements too, and shows them again
    _key(qtbot, win, Qt.Key.Key_O)
    assert win.measure.shown_labels() == [] and win.measure.label_texts() == ["heart", f"M1 CTR {m.ratio:.2f}"]
    _key(qtbot, win, Qt.Key.Key_O)
    assert win.measure.shown_labels() == ["heart", f"M1 CTR {m.ratio:.2f}"]
    # Review > Undo (Ctrl+Z) takes it back, redo brings it again: the film and the list follow
    _key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert session.measurements == [] and win.measure.label_texts() == [] and not dock.isVisible()
    _key(qtbot, win, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert session.measurements == [m] and dock.isVisible()
    # Shift+Del deletes the selected one
    _key(qtbot, win, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert session.measurements == [] and win.measure.label_texts() == []
    with closing(open_store(db)) as store:
        assert [e.action for e in store.events(session.reading_id)][-3:] == ["undo:measure", "redo:measure",
                                                                              "unmeasure"]
    # Esc cancels an armed tool (and does not clear the selection first)
    _key(qtbot, win, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    _key(qtbot, win, Qt.Key.Key_Escape)
    assert win.measure.mode == "" and win.statusBar().currentMessage() == "Measuring cancelled"


def test_ctr_by_keyboard_alone(rwin: Any, qtbot: Any) -> None:
    """Arrows move the cross (Shift: ten steps of 1/200 of the width: 90 px on RG1), Enter fixes each end; the
    arrows do not step the player or the report meanwhile."""
    win = rwin
    session = _rg1_under_review(win, qtbot)
    shift = Qt.KeyboardModifier.ShiftModifier
    _key(qtbot, win, Qt.Key.Key_M, shift)
    cross = win.measure.cross
    assert cross.isVisible() and (cross.pos().x(), cross.pos().y()) == (1841 / 2, 1955 / 2)
    time_before = win.controller.playback.time
    for key, n in ((Qt.Key.Key_Left, 3), (Qt.Key.Key_Down, 3)):
        for _ in range(n):
            _key(qtbot, win, key, shift)
    _key(qtbot, win, Qt.Key.Key_Return)
    assert win.statusBar().currentMessage() == "Now move the cross to the other end and press Enter"
    for _ in range(8):
        _key(qtbot, win, Qt.Key.Key_Right, shift)
    _key(qtbot, win, Qt.Key.Key_Return)
    assert win.measure.mode == "thorax"
    _key(qtbot, win, Qt.Key.Key_Up, shift)
    for _ in range(3):
        _key(qtbot, win, Qt.Key.Key_Right, shift)
    _key(qtbot, win, Qt.Key.Key_Enter)
    for _ in range(16):
        _key(qtbot, win, Qt.Key.Key_Left, shift)
    _key(qtbot, win, Qt.Key.Key_Enter)
    assert win.measure.mode == "" and not cross.isVisible()
    (m,) = session.measurements
    assert m.points == ((650.5, 1247.5), (1370.5, 1247.5), (200.5, 1157.5), (1640.5, 1157.5))
    assert m.ratio == pytest.approx(0.5)
    assert win.controller.playback.time == time_before  # Left/Right went to the tool, not the player


def test_ruler_without_review_is_shown_not_saved(window: Any, qtbot: Any, tmp_path: Path) -> None:
    ds = pydicom.dcmread(shared_file("dicom/nih_dx_secondary_capture.dcm"))
    ds.ImagerPixelSpacing = [0.143, 0.143]
    path = tmp_path / "dx_spacing.dcm"
    ds.save_as(path)
    assert window.open_image(path)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    _key(qtbot, window, Qt.Key.Key_M)
    assert window.measure.mode == "ruler"
    _drag(qtbot, window, (300.0, 200.0), (300.0, 700.0))
    (m,) = window.measure.measurements()
    assert m.text.endswith("mm (at detector)")
    assert window.statusBar().currentMessage() == f"Length {m.text}: shown but NOT saved (no review is open)"
    panel = window.measure.panel
    assert panel.note.isVisible() and "Not saved" in panel.note.text()
    # the list by keyboard: Alt+Shift+M goes there, Del deletes
    _key(qtbot, window, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier)
    assert panel.list.hasFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Delete)
    assert window.measure.measurements() == []


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_screenshot_rg1_with_a_measured_ctr(rwin: Any, qtbot: Any, artifacts_dir: Path, w: int, h: int) -> None:
    win = rwin
    session = _rg1_under_review(win, qtbot)
    win.resize(w, h)
    qtbot.wait(50)
    assert (win.width(), win.height()) == (w, h)
    win.canvas.fit()
    qtbot.wait(20)
    _ctr_by_keyboard_and_mouse(win, qtbot)
    assert len(session.measurements) == 1
    dock = win.findChild(QDockWidget, "measurementsDock")
    assert dock.isVisible()
    for d in (dock, win.report_dock, win.review.dock):
        if d.isVisible():
            assert clipped_buttons(d) == [], d.objectName()
            assert overlapping_widgets(d) == [], d.objectName()
    # the dock does not squeeze the side panel: its list shows its row whole
    row = win.measure.panel.list.visualItemRect(win.measure.panel.list.item(0))
    assert win.measure.panel.list.viewport().rect().contains(row)
    shot = artifacts_dir / f"issue17-rg1-ctr-{w}x{h}.png"
    assert win.grab().save(str(shot))
    assert shot.stat().st_size > 30_000
