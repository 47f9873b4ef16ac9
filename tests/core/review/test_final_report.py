"""The final report model, and the PDF and SR rendered from it: same findings, identity, audit trail."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.export.pdf import export_pdf
from gazex_viewer.core.export.sr import export_sr
from gazex_viewer.core.reading.document import Box, Label, Reading
from gazex_viewer.core.reading.patient_identity import read_identity
from gazex_viewer.core.review.final_report import AUDIT_HEADING, build_final_report
from gazex_viewer.core.review.session import ReviewSession
from tests.conftest import require_tool, shared_file
from tests.dicom_tools import dciodvfy_errors, dsrdump
from tests.factories import make_reading, sign

APPENDIX = f"Appendix: {AUDIT_HEADING}"


def _pdftotext(pdf: Path) -> str:
    return subprocess.run([require_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True,
                          text=True, timeout=60, check=True).stdout


def _pdf_findings(text: str) -> list[str]:
    """The numbered findings of the PDF body ("1. Support apparatus.")."""
    body = text.split(APPENDIX)[0]
    return [m.group(1).strip() for m in re.finditer(r"^\s*\d+\.\s+(\S.*?)\s*$", body, re.MULTILINE)]


def _sr_findings(path: Path) -> list[str]:
    return re.findall(r'TEXT:\(,,"Finding"\)="([^"]*)"', dsrdump(path))


def _dicom_reading(src_path: Path) -> Reading:
    src = pydicom.dcmread(src_path, stop_before_pixels=True)
    return make_reading(
        width=int(src.Columns), height=int(src.Rows), file_name=src_path.name,
        sop_instance_uid=str(src.SOPInstanceUID), study_instance_uid=str(src.StudyInstanceUID),
        sop_class_uid=str(src.SOPClassUID),
    )


def _review(reading: Reading) -> ReviewSession:
    s = ReviewSession(reading, "Dr Ada Lovelace")
    s.accept("f-000")
    s.reject("f-001", "not assessable on a supine film")
    # the words change and the labels follow them: now a pertinent negative
    s.edit("f-002", text="heart size is normal", labels=[Label("Cardiomegaly", "negative")])
    s.accept("f-003")
    s.add_finding("right sixth rib fracture", Box.from_corners(50, 60, 150, 170),
                  [Label("Fracture", "positive")])
    s.set_impression("no acute cardiopulmonary process")
    return s


def test_model_files_by_current_labels_and_keeps_rejected_in_the_audit_only() -> None:
    reading = make_reading()
    s = _review(reading)
    sign(s, account="ada")
    before = reading.to_json()
    report = build_final_report(reading)
    assert reading.to_json() == before  # the model is built without touching the reading
    assert report.is_final and report.signer is not None
    assert report.signer.name == "Dr Ada Lovelace" and report.signer.account == "ada"
    assert [f.text for f in report.positives] == [
        "Support apparatus.", "Left basilar opacity.", "Right sixth rib fracture."]
    assert [f.text for f in report.negatives] == ["Heart size is normal."]
    assert [f.number for f in report.findings] == [1, 2, 3, 4]
    assert report.negatives[0].ai_text == "Enlarged cardiac silhouette."
    assert all("pneumothorax" not in f.text.lower() for f in report.findings)
    (rejected,) = report.rejected
    assert rejected.ai_text == "No pneumothorax." and rejected.reason == "not assessable on a supine film"
    assert rejected.at is not None and rejected.by == "Dr Ada Lovelace"
    assert report.impression == "No acute cardiopulmonary process."
    assert report.headline().startswith("Final report, signed by Dr Ada Lovelace (OS account ada) at ")
    # the raw text stays in the reading
    assert reading.findings[0].text == "support apparatus"


def test_sr_and_pdf_list_the_same_final_findings_and_rg1_identity(tmp_path: Path, artifacts_dir: Path) -> None:
    from gazex_viewer.core.imaging.files import load_radiograph

    src_path = shared_file("dicom/RG1_UNCR.dcm")
    reading = _dicom_reading(src_path)
    for f in reading.findings:  # put the regions on the lungs and heart of this 1841 x 1955 film
        if f.observation is not None:
            o = f.observation
            f.observation = Box.from_corners(o.x_min * 1.6, o.y_min * 1.6, o.x_max * 1.6, o.y_max * 1.6)
    sign(_review(reading))
    rg = load_radiograph(src_path)
    pdf = artifacts_dir / "final_report_rg1_signed.pdf"
    export_pdf(reading, rg.render(), pdf, image_path=src_path, image_sha256=str(rg.pixel_sha256))
    sr = tmp_path / "rg1_sr.dcm"
    export_sr(reading, sr, image_path=src_path)
    assert dciodvfy_errors(sr) == []

    text = _pdftotext(pdf)
    pdf_findings = _pdf_findings(text)
    assert pdf_findings == _sr_findings(sr) == [
        "Support apparatus.", "Left basilar opacity.", "Right sixth rib fracture.", "Heart size is normal."]
    body, appendix = text.split(APPENDIX)
    for expected in ("CompressedSamples, RG1", "9RG1", "1940-03-05", "Female", "exam Number",
                     "2004-08-26", "THORAX", "PA", "Philips Medical Systems Hamburg", "ward"):
        assert expected in body, expected
    assert "Pertinent negatives" in body and "Final report, signed by Dr Ada Lovelace (OS account" in body
    # the rejected AI sentence and its reason appear only in the appendix
    assert "pneumothorax" not in body.lower()
    assert "No pneumothorax." in appendix and "not assessable on a supine film" in appendix
    # both pages as pictures, to look at (test-artifacts/final_report_rg1_page-1.png, -2.png)
    for old in artifacts_dir.glob("final_report_rg1_page-*.png"):
        old.unlink()
    subprocess.run([require_tool("pdftoppm"), "-r", "80", "-png", str(pdf), str(artifacts_dir / "final_report_rg1_page")],
                   check=True, timeout=120, capture_output=True)
    assert sorted(p.name for p in artifacts_dir.glob("final_report_rg1_page-*.png")) == [
        "final_report_rg1_page-1.png", "final_report_rg1_page-2.png"]


def test_png_report_says_identity_unknown(tmp_path: Path) -> None:
    png = shared_file("images/nih/00000001_000.png")
    reading = make_reading(width=512, height=512, file_name=png.name)
    ReviewSession(reading, "Dr Ada").accept("f-000")
    out = tmp_path / "png.pdf"
    export_pdf(reading, np.zeros((512, 512), np.uint8), out, image_path=png)
    assert "Patient identity unknown" in _pdftotext(out)


def _odd_identity_source(tmp_path: Path, name: str) -> Path:
    ds = pydicom.dcmread(shared_file("dicom/nih_dx_secondary_capture.dcm"))
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientName = name
    ds.PatientID = ""
    for keyword in ("PatientBirthDate", "StudyDate", "StudyTime"):
        if keyword in ds:
            delattr(ds, keyword)
    ds.AccessionNumber = "A\x01B 12"
    out = tmp_path / "odd.dcm"
    ds.save_as(out)
    return out


@pytest.mark.parametrize("name", ["", "Müller^Jürgen", "山田^太郎"])
def test_odd_identity_values_still_give_complete_consistent_reports(name: str, tmp_path: Path) -> None:
    src_path = _odd_identity_source(tmp_path, name)
    identity = read_identity(src_path)
    assert identity.known and identity.patient_id is None and identity.birth_date is None
    assert identity.accession_number == "A B 12"  # a control character is not printed
    reading = _dicom_reading(src_path)
    sign(_review(reading))
    pdf = tmp_path / "odd.pdf"
    export_pdf(reading, np.zeros((reading.image.height, reading.image.width), np.uint8), pdf, image_path=src_path)
    sr = tmp_path / "odd_sr.dcm"
    export_sr(reading, sr, image_path=src_path)
    assert dciodvfy_errors(sr) == []
    text = _pdftotext(pdf)
    assert _pdf_findings(text) == _sr_findings(sr)
    if name:
        shown = name.replace("^", ", ")
        if name.isascii() or "ü" in name:
            assert shown in text
        else:  # no CJK font: the name is given as code points, said so, never silently blank
            flat = " ".join(text.split())
            assert "<U+5C71><U+7530>," in flat and "<U+592A><U+90CE>" in flat and "code points" in flat
        assert str(pydicom.dcmread(sr).PatientName) == name


def test_missing_labels_and_sentences_and_forty_findings(tmp_path: Path) -> None:
    reading = make_reading(n=40)
    reading.sentences = []  # a reading whose sentences are missing
    for f in reading.findings:
        f.labels = []  # ... and whose labels are missing: derived from the words
        f.text = f"no pleural effusion number {f.id} ." if f.id.endswith("7") else f"opacity {f.id}"
    s = ReviewSession(reading, "Dr Ada")
    for fid in s.finding_ids:
        (s.reject if fid.endswith("3") else s.accept)(fid)
    sign(s)
    report = build_final_report(reading)
    assert len(report.findings) == 36 and len(report.negatives) == 4
    assert all(f.labels_derived for f in report.findings)
    pdf = tmp_path / "forty.pdf"
    result = export_pdf(reading, np.zeros((1024, 1024), np.uint8), pdf)
    sr = tmp_path / "forty.dcm"
    export_sr(reading, sr)
    assert result.n_pages >= 3
    assert dciodvfy_errors(sr) == []
    text = _pdftotext(pdf)
    assert _pdf_findings(text) == _sr_findings(sr) == [f.text for f in report.findings]
    assert f"page {result.n_pages} of {result.n_pages}" in text
    assert "Opacity f-003." not in text.split(APPENDIX)[0] and "Opacity f-003." in text.split(APPENDIX)[1]


def test_duplicate_finding_ids_refused_in_one_line(tmp_path: Path) -> None:
    reading = make_reading()
    reading.findings[1].id = reading.findings[0].id
    with pytest.raises(ExportError) as info:
        export_pdf(reading, np.zeros((1024, 1024), np.uint8), tmp_path / "dup.pdf")
    assert "duplicate finding ids" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "dup.pdf").exists()


def test_signing_time_is_stored_in_utc_and_printed_in_local_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from gazex_viewer.core.reading.report_display import local_time_text

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        reading = make_reading()
        s = ReviewSession(reading, "Dr Ada")
        for fid in list(s.undecided()):
            s.accept(fid)
        s.set_impression("no acute disease")
        so = sign(s, account="ada")
        assert so.at.endswith("+00:00")
        shown = local_time_text(so.at)
        assert shown.endswith(("(UTC-05:00)", "(UTC-04:00)")) and ("EST" in shown or "EDT" in shown)
        out = tmp_path / "ny.pdf"
        export_pdf(reading, np.zeros((1024, 1024), np.uint8), out)
        assert f"Final report, signed by Dr Ada (OS account ada) at {shown}" in " ".join(_pdftotext(out).split())
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_signoff_account_is_compatible_with_old_readings() -> None:
    import json

    from gazex_viewer.core.reading.validation import (
        parse_reading,
        validate_reading_dict,
    )
    from gazex_viewer.core.review.session import verify_signoff

    reading = make_reading()
    s = ReviewSession(reading, "Dr Ada")
    for fid in list(s.undecided()):
        s.accept(fid)
    sign(s, account="ada")
    data = json.loads(reading.to_json())
    assert data["review"]["signoff"]["account"] == "ada" and validate_reading_dict(data) == []
    assert parse_reading(json.dumps(data)).review.signoff.account == "ada"  # type: ignore[union-attr]
    # the account is part of what is signed: removing it breaks the signature
    del data["review"]["signoff"]["account"]
    stripped = parse_reading(json.dumps(data))
    assert stripped.review is not None and stripped.review.signoff is not None
    assert stripped.review.signoff.account is None and not verify_signoff(stripped)
    # a reading signed before accounts (and keys) were recorded still loads, as a legacy hash-only sign-off
    data["review"]["signoff"] = {k: data["review"]["signoff"][k] for k in ("reviewer", "at", "content_sha256")}
    old = parse_reading(json.dumps(data))
    assert old.review is not None and old.review.signoff is not None and old.review.signoff.account is None
    assert "account" not in json.loads(old.to_json())["review"]["signoff"]
    assert build_final_report(old).signer is None  # hash only: never shown as signed
