"""Issue 17 ergonomics: the side panel scales with the window, a visible focus ring, and read-first's
"save my impression and show the draft" reachable from the keyboard (Ctrl+Enter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from gazex_viewer.core.resources import resource_path
from gazex_viewer.ui.style import DOCK_MAX_WIDTH, DOCK_WIDTH, dock_width_for
from tests.conftest import SAMPLE_STUDY
from tests.ui.conftest import Answers
from tests.ui.helpers import open_review


def test_dock_width_rule() -> None:
    assert dock_width_for(1280) == DOCK_WIDTH
    assert dock_width_for(1920) == round(1920 * 0.27)
    assert dock_width_for(3840) == round(3840 * 0.27)
    assert dock_width_for(10000) == DOCK_MAX_WIDTH


def test_side_panel_scales_with_the_window(window: Any, qtbot: Any) -> None:
    widths = {}
    for w, h in ((1280, 800), (1920, 1080), (3840, 2160), (1280, 800)):
        window.resize(w, h)
        qtbot.wait(30)
        assert window.width() == w
        widths[w] = window.report_dock.width()
    assert widths[3840] > 900 and widths[3840] > 2 * widths[1280] - 100
    assert abs(widths[1920] - dock_width_for(1920)) <= 8
    assert abs(widths[1280] - DOCK_WIDTH) <= 8  # and back again when the window shrinks
    assert window.canvas.width() > window.report_dock.width()


def test_focus_ring_is_visible_on_the_canvas_and_the_report(window: Any, qtbot: Any) -> None:
    """The focused widget is framed in amber: grab it with and without the focus and look at its edge."""
    assert window.open_paths([SAMPLE_STUDY / "00000001_000.png", resource_path("examples", "sample_reading.json")])
    window.resize(1280, 800)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    a, b = window.canvas, window.report_panel.scroll
    for w, elsewhere in ((a, b), (b, a)):
        w.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(w.hasFocus, timeout=2000)
        on = w.grab().toImage().pixelColor(0, w.height() // 2)
        elsewhere.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(lambda w=w: not w.hasFocus(), timeout=2000)
        off = w.grab().toImage().pixelColor(0, w.height() // 2)
        assert (on.red(), on.green(), on.blue()) == (0xFF, 0xC8, 0x57), type(w).__name__
        assert (off.red(), off.green(), off.blue()) != (0xFF, 0xC8, 0x57), type(w).__name__

def test_ctrl_enter_saves_the_own_impression_and_shows_the_draft(rwin: Any, qtbot: Any, answers: Answers,
                                                                  tmp_path: Path) -> None:
    rwin.read_first_action.setChecked(True)
    open_review(rwin)
    panel = rwin.review_panel
    s = panel.session
    assert s is not None and s.ai_hidden
    panel.own_impression_edit.setFocus()
    qtbot.keyClicks(panel.own_impression_edit, "Big heart")
    qtbot.keyClick(panel.own_impression_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert not s.ai_hidden and s.review.own_impression == "Big heart"
    assert panel.own_impression_edit.toPlainText() == "Big heart"  # no new line typed
    assert rwin.report_panel.isVisibleTo(rwin)


def test_ctrl_enter_with_an_empty_impression_says_why(rwin: Any, qtbot: Any, answers: Answers) -> None:
    rwin.read_first_action.setChecked(True)
    open_review(rwin)
    panel = rwin.review_panel
    panel.own_impression_edit.setFocus()
    qtbot.keyClick(panel.own_impression_edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.ControlModifier)
    assert panel.session.ai_hidden
    assert answers.errors and answers.errors[-1][0] == "Write your impression first"
