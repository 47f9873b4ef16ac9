"""The trajectory player's clock and state, without any rendering (Qt-free, testable headless).

:class:`TrajectoryPlayback` holds the current time, speed, loop flag and trail length over a
reading's trajectory and answers which key frame (fixation) and which sentence are current.
:func:`gaze_density` precomputes the duration-weighted gaze heatmap once per reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gazex_viewer.core.reading.document import TrajectoryPoint

#: the speeds the player offers, slowest first
SPEEDS: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0)
MIN_SPEED = SPEEDS[0]
MAX_SPEED = SPEEDS[-1]


@dataclass(frozen=True)
class SentenceSpan:
    """A run of consecutive trajectory points that serve one finding (one report sentence)."""

    finding_id: str | None
    first: int
    last: int
    t_start: float
    t_end: float


class TrajectoryPlayback:
    """Clock and cursor of the trajectory player.

    Parameters
    ----------
    points
        The trajectory, ordered by ``t_start``.
    speed
        Playback speed, clamped to ``[MIN_SPEED, MAX_SPEED]``.
    loop
        Start again from 0 when the end is reached.
    trail_length
        How many points (the current one included) the fading trail shows.
    """

    def __init__(
        self,
        points: Sequence[TrajectoryPoint] = (),
        *,
        speed: float = 1.0,
        loop: bool = False,
        trail_length: int = 6,
    ) -> None:
        self._points = list(points)
        order = sorted(range(len(self._points)), key=lambda i: self._points[i].t_start)
        self._points = [self._points[i] for i in order]
        n = len(self._points)
        self.xs = np.array([p.x for p in self._points], dtype=np.float64).reshape(n)
        self.ys = np.array([p.y for p in self._points], dtype=np.float64).reshape(n)
        self.t_starts = np.array([p.t_start for p in self._points], dtype=np.float64).reshape(n)
        self.t_ends = np.array([p.t_end for p in self._points], dtype=np.float64).reshape(n)
        self.finding_ids: list[str | None] = [p.finding_id for p in self._points]
        self.duration = float(self.t_ends.max()) if n else 0.0
        self._time = 0.0
        self._speed = 1.0
        self.speed = speed
        self.loop = loop
        self._trail_length = 1
        self.trail_length = trail_length
        self.playing = False
        self.spans = self._compute_spans()

    # -- properties -----------------------------------------------------------------------------
    @property
    def points(self) -> list[TrajectoryPoint]:
        """The trajectory points in time order."""
        return self._points

    def __len__(self) -> int:
        return len(self._points)

    @property
    def time(self) -> float:
        """The current time in seconds, in ``[0, duration]``."""
        return self._time

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        self._speed = float(min(MAX_SPEED, max(MIN_SPEED, value)))

    @property
    def trail_length(self) -> int:
        return self._trail_length

    @trail_length.setter
    def trail_length(self, value: int) -> None:
        self._trail_length = max(1, int(value))

    # -- clock ----------------------------------------------------------------------------------
    def play(self) -> None:
        """Start playing (from the start when at the end); a clock of no length does not start."""
        if self.duration <= 0:
            return
        if self._time >= self.duration:
            self._time = 0.0
        self.playing = True

    def pause(self) -> None:
        self.playing = False

    def toggle(self) -> bool:
        """Play when paused, pause when playing; returns the new ``playing``."""
        if self.playing:
            self.pause()
        else:
            self.play()
        return self.playing

    def seek(self, t: float) -> None:
        """Jump to time ``t`` (seconds), clamped to ``[0, duration]``."""
        self._time = float(min(self.duration, max(0.0, t)))

    def advance(self, wall_seconds: float) -> None:
        """Move the clock on by ``wall_seconds`` of real time times the speed (only while playing)."""
        if not self.playing or self.duration <= 0:
            return
        t = self._time + wall_seconds * self._speed
        if t >= self.duration:
            if self.loop and self.duration > 0:
                t = t % self.duration
            else:
                t = self.duration
                self.playing = False
        self._time = t

    def step_next(self) -> int | None:
        """Jump to the start of the next point; returns the new current index."""
        i = self.current_index
        if not self._points:
            return None
        j = 0 if i is None else min(len(self._points) - 1, i + 1)
        self._time = float(self.t_starts[j])
        return self.current_index

    def step_previous(self) -> int | None:
        """Jump to the start of the previous point; returns the new current index."""
        i = self.current_index
        if not self._points:
            return None
        j = 0 if i is None else max(0, i - 1)
        self._time = float(self.t_starts[j])
        return self.current_index

    # -- cursor ---------------------------------------------------------------------------------
    def index_at(self, t: float) -> int | None:
        """The index of the point shown at time ``t``: the last one started at or before ``t``."""
        if not self._points:
            return None
        i = int(np.searchsorted(self.t_starts, t, side="right")) - 1
        return max(0, i)

    @property
    def current_index(self) -> int | None:
        """The index of the current point (None for an empty trajectory)."""
        return self.index_at(self._time)

    @property
    def current_finding_id(self) -> str | None:
        """The finding (sentence) whose key frames are playing now."""
        i = self.current_index
        return None if i is None else self.finding_ids[i]

    def trail_indices(self) -> range:
        """The indices of the points in the trail, oldest first, ending with the current one."""
        i = self.current_index
        if i is None:
            return range(0)
        return range(max(0, i - self._trail_length + 1), i + 1)

    def span_of(self, finding_id: str) -> SentenceSpan | None:
        """The first span of a finding, or None."""
        for s in self.spans:
            if s.finding_id == finding_id:
                return s
        return None

    def _compute_spans(self) -> list[SentenceSpan]:
        spans: list[SentenceSpan] = []
        start = 0
        for i in range(1, len(self._points) + 1):
            if i == len(self._points) or self.finding_ids[i] != self.finding_ids[start]:
                spans.append(
                    SentenceSpan(
                        self.finding_ids[start],
                        start,
                        i - 1,
                        float(self.t_starts[start]),
                        float(self.t_ends[i - 1]),
                    )
                )
                start = i
        return spans

    @property
    def boundaries(self) -> list[float]:
        """Times where a new sentence starts (after the first), for marks on a scrubber."""
        return [s.t_start for s in self.spans[1:]]


def gaze_density(
    points: Sequence[TrajectoryPoint],
    width: int,
    height: int,
    *,
    downsample: int = 8,
    sigma: float | None = None,
) -> np.ndarray:
    """Duration-weighted Gaussian gaze density at reduced resolution.

    Parameters
    ----------
    points
        Fixations or key frames in image pixels.
    width, height
        Size of the original image in pixels.
    downsample
        The density grid has ``ceil(height / downsample) x ceil(width / downsample)`` cells.
    sigma
        Gaussian spread in image pixels (default 4 % of the longer image side).

    Returns
    -------
    numpy.ndarray
        float32, shape ``(rows, cols)``, scaled so that the maximum is 1 (all zeros without points).
    """
    downsample = max(1, int(downsample))
    rows = max(1, -(-int(height) // downsample))
    cols = max(1, -(-int(width) // downsample))
    if not points:
        return np.zeros((rows, cols), dtype=np.float32)
    s = (0.04 * max(width, height) if sigma is None else float(sigma)) / downsample
    s = max(s, 0.5)
    xs = np.array([p.x for p in points], dtype=np.float64) / downsample
    ys = np.array([p.y for p in points], dtype=np.float64) / downsample
    w = np.array(
        [p.weight if p.weight is not None else max(p.t_end - p.t_start, 0.0) for p in points],
        dtype=np.float64,
    )
    if not np.any(w > 0):
        w = np.ones_like(w)
    cx = np.arange(cols, dtype=np.float64) + 0.5
    cy = np.arange(rows, dtype=np.float64) + 0.5
    gx = np.exp(-((cx[None, :] - xs[:, None]) ** 2) / (2 * s * s))  # (n, cols)
    gy = np.exp(-((cy[None, :] - ys[:, None]) ** 2) / (2 * s * s))  # (n, rows)
    density = (gy * w[:, None]).T @ gx  # (rows, cols)
    peak = float(density.max())
    if peak > 0:
        density /= peak
    return density.astype(np.float32)
