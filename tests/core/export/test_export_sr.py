"""DICOM SR export: dciodvfy reports no errors, dsrdump reads back every accepted finding and region."""

from __future__ import annotations

import re
from pathlib import Path

import pydicom
import pytest

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.export.sr import export_sr
from gazex_viewer.core.reading.document import Box, Reading
from gazex_viewer.core.reading.report_display import display_sentence
from gazex_viewer.core.review.final_report import AUDIT_HEADING
from gazex_viewer.core.review.session import ReviewSession
from tests.conftest import shared_file
from tests.dicom_tools import dciodvfy_errors, dsrdump
from tests.factories import make_reading
from tests.factories import sign as sign_session


def _reviewed(reading: Reading, *, sign: bool) -> tuple[ReviewSession, str]:
    s = ReviewSession(reading, "Lovelace^Ada")
    s.accept("f-000")
    s.reject("f-001", "no pneumothorax sign needed")
    s.edit("f-002", text="mild cardiomegaly", observation=Box.from_corners(370, 480, 830, 870))
    s.accept("f-003")
    added = s.add_finding("right sixth rib fracture", Box.from_corners(50, 60, 150, 170))
    s.set_impression("mild cardiomegaly; support apparatus in place")
    if sign:
        sign_session(s)
    return s, added


def _polyline(b: Box) -> str:
    def n(v: float) -> str:
        return f"{v:g}"
    pts = [(b.x_min, b.y_min), (b.x_max, b.y_min), (b.x_max, b.y_max), (b.x_min, b.y_max), (b.x_min, b.y_min)]
    return "POLYLINE," + ",".join(f"{n(x)}/{n(y)}" for x, y in pts)


@pytest.mark.parametrize("name", ["dicom/nih_dx_secondary_capture.dcm", "dicom/RG1_UNCR.dcm"])
def test_signed_sr_on_dicom_source_is_valid_and_complete(name: str, tmp_path: Path) -> None:
    src_path = shared_file(name)
    src = pydicom.dcmread(src_path, stop_before_pixels=True)
    reading = make_reading(
        width=int(src.Columns), height=int(src.Rows), file_name=src_path.name,
        sop_instance_uid=str(src.SOPInstanceUID), study_instance_uid=str(src.StudyInstanceUID),
        sop_class_uid=str(src.SOPClassUID),
    )
    session, added = _reviewed(reading, sign=True)
    out = tmp_path / "report_sr.dcm"
    result = export_sr(reading, out, image_path=src_path)
    assert result.source_is_dicom and result.signed and result.warnings == []
    assert result.n_findings == 4

    assert dciodvfy_errors(out) == []
    dump = dsrdump(out)
    assert "Comprehensive SR Document" in dump
    assert "Completion Flag     : COMPLETE" in dump and "Verification Flag   : VERIFIED" in dump
    assert "Lovelace^Ada" in dump
    for rf in session.reviewed_findings():
        f = rf.finding
        assert f'TEXT:(,,"Finding")="{display_sentence(f.text)}"' in dump
        assert f.observation is not None
        assert _polyline(f.observation) in dump, _polyline(f.observation)
    # the rejected finding is not a finding: it is named only in the audit trail, with its reason
    assert "No pneumothorax" not in dump.split(AUDIT_HEADING)[0]
    assert (f'{AUDIT_HEADING}, A2: AI draft "No pneumothorax.": rejected; reason: no pneumothorax sign needed'
            in dump)
    # every region references the source image's SOP instance
    refs = re.findall(r'"Source"\)=\([^,]+,"([0-9.]+)"\)', dump)
    assert len(refs) == 4 and set(refs) == {str(src.SOPInstanceUID)}

    sr = pydicom.dcmread(out)
    assert sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.33"  # Comprehensive SR
    assert sr.StudyInstanceUID == src.StudyInstanceUID and sr.PatientID == src.get("PatientID", "")
    assert sr.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    assert session.signoff is not None
    assert session.signoff.content_sha256 in dump


def test_draft_sr_is_marked_and_keeps_undecided_marked(tmp_path: Path) -> None:
    src_path = shared_file("dicom/nih_dx_secondary_capture.dcm")
    src = pydicom.dcmread(src_path, stop_before_pixels=True)
    reading = make_reading(sop_instance_uid=str(src.SOPInstanceUID))
    s = ReviewSession(reading, "Lovelace^Ada")
    s.accept("f-000")
    s.reject("f-002")
    result = export_sr(reading, tmp_path / "draft.dcm", image_path=src_path)
    assert not result.signed and any("DRAFT" in w for w in result.warnings)
    assert dciodvfy_errors(tmp_path / "draft.dcm") == []
    dump = dsrdump(tmp_path / "draft.dcm")
    assert "Completion Flag     : PARTIAL" in dump and "Verification Flag   : UNVERIFIED" in dump
    assert "DRAFT: this reading is not signed; 2 AI finding(s) are not yet reviewed." in dump
    assert dump.count("Review status: AI draft, not yet reviewed") == 2
    assert 'TEXT:(,,"Finding")="Enlarged cardiac silhouette."' not in dump


def test_png_source_gets_new_uids_and_a_statement(tmp_path: Path) -> None:
    png = shared_file("images/nih/00000001_000.png")
    reading = make_reading(width=512, height=512, file_name=png.name)
    _reviewed(reading, sign=True)
    out = tmp_path / "png_sr.dcm"
    result = export_sr(reading, out, image_path=png)
    assert not result.source_is_dicom
    assert len(result.warnings) == 1 and "00000001_000.png is not DICOM" in result.warnings[0]
    assert dciodvfy_errors(out) == []
    dump = dsrdump(out)
    assert "Source image was not DICOM: the image file 00000001_000.png is not DICOM" in dump
    sr = pydicom.dcmread(out)
    ref = sr.CurrentRequestedProcedureEvidenceSequence[0]
    assert ref.StudyInstanceUID == sr.StudyInstanceUID
    ref_uid = ref.ReferencedSeriesSequence[0].ReferencedSOPSequence[0].ReferencedSOPInstanceUID
    assert ref_uid != sr.SOPInstanceUID and ref_uid.startswith("1.2.826.0.1.3680043.8.498.")
    assert sr.PatientID == ""


def test_missing_image_is_never_silent(tmp_path: Path) -> None:
    reading = make_reading(sop_instance_uid="1.2.3.4.5", study_instance_uid="1.2.3.4")
    _reviewed(reading, sign=False)
    out = tmp_path / "missing.dcm"
    result = export_sr(reading, out, image_path=tmp_path / "gone.dcm")
    assert "the image file gone.dcm was not found" in result.warnings[0]
    assert "names SOP Instance UID 1.2.3.4.5 of study 1.2.3.4" in result.warnings[0]
    sr = pydicom.dcmread(out)
    assert sr.StudyInstanceUID != "1.2.3.4"  # not filed into a study it could not verify
    assert dciodvfy_errors(out) == []


def test_wrong_dicom_image_is_refused(tmp_path: Path) -> None:
    src_path = shared_file("dicom/nih_dx_secondary_capture.dcm")
    reading = make_reading(sop_instance_uid="1.2.3.999")
    with pytest.raises(ExportError, match="belongs to 1.2.3.999") as info:
        export_sr(reading, tmp_path / "x.dcm", image_path=src_path)
    assert str(info.value).startswith(str(src_path))
    assert not (tmp_path / "x.dcm").exists()


def test_png_of_other_size_is_refused(tmp_path: Path) -> None:
    png = shared_file("images/nih/00000001_000.png")
    with pytest.raises(ExportError, match="512 x 512 pixels, but the reading's regions are for 1024 x 1024"):
        export_sr(make_reading(), tmp_path / "x.dcm", image_path=png)
