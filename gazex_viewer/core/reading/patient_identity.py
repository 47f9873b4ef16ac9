"""Who and what a report is about: patient and study identity from the image's DICOM header.

:func:`read_identity` reads the header of the source image (never its pixels) and gives a
:class:`PatientIdentity` whose fields are already shown as a person reads them: the person name
``"DOE^JANE"`` as ``"DOE, JANE"``, dates as ``YYYY-MM-DD``, sex spelt out. Missing or empty
attributes are ``None`` (a report leaves them out); a value that cannot be read as what it should
be (a malformed date) is shown as written with a note, never guessed. A picture (PNG/JPEG) or a
missing file gives an identity that says it is unknown.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

__all__ = ["UNKNOWN_IDENTITY_TEXT", "PatientIdentity", "identity_from_dataset", "identity_of_film", "read_identity"]

UNKNOWN_IDENTITY_TEXT = "Patient identity unknown: the image is not DICOM, so it carries no patient header."
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SEX = {"F": "Female", "M": "Male", "O": "Other"}


@dataclass(frozen=True)
class PatientIdentity:
    """Patient and study identity as shown in a report header (None: not in the header)."""

    known: bool
    patient_name: str | None = None
    patient_id: str | None = None
    birth_date: str | None = None
    sex: str | None = None
    accession_number: str | None = None
    study_date: str | None = None
    study_description: str | None = None
    view_position: str | None = None
    institution: str | None = None
    referring_physician: str | None = None
    modality: str | None = None
    #: why the identity is unknown (a picture, no file), for the report
    note: str | None = None

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) pairs of the fields the header has, in report order."""
        labels = {
            "patient_name": "Patient", "patient_id": "Patient ID", "birth_date": "Birth date",
            "sex": "Sex", "accession_number": "Accession", "study_date": "Study date",
            "study_description": "Study", "view_position": "View", "modality": "Modality",
            "institution": "Institution", "referring_physician": "Referring physician",
        }
        out = []
        for f in fields(self):
            if f.name in labels:
                value = getattr(self, f.name)
                if value:
                    out.append((labels[f.name], str(value)))
        return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = _CONTROL.sub(" ", str(value))
    s = " ".join(s.split())
    return s or None


def _person(value: Any) -> str | None:
    raw = _text(value)
    if raw is None:
        return None
    raw = raw.split("=")[0]  # alphabetic group only (ideographic/phonetic groups follow "=")
    parts = [p.strip() for p in raw.split("^")]
    family, given = (parts + ["", ""])[:2]
    rest = " ".join(p for p in parts[2:] if p)
    if family and (given or rest):
        return f"{family}, {' '.join(x for x in (given, rest) if x)}"
    return family or (" ".join(x for x in (given, rest) if x)) or None


def _date(value: Any) -> str | None:
    raw = _text(value)
    if raw is None:
        return None
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", raw)
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return f"{raw} (as written; not a DICOM date)"


def _time(value: Any) -> str | None:
    raw = _text(value)
    m = re.match(r"(\d{2})(\d{2})", raw or "")
    return f"{m.group(1)}:{m.group(2)}" if m else None


def identity_from_dataset(ds: Any) -> PatientIdentity:
    """The identity held by a pydicom Dataset (header only)."""

    def get(keyword: str) -> Any:
        try:
            return ds.get(keyword)
        except (ValueError, TypeError, KeyError, AttributeError, LookupError):  # a malformed element
            return None

    sex_raw = (_text(get("PatientSex")) or "").upper()
    study_date = _date(get("StudyDate"))
    study_time = _time(get("StudyTime"))
    if study_date and study_time and "as written" not in study_date:
        study_date = f"{study_date} {study_time}"
    return PatientIdentity(
        known=True,
        patient_name=_person(get("PatientName")),
        patient_id=_text(get("PatientID")),
        birth_date=_date(get("PatientBirthDate")),
        sex=_SEX.get(sex_raw, sex_raw or None),
        accession_number=_text(get("AccessionNumber")),
        study_date=study_date,
        study_description=_text(get("StudyDescription")),
        view_position=_text(get("ViewPosition")),
        institution=_text(get("InstitutionName")),
        referring_physician=_person(get("ReferringPhysicianName")),
        modality=_text(get("Modality")),
    )


def unknown_identity(note: str = UNKNOWN_IDENTITY_TEXT) -> PatientIdentity:
    """The identity of a picture or of a missing image: unknown, saying why."""
    return PatientIdentity(known=False, note=note)


def identity_of_film(name: str, header: Any) -> PatientIdentity:
    """The identity in an open film's DICOM header (its source's ``header()``); unknown when it has none.

    ``name`` is the film's name (its source's), said in the note of a picture's unknown identity.
    """
    if header is None:
        return unknown_identity(f"Patient identity unknown: {name} is not DICOM, so it carries no patient header.")
    return identity_from_dataset(header)


def read_identity(image_path: str | os.PathLike[str] | None) -> PatientIdentity:
    """The identity in the DICOM header of ``image_path``; unknown for a picture or a missing file."""
    if image_path is None:
        return unknown_identity("Patient identity unknown: no image file was given with the report.")
    path = Path(image_path)
    if not path.is_file():
        return unknown_identity(f"Patient identity unknown: the image file {path.name} was not found.")
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError):
        return unknown_identity(
            f"Patient identity unknown: {path.name} is not DICOM, so it carries no patient header."
        )
    return identity_from_dataset(ds)
