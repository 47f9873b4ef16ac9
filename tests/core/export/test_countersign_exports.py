"""An attending's countersignature in the final report, the PDF and the DICOM SR (issue 16).

The SR names the attending as a second verifying observer (and in a comment) and stays valid for dciodvfy;
the PDF prints a second signature line; a countersignature that does not verify is shown nowhere.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pydicom

from gazex_viewer.core.export.pdf import export_pdf
from gazex_viewer.core.export.sr import export_sr
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.review.final_report import build_final_report
from gazex_viewer.core.review.session import ReviewSession
from tests.conftest import require_tool, shared_file
from tests.dicom_tools import dciodvfy_errors
from tests.factories import key_for, make_reading, sign


def _rg1_reading() -> tuple[Path, Reading]:
    src_path = shared_file("dicom/RG1_UNCR.dcm")
    src = pydicom.dcmread(src_path, stop_before_pixels=True)
    return src_path, make_reading(
        width=int(src.Columns), height=int(src.Rows), file_name=src_path.name,
        sop_instance_uid=str(src.SOPInstanceUID), study_instance_uid=str(src.StudyInstanceUID),
        sop_class_uid=str(src.SOPClassUID))


def _countersign(reading: Reading) -> None:
    trainee = ReviewSession(reading, "Dr Trainee Tom")
    for fid in list(trainee.undecided()):
        trainee.accept(fid)
    trainee.set_impression("no acute process")
    sign(trainee, account="tom")
    ReviewSession(reading, "Dr Attending Ann").countersign(key=key_for("Dr Attending Ann"), account="ann")


def test_final_report_names_the_attending_only_while_the_countersignature_verifies() -> None:
    reading = make_reading()
    _countersign(reading)
    report = build_final_report(reading)
    assert report.is_final and report.signer is not None and report.countersigner is not None
    assert report.countersigner.who == "Dr Attending Ann (OS account ann)"
    assert report.countersigner.content_sha256 == report.signer.content_sha256
    assert "; countersigned by Dr Attending Ann (OS account ann) (attending) at " in report.headline()
    assert reading.review is not None and reading.review.countersign is not None
    reading.review.countersign.reviewer = "Dr Famous"  # no longer verifies
    forged = build_final_report(reading)
    assert forged.is_final and forged.countersigner is None and "countersigned" not in forged.headline()


def test_sr_has_the_attending_as_second_verifying_observer_and_stays_valid(tmp_path: Path) -> None:
    src_path, reading = _rg1_reading()
    _countersign(reading)
    out = tmp_path / "countersigned_sr.dcm"
    export_sr(reading, out, image_path=src_path)
    assert dciodvfy_errors(out) == []
    ds = pydicom.dcmread(out)
    assert ds.VerificationFlag == "VERIFIED"
    observers = ds.VerifyingObserverSequence
    assert [str(o.VerifyingObserverName) for o in observers] == ["Dr Trainee Tom^", "Dr Attending Ann^"]
    assert all(o.VerificationDateTime for o in observers)
    assert observers[1].VerificationDateTime >= observers[0].VerificationDateTime
    assert b"Countersigned by Dr Attending Ann (OS account ann) (attending) at " in out.read_bytes()


def test_sr_of_a_signed_review_without_countersignature_has_one_verifying_observer(tmp_path: Path) -> None:
    src_path, reading = _rg1_reading()
    s = ReviewSession(reading, "Dr Trainee Tom")
    for fid in list(s.undecided()):
        s.accept(fid)
    sign(s)
    out = tmp_path / "signed_sr.dcm"
    export_sr(reading, out, image_path=src_path)
    ds = pydicom.dcmread(out)
    assert len(ds.VerifyingObserverSequence) == 1 and b"Countersigned" not in out.read_bytes()


def test_pdf_prints_the_countersignature(tmp_path: Path) -> None:
    from gazex_viewer.core.imaging.files import load_radiograph

    src_path, reading = _rg1_reading()
    _countersign(reading)
    rg = load_radiograph(src_path)
    pdf = tmp_path / "countersigned.pdf"
    export_pdf(reading, rg.render(), pdf, image_path=src_path, image_sha256=str(rg.pixel_sha256))
    text = subprocess.run([require_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout
    flat = " ".join(text.split())
    assert "Signed: Dr Trainee Tom (OS account tom)" in flat
    assert "Countersigned (attending): Dr Attending Ann (OS account ann)" in flat
    assert "countersigned by Dr Attending Ann" in flat  # the status line under the identity
