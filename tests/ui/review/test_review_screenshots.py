"""Screenshots of the verification workflow (test-artifacts/): under review, signed, read first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Box, Label
from tests.conftest import shared_file
from tests.factories import five_finding_reading
from tests.ui.helpers import NIH, open_review, review_window


def test_review_screenshots(qtbot: Any, db: Path, answers: Any, artifacts_dir: Path) -> None:
    win = review_window(qtbot, answers)
    reading = open_review(win, five_finding_reading(load_radiograph(shared_file(NIH))))
    panel = win.review_panel
    s = panel.session
    win.selection.select("f-cardio")
    qtbot.keyClick(win, Qt.Key.Key_A)  # -> f-device
    answers.reason = "tip projects over the neck, outside the chest"
    qtbot.keyClick(win, Qt.Key.Key_R)  # -> f-ptx
    qtbot.keyClick(win, Qt.Key.Key_A)  # -> f-opacity
    s.edit("f-opacity", text="right lower zone opacity, likely atelectasis",
           labels=[Label("Atelectasis", "uncertain")], observation=Box.from_corners(70, 320, 200, 450))
    panel.start_add()
    panel.set_drawn_box(Box.from_corners(330, 330, 470, 470))
    panel.add_text.setText("small left pleural effusion")
    panel.add_label.setCurrentIndex(panel.add_label.findData("Pleural Effusion"))
    added = panel.commit_add()
    assert added is not None
    win.selection.select("f-opacity")
    qtbot.wait(50)
    shot = artifacts_dir / "review-in-progress.png"
    assert win.grab().save(str(shot))
    assert s.counts() == {"undecided": 1, "accepted": 2, "rejected": 1, "edited": 1, "added": 1}
    assert "1 of 5 AI finding(s) undecided" in panel.counter_label.text()

    # finish, write the impression, sign
    qtbot.keyClick(win, Qt.Key.Key_N)
    assert win.selection.selected == "f-noeff"
    qtbot.keyClick(win, Qt.Key.Key_A)
    panel.impression_edit.setPlainText("Cardiomegaly. Small left pleural effusion. Right basal atelectasis.")
    assert win.sign_report()
    win.selection.select(None)
    qtbot.wait(50)
    shot2 = artifacts_dir / "review-signed.png"
    assert win.grab().save(str(shot2))
    assert s.is_signed and "signed by Dr Ada Lovelace" in win.windowTitle()
    assert shot.stat().st_size > 50_000 and shot2.stat().st_size > 50_000
    assert reading.reading_id == s.reading_id


def test_read_first_screenshot(qtbot: Any, db: Path, answers: Any, artifacts_dir: Path) -> None:
    win = review_window(qtbot, answers)
    win.read_first_action.setChecked(True)
    open_review(win)
    win.review_panel.own_impression_edit.setPlainText("Enlarged heart. Lines and tubes")
    qtbot.wait(50)
    shot = artifacts_dir / "review-read-first.png"
    assert win.grab().save(str(shot))
    assert win.review_panel.session.ai_hidden and not win.canvas._regions
