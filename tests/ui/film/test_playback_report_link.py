"""Playback tied to the report: a sentence or region click seeks the player, the inspected sentence is emphasised
on the film while playing, a click on the scrubber jumps there."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

from gazex_viewer.core.resources import resource_path
from tests.conftest import SAMPLE_STUDY


@pytest.fixture
def win(make_window: Any) -> Any:
    """A window with the sample film and its reading open."""
    win = make_window()
    assert win.open_paths([SAMPLE_STUDY / "00000001_000.png", resource_path("examples", "sample_reading.json")])
    return win


def test_selecting_a_sentence_seeks_the_player_to_it(win: Any, qtbot: Any) -> None:
    pb = win.controller.playback
    last = pb.spans[-1]
    win.selection.select(last.finding_id)
    assert pb.time == last.t_start and pb.current_finding_id == last.finding_id
    # a click on a region of the first sentence goes back to it
    first = pb.spans[0]
    win.selection.select(first.finding_id)
    assert pb.time == first.t_start


def test_the_inspected_sentence_is_emphasised_while_playing(win: Any, qtbot: Any) -> None:
    pb = win.controller.playback
    second = pb.spans[1]
    other = pb.spans[0].finding_id
    win.selection.clear()
    win.controller.seek(second.t_start)
    assert win.canvas.region_pen_width(second.finding_id) == win.canvas.region_pen_width(other)  # paused: all alike
    win.controller.play()
    win.controller.seek(second.t_start + 0.01)
    win._on_time_changed(pb.time)
    assert win.canvas.region_pen_width(second.finding_id) > win.canvas.region_pen_width(other)
    win.controller.pause()
    win._on_time_changed(pb.time)
    assert win.canvas.region_pen_width(second.finding_id) == win.canvas.region_pen_width(other)


def test_a_click_on_the_scrubber_jumps_there(win: Any, qtbot: Any) -> None:
    scrub = win.player_bar.scrubber
    pb = win.controller.playback
    assert pb.time == 0.0
    x = int(scrub.width() * 0.75)
    qtbot.mouseClick(scrub, Qt.MouseButton.LeftButton, pos=QPoint(x, scrub.height() // 2))
    want = scrub.value_at(x) / 1000.0
    assert pb.time == want and want > 0.6 * pb.duration  # a jump, not a page step
