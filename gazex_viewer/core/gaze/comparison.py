"""Two readings of one film compared: the pair as shown on the film, their agreement, and how each metric is named.

Qt-free, shared by the viewer's compare mode (``gazex_viewer.ui.compare``) and ``gazex-viewer compare``:

- :data:`METRIC_INFO`, :data:`METRIC_NAMES`, :func:`metric_range`, :func:`format_value`, :func:`format_number`,
  :func:`describe_reading`: what a metric is, how it reads and how its value is written.
- :class:`Comparison` and :func:`compare_readings`: reading A and reading B, their display copies on a film
  (:func:`~gazex_viewer.core.reading.frames.reading_for_film`), whole-film agreement
  (:func:`~gazex_viewer.core.gaze.agreement.agreement`), per-sentence agreement
  (:func:`~gazex_viewer.core.gaze.agreement.sentence_agreement`) and the zones each visited, computed on the
  readings as loaded.
- :func:`run`: the agreement of a pair as a background task (Orange's ``run(..., state)`` style): it reports
  progress to a :class:`TaskState` and stops early when asked to; the caller runs it in a thread and only
  receives its result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from gazex_viewer.core.gaze.agreement import (
    COUNT_KEYS,
    METRIC_KEYS,
    SentenceAgreement,
    agreement,
    chest_box_of,
    film_mismatch,
    scanpath_of,
    sentence_agreement,
    zone_agreement,
)
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.frames import Film, FilmFrame, reading_for_film

__all__ = [
    "BACKGROUND_WORK",
    "METRIC_INFO",
    "METRIC_NAMES",
    "SENTENCE_METRICS",
    "WHOLE_ROWS",
    "Comparison",
    "Interrupted",
    "PairAgreement",
    "TaskState",
    "compare_readings",
    "describe_reading",
    "format_number",
    "format_value",
    "metric_range",
    "pair_agreement",
    "run",
]

#: metric -> (what it is, range and direction), for the viewer's tables and their tooltips
METRIC_INFO: dict[str, tuple[str, str]] = {
    "icc_x": ("ICC(2,1) of key-frame x, key frame k of A paired with key frame k of B", "≤1, higher"),
    "icc_y": ("ICC(2,1) of key-frame y, key frame k of A paired with key frame k of B", "≤1, higher"),
    "icc_x_matched": (
        (
            "ICC(2,1) of key-frame x after pairing each with its nearest partner: that pairing picks the pairs "
            "that agree best, so it is biased upwards (unrelated gaze scores high)"
        ),
        "≤1, higher",
    ),
    "icc_y_matched": (
        (
            "ICC(2,1) of key-frame y after pairing each with its nearest partner: that pairing picks the pairs "
            "that agree best, so it is biased upwards (unrelated gaze scores high)"
        ),
        "≤1, higher",
    ),
    "n_paired": ("key frames paired by order (for the ICC)", "count"),
    "n_matched": ("key frames matched to nearest partners (for the matched ICC)", "count"),
    "density_cosine": ("cosine of gaze density grids smoothed by a 1° Gaussian", "0–1, higher"),
    "cc": ("correlation of fixation maps (CC)", "−1–1, higher"),
    "edit_distance": ("edit distance of 5×5 grid strings", "≥0, lower"),
    "edit_similarity": ("1 − edit distance / length", "0–1, higher"),
    "mm_vector": ("MultiMatch vector (shape)", "0–1, higher"),
    "mm_direction": ("MultiMatch direction", "0–1, higher"),
    "mm_length": ("MultiMatch saccade length", "0–1, higher"),
    "mm_position": ("MultiMatch position", "0–1, higher"),
    "mm_duration": ("MultiMatch duration", "0–1, higher"),
    "zone_jaccard": ("ABCDEF zones visited by both (Jaccard)", "0–1, higher"),
    "zone_order_similarity": ("order of first zone visits", "0–1, higher"),
}
#: metric -> the name a trainee reads in the tables (the raw key stays in the tooltip)
METRIC_NAMES: dict[str, str] = {
    "icc_x": "ICC x (cluster centroids)",
    "icc_y": "ICC y (cluster centroids)",
    "icc_x_matched": "ICC x, matched (biased ↑)",
    "icc_y_matched": "ICC y, matched (biased ↑)",
    "n_paired": "Key frames paired (for ICC)",
    "n_matched": "Key frames matched",
    "density_cosine": "Gaze density similarity (cosine)",
    "cc": "Fixation-map correlation (CC)",
    "edit_distance": "Scanpath edit distance (5×5 grid)",
    "edit_similarity": "Scanpath similarity (1 − edit)",
    "mm_vector": "MultiMatch: shape",
    "mm_direction": "MultiMatch: direction",
    "mm_length": "MultiMatch: saccade length",
    "mm_position": "MultiMatch: position",
    "mm_duration": "MultiMatch: duration",
    "zone_jaccard": "Zones visited by both (Jaccard)",
    "zone_order_similarity": "Zone visit order similarity",
}
#: the metrics shown per sentence in the viewer
SENTENCE_METRICS: tuple[str, ...] = ("cc", "density_cosine", "edit_similarity", "mm_position")
#: the whole-film rows, in the order the viewer's table and the command line show them (ICCs, counts, the rest)
WHOLE_ROWS: tuple[str, ...] = (*METRIC_KEYS[:4], *COUNT_KEYS, *METRIC_KEYS[4:])
#: above this many (A points x B points) the viewer computes the agreement off the UI thread
BACKGROUND_WORK = 20_000

#: what :func:`pair_agreement` returns: whole-film metrics, per-sentence agreement, zone orders of A and B
PairAgreement = tuple[dict[str, float], list[SentenceAgreement], tuple[str, str]]


def metric_range(key: str) -> str:
    """A metric's range and which way is better, in a few characters ("0–1 ↑", "≥0 ↓", "count")."""
    rng = METRIC_INFO[key][1]
    return rng.replace(", higher", " ↑").replace(", lower", " ↓")


def format_number(v: float) -> str:
    """A value with 3 decimals, ``n/a`` when it is not a number."""
    return "n/a" if not math.isfinite(v) else f"{v:.3f}"


def format_value(key: str, v: float) -> str:
    """How a metric value is shown: 3 decimals, counts as integers, ``n/a`` when it cannot be computed."""
    if not math.isfinite(v):
        return "n/a"
    if key in (*COUNT_KEYS, "edit_distance"):
        return f"{round(v)}"
    return f"{v:.3f}"


def describe_reading(reading: Reading) -> str:
    """One line: producer kind and name, points, duration (for the legend and the panel)."""
    p = reading.producer
    who = {"model": "model", "expert": "expert", "trainee": "trainee", "radiologist": "radiologist"}.get(p.kind, p.kind)
    name = p.dataset or p.name
    n = len(reading.trajectory)
    kind = "fixations" if any(q.kind == "fixation" for q in reading.trajectory) else "key frames"
    return f"{who} {name}: {n} {kind}, {reading.duration:.1f} s"


@dataclass
class Comparison:
    """Two readings of one film, as loaded and as shown, with their agreement."""

    a: Reading
    b: Reading
    a_shown: Reading
    b_shown: Reading
    frame_a: FilmFrame
    frame_b: FilmFrame
    whole: dict[str, float] = field(default_factory=dict)
    sentences: list[SentenceAgreement] = field(default_factory=list)
    zones: tuple[str, str] = ("", "")
    grid: tuple[int, int] = (16, 16)
    #: False while the agreement is still being computed
    ready: bool = False
    #: why A and B are readings of different films (:func:`~gazex_viewer.core.gaze.agreement.film_mismatch`), or None
    different_films: str | None = None

    @property
    def notes(self) -> list[str]:
        return [*(f"A: {n}" for n in self.frame_a.notes), *(f"B: {n}" for n in self.frame_b.notes)]

    def set_agreement(self, result: PairAgreement) -> None:
        """Take the agreement computed by :func:`pair_agreement` (or :func:`run`); the comparison is then ready."""
        self.whole, self.sentences, self.zones = result
        self.ready = True


def pair_agreement(a: Reading, b: Reading, *, grid: tuple[int, int] = (16, 16)) -> PairAgreement:
    """Whole-film agreement, per-sentence agreement and the zone orders of ``a`` and ``b``."""
    z = zone_agreement(scanpath_of(a), scanpath_of(b), chest_box_of(a), chest_box_of(b))
    return agreement(a, b, grid=grid), sentence_agreement(a, b, grid=grid), (str(z["zones_a"]), str(z["zones_b"]))


def compare_readings(
    a: Reading, b: Reading, film: Film | None, *, grid: tuple[int, int] = (16, 16), metrics: bool = True
) -> Comparison:
    """The pair on ``film`` (a ``Radiograph``; None: each as loaded): display copies and (with ``metrics``) agreement.

    Agreement is computed on ``a`` and ``b`` as given (each normalised to its own frame), so the numbers
    equal ``agreement(a, b, grid=grid)`` and ``sentence_agreement(a, b, grid=grid)``.
    """
    if film is None:
        (a_shown, fa), (b_shown, fb) = (a, FilmFrame()), (b, FilmFrame())
    else:
        a_shown, fa = reading_for_film(a, film)
        b_shown, fb = reading_for_film(b, film)
    cmp = Comparison(
        a=a, b=b, a_shown=a_shown, b_shown=b_shown, frame_a=fa, frame_b=fb, grid=grid, different_films=film_mismatch(a, b)
    )
    if metrics:
        cmp.set_agreement(pair_agreement(a, b, grid=grid))
    return cmp


# -- the background task ---------------------------------------------------------------------------------------
class TaskState(Protocol):
    """What :func:`run` reports to, and asks, whoever runs it (Orange's ``TaskState``)."""

    def set_progress_value(self, percent: float) -> None:
        """How far the task is, 0 to 100."""

    def is_interruption_requested(self) -> bool:
        """True once the caller no longer wants the result (B changed, the comparison ended)."""


class Interrupted(Exception):
    """Raised by :func:`run` when its state asked it to stop; the caller discards the task."""


def run(a: Reading, b: Reading, grid: tuple[int, int], state: TaskState) -> PairAgreement:
    """The agreement of ``a`` and ``b`` (as :func:`pair_agreement`), reporting progress to ``state``.

    Meant for a worker thread: it touches nothing but its arguments. Between its three steps (zones,
    whole film, per sentence) it checks ``state.is_interruption_requested()`` and raises
    :class:`Interrupted` if so.
    """

    def step(percent: float) -> None:
        if state.is_interruption_requested():
            raise Interrupted
        state.set_progress_value(percent)

    step(0.0)
    z = zone_agreement(scanpath_of(a), scanpath_of(b), chest_box_of(a), chest_box_of(b))
    step(10.0)
    whole = agreement(a, b, grid=grid)
    step(60.0)
    per = sentence_agreement(a, b, grid=grid)
    step(100.0)
    return whole, per, (str(z["zones_a"]), str(z["zones_b"]))
