"""Key frames from fixations: the ``app`` method, modelled on GazeX's training data but not equal to them.

For each dictated sentence, the fixations from ``window_before_s`` (2 s) before the sentence starts to
its end are drawn as a heat map: one Gaussian per fixation, its standard deviation ``sigma_degrees``
(one degree of visual angle, in image pixels per axis: REFLACX's
``angular_resolution_{x,y}_pixels_per_degree``), its amplitude the part of the fixation's duration that
falls in the window. The map is normalised to a maximum of 1; the cells above ``threshold`` (0.1) are
clustered with DBSCAN (``eps`` 0.3, ``min_samples`` 10) on their standardised (x, y) plus
``intensity_weight`` (0.1) times their intensity. Each cluster's time is the mean, over its cells, of the
mid time of the nearest fixation; clusters are ordered by that time. A cluster becomes a box (the extent of
its cells) with its intensity-weighted centroid. The "observation" is the whole above-threshold region of
the sentence; with two or more clusters, the clusters are the ordered "visual clues" (with one cluster,
as in GazeX's answers, only the observation exists).

GazeX's training targets were made differently (``preprocessing_scripts/Bounding_Box_Centroid_Phase_1.py``,
reproduced exactly by :mod:`gazex_viewer.core.gaze.keyframes_gazex`, the ``gazex`` method, REFLACX only):

- raw gaze samples, not fixations (here a fixation stands for the samples it grouped, weighted by its duration);
- 5-95 percentile trimming of the samples (off here by default, ``trim_percentiles``: on a handful of
  fixations it would always drop the first and last fixation of every sentence);
- Gaussians of 1.5 degrees truncated at 3 sigma for clustering (1.0 degree, not truncated, here), on every
  pixel of the image divided by 4 (here a grid whose cell is at most half a standard deviation and whose long
  side is at most ``max_grid_side`` cells, which keeps DBSCAN fast);
- clue boxes re-rendered from the nearest samples with 1.25 degree Gaussians and ``log1p``, box above 0.1
  (here the extent of the cluster's cells), and an observation box at the 80th percentile of a 1.25 degree
  map (here the region above 0.1 of the peak).

So ``app`` boxes come out smaller than GazeX's targets (several times in area for clues on synthetic
recordings, about 1.4 times for observations), with centroids close: use ``gazex`` when expert boxes are to
be compared with a GazeX model's on the ruler the model was trained on.

Coordinates are pixels of the original image (x = column, y = row).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gazex_viewer.core.reading.document import Box

__all__ = [
    "KeyFrameParams",
    "KeyFrame",
    "SentenceKeyFrames",
    "FixationArray",
    "fixation_heat_map",
    "cluster_key_frames",
    "window_mask",
]


@dataclass(frozen=True)
class KeyFrameParams:
    """Settings of the app key-frame clustering (GazeX's DBSCAN constants; its Gaussian and grid differ)."""

    window_before_s: float = 2.0
    sigma_degrees: float = 1.0
    threshold: float = 0.1
    eps: float = 0.3
    min_samples: int = 10
    intensity_weight: float = 0.1
    max_grid_side: int = 128
    #: grid cell at most this many standard deviations wide
    cell_sigmas: float = 0.5
    trim_percentiles: tuple[float, float] | None = None


@dataclass
class FixationArray:
    """Fixations as parallel arrays (pixels of the original image, seconds, pixels per degree)."""

    x: np.ndarray
    y: np.ndarray
    t_start: np.ndarray
    t_end: np.ndarray
    ppd_x: np.ndarray
    ppd_y: np.ndarray

    def __post_init__(self) -> None:
        for name in ("x", "y", "t_start", "t_end", "ppd_x", "ppd_y"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=np.float64).reshape(-1))
        n = len(self.x)
        if any(len(getattr(self, k)) != n for k in ("y", "t_start", "t_end", "ppd_x", "ppd_y")):
            raise ValueError("fixation arrays differ in length")

    def __len__(self) -> int:
        return len(self.x)

    @property
    def duration(self) -> np.ndarray:
        d: np.ndarray = np.clip(self.t_end - self.t_start, 0.0, None)
        return d

    def subset(self, mask: np.ndarray) -> FixationArray:
        """The fixations selected by a boolean mask or index array."""
        return FixationArray(
            self.x[mask], self.y[mask], self.t_start[mask], self.t_end[mask], self.ppd_x[mask], self.ppd_y[mask]
        )


@dataclass
class KeyFrame:
    """One gaze cluster: its box (extent and intensity-weighted centroid), mean time and mass."""

    box: Box
    t_mean: float
    #: summed heat-map intensity of the cluster's cells (relative attention)
    mass: float
    #: indices (into the fixations given) of the fixations nearest to the cluster's cells
    fixation_indices: list[int] = field(default_factory=list)


@dataclass
class SentenceKeyFrames:
    """A sentence's ordered visual clues and its overall observation area."""

    clues: list[KeyFrame] = field(default_factory=list)
    observation: KeyFrame | None = None

    @property
    def key_frames(self) -> list[KeyFrame]:
        """Clues in time order, then the observation: one key frame each (GazeX's trajectory order)."""
        return [*self.clues, *([] if self.observation is None else [self.observation])]


def window_mask(fix: FixationArray, t0: float, t1: float) -> np.ndarray:
    """Fixations that overlap the time window ``[t0, t1]`` (end after t0 and start at or before t1)."""
    return (fix.t_end > t0) & (fix.t_start <= t1)


def _grid(width: float, height: float, sigma_min: float, params: KeyFrameParams) -> tuple[float, int, int]:
    cell = max(sigma_min * params.cell_sigmas, max(width, height) / params.max_grid_side, 1e-9)
    nx = max(1, int(np.ceil(width / cell)))
    ny = max(1, int(np.ceil(height / cell)))
    return cell, nx, ny


def fixation_heat_map(
    fix: FixationArray,
    weights: np.ndarray,
    *,
    image_size: tuple[float, float],
    cell: float,
    sigma_degrees: float = 1.0,
) -> np.ndarray:
    """A heat map of Gaussians on a grid of square cells.

    ``H[j, i] = sum_k w_k exp(-((cx_i - x_k)^2 / (2 sx_k^2) + (cy_j - y_k)^2 / (2 sy_k^2)))``, with
    cell centres ``cx_i = (i + 0.5) * cell`` and ``sx_k = sigma_degrees * ppd_x_k`` (likewise y).

    Parameters
    ----------
    fix : the fixations.
    weights : one amplitude per fixation (its duration in the window).
    image_size : (width, height) in pixels.
    cell : the cell side in pixels.
    sigma_degrees : the Gaussian's standard deviation in degrees of visual angle.

    Returns
    -------
    numpy.ndarray
        ``(ny, nx)`` float64, not normalised.
    """
    width, height = image_size
    nx = max(1, int(np.ceil(width / cell)))
    ny = max(1, int(np.ceil(height / cell)))
    cx = (np.arange(nx) + 0.5) * cell
    cy = (np.arange(ny) + 0.5) * cell
    sx = np.maximum(fix.ppd_x * sigma_degrees, 1e-6)
    sy = np.maximum(fix.ppd_y * sigma_degrees, 1e-6)
    gx = np.exp(-((cx[None, :] - fix.x[:, None]) ** 2) / (2 * sx[:, None] ** 2))  # (k, nx)
    gy = np.exp(-((cy[None, :] - fix.y[:, None]) ** 2) / (2 * sy[:, None] ** 2))  # (k, ny)
    density: np.ndarray = np.einsum("k,kj,ki->ji", np.asarray(weights, dtype=np.float64), gy, gx)
    return density


def cluster_key_frames(
    fix: FixationArray,
    *,
    image_size: tuple[float, float],
    t0: float = -np.inf,
    t1: float = np.inf,
    params: KeyFrameParams | None = None,
) -> SentenceKeyFrames:
    """Cluster the fixations of one time window into ordered key frames.

    Parameters
    ----------
    fix : all fixations of the reading (those overlapping ``[t0, t1]`` are used).
    image_size : (width, height) of the frame the coordinates are in, pixels.
    t0, t1 : the window (for a sentence: its start minus ``window_before_s``, and its end).
    params : clustering settings; the app method's defaults by default.

    Returns
    -------
    SentenceKeyFrames
        Empty when no fixation falls in the window.
    """
    from sklearn.cluster import DBSCAN
    from sklearn.preprocessing import StandardScaler

    params = params or KeyFrameParams()
    idx = np.flatnonzero(window_mask(fix, t0, t1))
    if idx.size == 0:
        return SentenceKeyFrames()
    sub = fix.subset(idx)
    weights = np.minimum(sub.t_end, t1) - np.maximum(sub.t_start, t0)
    weights = np.where(np.isfinite(weights), weights, sub.duration)
    weights = np.clip(weights, 0.0, None)
    if not np.any(weights > 0):
        weights = np.ones(len(sub))
    keep = np.ones(len(sub), dtype=bool)
    if params.trim_percentiles is not None and len(sub) > 2:
        lo, hi = params.trim_percentiles
        xl, xh = np.percentile(sub.x, [lo, hi])
        yl, yh = np.percentile(sub.y, [lo, hi])
        keep = (sub.x >= xl) & (sub.x <= xh) & (sub.y >= yl) & (sub.y <= yh)
        if not keep.any():
            return SentenceKeyFrames()
    idx, sub, weights = idx[keep], sub.subset(keep), weights[keep]

    width, height = float(image_size[0]), float(image_size[1])
    sigma_min = float(min(np.min(sub.ppd_x), np.min(sub.ppd_y)) * params.sigma_degrees)
    cell, _nx, _ny = _grid(width, height, sigma_min, params)
    heat = fixation_heat_map(sub, weights, image_size=(width, height), cell=cell, sigma_degrees=params.sigma_degrees)
    peak = float(heat.max())
    if peak <= 0:
        return SentenceKeyFrames()
    heat /= peak
    rows, cols = np.nonzero(heat > params.threshold)
    intensity = heat[rows, cols]
    px = (cols + 0.5) * cell
    py = (rows + 0.5) * cell
    mid = 0.5 * (np.maximum(sub.t_start, t0 if np.isfinite(t0) else -np.inf) + np.minimum(sub.t_end, t1))
    mid = np.where(np.isfinite(mid), mid, 0.5 * (sub.t_start + sub.t_end))
    # nearest fixation of every above-threshold cell (distance in pixels)
    d2 = (px[:, None] - sub.x[None, :]) ** 2 + (py[:, None] - sub.y[None, :]) ** 2
    nearest = np.argmin(d2, axis=1)

    def make(mask: np.ndarray) -> KeyFrame:
        w = intensity[mask]
        x0 = float(cols[mask].min() * cell)
        x1 = float(min((cols[mask].max() + 1) * cell, width))
        y0 = float(rows[mask].min() * cell)
        y1 = float(min((rows[mask].max() + 1) * cell, height))
        cxw = float(np.sum(px[mask] * w) / np.sum(w))
        cyw = float(np.sum(py[mask] * w) / np.sum(w))
        near = nearest[mask]
        return KeyFrame(
            box=Box(x0, y0, x1, y1, cxw, cyw),
            t_mean=float(np.mean(mid[near])),
            mass=float(np.sum(w)),
            fixation_indices=sorted(int(i) for i in idx[np.unique(near)]),
        )

    observation = make(np.ones(len(px), dtype=bool))
    if len(px) < params.min_samples:
        return SentenceKeyFrames(clues=[], observation=observation)
    features = np.column_stack(
        [StandardScaler().fit_transform(np.column_stack([px, py])), params.intensity_weight * intensity]
    )
    labels = DBSCAN(eps=params.eps, min_samples=params.min_samples).fit_predict(features)
    clusters = [make(labels == lab) for lab in sorted(set(labels.tolist()) - {-1})]
    clusters.sort(key=lambda k: k.t_mean)
    return SentenceKeyFrames(clues=clusters if len(clusters) >= 2 else [], observation=observation)
