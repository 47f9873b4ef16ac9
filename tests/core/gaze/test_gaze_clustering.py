"""Key frames from fixations: heat map, DBSCAN, time order, the sentence window."""

from __future__ import annotations

import numpy as np
import pytest

from gazex_viewer.core.gaze.clustering import FixationArray, KeyFrameParams, cluster_key_frames, fixation_heat_map


def _fix(points: list[tuple[float, float, float, float]], ppd: float = 40.0) -> FixationArray:
    a = np.array(points, dtype=float)
    return FixationArray(a[:, 0], a[:, 1], a[:, 2], a[:, 3], np.full(len(a), ppd), np.full(len(a), ppd))


# a group on the right of the film looked at first, then a group on the left
RIGHT = [(1500 + dx, 800 + dy, 0.3 * i, 0.3 * i + 0.25) for i, (dx, dy) in enumerate([(0, 0), (20, 10), (-15, 5), (5, -20)])]
LEFT = [(500 + dx, 1200 + dy, 2 + 0.3 * i, 2 + 0.3 * i + 0.25) for i, (dx, dy) in enumerate([(0, 0), (10, 15), (-20, 0), (0, -10)])]


def test_heat_map_is_the_sum_of_duration_weighted_gaussians() -> None:
    fix = _fix([(5.0, 5.0, 0.0, 2.0)], ppd=2.0)
    heat = fixation_heat_map(fix, np.array([2.0]), image_size=(10, 10), cell=1.0, sigma_degrees=1.0)
    assert heat.shape == (10, 10)
    # cell (row 4, col 4) has centre (4.5, 4.5): 2 * exp(-(0.25 + 0.25) / (2 * 4))
    assert heat[4, 4] == pytest.approx(2 * np.exp(-0.5 / 8))
    assert heat[4, 9] == pytest.approx(2 * np.exp(-(4.5**2 + 0.5**2) / 8))


def test_two_groups_become_two_clues_in_time_order() -> None:
    kf = cluster_key_frames(_fix(RIGHT + LEFT), image_size=(2000, 2000))
    assert len(kf.clues) == 2
    first, second = kf.clues
    assert first.t_mean < second.t_mean
    assert first.box.centroid_x == pytest.approx(1502, abs=15) and first.box.centroid_y == pytest.approx(799, abs=15)
    assert second.box.centroid_x == pytest.approx(497, abs=15) and second.box.centroid_y == pytest.approx(1201, abs=15)
    assert first.box.x_min < 1480 < 1520 < first.box.x_max
    assert first.fixation_indices == [0, 1, 2, 3] and second.fixation_indices == [4, 5, 6, 7]
    obs = kf.observation
    assert obs is not None and obs.box.x_min < 500 and obs.box.x_max > 1500
    assert [k.box for k in kf.key_frames] == [first.box, second.box, obs.box]


def test_window_selects_the_fixations_of_a_sentence() -> None:
    kf = cluster_key_frames(_fix(RIGHT + LEFT), image_size=(2000, 2000), t0=1.9, t1=4.0)
    assert kf.clues == []  # one cluster: only the observation, as in GazeX's answers
    assert kf.observation is not None
    assert kf.observation.box.centroid_x == pytest.approx(497, abs=15)
    assert cluster_key_frames(_fix(RIGHT), image_size=(2000, 2000), t0=10, t1=12).observation is None


def test_pixels_per_degree_sets_the_gaussian_width() -> None:
    # at 1000 px per degree the two groups blur into one region: no separate clues
    kf = cluster_key_frames(_fix(RIGHT + LEFT, ppd=1000.0), image_size=(2000, 2000))
    assert kf.clues == [] and kf.observation is not None


def test_trim_percentiles_option_drops_outliers() -> None:
    far = [(100.0, 100.0, 1.3, 1.6)]
    params = KeyFrameParams(trim_percentiles=(5, 95))
    kept = cluster_key_frames(_fix(RIGHT + far), image_size=(2000, 2000))
    trimmed = cluster_key_frames(_fix(RIGHT + far), image_size=(2000, 2000), params=params)
    assert kept.observation is not None and kept.observation.box.x_min < 150
    assert trimmed.observation is not None and trimmed.observation.box.x_min > 1000
