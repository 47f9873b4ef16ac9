"""The GazeSearch agreement study: what agreement scores mean on real radiologists' scanpaths.

On the GazeSearch scanpaths (one search per (image, finding); many images searched for several findings)
three conditions are scored with every metric of :mod:`gazex_viewer.core.agreement`:

- ``unrelated``: two searches for *different* findings on the same image (what "unrelated expert gaze"
  scores: same film, same kind of reader, different question);
- ``centre_bias``: each scanpath against the centre-bias scanpath, the dataset's mean scanpath (for
  fixation index i, the mean X, Y and duration of every scanpath's i-th fixation);
- ``jitter``: each scanpath against a copy of itself with every position moved by Gaussian noise of
  ``jitter_degrees`` (1 degree = 224 / 30 px in the 224 frame) and every duration scaled by
  ``1 + N(0, 0.1)`` (what "the same gaze" scores).

Key frames (for the ICC) are clustered the way the import clusters them. ``pooled_icc`` pools the matched
key-frame centroids of all pairs of a condition into one ICC(2,1) per axis, a steadier figure than the
per-pair ICC (most scanpaths have 1 to 4 key frames).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np

from gazex_viewer.core.agreement import (
    METRIC_KEYS,
    Scanpath,
    icc_2_1,
    key_frames_of,
    match_points,
    scanpath_agreement,
    scanpath_of,
)
from gazex_viewer.core.gaze_clustering import FixationArray, KeyFrameParams, cluster_key_frames
from gazex_viewer.core.gaze_import import ASSUMED_IMAGE_DEGREES, GAZESEARCH_FRAME, import_gazesearch

__all__ = ["CONDITIONS", "StudyResult", "summarise", "gazesearch_study", "format_study", "plot_study"]

CONDITIONS: tuple[str, ...] = ("unrelated", "centre_bias", "jitter")


@dataclass
class StudyResult:
    """Per-condition metric dictionaries (one per scored pair) and the finding(s) each pair belongs to."""

    scores: dict[str, list[dict[str, float]]] = field(default_factory=lambda: {c: [] for c in CONDITIONS})
    tasks: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: {c: [] for c in CONDITIONS})
    pooled_icc: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    n_scanpaths: int = 0
    n_images: int = 0
    n_images_multi: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def summarise(values: Sequence[float]) -> dict[str, float]:
    """n (finite values), mean, sd, median, 25th and 75th percentiles; nan statistics when none is finite."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=np.float64)
    if v.size == 0:
        return {"n": 0.0, "mean": math.nan, "sd": math.nan, "median": math.nan, "q25": math.nan, "q75": math.nan}
    return {
        "n": float(v.size),
        "mean": float(v.mean()),
        "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0,
        "median": float(np.median(v)),
        "q25": float(np.percentile(v, 25)),
        "q75": float(np.percentile(v, 75)),
    }


def _key_frames(sp: Scanpath, params: KeyFrameParams) -> np.ndarray:
    n = len(sp)
    ppd = GAZESEARCH_FRAME / ASSUMED_IMAGE_DEGREES
    fix = FixationArray(
        sp.x * GAZESEARCH_FRAME, sp.y * GAZESEARCH_FRAME, sp.t_start, sp.t_end, np.full(n, ppd), np.full(n, ppd)
    )
    kf = cluster_key_frames(fix, image_size=(GAZESEARCH_FRAME, GAZESEARCH_FRAME), params=params)
    return np.array([(k.box.centroid_x / GAZESEARCH_FRAME, k.box.centroid_y / GAZESEARCH_FRAME) for k in kf.key_frames]).reshape(-1, 2)


def gazesearch_study(
    path: str | os.PathLike[str],
    *,
    limit: int | None = None,
    seed: int = 0,
    jitter_degrees: float = 1.0,
    progress: Callable[[str, int, int], None] | None = None,
) -> StudyResult:
    """Run the study on a GazeSearch scanpath JSON (see the module notes).

    Parameters
    ----------
    path : the GazeSearch JSON.
    limit : use only the first ``limit`` scanpaths (for tests).
    seed : the jitter's random seed.
    jitter_degrees : the standard deviation of the positional jitter, degrees of visual angle.
    progress : called with (stage, done, total).
    """
    import time

    params = KeyFrameParams(window_before_s=0.0)
    res = StudyResult()
    t0 = time.perf_counter()
    readings = import_gazesearch(
        path, limit=limit, progress=None if progress is None else (lambda d, n: progress("import", d, n))
    )
    res.seconds["import"] = time.perf_counter() - t0
    res.n_scanpaths = len(readings)
    paths = [scanpath_of(r) for r in readings]
    keys = [key_frames_of(r) for r in readings]
    tasks = [str(r.producer.generation["recording"]["task"]) for r in readings]
    by_image: dict[str, list[int]] = {}
    for i, r in enumerate(readings):
        by_image.setdefault(r.image.file_name, []).append(i)
    res.n_images = len(by_image)
    res.n_images_multi = sum(1 for v in by_image.values() if len(v) >= 2)
    pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in CONDITIONS}

    def score(cond: str, a: int | Scanpath, b: Scanpath, ka: np.ndarray, kb: np.ndarray, task: tuple[str, ...]) -> None:
        spa = paths[a] if isinstance(a, int) else a
        res.scores[cond].append(scanpath_agreement(spa, b, key_a=ka, key_b=kb))
        res.tasks[cond].append(task)
        ia, ib = match_points(ka, kb)
        pooled[cond].append((ka[ia], kb[ib]))

    # unrelated: different findings, same image
    t0 = time.perf_counter()
    for idx in by_image.values():
        for i, j in combinations(idx, 2):
            score("unrelated", i, paths[j], keys[i], keys[j], (tasks[i], tasks[j]))
    res.seconds["unrelated"] = time.perf_counter() - t0

    # centre bias: the dataset's mean scanpath
    t0 = time.perf_counter()
    longest = max(len(p) for p in paths)
    mx, my, md = [], [], []
    for k in range(longest):
        at = [p for p in paths if len(p) > k]
        mx.append(float(np.mean([p.x[k] for p in at])))
        my.append(float(np.mean([p.y[k] for p in at])))
        md.append(float(np.mean([p.duration[k] for p in at])))
    centre = Scanpath.from_points(mx, my, md)
    centre_keys = _key_frames(centre, params)
    for i, p in enumerate(paths):
        score("centre_bias", i, centre, keys[i], centre_keys, (tasks[i],))
    res.seconds["centre_bias"] = time.perf_counter() - t0

    # jitter: the same gaze, moved by about one degree
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    sd = jitter_degrees / ASSUMED_IMAGE_DEGREES  # in frame units
    for i, p in enumerate(paths):
        jx = np.clip(p.x + rng.normal(0.0, sd, len(p)), 0.0, 1.0)
        jy = np.clip(p.y + rng.normal(0.0, sd, len(p)), 0.0, 1.0)
        jd = p.duration * np.clip(1.0 + rng.normal(0.0, 0.1, len(p)), 0.1, None)
        jit = Scanpath.from_points(jx, jy, jd)
        score("jitter", i, jit, keys[i], _key_frames(jit, params), (tasks[i],))
        if progress is not None and i % 250 == 0:
            progress("jitter", i, len(paths))
    res.seconds["jitter"] = time.perf_counter() - t0

    for cond in CONDITIONS:
        pairs = [pq for pq in pooled[cond] if len(pq[0])]
        if pairs:
            a = np.concatenate([pq[0] for pq in pairs])
            b = np.concatenate([pq[1] for pq in pairs])
            res.pooled_icc[cond] = (
                icc_2_1(np.column_stack([a[:, 0], b[:, 0]])),
                icc_2_1(np.column_stack([a[:, 1], b[:, 1]])),
                int(len(a)),
            )
        else:
            res.pooled_icc[cond] = (math.nan, math.nan, 0)
    return res


def format_study(res: StudyResult) -> str:
    """The three distributions as a text table: per metric and condition, n mean sd median [q25, q75]."""
    lines = [
        f"GazeSearch agreement study: {res.n_scanpaths} scanpaths on {res.n_images} images "
        f"({res.n_images_multi} searched for two or more findings)",
        f"pairs: unrelated {len(res.scores['unrelated'])}, centre_bias {len(res.scores['centre_bias'])}, "
        f"jitter {len(res.scores['jitter'])}",
        f"{'metric':<22}{'condition':<13}{'n':>6}{'mean':>9}{'sd':>8}{'median':>9}{'q25':>8}{'q75':>8}",
    ]
    for key in (*METRIC_KEYS[:2], "n_matched", *METRIC_KEYS[2:]):
        for cond in CONDITIONS:
            s = summarise([d[key] for d in res.scores[cond]])
            lines.append(
                f"{key:<22}{cond:<13}{int(s['n']):>6}{s['mean']:>9.3f}{s['sd']:>8.3f}{s['median']:>9.3f}"
                f"{s['q25']:>8.3f}{s['q75']:>8.3f}"
            )
    for cond in CONDITIONS:
        ix, iy, n = res.pooled_icc.get(cond, (math.nan, math.nan, 0))
        lines.append(f"pooled ICC(2,1) {cond:<12} x {ix:.3f}  y {iy:.3f}  ({n} matched key frames)")
    return "\n".join(lines)


def plot_study(
    res: StudyResult,
    png: str | os.PathLike[str],
    *,
    metrics: Sequence[str] = ("cc", "density_cosine", "edit_similarity", "mm_position"),
) -> Path:
    """A PNG of mean agreement (with 95 % confidence bars) per finding type, one panel per metric.

    An ``unrelated`` pair counts for both of its findings. Uses matplotlib's Agg backend (no display).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    png = Path(png)
    findings = sorted({t for cond in CONDITIONS for ts in res.tasks[cond] for t in ts})
    colours = {"unrelated": "#d95f02", "centre_bias": "#7570b3", "jitter": "#1b9e77"}
    fig = Figure(figsize=(12, 2.6 * len(metrics) + 1.2), dpi=100)
    FigureCanvasAgg(fig)
    width = 0.8 / len(CONDITIONS)
    for m, metric in enumerate(metrics):
        ax = fig.add_subplot(len(metrics), 1, m + 1)
        for c, cond in enumerate(CONDITIONS):
            means, errs = [], []
            for f in findings:
                vals = [d[metric] for d, ts in zip(res.scores[cond], res.tasks[cond]) if f in ts]
                s = summarise(vals)
                means.append(s["mean"])
                errs.append(1.96 * s["sd"] / math.sqrt(s["n"]) if s["n"] > 1 else 0.0)
            xs = np.arange(len(findings)) + (c - (len(CONDITIONS) - 1) / 2) * width
            ax.bar(xs, means, width, yerr=errs, color=colours[cond], label=cond.replace("_", " "), capsize=2)
        ax.set_ylabel(metric)
        ax.set_xticks(np.arange(len(findings)))
        ax.set_xticklabels(findings if m == len(metrics) - 1 else [""] * len(findings), rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
        if m == 0:
            ax.legend(ncol=3, fontsize=8, loc="upper right")
            ax.set_title(
                f"GazeSearch agreement per finding type ({res.n_scanpaths} scanpaths; unrelated = other finding, same image)"
            )
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    return png
