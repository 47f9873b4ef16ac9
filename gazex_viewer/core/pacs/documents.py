"""The DICOM objects a reading sends back to the PACS: its TID 1500 SR and its PDF as Encapsulated PDF.

The SR is made by :func:`gazex_viewer.core.export.sr.export_sr` (every check it makes applies: the
film must be the reading's, the sign-off hash must match). The PDF is made by
:func:`gazex_viewer.core.export.pdf.export_pdf` from the film and wrapped here in an Encapsulated
PDF instance (pydicom; highdicom has no such class) in the radiograph's study, with the patient and
study attributes of the source image and a reference to it.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gazex_viewer.core.pacs import PacsError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.core.reading.document import Reading

ENCAPSULATED_PDF_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.104.1"
PDF_SERIES_DESCRIPTION = "GazeX chest X-ray report (PDF)"
_PATIENT_STUDY_KEYWORDS = (
    "PatientName", "PatientID", "PatientBirthDate", "PatientSex", "IssuerOfPatientID",
    "StudyInstanceUID", "StudyDate", "StudyTime", "ReferringPhysicianName", "StudyID", "AccessionNumber",
    "StudyDescription", "SpecificCharacterSet",
)


@dataclass
class ResultDocuments:
    """The datasets to store for one reading, and what the user should be told."""

    sr: Dataset
    pdf: Dataset | None
    signed: bool
    warnings: list[str] = field(default_factory=list)

    @property
    def datasets(self) -> list[Dataset]:
        return [self.sr] + ([self.pdf] if self.pdf is not None else [])


def encapsulated_pdf(
    pdf_bytes: bytes,
    source: Dataset,
    *,
    title: str,
    series_number: int = 902,
    manufacturer: str = "GazeX Viewer",
) -> Dataset:
    """An Encapsulated PDF instance in the source image's study, referencing it."""
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import (
        PYDICOM_IMPLEMENTATION_UID,
        ExplicitVRLittleEndian,
        generate_uid,
    )

    if not pdf_bytes.startswith(b"%PDF"):
        raise PacsError(None, "the report is not a PDF document")
    now = datetime.now()
    ds = Dataset()
    for keyword in _PATIENT_STUDY_KEYWORDS:
        element = source.data_element(keyword) if keyword in source else None
        if element is not None:
            setattr(ds, keyword, element.value)
    for keyword in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime",
                    "ReferringPhysicianName", "StudyID", "AccessionNumber"):
        if keyword not in ds:
            setattr(ds, keyword, "")
    ds.SOPClassUID = ENCAPSULATED_PDF_SOP_CLASS
    ds.SOPInstanceUID = generate_uid()
    ds.Modality = "DOC"
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = series_number
    ds.SeriesDescription = PDF_SERIES_DESCRIPTION
    ds.Manufacturer = manufacturer
    ds.ConversionType = "WSD"
    ds.InstanceNumber = 1
    ds.ContentDate = now.strftime("%Y%m%d")
    ds.ContentTime = now.strftime("%H%M%S")
    ds.AcquisitionDateTime = now.strftime("%Y%m%d%H%M%S")
    ds.InstanceCreationDate = ds.ContentDate
    ds.InstanceCreationTime = ds.ContentTime
    ds.BurnedInAnnotation = "YES"
    ds.DocumentTitle = title[:64]
    ds.ConceptNameCodeSequence = Sequence()
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ref = Dataset()
    ref.ReferencedSOPClassUID = source.SOPClassUID
    ref.ReferencedSOPInstanceUID = source.SOPInstanceUID
    ds.SourceInstanceSequence = Sequence([ref])
    ds.EncapsulatedDocumentLength = len(pdf_bytes)
    ds.EncapsulatedDocument = pdf_bytes + (b"\0" if len(pdf_bytes) % 2 else b"")
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    # a file dataset with its preamble: dicomweb-client writes the dataset "as is", and Orthanc keeps what it
    # got (a plain Dataset goes without preamble and "DICM", and comes back unreadable)
    return FileDataset("", ds, file_meta=meta, preamble=b"\0" * 128)


def result_documents(
    reading: Reading,
    film: Radiograph | str | os.PathLike[str],
    *,
    pdf: bool = True,
    institution_name: str | None = None,
) -> ResultDocuments:
    """The SR (and the PDF, unless ``pdf`` is False) of a reading on its DICOM film.

    ``film`` is the open film (a :class:`~gazex_viewer.core.imaging.radiograph.Radiograph`: the
    header, name and pixels come from it and its source, whatever the source is) or, for the
    command line, the film's DICOM file.

    Raises ExportError (from the exporters) when the reading and film do not match or the reading's
    sign-off is broken, PacsError when the film is not DICOM (a PACS result must live in the film's study).
    """
    if not isinstance(film, (str, os.PathLike)):
        return _documents_of_film(reading, film, pdf=pdf, institution_name=institution_name)
    import pydicom

    from gazex_viewer.core.export.sr import export_sr
    from gazex_viewer.core.imaging.source import read_source_dataset

    image = Path(film)
    source = read_source_dataset(image)
    if source is None:
        raise PacsError(image, _NOT_DICOM)
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gazex-results-") as tmp:
        radiograph = None
        image_sha256 = None
        if pdf:
            from gazex_viewer.core.imaging.files import load_radiograph

            radiograph = load_radiograph(image)
            image_sha256 = radiograph.pixel_sha256
        sr_path = Path(tmp) / "sr.dcm"
        sr = export_sr(reading, sr_path, image_path=image, institution_name=institution_name, image_sha256=image_sha256)
        warnings += sr.warnings
        sr_ds = pydicom.dcmread(sr_path)
        pdf_ds = None
        if radiograph is not None:
            from gazex_viewer.core.export.pdf import export_pdf

            pdf_path = Path(tmp) / "report.pdf"
            out = export_pdf(reading, radiograph.render(), pdf_path, image_sha256=image_sha256, image_path=image)
            warnings += [w for w in out.warnings if w not in warnings]
            signed = out.signed
            pdf_ds = encapsulated_pdf(
                pdf_path.read_bytes(), source,
                title="Chest X-ray report" + ("" if signed else " (DRAFT)"),
            )
    return ResultDocuments(sr=sr_ds, pdf=pdf_ds, signed=sr.signed, warnings=warnings)


_NOT_DICOM = "not a DICOM image: results are stored in the film's own study, which it has none of"


def _documents_of_film(
    reading: Reading, film: Radiograph, *, pdf: bool, institution_name: str | None
) -> ResultDocuments:
    """:func:`result_documents` for the open film: its source's header, its pixels; no file read again."""
    import pydicom

    from gazex_viewer.core.export.sr import export_sr, film_header
    from gazex_viewer.core.reading.patient_identity import identity_of_film

    source = film_header(film)
    if source is None:
        raise PacsError(film.name, _NOT_DICOM)
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gazex-results-") as tmp:
        sr_path = Path(tmp) / "sr.dcm"
        sr = export_sr(reading, sr_path, film=film, institution_name=institution_name)
        warnings += sr.warnings
        sr_ds = pydicom.dcmread(sr_path)
        pdf_ds = None
        if pdf:
            from gazex_viewer.core.export.pdf import export_pdf

            pdf_path = Path(tmp) / "report.pdf"
            out = export_pdf(
                reading, film.render(), pdf_path, image_sha256=film.pixel_sha256,
                identity=identity_of_film(film.name, film.source.header()),
            )
            warnings += [w for w in out.warnings if w not in warnings]
            pdf_ds = encapsulated_pdf(
                pdf_path.read_bytes(), source,
                title="Chest X-ray report" + ("" if out.signed else " (DRAFT)"),
            )
    return ResultDocuments(sr=sr_ds, pdf=pdf_ds, signed=sr.signed, warnings=warnings)
