"""The review panel when another station decided first: one clear message, the list reloaded, the redo saved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.review.panel import ReviewPanel
from tests.conftest import shared_file
from tests.factories import demo_reading

NIH = "images/nih/00000001_000.png"


def test_a_stale_decision_is_refused_with_who_and_when_and_the_panel_shows_theirs(qtbot: Any, tmp_path: Path) -> None:
    reading = demo_reading(load_radiograph(shared_file(NIH)))
    db = tmp_path / "reviews.sqlite3"
    here, there = SqliteReviewStore(db), SqliteReviewStore(db)  # this station and another one, one database
    errors: list[tuple[str, str]] = []
    sel = SelectionModel()
    panel = ReviewPanel(sel)
    panel.show_error = lambda title, message: errors.append((title, message))  # type: ignore[method-assign]
    panel.ask_reason = lambda text: "not there"  # type: ignore[method-assign]
    qtbot.addWidget(panel)
    panel.show()
    panel.set_session(ReviewSession.open(here, reading, "Dr Bob"))
    other = ReviewSession.open(there, reading, "Dr Ada")
    other.accept("f-cardio")  # decided at the other station while the panel shows it undecided
    assert panel.rows["f-cardio"].badge.text() == "? Undecided"
    changed: list[bool] = []
    panel.review_changed.connect(lambda: changed.append(True))
    sel.select("f-cardio")
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)
    assert len(errors) == 1
    title, message = errors[0]
    assert title == "Changed at another station"
    assert "Dr Ada accepted f-cardio at " in message and "(reject f-cardio) was NOT saved" in message
    assert changed and panel.rows["f-cardio"].badge.text() == "✓ Accepted"  # the other decision, on screen
    assert panel.session is not None and panel.session.status("f-cardio") == "accepted"
    sel.select("f-cardio")
    qtbot.mouseClick(panel.reject_button, Qt.MouseButton.LeftButton)  # the redo is saved
    assert len(errors) == 1 and panel.rows["f-cardio"].badge.text() != "✓ Accepted"
    assert [(e.reviewer, e.action) for e in there.events(reading.reading_id)] == [
        ("Dr Ada", "accept"), ("Dr Bob", "reject")]
    here.close()
    there.close()
