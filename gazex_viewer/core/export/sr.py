"""Export a reviewed reading as a DICOM Comprehensive SR (TID 1500 Measurement Report, via highdicom).

Layout of the document:

- root: TID 1500 "Imaging Measurement Report" with the observation context (the reviewer as
  person observer, the AI model as device observer) and "Procedure reported";
- "Imaging Measurements": one measurement group per finding of the final report
  (:mod:`gazex_viewer.core.review.final_report`, the model the PDF and the Report tab render too), in its
  order and numbering (findings, then pertinent negatives; for an unsigned draft also the undecided
  ones, marked). Texts are shown as sentences (``display_sentence``). A finding with an
  observation region is a TID 1410 group whose "Image Region" is a 2D SCOORD POLYLINE (the box as
  a closed rectangle, image pixel column/row) referencing the source image's SOP instance; a
  finding without a region is a TID 1501 group. Each group holds the finding's sentence as a TEXT
  item "Finding" (121071, DCM) and its status, labels and AI original as "Comment" (121106, DCM);
  then one group per measurement the radiologist made
  (:func:`~gazex_viewer.core.export.sr_measurements.measurement_groups`): a ruler as SCT "Length" in UCUM ``mm``
  over a POLYLINE of its two ends, a cardiothoracic ratio as SCT "Ratio" in ``{ratio}`` with the heart's and the
  thorax's "Width" in ``mm`` when the film has a spacing;
- "Qualitative Evaluations" (C0034375, UMLS): the impression as TEXT "Impression" (121073, DCM) and
  comments: signed/draft status with the signer (name and OS account) and the content hash, the
  appendix "AI draft and decisions (audit trail)" (one comment per AI sentence: decision, reason,
  time, reviewer), and, for a source that is not DICOM, a statement saying so.

Rejected findings appear only in the audit trail comments, never as findings. A signed reading gives Completion Flag COMPLETE, Verification Flag
VERIFIED (the reviewer as verifying observer, at the sign-off time; an attending's countersignature as a
second verifying observer and a comment) and Preliminary Flag FINAL;
a draft gives PARTIAL / UNVERIFIED / PRELIMINARY.

A source that is missing or is not DICOM (a PNG) gets new Study, Series and SOP Instance UIDs for
the referenced image, no patient identity, and a statement in the document; the function's result
carries the same words as a warning, so the failure is never silent.

The source is given either as the open film (``film``, a
:class:`~gazex_viewer.core.imaging.radiograph.Radiograph`: its source's header, name and pixel hash
are used and nothing is read again; a film from a PACS or from memory works the same) or, for the
command line, as an image file (``image_path``, whose header is read).
"""

from __future__ import annotations

import copy
import os
import re
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.imaging.source import read_source_dataset
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.identity import pixel_hash_known, pixel_match
from gazex_viewer.core.review.integrity import signature_problem

if TYPE_CHECKING:
    import highdicom as hd
    from pydicom.dataset import Dataset

    from gazex_viewer.core.imaging.radiograph import Radiograph

MANUFACTURER = "GazeX Viewer"
SERIES_DESCRIPTION = "GazeX reviewed chest X-ray report"


@dataclass
class SrExport:
    """What :func:`export_sr` wrote and what the user should be told."""

    path: Path
    sop_instance_uid: str
    source_is_dicom: bool
    signed: bool
    n_findings: int
    warnings: list[str] = field(default_factory=list)


def check_signature(reading: Reading, out_path: str | os.PathLike[str] | None) -> None:
    """Refuse to export a reading whose sign-off hash does not match its content.

    Raises
    ------
    ExportError
        Naming ``out_path``: a reading changed after signing is neither signed nor a draft.
    """
    problem = signature_problem(reading)
    if problem is not None:
        raise ExportError(out_path, f"refusing to export reading {reading.reading_id}: {problem}")


def check_same_image(
    reading: Reading, pixel_sha256: str | None, image_path: str | os.PathLike[str] | None
) -> None:
    """Refuse an image whose pixels are not those of the reading's own image.

    Parameters
    ----------
    reading
        The reading; its ``image.pixel_sha256`` is compared when it is known (not all zeros).
    pixel_sha256
        The pixel hash of the image about to be exported with it
        (``load_radiograph(path).pixel_sha256``).
    image_path
        Named in the error.

    Raises
    ------
    ExportError
        When both hashes are known and differ: the film under the report would be another film.
    """
    expected = reading.image.pixel_sha256
    if pixel_match(expected, pixel_sha256) != "differs":
        return
    assert pixel_sha256 is not None
    raise ExportError(
        image_path,
        f"these are not the pixels of the reading's image {reading.image.file_name!r} (pixel SHA-256 "
        f"{pixel_sha256[:12]}…, the reading's {expected[:12]}…); give the reading's own image",
    )


def image_pixel_sha256(image_path: str | os.PathLike[str]) -> str:
    """The pixel hash of an image file, as :func:`~gazex_viewer.core.imaging.files.load_radiograph` gives it.

    Raises
    ------
    ExportError
        When the file cannot be read as a radiograph.
    """
    from gazex_viewer.core.errors import GazeXError
    from gazex_viewer.core.imaging.files import load_radiograph

    try:
        return str(load_radiograph(image_path).pixel_sha256)
    except GazeXError as err:
        raise ExportError(
            image_path, f"cannot read it to check that it is the reading's image: {err.reason}"
        ) from None


def _dicom_dt(iso: str) -> str:
    """ISO 8601 time -> DICOM DT (local form with offset)."""
    t = datetime.fromisoformat(iso)
    s = t.strftime("%Y%m%d%H%M%S.%f")
    if t.utcoffset() is not None:
        s += t.strftime("%z")
    return s


def _synthetic_source(reading: Reading) -> Dataset:
    """A stand-in header for a non-DICOM image: new UIDs, no patient identity."""
    from pydicom.dataset import Dataset
    from pydicom.uid import SecondaryCaptureImageStorage, generate_uid

    ds = Dataset()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = ""
    ds.PatientID = ""
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.StudyDate = ""
    ds.StudyTime = ""
    ds.ReferringPhysicianName = ""
    ds.StudyID = ""
    ds.AccessionNumber = ""
    ds.Modality = "OT"
    ds.Rows = reading.image.height
    ds.Columns = reading.image.width
    return ds


#: patient/study attributes highdicom copies from the evidence (Type 2: present, may be empty)
_TYPE2_IDENTITY = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
    "ReferringPhysicianName", "StudyID", "AccessionNumber",
)


def _with_type2_identity(ds: Dataset) -> Dataset:
    """A copy of the source header with absent Type 2 identity attributes present and empty."""
    out = copy.deepcopy(ds)
    for keyword in _TYPE2_IDENTITY:
        if keyword not in out:
            setattr(out, keyword, "")
            continue
        # a control character or a malformed date or time in the source would make the SR invalid:
        # the character becomes a space, the malformed date or time is left empty (never guessed)
        value = str(out.get(keyword, "") or "")
        cleaned = re.sub(r"[\x00-\x1f\x7f]", " ", value).strip()
        if keyword in ("PatientBirthDate", "StudyDate") and cleaned and not re.fullmatch(r"\d{8}", cleaned):
            cleaned = ""
        if keyword == "StudyTime" and cleaned and not re.fullmatch(r"\d{2,6}(\.\d{1,6})?", cleaned):
            cleaned = ""
        if cleaned != value:
            setattr(out, keyword, cleaned)
    # highdicom copies Patient's Age; a malformed one ("81" instead of "081Y") would make the SR
    # invalid, and guessing its unit would invent data, so it is not copied
    age = str(out.get("PatientAge", "") or "")
    if "PatientAge" in out and not re.fullmatch(r"\d{3}[DWMY]", age):
        del out.PatientAge
    return out


def _person_name(name: str) -> str:
    """A DICOM PN for a free-text name: "Family^Given" kept, a single component gets a caret."""
    name = name.strip() or "unknown"
    return name if "^" in name else f"{name}^"


def _not_dicom_statement(
    reading: Reading, image_path: str | os.PathLike[str] | None, film: Radiograph | None = None
) -> str:
    img = reading.image
    if film is not None:
        where = f"the image file {film.name} is not DICOM"
    else:
        where = "no image file was given" if image_path is None else (
            f"the image file {Path(image_path).name} was not found" if not Path(image_path).exists()
            else f"the image file {Path(image_path).name} is not DICOM"
        )
    text = (
        f"Source image was not DICOM: {where} (reading image {img.file_name}, pixel SHA-256 "
        f"{img.pixel_sha256}). The study, series and referenced image UIDs in this report were "
        "generated for it and the patient identity is unknown."
    )
    if img.sop_instance_uid:
        text += f" The reading names SOP Instance UID {img.sop_instance_uid}"
        if img.study_instance_uid:
            text += f" of study {img.study_instance_uid}"
        text += "; that image was not available to verify."
    return text


def film_header(film: Radiograph) -> Dataset | None:
    """The open film's DICOM header from its source, when it can be referenced (SOP Instance and Class UIDs)."""
    ds = film.source.header()
    if ds is None or "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
        return None
    return ds


def _check_source_matches(reading: Reading, ds: Dataset, image_path: str | os.PathLike[str]) -> None:
    img = reading.image
    if img.sop_instance_uid and str(ds.SOPInstanceUID) != img.sop_instance_uid:
        raise ExportError(
            image_path,
            f"this is SOP instance {ds.SOPInstanceUID}, but the reading belongs to "
            f"{img.sop_instance_uid}; give the reading's own image",
        )
    rows, cols = ds.get("Rows"), ds.get("Columns")
    if rows is not None and cols is not None and (int(cols), int(rows)) != (img.width, img.height):
        raise ExportError(
            image_path,
            f"image is {cols} x {rows} pixels, but the reading's regions are for "
            f"{img.width} x {img.height}",
        )


def _check_picture_size(reading: Reading, image_path: str | os.PathLike[str]) -> None:
    """A non-DICOM picture must have the reading's size, or its regions would land elsewhere."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image_path) as im:
            size = im.size
    except (UnidentifiedImageError, OSError) as err:
        raise ExportError(image_path, f"neither DICOM nor a readable picture: {err}") from err
    if size != (reading.image.width, reading.image.height):
        raise ExportError(
            image_path,
            f"image is {size[0]} x {size[1]} pixels, but the reading's regions are for "
            f"{reading.image.width} x {reading.image.height}",
        )


def build_sr(
    reading: Reading,
    *,
    source: Dataset | None,
    source_statement: str | None = None,
    series_number: int = 901,
    instance_number: int = 1,
    institution_name: str | None = None,
) -> hd.sr.ComprehensiveSR:
    """Build the Comprehensive SR of a reading.

    Parameters
    ----------
    reading
        The (reviewed) reading.
    source
        The source image's DICOM header (``dcmread(..., stop_before_pixels=True)``); None for a
        missing or non-DICOM image (new UIDs are made and ``source_statement`` is recorded).
    source_statement
        Text recorded when the source is not DICOM.
    """
    import highdicom as hd
    import numpy as np
    from pydicom.sr.codedict import codes
    from pydicom.uid import generate_uid

    from gazex_viewer.core.export.sr_measurements import measurement_groups
    from gazex_viewer.core.reading.patient_identity import (
        identity_from_dataset,
        unknown_identity,
    )
    from gazex_viewer.core.review.final_report import AUDIT_HEADING, build_final_report

    check_signature(reading, None)
    final = build_final_report(
        reading, identity=identity_from_dataset(source) if source is not None else unknown_identity()
    )
    is_dicom = source is not None
    src = _with_type2_identity(source) if source is not None else _synthetic_source(reading)
    frames = None
    if is_dicom and int(src.get("NumberOfFrames", 1) or 1) > 1:
        frames = [reading.image.frame]

    reviewer = _person_name(final.reviewer or "unknown")
    person = hd.sr.ObserverContext(
        observer_type=codes.cid270.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(name=reviewer),
    )
    device = hd.sr.ObserverContext(
        observer_type=codes.cid270.Device,
        observer_identifying_attributes=hd.sr.DeviceObserverIdentifyingAttributes(
            uid=generate_uid(),
            name=(reading.producer.name or "GazeX")[:64],
            model_name=reading.producer.checkpoint_sha256[:64] if reading.producer.checkpoint_sha256 else None,
        ),
    )
    context = hd.sr.ObservationContext(observer_person_context=person, observer_device_context=device)

    def comment(text: str) -> hd.sr.TextContentItem:
        return hd.sr.TextContentItem(
            name=codes.DCM.Comment, value=text, relationship_type=hd.sr.RelationshipTypeValues.CONTAINS
        )

    groups: list[hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations | hd.sr.MeasurementsAndQualitativeEvaluations] = []
    for rf in final.numbered():
        tracking = hd.sr.TrackingIdentifier(
            uid=generate_uid(), identifier=f"finding {rf.number} ({rf.finding_id})"[:64]
        )
        if rf.observation is not None:
            b = rf.observation
            poly = np.array(
                [[b.x_min, b.y_min], [b.x_max, b.y_min], [b.x_max, b.y_max], [b.x_min, b.y_max],
                 [b.x_min, b.y_min]],
                dtype=np.float32,
            )
            region = hd.sr.ImageRegion(
                graphic_type=hd.sr.GraphicTypeValues.POLYLINE,
                graphic_data=poly,
                source_image=hd.sr.SourceImageForRegion.from_source_image(src, referenced_frame_numbers=frames),
            )
            group: (hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations
                    | hd.sr.MeasurementsAndQualitativeEvaluations) = (
                hd.sr.PlanarROIMeasurementsAndQualitativeEvaluations(
                    tracking_identifier=tracking, referenced_region=region
                )
            )
        else:
            group = hd.sr.MeasurementsAndQualitativeEvaluations(tracking_identifier=tracking)
        items = group[0].ContentSequence
        items.append(
            hd.sr.TextContentItem(
                name=codes.DCM.Finding, value=rf.text, relationship_type=hd.sr.RelationshipTypeValues.CONTAINS
            )
        )
        status = {
            "accepted": "accepted by the reviewer",
            "edited": "edited by the reviewer",
            "added": "added by the reviewer",
            "undecided": "AI draft, not yet reviewed",
        }[rf.origin]
        items.append(comment(f"Review status: {status}"))
        items.append(comment("Filed under: " + ("Pertinent negatives" if rf.negative else "Findings")))
        if rf.labels:
            labels = ", ".join(f"{lab.observation} ({lab.status})" for lab in rf.labels)
            items.append(comment(f"Labels{' (derived from the words)' if rf.labels_derived else ''}: {labels}"))
        if rf.ai_text is not None:
            items.append(comment(f"AI draft text: {rf.ai_text}"))
        groups.append(group)
    if not groups:
        group = hd.sr.MeasurementsAndQualitativeEvaluations(
            tracking_identifier=hd.sr.TrackingIdentifier(uid=generate_uid(), identifier="no findings")
        )
        group[0].ContentSequence.append(comment("No findings retained by the reviewer."))
        groups.append(group)
    # the radiologist's rulers and cardiothoracic ratios: TID 1500 measurements with their units
    groups += measurement_groups([rm.measurement for rm in final.measurements], src, frames)

    report = hd.sr.MeasurementReport(
        observation_context=context,
        procedure_reported=codes.cid100.XRUnspecifiedBodyRegion,
        imaging_measurements=groups,
        title=codes.cid7021.ImagingMeasurementReport,
    )
    evaluations = hd.sr.ContainerContentItem(
        name=hd.sr.CodedConcept("C0034375", "UMLS", "Qualitative Evaluations"),
        relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
    )
    from pydicom.sequence import Sequence as DataElementSequence

    ev_items = DataElementSequence()
    if final.impression:
        ev_items.append(
            hd.sr.TextContentItem(
                name=codes.DCM.Impression, value=final.impression,
                relationship_type=hd.sr.RelationshipTypeValues.CONTAINS,
            )
        )
    signoff = final.signer
    if signoff is not None:
        ev_items.append(comment(
            f"Signed by {signoff.who} at {signoff.at} (UTC); content SHA-256 {signoff.content_sha256}."
        ))
        if (cs := final.countersigner) is not None:
            ev_items.append(comment(f"Countersigned by {cs.who} (attending) at {cs.at} (UTC); the same content "
                                    f"SHA-256 {cs.content_sha256}."))
    else:
        ev_items.append(comment(
            "DRAFT: this reading is not signed"
            + (f"; {len(final.undecided)} AI finding(s) are not yet reviewed" if final.undecided else "")
            + "."
        ))
    if final.own_impression:
        ev_items.append(comment(f"Reviewer's own impression before seeing the AI draft: {final.own_impression}"))
    for a in final.audit:
        ai = a.ai_text or "-"
        line = f'{AUDIT_HEADING}, A{a.number}: AI draft "{ai}": {a.decision_words}'
        if a.reason:
            line += f"; reason: {a.reason}"
        if a.final_text and a.final_text != a.ai_text:
            line += f"; report: {a.final_text}"
        if a.at:
            line += f"; at {a.at} (UTC)" + (f" by {a.by}" if a.by else "")
        ev_items.append(comment(line))
    if not is_dicom and source_statement:
        ev_items.append(comment(source_statement))
    evaluations.ContentSequence = ev_items
    report[0].ContentSequence.append(evaluations)

    verified = signoff is not None
    with warnings.catch_warnings():
        # the source's own single-component patient name is not ours to rewrite
        warnings.filterwarnings("ignore", message=".*unlikely to represent the intended person name.*")
        sr = hd.sr.ComprehensiveSR(
            evidence=[src],
            content=report[0],
            series_instance_uid=generate_uid(),
            series_number=series_number,
            sop_instance_uid=generate_uid(),
            instance_number=instance_number,
            manufacturer=MANUFACTURER,
            is_complete=verified,
            is_final=verified,
            is_verified=verified,
            verifying_observer_name=_person_name(signoff.name) if signoff else None,
            verifying_organization=(institution_name or "GazeX Viewer user") if signoff else None,
            institution_name=institution_name,
            series_description=SERIES_DESCRIPTION + ("" if verified else " (DRAFT)"),
            # UTF-8: report text and patient names may hold any character
            specific_character_set="ISO_IR 192",
        )
    if signoff is not None:
        sr.VerifyingObserverSequence[0].VerificationDateTime = _dicom_dt(signoff.at)
        if final.countersigner is not None:  # the attending who countersigned: a second verifying observer
            second = copy.deepcopy(sr.VerifyingObserverSequence[0])
            second.VerifyingObserverName = _person_name(final.countersigner.name)
            second.VerificationDateTime = _dicom_dt(final.countersigner.at)
            sr.VerifyingObserverSequence.append(second)
    return sr


def check_sr_source(
    reading: Reading,
    image_path: str | os.PathLike[str] | None = None,
    *,
    image_sha256: str | None = None,
    film: Radiograph | None = None,
) -> Dataset | None:
    """Every check :func:`export_sr` makes on its source image, without writing anything.

    Returns the source's DICOM header, or None for a missing or non-DICOM image (the SR then
    gets new UIDs and a statement). With ``film`` (the open film) the header, name, size and
    pixel hash come from it and ``image_path`` is not used.

    Raises
    ------
    ExportError
        When an existing image is not the reading's: another SOP instance, another size, or
        (when the reading's pixel hash is known) other pixels.
    """
    if film is not None:
        check_same_image(reading, film.pixel_sha256, film.name)
        header = film_header(film)
        if header is not None:
            _check_source_matches(reading, header, film.name)
        elif (film.width, film.height) != (reading.image.width, reading.image.height):
            raise ExportError(
                film.name,
                f"image is {film.width} x {film.height} pixels, but the reading's regions are for "
                f"{reading.image.width} x {reading.image.height}",
            )
        return header
    if image_path is not None and Path(image_path).is_file() and pixel_hash_known(reading.image.pixel_sha256):
        if image_sha256 is None:
            image_sha256 = image_pixel_sha256(image_path)
        check_same_image(reading, image_sha256, image_path)
    source = read_source_dataset(image_path)
    if source is not None:
        assert image_path is not None
        _check_source_matches(reading, source, image_path)
    elif image_path is not None and Path(image_path).is_file():
        _check_picture_size(reading, image_path)
    return source


def export_sr(
    reading: Reading,
    out_path: str | os.PathLike[str],
    *,
    image_path: str | os.PathLike[str] | None = None,
    institution_name: str | None = None,
    image_sha256: str | None = None,
    film: Radiograph | None = None,
) -> SrExport:
    """Write the reading's Comprehensive SR to ``out_path``.

    Parameters
    ----------
    reading
        The reading (signed or draft).
    out_path
        The ``.dcm`` file to write (written to a temporary name, then renamed).
    image_path
        The source image. A DICOM file is referenced by its UIDs and must be the reading's own
        image; a missing or non-DICOM file gives new UIDs and a statement (see module docstring).
        An existing file must hold the reading's own pixels when the reading's pixel hash is known.
    image_sha256
        The pixel hash of ``image_path`` when the caller already has it (the open film); else it
        is computed from the file when needed.
    film
        The open film, in place of ``image_path``: its source gives the header (referenced by its
        UIDs when DICOM) and the name, the film its pixel hash and size; nothing is read again.

    Raises
    ------
    ExportError
        When the reading's sign-off hash does not match its content, the source is not the
        reading's image (UIDs, size or pixel hash), or the file cannot be written.
    """
    out = Path(out_path)
    check_signature(reading, out)
    source = check_sr_source(reading, image_path, image_sha256=image_sha256, film=film)
    warnings: list[str] = []
    statement = None
    if source is None:
        statement = _not_dicom_statement(reading, image_path, film)
        warnings.append(statement)
    try:
        sr = build_sr(reading, source=source, source_statement=statement, institution_name=institution_name)
    except ExportError as err:
        raise ExportError(out, err.reason) from None
    except (ValueError, TypeError, AttributeError) as err:
        raise ExportError(out, f"cannot build the DICOM SR: {err}") from err
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        sr.save_as(tmp, enforce_file_format=True)
        tmp.replace(out)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise ExportError(out, f"cannot write the DICOM SR: {err}") from err
    from gazex_viewer.core.review.final_report import build_final_report

    final = build_final_report(reading)
    if not final.is_final:
        warnings.append("the reading is not signed: the SR is marked as a DRAFT (PARTIAL, UNVERIFIED)")
    return SrExport(
        path=out,
        sop_instance_uid=str(sr.SOPInstanceUID),
        source_is_dicom=source is not None,
        signed=final.is_final,
        n_findings=len(final.numbered()),
        warnings=warnings,
    )
