"""Key frames from raw gaze samples, built exactly as GazeX's training targets were (the ``gazex`` method).

This reproduces GazeX's ``preprocessing_scripts/Bounding_Box_Centroid_Phase_1.py`` (BB1; Phase_2 and _3
differ only in the metadata file) for one sentence window of a REFLACX recording:

1. the raw samples of ``gaze_data/<id>/gaze.csv`` with ``start - 2 s <= timestamp <= end`` (rows lacking a
   time, a position or a visual angle are dropped), coordinates and pixels-per-degree divided by 4
   (:attr:`GazexKeyFrameParams.downscale`) and kept as floats;
2. 5-95 percentile trimming on x and on y (``np.percentile``, linear, bounds inclusive);
3. the clustering map on the ``W // 4`` x ``H // 4`` grid: each sample adds
   ``exp(-((X - x)^2 / 2 sx^2 + (Y - y)^2 / 2 sy^2))`` centred on the integer pixel ``(int(x), int(y))`` (skipped
   when that pixel lies outside the grid), with ``sx = 1.5 * ppd_x / 4``, inside the square of half-side
   ``int(3 * max(sx, sy))``; the map is divided by its maximum;
4. every pixel above 0.1 is a DBSCAN point with features ``StandardScaler(x, y)`` and ``0.1 * intensity``,
   ``DBSCAN(eps=0.3, min_samples=10)`` (the result is scikit-learn's, see :func:`dbscan_pixels`);
5. with two or more clusters, each cluster pixel is given its nearest trimmed sample (``cKDTree`` on the
   samples' /4 positions, in file order, as upstream); the cluster's time is the mean timestamp of those
   nearest samples and its map is the sum, over its pixels, of the nearest sample's Gaussian at 1.25 degrees
   (so a sample counts once per cluster pixel it is nearest to); the map becomes ``log1p(H + 1e-6) / max``,
   the clue box is the extent of the pixels above 0.1 and its centroid is weighted by the raw map ``H``
   inside the box; clues are ordered by time;
6. the observation: every trimmed sample's 1.25 degree Gaussian, ``log1p(H + 1e-6) / max``, the box of the
   pixels above the 80th percentile of all positive pixels (every pixel, because of the ``1e-6``: the box
   spans the top 20 % of the grid, or the whole of the Gaussians' squares when gaze covers less), centroid
   weighted by the raw map.

Boxes are BB1's inclusive /4 pixel indices times 4 (the same x4 map the app applies to the model's answers),
so an expert box is in original pixels and compares directly with a model box. Maps are float32 as upstream.

The differences from the ``app`` method (:mod:`gazex_viewer.core.gaze.clustering`): raw samples instead of
duration-weighted fixations, trimming on, 1.5 degree truncated Gaussians on every /4 pixel instead of
1.0 degree untruncated ones on a coarse grid, re-rendered 1.25 degree clue boxes instead of the extent of the
cluster's cells, and the top-20 % observation box instead of the region above 0.1 of the peak.

The sentence split stays the app's (:func:`~gazex_viewer.core.gaze.importers.reflacx_sentences`), which equals
BB1's on REFLACX transcripts (where ``"."`` is its own word) except that BB1 drops words after the last period.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from gazex_viewer.core.errors import GazeImportError
from gazex_viewer.core.gaze.clustering import KeyFrame, SentenceKeyFrames
from gazex_viewer.core.reading.document import Box

__all__ = [
    "GAZE_SAMPLE_COLUMNS",
    "GazeSamples",
    "GazexKeyFrameParams",
    "dbscan_pixels",
    "gazex_key_frames",
    "read_reflacx_gaze",
    "reflacx_gaze_path",
    "reflacx_gazex_method",
    "splat_gaussians",
]

#: the gaze.csv columns BB1 reads (rows with any of them empty are dropped, as its ``dropna``)
GAZE_SAMPLE_COLUMNS: tuple[str, ...] = (
    "timestamp_sample",
    "x_position",
    "y_position",
    "angular_resolution_x_pixels_per_degree",
    "angular_resolution_y_pixels_per_degree",
)


@dataclass(frozen=True)
class GazexKeyFrameParams:
    """BB1's constants (every default is upstream's)."""

    window_before_s: float = 2.0
    downscale: int = 4
    trim_percentiles: tuple[float, float] = (5.0, 95.0)
    cluster_sigma_degrees: float = 1.5
    render_sigma_degrees: float = 1.25
    truncate_sigmas: float = 3.0
    threshold: float = 0.1
    eps: float = 0.3
    min_samples: int = 10
    intensity_weight: float = 0.1
    clue_threshold: float = 0.1
    observation_top_percent: float = 20.0

    def describe(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (recorded in the reading)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass
class GazeSamples:
    """Raw gaze samples: time (s), position (original pixels), pixels per degree, in file order."""

    t: np.ndarray
    x: np.ndarray
    y: np.ndarray
    ppd_x: np.ndarray
    ppd_y: np.ndarray

    def __post_init__(self) -> None:
        for name in ("t", "x", "y", "ppd_x", "ppd_y"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64).reshape(-1))
        if len({len(self.t), len(self.x), len(self.y), len(self.ppd_x), len(self.ppd_y)}) != 1:
            raise ValueError("gaze sample arrays differ in length")

    def __len__(self) -> int:
        return len(self.t)


def reflacx_gaze_path(case_dir: str | os.PathLike[str]) -> Path:
    """Where a REFLACX case's raw samples are: ``<case>/gaze.csv`` if present, else ``../../gaze_data/<id>/gaze.csv``.

    REFLACX ships ``main_data/<id>/`` and ``gaze_data/<id>/gaze.csv`` side by side; the path returned may not
    exist (the caller reports it).
    """
    case_dir = Path(case_dir)
    beside = case_dir / "gaze.csv"
    if beside.is_file():
        return beside
    return case_dir.parent.parent / "gaze_data" / case_dir.name / "gaze.csv"


def read_reflacx_gaze(path: str | os.PathLike[str]) -> GazeSamples:
    """The raw samples of a REFLACX ``gaze.csv`` (rows lacking one of :data:`GAZE_SAMPLE_COLUMNS` dropped).

    Raises
    ------
    GazeImportError
        The file is missing, unreadable, lacks a column, holds a non-number, a non-positive angular resolution,
        or no complete row.
    """
    path = Path(path)
    if not path.is_file():
        raise GazeImportError(path, "file not found (the gazex key-frame method needs REFLACX's raw gaze samples)")
    cols: list[list[float]] = [[] for _ in GAZE_SAMPLE_COLUMNS]
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            if not header:
                raise GazeImportError(path, "empty file (no header row)")
            missing = [c for c in GAZE_SAMPLE_COLUMNS if c not in header]
            if missing:
                raise GazeImportError(path, f"missing column(s) {', '.join(missing)}")
            idx = [header.index(c) for c in GAZE_SAMPLE_COLUMNS]
            last = max(idx)
            for n, row in enumerate(reader, start=2):
                if len(row) <= last:
                    if any(c.strip() for c in row):
                        raise GazeImportError(path, f"line {n}: {len(row)} fields, the header has {len(header)}")
                    continue
                vals = [row[i].strip() for i in idx]
                if any(v == "" or v.lower() == "nan" for v in vals):
                    continue  # BB1's dropna
                try:
                    nums = [float(v) for v in vals]
                except ValueError:
                    bad = next(v for v in vals if not _is_float(v))
                    raise GazeImportError(path, f"line {n}: {bad!r} is not a number") from None
                if not all(math.isfinite(v) for v in nums):
                    continue
                for c, v in zip(cols, nums):
                    c.append(v)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise GazeImportError(path, f"cannot read CSV: {err}") from err
    if not cols[0]:
        raise GazeImportError(path, "no complete gaze sample")
    s = GazeSamples(*(np.asarray(c) for c in cols))
    if np.any(s.ppd_x <= 0) or np.any(s.ppd_y <= 0):
        raise GazeImportError(path, "angular resolution (pixels per degree) must be positive")
    return s


def _is_float(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


# -- maps ------------------------------------------------------------------------------------------------
def splat_gaussians(
    x: np.ndarray,
    y: np.ndarray,
    sx: np.ndarray,
    sy: np.ndarray,
    weights: np.ndarray | None,
    shape: tuple[int, int],
    truncate: float = 3.0,
) -> np.ndarray:
    """Sum of truncated Gaussians on a pixel grid, as BB1 draws them.

    Gaussian k is centred on the integer pixel ``(int(x_k), int(y_k))`` (truncation toward zero; skipped when
    outside ``shape``), covers the square of half-side ``int(truncate * max(sx_k, sy_k))`` clipped to the grid,
    and is multiplied by ``weights[k]`` (1 when None). Separable: ``H = Gy^T diag(w) Gx``, with identical
    Gaussians merged first, so the cost is that of a small matrix product.

    Returns
    -------
    numpy.ndarray
        ``shape`` (rows, columns), float32 (BB1's map type).
    """
    h, w = int(shape[0]), int(shape[1])
    out = np.zeros((h, w), dtype=np.float32)
    xi = np.trunc(np.asarray(x, dtype=np.float64)).astype(np.int64)
    yi = np.trunc(np.asarray(y, dtype=np.float64)).astype(np.int64)
    sx = np.asarray(sx, dtype=np.float64)
    sy = np.asarray(sy, dtype=np.float64)
    wt = np.ones(len(xi)) if weights is None else np.asarray(weights, dtype=np.float64)
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h) & (wt != 0)
    if not ok.any():
        return out
    # merge identical Gaussians: one integer key per (pixel, sigma_x, sigma_y)
    vx, ix = np.unique(sx[ok], return_inverse=True)
    vy, iy = np.unique(sy[ok], return_inverse=True)
    key = (yi[ok] * w + xi[ok]) * (len(vx) * len(vy)) + ix.reshape(-1) * len(vy) + iy.reshape(-1)
    ukey, inv = np.unique(key, return_inverse=True)
    wsum = np.bincount(inv.reshape(-1), weights=wt[ok], minlength=len(ukey))
    pix, sig = np.divmod(ukey, len(vx) * len(vy))
    uy, ux = np.divmod(pix, w)
    usx, usy = vx[sig // len(vy)], vy[sig % len(vy)]
    rad = (truncate * np.maximum(usx, usy)).astype(np.int64)
    c0, c1 = max(int((ux - rad).min()), 0), min(int((ux + rad).max()) + 1, w)
    r0, r1 = max(int((uy - rad).min()), 0), min(int((uy + rad).max()) + 1, h)
    gxs = np.arange(c0, c1, dtype=np.float64)
    gys = np.arange(r0, r1, dtype=np.float64)
    acc = np.zeros((r1 - r0, c1 - c0), dtype=np.float64)
    chunk = max(1, 8_000_000 // max(len(gxs) + len(gys), 1))
    for a in range(0, len(ukey), chunk):
        sl = slice(a, a + chunk)
        dx = gxs[None, :] - ux[sl, None]
        dy = gys[None, :] - uy[sl, None]
        gx = np.exp(-(dx**2) / (2.0 * usx[sl, None] ** 2)) * (np.abs(dx) <= rad[sl, None])
        gy = np.exp(-(dy**2) / (2.0 * usy[sl, None] ** 2)) * (np.abs(dy) <= rad[sl, None])
        acc += (gy * wsum[sl, None]).T @ gx
    out[r0:r1, c0:c1] = acc.astype(np.float32)
    return out


def _box_from(processed: np.ndarray, raw: np.ndarray, mask: np.ndarray) -> tuple[int, int, int, int, float, float] | None:
    """BB1's box: the extent of ``mask`` (inclusive indices) and the centroid of ``raw`` inside it."""
    if not mask.any():
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])
    sub = raw[y0 : y1 + 1, x0 : x1 + 1].astype(np.float64)
    total = float(sub.sum())
    if total > 0:
        cx = x0 + float((sub.sum(axis=0) * np.arange(sub.shape[1])).sum()) / total
        cy = y0 + float((sub.sum(axis=1) * np.arange(sub.shape[0])).sum()) / total
    else:
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return x0, y0, x1, y1, cx, cy


def _log_norm(raw: np.ndarray) -> np.ndarray:
    p = np.log1p(raw + np.float32(1e-6))
    norm: np.ndarray = p / np.max(p)
    return norm


# -- DBSCAN on pixels ------------------------------------------------------------------------------------
def _standardise(v: np.ndarray) -> np.ndarray:
    """scikit-learn's StandardScaler on one column (population std; a zero std leaves the scale at 1)."""
    from sklearn.preprocessing import StandardScaler

    return np.asarray(StandardScaler().fit_transform(v.reshape(-1, 1).astype(np.float64))).reshape(-1)


def dbscan_pixels(
    rows: np.ndarray,
    cols: np.ndarray,
    intensity: np.ndarray,
    *,
    eps: float = 0.3,
    min_samples: int = 10,
    intensity_weight: float = 0.1,
    max_pairs: float = 3e6,
) -> np.ndarray:
    """``DBSCAN(eps, min_samples).fit_predict([StandardScaler(cols, rows), w * intensity])`` of pixel points.

    ``rows``/``cols`` are distinct pixels in ``np.where`` (row-major) order. When the neighbourhoods are small
    (about ``max_pairs`` neighbour pairs or fewer) scikit-learn runs as is; otherwise the same labels are
    computed on the pixel grid with bounded memory (scikit-learn would hold every neighbour list, hundreds of
    MB for a 1.5 degree map): neighbour counts by a convolution with the offsets that are always within
    ``eps`` plus an exact check of the offsets where the intensity term decides, connected components of core
    pixels merged where two come within ``eps`` (k-d tree), and each border pixel given to the first cluster,
    in order of its first core pixel, that reaches it (scikit-learn's expansion order).

    Returns
    -------
    numpy.ndarray
        One label per point, -1 for noise, clusters numbered in scikit-learn's order.
    """
    from scipy.spatial import cKDTree

    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    n = len(rows)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    fx, fy = _standardise(cols), _standardise(rows)
    # BB1 scales the float32 intensities in float32, then stacks them with the float64 coordinates
    fi = (np.asarray(intensity) * intensity_weight).astype(np.float64)
    feats = np.column_stack([fx, fy, fi])
    # pixels per standardised unit along each axis (StandardScaler's scale)
    sx = float(np.std(cols)) if np.std(cols) > 0 else 1.0
    sy = float(np.std(rows)) if np.std(rows) > 0 else 1.0
    if len(np.unique(cols)) > 1:
        sx = float((cols.max() - cols.min()) / (fx.max() - fx.min()))
    if len(np.unique(rows)) > 1:
        sy = float((rows.max() - rows.min()) / (fy.max() - fy.min()))
    if n * math.pi * (eps * sx + 1) * (eps * sy + 1) <= max_pairs:
        from sklearn.cluster import DBSCAN

        return np.asarray(DBSCAN(eps=eps, min_samples=min_samples).fit_predict(feats), dtype=np.int64)
    return _dbscan_grid(rows, cols, feats, sx, sy, eps, min_samples, cKDTree)


def _dbscan_grid(
    rows: np.ndarray, cols: np.ndarray, feats: np.ndarray, sx: float, sy: float, eps: float, min_samples: int, tree_cls: Any
) -> np.ndarray:
    from scipy import ndimage
    from scipy.signal import fftconvolve

    n = len(rows)
    r0, c0 = int(rows.min()), int(cols.min())
    h, w = int(rows.max()) - r0 + 1, int(cols.max()) - c0 + 1
    index = np.full((h, w), -1, dtype=np.int64)
    index[rows - r0, cols - c0] = np.arange(n)
    present = index >= 0
    inten = np.zeros((h, w))
    inten[rows - r0, cols - c0] = feats[:, 2]
    fi = feats[:, 2]
    c2 = float((fi.max() - fi.min()) ** 2) * (1 + 1e-9)
    e2 = eps * eps
    ry, rx = int(eps * sy) + 2, int(eps * sx) + 2
    oy, ox = np.mgrid[-ry : ry + 1, -rx : rx + 1]
    d2 = (ox / sx) ** 2 + (oy / sy) ** 2
    margin = 1e-9 * e2
    inner = d2 + c2 <= e2 - margin  # within eps whatever the intensities
    ring = (d2 <= e2 + margin) & ~inner  # the intensity decides (checked exactly below)
    counts = np.rint(fftconvolve(present.astype(np.float64), inner.astype(np.float64), mode="same")).astype(np.int64)
    # ring offsets: p and q = p + o are neighbours when d2(o) + (fi_p - fi_q)^2 <= eps^2 (d2 from the scaler's
    # scale, equal to the standardised coordinate difference up to rounding)
    pad_i = np.pad(np.where(present, inten, np.nan), ((ry, ry), (rx, rx)), constant_values=np.nan)
    diff = np.empty((h, w))
    for dy, dx, dd in zip(oy[ring].tolist(), ox[ring].tolist(), d2[ring].tolist()):
        qi = pad_i[ry + dy : ry + dy + h, rx + dx : rx + dx + w]
        np.subtract(inten, qi, out=diff)  # NaN where q is not a point
        np.square(diff, out=diff)
        counts += present & (diff <= e2 - dd)
    core_grid = present & (counts >= min_samples)
    core = np.zeros(n, dtype=bool)
    core[index[core_grid]] = True
    # components of core pixels joined by the always-neighbour 3x3 offsets, then merged where within eps
    struct = inner[ry - 1 : ry + 2, rx - 1 : rx + 2].copy()
    struct[1, 1] = True
    comp, m = ndimage.label(core_grid, structure=struct)
    labels = np.full(n, -1, dtype=np.int64)
    if m == 0:
        return labels
    comp_of = comp[rows - r0, cols - c0] - 1  # -1 for non-core
    parent = list(range(m))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    members = [np.flatnonzero(comp_of == k) for k in range(m)]
    core_idx = np.flatnonzero(core)
    for k in range(m):
        pts = members[k]
        ylo, yhi = rows[pts].min() - ry, rows[pts].max() + ry
        xlo, xhi = cols[pts].min() - rx, cols[pts].max() + rx
        cand = core_idx[
            (comp_of[core_idx] > k)
            & (rows[core_idx] >= ylo) & (rows[core_idx] <= yhi) & (cols[core_idx] >= xlo) & (cols[core_idx] <= xhi)
        ]
        cand = cand[[find(int(comp_of[c])) != find(k) for c in cand]] if len(cand) else cand
        if len(cand) == 0:
            continue
        d, _ = tree_cls(feats[pts]).query(feats[cand])
        for other in np.unique(comp_of[cand[d <= eps]]):
            parent[find(int(other))] = find(k)
    # clusters numbered by their first core point (row-major), as scikit-learn discovers them
    roots = np.array([find(int(comp_of[i])) for i in core_idx])
    first: dict[int, int] = {}
    for i, rt in zip(core_idx, roots):
        first.setdefault(int(rt), int(i))
    order = sorted(first, key=lambda rt: first[rt])
    number = {rt: k for k, rt in enumerate(order)}
    labels[core_idx] = [number[int(rt)] for rt in roots]
    border = np.flatnonzero(~core)
    for rt in order:
        if len(border) == 0:
            break
        pts = core_idx[roots == rt]
        ylo, yhi = rows[pts].min() - ry, rows[pts].max() + ry
        xlo, xhi = cols[pts].min() - rx, cols[pts].max() + rx
        near = border[(rows[border] >= ylo) & (rows[border] <= yhi) & (cols[border] >= xlo) & (cols[border] <= xhi)]
        if len(near) == 0:
            continue
        d, _ = tree_cls(feats[pts]).query(feats[near])
        got = near[d <= eps]
        labels[got] = number[rt]
        border = np.setdiff1d(border, got, assume_unique=True)
    return labels


# -- one sentence ----------------------------------------------------------------------------------------
def gazex_key_frames(
    samples: GazeSamples,
    *,
    image_size: tuple[int, int],
    t0: float,
    t1: float,
    params: GazexKeyFrameParams | None = None,
) -> SentenceKeyFrames:
    """BB1's clue and observation boxes for the samples with ``t0 <= t <= t1`` (see the module notes).

    Parameters
    ----------
    samples : all raw samples of the recording, original pixels.
    image_size : (width, height) of the original film; the grid is ``(height // 4, width // 4)``.
    t0, t1 : the window (a sentence's first word start minus 2 s, and its last word's end).
    params : BB1's constants by default.

    Returns
    -------
    SentenceKeyFrames
        Boxes in original pixels (/4 indices times 4); clues only with two or more clusters, in time order;
        empty when no sample is left in the window.
    """
    from scipy.spatial import cKDTree

    p = params or GazexKeyFrameParams()
    f = float(p.downscale)
    gw, gh = int(image_size[0]) // p.downscale, int(image_size[1]) // p.downscale
    sel = (samples.t >= t0) & (samples.t <= t1)
    if not sel.any():
        return SentenceKeyFrames()
    t = samples.t[sel]
    x, y = samples.x[sel] / f, samples.y[sel] / f
    psx, psy = samples.ppd_x[sel] / f, samples.ppd_y[sel] / f
    lo, hi = p.trim_percentiles
    xl, xh = np.percentile(x, [lo, hi])
    yl, yh = np.percentile(y, [lo, hi])
    keep = (x >= xl) & (x <= xh) & (y >= yl) & (y <= yh)
    if not keep.any():
        return SentenceKeyFrames()
    t, x, y, psx, psy = t[keep], x[keep], y[keep], psx[keep], psy[keep]
    shape = (gh, gw)

    def frame(b: tuple[int, int, int, int, float, float], tm: float, mass: float) -> KeyFrame:
        x0, y0, x1, y1, cx, cy = b
        return KeyFrame(box=Box(x0 * f, y0 * f, x1 * f, y1 * f, cx * f, cy * f), t_mean=tm, mass=mass)

    heat = splat_gaussians(x, y, psx * p.cluster_sigma_degrees, psy * p.cluster_sigma_degrees, None, shape, p.truncate_sigmas)
    clues: list[KeyFrame] = []
    peak = float(heat.max())
    if peak > 0:
        heat = heat / np.float32(peak)
        ys, xs = np.nonzero(heat > p.threshold)
        labels = dbscan_pixels(
            ys, xs, heat[ys, xs], eps=p.eps, min_samples=p.min_samples, intensity_weight=p.intensity_weight
        )
        found = sorted(set(labels.tolist()) - {-1})
        if len(found) > 1:
            tree = cKDTree(np.column_stack([x, y]))
            scored: list[tuple[float, KeyFrame]] = []
            for lab in found:
                m = labels == lab
                _, nearest = tree.query(np.column_stack([xs[m], ys[m]]).astype(np.float64))
                tm = float(np.mean(t[nearest]))
                raw = splat_gaussians(
                    x[nearest], y[nearest], psx[nearest] * p.render_sigma_degrees, psy[nearest] * p.render_sigma_degrees,
                    None, shape, p.truncate_sigmas,
                )
                if float(raw.max()) <= 0:
                    continue
                b = _box_from(_log_norm(raw), raw, _log_norm(raw) > p.clue_threshold)
                if b is not None:
                    scored.append((tm, frame(b, tm, float(heat[ys[m], xs[m]].sum()))))
            scored.sort(key=lambda s: s[0])
            clues = [k for _, k in scored]
    raw = splat_gaussians(x, y, psx * p.render_sigma_degrees, psy * p.render_sigma_degrees, None, shape, p.truncate_sigmas)
    observation = None
    if float(raw.max()) > 0:
        proc = _log_norm(raw)
        flat = proc.reshape(-1)
        thr = np.percentile(flat[flat > 0], 100.0 - p.observation_top_percent)
        b = _box_from(proc, raw, proc > thr)
        if b is not None:
            observation = frame(b, float(np.mean(t)), float(raw.sum()))
    return SentenceKeyFrames(clues=clues, observation=observation)


class _Window(Protocol):
    """A dictated sentence's first-word start and last-word end (seconds)."""

    @property
    def t_start(self) -> float: ...

    @property
    def t_end(self) -> float: ...


def reflacx_gazex_method(
    case_dir: str | os.PathLike[str], image_size: tuple[int, int], generation: dict[str, Any]
) -> Callable[[_Window], SentenceKeyFrames]:
    """The ``gazex`` method for one REFLACX case: its samples read once, the method recorded in ``generation``.

    Returns sentence -> key frames (window ``t_start - 2 s .. t_end``). Raises GazeImportError naming
    ``gaze.csv`` when it is missing or bad.
    """
    samples = read_reflacx_gaze(reflacx_gaze_path(case_dir))
    params = GazexKeyFrameParams()
    generation["key_frames"] = {"method": "gazex", "source": "gaze.csv", "samples": len(samples), "params": params.describe()}

    def frames(s: _Window) -> SentenceKeyFrames:
        return gazex_key_frames(
            samples, image_size=image_size, t0=s.t_start - params.window_before_s, t1=s.t_end, params=params
        )

    return frames
