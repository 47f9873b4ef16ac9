"""The parts of a reading document: image, producer, sentences, labels, findings, boxes, trajectory points.

Owns the value types every :class:`~gazex_viewer.core.reading.document.Reading` is built from (each with
its ``to_dict`` / ``from_dict``), the CheXpert observation names, and the id and time stamps
(:func:`new_id`, :func:`utc_now`). Coordinates are always pixels of the original image: x = column,
y = row, origin top-left. Re-exported by :mod:`gazex_viewer.core.reading.document`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

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
    return datetime.now(UTC).isoformat(timespec="milliseconds")


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
