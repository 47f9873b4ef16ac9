"""The GazeSearch agreement study: what agreement scores mean on real radiologists' scanpaths.

On the GazeSearch scanpaths (one search per (image, finding); many images searched for several findings)
three conditions are scored with every metric of :mod:`gazex_viewer.core.gaze.agreement`:

- ``unrelated``: two searches for *different* findings on the same image (what "unrelated expert gaze"
  scores: same film, same kind of reader, different question);
- ``centre_bias``: each scanpath against the centre-bias scanpath, the dataset's mean scanpath (for
  fixation index i, the mean X, Y and duration of every scanpath's i-th fixation);
- ``jitter``: each scanpath against a copy of itself with every position moved by Gaussian noise of
  ``jitter_degrees`` (1 degree = 224 / 30 px in the 224 frame) and every duration scaled by
  ``1 + N(0, 0.1)`` (what "the same gaze" scores).

Key frames (for the ICC) are clustered the way the import clusters them. ``pooled_icc`` pools the
key-frame centroids of all pairs of a condition, paired by order (key frame k with key frame k), into one
ICC(2,1) per axis, a steadier figure than the per-pair ICC (most scanpaths have 1 to 4 key frames);
``pooled_icc_matched`` does the same after nearest-partner matching, which flatters unrelated gaze
(see :func:`gazex_viewer.core.gaze.agreement.centroid_icc`). An ICC whose raters do not both vary (the
centre-bias scanpath has a single key frame) is ``nan`` with a reason in ``pooled_icc_reason``, printed
"n/a".

:func:`study_baselines` turns a study into the reference scale shipped as
``resources/agreement_baselines.json`` (:mod:`gazex_viewer.core.gaze.baselines`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from gazex_viewer.core.gaze.agreement import (
    COUNT_KEYS,
    METRIC_KEYS,
    scanpath_agreement,
)
from gazex_viewer.core.gaze.clustering import (
    FixationArray,
    KeyFrameParams,
    cluster_key_frames,
)
from gazex_viewer.core.gaze.gazesearch import import_gazesearch
from gazex_viewer.core.gaze.icc import icc_2_1, icc_undefined_reason, match_points
from gazex_viewer.core.gaze.recordings import ASSUMED_IMAGE_DEGREES, GAZESEARCH_FRAME
from gazex_viewer.core.gaze.scanpath import Scanpath, key_frames_of, scanpath_of
from gazex_viewer.core.gaze.scanpath_metrics import DENSITY_SIGMA

__all__ = [
    "CONDITIONS",
    "MAIN_METRICS",
    "StudyResult",
    "summarise",
    "gazesearch_study",
    "ordering_by_finding",
    "format_study",
    "study_figure",
    "plot_study",
    "study_baselines",
]

CONDITIONS: tuple[str, ...] = ("unrelated", "centre_bias", "jitter")
#: the metrics whose ordering (jitter > unrelated > centre bias) the study checks per finding type
MAIN_METRICS: tuple[str, ...] = ("cc", "density_cosine", "edit_similarity", "zone_jaccard")


@dataclass
class StudyResult:
    """Per-condition metric dictionaries (one per scored pair) and the finding(s) each pair belongs to."""

    scores: dict[str, list[dict[str, float]]] = field(default_factory=lambda: {c: [] for c in CONDITIONS})
    tasks: dict[str, list[tuple[str, ...]]] = field(default_factory=lambda: {c: [] for c in CONDITIONS})
    #: per condition, (icc_x, icc_y, n pairs) pooled over all pairs, key frames paired by order
    pooled_icc: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    #: the same after nearest-partner matching (biased upwards)
    pooled_icc_matched: dict[str, tuple[float, float, int]] = field(default_factory=dict)
    #: (condition, "ordered" or "matched") -> (why x is nan, why y is nan), "" when a number
    pooled_icc_reason: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    source: str = ""
    seed: int = 0
    jitter_degrees: float = 1.0
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
    res = StudyResult(source=str(path), seed=seed, jitter_degrees=jitter_degrees)
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
    pooled_order: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {c: [] for c in CONDITIONS}

    def score(cond: str, a: int | Scanpath, b: Scanpath, ka: np.ndarray, kb: np.ndarray, task: tuple[str, ...]) -> None:
        spa = paths[a] if isinstance(a, int) else a
        res.scores[cond].append(scanpath_agreement(spa, b, key_a=ka, key_b=kb))
        res.tasks[cond].append(task)
        ia, ib = match_points(ka, kb)
        pooled[cond].append((ka[ia], kb[ib]))
        k = min(len(ka), len(kb))
        pooled_order[cond].append((ka[:k], kb[:k]))

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
        for kind, source, target in (("ordered", pooled_order, res.pooled_icc), ("matched", pooled, res.pooled_icc_matched)):
            target[cond], res.pooled_icc_reason[(cond, kind)] = _pooled_icc(source[cond])
    return res


def _pooled_icc(pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[tuple[float, float, int], tuple[str, str]]:
    pairs = [pq for pq in pairs if len(pq[0])]
    if not pairs:
        return (math.nan, math.nan, 0), ("no key frame pairs", "no key frame pairs")
    a = np.concatenate([pq[0] for pq in pairs])
    b = np.concatenate([pq[1] for pq in pairs])
    rx, ry = np.column_stack([a[:, 0], b[:, 0]]), np.column_stack([a[:, 1], b[:, 1]])
    return (icc_2_1(rx), icc_2_1(ry), int(len(a))), (icc_undefined_reason(rx) or "", icc_undefined_reason(ry) or "")


def ordering_by_finding(
    res: StudyResult, metrics: Sequence[str] = MAIN_METRICS, *, statistic: str = "mean"
) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Per finding type and metric, the (jitter, unrelated, centre_bias) ``statistic`` (mean or median).

    An ``unrelated`` pair counts for both of its findings. The expected order of a sane metric is
    jitter > unrelated > centre bias.
    """
    findings = sorted({t for cond in CONDITIONS for ts in res.tasks[cond] for t in ts})
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    for f in findings:
        row: dict[str, tuple[float, float, float]] = {}
        for m in metrics:
            vals = []
            for cond in ("jitter", "unrelated", "centre_bias"):
                v = [d[m] for d, ts in zip(res.scores[cond], res.tasks[cond]) if f in ts]
                vals.append(summarise(v)[statistic])
            row[m] = (vals[0], vals[1], vals[2])
        out[f] = row
    return out


def _num(v: float, width: int = 9) -> str:
    return f"{'n/a':>{width}}" if not math.isfinite(v) else f"{v:>{width}.3f}"


def format_study(res: StudyResult) -> str:
    """The three distributions as a text table: per metric and condition, n mean sd median [q25, q75].

    Then the pooled ICCs (by order, then matched; "n/a" with the reason where undefined) and, per finding
    type, whether jitter > unrelated > centre bias holds for :data:`MAIN_METRICS`.
    """
    lines = [
        f"GazeSearch agreement study: {res.n_scanpaths} scanpaths on {res.n_images} images "
        f"({res.n_images_multi} searched for two or more findings)",
        f"pairs: unrelated {len(res.scores['unrelated'])}, centre_bias {len(res.scores['centre_bias'])}, "
        f"jitter {len(res.scores['jitter'])}",
        f"{'metric':<22}{'condition':<13}{'n':>6}{'mean':>9}{'sd':>8}{'median':>9}{'q25':>8}{'q75':>8}",
    ]
    for key in (*METRIC_KEYS[:4], *COUNT_KEYS, *METRIC_KEYS[4:]):
        for cond in CONDITIONS:
            s = summarise([d[key] for d in res.scores[cond]])
            lines.append(
                f"{key:<22}{cond:<13}{int(s['n']):>6}{_num(s['mean'])}{_num(s['sd'], 8)}{_num(s['median'])}"
                f"{_num(s['q25'], 8)}{_num(s['q75'], 8)}"
            )
    for kind, table in (("by order", res.pooled_icc), ("matched ", res.pooled_icc_matched)):
        for cond in CONDITIONS:
            ix, iy, n = table.get(cond, (math.nan, math.nan, 0))
            why = res.pooled_icc_reason.get((cond, "ordered" if kind == "by order" else "matched"), ("", ""))
            text = f"pooled ICC(2,1) {kind} {cond:<12} x {_num(ix, 0)}  y {_num(iy, 0)}  ({n} key frame pairs)"
            reasons = sorted({r for r in why if r})
            lines.append(text + (f"  n/a: {'; '.join(reasons)}" if reasons else ""))
    lines.append("(matched ICC pairs each key frame with its nearest partner first: biased upwards, secondary)")
    order = ordering_by_finding(res)
    lines.append("per finding type, mean jitter > unrelated > centre bias:")
    lines.append(f"  {'finding (jitter unrelated centre)':<28}" + "".join(f"{m:>26}" for m in MAIN_METRICS))
    for f, row in order.items():
        cells = []
        for m in MAIN_METRICS:
            j, u, c = row[m]
            ok = j > u > c
            cells.append(f"{'ok' if ok else 'NO':>3} {j:6.3f} {u:6.3f} {c:6.3f}")
        lines.append(f"  {f:<28}" + "".join(f"{c:>26}" for c in cells))
    from gazex_viewer.core.gaze.metric_names import metric_label

    lines.append("metrics:")
    lines += [f"  {key:<22}{metric_label(key)}" for key in (*METRIC_KEYS, *COUNT_KEYS)]
    return "\n".join(lines)


def study_figure(
    res: StudyResult,
    *,
    metrics: Sequence[str] = ("cc", "density_cosine", "edit_similarity", "mm_position"),
) -> Any:
    """The study's matplotlib ``Figure`` (Agg canvas): mean agreement with 95 % bars per finding type.

    One panel per metric; the legend sits above the top panel, outside every axes, so it covers no bar.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gazex_viewer.core.gaze.metric_names import metric_name, metric_unit
    from gazex_viewer.core.gaze.plot_style import apply_dark_theme

    findings = sorted({t for cond in CONDITIONS for ts in res.tasks[cond] for t in ts})
    colours = {"unrelated": "#d95f02", "centre_bias": "#7570b3", "jitter": "#1b9e77"}
    labels = {"unrelated": "unrelated expert gaze (other finding, same image)", "centre_bias": "centre bias",
              "jitter": "same gaze jittered 1°"}
    fig = Figure(figsize=(12, 2.6 * len(metrics) + 1.6), dpi=100)
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
            ax.bar(xs, means, width, yerr=errs, color=colours[cond], label=labels[cond], capsize=2)
        ax.set_ylabel(metric_name(metric), fontsize=8)
        ax.set_title(metric_unit(metric), fontsize=7, loc="right")
        ax.set_xticks(np.arange(len(findings)))
        ax.set_xticklabels(findings if m == len(metrics) - 1 else [""] * len(findings), rotation=30, ha="right")
        ax.grid(axis="y", alpha=0.3)
    top = fig.axes[0]
    handles, names = top.get_legend_handles_labels()
    fig.suptitle(
        f"GazeSearch agreement per finding type ({res.n_scanpaths} scanpaths)", fontsize=11, y=0.995
    )
    fig.legend(handles, names, ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.975), frameon=False)
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 1.0 - 0.55 / fig.get_figheight()))
    return apply_dark_theme(fig)


def plot_study(
    res: StudyResult,
    png: str | os.PathLike[str],
    *,
    metrics: Sequence[str] = ("cc", "density_cosine", "edit_similarity", "mm_position"),
) -> Path:
    """A PNG of mean agreement (with 95 % confidence bars) per finding type, one panel per metric.

    An ``unrelated`` pair counts for both of its findings. Uses matplotlib's Agg backend (no display).
    """
    png = Path(png)
    fig = study_figure(res, metrics=metrics)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    return png


def _sha256(path: str | os.PathLike[str]) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def study_baselines(res: StudyResult, *, made_by: str = "") -> dict[str, Any]:
    """The reference scale of a study, as shipped in ``resources/agreement_baselines.json``.

    Per metric and condition: n, median, mean, q25, q75 of the per-pair values (finite ones); the pooled
    ICCs; and how the figures were made (source file and its SHA-256, seed, jitter, density smoothing).
    """
    from datetime import datetime, timezone

    metrics: dict[str, dict[str, dict[str, float | None]]] = {}
    for key in (*METRIC_KEYS, *COUNT_KEYS):
        metrics[key] = {}
        for cond in CONDITIONS:
            s = summarise([d[key] for d in res.scores[cond]])
            metrics[key][cond] = {
                k: (None if not math.isfinite(s[k]) else round(s[k], 4)) for k in ("n", "median", "mean", "q25", "q75")
            }

    def icc(table: dict[str, tuple[float, float, int]], kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for cond in CONDITIONS:
            ix, iy, n = table.get(cond, (math.nan, math.nan, 0))
            why = res.pooled_icc_reason.get((cond, kind), ("", ""))
            out[cond] = {
                "x": None if not math.isfinite(ix) else round(ix, 4),
                "y": None if not math.isfinite(iy) else round(iy, 4),
                "pairs": n,
                "undefined": {a: r for a, r in zip("xy", why) if r},
            }
        return out

    src = Path(res.source) if res.source else None
    return {
        "about": (
            "Reference scale for agreement metrics: the GazeSearch agreement study "
            "(gazex_viewer.core.gaze.study). 'unrelated': two real radiologists' searches for different findings "
            "on the same image; 'jitter': each scanpath against itself with positions moved by Gaussian noise of "
            f"{res.jitter_degrees:g} degree (image taken to span {ASSUMED_IMAGE_DEGREES:g} degrees) and durations "
            "scaled by 1 + N(0, 0.1); 'centre_bias': each scanpath against the dataset's mean scanpath. A model's "
            "agreement with an expert means something only where it stands between 'unrelated' and 'jitter'."
        ),
        "made_by": made_by or "benchmarks/gazesearch_agreement.py --write-baselines",
        "made_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "source": {
            "file": src.name if src else "",
            "sha256": _sha256(src) if src is not None and src.is_file() else None,
            "scanpaths": res.n_scanpaths,
            "images": res.n_images,
            "pairs": {c: len(res.scores[c]) for c in CONDITIONS},
        },
        "settings": {
            "seed": res.seed,
            "jitter_degrees": res.jitter_degrees,
            "density_sigma_frame": DENSITY_SIGMA,
            "density_grid": [16, 16],
            "string_grid": 5,
            "icc": "ICC(2,1); icc_x/icc_y pair key frames by order, *_matched after nearest-partner matching",
        },
        "metrics": metrics,
        "pooled_icc": {"ordered": icc(res.pooled_icc, "ordered"), "matched": icc(res.pooled_icc_matched, "matched")},
    }
