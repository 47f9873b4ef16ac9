"""A decision the database could not take (disk full) stays on screen, the banner says it is NOT YET SAVED,
and it is written once there is room again (issue 13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from tests.ui.review import panel_fixtures
from tests.ui.review.panel_fixtures import Prompts, make_panel

reading = panel_fixtures.reading
db = panel_fixtures.db
prompts = panel_fixtures.prompts


# the panel tests' fixtures: the demo reading on the NIH film, a database path, the answered prompts


def test_disk_full_banner_then_saved_on_retry(qtbot: Any, reading: Any, db: Path, prompts: Prompts) -> None:
    store = SqliteReviewStore(db)
    panel, sel = make_panel(qtbot, prompts)
    panel.set_session(ReviewSession.open(store, reading, "Dr Ada"))
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    sel.select("f-cardio")
    panel._run("Cannot edit", panel.session.edit, "f-cardio", text="y" * 20000)
    assert panel.session.effective_finding("f-cardio").text == "y" * 20000  # shown as made
    assert len(prompts.errors) == 1 and "the disk is full" in prompts.errors[0][1]
    assert panel.store_warning_label.isVisible() and "NOT YET SAVED" in panel.store_warning_label.text()
    assert panel._retry_timer.isActive()
    panel._run("Cannot accept", panel.session.accept, "f-device")  # a second one: no second message box
    assert len(prompts.errors) == 1 and len(panel.session.unsaved) == 2
    store._conn.execute("PRAGMA max_page_count = 1000000")
    panel._retry_unsaved()  # what the timer does
    assert panel.session.unsaved == [] and not panel.store_warning_label.isVisible()
    assert not panel._retry_timer.isActive()
    assert [e.action for e in store.events(reading.reading_id)][-2:] == ["edit", "accept"]
    store.close()
