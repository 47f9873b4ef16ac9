"""Scanpath similarities beyond the ICC: density maps, grid strings, MultiMatch shapes, chest zones.

Owns the metrics behind :mod:`~gazex_viewer.core.gaze.agreement`'s ``density_cosine``, ``cc``,
``edit_*``, ``mm_*`` and ``zone_*`` keys; each function's docstring gives its formula.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gazex_viewer.core.gaze.scanpath import Scanpath
from gazex_viewer.core.gaze.zones import ChestBox, zone_coverage

__all__ = [
    "DENSITY_SIGMA",
    "density_cosine",
    "density_grid",
    "fixation_map",
    "fixation_map_cc",
    "levenshtein",
    "multimatch",
    "scanpath_string",
    "string_edit_distance",
    "zone_agreement",
]

#: the Gaussian (standard deviation, unit frame) that smooths gaze density: about one degree of visual
#: angle for a film spanning 30 degrees, as :func:`fixation_map`
DENSITY_SIGMA = 1.0 / 30.0
_NAN = float("nan")
_DIAG = math.sqrt(2.0)


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
