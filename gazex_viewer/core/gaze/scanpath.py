"""Scanpaths: a reading's gaze as points in time, normalised to its image frame (0..1).

Owns :class:`Scanpath` and how one is read from a reading (:func:`scanpath_of`: fixations, or key
frames 1 s each for a model reading; :func:`key_frames_of`: the cluster centroids; :func:`frame_size`;
:func:`chest_box_of`). The agreement metrics (:mod:`~gazex_viewer.core.gaze.icc`,
:mod:`~gazex_viewer.core.gaze.scanpath_metrics`, :mod:`~gazex_viewer.core.gaze.agreement`) work on these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gazex_viewer.core.gaze.zones import ChestBox, default_chest_box
from gazex_viewer.core.reading.document import Reading

__all__ = ["Scanpath", "chest_box_of", "frame_size", "key_frames_of", "scanpath_of"]


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
