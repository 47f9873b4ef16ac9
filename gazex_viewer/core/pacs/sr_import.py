"""A GazeX SR (the app's own TID 1500, see :mod:`gazex_viewer.core.export.sr`) read back into a reading.

What comes back from the SR content: each finding's text, its region (the SCOORD polyline, as a box
in image pixels), its labels, whether it is a pertinent negative, and its review status; the
impression; whether the SR is signed (Verification Flag), by whom and when. The image identity is
the SOP instance the SR refers to (its evidence), checked against the film it is shown on.

A signed SR comes back as a record to read (producer kind ``expert``: shown, not signed again; the
signature itself stays in the review database of the workstation that signed). A DRAFT SR comes
back as the AI draft it is (producer kind ``model``), ready to be reviewed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from gazex_viewer.core.pacs import PacsError
from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Label,
    LabelStatus,
    Producer,
    Reading,
    Sentence,
)

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

# DICOM (DCM) concept codes used by export_sr's TID 1500
_MEASUREMENT_GROUP = "125007"
_FINDING = "121071"
_COMMENT = "121106"
_IMPRESSION = "121073"
_TRACKING_ID = "112039"
_LABEL = re.compile(r"\s*(.+?) \((positive|negative|uncertain)\)\s*(?:,|$)")
_STATUS = {
    "accepted by the reviewer": "accepted",
    "edited by the reviewer": "edited",
    "added by the reviewer": "added",
    "AI draft, not yet reviewed": "undecided",
}


@dataclass
class ImportedSr:
    """A GazeX SR read back: the reading, and what the SR says about its review."""

    reading: Reading
    signed: bool
    signed_by: str | None
    signed_at: str | None
    impression: str | None
    #: finding id -> "accepted" / "edited" / "added" / "undecided"
    status: dict[str, str] = field(default_factory=dict)
    sop_instance_uid: str = ""

    def summary(self) -> str:
        state = f"signed by {self.signed_by} at {self.signed_at}" if self.signed else "AI draft (not signed)"
        return f"GazeX result from the PACS, {state}: {len(self.reading.findings)} finding(s)"


def _code(item: Any) -> str | None:
    seq = item.get("ConceptNameCodeSequence")
    return str(seq[0].CodeValue) if seq else None


def _walk(items: Any) -> Any:
    for item in items or ():
        yield item
        yield from _walk(item.get("ContentSequence"))


def _box(item: Any) -> Box | None:
    data = [float(v) for v in item.get("GraphicData") or ()]
    if len(data) < 4:
        return None
    xs, ys = data[0::2], data[1::2]
    return Box.from_corners(min(xs), min(ys), max(xs), max(ys))


def _frame(item: Any) -> int:
    for image in item.get("ContentSequence") or ():
        for ref in image.get("ReferencedSOPSequence") or ():
            frames = ref.get("ReferencedFrameNumber")
            if frames is not None and frames != "":
                return int(frames[0] if isinstance(frames, Sequence) and not isinstance(frames, str) else frames)
    return 1


def referenced_image(ds: Dataset) -> tuple[str, str, str, str | None]:
    """(study, series, SOP instance, SOP class) of the one image the SR reports on."""
    refs = []
    for study in ds.get("CurrentRequestedProcedureEvidenceSequence") or ():
        for series in study.get("ReferencedSeriesSequence") or ():
            for sop in series.get("ReferencedSOPSequence") or ():
                refs.append((str(study.StudyInstanceUID), str(series.SeriesInstanceUID),
                             str(sop.ReferencedSOPInstanceUID), str(sop.get("ReferencedSOPClassUID") or "") or None))
    if len(refs) != 1:
        raise PacsError(None, f"SR {ds.get('SOPInstanceUID', '?')} refers to {len(refs)} images, not one film")
    return refs[0]


def import_sr(ds: Dataset, film: ImageRef) -> ImportedSr:
    """Read a GazeX SR back into a reading on ``film`` (the image it refers to; PacsError otherwise)."""
    sop = str(ds.get("SOPInstanceUID", ""))
    if str(ds.get("Modality", "")) != "SR" or "ContentSequence" not in ds:
        raise PacsError(None, f"instance {sop or '?'} is not a structured report")
    study, series, image_sop, sop_class = referenced_image(ds)
    if film.sop_instance_uid and film.sop_instance_uid != image_sop:
        raise PacsError(None, f"SR {sop} is about image {image_sop}, not the open film {film.sop_instance_uid}")
    signed = str(ds.get("VerificationFlag", "")) == "VERIFIED"
    signed_by = signed_at = None
    if signed and ds.get("VerifyingObserverSequence"):
        observer = ds.VerifyingObserverSequence[0]
        signed_by = str(observer.get("VerifyingObserverName", "")) or None
        signed_at = str(observer.get("VerificationDateTime", "")) or None

    sentences: list[Sentence] = []
    findings: list[Finding] = []
    status: dict[str, str] = {}
    impression: str | None = None
    frame = 1
    for item in _walk(ds.ContentSequence):
        code = _code(item)
        if code == _IMPRESSION and item.get("ValueType") == "TEXT":
            impression = str(item.TextValue)
        if code != _MEASUREMENT_GROUP:
            continue
        text = None
        box = None
        labels: list[Label] = []
        state = "undecided"
        for child in item.get("ContentSequence") or ():
            child_code = _code(child)
            value = str(child.get("TextValue", ""))
            if child_code == _FINDING:
                text = value
            elif child.get("ValueType") == "SCOORD":
                box = _box(child)
                frame = _frame(child)
            elif child_code == _COMMENT and value.startswith("Review status: "):
                state = _STATUS.get(value.removeprefix("Review status: "), "undecided")
            elif child_code == _COMMENT and value.startswith("Labels"):
                words = value.split(": ", 1)[1] if ": " in value else ""
                # _LABEL's second group is one of the three statuses
                labels = [Label(m.group(1), cast(LabelStatus, m.group(2))) for m in _LABEL.finditer(words)]
        if text is None:  # the "no findings" group
            continue
        n = len(findings)
        sentences.append(Sentence(f"s-{n:03d}", text))
        findings.append(Finding(id=f"f-{n:03d}", sentence_id=f"s-{n:03d}", text=text, labels=labels, observation=box))
        status[f"f-{n:03d}"] = state

    image = ImageRef(
        file_name=film.file_name, width=film.width, height=film.height, pixel_sha256=film.pixel_sha256,
        sop_instance_uid=image_sop, study_instance_uid=study, series_instance_uid=series,
        sop_class_uid=sop_class or film.sop_class_uid, frame=frame,
    )
    who = signed_by or "unknown"
    producer = Producer(
        kind="expert" if signed else "model",
        name=f"GazeX SR {sop}"[:64] if signed else str(ds.get("Manufacturer", "") or "GazeX") + " draft from the PACS",
        dataset="PACS" if signed else None,
        reader_id=who if signed else None,
        backend=None if signed else "pacs-sr",
    )
    raw = " . ".join(s.text for s in sentences) + (" ." if sentences else "")
    if impression:
        raw += f" Impression: {impression}"
    note = (f"Read back from the PACS: signed by {who} at {signed_at}; the signature stays with the signed "
            "reading in its review database" if signed else "Read back from the PACS: AI draft SR, not signed")
    reading = Reading(image=image, producer=producer, sentences=sentences, findings=findings, raw_report=raw,
                      warnings=[note])
    return ImportedSr(reading=reading, signed=signed, signed_by=signed_by, signed_at=signed_at,
                      impression=impression, status=status, sop_instance_uid=sop)
