"""How a reading's coordinates and clock map onto the open film: Qt-free, shared by the ui and the CLI.

Owns:

- :func:`film_frame` / :func:`reading_for_film`: how a reading's coordinates map onto the open film.
  A GazeSearch reading (``producer.coordinate_frame == "gazesearch-224"``) lives in a 224 x 224 frame;
  on a larger film it is scaled for display (x * W / 224, y * H / 224) and the notes say so. Whether
  the reading is of this film is :func:`~gazex_viewer.core.reading.identity.pixel_match`'s rule; an
  unknown pixel hash (64 zeros) is reported as unknown, never as a match.
- :class:`ClockMap`: the time of reading B shown when the player is at time t of reading A, either the
  same seconds or B stretched to A's length.
- :class:`SharedClockPlayback`: A's playback lasting as long as the longer of the two readings, so one
  player clock plays both to their ends.

The overlay that draws a reading with these (:mod:`gazex_viewer.ui.film.overlay`) is Qt, and stays in ui.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from gazex_viewer.core.reading.document import Box, Reading, TrajectoryPoint
from gazex_viewer.core.reading.identity import PixelMatch, pixel_match
from gazex_viewer.core.reading.playback import TrajectoryPlayback

__all__ = [
    "GAZESEARCH_FRAME_NAME",
    "GAZESEARCH_SIZE",
    "ClockMap",
    "Film",
    "FilmFrame",
    "HashStatus",
    "SharedClockPlayback",
    "film_frame",
    "reading_for_film",
]

GAZESEARCH_FRAME_NAME = "gazesearch-224"
GAZESEARCH_SIZE = 224

HashStatus = PixelMatch


class Film(Protocol):
    """What :func:`reading_for_film` reads of a film (a Radiograph has these; ``pixel_sha256`` may be absent)."""

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...


# -- frames ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FilmFrame:
    """How a reading's coordinates are shown on the open film.

    Attributes
    ----------
    sx, sy : scale factors from the reading's coordinates to film pixels (1 when not scaled).
    hash_status : ``"match"``, ``"differs"`` or ``"unknown"`` (the reading's hash is 64 zeros or empty).
    notes : sentences for the user (scaling, unknown hash, size mismatch).
    """

    sx: float = 1.0
    sy: float = 1.0
    hash_status: HashStatus = "match"
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def scaled(self) -> bool:
        return self.sx != 1.0 or self.sy != 1.0


def film_frame(reading: Reading, film_width: int, film_height: int, film_sha256: str | None) -> FilmFrame:
    """How ``reading`` maps onto a film of ``film_width`` x ``film_height`` pixels with hash ``film_sha256``.

    A GazeSearch 224 x 224 reading on a film of another size is scaled (x * W / 224, y * H / 224);
    any other reading is shown in its own pixels (a size mismatch is noted, not corrected).
    """
    notes: list[str] = []
    status: HashStatus = pixel_match(reading.image.pixel_sha256, film_sha256)
    if status == "unknown":
        notes.append(
            f"Image hash unknown ({reading.producer.dataset or reading.producer.name} recording): "
            "it was not checked that this reading belongs to this film."
        )
    elif status == "differs":
        notes.append("Made on an image whose pixels differ from this film: its regions may not match.")
    sx = sy = 1.0
    w, h = reading.image.width, reading.image.height
    if reading.producer.coordinate_frame == GAZESEARCH_FRAME_NAME and (film_width, film_height) != (w, h) and w > 0 and h > 0:
        sx, sy = film_width / float(w), film_height / float(h)
        notes.append(
            f"Coordinates scaled from GazeSearch's {w} × {h} frame to this film's {film_width} × {film_height} "
            f"(x × {sx:.3g}, y × {sy:.3g}; aspect not kept by GazeSearch)."
        )
    elif (w, h) != (film_width, film_height) and w > 0 and h > 0:
        notes.append(f"Made on a {w} × {h} image; this film is {film_width} × {film_height} (not rescaled).")
    return FilmFrame(sx, sy, status, tuple(notes))


def _scale_box(b: Box, sx: float, sy: float) -> Box:
    return Box(b.x_min * sx, b.y_min * sy, b.x_max * sx, b.y_max * sy, b.centroid_x * sx, b.centroid_y * sy)


def reading_for_film(reading: Reading, film: Film) -> tuple[Reading, FilmFrame]:
    """A copy of ``reading`` in the film's pixels (scaled when :func:`film_frame` says so), and the frame.

    ``film`` is a :class:`~gazex_viewer.core.imaging.radiograph.Radiograph` or anything else with
    ``width``, ``height`` (and, optionally, ``pixel_sha256``: see :class:`Film`). The copy's image size becomes the film's when scaled; its pixel hash is kept (an
    unknown hash stays unknown) and each note is added to its warnings. The input is not changed.
    """
    frame = film_frame(reading, int(film.width), int(film.height), getattr(film, "pixel_sha256", None))
    if not frame.scaled and not frame.notes:
        return reading, frame
    out = copy.deepcopy(reading)
    if frame.scaled:
        sx, sy = frame.sx, frame.sy
        out.image.width, out.image.height = int(film.width), int(film.height)
        for f in out.findings:
            f.observation = None if f.observation is None else _scale_box(f.observation, sx, sy)
            f.clues = [_scale_box(b, sx, sy) for b in f.clues]
        out.trajectory = [
            TrajectoryPoint(p.x * sx, p.y * sy, p.t_start, p.t_end, p.finding_id, p.kind, p.weight) for p in out.trajectory
        ]
        rec = out.producer.generation.get("recording") if out.producer.generation else None
        if isinstance(rec, dict) and isinstance(rec.get("chest_box"), (list, tuple)) and len(rec["chest_box"]) == 4:
            x0, y0, x1, y1 = (float(v) for v in rec["chest_box"])
            rec["chest_box"] = [x0 * sx, y0 * sy, x1 * sx, y1 * sy]
    out.warnings = [*out.warnings, *(n for n in frame.notes if n not in out.warnings)]
    return out, frame


# -- clocks --------------------------------------------------------------------------------------------
@dataclass
class ClockMap:
    """Map the player's time (reading A's clock) to reading B's time.

    ``mode`` ``"seconds"``: the same seconds (real gaze times against model key frames, 1 s each);
    ``"stretch"``: B's whole duration stretched or squeezed onto A's (both end together).
    """

    duration_a: float
    duration_b: float
    mode: Literal["seconds", "stretch"] = "seconds"

    def b_time(self, t: float) -> float:
        """B's time when the clock shows ``t``."""
        if self.mode == "stretch" and self.duration_a > 0:
            return t * self.duration_b / self.duration_a
        return t

    @property
    def clock_duration(self) -> float:
        """How long the shared clock must run to show both readings to their ends."""
        if self.mode == "stretch":
            return self.duration_a if self.duration_a > 0 else self.duration_b
        return max(self.duration_a, self.duration_b)


class SharedClockPlayback(TrajectoryPlayback):
    """Reading A's playback whose clock runs at least ``duration`` seconds (the longer reading's length).

    It plays even when A has no points of its own: B still plays on this clock.
    """

    def __init__(self, points: Sequence[TrajectoryPoint], *, duration: float, **kw: Any) -> None:
        super().__init__(points, **kw)
        self.duration = max(self.duration, float(duration))
