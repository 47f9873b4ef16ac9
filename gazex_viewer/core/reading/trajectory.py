"""Inspection trajectories: the model's key frames and an expert's timed fixations.

A trajectory is a list of :class:`~gazex_viewer.core.reading.document.TrajectoryPoint` ordered by start time.

- Model (GazeX): for each sentence in report order, its clue centroids in order and then its
  observation centroid, one key frame each, ``seconds_per_frame`` long (1 s at 1x speed), back to back
  (:func:`keyframe_trajectory`).
- Expert: fixations keep their recorded start and end times, gaps (saccades) included
  (:func:`fixation_trajectory`); :func:`attach_to_sentences` links each fixation to the sentence it
  precedes or accompanies.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from typing import Any

from gazex_viewer.core.reading.document import Box, Finding, PointKind, TrajectoryPoint

__all__ = [
    "keyframe_trajectory",
    "fixation_trajectory",
    "fixations_from_durations",
    "attach_to_sentences",
    "point_at",
    "sentence_boundaries",
]


def keyframe_trajectory(findings: list[Finding], *, seconds_per_frame: float = 1.0) -> list[TrajectoryPoint]:
    """The predicted inspection trajectory of a model reading.

    Parameters
    ----------
    findings
        Findings in report order.
    seconds_per_frame
        Length of one key frame at 1x speed (GazeX training: 1 frame per second).

    Returns
    -------
    list of TrajectoryPoint
        For each finding, its clue centroids in order (kind ``"clue"``), then its observation
        centroid (kind ``"observation"``); frames are back to back starting at 0. Findings without
        regions add nothing.
    """
    if not (seconds_per_frame > 0 and math.isfinite(seconds_per_frame)):
        raise ValueError(f"seconds_per_frame must be a positive number, not {seconds_per_frame!r}")
    points: list[TrajectoryPoint] = []
    k = 0
    for finding in findings:
        regions: list[tuple[Box, PointKind]] = [(box, "clue") for box in finding.clues]
        if finding.observation is not None:
            regions.append((finding.observation, "observation"))
        for box, kind in regions:
            points.append(
                TrajectoryPoint(
                    x=box.centroid_x,
                    y=box.centroid_y,
                    t_start=k * seconds_per_frame,
                    t_end=(k + 1) * seconds_per_frame,
                    finding_id=finding.id,
                    kind=kind,
                )
            )
            k += 1
    return points


def fixation_trajectory(
    fixations: Iterable[Sequence[float] | dict[str, Any]],
    *,
    finding_ids: Sequence[str | None] | None = None,
) -> list[TrajectoryPoint]:
    """A trajectory from an expert's timed fixations, keeping their real times.

    Parameters
    ----------
    fixations
        ``(x, y, t_start, t_end)`` tuples (original image pixels, seconds), or dicts with those keys
        (and optionally ``finding_id`` and ``weight``).
    finding_ids
        Optional finding id per fixation (overrides ids in dicts).

    Returns
    -------
    list of TrajectoryPoint
        Kind ``"fixation"``, sorted by start time (stable), times exactly as given.

    Raises
    ------
    ValueError
        A fixation with a non-finite value or ending before it starts.
    """
    points: list[TrajectoryPoint] = []
    for i, fx in enumerate(fixations):
        if isinstance(fx, dict):
            x, y, t0, t1 = (float(fx[k]) for k in ("x", "y", "t_start", "t_end"))
            fid = fx.get("finding_id")
            weight = None if fx.get("weight") is None else float(fx["weight"])
        else:
            x, y, t0, t1 = (float(v) for v in fx[:4])
            fid, weight = None, None
        if not all(math.isfinite(v) for v in (x, y, t0, t1)):
            raise ValueError(f"fixation {i}: non-finite value in {(x, y, t0, t1)}")
        if t1 < t0:
            raise ValueError(f"fixation {i}: ends at {t1} s before it starts at {t0} s")
        if finding_ids is not None:
            fid = finding_ids[i]
        points.append(TrajectoryPoint(x=x, y=y, t_start=t0, t_end=t1, finding_id=fid, kind="fixation", weight=weight))
    points.sort(key=lambda p: p.t_start)
    return points


def fixations_from_durations(
    xs: Sequence[float], ys: Sequence[float], durations: Sequence[float], *, t0: float = 0.0
) -> list[tuple[float, float, float, float]]:
    """``(x, y, t_start, t_end)`` fixations from positions and durations laid back to back.

    For datasets such as GazeSearch that keep only fixation durations.
    """
    if not (len(xs) == len(ys) == len(durations)):
        raise ValueError(f"xs, ys and durations differ in length: {len(xs)}, {len(ys)}, {len(durations)}")
    out: list[tuple[float, float, float, float]] = []
    t = float(t0)
    for x, y, d in zip(xs, ys, durations):
        out.append((float(x), float(y), t, t + float(d)))
        t += float(d)
    return out


def attach_to_sentences(
    points: list[TrajectoryPoint], windows: Sequence[tuple[str, float, float]]
) -> list[TrajectoryPoint]:
    """Give each fixation the finding of the sentence it serves, in place.

    Parameters
    ----------
    points
        Fixations sorted by start time.
    windows
        ``(finding_id, t_start, t_end)`` per dictated sentence, in order (word timestamps).

    Returns
    -------
    list of TrajectoryPoint
        The same points. A fixation belongs to the first sentence that ends after it starts (what
        a radiologist looks at before and while dictating a sentence supports it); fixations after
        the last sentence ends keep ``finding_id = None``.
    """
    ends = [w[2] for w in windows]
    for p in points:
        i = bisect.bisect_left(ends, p.t_start)
        p.finding_id = windows[i][0] if i < len(windows) else None
    return points


def point_at(trajectory: list[TrajectoryPoint], t: float) -> int | None:
    """Index of the current point at time ``t`` (seconds).

    The current point is the last one that started at or before ``t`` (during a gap between
    fixations the previous fixation stays current). ``None`` before the first point starts, after
    the last one ends, or for an empty trajectory. The trajectory must be sorted by start time;
    the lookup is a binary search.
    """
    if not trajectory or not math.isfinite(t):
        return None
    i = bisect.bisect_right(trajectory, t, key=lambda p: p.t_start) - 1
    if i < 0:
        return None
    if i == len(trajectory) - 1 and t > trajectory[-1].t_end:
        return None
    return i


def sentence_boundaries(trajectory: list[TrajectoryPoint]) -> list[tuple[str, float, float]]:
    """``(finding_id, t_start, t_end)`` per finding, in order of first appearance.

    A finding's span runs from the start of its first point to the end of its last point; points
    without a finding are skipped.
    """
    order: list[str] = []
    spans: dict[str, list[float]] = {}
    for p in trajectory:
        if p.finding_id is None:
            continue
        span = spans.get(p.finding_id)
        if span is None:
            spans[p.finding_id] = [p.t_start, p.t_end]
            order.append(p.finding_id)
        else:
            span[0] = min(span[0], p.t_start)
            span[1] = max(span[1], p.t_end)
    return [(fid, spans[fid][0], spans[fid][1]) for fid in order]
