"""What a PACS search finds and asks for, shared by the DICOMweb and DIMSE archives.

Owns the hits (:class:`StudyHit`, :class:`InstanceHit`, :class:`GazexSr`), the search
(:class:`StudyQuery`), the DICOM JSON readers behind them, which SOP classes are not images, and the
:class:`Archive` protocol that :class:`~gazex_viewer.core.pacs.dicomweb.DicomWebSource` needs of an
archive (so neither archive module imports the other).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from gazex_viewer.core.imaging.radiograph import ImageIdentity
from gazex_viewer.core.pacs import PacsError

if TYPE_CHECKING:
    from pathlib import Path

#: the modalities searched by default: chest radiographs
DEFAULT_MODALITIES = ("CR", "DX")
#: what GazeX writes as the SR series description (export_sr.SERIES_DESCRIPTION)
GAZEX_SR_PREFIX = "GazeX reviewed chest X-ray report"
#: media type of a frame in explicit VR little endian (needed: Orthanc refuses */*)
FRAME_MEDIA_TYPES = (("application/octet-stream", "1.2.840.10008.1.2.1"),)

_NON_IMAGE_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.104.1": "Encapsulated PDF",
    "1.2.840.10008.5.1.4.1.1.104.2": "Encapsulated CDA",
    "1.2.840.10008.5.1.4.1.1.88.59": "Key Object Selection",
    "1.2.840.10008.5.1.4.1.1.11.1": "Grayscale Softcopy Presentation State",
}


def non_image_kind(sop_class_uid: str | None) -> str | None:
    """What a SOP class is when it is not an image (SR, PDF, KOS, GSPS), else None."""
    if not sop_class_uid:
        return None
    if sop_class_uid in _NON_IMAGE_CLASSES:
        return _NON_IMAGE_CLASSES[sop_class_uid]
    if sop_class_uid.startswith("1.2.840.10008.5.1.4.1.1.88."):
        return "Structured Report"
    if sop_class_uid.startswith(("1.2.840.10008.5.1.4.1.1.11.", "1.2.840.10008.5.1.4.1.1.9.")):
        return "presentation state or waveform"
    return None


# ------------------------------------------------------------------------------------------------
# DICOM JSON helpers
# ------------------------------------------------------------------------------------------------
def _value(item: dict[str, Any], tag: str) -> Any:
    element = item.get(tag)
    if not element:
        return None
    values = element.get("Value")
    if not values:
        return None
    first = values[0]
    if isinstance(first, dict) and "Alphabetic" in first:
        return str(first["Alphabetic"])
    return first


def _values(item: dict[str, Any], tag: str) -> tuple[str, ...]:
    element = item.get(tag) or {}
    return tuple(str(v) for v in element.get("Value") or () if not isinstance(v, dict))


def _text(item: dict[str, Any], tag: str) -> str | None:
    value = _value(item, tag)
    return None if value is None else str(value)


def _int(item: dict[str, Any], tag: str, default: int | None = None) -> int | None:
    value = _value(item, tag)
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


@dataclass(frozen=True)
class StudyHit:
    """One study found by QIDO-RS."""

    study_instance_uid: str
    patient_name: str | None = None
    patient_id: str | None = None
    accession_number: str | None = None
    study_date: str | None = None
    study_description: str | None = None
    modalities: tuple[str, ...] = ()
    n_instances: int | None = None

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> StudyHit:
        return cls(
            study_instance_uid=str(_value(item, "0020000D")),
            patient_name=_text(item, "00100010"),
            patient_id=_text(item, "00100020"),
            accession_number=_text(item, "00080050"),
            study_date=_text(item, "00080020"),
            study_description=_text(item, "00081030"),
            modalities=_values(item, "00080061"),
            n_instances=_int(item, "00201208"),
        )


@dataclass(frozen=True)
class InstanceHit:
    """One instance found by QIDO-RS."""

    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    sop_class_uid: str | None = None
    modality: str | None = None
    series_description: str | None = None
    instance_number: int | None = None
    rows: int | None = None
    columns: int | None = None
    n_frames: int = 1

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> InstanceHit:
        return cls(
            study_instance_uid=str(_value(item, "0020000D")),
            series_instance_uid=str(_value(item, "0020000E")),
            sop_instance_uid=str(_value(item, "00080018")),
            sop_class_uid=_text(item, "00080016"),
            modality=_text(item, "00080060"),
            series_description=_text(item, "0008103E"),
            instance_number=_int(item, "00200013"),
            rows=_int(item, "00280010"),
            columns=_int(item, "00280011"),
            n_frames=_int(item, "00280008", 1) or 1,
        )

    @property
    def identity(self) -> ImageIdentity:
        return ImageIdentity(
            self.study_instance_uid, self.series_instance_uid, self.sop_instance_uid, self.sop_class_uid
        )


@dataclass(frozen=True)
class GazexSr:
    """A GazeX SR found in a study, and the image instances it refers to."""

    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    series_description: str | None
    signed: bool
    referenced_sop_instance_uids: frozenset[str] = field(default_factory=frozenset)
    content_date_time: str | None = None


@dataclass(frozen=True)
class StudyQuery:
    """What the study browser and ``batch`` search for (all optional; modalities CR and DX by default)."""

    patient_name: str | None = None
    patient_id: str | None = None
    accession_number: str | None = None
    #: ``YYYYMMDD`` bounds, inclusive; either may be None
    date_from: str | None = None
    date_to: str | None = None
    modalities: tuple[str, ...] = DEFAULT_MODALITIES
    limit: int | None = None

    def filters(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.patient_name:
            name = _qido_text(self.patient_name)
            wild = "*" in self.patient_name or "?" in self.patient_name
            out["PatientName"] = name if wild else f"*{name}*"
        if self.patient_id:
            out["PatientID"] = _qido_text(self.patient_id)
        if self.accession_number:
            out["AccessionNumber"] = _qido_text(self.accession_number)
        if self.date_from or self.date_to:
            out["StudyDate"] = f"{_dicom_date(self.date_from)}-{_dicom_date(self.date_to)}"
        return out


def _qido_text(text: str) -> str:
    """A search value with its spaces and carets as ``*``: Orthanc 1.10 never matches them once URL-encoded."""
    return re.sub(r"[ ^]+", "*", text.strip())


def _dicom_date(text: str | None) -> str:
    if not text:
        return ""
    digits = text.replace("-", "").strip()
    if len(digits) != 8 or not digits.isdigit():
        raise PacsError(None, f"bad date {text!r}: give YYYY-MM-DD or YYYYMMDD")
    return digits


class Archive(Protocol):
    """What an image source needs of an archive (DICOMweb or DIMSE): its URL and a retrieve."""

    @property
    def url(self) -> str: ...

    def retrieve(self, hit: InstanceHit) -> Path: ...
