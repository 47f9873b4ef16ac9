"""The reading: one versioned evidence document for every producer.

A model's output, an imported expert recording and a radiologist's reviewed version are all a
:class:`Reading`. It serialises to JSON (``Reading.to_json`` / ``Reading.from_json``) and is
described by the JSON Schema ``resources/reading.schema.json`` (``SCHEMA_VERSION``).

Coordinates are always pixels of the original image: x = column, y = row, origin top-left.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from itertools import repeat
from pathlib import Path
from typing import Any, Literal

import numpy as np
import orjson

SCHEMA_VERSION = "1.0"

ProducerKind = Literal["model", "expert", "radiologist", "trainee"]
LabelStatus = Literal["positive", "negative", "uncertain"]
PointKind = Literal["clue", "observation", "fixation"]
DecisionStatus = Literal["undecided", "accepted", "rejected", "edited"]

#: The 14 CheXpert observations, in CheXpert's order.
CHEXPERT_OBSERVATIONS: tuple[str, ...] = (
    "No Finding",
    "Enlarged Cardiomediastinum",
    "Cardiomegaly",
    "Lung Opacity",
    "Lung Lesion",
    "Edema",
    "Consolidation",
    "Pneumonia",
    "Atelectasis",
    "Pneumothorax",
    "Pleural Effusion",
    "Pleural Other",
    "Fracture",
    "Support Devices",
)


def utc_now() -> str:
    """The current time as an ISO 8601 string in UTC, to the millisecond."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_id(prefix: str) -> str:
    """A new stable identifier such as ``"f-3fa85f64"``."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class Box:
    """An axis-aligned region in original image pixels, with the centroid the producer gave.

    Coordinates are floats: a document may write them as JSON integers (the schema accepts any
    number), and loading turns them into floats, so ``"x_min": 12`` is saved back as ``12.0``.
    """

    x_min: float
    y_min: float
    x_max: float
    y_max: float
    centroid_x: float
    centroid_y: float

    @classmethod
    def from_corners(cls, x_min: float, y_min: float, x_max: float, y_max: float) -> Box:
        """A box whose centroid is its centre."""
        return cls(x_min, y_min, x_max, y_max, (x_min + x_max) / 2.0, (y_min + y_max) / 2.0)

    @property
    def width(self) -> float:
        return self.x_max - self.x_min

    @property
    def height(self) -> float:
        return self.y_max - self.y_min

    @property
    def centroid(self) -> tuple[float, float]:
        return (self.centroid_x, self.centroid_y)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Box:
        return cls(**{k: float(d[k]) for k in ("x_min", "y_min", "x_max", "y_max", "centroid_x", "centroid_y")})


@dataclass
class ImageRef:
    """The image a reading belongs to."""

    file_name: str
    width: int
    height: int
    pixel_sha256: str
    sop_instance_uid: str | None = None
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    sop_class_uid: str | None = None
    frame: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ImageRef:
        return cls(**d)


@dataclass
class Producer:
    """Who or what produced the reading: a model run, an expert recording, a radiologist."""

    kind: ProducerKind
    name: str
    #: model producers: checkpoint content hash, backend, device, dtype, coordinate frame
    checkpoint_sha256: str | None = None
    adapter_sha256: str | None = None
    backend: str | None = None
    device: str | None = None
    dtype: str | None = None
    coordinate_frame: str | None = None
    prompts: dict[str, str] = field(default_factory=dict)
    generation: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    #: expert producers: dataset name and reader id
    dataset: str | None = None
    reader_id: str | None = None
    created: str = field(default_factory=utc_now)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Producer:
        return cls(**d)


@dataclass
class Sentence:
    """One report sentence, with a stable id."""

    id: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Sentence:
        return cls(**d)


@dataclass
class Label:
    """One CheXpert observation named by a sentence, with its certainty."""

    observation: str
    status: LabelStatus = "positive"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Label:
        return cls(**d)


@dataclass
class Finding:
    """What one sentence says and where on the film the evidence for it is."""

    id: str
    sentence_id: str
    text: str
    labels: list[Label] = field(default_factory=list)
    observation: Box | None = None
    clues: list[Box] = field(default_factory=list)
    #: the producer's raw grounding answer, kept for audit
    raw_grounding: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: model output that is mostly not words: kept for audit, never labelled or filed as a finding
    unreadable: bool = False

    @property
    def is_pertinent_negative(self) -> bool:
        """True when every label is negative (for example "no pneumothorax")."""
        return bool(self.labels) and all(lab.status == "negative" for lab in self.labels)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sentence_id": self.sentence_id,
            "text": self.text,
            "labels": [lab.to_dict() for lab in self.labels],
            "observation": None if self.observation is None else self.observation.to_dict(),
            "clues": [b.to_dict() for b in self.clues],
            "raw_grounding": self.raw_grounding,
            "warnings": list(self.warnings),
            **({"unreadable": True} if self.unreadable else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            id=d["id"],
            sentence_id=d["sentence_id"],
            text=d["text"],
            labels=[Label.from_dict(x) for x in d.get("labels", [])],
            observation=None if d.get("observation") is None else Box.from_dict(d["observation"]),
            clues=[Box.from_dict(x) for x in d.get("clues", [])],
            raw_grounding=d.get("raw_grounding"),
            warnings=list(d.get("warnings", [])),
            unreadable=bool(d.get("unreadable", False)),
        )


@dataclass
class TrajectoryPoint:
    """One key frame (model) or fixation (expert): where, when, and which finding it serves."""

    x: float
    y: float
    t_start: float
    t_end: float
    finding_id: str | None = None
    kind: PointKind = "observation"
    #: expert fixations may carry their duration-weighted spread; model key frames leave it None
    weight: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrajectoryPoint:
        return cls(**d)


#: the TrajectoryPoint fields in constructor order, each with the value a missing key means
#: (``_MISSING`` for the required ones)
_MISSING: Any = object()
POINT_FIELDS: dict[str, Any] = {
    "x": _MISSING, "y": _MISSING, "t_start": _MISSING, "t_end": _MISSING,
    "finding_id": None, "kind": "observation", "weight": None,
}
_POINT_FIELD_SET = frozenset(POINT_FIELDS)


def trajectory_columns(points: Any) -> dict[str, list[Any]] | None:
    """A trajectory's points as columns, one list per TrajectoryPoint field.

    Parameters
    ----------
    points
        The decoded ``"trajectory"`` value of a reading document.

    Returns
    -------
    dict of str to list, or None
        ``{"x": [...], "y": [...], ...}`` in ``POINT_FIELDS`` order, a missing optional key read as
        its default and a missing required key as a sentinel that is neither a number nor ``None``;
        ``None`` when ``points`` is not a list of dicts whose keys are all TrajectoryPoint fields.
    """
    if type(points) is not list:
        return None
    n = len(points)
    if n and (set(map(type, points)) != {dict} or not set().union(*points) <= _POINT_FIELD_SET):
        return None
    return {k: list(map(dict.get, points, repeat(k, n), repeat(default, n))) for k, default in POINT_FIELDS.items()}


def points_from_columns(columns: dict[str, list[Any]]) -> list[TrajectoryPoint]:
    """TrajectoryPoints from :func:`trajectory_columns` output whose required fields are all present."""
    return list(map(TrajectoryPoint, *columns.values()))


def _trajectory_from_dicts(points: Any, columns: dict[str, list[Any]] | None) -> list[TrajectoryPoint]:
    if columns is not None and not any(_MISSING in columns[k] for k in ("x", "y", "t_start", "t_end")):
        return points_from_columns(columns)
    return [TrajectoryPoint.from_dict(x) for x in points]


#: orjson decodes integers beyond 64 bits as floats; any float this large sends the text to ``json``
_BIG = 2.0**63


def _holds_big_float(node: Any) -> bool:
    t = type(node)
    if t is float:
        return not -_BIG < node < _BIG
    if t is dict:
        return any(map(_holds_big_float, node.values()))
    if t is list:
        return any(map(_holds_big_float, node))
    return False


_NO_FLOAT_SCALARS = frozenset({int, str, bool, type(None), type(_MISSING)})
_NUMBERS_OR_NONE = frozenset({int, float, type(None)})


def _column_holds_big_float(column: list[Any]) -> bool:
    types = set(map(type, column))
    if types <= _NO_FLOAT_SCALARS:
        return False
    if types <= _NUMBERS_OR_NONE:
        a = np.array(column, dtype=np.float64)  # None -> nan, which compares false below
        return bool((np.abs(a) >= _BIG).any())
    return any(map(_holds_big_float, column))


def _document_holds_big_float(data: Any, columns: dict[str, list[Any]] | None) -> bool:
    if type(data) is not dict:
        return _holds_big_float(data)
    if any(_holds_big_float(v) for k, v in data.items() if k != "trajectory"):
        return True
    if columns is None:
        return _holds_big_float(data.get("trajectory"))
    return any(map(_column_holds_big_float, columns.values()))


def decode_json(text: str | bytes) -> tuple[Any, dict[str, list[Any]] | None]:
    """Decode a reading document: orjson, or the standard ``json`` module where they could differ.

    orjson refuses NaN, Infinity, lone surrogates and out-of-range numbers (``json`` accepts them
    and gives the error messages users see) and reads integers beyond 64 bits as floats; such a
    text is decoded again with ``json``, so the result is always what ``json.loads`` returns.

    Returns
    -------
    tuple
        The decoded document and its :func:`trajectory_columns` (``None`` when not column-shaped).

    Raises
    ------
    json.JSONDecodeError
        The text is not JSON (the standard module's message, line and column).
    """
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        data = json.loads(text)
        return data, trajectory_columns(data.get("trajectory")) if type(data) is dict else None
    columns = trajectory_columns(data.get("trajectory")) if type(data) is dict else None
    if _document_holds_big_float(data, columns):
        data = json.loads(text)
        columns = trajectory_columns(data.get("trajectory")) if type(data) is dict else None
    return data, columns


@dataclass
class Decision:
    """The radiologist's current decision on one finding."""

    finding_id: str
    status: DecisionStatus = "undecided"
    reason: str | None = None
    #: for an edited finding: the finding as the radiologist left it
    edited: Finding | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "status": self.status,
            "reason": self.reason,
            "edited": None if self.edited is None else self.edited.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Decision:
        return cls(
            finding_id=d["finding_id"],
            status=d["status"],
            reason=d.get("reason"),
            edited=None if d.get("edited") is None else Finding.from_dict(d["edited"]),
        )


@dataclass
class ReviewEvent:
    """One recorded change: who, when, what before, what after."""

    id: str
    at: str
    reviewer: str
    action: str
    finding_id: str | None = None
    before: Any = None
    after: Any = None
    #: the hash of the event before it (core.audit_chain); None in a log written before chaining
    prev_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["prev_sha256"] is None:  # a legacy event keeps its old shape
            del d["prev_sha256"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReviewEvent:
        return cls(**d)


@dataclass
class SignOff:
    """The sign-off that freezes a reviewed reading."""

    #: the signer's display name (as typed once on this workstation)
    reviewer: str
    #: when, ISO 8601 in UTC (shown in local time)
    at: str
    content_sha256: str
    #: the workstation's operating-system account that signed (None in readings signed before it was recorded)
    account: str | None = None
    #: the Ed25519 signature (core.signing); a sign-off without one is legacy (hash only, not signed)
    signature: str | None = None
    algorithm: str | None = None
    key_id: str | None = None
    public_key: str | None = None
    #: the head of the event log when signing (core.audit_chain)
    events_head: str | None = None
    canonical: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # a legacy (hash-only) sign-off, or one signed before the account was recorded, keeps its old shape
        return {k: v for k, v in asdict(self).items() if v is not None or k in ("reviewer", "at", "content_sha256")}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SignOff:
        return cls(**d)


@dataclass
class Review:
    """The radiologist's review of a reading: decisions, additions, impression, events, sign-off."""

    reviewer: str | None = None
    decisions: list[Decision] = field(default_factory=list)
    #: findings the model missed, added by the radiologist
    additions: list[Finding] = field(default_factory=list)
    impression: str | None = None
    #: "read first" mode: the radiologist's own impression written before the AI draft was revealed
    own_impression: str | None = None
    events: list[ReviewEvent] = field(default_factory=list)
    signoff: SignOff | None = None
    #: the attending's countersignature of the signed review (core.review.countersign): same content hash
    countersign: SignOff | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reviewer": self.reviewer,
            "decisions": [d.to_dict() for d in self.decisions],
            "additions": [f.to_dict() for f in self.additions],
            "impression": self.impression,
            "own_impression": self.own_impression,
            "events": [e.to_dict() for e in self.events],
            "signoff": None if self.signoff is None else self.signoff.to_dict(),
        }
        if self.countersign is not None:  # a review without one keeps its old shape
            out["countersign"] = self.countersign.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Review:
        return cls(
            reviewer=d.get("reviewer"),
            decisions=[Decision.from_dict(x) for x in d.get("decisions", [])],
            additions=[Finding.from_dict(x) for x in d.get("additions", [])],
            impression=d.get("impression"),
            own_impression=d.get("own_impression"),
            events=[ReviewEvent.from_dict(x) for x in d.get("events", [])],
            signoff=None if d.get("signoff") is None else SignOff.from_dict(d["signoff"]),
            countersign=None if d.get("countersign") is None else SignOff.from_dict(d["countersign"]),
        )


@dataclass
class ModelQuery:
    """Something the model was asked about this film after its report, and its answer: model output only.

    ``kind`` is ``"question"`` (a radiologist's question; ``findings`` are the answer's sentences, grounded like
    report sentences) or ``"grounding"`` (where is the evidence for ``prompt``, a sentence the radiologist wrote or
    edited; one finding, for review finding ``finding_id``). Never part of the report unless the radiologist adds
    it as a finding.
    """

    kind: Literal["question", "grounding"]
    prompt: str
    answer: str = ""
    findings: list[Finding] = field(default_factory=list)
    finding_id: str | None = None
    producer: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    at: str = field(default_factory=utc_now)
    id: str = field(default_factory=lambda: new_id("q"))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["findings"] = [f.to_dict() for f in self.findings]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelQuery:
        return cls(**{**d, "findings": [Finding.from_dict(x) for x in d.get("findings", [])]})


@dataclass
class Reading:
    """One evidence artifact: image, producer, report sentences, findings, trajectory, review."""

    image: ImageRef
    producer: Producer
    sentences: list[Sentence] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    trajectory: list[TrajectoryPoint] = field(default_factory=list)
    review: Review | None = None
    #: the producer's raw report text, kept for audit
    raw_report: str | None = None
    #: problems met while building the reading (unreadable boxes, truncated output), for the UI
    warnings: list[str] = field(default_factory=list)
    reading_id: str = field(default_factory=lambda: new_id("r"))
    #: the reading this one is a new version of (a change after sign-off)
    parent_id: str | None = None
    schema_version: str = SCHEMA_VERSION
    #: questions put to the model and sentences it was asked to ground (model output, not the report)
    queries: list[ModelQuery] = field(default_factory=list)

    # -- lookups -----------------------------------------------------------------------------
    def finding(self, finding_id: str) -> Finding:
        """The finding with this id (KeyError when none)."""
        for f in self.findings:
            if f.id == finding_id:
                return f
        if self.review is not None:
            for f in self.review.additions:
                if f.id == finding_id:
                    return f
        raise KeyError(finding_id)

    def finding_for_sentence(self, sentence_id: str) -> Finding | None:
        for f in self.findings:
            if f.sentence_id == sentence_id:
                return f
        return None

    @property
    def duration(self) -> float:
        """End time of the last trajectory point, in seconds (0 for an empty trajectory)."""
        return max((p.t_end for p in self.trajectory), default=0.0)

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "reading_id": self.reading_id,
            "parent_id": self.parent_id,
            "image": self.image.to_dict(),
            "producer": self.producer.to_dict(),
            "raw_report": self.raw_report,
            "sentences": [s.to_dict() for s in self.sentences],
            "findings": [f.to_dict() for f in self.findings],
            "trajectory": [p.to_dict() for p in self.trajectory],
            "review": None if self.review is None else self.review.to_dict(),
            "warnings": list(self.warnings),
            **({"queries": [q.to_dict() for q in self.queries]} if self.queries else {}),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, columns: dict[str, list[Any]] | None = None) -> Reading:
        """A Reading from its decoded document (``columns``: its :func:`trajectory_columns`, if known)."""
        trajectory = d.get("trajectory", [])
        if columns is None:
            columns = trajectory_columns(trajectory)
        return cls(
            schema_version=d.get("schema_version", SCHEMA_VERSION),
            reading_id=d["reading_id"],
            parent_id=d.get("parent_id"),
            image=ImageRef.from_dict(d["image"]),
            producer=Producer.from_dict(d["producer"]),
            raw_report=d.get("raw_report"),
            sentences=[Sentence.from_dict(x) for x in d.get("sentences", [])],
            findings=[Finding.from_dict(x) for x in d.get("findings", [])],
            trajectory=_trajectory_from_dicts(trajectory, columns),
            review=None if d.get("review") is None else Review.from_dict(d["review"]),
            warnings=list(d.get("warnings", [])),
            queries=[ModelQuery.from_dict(x) for x in d.get("queries", [])],
        )

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Reading:
        """A Reading from JSON text, without validation (see ``validation.parse_reading``)."""
        data, columns = decode_json(text)
        return cls.from_dict(data, columns=columns)

    def save(self, path: str | Path) -> None:
        """Write the reading as JSON (atomically: a temporary file, then a rename)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)
