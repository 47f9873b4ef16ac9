"""Key-frame trajectories, expert fixations with real times, and time lookups."""

from __future__ import annotations

import json

import pytest

from gazex_viewer.core.reading.document import Box, Finding, ImageRef, Producer, Reading, Sentence
from gazex_viewer.core.reading.trajectory import (
    attach_to_sentences,
    fixation_trajectory,
    fixations_from_durations,
    keyframe_trajectory,
    point_at,
    sentence_boundaries,
)
from gazex_viewer.core.reading.validation import validate_reading
from tests.conftest import shared_file


def _findings() -> list[Finding]:
    return [
        Finding("f-1", "s-1", "a", clues=[Box.from_corners(0, 0, 10, 10), Box.from_corners(10, 10, 30, 30)],
                observation=Box(0, 0, 40, 40, 21, 22)),
        Finding("f-2", "s-2", "b"),  # no regions: adds no frame
        Finding("f-3", "s-3", "c", observation=Box.from_corners(50, 50, 70, 90)),
    ]


def test_keyframe_order_and_times() -> None:
    traj = keyframe_trajectory(_findings())
    assert [(p.x, p.y, p.t_start, p.t_end, p.finding_id, p.kind) for p in traj] == [
        (5, 5, 0, 1, "f-1", "clue"),
        (20, 20, 1, 2, "f-1", "clue"),
        (21, 22, 2, 3, "f-1", "observation"),
        (60, 70, 3, 4, "f-3", "observation"),
    ]
    half = keyframe_trajectory(_findings(), seconds_per_frame=0.5)
    assert half[-1].t_end == 2.0
    with pytest.raises(ValueError):
        keyframe_trajectory(_findings(), seconds_per_frame=0)


def test_point_at_and_boundaries() -> None:
    traj = keyframe_trajectory(_findings())
    assert [point_at(traj, t) for t in (-0.1, 0.0, 0.99, 1.0, 2.5, 3.99, 4.0, 4.01)] == [None, 0, 0, 1, 2, 3, 3, None]
    assert point_at([], 1.0) is None
    assert sentence_boundaries(traj) == [("f-1", 0.0, 3.0), ("f-3", 3.0, 4.0)]


def test_fixations_keep_real_times_and_gaps() -> None:
    fx = [(100.0, 120.0, 0.25, 0.61), (300.0, 80.0, 0.95, 1.42), (50.0, 60.0, 0.10, 0.20)]
    traj = fixation_trajectory(fx)
    assert [(p.t_start, p.t_end) for p in traj] == [(0.10, 0.20), (0.25, 0.61), (0.95, 1.42)]
    assert all(p.kind == "fixation" for p in traj)
    assert point_at(traj, 0.8) == 1  # during a saccade the previous fixation stays current
    attach_to_sentences(traj, [("f-1", 0.0, 0.5), ("f-2", 0.5, 1.2)])
    assert [p.finding_id for p in traj] == ["f-1", "f-1", "f-2"]
    assert sentence_boundaries(traj) == [("f-1", 0.10, 0.61), ("f-2", 0.95, 1.42)]
    with pytest.raises(ValueError):
        fixation_trajectory([(1, 1, 2.0, 1.0)])


def test_reading_from_real_gazesearch_fixations_keeps_times() -> None:
    path = shared_file("gaze/gazesearch_scanpaths.json")
    scan = json.loads(path.read_text())[0]
    w = h = 224  # GazeSearch frame; a real import rescales to the film
    fx = fixations_from_durations(scan["X"], scan["Y"], scan["T"])
    traj = fixation_trajectory(fx, finding_ids=["f-1"] * len(fx))
    reading = Reading(
        image=ImageRef(file_name=scan["name"], width=w, height=h, pixel_sha256="0" * 64),
        producer=Producer(kind="expert", name="GazeSearch", dataset="GazeSearch", reader_id="1"),
        sentences=[Sentence("s-1", scan["task"])],
        findings=[Finding("f-1", "s-1", scan["task"])],
        trajectory=traj,
    )
    back = Reading.from_json(reading.to_json())
    assert [p.t_end - p.t_start for p in back.trajectory] == pytest.approx(scan["T"], abs=1e-12)
    assert back.trajectory[0].t_start == 0.0
    assert back.trajectory[-1].t_end == pytest.approx(sum(scan["T"]))
    assert [(p.x, p.y) for p in back.trajectory] == list(zip(map(float, scan["X"]), map(float, scan["Y"])))
    assert validate_reading(back) == []
