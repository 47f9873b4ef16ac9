"""Review integrity (issue 6 audit): a signed report is never altered silently, exported against the
wrong film, or lost. Each test here failed before its fix."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.export.pdf import export_pdf
from gazex_viewer.core.export.sr import export_sr
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.review.session import (
    SIGNATURE_MISMATCH,
    ReadingSignedError,
    ReviewSession,
    signature_problem,
    verify_signoff,
)
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from tests.conftest import ROOT, shared_file
from tests.factories import make_reading, sign


def _signed(**kw: object) -> Reading:
    reading = make_reading(**kw)  # type: ignore[arg-type]
    s = ReviewSession(reading, "Dr Ada")
    for fid in list(s.undecided()):
        s.accept(fid)
    s.reject("f-001", "not seen")
    s.set_impression("Cardiomegaly.")
    sign(s)
    return reading


def _tampered_file(tmp_path: Path, **kw: object) -> tuple[Path, Reading]:
    """A signed reading JSON whose first finding text was changed after signing."""
    reading = _signed(**kw)
    data = json.loads(reading.to_json())
    data["findings"][0]["text"] = "no support apparatus"
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, Reading.from_json(path.read_text(encoding="utf-8"))


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gazex_viewer", *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


# -- 1. the sign-off hash is checked wherever a signed reading is used ---------------------------------------
def test_tampered_signed_reading_is_not_signed_and_is_frozen(tmp_path: Path) -> None:
    path, tampered = _tampered_file(tmp_path)
    assert not verify_signoff(tampered)
    problem = signature_problem(tampered)
    assert problem is not None and problem.startswith(SIGNATURE_MISMATCH) and "signed by Dr Ada" in problem
    s = ReviewSession(tampered, "Dr Bob")
    assert s.signature_invalid and not s.is_signed and s.is_frozen
    with pytest.raises(ReadingSignedError, match="changed after signing"):
        s.reject("f-000")
    with pytest.raises(ReadingSignedError, match="changed after signing"):
        sign(s)
    assert s.reading.findings[0].text == "no support apparatus"  # nothing rewritten
    # the untouched reading still verifies
    genuine = _signed()
    assert verify_signoff(genuine) and signature_problem(genuine) is None
    assert ReviewSession(genuine, "x").is_signed


def test_tampered_reading_is_never_exported(tmp_path: Path) -> None:
    _path, tampered = _tampered_file(tmp_path)
    with pytest.raises(ExportError, match="changed after signing"):
        export_sr(tampered, tmp_path / "o.dcm")
    film = np.zeros((1024, 1024), np.uint8)
    with pytest.raises(ExportError, match="changed after signing"):
        export_pdf(tampered, film, tmp_path / "o.pdf")
    assert not (tmp_path / "o.dcm").exists() and not (tmp_path / "o.pdf").exists()


def test_validate_command_fails_on_a_tampered_signed_reading(tmp_path: Path) -> None:
    path, _ = _tampered_file(tmp_path)
    proc = _cli("validate", str(path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert f"{path}: review.signoff: {SIGNATURE_MISMATCH}" in lines[0]
    proc = _cli("validate", "--all", str(path))
    assert proc.returncode == 2 and f"review.signoff: {SIGNATURE_MISMATCH}" in proc.stderr
    good = tmp_path / "good.json"
    _signed().save(good)
    assert main(["validate", "-q", str(good)]) == 0


def test_export_command_refuses_a_tampered_reading(tmp_path: Path) -> None:
    path, _ = _tampered_file(tmp_path, n=4, width=512, height=512, file_name="00000001_000.png")
    png = shared_file("images/nih/00000001_000.png")
    outs = [tmp_path / "o.dcm", tmp_path / "o.pdf", tmp_path / "o.json"]
    proc = _cli("export", str(path), "--image", str(png), "--sr", str(outs[0]), "--pdf", str(outs[1]),
                "--json", str(outs[2]))
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert f"{path}: " in lines[0] and SIGNATURE_MISMATCH in lines[0]
    assert not any(p.exists() for p in outs)


def test_tampered_review_in_the_database_is_not_signed(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite3"
    reading = make_reading()
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        for fid in list(s.undecided()):
            s.accept(fid)
        sign(s)
    import sqlite3

    con = sqlite3.connect(db)
    row = con.execute("SELECT review_json FROM readings WHERE reading_id = ?", (reading.reading_id,)).fetchone()
    review = json.loads(row[0])
    review["decisions"][0]["status"] = "rejected"
    con.execute("UPDATE readings SET review_json = ? WHERE reading_id = ?", (json.dumps(review), reading.reading_id))
    con.commit()
    con.close()
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        assert s.signature_invalid and not s.is_signed
        with pytest.raises(ExportError, match="changed after signing"):
            export_sr(s.reading, tmp_path / "o.dcm")


# -- 2. export validates the reading --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["review"]["decisions"][0].update(status="bogus"), "review.decisions[0].status"),
        (lambda d: d["review"]["decisions"][1].update(finding_id="f-nope"), "finding id 'f-nope' does not exist"),
    ],
)
def test_export_refuses_an_invalid_reading_with_one_line(tmp_path: Path, change: object, expected: str) -> None:
    reading = make_reading()
    s = ReviewSession(reading, "Dr Ada")
    s.accept("f-000")
    s.accept("f-001")
    data = json.loads(reading.to_json())
    change(data)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "o.dcm"
    proc = _cli("export", str(path), "--image", str(tmp_path / "none.dcm"), "--sr", str(out))
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{path}: " in lines[0] and expected in lines[0]
    assert not out.exists()


# -- 3. the film exported under a report is the reading's own film ---------------------------------------------
def _nih_signed(tmp_path: Path) -> tuple[Path, Path, Path]:
    from gazex_viewer.core.imaging.files import load_radiograph

    own = shared_file("images/nih/00000001_000.png")
    other = shared_file("images/nih/00027426_000.png")  # another patient, also 512 x 512
    rg = load_radiograph(own)
    reading = _signed(n=4, width=512, height=512, file_name=own.name, pixel_sha256=rg.pixel_sha256)
    path = tmp_path / "signed.json"
    reading.save(path)
    return path, own, other


def test_export_refuses_another_patients_film_of_the_same_size(tmp_path: Path) -> None:
    path, own, other = _nih_signed(tmp_path)
    outs = [tmp_path / "o.dcm", tmp_path / "o.pdf"]
    for flag, out in zip(("--sr", "--pdf"), outs):
        proc = _cli("export", str(path), "--image", str(other), flag, str(out))
        assert proc.returncode == 2, proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in proc.stderr
        assert f"{other}: these are not the pixels of the reading's image '00000001_000.png'" in lines[0]
        assert not out.exists()
    reading = Reading.from_json(path.read_text(encoding="utf-8"))
    with pytest.raises(ExportError, match="not the pixels of the reading's image"):
        export_sr(reading, outs[0], image_path=other)
    with pytest.raises(ExportError, match="not the pixels of the reading's image"):
        export_pdf(reading, np.zeros((512, 512), np.uint8), outs[1], image_sha256="ab" * 32)
    assert not any(p.exists() for p in outs)
    # the reading's own film exports, signed
    rc = main(["export", str(path), "--image", str(own), "--sr", str(outs[0]), "--pdf", str(outs[1]), "-q"])
    assert rc == 0 and all(p.exists() for p in outs)


def test_unknown_pixel_hash_is_not_compared(tmp_path: Path) -> None:
    """Expert recordings carry the all-zeros "unknown" hash: only the size is checked."""
    reading = _signed(n=4, width=512, height=512, file_name="x.png")
    assert reading.image.pixel_sha256 == "0" * 64
    out = export_sr(reading, tmp_path / "o.dcm", image_path=shared_file("images/nih/00027426_000.png"))
    assert out.signed and out.path.exists()


# -- 7. a failed export leaves nothing behind ------------------------------------------------------------------
def test_failed_export_writes_nothing(tmp_path: Path) -> None:
    path, own, other = _nih_signed(tmp_path)
    sr, pdf, js = tmp_path / "A.dcm", tmp_path / "B.pdf", tmp_path / "C.json"
    # the PDF's image is missing: the SR and JSON (which could be written) are not written either
    proc = _cli("export", str(path), "--image", str(tmp_path / "gone.png"), "--sr", str(sr), "--pdf", str(pdf),
                "--json", str(js))
    assert proc.returncode == 2
    assert "gone.png: file not found" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not sr.exists() and not pdf.exists() and not js.exists()
    # a DICOM source of another image: found by the SR's checks, before the JSON is written
    dcm = shared_file("dicom/nih_dx_secondary_capture.dcm")
    reading = _signed(sop_instance_uid="1.2.3.999")
    p2 = tmp_path / "r2.json"
    reading.save(p2)
    proc = _cli("export", str(p2), "--image", str(dcm), "--json", str(js), "--sr", str(sr))
    assert proc.returncode == 2 and "belongs to 1.2.3.999" in proc.stderr
    assert not js.exists() and not sr.exists()
    # an output that cannot be written (its folder is a file): the others are not left behind
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = _cli("export", str(path), "--image", str(own), "--sr", str(sr), "--json", str(js),
                "--pdf", str(blocker / "B.pdf"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert not sr.exists() and not js.exists()
    # the same file for two outputs
    proc = _cli("export", str(path), "--image", str(own), "--sr", str(sr), "--pdf", str(sr))
    assert proc.returncode == 2 and "given for two different outputs" in proc.stderr and not sr.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "r2.json", "signed.json"]


def test_staged_outputs_commit_together(tmp_path: Path) -> None:
    from gazex_viewer.core.export.files import StagedOutputs

    a, b = tmp_path / "a.txt", tmp_path / "sub" / "b.txt"
    a.write_text("old")
    with pytest.raises(RuntimeError):
        with StagedOutputs() as staged:
            staged.temp_for(a).write_text("new")
            raise RuntimeError("second output failed")
    assert a.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    with StagedOutputs() as staged:
        staged.temp_for(a).write_text("new a")
        staged.temp_for(b).write_text("new b")
        assert a.read_text() == "old" and not b.exists()
        assert staged.commit() == [a, b]
    assert a.read_text() == "new a" and b.read_text() == "new b"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.txt", "b.txt", "sub"]


# -- 6. the stored readings of one film, summarised; a picked version opens as it is -------------------------
def test_reviews_for_image_and_exact_version(tmp_path: Path) -> None:
    sha = "ab" * 32
    with SqliteReviewStore(tmp_path / "r.sqlite3") as store:
        s = ReviewSession.open(store, make_reading(pixel_sha256=sha), "Dr Ada")
        for fid in list(s.undecided()):
            s.accept(fid)
        sign(s)
        v2 = s.new_version()
        v2.reject("f-000", "second look")
        fresh = ReviewSession.open(store, make_reading(pixel_sha256=sha), "Dr Ada")
        reviews = {r.reading_id: r for r in store.reviews_for_image(sha)}
        assert set(reviews) == {s.reading_id, v2.reading_id, fresh.reading_id}
        signed = reviews[s.reading_id]
        assert signed.signoff is not None and signed.signoff.reviewer == "Dr Ada"
        assert signed.superseded_by == v2.reading_id and signed.n_decided == 4 and signed.has_work
        assert reviews[v2.reading_id].parent_id == s.reading_id and reviews[v2.reading_id].n_decided == 4
        assert not reviews[fresh.reading_id].has_work and "not started: 4 AI finding(s)" in reviews[fresh.reading_id].describe()
        assert "signed by Dr Ada" in signed.describe() and f"superseded by version {v2.reading_id}" in signed.describe()
        # opening the signed one: by default its newest version, exactly it when picked
        assert ReviewSession.open(store, s.reading, "x").reading_id == v2.reading_id
        exact = ReviewSession.open(store, s.reading, "x", follow_versions=False)
        assert exact.reading_id == s.reading_id and exact.is_signed
