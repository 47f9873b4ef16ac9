"""The review panel driven through its buttons against a real SqliteReviewStore in tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from gazex_viewer.core.reading.document import Box
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from tests.ui.review import panel_fixtures
from tests.ui.review.panel_fixtures import Prompts, make_panel

reading = panel_fixtures.reading
db = panel_fixtures.db
prompts = panel_fixtures.prompts


def test_accept_reject_counter_and_resume(qtbot: Any, reading: Any, db: Path, prompts: Prompts) -> None:
    store = SqliteReviewStore(db)
    panel, sel = make_panel(qtbot, prompts)
    panel.set_session(ReviewSession.open(store, reading, "Dr Ada"))
    assert panel.counter_text() == "3 of 3 AI finding(s) undecided"
    assert [r.badge.text() for r in panel.rows.values()] == ["? Undecided"] * 3
    assert not panel.accept_button.isEnabled()  # nothing selected
    sel.select("f-cardio")
    assert panel.accept_button.isEnabled()
    qtbot.mouseClick(panel.accept_button, Qt.MouseButton.LeftButton)
    assert panel.session.status("f-cardio") == "accepted"
    assert panel.rows["f-cardio"].badge.text() == "✓ Accepted"
    assert sel.selected == "f-device"  # moved on to the next undecided finding
    assert panel.counter_text() == "2 of 3 AI finding(s) undecided · 1 accepted"
    prompts.reason_answer = "  tube projects outside the film  "
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    assert prompts.reasons == ["Support apparatus."]
    assert panel.session.status("f-device") == "rejected"
    assert "reason: tube projects outside the film" in panel.rows["f-device"].detail_label.text()
    assert "<s>" in panel.rows["f-device"].text_label.text()
    assert sel.selected == "f-ptx"
    # a cancelled reason prompt rejects nothing
    prompts.reason_answer = None
    assert not panel.reject_current()
    assert panel.session.status("f-ptx") == "undecided"
    assert panel.counter_text() == "1 of 3 AI finding(s) undecided · 1 accepted, 1 rejected"
    store.close()
    # reopening resumes where the review stood
    with SqliteReviewStore(db) as again:
        s = ReviewSession.open(again, reading, "Dr Ada")
        assert [s.status(f) for f in ("f-cardio", "f-device", "f-ptx")] == ["accepted", "rejected", "undecided"]
        d = next(d for d in s.review.decisions if d.finding_id == "f-device")
        assert d.reason == "tube projects outside the film"
    assert prompts.errors == []


def test_next_previous_undecided_and_undo_redo(qtbot: Any, reading: Any, db: Path, prompts: Prompts) -> None:
    with SqliteReviewStore(db) as store:
        panel, sel = make_panel(qtbot, prompts)
        panel.set_session(ReviewSession.open(store, reading, "Dr Ada"))
        assert panel.next_undecided() == "f-cardio"
        assert panel.next_undecided() == "f-device"
        assert panel.previous_undecided() == "f-cardio"
        assert panel.accept_current()
        assert sel.selected == "f-device"
        assert panel.undo_button.isEnabled() and not panel.redo_button.isEnabled()
        assert "accept f-cardio" in panel.undo_button.toolTip()
        qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
        assert panel.session.status("f-cardio") == "undecided"
        assert panel.rows["f-cardio"].badge.text() == "? Undecided"
        assert panel.redo_button.isEnabled()
        qtbot.mouseClick(panel.redo_button, Qt.MouseButton.LeftButton)
        assert panel.session.status("f-cardio") == "accepted"
        # undecide puts it back
        sel.select("f-cardio")
        qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
        assert panel.session.status("f-cardio") == "undecided"
        events = [e.action for e in store.events(reading.reading_id)]
        assert events == ["accept", "undo:accept", "redo:accept", "reset"]


def test_edit_text_label_and_region(qtbot: Any, reading: Any, db: Path, prompts: Prompts) -> None:
    store = SqliteReviewStore(db)
    panel, sel = make_panel(qtbot, prompts)
    panel.set_session(ReviewSession.open(store, reading, "Dr Ada"))
    editing: list[Any] = []
    panel.region_editing_changed.connect(editing.append)
    sel.select("f-cardio")
    qtbot.mouseClick(panel.edit_button, Qt.MouseButton.LeftButton)
    assert editing == ["f-cardio"] and panel.edit_box.isVisible()
    assert panel.edit_text.text() == "enlarged cardiac silhouette"
    assert panel.edit_label.currentText() == "Cardiomegaly"
    panel.edit_text.setText("mildly enlarged cardiac silhouette")
    panel.edit_status.setCurrentIndex(panel.edit_status.findData("uncertain"))
    qtbot.keyClick(panel.edit_text, Qt.Key.Key_Return)
    s = panel.session
    assert s.status("f-cardio") == "edited"
    f = s.effective_finding("f-cardio")
    assert f.text == "mildly enlarged cardiac silhouette"
    assert [(lab.observation, lab.status) for lab in f.labels] == [("Cardiomegaly", "uncertain")]
    assert "AI wrote: “Enlarged cardiac silhouette.”" in panel.rows["f-cardio"].detail_label.text()
    # a region moved on the film: one event per finished drag
    n = len(store.events(reading.reading_id))
    new_obs = Box.from_corners(160, 240, 410, 430)
    assert panel.apply_region_edit("f-cardio", "observation", 0, new_obs)
    new_clue = Box.from_corners(300, 290, 380, 400)
    assert panel.apply_region_edit("f-cardio", "clue", 1, new_clue)
    assert len(store.events(reading.reading_id)) == n + 2
    qtbot.mouseClick(panel.done_edit_button, Qt.MouseButton.LeftButton)
    assert editing[-1] is None and not panel.edit_box.isVisible()
    store.close()
    with SqliteReviewStore(db) as again:
        f2 = ReviewSession.open(again, reading, "x").effective_finding("f-cardio")
        assert f2.observation == new_obs
        assert f2.clues[1] == new_clue and f2.clues[0] == reading.findings[0].clues[0]
        assert f2.text == "mildly enlarged cardiac silhouette"


def test_add_missed_finding_then_remove(qtbot: Any, reading: Any, db: Path, prompts: Prompts) -> None:
    with SqliteReviewStore(db) as store:
        panel, sel = make_panel(qtbot, prompts)
        panel.set_session(ReviewSession.open(store, reading, "Dr Ada"), {"f-cardio": (1, "#4fc3f7"), "f-device": (2, "#ffb74d"), "f-ptx": (3, "#9e9e9e")})
        drawing: list[bool] = []
        panel.drawing_changed.connect(drawing.append)
        qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
        assert drawing == [True] and panel.add_box.isVisible()
        assert "Drag a box" in panel.add_hint.text()
        # empty sentence: refused with a message
        assert panel.commit_add() is None
        assert prompts.errors and "sentence" in prompts.errors[-1][1]
        box = Box.from_corners(330, 300, 460, 470)
        panel.set_drawn_box(box)
        assert "x 330–460" in panel.add_hint.text()
        qtbot.keyClicks(panel.add_text, "small left pleural effusion")
        panel.add_label.setCurrentIndex(panel.add_label.findData("Pleural Effusion"))
        qtbot.keyClick(panel.add_text, Qt.Key.Key_Return)
        s = panel.session
        added = [fid for fid in s.finding_ids if s.status(fid) == "added"]
        assert len(added) == 1 and sel.selected == added[0]
        f = s.effective_finding(added[0])
        assert f.text == "small left pleural effusion" and f.observation == box
        assert [lab.observation for lab in f.labels] == ["Pleural Effusion"]
        assert drawing == [True, False] and not panel.add_box.isVisible()
        assert panel.rows[added[0]].badge.text() == "+ Added"
        assert panel.rows[added[0]].number_label.text() == "4"
        assert panel.counter_text() == "3 of 3 AI finding(s) undecided · 1 added"
        assert not panel.accept_button.isEnabled()  # an added finding is part of the report already
        # R on an added finding removes it after a confirmation
        assert panel.reject_current()
        assert added[0] not in s.finding_ids and prompts.confirms
        assert added[0] not in panel.rows


def test_sign_refused_while_undecided_then_signed_and_frozen(
    qtbot: Any, reading: Any, db: Path, prompts: Prompts
) -> None:
    store = SqliteReviewStore(db)
    panel, sel = make_panel(qtbot, prompts)
    panel.set_session(ReviewSession.open(store, reading, "Dr Ada"))
    sel.select("f-cardio")
    panel.accept_current()
    qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    assert prompts.errors and prompts.errors[-1][0] == "Cannot sign yet"
    assert "2 findings are still undecided (findings 2, 3)" in prompts.errors[-1][1]
    assert sel.selected == "f-device"
    assert not panel.session.is_signed and store.signoff(reading.reading_id) is None
    panel.reject_current("")
    panel.accept_current()
    assert panel.session.undecided() == []
    panel.impression_edit.setPlainText("Cardiomegaly. No pneumothorax.")
    qtbot.mouseClick(panel.sign_button, Qt.MouseButton.LeftButton)
    s = panel.session
    assert s.is_signed and "as Dr Ada" in prompts.confirms[-1]
    # the first sign-off creates Dr Ada's key (passphrase twice) and registers it in the review database
    assert "has no signing key" in prompts.passphrases[0] and len(prompts.passphrases) == 2
    assert [k.reviewer for k in store.keys_of("Dr Ada")] == ["Dr Ada"]
    assert s.signature_status.startswith("signed by Dr Ada")
    assert s.review.impression == "Cardiomegaly. No pneumothorax."
    so = store.signoff(reading.reading_id)
    assert so is not None and so.reviewer == "Dr Ada" and so.content_sha256 == s.content_sha256()
    assert panel.signoff_label.isVisible() and so.content_sha256[:16] in panel.signoff_label.text()
    assert not panel.accept_button.isEnabled() and not panel.add_button.isEnabled()
    assert panel.impression_edit.isReadOnly() and not panel.sign_button.isEnabled()
    assert panel.new_version_button.isVisible()
    # a change is a new, linked version; the signed one stays
    replaced: list[Any] = []
    panel.session_replaced.connect(replaced.append)
    qtbot.mouseClick(panel.new_version_button, Qt.MouseButton.LeftButton)
    assert len(replaced) == 1 and panel.session is replaced[0]
    new = panel.session
    assert new.reading.parent_id == reading.reading_id and not new.is_signed
    assert new.status("f-cardio") == "accepted"
    sel.select("f-cardio")
    panel.reject_current("")
    assert new.status("f-cardio") == "rejected"
    assert store.load_reading(reading.reading_id).review.signoff is not None
    store.close()


def test_read_first_hides_the_ai_until_own_impression(qtbot: Any, reading: Any, db: Path, prompts: Prompts) -> None:
    with SqliteReviewStore(db) as store:
        panel, sel = make_panel(qtbot, prompts)
        panel.set_session(ReviewSession.open(store, reading, "Dr Ada", read_first=True))
        assert panel.read_first_box.isVisible() and not panel.list_area.isVisible()
        assert panel.rows == {}
        assert panel.counter_text().startswith("Read first: 3 AI finding(s) hidden")
        sel.select("f-cardio")
        assert not panel.accept_current() and panel.session.status("f-cardio") == "undecided"
        assert not panel.reveal_ai()  # nothing written yet
        assert "your own impression" in prompts.errors[-1][1]
        panel.own_impression_edit.setPlainText("Large heart, no pneumothorax")
        qtbot.mouseClick(panel.reveal_button, Qt.MouseButton.LeftButton)
        assert not panel.session.ai_hidden
        assert not panel.read_first_box.isVisible() and panel.list_area.isVisible()
        assert list(panel.rows) == ["f-cardio", "f-device", "f-ptx"]
        assert "Large heart" in panel.own_impression_label.text()
        assert store.load_reading(reading.reading_id).review.own_impression == "Large heart, no pneumothorax"


def test_failed_write_is_a_message_and_changes_nothing(qtbot: Any, reading: Any, db: Path, prompts: Prompts) -> None:
    store = SqliteReviewStore(db)
    panel, sel = make_panel(qtbot, prompts)
    panel.set_session(ReviewSession.open(store, reading, "Dr Ada"))
    sel.select("f-cardio")
    store._conn.close()  # the database goes away under the panel
    assert not panel.accept_current()
    assert panel.session.status("f-cardio") == "undecided"
    assert panel.rows["f-cardio"].badge.text() == "? Undecided"
    assert prompts.errors and str(db) in prompts.errors[-1][1]
    assert "cannot write the review database" in prompts.errors[-1][1]
    panel.set_store_warning("reviews.sqlite3: the review database was corrupt")
    assert panel.store_warning_label.isVisible() and "corrupt" in panel.store_warning_label.text()


def test_impression_saved_when_focus_leaves(qtbot: Any, reading: Any, db: Path, prompts: Prompts) -> None:
    with SqliteReviewStore(db) as store:
        panel, sel = make_panel(qtbot, prompts)
        panel.set_session(ReviewSession.open(store, reading, "Dr Ada"))
        panel.activateWindow()
        panel.impression_edit.setFocus()
        qtbot.waitUntil(panel.impression_edit.hasFocus, timeout=2000)
        qtbot.keyClicks(panel.impression_edit, "Cardiomegaly")
        panel.sign_button.setFocus()  # the focus leaves the impression box
        qtbot.waitUntil(lambda: panel.session.review.impression == "Cardiomegaly", timeout=2000)
        assert [e.action for e in store.events(reading.reading_id)] == ["impression"]
