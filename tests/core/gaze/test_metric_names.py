"""Every agreement metric key has a human name and a unit (issue 17: no "cc" or "mm_position" in a plot)."""

from __future__ import annotations

from gazex_viewer.core.gaze.agreement import COUNT_KEYS, METRIC_KEYS
from gazex_viewer.core.gaze.metric_names import (
    METRIC_INFO,
    metric_label,
    metric_name,
    metric_unit,
)


def test_every_metric_key_has_a_human_name_and_a_unit() -> None:
    assert set(METRIC_INFO) == set(METRIC_KEYS) | set(COUNT_KEYS)
    for key in (*METRIC_KEYS, *COUNT_KEYS):
        name, unit = METRIC_INFO[key]
        assert name and unit and name != key and "_" not in name, key


def test_labels_read_as_words_with_units() -> None:
    assert metric_name("mm_position") == "MultiMatch position"
    assert metric_name("cc") == "Fixation-map correlation (CC)"
    assert metric_label("cc") == "Fixation-map correlation (CC) [−1–1, higher = closer]"
    assert metric_unit("edit_distance").startswith("edits")
    assert metric_name("unknown_key") == "unknown_key" and metric_label("unknown_key") == "unknown_key"
