"""The player's clock and the gaze heatmap, without rendering."""

from __future__ import annotations

import numpy as np
import pytest

from gazex_viewer.core.reading.document import TrajectoryPoint
from gazex_viewer.core.reading.playback import (
    MAX_SPEED,
    MIN_SPEED,
    TrajectoryPlayback,
    gaze_density,
)


def _points() -> list[TrajectoryPoint]:
    # sentence A: two clues and an observation; sentence B: one observation (1 s each)
    spec = [("f-a", "clue"), ("f-a", "clue"), ("f-a", "observation"), ("f-b", "observation")]
    return [
        TrajectoryPoint(x=10.0 * i, y=5.0 * i, t_start=float(i), t_end=float(i + 1), finding_id=f, kind=k)  # type: ignore[arg-type]
        for i, (f, k) in enumerate(spec)
    ]


def test_index_and_sentence_follow_time() -> None:
    pb = TrajectoryPlayback(_points())
    assert pb.duration == 4.0
    assert (pb.current_index, pb.current_finding_id) == (0, "f-a")
    pb.seek(2.5)
    assert (pb.current_index, pb.current_finding_id) == (2, "f-a")
    pb.seek(3.0)
    assert (pb.current_index, pb.current_finding_id) == (3, "f-b")
    pb.seek(99)
    assert pb.time == 4.0 and pb.current_index == 3
    pb.seek(-1)
    assert pb.time == 0.0


def test_spans_and_boundaries() -> None:
    pb = TrajectoryPlayback(_points())
    assert [(s.finding_id, s.first, s.last, s.t_start, s.t_end) for s in pb.spans] == [
        ("f-a", 0, 2, 0.0, 3.0),
        ("f-b", 3, 3, 3.0, 4.0),
    ]
    assert pb.boundaries == [3.0]


def test_advance_speed_and_end() -> None:
    pb = TrajectoryPlayback(_points(), speed=2.0)
    pb.advance(1.0)
    assert pb.time == 0.0  # paused: the clock does not move
    pb.play()
    pb.advance(0.75)
    assert pb.time == pytest.approx(1.5) and pb.current_index == 1
    pb.advance(10)
    assert pb.time == 4.0 and not pb.playing
    pb.play()  # at the end: play starts over
    assert pb.time == 0.0 and pb.playing


def test_loop_wraps() -> None:
    pb = TrajectoryPlayback(_points(), loop=True)
    pb.play()
    pb.advance(5.5)
    assert pb.playing and pb.time == pytest.approx(1.5)


def test_speed_is_clamped() -> None:
    pb = TrajectoryPlayback(_points())
    pb.speed = 10
    assert pb.speed == MAX_SPEED == 4.0
    pb.speed = 0.1
    assert pb.speed == MIN_SPEED == 0.5


def test_step_and_trail() -> None:
    pb = TrajectoryPlayback(_points(), trail_length=2)
    assert pb.step_next() == 1 and pb.time == 1.0
    assert pb.step_next() == 2
    assert list(pb.trail_indices()) == [1, 2]
    assert pb.step_next() == 3 and pb.step_next() == 3
    assert pb.step_previous() == 2
    pb.trail_length = 10
    assert list(pb.trail_indices()) == [0, 1, 2]


def test_empty_trajectory() -> None:
    pb = TrajectoryPlayback([])
    assert pb.current_index is None and pb.current_finding_id is None
    pb.play()
    assert not pb.playing
    assert list(pb.trail_indices()) == [] and pb.spans == []


def test_gaze_density_peaks_at_the_long_fixation() -> None:
    pts = [
        TrajectoryPoint(x=100, y=100, t_start=0, t_end=0.2),
        TrajectoryPoint(x=404, y=300, t_start=0.2, t_end=2.2),
    ]
    d = gaze_density(pts, 512, 384, downsample=8)
    assert d.shape == (48, 64) and d.dtype == np.float32
    r, c = np.unravel_index(int(np.argmax(d)), d.shape)
    assert (r, c) == (300 // 8, 404 // 8)
    assert d.max() == pytest.approx(1.0)
    # the short fixation is a much weaker bump
    assert 0.05 < d[100 // 8, 100 // 8] < 0.2
    assert gaze_density([], 512, 384).sum() == 0
