"""The final report: what the radiologist decided, as one pure-data model every output renders.

:func:`build_final_report` turns a :class:`~gazex_viewer.core.reading.document.Reading` and its review into a
:class:`FinalReport`. The Report tab, the PDF (:mod:`gazex_viewer.core.export.pdf`) and the DICOM SR
(:mod:`gazex_viewer.core.export.sr`) all render from it, so they cannot disagree:

- the body: the final findings (accepted, edited, added) in report order, filed by their *current*
  labels into "Findings" (positive or uncertain) and "Pertinent negatives" (every label negative),
  numbered 1..n in that order; then the impression. A draft also lists the AI findings not yet
  decided, clearly marked, after the final ones;
- the appendix "AI draft and decisions (audit trail)": every AI sentence with the reviewer's
  decision, reason, who and when, and the findings the reviewer added. A rejected AI finding
  appears *only* here;
- the radiologist's measurements ("Measurements": each ruler and cardiothoracic ratio with its text, e.g.
  "48.2 mm (at detector)", "CTR 0.56"), in the order they were made;
- the status (draft or final), the signer (display name, operating-system account, UTC time), the attending
  who countersigned it (only while the countersignature verifies: same content hash, see
  :mod:`gazex_viewer.core.review.countersign`), and the patient/study identity from the DICOM header
  (:mod:`gazex_viewer.core.reading.patient_identity`).

Every text a person reads is already prettified (:func:`~gazex_viewer.core.reading.report_display.display_sentence`);
the raw text stays in the reading (``raw_text``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import tzinfo
from functools import lru_cache
from typing import Literal

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.reading.document import Box, Finding, Label, Reading, ReviewEvent
from gazex_viewer.core.reading.labels import label_sentence
from gazex_viewer.core.reading.measurements import Measurement
from gazex_viewer.core.reading.patient_identity import PatientIdentity, unknown_identity
from gazex_viewer.core.reading.report_display import (
    display_sentence,
    display_text,
    local_time_text,
)

__all__ = [
    "AUDIT_HEADING", "AuditEntry", "FinalReport", "ReportFinding", "ReportMeasurement", "Signer", "build_final_report",
]

#: how each kind of measurement is named in the report
MEASUREMENT_NAMES = {"length": "Length", "ctr": "Cardiothoracic ratio"}


@dataclass(frozen=True)
class ReportMeasurement:
    """One measurement as the report lists it: "M1  Length: 48.2 mm (at detector)"."""

    number: int
    measurement: Measurement

    @property
    def name(self) -> str:
        return MEASUREMENT_NAMES[self.measurement.kind]

    @property
    def text(self) -> str:
        """The measurement's value with its unit and spacing kind (``Measurement.text``)."""
        return self.measurement.text

    @property
    def line(self) -> str:
        return f"{self.name}: {self.text}"

ReportStatus = Literal["draft", "final"]
#: the heading of the appendix, everywhere it is shown
AUDIT_HEADING = "AI draft and decisions (audit trail)"
#: what a finding with no words is shown as
NO_TEXT = "(finding without text)"

_DECISION_WORDS = {
    "accepted": "accepted",
    "edited": "edited",
    "rejected": "rejected",
    "undecided": "not yet decided",
    "added": "added by the reviewer",
    "no finding": "not offered for review (no finding linked to this sentence)",
}


@dataclass(frozen=True)
class ReportFinding:
    """One finding of the report body."""

    number: int
    finding_id: str
    #: the sentence as a person reads it
    text: str
    #: the sentence as stored in the reading
    raw_text: str
    #: accepted, edited, added; "undecided" only in a draft
    origin: str
    #: filed under "Pertinent negatives" (every current label negative)
    negative: bool
    labels: tuple[Label, ...]
    #: the labels were derived from the words because the finding had none
    labels_derived: bool
    observation: Box | None
    clues: tuple[Box, ...]
    #: the AI's own sentence of an edited finding (display form); None otherwise
    ai_text: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One line of the appendix: an AI sentence (or an addition) and what the reviewer did with it."""

    number: int
    finding_id: str | None
    #: the AI's sentence (display form); empty for an added finding
    ai_text: str
    decision: str
    #: the sentence as it stands in the report (edited or added); None when not in the report
    final_text: str | None
    reason: str | None
    #: when the decision was recorded (ISO 8601, UTC) and by whom; None when nothing was recorded
    at: str | None
    by: str | None

    @property
    def decision_words(self) -> str:
        return _DECISION_WORDS.get(self.decision, self.decision)

    def at_local(self, tz: tzinfo | None = None) -> str:
        return local_time_text(self.at, tz) if self.at else "—"


@dataclass(frozen=True)
class Signer:
    """Who signed and when (stored in UTC)."""

    name: str
    account: str | None
    at: str
    content_sha256: str

    def at_local(self, tz: tzinfo | None = None) -> str:
        return local_time_text(self.at, tz)

    @property
    def who(self) -> str:
        """"Dr A. Smith (OS account asmith)", or the name alone when no account was recorded."""
        return f"{self.name} (OS account {self.account})" if self.account else self.name


@dataclass(frozen=True)
class FinalReport:
    """The report as signed (or as it stands, for a draft). Pure data."""

    status: ReportStatus
    findings: tuple[ReportFinding, ...]
    #: a draft's AI findings still undecided (never in a final report)
    undecided: tuple[ReportFinding, ...]
    impression: str | None
    own_impression: str | None
    audit: tuple[AuditEntry, ...]
    signer: Signer | None
    reviewer: str | None
    identity: PatientIdentity
    reading_id: str
    parent_id: str | None
    producer: str
    image_file_name: str
    image_size: tuple[int, int]
    study_instance_uid: str | None
    warnings: tuple[str, ...] = field(default=())
    #: the attending's countersignature of a final report (same content hash), or None
    countersigner: Signer | None = None
    #: the radiologist's measurements ("Measurements"), in the order they were made
    measurements: tuple[ReportMeasurement, ...] = field(default=())

    @property
    def is_final(self) -> bool:
        return self.status == "final"

    @property
    def positives(self) -> list[ReportFinding]:
        return [f for f in self.findings if not f.negative]

    @property
    def negatives(self) -> list[ReportFinding]:
        return [f for f in self.findings if f.negative]

    @property
    def rejected(self) -> list[AuditEntry]:
        return [a for a in self.audit if a.decision == "rejected"]

    def countersigned(self, tz: tzinfo | None = None) -> str:
        """"; countersigned by … (attending) at …", or "" when not countersigned."""
        cs = self.countersigner
        return "" if cs is None else f"; countersigned by {cs.who} (attending) at {cs.at_local(tz)}"

    def numbered(self) -> list[ReportFinding]:
        """Every finding with a number on the film: the final ones, then a draft's undecided ones."""
        return list(self.findings) + list(self.undecided)

    def headline(self, tz: tzinfo | None = None) -> str:
        """"Final report, signed by … at …" or "DRAFT — not signed"."""
        if self.signer is not None:
            return f"Final report, signed by {self.signer.who} at {self.signer.at_local(tz)}" + self.countersigned(tz)
        pending = f"; {len(self.undecided)} AI finding(s) not yet reviewed" if self.undecided else ""
        return f"DRAFT - not signed{pending}"


def _last_events(events: list[ReviewEvent]) -> dict[str, ReviewEvent]:
    last: dict[str, ReviewEvent] = {}
    for ev in events:
        if ev.finding_id is not None:
            last[ev.finding_id] = ev
    return last


@lru_cache(maxsize=4096)
def _derived_labels(text: str) -> tuple[Label, ...]:
    """The labels the words give (cached: the Report tab rebuilds the report on every decision)."""
    return tuple(label_sentence(text))


def _labels_of(f: Finding) -> tuple[tuple[Label, ...], bool]:
    if f.labels:
        return tuple(f.labels), False
    if not f.text.strip() or f.unreadable:  # unreadable model output is never labelled from its "words"
        return (), False
        return (), False
    return tuple(Label(lab.observation, lab.status) for lab in _derived_labels(f.text)), True


def _is_negative(labels: tuple[Label, ...]) -> bool:
    return bool(labels) and all(lab.status == "negative" for lab in labels)


def build_final_report(reading: Reading, *, identity: PatientIdentity | None = None) -> FinalReport:
    """The final report of a reading and its review (the reading is not changed).

    Parameters
    ----------
    reading
        The reviewed reading (a reading without review is a draft with every AI finding undecided).
    identity
        Patient/study identity from the image's header (:func:`~gazex_viewer.core.reading.patient_identity.read_identity`);
        None: unknown.

    Raises
    ------
    ExportError
        When the reading cannot be read as a review (duplicate finding ids), in one line.
    """
    from gazex_viewer.core.errors import GazeXError
    from gazex_viewer.core.review.session import ReviewSession

    copy_ = _review_view(reading)
    reviewer = (copy_.review.reviewer if copy_.review else None) or "unknown"
    try:
        session = ReviewSession(copy_, reviewer)
    except GazeXError as err:
        raise ExportError(None, f"cannot build the report of reading {reading.reading_id}: {err.reason}") from None
    review = session.review
    signed = review.signoff is not None and session.is_signed
    last = _last_events(review.events)
    warnings: list[str] = []

    final: list[tuple[Finding, str, str | None]] = []
    pending: list[Finding] = []
    audit_raw: list[tuple[str | None, str, str, str | None, str | None]] = []
    for d in review.decisions:
        original = copy_.finding(d.finding_id)
        eff = d.edited if d.status == "edited" and d.edited is not None else original
        if d.status in ("accepted", "edited"):
            final.append((eff, d.status, original.text if d.status == "edited" else None))
        elif d.status == "undecided":
            pending.append(original)
        final_text = eff.text if d.status in ("accepted", "edited") else None
        audit_raw.append((d.finding_id, original.text, d.status, final_text, d.reason))
    for f in review.additions:
        final.append((f, "added", None))
        audit_raw.append((f.id, "", "added", f.text, None))
    linked = {f.sentence_id for f in copy_.findings}
    for s in copy_.sentences:
        if s.id not in linked and s.text.strip():
            audit_raw.append((None, s.text, "no finding", None, None))
    if any(not f.text.strip() for f, _o, _a in final):
        warnings.append("a finding in the report has no text")

    def item(f: Finding, origin: str, ai: str | None, number: int = 0) -> ReportFinding:
        labels, derived = _labels_of(f)
        ai_display = display_sentence(ai) if ai is not None and ai.strip() != f.text.strip() else None
        return ReportFinding(
            number=number, finding_id=f.id, text=display_sentence(f.text) or NO_TEXT, raw_text=f.text,
            origin=origin, negative=_is_negative(labels), labels=labels, labels_derived=derived,
            observation=f.observation, clues=tuple(f.clues), ai_text=ai_display,
        )

    items = [item(f, o, a) for f, o, a in final]
    ordered = [x for x in items if not x.negative] + [x for x in items if x.negative]
    numbered = [_renumber(x, n) for n, x in enumerate(ordered, start=1)]
    undecided = [_renumber(item(f, "undecided", None), len(numbered) + n) for n, f in enumerate(pending, start=1)]

    audit: list[AuditEntry] = []
    for n, (fid, ai_text, decision, final_text, reason) in enumerate(audit_raw, start=1):
        ev = last.get(fid) if fid is not None else None
        audit.append(AuditEntry(
            number=n, finding_id=fid, ai_text=display_sentence(ai_text), decision=decision,
            final_text=None if final_text is None else (display_sentence(final_text) or NO_TEXT),
            reason=reason, at=None if ev is None else ev.at, by=None if ev is None else ev.reviewer,
        ))

    so = review.signoff if signed else None
    signer = None if so is None else Signer(so.reviewer, so.account, so.at, so.content_sha256)
    cs = review.countersign if signed and session.is_countersigned else None
    countersigner = None if cs is None else Signer(cs.reviewer, cs.account, cs.at, cs.content_sha256)
    img = copy_.image
    return FinalReport(
        status="final" if signed else "draft",
        findings=tuple(numbered),
        undecided=tuple(undecided),
        impression=display_text(review.impression) or None,
        own_impression=display_text(review.own_impression) or None,
        audit=tuple(audit),
        signer=signer,
        reviewer=None if reading.review is None else reading.review.reviewer,
        identity=identity if identity is not None else unknown_identity(),
        reading_id=copy_.reading_id,
        parent_id=copy_.parent_id,
        producer=copy_.producer.name,
        image_file_name=img.file_name,
        image_size=(img.width, img.height),
        study_instance_uid=img.study_instance_uid,
        warnings=tuple(warnings),
        countersigner=countersigner,
        measurements=tuple(ReportMeasurement(n, m) for n, m in enumerate(review.measurements, start=1)),
    )


def _review_view(reading: Reading) -> Reading:
    """A copy a :class:`ReviewSession` may work on without touching ``reading``.

    The session only reorders and completes the review's decision list; findings, additions and
    events are read, never changed, so they are shared (no deep copy of a long event log or
    trajectory on every refresh of the Report tab).
    """
    rv = reading.review
    review = None if rv is None else replace(rv, decisions=list(rv.decisions), additions=list(rv.additions))
    # the trajectory stays (shared, not copied): the signature covers the whole reading
    return replace(reading, review=review)


def _renumber(f: ReportFinding, number: int) -> ReportFinding:
    return replace(f, number=number)
