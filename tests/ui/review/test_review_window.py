"""The verification workflow in the real main window: shortcuts, film editing, resume, sign-off, kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from tests.conftest import ROOT, shared_file
from tests.factories import N_KILL, long_reading
from tests.ui.conftest import Answers
from tests.ui.helpers import NIH, open_review, review_window


def _pt(win: Any, x: float, y: float) -> QPoint:
    p = win.canvas.map_image_to_widget(x, y)
    return QPoint(int(round(p.x())), int(round(p.y())))


def _drag(qtbot: Any, win: Any, a: QPoint, b: QPoint, steps: int = 8) -> None:
    vp = win.canvas.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=a)
    for k in range(1, steps + 1):
        qtbot.mouseMove(vp, QPoint(a.x() + (b.x() - a.x()) * k // steps, a.y() + (b.y() - a.y()) * k // steps))
        qtbot.wait(15)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=b)


def _badge(win: Any, fid: str) -> str:
    row = win.report_panel.rows[fid]
    return row.badge.text() if row.badge.isVisibleTo(row) else ""


# -- keyboard ------------------------------------------------------------------------------------------
def test_keyboard_decisions_undo_redo_and_badges(rwin: Any, qtbot: Any, answers: Answers, db: Path) -> None:
    reading = open_review(rwin)
    assert rwin.asked_name, "the reviewer's name is asked (inline) the first time"
    assert answers.texts == []  # never a modal prompt when a reading opens
    panel = rwin.review_panel
    assert panel.session is not None and panel.session.reviewer == "Dr Ada Lovelace"
    assert [_badge(rwin, f) for f in ("f-cardio", "f-device", "f-ptx")] == ["? Undecided"] * 3
    qtbot.keyClick(rwin, Qt.Key.Key_N)
    assert rwin.selection.selected == "f-cardio"
    qtbot.keyClick(rwin, Qt.Key.Key_A)
    assert panel.session.status("f-cardio") == "accepted"
    assert _badge(rwin, "f-cardio") == "✓ Accepted"
    assert rwin.selection.selected == "f-device"
    answers.reason = "outside the chest"
    qtbot.keyClick(rwin, Qt.Key.Key_R)
    assert panel.session.status("f-device") == "rejected"
    assert _badge(rwin, "f-device") == "✗ Rejected"
    assert rwin.report_panel.rows["f-device"].text_label.text() == "<s>Support apparatus.</s>"
    assert "1 of 3 AI finding(s) undecided" in panel.counter_label.text()
    qtbot.keyClick(rwin, Qt.Key.Key_P)
    assert rwin.selection.selected == "f-ptx"  # the only undecided one
    qtbot.keyClick(rwin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.session.status("f-device") == "undecided" and _badge(rwin, "f-device") == "? Undecided"
    assert rwin.report_panel.rows["f-device"].text_label.text() == "Support apparatus."
    qtbot.keyClick(rwin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert panel.session.status("f-device") == "rejected"
    # the canvas shows the decision on the film: the rejected region is dashed and faint
    assert rwin.canvas.region_state("f-device") == "rejected"
    assert rwin.canvas.region_state("f-cardio") == "accepted"
    # typed letters in the impression box are text, not decisions
    panel.impression_edit.setFocus()
    qtbot.waitUntil(panel.impression_edit.hasFocus, timeout=2000)
    rwin.selection.select("f-ptx")
    qtbot.keyClicks(panel.impression_edit, "Ra")
    assert panel.session.status("f-ptx") == "undecided"
    assert panel.impression_edit.toPlainText() == "Ra"
    with SqliteReviewStore(db) as store:
        stored = store.load_reading(reading.reading_id)
        assert [d.status for d in stored.review.decisions] == ["accepted", "rejected", "undecided"]
    assert answers.errors == []


def test_shortcut_sheet_lists_review_keys(rwin: Any, qtbot: Any) -> None:
    dlg = rwin.show_shortcuts()
    qtbot.addWidget(dlg)
    rows = {dlg.table.item(r, 1).text(): dlg.table.item(r, 2).text() for r in range(dlg.table.rowCount())}
    assert rows["Accept finding"] == "A"
    assert rows["Reject finding"] == "R"
    assert rows["Edit finding"] == "E"
    assert rows["Next undecided finding"] == "N"
    assert rows["Previous undecided finding"] == "P"
    assert rows["Undo"] == "Ctrl+Z"
    assert rows["Redo"] == "Ctrl+Shift+Z"
    assert rows["Next image in folder"] == "PgDown"


# -- film editing ----------------------------------------------------------------------------------------
def test_edit_region_on_film_and_add_finding_by_drawing(rwin: Any, qtbot: Any, db: Path) -> None:
    open_review(rwin)
    qtbot.wait(20)
    panel = rwin.review_panel
    rwin.selection.select("f-device")
    qtbot.keyClick(rwin, Qt.Key.Key_E)
    assert panel.editing == "f-device" and rwin.region_editor.editing == "f-device"
    roi = rwin.region_editor.roi("observation")
    assert roi.pos().x() == pytest.approx(220) and roi.size().y() == pytest.approx(140)
    _drag(qtbot, rwin, _pt(rwin, 260, 130), _pt(rwin, 300, 170))
    s = panel.session
    assert s.status("f-device") == "edited"
    obs = s.effective_finding("f-device").observation
    tol = 2.0 / rwin.canvas.zoom() + 1
    assert obs.x_min == pytest.approx(260, abs=tol) and obs.y_min == pytest.approx(100, abs=tol)
    assert obs.width == pytest.approx(80, abs=0.5)
    assert rwin.canvas.region_rect("f-device").left() == pytest.approx(obs.x_min)  # the film shows the edit
    assert _badge(rwin, "f-device") == "✎ Edited"
    qtbot.mouseClick(panel.done_edit_button, Qt.MouseButton.LeftButton)
    assert rwin.region_editor.rois == []
    # add a missed finding: draw its box, type its sentence
    qtbot.keyClick(rwin, Qt.Key.Key_D)
    assert panel.adding and rwin.region_editor.drawing
    _drag(qtbot, rwin, _pt(rwin, 330, 300), _pt(rwin, 460, 470))
    assert panel.pending_box is not None
    qtbot.keyClicks(panel.add_text, "small left pleural effusion")
    qtbot.keyClick(panel.add_text, Qt.Key.Key_Return)
    added = [f for f in s.finding_ids if s.status(f) == "added"]
    assert len(added) == 1 and not rwin.region_editor.drawing
    b = s.effective_finding(added[0]).observation
    assert b.x_min == pytest.approx(330, abs=tol) and b.y_max == pytest.approx(470, abs=tol)
    assert rwin.canvas.region_state(added[0]) == "added"
    assert rwin.canvas.finding_at(440, 450) == added[0]
    with SqliteReviewStore(db) as store:
        assert [e.action for e in store.events(s.reading_id)] == ["edit", "add"]


# -- resume ------------------------------------------------------------------------------------------------
def test_reopening_the_film_resumes_the_review(qtbot: Any, db: Path, answers: Answers, tmp_path: Path) -> None:
    win = review_window(qtbot, answers)
    reading = open_review(win)
    win.selection.select("f-cardio")
    qtbot.keyClick(win, Qt.Key.Key_A)
    answers.reason = "old tube"
    qtbot.keyClick(win, Qt.Key.Key_R)
    win.close()
    again = review_window(qtbot, answers)
    assert again.open_image(shared_file(NIH))  # the film alone: its stored review comes back
    assert not again.review_panel.name_box.isVisibleTo(again)  # the reviewer's name is remembered
    s = again.review_panel.session
    assert s is not None and s.reading_id == reading.reading_id
    assert [s.status(f) for f in ("f-cardio", "f-device", "f-ptx")] == ["accepted", "rejected", "undecided"]
    assert _badge(again, "f-cardio") == "✓ Accepted" and _badge(again, "f-device") == "✗ Rejected"
    assert "reason: old tube" in again.review_panel.rows["f-device"].detail_label.text()
    assert s.can_undo  # undo history resumes too


# -- read first --------------------------------------------------------------------------------------------
def test_read_first_hides_ai_draft_until_own_impression(rwin: Any, qtbot: Any) -> None:
    rwin.read_first_action.setChecked(True)
    open_review(rwin)
    panel = rwin.review_panel
    assert panel.session.read_first and panel.session.ai_hidden
    assert rwin.canvas.reading is None or not rwin.canvas._regions
    assert not rwin.report_panel.isVisibleTo(rwin)
    assert len(rwin.controller.playback) == 0
    qtbot.keyClick(rwin, Qt.Key.Key_N)
    qtbot.keyClick(rwin, Qt.Key.Key_A)
    assert panel.session.undecided() == ["f-cardio", "f-device", "f-ptx"]
    panel.own_impression_edit.setPlainText("Cardiomegaly, no pneumothorax")
    qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
    assert not panel.session.ai_hidden
    assert rwin.report_panel.isVisibleTo(rwin)
    assert set(rwin.canvas._regions) == {"f-cardio", "f-device", "f-ptx"}
    assert len(rwin.controller.playback) == 5


# -- sign-off, export, audit -----------------------------------------------------------------------------------
def test_sign_off_freezes_and_export_and_audit(rwin: Any, qtbot: Any, answers: Answers, tmp_path: Path) -> None:
    reading = open_review(rwin)
    panel = rwin.review_panel
    qtbot.keyClick(rwin, Qt.Key.Key_N)
    qtbot.keyClick(rwin, Qt.Key.Key_A)
    rwin.sign_report()
    assert answers.errors and answers.errors[-1][0] == "Cannot sign yet"
    assert not panel.session.is_signed
    qtbot.keyClick(rwin, Qt.Key.Key_A)
    qtbot.keyClick(rwin, Qt.Key.Key_A)
    rwin.sign_report()
    s = panel.session
    assert s.is_signed and s.signoff.reviewer == "Dr Ada Lovelace", s.signature_problem
    assert "signed" in rwin.windowTitle().lower()
    # frozen: A does nothing, the undo stack is closed
    rwin.selection.select("f-cardio")
    qtbot.keyClick(rwin, Qt.Key.Key_R)
    assert s.status("f-cardio") == "accepted" and not s.can_undo
    dlg = rwin.export_dialog()
    qtbot.addWidget(dlg)
    assert "Signed" in dlg.state_label.text()
    dlg.folder_edit.setText(str(tmp_path / "exports"))
    res = dlg.do_export()
    assert res is not None and res.signed
    assert {p.suffix for p in res.written.values()} == {".json", ".dcm", ".pdf"}
    exported = Reading.from_json((tmp_path / "exports" / "00000001_000-reviewed.json").read_text())
    assert exported.review.signoff.content_sha256 == s.signoff.content_sha256
    audit = rwin.show_audit_log()
    qtbot.addWidget(audit)
    actions = [audit.cell(r, "Action") for r in range(audit.table.rowCount())]
    assert actions == ["Accepted", "Accepted", "Accepted", "Signed"]
    assert audit.cell(0, "Finding").startswith("1 ")
    assert reading.reading_id == s.reading_id


def test_export_of_draft_says_draft(rwin: Any, qtbot: Any) -> None:
    open_review(rwin)
    dlg = rwin.export_dialog()
    qtbot.addWidget(dlg)
    assert "DRAFT" in dlg.state_label.text()
    assert dlg.stem_edit.text() == "00000001_000-draft"


# -- bad databases ---------------------------------------------------------------------------------------------
def test_corrupt_database_is_a_warning_and_review_goes_on(qtbot: Any, db: Path, answers: Answers) -> None:
    db.write_bytes(b"definitely not sqlite\x00" * 300)
    win = review_window(qtbot, answers)
    panel = win.review_panel
    assert panel.store_warning_label.isVisibleTo(win)
    assert "corrupt" in panel.store_warning_label.text() and ".corrupt-" in panel.store_warning_label.text()
    open_review(win)
    win.selection.select("f-cardio")
    qtbot.keyClick(win, Qt.Key.Key_A)
    assert panel.session.status("f-cardio") == "accepted"
    with SqliteReviewStore(db) as store:
        assert store.warning is None
        assert store.load_reading(panel.session.reading_id).review.decisions[0].status == "accepted"


def test_unusable_database_folder_disables_review_with_a_message(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, answers: Answers
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("GAZEX_REVIEW_DB", str(blocker / "sub" / "r.sqlite3"))
    win = review_window(qtbot, answers)
    open_review(win)
    assert win.review_panel.session is None
    assert "cannot create the database folder" in win.review_panel.store_warning_label.text()
    assert win.report_panel.rows  # the AI draft is still shown


def test_sigkill_of_the_real_gui_keeps_every_acknowledged_decision(
    qtbot: Any, tmp_path: Path, db: Path, answers: Answers
) -> None:
    image = shared_file(NIH)
    reading = long_reading(load_radiograph(image))
    reading_json = tmp_path / "reading.json"
    reading.save(reading_json)
    settings_dir = tmp_path / "driver-settings"
    from PySide6.QtCore import QSettings

    pre = QSettings(str(settings_dir / "GazeX" / "GazeX Viewer.ini"), QSettings.Format.IniFormat)
    pre.setValue("review/reviewer", "Dr Kill")
    pre.sync()
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen", GAZEX_REVIEW_DB=str(db))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.ui.review.review_kill_driver", str(settings_dir), str(image), str(reading_json)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    acks: list[tuple[str, str]] = []
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("ready"), (line, proc.stderr.read() if proc.stderr else "")
        while len(acks) < 15:
            parts = proc.stdout.readline().split()
            assert parts and parts[0] == "ack", parts
            acks.append((parts[1], parts[2]))
        os.kill(proc.pid, signal.SIGKILL)  # in the middle of the review
        rest = proc.stdout.read()
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    for ln in rest.splitlines():
        parts = ln.split()
        if len(parts) == 3 and parts[0] == "ack":
            acks.append((parts[1], parts[2]))
    assert "done" not in rest, "the driver finished before the kill; the test proves nothing"
    assert {st for _f, st in acks} == {"accepted", "rejected", "edited"}
    assert len(acks) < N_KILL
    # the real window on the same database shows every acknowledged decision
    win = review_window(qtbot, answers)
    assert win.open_image(image)
    assert win.review_panel.name_box.isVisibleTo(win)  # a new user on this machine: name first
    win.review_panel.name_edit.setText("Dr Ada Lovelace")
    qtbot.keyClick(win.review_panel.name_edit, Qt.Key.Key_Return)
    s = win.review_panel.session
    assert s is not None and s.reading_id == reading.reading_id
    for fid, status in acks:
        assert s.status(fid) == status, fid
        assert win.review_panel.rows[fid].status == status
        assert _badge(win, fid) == {"accepted": "✓ Accepted", "rejected": "✗ Rejected", "edited": "✎ Edited"}[status]
    edited = [f for f, st in acks if st == "edited"]
    assert s.effective_finding(edited[0]).text.startswith("edited sentence ")
    assert s.reviewer == "Dr Ada Lovelace" and s.review.events[0].reviewer == "Dr Kill"


# -- trainee mode ------------------------------------------------------------------------------------------
def test_trainee_mode_hides_the_review_and_its_keys(rwin: Any, qtbot: Any) -> None:
    from gazex_viewer.ui.trainee.mode import TraineeMode

    open_review(rwin)
    assert rwin.review.dock.isVisible()
    mode = TraineeMode(rwin.workspace, rwin.action_registry, rwin, rwin.comparisons)
    assert mode.start()
    assert not rwin.review.dock.isVisible()  # the AI findings list must not show to a trainee
    rwin.selection.select("f-cardio")
    qtbot.keyClick(rwin, Qt.Key.Key_A)
    assert rwin.review_panel.session.status("f-cardio") == "undecided"
    mode.leave()
    assert rwin.review.dock.isVisible()
    rwin.selection.select("f-cardio")
    qtbot.keyClick(rwin, Qt.Key.Key_A)
    assert rwin.review_panel.session.status("f-cardio") == "accepted"


def test_locked_database_is_a_warning_and_review_goes_on(qtbot: Any, db: Path, answers: Answers) -> None:
    import sqlite3

    with SqliteReviewStore(db):
        pass
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        win = review_window(qtbot, answers)  # waits the store's busy timeout, then sets the file aside
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    text = win.review_panel.store_warning_label.text()
    assert win.review_panel.store_warning_label.isVisibleTo(win)
    assert "was locked" in text and ".locked-" in text
    open_review(win)
    win.selection.select("f-device")
    qtbot.keyClick(win, Qt.Key.Key_A)
    assert win.review_panel.session.status("f-device") == "accepted"
    assert answers.errors == []
