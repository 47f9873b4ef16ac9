"""A GazeX SR read back into a reading: from a file, and round trip through a real Orthanc
(export_sr -> STOW -> QIDO -> WADO -> import -> the same finding texts, boxes, labels and status)."""

from __future__ import annotations

from pathlib import Path

import pydicom
import pytest

from gazex_viewer.core.pacs import PacsError
from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.dicomweb import DicomWebPacs, DicomWebSource
from gazex_viewer.core.pacs.sr_import import import_sr
from tests.conftest import shared_file
from tests.factories import signed_reading_for
from tests.servers.orthanc_fixtures import (
    RG1_STUDY,
    RG1_UNCR_SOP,
    clear_results,
    orthanc_profile,
)


def _expected(reading):  # type: ignore[no-untyped-def]
    """(text, box corners, labels) of each finding the signed report keeps, in report order."""
    from gazex_viewer.core.review.final_report import build_final_report

    out = []
    for rf in build_final_report(reading).numbered():
        b = rf.observation
        corners = None if b is None else tuple(round(v, 2) for v in (b.x_min, b.y_min, b.x_max, b.y_max))
        out.append((rf.text, corners, [(lab.observation, lab.status) for lab in rf.labels], rf.origin))
    return out


def _got(imported):  # type: ignore[no-untyped-def]
    out = []
    for f in imported.reading.findings:
        b = f.observation
        corners = None if b is None else tuple(round(v, 2) for v in (b.x_min, b.y_min, b.x_max, b.y_max))
        out.append((f.text, corners, [(lab.observation, lab.status) for lab in f.labels], imported.status[f.id]))
    return out


def test_a_signed_sr_file_reads_back(tmp_path: Path) -> None:
    from gazex_viewer.core.export.sr import export_sr
    from gazex_viewer.core.imaging.files import load_radiograph

    film = shared_file("dicom/RG1_UNCR.dcm")
    reading = signed_reading_for(film)
    export_sr(reading, tmp_path / "sr.dcm", image_path=film)
    imported = import_sr(pydicom.dcmread(tmp_path / "sr.dcm"), load_radiograph(film).image_ref())
    assert _got(imported) == _expected(reading) and len(imported.reading.findings) == 3
    assert {s for s in imported.status.values()} == {"accepted", "edited"}
    assert imported.signed and imported.signed_by == "Lovelace^Ada" and imported.impression == "Mild cardiomegaly."
    assert imported.reading.producer.kind == "expert"  # a signed result is shown, not signed again
    assert imported.reading.image.sop_instance_uid == RG1_UNCR_SOP
    # on another film: one clear line
    other = load_radiograph(shared_file("dicom/RG1_UNCR.dcm")).image_ref()
    other.sop_instance_uid = "1.2.3"
    with pytest.raises(PacsError, match="is about image .* not the open film 1.2.3"):
        import_sr(pydicom.dcmread(tmp_path / "sr.dcm"), other)
    with pytest.raises(PacsError, match="is not a structured report"):
        import_sr(pydicom.dcmread(film, stop_before_pixels=True), other)


def test_round_trip_through_the_pacs(orthanc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.pacs.documents import result_documents

    clear_results(orthanc)
    pacs = DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "cache"))
    hit = next(i for i in pacs.search_instances(RG1_STUDY) if i.sop_instance_uid == RG1_UNCR_SOP)
    film = DicomWebSource(pacs, hit).path()
    signed = signed_reading_for(film)
    draft = signed_reading_for(film, sign=False)
    for reading in (signed, draft):
        pacs.store([result_documents(reading, film, pdf=False).sr])
    srs = pacs.gazex_srs(RG1_STUDY)
    assert sorted(s.signed for s in srs) == [False, True]
    ref = load_radiograph(film).image_ref()
    for sr in srs:
        (sr_hit,) = [i for i in pacs.search_instances(RG1_STUDY, ("SR",)) if i.sop_instance_uid == sr.sop_instance_uid]
        imported = import_sr(pydicom.dcmread(pacs.retrieve(sr_hit)), ref)
        assert imported.signed == sr.signed
        original = signed if sr.signed else draft
        assert _got(imported) == _expected(original)
        assert imported.reading.producer.kind == ("expert" if sr.signed else "model")
        assert imported.reading.image.study_instance_uid == RG1_STUDY
    clear_results(orthanc)
