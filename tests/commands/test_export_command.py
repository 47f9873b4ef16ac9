"""`gazex-viewer export READING.json --image INPUT [--sr] [--pdf] [--json] [--store]`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pydicom
import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from tests.conftest import ROOT, require_tool, shared_file
from tests.factories import make_reading, sign


def _dicom_reading(tmp_path: Path) -> tuple[Path, Path, Reading]:
    src = shared_file("dicom/nih_dx_secondary_capture.dcm")
    ds = pydicom.dcmread(src, stop_before_pixels=True)
    reading = make_reading(sop_instance_uid=str(ds.SOPInstanceUID), study_instance_uid=str(ds.StudyInstanceUID))
    path = tmp_path / "reading.json"
    reading.save(path)
    return src, path, reading


def test_export_all_three_from_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, path, reading = _dicom_reading(tmp_path)
    db = tmp_path / "reviews.sqlite3"
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Lovelace^Ada")
        for fid in list(s.undecided()):
            s.accept(fid)
        s.reject("f-001", "not seen")
        sign(s)
    out_sr, out_pdf, out_json = tmp_path / "o.dcm", tmp_path / "o.pdf", tmp_path / "o.json"
    rc = main(["export", str(path), "--image", str(src), "--sr", str(out_sr), "--pdf", str(out_pdf),
               "--json", str(out_json), "--store", str(db)])
    cap = capsys.readouterr()
    assert rc == 0, cap.err
    assert cap.err == ""
    assert f"{out_sr}: DICOM SR, 3 finding(s), signed, references the source DICOM image" in cap.out
    assert f"{out_pdf}: PDF, 2 page(s), signed" in cap.out  # the report, then the audit-trail appendix
    exported = Reading.from_json(out_json.read_text())
    assert exported.review is not None and exported.review.signoff is not None
    assert [e.action for e in exported.review.events][-2:] == ["reject", "sign"]
    assert out_pdf.read_bytes()[:5] == b"%PDF-"
    dump = subprocess.run([require_tool("dsrdump"), "+Pl", str(out_sr)], capture_output=True, text=True).stdout
    assert "Verification Flag   : VERIFIED" in dump and 'TEXT:(,,"Finding")="no pneumothorax"' not in dump


def test_png_source_prints_a_warning_and_marks_draft(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = shared_file("images/nih/00000001_000.png")
    reading = make_reading(width=512, height=512, file_name=png.name)
    for f in reading.findings:  # the helper's boxes are for 1024 x 1024: a valid reading has none here
        f.observation = None
        f.clues = []
    path = tmp_path / "r.json"
    reading.save(path)
    rc = main(["export", str(path), "--image", str(png), "--sr", str(tmp_path / "o.dcm")])
    cap = capsys.readouterr()
    assert rc == 0
    assert "warning: Source image was not DICOM: the image file 00000001_000.png is not DICOM" in cap.err
    assert "warning: the reading is not signed: the SR is marked as a DRAFT" in cap.err
    assert "DRAFT (not signed), source not DICOM, new UIDs" in cap.out


def test_bad_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    src, good, _ = _dicom_reading(tmp_path)
    cases = [
        ([str(bad), "--image", str(src), "--sr", str(tmp_path / "x.dcm")], f"{bad}: not valid JSON"),
        ([str(tmp_path / "none.json"), "--image", str(src), "--sr", "x.dcm"], "none.json: file not found"),
        ([str(good), "--image", str(tmp_path / "gone.png"), "--pdf", str(tmp_path / "x.pdf")],
         "gone.png: file not found"),
        ([str(good), "--image", str(src)], "nothing to do"),
    ]
    for argv, expected in cases:
        proc = subprocess.run([sys.executable, "-m", "gazex_viewer", "export", *argv], capture_output=True,
                              text=True, cwd=ROOT, timeout=120)
        assert proc.returncode == 2, (argv, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], proc.stderr
        assert "Traceback" not in proc.stderr
    assert not (tmp_path / "x.pdf").exists()
