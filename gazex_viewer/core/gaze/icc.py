"""ICC(2,1) of key-frame centroids: paired by order, or after nearest-partner matching.

Owns the intraclass correlation behind :mod:`~gazex_viewer.core.gaze.agreement`'s ``icc_*`` keys
(:func:`icc_2_1`, why it is undefined, :func:`match_points`, :func:`ordered_icc`,
:func:`centroid_icc`, :func:`matched_icc`). See the agreement module's notes on reading the ICC.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "centroid_icc",
    "icc_2_1",
    "icc_undefined_reason",
    "match_points",
    "matched_icc",
    "ordered_icc",
]

_NAN = float("nan")


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
        return _NAN, _NAN, len(ia)
    ix = icc_2_1(np.column_stack([a[ia, 0], b[ib, 0]]))
    iy = icc_2_1(np.column_stack([a[ia, 1], b[ib, 1]]))
    return ix, iy, len(ia)


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
