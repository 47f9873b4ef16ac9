"""The reading: one versioned evidence document for every producer.

A model's output, an imported expert recording and a radiologist's reviewed version are all a
:class:`Reading`. It serialises to JSON (``Reading.to_json`` / ``Reading.from_json``) and is
described by the JSON Schema ``resources/reading.schema.json`` (``SCHEMA_VERSION``).

The parts it is built from live in :mod:`gazex_viewer.core.reading.parts` and its fast JSON decoding
in :mod:`gazex_viewer.core.reading.document_json`; both are re-exported here, so callers import every
reading type from this module. This module owns the review record (:class:`Decision`,
:class:`ReviewEvent`, :class:`SignOff`, :class:`Review`, :class:`ModelQuery`) and :class:`Reading`.

Coordinates are always pixels of the original image: x = column, y = row, origin top-left.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from gazex_viewer.core.reading.document_json import (
    POINT_FIELDS,
    decode_json,
    points_from_columns,
    trajectory_columns,
    trajectory_from_dicts,
)
from gazex_viewer.core.reading.measurements import Measurement
from gazex_viewer.core.reading.parts import (
    CHEXPERT_OBSERVATIONS,
    Box,
    DecisionStatus,
    Finding,
    ImageRef,
    Label,
    LabelStatus,
    PointKind,
    Producer,
    ProducerKind,
    Sentence,
    TrajectoryPoint,
    new_id,
    utc_now,
)

__all__ = [
    "CHEXPERT_OBSERVATIONS",
    "POINT_FIELDS",
    "SCHEMA_VERSION",
    "Box",
    "Decision",
    "DecisionStatus",
    "Finding",
    "ImageRef",
    "Label",
    "LabelStatus",
    "Measurement",
    "ModelQuery",
    "PointKind",
    "Producer",
    "ProducerKind",
    "Reading",
    "Review",
    "ReviewEvent",
    "Sentence",
    "SignOff",
    "TrajectoryPoint",
    "decode_json",
    "new_id",
    "points_from_columns",
    "trajectory_columns",
    "utc_now",
]

SCHEMA_VERSION = "1.0"


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
    """The radiologist's review of a reading: decisions, additions, impression, measurements, events, sign-off.

    ``measurements`` (rulers and cardiothoracic ratios on the film, :mod:`~gazex_viewer.core.reading.measurements`)
    are written to the document only when there are some, so a review without any keeps its old shape (and the
    signatures over it stay valid).
    """

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
    #: the radiologist's measurements, in the order they were made (changed only through review events)
    measurements: list[Measurement] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reviewer": self.reviewer,
            "decisions": [d.to_dict() for d in self.decisions],
            "additions": [f.to_dict() for f in self.additions],
            "impression": self.impression,
            "own_impression": self.own_impression,
            **({"measurements": [m.to_dict() for m in self.measurements]} if self.measurements else {}),
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
            measurements=[Measurement.from_dict(x) for x in d.get("measurements", [])],
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
            trajectory=trajectory_from_dicts(trajectory, columns),
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
