"""Trainee mode: a trainee's own reading of a film, then scored against the expert or the model.

The trainee marks where they looked (clicks, in image pixels, with the time of each click) and writes what
they saw (sentences). :func:`trainee_reading` turns that into a :class:`~gazex_viewer.core.reading.document.Reading`
(producer kind ``"trainee"``) so every overlay, playback and agreement function works on it unchanged;
:func:`score_trainee` compares it with a reference reading once the reference is revealed.
:class:`TraineeRecorder` holds the marks and sentences as they are made (the viewer's trainee mode drives it),
and :func:`score_rows` is the score as the rows a trainee reads.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gazex_viewer.core.gaze.agreement import agreement
from gazex_viewer.core.gaze.scanpath import frame_size, scanpath_of
from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Label,
    Producer,
    Reading,
    Sentence,
    TrajectoryPoint,
    new_id,
)

__all__ = [
    "CLICK_RADIUS_FRACTION",
    "Click",
    "TraineeRecorder",
    "TraineeScore",
    "score_rows",
    "score_trainee",
    "trainee_reading",
]

#: a click marks a region this fraction of the image's larger side around it (about one degree)
CLICK_RADIUS_FRACTION = 1.0 / 30.0


@dataclass(frozen=True)
class Click:
    """One mark by the trainee: where (image pixels), when (seconds since the film was shown), for which sentence.

    ``sentence`` is the index of the sentence the click supports, or ``None`` when the trainee marked a
    place before writing anything about it.
    """

    x: float
    y: float
    t: float
    sentence: int | None = None


def _labels(text: str) -> list[Label]:
    from gazex_viewer.core.reading.labels import label_sentence

    try:
        return list(label_sentence(text))
    except Exception:  # noqa: BLE001 (a sentence the labeller cannot read gets no labels; the reading stays valid)
        return []


def trainee_reading(
    clicks: Sequence[Click | tuple[float, float, float] | tuple[float, float, float, int | None]],
    sentences: Sequence[str],
    image: ImageRef,
    *,
    trainee: str | None = None,
) -> Reading:
    """A trainee's reading from their clicks and sentences.

    Parameters
    ----------
    clicks : ``Click`` s or ``(x, y, t[, sentence_index])`` tuples, image pixels and seconds.
    sentences : what the trainee wrote, one sentence each, in order.
    image : the film.
    trainee : the trainee's name, kept as the producer's reader id.

    Returns
    -------
    Reading
        Producer kind ``"trainee"``; one finding per sentence, labelled when the labeller is available,
        whose clues are small boxes (radius :data:`CLICK_RADIUS_FRACTION` of the larger image side) around
        its clicks in time order and whose observation spans them all; the trajectory holds every click as
        a fixation (kind ``"fixation"``) lasting until the next click (the last one 1 s), linked to its
        sentence's finding. Boxes are clipped to the image.

    Raises
    ------
    ValueError
        A click with a non-finite value, outside the image, or with a sentence index out of range.
    """
    cl = [c if isinstance(c, Click) else Click(*c) for c in clicks]
    for i, c in enumerate(cl):
        if not all(math.isfinite(v) for v in (c.x, c.y, c.t)):
            raise ValueError(f"click {i}: non-finite value")
        if not (0 <= c.x <= image.width and 0 <= c.y <= image.height):
            raise ValueError(f"click {i}: ({c.x:g}, {c.y:g}) is outside the image ({image.width} x {image.height})")
        if c.sentence is not None and not 0 <= c.sentence < len(sentences):
            raise ValueError(f"click {i}: sentence index {c.sentence} out of range 0..{len(sentences) - 1}")
    cl.sort(key=lambda c: c.t)
    reading = Reading(
        image=image,
        producer=Producer(kind="trainee", name=trainee or "trainee", reader_id=trainee, coordinate_frame="original"),
        raw_report=" ".join(sentences),
    )
    r = CLICK_RADIUS_FRACTION * max(image.width, image.height, 1)
    w, h = float(image.width), float(image.height)

    def box(x0: float, y0: float, x1: float, y1: float, cx: float, cy: float) -> Box:
        """A box clipped to the image."""
        return Box(max(x0, 0.0), max(y0, 0.0), min(x1, w), min(y1, h), cx, cy)

    for k, text in enumerate(sentences):
        sid, fid = new_id("s"), new_id("f")
        reading.sentences.append(Sentence(sid, text))
        mine = [c for c in cl if c.sentence == k]
        clues = [box(c.x - r, c.y - r, c.x + r, c.y + r, c.x, c.y) for c in mine]
        obs = None
        if mine:
            xs = np.array([c.x for c in mine])
            ys = np.array([c.y for c in mine])
            obs = box(xs.min() - r, ys.min() - r, xs.max() + r, ys.max() + r, float(xs.mean()), float(ys.mean()))
        reading.findings.append(
            Finding(id=fid, sentence_id=sid, text=text, labels=_labels(text), observation=obs,
                    clues=clues if len(clues) >= 2 else [])
        )
    for i, c in enumerate(cl):
        t_end = cl[i + 1].t if i + 1 < len(cl) and cl[i + 1].t > c.t else c.t + 1.0
        point_fid = None if c.sentence is None else reading.findings[c.sentence].id
        reading.trajectory.append(TrajectoryPoint(c.x, c.y, c.t, t_end, point_fid, "fixation"))
    return reading


@dataclass
class TraineeScore:
    """How a trainee's reading compares with a reference (expert or model)."""

    #: whole-film agreement metrics (:func:`gazex_viewer.core.gaze.agreement.agreement`)
    agreement: dict[str, float] = field(default_factory=dict)
    #: fraction of the reference's key-frame regions that hold at least one trainee click
    regions_found: float = float("nan")
    #: fraction of the trainee's clicks inside some reference region
    clicks_on_target: float = float("nan")
    #: positive CheXpert observations both named / only the reference named / only the trainee named
    findings_agreed: list[str] = field(default_factory=list)
    findings_missed: list[str] = field(default_factory=list)
    findings_extra: list[str] = field(default_factory=list)

    @property
    def finding_recall(self) -> float:
        """``|agreed| / (|agreed| + |missed|)``; nan when the reference names none."""
        n = len(self.findings_agreed) + len(self.findings_missed)
        return float("nan") if n == 0 else len(self.findings_agreed) / n

    @property
    def finding_precision(self) -> float:
        """``|agreed| / (|agreed| + |extra|)``; nan when the trainee names none."""
        n = len(self.findings_agreed) + len(self.findings_extra)
        return float("nan") if n == 0 else len(self.findings_agreed) / n


def _positive(reading: Reading) -> set[str]:
    return {lab.observation for f in reading.findings for lab in f.labels if lab.status == "positive"}


def _regions(reading: Reading) -> list[Box]:
    out: list[Box] = []
    for f in reading.findings:
        out.extend(f.clues)
        if f.observation is not None and not f.clues:
            out.append(f.observation)
    return out


def score_trainee(trainee: Reading, reference: Reading) -> TraineeScore:
    """Score a trainee's reading against a reference reading of the same film.

    ``regions_found`` counts the reference's regions (each finding's clue boxes, or its observation box when
    it has no clues) that contain at least one trainee point (scaled to the reference's frame);
    ``clicks_on_target`` the trainee's points inside at least one such region. The finding lists compare
    the positive CheXpert labels of both readings.
    """
    score = TraineeScore(agreement=agreement(trainee, reference))
    sp = scanpath_of(trainee)
    w, h = frame_size(reference)
    px, py = sp.x * w, sp.y * h
    regions = _regions(reference)
    if regions and len(px):
        inside = np.array([[(b.x_min <= x <= b.x_max) and (b.y_min <= y <= b.y_max) for x, y in zip(px, py)] for b in regions])
        score.regions_found = float(inside.any(axis=1).mean())
        score.clicks_on_target = float(inside.any(axis=0).mean())
    ref, mine = _positive(reference), _positive(trainee)
    score.findings_agreed = sorted(ref & mine)
    score.findings_missed = sorted(ref - mine)
    score.findings_extra = sorted(mine - ref)
    return score


# -- recording and showing the score ---------------------------------------------------------------------------
@dataclass
class TraineeRecorder:
    """The trainee's marks and sentences, in the order made.

    ``active`` is the sentence new marks belong to; ``None`` means "the next sentence written".
    """

    clock: Callable[[], float] = time.monotonic
    clicks: list[Click] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    active: int | None = None
    started: float = 0.0

    def start(self) -> None:
        """Forget everything and start the clock."""
        self.clicks.clear()
        self.sentences.clear()
        self.active = None
        self.started = self.clock()

    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.started)

    def add_click(self, x: float, y: float) -> Click:
        """A mark at image pixel (x, y) now, for the active sentence (or pending)."""
        c = Click(float(x), float(y), self.elapsed(), self.active)
        self.clicks.append(c)
        return c

    def undo_click(self) -> Click | None:
        """Remove the last mark (None when there is none)."""
        return self.clicks.pop() if self.clicks else None

    def add_sentence(self, text: str) -> int:
        """Add a sentence; the pending marks (made since the last sentence) become its marks."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("empty sentence")
        self.sentences.append(text)
        k = len(self.sentences) - 1
        self.clicks = [Click(c.x, c.y, c.t, k) if c.sentence is None else c for c in self.clicks]
        self.active = None
        return k

    def remove_sentence(self, k: int) -> None:
        """Remove sentence ``k``; its marks become pending again, later sentences move up."""
        if not 0 <= k < len(self.sentences):
            return
        del self.sentences[k]

        def shift(s: int | None) -> int | None:
            if s is None or s == k:
                return None
            return s - 1 if s > k else s

        self.clicks = [Click(c.x, c.y, c.t, shift(c.sentence)) for c in self.clicks]
        self.active = shift(self.active)

    def marks_of(self, k: int | None) -> list[Click]:
        return [c for c in self.clicks if c.sentence == k]

    def reading(self, image: ImageRef, *, trainee: str | None = None) -> Reading:
        """The trainee's reading (:func:`~gazex_viewer.core.gaze.trainee.trainee_reading`)."""
        return trainee_reading(self.clicks, self.sentences, image, trainee=trainee)


def _pct(v: float) -> str:
    return "—" if not math.isfinite(v) else f"{100 * v:.0f} %"


def _num(v: float) -> str:
    return "—" if not math.isfinite(v) else f"{v:.3f}"


def score_rows(score: TraineeScore) -> list[tuple[str, str, str]]:
    """The score as (name, shown value, what it means) rows, in the order the panel shows them."""
    ag = score.agreement
    return [
        ("Regions found", _pct(score.regions_found), "reference regions holding at least one of your marks"),
        ("Marks on target", _pct(score.clicks_on_target), "your marks inside a reference region"),
        ("Finding recall", _pct(score.finding_recall), "reference findings you named"),
        ("Finding precision", _pct(score.finding_precision), "your findings the reference also names"),
        ("Agreed", ", ".join(score.findings_agreed) or "—", "findings both named"),
        ("Missed", ", ".join(score.findings_missed) or "—", "named by the reference only"),
        ("Extra", ", ".join(score.findings_extra) or "—", "named by you only"),
        ("Gaze map CC", _num(ag.get("cc", math.nan)), "correlation of fixation maps, −1–1"),
        ("Density cosine", _num(ag.get("density_cosine", math.nan)), "0–1, higher = closer"),
        ("Scanpath similarity", _num(ag.get("edit_similarity", math.nan)), "order of 5×5 grid cells, 0–1"),
        ("Position (MultiMatch)", _num(ag.get("mm_position", math.nan)), "0–1, higher = closer"),
        ("Zones both visited", _num(ag.get("zone_jaccard", math.nan)), "ABCDEF zones, Jaccard 0–1"),
    ]
