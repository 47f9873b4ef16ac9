"""Agreement between two readings of one film: model vs expert, expert vs expert, trainee vs either.

Every metric works on a :class:`Scanpath` (points with start and end times) in coordinates normalised to
the reading's own image frame (x / width, y / height), so a GazeSearch reading in its 224 x 224 frame and a
reading in original pixels compare directly. For an expert reading the scanpath is its fixations; for a
model reading (no fixations) it is its key frames, 1 s each. Key frames proper (cluster centroids: for each
finding its clue centroids, then its observation centroid) are :func:`key_frames_of`.

Metrics (each its own function, formula in its docstring):

==========================  ==========================================================  ===============
key                         what                                                        range / better
==========================  ==========================================================  ===============
icc_x, icc_y                ICC(2,1) of key-frame centroids paired by order (k with k)  <=1, higher
icc_x_matched, icc_y_ma...  ICC(2,1) after nearest-partner (Hungarian) matching:        <=1, higher
                            biased upwards, a secondary figure only
density_cosine              cosine of duration-weighted, 1-degree-smoothed gaze         0..1, higher
                            density grids
cc                          Pearson correlation of Gaussian fixation maps               -1..1, higher
edit_distance               Levenshtein distance of 5 x 5 grid strings (GazeSearch)     >=0, lower
edit_similarity             1 - edit_distance / longer string length                    0..1, higher
mm_vector ... mm_duration   MultiMatch-style shape similarities                         0..1, higher
zone_jaccard                Jaccard index of the ABCDEF zones visited                   0..1, higher
zone_order_similarity       1 - Levenshtein(first-visit orders) / longer length         0..1, higher
==========================  ==========================================================  ===============

A metric that cannot be computed (too few points, a reader whose key frames do not vary) is ``nan``;
:func:`why_undefined` says why.

Reading the ICC
---------------
The primary ICC pairs key frame k of A with key frame k of B (GazeX's key frames are time-ordered
clusters, so the k-th of each are "the k-th place looked at"). The matched ICC first pairs every centroid
with its nearest partner (:func:`match_points`) and then asks how well the pairs agree: that pairing
chooses the pairs that agree best, so it scores high even for unrelated gaze on one film (GazeSearch:
searches for *different* findings on the same image pool to ICC x 0.73 / y 0.55 after matching).
Neither ICC says anything when the two readings are of different films (:func:`film_mismatch`). Read
every figure against the reference scale of real radiologists' gaze (``resources/agreement_baselines.json``,
:mod:`gazex_viewer.core.gaze.baselines`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gazex_viewer.core.gaze.zones import ChestBox, default_chest_box, zone_coverage
from gazex_viewer.core.reading.document import Reading

__all__ = [
    "Scanpath",
    "frame_size",
    "scanpath_of",
    "key_frames_of",
    "chest_box_of",
    "icc_2_1",
    "icc_undefined_reason",
    "match_points",
    "ordered_icc",
    "centroid_icc",
    "matched_icc",
    "density_grid",
    "density_cosine",
    "fixation_map",
    "fixation_map_cc",
    "scanpath_string",
    "levenshtein",
    "string_edit_distance",
    "multimatch",
    "zone_agreement",
    "scanpath_agreement",
    "agreement",
    "SentenceAgreement",
    "sentence_agreement",
    "METRIC_KEYS",
    "COUNT_KEYS",
    "DENSITY_SIGMA",
    "why_undefined",
    "film_mismatch",
    "keyframe_method",
]

METRIC_KEYS: tuple[str, ...] = (
    "icc_x",
    "icc_y",
    "icc_x_matched",
    "icc_y_matched",
    "density_cosine",
    "cc",
    "edit_distance",
    "edit_similarity",
    "mm_vector",
    "mm_direction",
    "mm_length",
    "mm_position",
    "mm_duration",
    "zone_jaccard",
    "zone_order_similarity",
)
#: the counts that come with the metrics: key frames paired by order, and matched one to one
COUNT_KEYS: tuple[str, ...] = ("n_paired", "n_matched")
#: the Gaussian (standard deviation, unit frame) that smooths gaze density: about one degree of visual
#: angle for a film spanning 30 degrees, as :func:`fixation_map`
DENSITY_SIGMA = 1.0 / 30.0
_NAN = float("nan")
_DIAG = math.sqrt(2.0)


@dataclass
class Scanpath:
    """Points in time order, coordinates normalised to the image frame (0..1), times in seconds."""

    x: np.ndarray
    y: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray

    def __post_init__(self) -> None:
        for name in ("x", "y", "t_start", "t_end"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64).reshape(-1))

    @classmethod
    def from_points(
        cls, x: Sequence[float], y: Sequence[float], durations: Sequence[float] | None = None
    ) -> Scanpath:
        """A scanpath from normalised positions and durations laid back to back (1 s each by default)."""
        d = np.ones(len(x)) if durations is None else np.asarray(durations, dtype=np.float64)
        t1 = np.cumsum(d)
        return cls(np.asarray(x, float), np.asarray(y, float), t1 - d, t1)

    def __len__(self) -> int:
        return len(self.x)

    @property
    def duration(self) -> np.ndarray:
        return np.clip(self.t_end - self.t_start, 0.0, None)

    @property
    def xy(self) -> np.ndarray:
        return np.column_stack([self.x, self.y])


# -- from readings -----------------------------------------------------------------------------------
def frame_size(reading: Reading) -> tuple[float, float]:
    """The reading's (width, height); when unknown (0), the extent of its points and boxes."""
    if reading.image.width > 0 and reading.image.height > 0:
        return float(reading.image.width), float(reading.image.height)
    xs = [p.x for p in reading.trajectory]
    ys = [p.y for p in reading.trajectory]
    for f in reading.findings:
        for b in [*f.clues, *([f.observation] if f.observation else [])]:
            xs.append(b.x_max)
            ys.append(b.y_max)
    return (max(xs, default=1.0) * 1.05 + 1.0, max(ys, default=1.0) * 1.05 + 1.0)


def scanpath_of(reading: Reading, *, finding_id: str | None = None) -> Scanpath:
    """The reading's fixations (or, without fixations, all its trajectory points), normalised.

    With ``finding_id``, only the points of that finding.
    """
    w, h = frame_size(reading)
    pts = [p for p in reading.trajectory if p.kind == "fixation"] or list(reading.trajectory)
    if finding_id is not None:
        pts = [p for p in pts if p.finding_id == finding_id]
    pts.sort(key=lambda p: p.t_start)
    return Scanpath(
        np.array([p.x / w for p in pts]),
        np.array([p.y / h for p in pts]),
        np.array([p.t_start for p in pts]),
        np.array([p.t_end for p in pts]),
    )


def key_frames_of(reading: Reading, *, finding_id: str | None = None) -> np.ndarray:
    """Key-frame centroids ``(n, 2)``, normalised: per finding, its clue centroids then its observation.

    Findings without regions add nothing; a reading whose findings have no regions falls back to its
    non-fixation trajectory points.
    """
    w, h = frame_size(reading)
    out: list[tuple[float, float]] = []
    for f in reading.findings:
        if finding_id is not None and f.id != finding_id:
            continue
        for b in [*f.clues, *([f.observation] if f.observation is not None else [])]:
            out.append((b.centroid_x / w, b.centroid_y / h))
    if not out:
        out = [
            (p.x / w, p.y / h)
            for p in reading.trajectory
            if p.kind != "fixation" and (finding_id is None or p.finding_id == finding_id)
        ]
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def chest_box_of(reading: Reading) -> ChestBox:
    """The chest box, normalised to the frame: the recorded one (REFLACX, EGD-CXR anatomy) or the default."""
    w, h = frame_size(reading)
    rec = reading.producer.generation.get("recording", {}) if reading.producer.generation else {}
    box = rec.get("chest_box") if isinstance(rec, dict) else None
    if box is not None and len(box) == 4:
        return ChestBox(box[0] / w, box[1] / h, box[2] / w, box[3] / h)
    return default_chest_box(1.0, 1.0)


# -- ICC ---------------------------------------------------------------------------------------------
#: below this spread (unit frame) a rater's ratings count as constant
_CONSTANT = 1e-9


def icc_undefined_reason(ratings: np.ndarray) -> str | None:
    """Why :func:`icc_2_1` of ``ratings`` is undefined, or None when it is a measurement.

    Undefined with fewer than 2 targets (rows) or 2 raters (columns), or when one rater's ratings are all
    equal: a constant rater (for instance a single key frame repeated, as the centre-bias scanpath has)
    makes the ICC about 0 whatever the other rater does, which measures nothing.
    """
    x = np.asarray(ratings, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 2:
        return "needs two raters"
    if x.shape[0] < 2:
        return f"{x.shape[0]} key frame pair(s): needs at least 2"
    for j in range(x.shape[1]):
        if np.ptp(x[:, j]) <= _CONSTANT:
            who = "AB"[j] if x.shape[1] == 2 else f"rater {j + 1}"
            return f"{who}'s key frames do not vary (one place), so the ICC measures nothing"
    return None


def icc_2_1(ratings: np.ndarray) -> float:
    """ICC(2,1): two-way random effects, absolute agreement, single rater (Shrout & Fleiss 1979).

    For ``n`` targets (rows) rated by ``k`` raters (columns), with row means ``r_i``, column means
    ``c_j`` and grand mean ``g``::

        MSR = k * sum_i (r_i - g)^2 / (n - 1)
        MSC = n * sum_j (c_j - g)^2 / (k - 1)
        MSE = sum_ij (x_ij - r_i - c_j + g)^2 / ((n - 1)(k - 1))
        ICC = (MSR - MSE) / (MSR + (k - 1) MSE + k (MSC - MSE) / n)

    ``nan`` when it is not a measurement (:func:`icc_undefined_reason`: fewer than 2 targets, or a rater
    whose ratings are all equal) or the denominator is zero.
    """
    x = np.asarray(ratings, dtype=np.float64)
    if icc_undefined_reason(x) is not None:
        return _NAN
    n, k = x.shape
    g = x.mean()
    r = x.mean(axis=1)
    c = x.mean(axis=0)
    msr = k * np.sum((r - g) ** 2) / (n - 1)
    msc = n * np.sum((c - g) ** 2) / (k - 1)
    mse = np.sum((x - r[:, None] - c[None, :] + g) ** 2) / ((n - 1) * (k - 1))
    den = msr + (k - 1) * mse + k * (msc - mse) / n
    if abs(den) < 1e-15:
        return _NAN
    return float((msr - mse) / den)


def match_points(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs matching points of ``a`` to points of ``b`` one to one, minimising the summed distance.

    The Hungarian algorithm (``scipy.optimize.linear_sum_assignment``) on Euclidean distances; ``min(len(a),
    len(b))`` pairs.
    """
    from scipy.optimize import linear_sum_assignment

    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, int), np.zeros(0, int)
    cost = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    ia, ib = linear_sum_assignment(cost)
    return ia, ib


def _paired_icc(a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray) -> tuple[float, float, int]:
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    if len(ia) < 2:
        return _NAN, _NAN, int(len(ia))
    ix = icc_2_1(np.column_stack([a[ia, 0], b[ib, 0]]))
    iy = icc_2_1(np.column_stack([a[ia, 1], b[ib, 1]]))
    return ix, iy, int(len(ia))


def ordered_icc(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int]:
    """ICC(2,1) of key-frame centroids paired by order, for x and y: ``(icc_x, icc_y, n_paired)``.

    Key frame ``k`` of A is paired with key frame ``k`` of B for ``k < min(len(a), len(b))`` (GazeX's key
    frames are clusters ordered by time); each pair is a target rated by two raters and :func:`icc_2_1`
    is computed on the ``(n, 2)`` x ratings and the y ratings. This is the primary ICC: the pairing does
    not look at the positions, so it cannot flatter them.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 2)
    idx = np.arange(min(len(a), len(b)))
    return _paired_icc(a, b, idx, idx)


def centroid_icc(a: np.ndarray, b: np.ndarray) -> tuple[float, float, int]:
    """ICC(2,1) of *matched* centroids, separately for x and y: ``(icc_x, icc_y, n_matched)``.

    Centroids are first matched one to one by :func:`match_points` (nearest partners, Hungarian), then
    each matched pair is a target rated by two raters and :func:`icc_2_1` is computed on the x ratings
    and the y ratings.

    Pairing bias: the matching picks, among all pairings, the one whose partners lie closest, i.e. the
    pairs that agree best, before the agreement is measured. The figure is therefore inflated: searches
    for *different* findings on the same GazeSearch image score a pooled ICC of x 0.73 / y 0.55 this way.
    Use :func:`ordered_icc` as the primary ICC; this is a secondary figure (``icc_x_matched``).
    """
    ia, ib = match_points(a, b)
    return _paired_icc(a, b, ia, ib)


#: :func:`centroid_icc` under the name the metric keys use (``icc_x_matched``, ``icc_y_matched``)
matched_icc = centroid_icc


# -- maps ----------------------------------------------------------------------------------------------
def _cell_mass(centres: np.ndarray, cells: int, sigma: float) -> np.ndarray:
    """``(points, cells)``: the mass of a 1-D Gaussian (mean each centre, sd sigma) in each of ``cells`` equal cells of [0, 1]."""
    from scipy.special import ndtr

    edges = np.linspace(0.0, 1.0, cells + 1)
    cdf = ndtr((edges[None, :] - centres[:, None]) / sigma)
    return np.diff(cdf, axis=1)


def density_grid(sp: Scanpath, grid: tuple[int, int] = (16, 16), sigma: float = DENSITY_SIGMA) -> np.ndarray:
    """Duration-weighted gaze density on a ``(columns, rows)`` grid over the unit frame, smoothed by a Gaussian.

    Each point k (duration ``d_k``, all 1 when no duration is positive) spreads as a 2-D Gaussian of
    standard deviation ``sigma`` (default :data:`DENSITY_SIGMA`, about one degree); a cell gets the mass
    of that Gaussian inside it::

        D[r, c] = sum_k d_k (Phi((X_{c+1} - x_k)/sigma) - Phi((X_c - x_k)/sigma))
                            (Phi((Y_{r+1} - y_k)/sigma) - Phi((Y_r - y_k)/sigma))

    with cell edges ``X_c = c / columns``, ``Y_r = r / rows`` and ``Phi`` the normal CDF (mass beyond the
    frame is dropped). ``sigma = 0`` gives the unsmoothed counts: ``D[r, c] = sum of d_k with floor(x_k
    * columns) = c and floor(y_k * rows) = r`` (far edge to the last cell, outside points clipped).
    The smoothing keeps the same gaze moved by a degree from landing in a neighbouring cell and
    scoring as if it were elsewhere.
    """
    gx, gy = grid
    d = np.zeros((gy, gx))
    if len(sp) == 0:
        return d
    w = sp.duration if np.any(sp.duration > 0) else np.ones(len(sp))
    if sigma <= 0:
        c = np.clip((sp.x * gx).astype(int), 0, gx - 1)
        r = np.clip((sp.y * gy).astype(int), 0, gy - 1)
        np.add.at(d, (r, c), w)
        return d
    mx = _cell_mass(sp.x, gx, sigma)
    my = _cell_mass(sp.y, gy, sigma)
    return np.einsum("k,kr,kc->rc", w, my, mx)


def density_cosine(
    a: Scanpath, b: Scanpath, grid: tuple[int, int] = (16, 16), sigma: float = DENSITY_SIGMA
) -> float:
    """Cosine similarity of the smoothed density grids (:func:`density_grid`): ``sum(A*B) / (|A| |B|)``.

    nan if either is empty.
    """
    da, db = density_grid(a, grid, sigma).ravel(), density_grid(b, grid, sigma).ravel()
    na, nb = np.linalg.norm(da), np.linalg.norm(db)
    if na == 0 or nb == 0:
        return _NAN
    return float(np.dot(da, db) / (na * nb))


def fixation_map(sp: Scanpath, shape: tuple[int, int] = (64, 64), sigma: float = 1.0 / 30.0) -> np.ndarray:
    """A continuous fixation map: duration-weighted Gaussians on a ``(rows, columns)`` grid of the unit frame.

    ``M[r, c] = sum_k d_k exp(-((u_c - x_k)^2 + (v_r - y_k)^2) / (2 sigma^2))`` with cell centres
    ``u_c = (c + 0.5) / columns``, ``v_r = (r + 0.5) / rows``. ``sigma`` defaults to 1/30 of the frame,
    about one degree of visual angle for a film spanning 30 degrees.
    """
    rows, cols = shape
    u = (np.arange(cols) + 0.5) / cols
    v = (np.arange(rows) + 0.5) / rows
    w = sp.duration if np.any(sp.duration > 0) else np.ones(len(sp))
    gx = np.exp(-((u[None, :] - sp.x[:, None]) ** 2) / (2 * sigma**2))
    gy = np.exp(-((v[None, :] - sp.y[:, None]) ** 2) / (2 * sigma**2))
    return np.einsum("k,kr,kc->rc", w, gy, gx)


def fixation_map_cc(
    a: Scanpath, b: Scanpath, shape: tuple[int, int] = (64, 64), sigma: float = 1.0 / 30.0
) -> float:
    """Correlation coefficient (CC) of two fixation maps (:func:`fixation_map`), as in saliency benchmarks.

    ``CC = sum((A - mean A)(B - mean B)) / sqrt(sum (A - mean A)^2 * sum (B - mean B)^2)``; nan when either
    map is constant (for instance empty).
    """
    if len(a) == 0 or len(b) == 0:
        return _NAN
    ma, mb = fixation_map(a, shape, sigma).ravel(), fixation_map(b, shape, sigma).ravel()
    ma, mb = ma - ma.mean(), mb - mb.mean()
    den = math.sqrt(float(np.dot(ma, ma)) * float(np.dot(mb, mb)))
    if den == 0:
        return _NAN
    return float(np.dot(ma, mb) / den)


# -- strings ---------------------------------------------------------------------------------------------
def scanpath_string(sp: Scanpath, n: int = 5) -> str:
    """The scanpath as letters of an ``n x n`` grid, row-major: cell ``(col, row)`` is ``chr(97 + col + row * n)``.

    As in GazeSearch's ``string_edit_distance`` (after Zanca's visual attention metrics).
    """
    c = np.clip((sp.x * n).astype(int), 0, n - 1)
    r = np.clip((sp.y * n).astype(int), 0, n - 1)
    return "".join(chr(97 + int(ci) + int(ri) * n) for ci, ri in zip(c, r))


def levenshtein(s1: Sequence[str] | str, s2: Sequence[str] | str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions (each cost 1) turning s1 into s2."""
    prev = list(range(len(s2) + 1))
    for i, ch1 in enumerate(s1, start=1):
        cur = [i] + [0] * len(s2)
        for j, ch2 in enumerate(s2, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ch1 != ch2))
        prev = cur
    return prev[-1]


def string_edit_distance(a: Scanpath, b: Scanpath, n: int = 5) -> tuple[int, float]:
    """``(distance, similarity)``: Levenshtein distance of the grid strings and ``1 - distance / max(len)``."""
    sa, sb = scanpath_string(a, n), scanpath_string(b, n)
    d = levenshtein(sa, sb)
    longest = max(len(sa), len(sb))
    return d, (_NAN if longest == 0 else 1.0 - d / longest)


# -- MultiMatch ----------------------------------------------------------------------------------------------
def _align(u: np.ndarray, v: np.ndarray) -> list[tuple[int, int]]:
    """The monotone path (steps right, down, diagonal) from (0, 0) to (m-1, n-1) of least summed ``|u_i - v_j|``."""
    cost = np.linalg.norm(u[:, None, :] - v[None, :, :], axis=2)
    m, n = cost.shape
    acc = np.full((m, n), np.inf)
    acc[0, 0] = cost[0, 0]
    for i in range(m):
        for j in range(n):
            if i == 0 and j == 0:
                continue
            best = min(
                acc[i - 1, j] if i > 0 else np.inf,
                acc[i, j - 1] if j > 0 else np.inf,
                acc[i - 1, j - 1] if i > 0 and j > 0 else np.inf,
            )
            acc[i, j] = cost[i, j] + best
    path = [(m - 1, n - 1)]
    i, j = m - 1, n - 1
    while (i, j) != (0, 0):
        steps = []
        if i > 0 and j > 0:
            steps.append((acc[i - 1, j - 1], i - 1, j - 1))
        if i > 0:
            steps.append((acc[i - 1, j], i - 1, j))
        if j > 0:
            steps.append((acc[i, j - 1], i, j - 1))
        _, i, j = min(steps)
        path.append((i, j))
    return path[::-1]


def multimatch(a: Scanpath, b: Scanpath) -> dict[str, float]:
    """MultiMatch-style similarities (Jarodzka et al. 2010; Dewhurst et al. 2012), without simplification.

    Saccade vectors ``u_i = p_{i+1} - p_i`` of A and ``v_j`` of B (unit-frame coordinates, diagonal
    ``D = sqrt 2``) are aligned by the monotone path of least summed ``|u_i - v_j|`` (:func:`_align`, what
    MultiMatch's Dijkstra search on the saccade matrix finds). Over the ``P`` aligned pairs:

    - ``mm_vector    = 1 - mean |u_i - v_j| / (2 D)``
    - ``mm_direction = 1 - mean angle(u_i, v_j) / pi``
    - ``mm_length    = 1 - mean | |u_i| - |v_j| | / D``
    - ``mm_position  = 1 - mean |p_i - q_j| / D`` (the fixations the saccades start from)
    - ``mm_duration  = 1 - mean |d_i - d_j| / max(d_i, d_j)`` (durations of those fixations)

    All nan when either scanpath has fewer than two points.
    """
    keys = ("mm_vector", "mm_direction", "mm_length", "mm_position", "mm_duration")
    if len(a) < 2 or len(b) < 2:
        return {k: _NAN for k in keys}
    pa, pb = a.xy, b.xy
    u, v = np.diff(pa, axis=0), np.diff(pb, axis=0)
    path = _align(u, v)
    ii = np.array([p[0] for p in path])
    jj = np.array([p[1] for p in path])
    du, dv = u[ii], v[jj]
    vec = np.linalg.norm(du - dv, axis=1)
    ang_u = np.arctan2(du[:, 1], du[:, 0])
    ang_v = np.arctan2(dv[:, 1], dv[:, 0])
    dang = np.abs((ang_u - ang_v + np.pi) % (2 * np.pi) - np.pi)
    zero = (np.linalg.norm(du, axis=1) == 0) | (np.linalg.norm(dv, axis=1) == 0)
    dang = np.where(zero, 0.0, dang)
    length = np.abs(np.linalg.norm(du, axis=1) - np.linalg.norm(dv, axis=1))
    pos = np.linalg.norm(pa[ii] - pb[jj], axis=1)
    da, db = a.duration[ii], b.duration[jj]
    mx = np.maximum(da, db)
    dur = np.where(mx > 0, np.abs(da - db) / np.where(mx > 0, mx, 1.0), 0.0)
    return {
        "mm_vector": float(1 - vec.mean() / (2 * _DIAG)),
        "mm_direction": float(1 - dang.mean() / np.pi),
        "mm_length": float(1 - length.mean() / _DIAG),
        "mm_position": float(1 - pos.mean() / _DIAG),
        "mm_duration": float(1 - dur.mean()),
    }


# -- zones ----------------------------------------------------------------------------------------------------
def zone_agreement(a: Scanpath, b: Scanpath, chest_a: ChestBox, chest_b: ChestBox) -> dict[str, float | str]:
    """Coverage of the ABCDEF zones (:mod:`gazex_viewer.core.gaze.zones`) by both scanpaths.

    ``zone_jaccard = |Z_A ∩ Z_B| / |Z_A ∪ Z_B|`` over the sets of zones visited (nan if neither visits any);
    ``zone_order_similarity = 1 - Levenshtein(O_A, O_B) / max(|O_A|, |O_B|)`` over the orders of first
    visit. Also returns the orders (``zones_a``, ``zones_b``) as strings such as ``"FCDE"``.
    """
    ca = zone_coverage(a.x, a.y, a.t_start, a.t_end, chest_a)
    cb = zone_coverage(b.x, b.y, b.t_start, b.t_end, chest_b)
    union = ca.visited | cb.visited
    oa, ob = "".join(ca.order), "".join(cb.order)
    longest = max(len(oa), len(ob))
    return {
        "zone_jaccard": _NAN if not union else len(ca.visited & cb.visited) / len(union),
        "zone_order_similarity": _NAN if longest == 0 else 1.0 - levenshtein(oa, ob) / longest,
        "zones_a": oa,
        "zones_b": ob,
    }


# -- everything ---------------------------------------------------------------------------------------------------
def scanpath_agreement(
    a: Scanpath,
    b: Scanpath,
    *,
    key_a: np.ndarray | None = None,
    key_b: np.ndarray | None = None,
    chest_a: ChestBox | None = None,
    chest_b: ChestBox | None = None,
    grid: tuple[int, int] = (16, 16),
    string_grid: int = 5,
) -> dict[str, float]:
    """All metrics of two normalised scanpaths (key frames for the ICC default to the scanpath points).

    ``icc_x``/``icc_y`` pair key frames by order (:func:`ordered_icc`, with ``n_paired``);
    ``icc_x_matched``/``icc_y_matched`` after nearest-partner matching (:func:`centroid_icc`, biased
    upwards, with ``n_matched``).
    """
    ka = a.xy if key_a is None else key_a
    kb = b.xy if key_b is None else key_b
    icc_x, icc_y, n_paired = ordered_icc(ka, kb)
    mx, my, n = centroid_icc(ka, kb)
    dist, sim = string_edit_distance(a, b, string_grid)
    zones = zone_agreement(a, b, chest_a or default_chest_box(1.0, 1.0), chest_b or default_chest_box(1.0, 1.0))
    out: dict[str, float] = {
        "icc_x": icc_x,
        "icc_y": icc_y,
        "n_paired": float(n_paired),
        "icc_x_matched": mx,
        "icc_y_matched": my,
        "n_matched": float(n),
        "density_cosine": density_cosine(a, b, grid),
        "cc": fixation_map_cc(a, b),
        "edit_distance": float(dist) if (len(a) or len(b)) else _NAN,
        "edit_similarity": sim,
    }
    out.update(multimatch(a, b))
    out["zone_jaccard"] = float(zones["zone_jaccard"])
    out["zone_order_similarity"] = float(zones["zone_order_similarity"])
    return out


def agreement(a: Reading, b: Reading, *, grid: tuple[int, int] = (16, 16)) -> dict[str, float]:
    """Whole-film agreement of two readings: every metric of the module table, plus ``n_paired`` and ``n_matched``.

    The numbers mean nothing about agreement on a film when the readings are of different films: check
    :func:`film_mismatch` first.
    """
    return scanpath_agreement(
        scanpath_of(a),
        scanpath_of(b),
        key_a=key_frames_of(a),
        key_b=key_frames_of(b),
        chest_a=chest_box_of(a),
        chest_b=chest_box_of(b),
        grid=grid,
    )


@dataclass
class SentenceAgreement:
    """Agreement on one sentence both readings share."""

    text: str
    finding_a: str
    finding_b: str
    metrics: dict[str, float] = field(default_factory=dict)


def _sentence_key(text: str) -> str:
    from gazex_viewer.core.reading.report_text import normalise_sentence

    return normalise_sentence(text).lower()


def sentence_agreement(a: Reading, b: Reading, *, grid: tuple[int, int] = (16, 16)) -> list[SentenceAgreement]:
    """Per-sentence agreement for the sentences that match.

    Two findings match when their normalised texts are equal (case, final period and spacing ignored), or,
    failing that, when their sets of positive CheXpert labels are equal and non-empty; each finding is
    matched at most once, in report order of A.
    """
    used: set[str] = set()
    out: list[SentenceAgreement] = []
    chest_a, chest_b = chest_box_of(a), chest_box_of(b)

    def labels(f: object) -> frozenset[str]:
        return frozenset(lab.observation for lab in f.labels if lab.status == "positive")  # type: ignore[attr-defined]

    for fa in a.findings:
        match = next((fb for fb in b.findings if fb.id not in used and _sentence_key(fb.text) == _sentence_key(fa.text)), None)
        if match is None and labels(fa):
            match = next((fb for fb in b.findings if fb.id not in used and labels(fb) == labels(fa)), None)
        if match is None:
            continue
        used.add(match.id)
        metrics = scanpath_agreement(
            scanpath_of(a, finding_id=fa.id),
            scanpath_of(b, finding_id=match.id),
            key_a=key_frames_of(a, finding_id=fa.id),
            key_b=key_frames_of(b, finding_id=match.id),
            chest_a=chest_a,
            chest_b=chest_b,
            grid=grid,
        )
        out.append(SentenceAgreement(fa.text, fa.id, match.id, metrics))
    return out


# -- what a number means -------------------------------------------------------------------------------------------
def why_undefined(key: str, metrics: dict[str, float]) -> str:
    """Why ``metrics[key]`` is nan, in a few words (empty when it is a number).

    ``metrics`` is a dictionary returned by :func:`scanpath_agreement` (or :func:`agreement`).
    """
    v = metrics.get(key, _NAN)
    if math.isfinite(v):
        return ""
    if key in ("icc_x", "icc_y", "icc_x_matched", "icc_y_matched"):
        n = metrics.get("n_matched" if key.endswith("_matched") else "n_paired", _NAN)
        if not math.isfinite(n) or n < 2:
            return f"{0 if not math.isfinite(n) else int(n)} key frame pair(s): ICC needs at least 2"
        axis = key[4]
        return f"one reading's key frames do not vary in {axis} (a single place): ICC measures nothing"
    if key in ("density_cosine", "cc", "edit_distance", "edit_similarity"):
        return "a reading has no gaze points (or a constant map)"
    if key.startswith("mm_"):
        return "needs at least 2 points in each reading"
    if key.startswith("zone_"):
        return "neither reading visits a chest zone"
    return "cannot be computed"


def _image_stem(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    for ext in (".dcm", ".dicom", ".png", ".jpg", ".jpeg", ".tif", ".tiff"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


def _known_hash(h: str | None) -> str | None:
    h = (h or "").strip().lower()
    return None if not h or set(h) == {"0"} else h


def film_mismatch(a: Reading, b: Reading) -> str | None:
    """Why ``a`` and ``b`` are readings of different films, or None when nothing says they differ.

    Different when both pixel hashes are known (not empty, not 64 zeros) and differ; when a hash is
    unknown, when both SOP Instance UIDs are known and differ, or else when the image file names differ
    (compared without folder, case or image extension, so a GazeSearch ``<dicom_id>.jpg`` and a REFLACX
    ``<dicom_id>`` are the same film). Agreement between readings of different films measures nothing
    about agreement on a film.
    """
    ha, hb = _known_hash(a.image.pixel_sha256), _known_hash(b.image.pixel_sha256)
    if ha is not None and hb is not None:
        if ha != hb:
            return f"the pixel hashes differ ({ha[:12]}… vs {hb[:12]}…)"
        return None
    ua, ub = a.image.sop_instance_uid, b.image.sop_instance_uid
    if ua and ub:
        return None if ua == ub else f"the SOP Instance UIDs differ ({ua} vs {ub})"
    if _image_stem(a.image.file_name) != _image_stem(b.image.file_name):
        return f"the image names differ ({a.image.file_name} vs {b.image.file_name}; pixel hash unknown)"
    return None


#: what ``producer.generation["key_frames"]["method"]`` of an expert reading may say, in words for ``compare``
KEYFRAME_METHOD_NAMES: dict[str, str] = {
    "app": "app (fixations, the app's clustering)",
    "gazex": "gazex (raw samples, GazeX's script)",
    "none": "none (no key frames)",
}


def keyframe_method(reading: Reading) -> str:
    """How the reading's key frames (clue and observation boxes) were made, for ``compare``.

    ``"model (GazeX answers)"`` for a model reading; for a trainee, ``"trainee clicks"``; otherwise the method the
    importer recorded (``app``, ``gazex``, ``none``: see :data:`KEYFRAME_METHOD_NAMES`), or ``"unknown"`` for a
    reading made before methods were recorded. Readings whose key frames were made differently are not measured
    on the same ruler: ``app`` expert boxes are smaller than GazeX's training targets.
    """
    kind = reading.producer.kind
    if kind == "model":
        return "model (GazeX answers)"
    if kind == "trainee":
        return "trainee clicks"
    kf = reading.producer.generation.get("key_frames")
    method = kf.get("method") if isinstance(kf, dict) else None
    return method if isinstance(method, str) and method in KEYFRAME_METHOD_NAMES else "unknown"
