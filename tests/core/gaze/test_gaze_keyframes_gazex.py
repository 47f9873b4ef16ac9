"""The ``gazex`` key-frame method (GazeX's Bounding_Box_Centroid script on raw samples) against numbers worked
out by hand and against a deliberately plain loop re-implementation of the script written here."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from gazex_viewer.core.gaze.keyframes_gazex import (
    GazeSamples,
    GazexKeyFrameParams,
    dbscan_pixels,
    gazex_key_frames,
    splat_gaussians,
)

# A 2000 x 2400 film: the /4 grid is 500 columns x 600 rows. 40 px per degree: 10 grid px per degree, so the
# clustering Gaussian has sigma 15 (square half-side int(45) = 45) and the re-rendered one sigma 12.5 (half-side 37).
SIZE = (2000, 2400)
PPD = 40.0
# three spots (original pixels) looked at for one second each, 100 samples at 100 Hz, in this time order:
# C (bottom) first, then B (top right), then A (top left); DBSCAN discovers A, B, C (row-major), so the
# clue order proves the ordering by time
SPOTS = {"A": (800.0, 800.0), "B": (1600.0, 800.0), "C": (1200.0, 1600.0)}
ORDER = ["C", "B", "A"]


def recording(spots: dict[str, tuple[float, float]] = SPOTS, order: list[str] = ORDER, n: int = 100) -> GazeSamples:
    t, x, y = [], [], []
    for k, name in enumerate(order):
        for i in range(n):
            t.append(k + i / n)
            x.append(spots[name][0])
            y.append(spots[name][1])
    m = len(t)
    return GazeSamples(np.array(t), np.array(x), np.array(y), np.full(m, PPD), np.full(m, PPD))


def test_three_spots_give_the_boxes_worked_out_by_hand() -> None:
    """Worked by hand (grid pixels, then x4):

    * clustering map: the three 1.5 degree Gaussians (sigma 15) are 200 and 224 grid px apart, so their 91 x 91
      squares do not overlap; each peaks at 1 after normalising; the pixels above 0.1 are the discs
      d^2 < 2 * 15^2 * ln 10, three DBSCAN clusters (gaps of ~136 px against eps 0.3 standard deviations ~ 25 px);
    * clue map: every pixel of a cluster is nearest to its spot, so H = c * g with c the cluster's pixel count
      (~3,250) and g the 12.5 sigma Gaussian; log1p(c g)/log1p(c) > 0.1 means g > ((1 + c)^0.1 - 1)/c ~ 3.8e-4,
      i.e. d < 49 px, wider than the truncation half-side 37: the clue box is the full square, spot -/+ 37, and
      its centroid the spot itself;
    * observation: the squares cover 3 * 75^2 = 16,875 of 300,000 pixels (< 20 %), so the 80th percentile is the
      background value and the box spans all three squares: x 200-37 .. 400+37, y 200-37 .. 400+37; the centroid is
      the mean of the three equal spots, (300, 266.67);
    * clues in time order: C, B, A.
    """
    kf = gazex_key_frames(recording(), image_size=SIZE, t0=-2.0, t1=10.0)
    assert len(kf.clues) == 3
    for clue, name in zip(kf.clues, ORDER):
        sx, sy = SPOTS[name]
        gx, gy = sx / 4, sy / 4
        b = clue.box
        assert (b.x_min, b.y_min, b.x_max, b.y_max) == (4 * (gx - 37), 4 * (gy - 37), 4 * (gx + 37), 4 * (gy + 37))
        assert b.centroid_x == pytest.approx(sx, abs=1e-6) and b.centroid_y == pytest.approx(sy, abs=1e-6)
    assert [c.t_mean for c in kf.clues] == sorted(c.t_mean for c in kf.clues)
    obs = kf.observation
    assert obs is not None
    assert (obs.box.x_min, obs.box.y_min, obs.box.x_max, obs.box.y_max) == (4 * 163, 4 * 163, 4 * 437, 4 * 437)
    assert obs.box.centroid_x == pytest.approx(1200.0, abs=1e-3)
    assert obs.box.centroid_y == pytest.approx(4 * 800 / 3, abs=1e-3)


def test_log1p_threshold_cuts_a_weakly_supported_square_by_hand() -> None:
    """One extra sample Q, 61 grid px right of spot A, is the nearest sample of only a small cap of A's cluster.

    A's clue map is then ``nP * gP + nQ * gQ`` (nP, nQ: the cluster pixels nearest to A's spot and to Q, counted
    below with plain loops over the clustering map). Right of A's square (x > 237) only Q's Gaussian is left, so the
    box's right edge is ``261 + d`` with d the largest integer such that
    ``log1p(nQ exp(-d^2 / (2 * 12.5^2)) + 1e-6) / log1p(nP + 1e-6) > 0.1``: short of Q's truncation (261 + 37).
    """
    base = recording()
    q_t = 2.5  # during A's second
    s = GazeSamples(
        np.concatenate([base.t, [q_t]]),
        np.concatenate([base.x, [4 * 261.0]]),
        np.concatenate([base.y, [800.0]]),
        np.full(len(base) + 1, PPD),
        np.full(len(base) + 1, PPD),
    )
    kf = gazex_key_frames(s, image_size=SIZE, t0=-2.0, t1=10.0)
    rows = [(0.0, x / 4, y / 4, PPD / 4, PPD / 4) for x, y in zip(s.x, s.y)]
    heat = _draw(rows, 1.5, 500, 600)
    heat /= heat.max()
    n_p = n_q = 0
    for yy in range(100, 300):
        for xx in range(100, 300):
            if heat[yy, xx] > 0.1:  # A's cluster (B and C are 200 px away or more)
                if (xx - 200) ** 2 + (yy - 200) ** 2 < (xx - 261) ** 2 + (yy - 200) ** 2:
                    n_p += 1
                else:
                    n_q += 1
    assert 10 < n_q < 60 and n_p > 3000
    sr = 12.5
    d = max(
        k for k in range(38)
        if math.log1p(n_q * math.exp(-k * k / (2 * sr * sr)) + 1e-6) / math.log1p(n_p + 1e-6) > 0.1
    )
    assert d < 37
    clue_a = kf.clues[ORDER.index("A")]
    assert clue_a.box.x_max == 4 * (261 + d)
    assert (clue_a.box.x_min, clue_a.box.y_min, clue_a.box.y_max) == (4 * 163, 4 * 163, 4 * 237)


def test_five_to_ninety_five_percentile_trimming_drops_stray_samples() -> None:
    """Three stray samples (1 % of 303) far right and low lie beyond the 95th percentile: they change nothing."""
    base = recording()
    stray = GazeSamples(
        np.concatenate([base.t, [0.5, 0.6, 0.7]]),
        np.concatenate([base.x, [1900.0, 1900.0, 1900.0]]),
        np.concatenate([base.y, [2300.0, 2300.0, 2300.0]]),
        np.full(len(base) + 3, PPD),
        np.full(len(base) + 3, PPD),
    )
    clean = gazex_key_frames(base, image_size=SIZE, t0=-2.0, t1=10.0)
    trimmed = gazex_key_frames(stray, image_size=SIZE, t0=-2.0, t1=10.0)
    assert trimmed.observation is not None and clean.observation is not None
    assert trimmed.observation.box == clean.observation.box
    assert [c.box for c in trimmed.clues] == [c.box for c in clean.clues]
    # without trimming the strays reach the observation box (1900 / 4 = 475, square to 475 + 37 = 512 > 499: clipped)
    untrimmed = gazex_key_frames(
        stray, image_size=SIZE, t0=-2.0, t1=10.0, params=GazexKeyFrameParams(trim_percentiles=(0.0, 100.0))
    )
    assert untrimmed.observation is not None
    assert untrimmed.observation.box.x_max == 4 * 499 and untrimmed.observation.box.y_max == 4 * (575 + 24)


def test_one_cluster_gives_no_clue_only_the_observation() -> None:
    kf = gazex_key_frames(recording({"A": SPOTS["A"]}, ["A"]), image_size=SIZE, t0=-2.0, t1=10.0)
    assert kf.clues == []
    assert kf.observation is not None
    assert (kf.observation.box.x_min, kf.observation.box.x_max) == (4 * 163, 4 * 237)


def test_time_window_is_inclusive_and_an_empty_window_gives_nothing() -> None:
    s = recording()
    # only C's second (t 0 .. 0.99) in the window: one spot, no clue, observation around C
    kf = gazex_key_frames(s, image_size=SIZE, t0=0.0, t1=0.99)
    assert kf.clues == [] and kf.observation is not None
    assert kf.observation.box.centroid_y == pytest.approx(1600.0)
    assert gazex_key_frames(s, image_size=SIZE, t0=20.0, t1=30.0).observation is None


# -- a plain re-implementation of the script (loops, scikit-learn, scipy), for irregular recordings -----------
def _draw(pts: Sequence[tuple[Any, ...]], k: float, W: int, H: int) -> np.ndarray:
    """The script's map, by loops: each (t, x/4, y/4, ppd_x/4, ppd_y/4) adds its Gaussian of k degrees."""
    m = np.zeros((H, W), dtype=np.float64)
    for (_, fx, fy, px, py), times in Counter(pts).items():  # a repeated point adds its Gaussian that many times
        x, y = int(fx), int(fy)
        sx, sy = px * k, py * k
        if not (0 <= x < W and 0 <= y < H):
            continue
        r = int(max(sx, sy) * 3)
        for yy in range(max(y - r, 0), min(y + r + 1, H)):
            for xx in range(max(x - r, 0), min(x + r + 1, W)):
                m[yy, xx] += times * math.exp(-((xx - x) ** 2 / (2 * sx * sx) + (yy - y) ** 2 / (2 * sy * sy)))
    return m


def _plain_bb1(s: GazeSamples, size: tuple[int, int], t0: float, t1: float) -> tuple[list[tuple[float, ...]], tuple[float, ...]]:
    from scipy.spatial import cKDTree
    from sklearn.cluster import DBSCAN
    from sklearn.preprocessing import StandardScaler

    W, H = size[0] // 4, size[1] // 4
    rows = [(t, x / 4, y / 4, px / 4, py / 4) for t, x, y, px, py in zip(s.t, s.x, s.y, s.ppd_x, s.ppd_y) if t0 <= t <= t1]
    xl, xh = np.percentile([r[1] for r in rows], [5, 95])
    yl, yh = np.percentile([r[2] for r in rows], [5, 95])
    rows = [r for r in rows if xl <= r[1] <= xh and yl <= r[2] <= yh]

    def draw(pts: Sequence[tuple[Any, ...]], k: float) -> np.ndarray:
        return _draw(pts, k, W, H)

    def box(proc: np.ndarray, raw: np.ndarray, thr: float) -> tuple[float, ...]:
        ys, xs = np.where(proc > thr)
        x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
        wsum = cx = cy = 0.0
        for yy in range(y0, y1 + 1):
            for xx in range(x0, x1 + 1):
                wsum += raw[yy, xx]
                cx += xx * raw[yy, xx]
                cy += yy * raw[yy, xx]
        return tuple(4.0 * v for v in (x0, y0, x1, y1, cx / wsum, cy / wsum))

    heat = draw(rows, 1.5)
    heat /= heat.max()
    ys, xs = np.where(heat > 0.1)
    feats = np.column_stack([StandardScaler().fit_transform(np.column_stack([xs, ys])), 0.1 * heat[ys, xs]])
    labels = DBSCAN(eps=0.3, min_samples=10).fit_predict(feats)
    clues: list[tuple[float, ...]] = []
    found = sorted(set(labels.tolist()) - {-1})
    if len(found) > 1:
        tree = cKDTree(np.array([[r[1], r[2]] for r in rows]))
        timed = []
        for lab in found:
            m = labels == lab
            _, near = tree.query(np.column_stack([xs[m], ys[m]]))
            raw = draw([rows[i] for i in near], 1.25)
            proc = np.log1p(raw + 1e-6)
            proc /= proc.max()
            timed.append((float(np.mean([rows[i][0] for i in near])), box(proc, raw, 0.1)))
        clues = [b for _, b in sorted(timed, key=lambda v: v[0])]
    raw = draw(rows, 1.25)
    proc = np.log1p(raw + 1e-6)
    proc /= proc.max()
    flat = proc.reshape(-1)
    return clues, box(proc, raw, float(np.percentile(flat[flat > 0], 80)))


@pytest.mark.parametrize("seed", [3, 11])
def test_irregular_recording_matches_a_plain_loop_implementation(seed: int) -> None:
    """Jittered fixations of three spots, varying ppd, a few samples outside the film: boxes within a grid pixel."""
    rng = np.random.default_rng(seed)
    centres = [(300.0, 400.0), (900.0, 350.0), (600.0, 900.0)]
    t, x, y, p = [], [], [], []
    clock = 0.0
    for k in rng.permutation(3):
        cx, cy = centres[k]
        for _ in range(90):
            t.append(clock)
            clock += 0.01
            x.append(round(cx + rng.normal(0, 12)))
            y.append(round(cy + rng.normal(0, 12)))
            p.append(float(rng.choice([22.0, 23.0])))
    x[5], y[5] = -3.0, 50.0  # outside the film, trimmed or skipped as upstream
    s = GazeSamples(np.array(t), np.array(x), np.array(y), np.array(p), np.array(p))
    size = (1200, 1100)
    kf = gazex_key_frames(s, image_size=size, t0=-2.0, t1=clock)
    clues, obs = _plain_bb1(s, size, -2.0, clock)
    assert len(kf.clues) == len(clues) == 3
    for got, want in zip(kf.clues, clues):
        b = got.box
        assert (b.x_min, b.y_min, b.x_max, b.y_max) == pytest.approx(want[:4], abs=4)
        assert (b.centroid_x, b.centroid_y) == pytest.approx(want[4:], abs=2)
    assert kf.observation is not None
    b = kf.observation.box
    assert (b.x_min, b.y_min, b.x_max, b.y_max) == pytest.approx(obs[:4], abs=4)
    assert (b.centroid_x, b.centroid_y) == pytest.approx(obs[4:], abs=2)


def test_splat_matches_a_loop_including_edges_and_negative_positions() -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-2, 60, 40), [-0.5, 59.9, 10.0]])
    y = np.concatenate([rng.uniform(-2, 40, 40), [3.0, 39.5, -0.7]])
    sx = rng.uniform(1.0, 4.0, len(x))
    sy = rng.uniform(1.0, 4.0, len(x))
    got = splat_gaussians(x, y, sx, sy, None, (40, 60))
    want = np.zeros((40, 60))
    for k in range(len(x)):
        xi, yi = int(x[k]), int(y[k])
        if not (0 <= xi < 60 and 0 <= yi < 40):
            continue
        r = int(max(sx[k], sy[k]) * 3)
        for yy in range(max(yi - r, 0), min(yi + r + 1, 40)):
            for xx in range(max(xi - r, 0), min(xi + r + 1, 60)):
                want[yy, xx] += math.exp(-((xx - xi) ** 2 / (2 * sx[k] ** 2) + (yy - yi) ** 2 / (2 * sy[k] ** 2)))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_pixel_dbscan_on_the_grid_equals_scikit_learn(seed: int) -> None:
    """The bounded-memory grid path gives scikit-learn's labels (same numbering, border points, noise)."""
    from sklearn.cluster import DBSCAN
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 6))
    n = int(rng.integers(20, 150))
    which = rng.integers(0, k, n)
    cx, cy = rng.uniform(20, 180, k), rng.uniform(20, 160, k)
    x = cx[which] + rng.normal(0, rng.uniform(1, 8), n)
    y = cy[which] + rng.normal(0, 4, n)
    s = rng.uniform(2, 8)
    heat = splat_gaussians(x, y, np.full(n, s), np.full(n, s * rng.uniform(0.7, 1.3)), None, (180, 200))
    heat = heat / heat.max()
    ys, xs = np.nonzero(heat > 0.1)
    min_samples = int(rng.choice([3, 10, 30]))
    got = dbscan_pixels(ys, xs, heat[ys, xs], min_samples=min_samples, max_pairs=0)  # force the grid path
    feats = np.column_stack([StandardScaler().fit_transform(np.column_stack([xs, ys])), heat[ys, xs] * 0.1])
    want = DBSCAN(eps=0.3, min_samples=min_samples).fit_predict(feats)
    np.testing.assert_array_equal(got, want)
