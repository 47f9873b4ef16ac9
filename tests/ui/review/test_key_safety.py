"""Keyboard safety and sign-off, driven through real key events on the focused widget.

Each sequence of issue 12: after "Add finding", after "Done", after a dialog the next single-letter
key is a review command and never lands in the Impression; typing (read-first impression, the
Impression box) never fires a shortcut; a stray key away from the findings list decides nothing.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

from gazex_viewer.core.reading.document import Box
from tests.ui.conftest import Answers
from tests.ui.helpers import open_review, review_window


def _rwin(qtbot: Any, answers: Answers) -> Any:
    return review_window(qtbot, answers)


def _key(qtbot: Any, win: Any, key: Qt.Key) -> None:
    """Press ``key`` where the keyboard focus is, as a person would."""
    target = win.focusWidget()
    assert target is not None, "nothing has the keyboard focus"
    qtbot.keyClick(target, key)


def _focus_is_list(win: Any) -> bool:
    return win.focusWidget() is win.review_panel.list_area


def test_after_add_finding_and_done_the_next_key_is_a_command(qtbot: Any, db: Path, answers: Answers) -> None:
    win = _rwin(qtbot, answers)
    open_review(win)
    panel = win.review_panel
    s = panel.session
    assert s is not None and _focus_is_list(win)
    win.review.dock.raise_()
    # N on the list selects the first undecided finding; A accepts it and moves on
    _key(qtbot, win, Qt.Key.Key_N)
    assert win.selection.selected == "f-cardio"
    _key(qtbot, win, Qt.Key.Key_A)
    assert s.status("f-cardio") == "accepted"
    # D starts "add a missed finding": the sentence box has the focus, letters are typing
    _key(qtbot, win, Qt.Key.Key_D)
    assert panel.adding and win.focusWidget() is panel.add_text
    panel.set_drawn_box(Box.from_corners(40, 300, 120, 420))
    qtbot.keyClicks(panel.add_text, "small left pleural effusion")
    assert panel.add_label.currentText() == "Pleural Effusion"  # the label follows the words
    qtbot.keyClick(panel.add_text, Qt.Key.Key_Return)
    added = [f.id for f in s.review.additions]
    assert len(added) == 1 and [lab.observation for lab in s.review.additions[0].labels] == ["Pleural Effusion"]
    # the focus is back on the findings list: N is a command, not a letter in the Impression
    assert _focus_is_list(win)
    _key(qtbot, win, Qt.Key.Key_N)
    assert win.selection.selected == "f-device"
    assert panel.impression_edit.toPlainText() == "" and s.review.impression is None
    # E edits; "Done" closes the edit; the next D is a command again
    _key(qtbot, win, Qt.Key.Key_E)
    assert panel.editing == "f-device" and win.focusWidget() is panel.edit_text
    panel.edit_text.selectAll()
    qtbot.keyClicks(panel.edit_text, "tip of the central line in the SVC")
    panel.done_edit_button.click()
    assert panel.editing is None and _focus_is_list(win)
    assert s.status("f-device") == "edited"
    assert [lab.observation for lab in s.effective_finding("f-device").labels] == ["Support Devices"]
    _key(qtbot, win, Qt.Key.Key_D)
    assert panel.adding
    panel.cancel_add_button.click()
    assert _focus_is_list(win)
    # R asks for a reason (a dialog); afterwards the focus is on the list again
    win.selection.select("f-ptx")
    answers.reason = "not assessable"
    _key(qtbot, win, Qt.Key.Key_R)
    assert s.status("f-ptx") == "rejected" and _focus_is_list(win)
    assert panel.impression_edit.toPlainText() == "" and s.review.impression is None
    events = [e.action for e in s.review.events]
    assert "impression" not in events


def test_typing_never_fires_a_shortcut(qtbot: Any, db: Path, answers: Answers) -> None:
    win = _rwin(qtbot, answers)
    open_review(win)
    panel = win.review_panel
    s = panel.session
    assert s is not None
    win.review.dock.raise_()
    win.selection.select("f-cardio")
    # typing the impression: "a" (accept), "r", "e", "n", "d", "i" (invert), "g" (regions) are letters
    panel.impression_edit.setFocus()
    text = "Cardiomegaly, lines in good position; regions as drawn"
    qtbot.keyClicks(panel.impression_edit, text)
    assert panel.impression_edit.toPlainText() == text
    assert s.status("f-cardio") == "undecided" and not panel.adding and panel.editing is None
    assert not win.invert_action.isChecked() and win.player_bar.layers()["regions"]
    # a key that reaches the window while the Impression box has the focus is not a command either
    qtbot.keyClick(win, Qt.Key.Key_A)
    qtbot.keyClick(win, Qt.Key.Key_I)
    assert s.status("f-cardio") == "undecided" and not win.invert_action.isChecked()
    assert "click the" not in (win.key_gate.last_blocked or "")  # blocked as typing, silently
    # leaving the box saves the impression; a stray "a" on a button (not the list or film) decides nothing
    panel.sign_button.setFocus()
    assert s.review.impression == text
    _key(qtbot, win, Qt.Key.Key_A)
    assert s.status("f-cardio") == "undecided"
    assert win.key_gate.last_blocked is not None and "findings list or the film" in win.key_gate.last_blocked
    # on the film, the same keys act
    win.canvas.setFocus()
    _key(qtbot, win, Qt.Key.Key_A)
    assert s.status("f-cardio") == "accepted"
    # never silently: the status line says what was accepted and how to undo it
    assert win.statusBar().currentMessage() == "Accepted finding 1: Enlarged cardiac silhouette. (Ctrl+Z undoes)"
    _key(qtbot, win, Qt.Key.Key_I)
    assert win.invert_action.isChecked()
    assert s.review.impression == text


def test_read_first_impression_typing_does_not_invert_or_hide(qtbot: Any, db: Path, answers: Answers) -> None:
    win = _rwin(qtbot, answers)
    win.read_first_action.setChecked(True)
    open_review(win)
    panel = win.review_panel
    s = panel.session
    assert s is not None and s.ai_hidden
    layers = dict(win.player_bar.layers())
    panel.own_impression_edit.setFocus()
    typed = "Big heart. Good lines. Inspiration adequate. No pneumothorax"
    qtbot.keyClicks(panel.own_impression_edit, typed)
    qtbot.keyClick(win, Qt.Key.Key_G)  # even a key sent to the window: not while typing
    assert panel.own_impression_edit.toPlainText() == typed
    assert not win.invert_action.isChecked() and win.player_bar.layers() == layers
    panel.reveal_button.click()
    assert not s.ai_hidden and s.review.own_impression == typed and s.review.impression is None
    assert _focus_is_list(win)


def test_edited_words_relabel_and_hand_set_labels_are_asked(qtbot: Any, db: Path, answers: Answers) -> None:
    win = _rwin(qtbot, answers)
    open_review(win)
    panel = win.review_panel
    s = panel.session
    assert s is not None
    win.review.dock.raise_()
    # the AI's "no pneumothorax" (Pneumothorax negative) becomes a positive atelectasis finding
    assert panel.start_edit("f-ptx")
    panel.edit_text.setText("minimal left basal atelectasis")
    qtbot.keyClick(panel.edit_text, Qt.Key.Key_Return)
    f = s.effective_finding("f-ptx")
    assert [(lab.observation, lab.status) for lab in f.labels] == [("Atelectasis", "positive")]
    assert panel.edit_label.currentText() == "Atelectasis"
    # the Report tab files it by its current status: a finding now, not a pertinent negative
    heads_rows = win.report_panel.ordered_keys()
    assert heads_rows.index("f-ptx") < len(heads_rows)
    from gazex_viewer.core.review.final_report import build_final_report

    assert "f-ptx" in [x.finding_id for x in build_final_report(s.reading).positives]
    # a label set by hand: changing the words asks; "No" keeps the reviewer's label
    panel.edit_label.setCurrentIndex(panel.edit_label.findData("Lung Opacity"))
    panel.edit_status.setCurrentIndex(panel.edit_status.findData("uncertain"))
    assert panel.apply_edit()
    asked: list[str] = []

    def no(title: str, message: str) -> bool:
        asked.append(message)
        return False

    panel.confirm = no  # type: ignore[method-assign]
    panel.edit_text.setText("left basal atelectasis, unchanged")
    assert panel.apply_edit()
    assert asked and "by hand" in asked[0] and "Lung Opacity (uncertain)" in asked[0]
    f = s.effective_finding("f-ptx")
    assert f.text == "left basal atelectasis, unchanged"
    assert [(lab.observation, lab.status) for lab in f.labels] == [("Lung Opacity", "uncertain")]
    panel.finish_edit()


def test_sign_off_asks_about_an_empty_impression_and_records_the_account(
    qtbot: Any, db: Path, answers: Answers, artifacts_dir: Path
) -> None:
    win = _rwin(qtbot, answers)
    open_review(win)
    panel = win.review_panel
    s = panel.session
    assert s is not None
    for fid in list(s.undecided()):
        (s.reject if fid == "f-device" else s.accept)(fid)
    asked: list[str] = []
    panel.confirm = lambda t, m: asked.append(t) is not None  # type: ignore[method-assign]  # "No"
    assert not panel.sign()
    assert asked == ["Sign without an impression?"] and not s.is_signed
    assert isinstance(win.focusWidget(), QPlainTextEdit) and win.focusWidget() is panel.impression_edit
    qtbot.keyClicks(panel.impression_edit, "cardiomegaly . no pneumothorax .")
    asked.clear()
    panel.confirm = lambda t, m: asked.append(m) is None  # type: ignore[method-assign]  # "Yes"
    assert panel.sign()
    assert len(asked) == 1 and f"(OS account {getpass.getuser()})" in asked[0]
    so = s.signoff
    assert so is not None and so.reviewer == "Dr Ada Lovelace" and so.account == getpass.getuser()
    assert so.at.endswith("+00:00")  # stored in UTC
    assert "(UTC" in panel.signoff_label.text() and so.at not in panel.signoff_label.text()  # shown local
    assert _focus_is_list(win) and not isinstance(win.focusWidget(), QLineEdit)
    # the Report tab is the final report: signed by whom and when, findings filed, the impression
    rp = win.report_panel
    win.report_dock.raise_()
    qtbot.wait(50)
    head = rp.header_label.text()
    assert f"Final report, signed by Dr Ada Lovelace (OS account {getpass.getuser()}) at " in head
    assert "(UTC" in head
    texts = [w.text() for w in rp.findChildren(type(rp.header_label))]
    assert "Cardiomegaly. No pneumothorax." in texts
    assert rp.ordered_keys()[-1] == "f-device"  # rejected: under the audit trail only
    win.grab().save(str(artifacts_dir / "report_tab_signed.png"))


def test_after_a_dialog_opened_while_typing_the_focus_is_on_the_list(qtbot: Any, db: Path, answers: Answers) -> None:
    win = _rwin(qtbot, answers)
    open_review(win)
    panel = win.review_panel
    s = panel.session
    assert s is not None
    win.review.dock.raise_()
    panel.impression_edit.setFocus()
    qtbot.keyClicks(panel.impression_edit, "cardiomegaly")
    for open_dialog in (win.export_dialog, win.show_audit_log):
        dlg = open_dialog()
        assert dlg is not None
        dlg.reject()  # Cancel / close
        assert _focus_is_list(win)
    _key(qtbot, win, Qt.Key.Key_N)
    assert win.selection.selected == "f-cardio"
    assert s.review.impression == "cardiomegaly" and panel.impression_edit.toPlainText() == "cardiomegaly"
