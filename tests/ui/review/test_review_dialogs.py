"""Audit log and export dialogs over a real SqliteReviewStore and the real exporters."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Box, Reading
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from gazex_viewer.ui.review.audit_dialog import (
    AuditDialog,
    action_words,
    describe_change,
)
from gazex_viewer.ui.review.export_dialog import (
    ExportDialog,
    default_stem,
    export_reading,
)
from tests.conftest import require_tool, shared_file
from tests.factories import demo_reading, sign

NIH = "images/nih/00000001_000.png"


def _reviewed(db: Path) -> tuple[SqliteReviewStore, Any, Reading]:
    rg = load_radiograph(shared_file(NIH))
    reading = demo_reading(rg)
    store = SqliteReviewStore(db)
    s = ReviewSession.open(store, reading, "Dr Ada")
    s.accept("f-cardio")
    s.reject("f-device", "projects outside the chest")
    s.edit("f-ptx", text="no pneumothorax seen")
    s.add_finding("small left pleural effusion", Box.from_corners(330, 300, 460, 470))
    s.undo()
    s.redo()
    s.set_impression("Cardiomegaly.")
    return store, s, rg


def test_action_words_and_changes() -> None:
    assert action_words("undo:accept") == "Undid: Accepted"
    assert action_words("reject") == "Rejected"
    before = {"finding_id": "f", "status": "undecided", "reason": None, "edited": None}
    after = {"finding_id": "f", "status": "rejected", "reason": "artefact", "edited": None}
    assert describe_change("reject", before, after) == "undecided → rejected; reason: artefact"
    assert describe_change("impression", None, "Cardiomegaly.") == "“Cardiomegaly.”"


def test_audit_dialog_lists_every_event_of_the_study(qtbot: Any, tmp_path: Path) -> None:
    store, s, rg = _reviewed(tmp_path / "r.sqlite3")
    sign(s)
    v2 = s.new_version()
    v2.reject("f-cardio", "on second look, normal size")
    entries = store.events_for_study(rg.pixel_sha256)
    names = {"f-cardio": "1 enlarged cardiac silhouette"}
    originals = {f.id: f.to_dict() for f in s.reading.findings}
    dlg = AuditDialog(entries, title="00000001_000.png", finding_name=lambda f: names.get(f, f), originals=originals)
    qtbot.addWidget(dlg)
    assert dlg.table.rowCount() == len(entries) == 10
    actions = [dlg.cell(r, "Action") for r in range(dlg.table.rowCount())]
    assert actions == [
        "Accepted", "Rejected", "Edited", "Added finding", "Undid: Added finding", "Redid: Added finding",
        "Impression", "Signed", "New version", "Rejected",
    ]
    assert dlg.cell(0, "Finding") == "1 enlarged cardiac silhouette"
    assert dlg.cell(1, "Change") == "undecided → rejected; reason: projects outside the chest"
    assert "text “no pneumothorax” → “no pneumothorax seen”" in dlg.cell(2, "Change")
    assert dlg.cell(3, "Change") == "“small left pleural effusion”"
    assert dlg.cell(7, "Change").startswith("content SHA-256 " + s.signoff.content_sha256[:16])
    assert [dlg.cell(r, "Version") for r in (0, 7, 8, 9)] == ["v1", "v1", "v2", "v2"]
    assert {dlg.cell(r, "Reviewer") for r in range(10)} == {"Dr Ada"}
    assert dlg.cell(0, "Time")[:4].isdigit()
    store.close()


def test_export_draft_then_signed(qtbot: Any, tmp_path: Path) -> None:
    store, s, rg = _reviewed(tmp_path / "r.sqlite3")
    out = tmp_path / "out"
    assert default_stem(s.reading) == "00000001_000-draft"
    res = export_reading(s.reading, out, "draft", ["json", "sr", "pdf"], image_path=rg.path, film=rg.render())
    assert set(res.written) == {"json", "sr", "pdf"} and not res.signed
    assert any("DRAFT" in w for w in res.warnings)
    doc = json.loads((out / "draft.json").read_text())
    assert doc["review"]["signoff"] is None
    statuses = [d["status"] for d in doc["review"]["decisions"]]
    assert statuses == ["accepted", "rejected", "edited"]
    assert (out / "draft.pdf").read_bytes()[:5] == b"%PDF-"
    import pydicom

    sr = pydicom.dcmread(out / "draft.dcm")
    assert sr.CompletionFlag == "PARTIAL" and sr.VerificationFlag == "UNVERIFIED"
    # the dialog, signed
    sign(s)
    dlg = ExportDialog(s.reading, image_path=rg.path, film_loader=rg.render, start_dir=out)
    qtbot.addWidget(dlg)
    assert "Signed" in dlg.state_label.text() and "Dr Ada" in dlg.state_label.text()
    assert dlg.stem_edit.text() == "00000001_000-reviewed"
    dlg.checks["sr"].setChecked(False)
    qtbot.mouseClick(dlg.export_button, Qt.MouseButton.LeftButton)
    assert dlg.error is None and dlg.result_ is not None
    assert set(dlg.result_.written) == {"json", "pdf"} and dlg.result_.signed
    signed_doc = json.loads((out / "00000001_000-reviewed.json").read_text())
    assert signed_doc["review"]["signoff"]["content_sha256"] == s.signoff.content_sha256
    assert "(signed)" in dlg.result_label.text()
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(out / "00000001_000-reviewed.pdf"), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Dr Ada" in text and "DRAFT" not in text
    store.close()


def test_export_to_unwritable_place_is_a_message(qtbot: Any, tmp_path: Path) -> None:
    store, s, rg = _reviewed(tmp_path / "r.sqlite3")
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    dlg = ExportDialog(s.reading, image_path=rg.path, film_loader=rg.render, start_dir=blocker / "sub")
    qtbot.addWidget(dlg)
    assert "DRAFT" in dlg.state_label.text()
    assert dlg.do_export() is None
    assert dlg.error is not None and str(blocker / "sub") in dlg.error
    assert "Export failed" in dlg.result_label.text()
    store.close()


def test_exported_sr_is_valid_dicom(tmp_path: Path) -> None:
    dciodvfy = require_tool("dciodvfy")
    store, s, rg = _reviewed(tmp_path / "r.sqlite3")
    sign(s)
    res = export_reading(s.reading, tmp_path, "signed", ["sr"], image_path=rg.path)
    proc = subprocess.run([dciodvfy, str(res.written["sr"])], capture_output=True, text=True)
    errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.startswith("Error")]
    assert errors == []
    store.close()


def test_export_dialog_signs_the_pdf_with_the_signers_key(qtbot: Any, tmp_path: Path) -> None:
    from gazex_viewer.core.export.pdf_signature import verify_pdf
    from gazex_viewer.core.review.signing import create_key

    store, s, rg = _reviewed(tmp_path / "r.sqlite3")
    key = create_key("Dr Ada", "correct horse battery")  # kept on disk ($GAZEX_KEY_DIR), so the dialog can ask
    store.register_key(key, "test registrar")
    s.sign("Dr Ada", key=key)
    out = tmp_path / "out"
    dlg = ExportDialog(s.reading, image_path=rg.path, film_loader=rg.render, start_dir=out)
    qtbot.addWidget(dlg)
    assert dlg.sign_pdf.isEnabled() and not dlg.sign_pdf.isChecked()  # an explicit choice: it asks the passphrase
    dlg.sign_pdf.setChecked(True)
    asked: list[str] = []
    dlg.ask_passphrase = lambda title, label: asked.append(label) or "wrong passphrase"  # type: ignore[method-assign]
    assert dlg.do_export() is None and dlg.error is not None and not out.exists()  # nothing written
    dlg.ask_passphrase = lambda title, label: "correct horse battery"  # type: ignore[method-assign]
    res = dlg.do_export()
    assert res is not None and res.pdf_signed and "PDF signature" in dlg.result_label.text()
    status = verify_pdf(res.written["pdf"].read_bytes(), [key.private.public_key()])
    assert status.ok and status.signer == "Dr Ada"
    assert asked and "Dr Ada" in asked[0]
    store.close()
