"""The review window of issue 16 at a department: live refresh, the study claim, countersigning, a lost connection.

Each test drives a real main window over a real review database (SQLite, or PostgreSQL where marked: the
``store_location`` fixture) with a second "station" writing to the same database through the core API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.store import open_store
from tests.conftest import shared_file
from tests.factories import demo_reading, sign
from tests.ui.conftest import NIH, Answers, build_review_window, open_for_review


@pytest.fixture
def review_db(store_location: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The window's review database (``GAZEX_REVIEW_DB``): a SQLite file or a PostgreSQL database."""
    monkeypatch.setenv("GAZEX_REVIEW_DB", store_location)
    return store_location


def _badge(win: Any, fid: str) -> str:
    return str(win.review_panel.rows[fid].badge.text())


def test_another_stations_decision_and_sign_off_show_in_the_open_review(qtbot: Any, review_db: str) -> None:
    answers = Answers()
    win = build_review_window(qtbot, answers)
    reading = open_for_review(win)
    assert _badge(win, "f-cardio") == "? Undecided"
    with open_store(review_db) as other_store:  # type: ignore[attr-defined]
        other = ReviewSession.open(other_store, reading, "Dr Bob")
        other.accept("f-cardio")
        qtbot.waitUntil(lambda: _badge(win, "f-cardio") == "✓ Accepted", timeout=1000)
        assert win.review.session.status("f-cardio") == "accepted"
        for fid in list(other.undecided()):
            other.reject(fid, "not seen")
        sign(other)
        panel = win.review_panel
        qtbot.waitUntil(lambda: panel.signoff_label.isVisible(), timeout=1000)
        assert "Signed</b> by Dr Bob" in panel.signoff_label.text()
        assert not panel.is_open and not panel.accept_button.isEnabled()
    assert answers.errors == []
    win.close()


def test_a_study_read_elsewhere_opens_read_only_and_a_claim_is_released_at_close(qtbot: Any, review_db: str) -> None:
    reading = demo_reading(load_radiograph(shared_file(NIH)))
    with open_store(review_db) as other:  # type: ignore[attr-defined]
        other.claim(reading.reading_id, "Dr Bob")
        answers = Answers()
        win = build_review_window(qtbot, answers)
        open_for_review(win, reading)
        assert answers.questions and answers.questions[-1].startswith("This study is being read by Dr Bob since ")
        panel = win.review_panel
        s = win.review.session
        assert s is not None and s.read_only and (s.read_only_reason or "").startswith("being read by Dr Bob since")
        assert panel.read_only_label.isVisible() and "Read-only" in panel.read_only_label.text()
        assert not panel.is_open and not panel.accept_button.isEnabled() and not panel.sign_button.isEnabled()
        win.review_panel.selection.select("f-cardio")
        qtbot.keyClick(panel.list_area, Qt.Key.Key_A)  # the review key does nothing here
        assert s.status("f-cardio") == "undecided" and other.events(reading.reading_id) == []
        holder = other.claim_of(reading.reading_id)
        assert holder is not None and holder.holder == "Dr Bob"  # Dr Bob's claim stands
        win.close()
        other.release(reading.reading_id, "Dr Bob")

        answers = Answers()
        win = build_review_window(qtbot, answers)
        open_for_review(win, reading)
        assert not answers.questions
        held = other.claim_of(reading.reading_id)
        assert held is not None and held.holder == "Dr Ada Lovelace"  # shown to the others
        assert win.review.session is not None and not win.review.session.read_only
        win.close()
        assert other.claim_of(reading.reading_id) is None  # released when the review closed


def test_attending_countersigns_from_the_menu_key(qtbot: Any, review_db: str) -> None:
    reading = demo_reading(load_radiograph(shared_file(NIH)))
    with open_store(review_db) as station:  # type: ignore[attr-defined]
        trainee = ReviewSession.open(station, reading, "Dr Trainee")
        for fid in list(trainee.undecided()):
            trainee.accept(fid)
        sign(trainee)
    answers = Answers()
    win = build_review_window(qtbot, answers)
    open_for_review(win, reading)  # Dr Ada Lovelace, the attending
    action = win.review.countersign_action
    assert action.text() == "Countersign report (attending)…" and action.shortcut().toString() == "Ctrl+Shift+K"
    qtbot.keyClick(win.review_panel.list_area, Qt.Key.Key_K,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: win.review.session.is_countersigned, timeout=3000)
    assert any("Countersign the report signed by Dr Trainee" in q for q in answers.questions)
    assert "Countersigned by Dr Ada Lovelace" in win.review_panel.signoff_label.text()
    assert answers.errors == []
    with open_store(review_db) as station:  # type: ignore[attr-defined]
        again = ReviewSession.open(station, reading, "Dr Check")
        assert again.is_countersigned and again.review.countersign is not None
        assert again.review.countersign.reviewer == "Dr Ada Lovelace"
    win.review.shared.countersign()  # again: refused, saying why
    assert "already countersigned by Dr Ada Lovelace" in answers.errors[-1][1]
    win.close()


def test_postgres_connection_lost_mid_review_shows_not_yet_saved_then_sends_in_order(
        qtbot: Any, postgres_server: Any, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("psycopg")
    monkeypatch.setenv("GAZEX_REVIEW_DB", postgres_url)
    answers = Answers()
    win = build_review_window(qtbot, answers)
    reading = open_for_review(win)
    panel = win.review_panel
    panel.selection.select("f-cardio")
    panel.accept_current()
    database = postgres_url.rsplit("/", 1)[1]
    for pid in postgres_server.backend_pids(database):  # the network drops: both of the window's connections end
        postgres_server.psql(f"SELECT pg_terminate_backend({pid})")
    panel.selection.select("f-device")
    panel.accept_current()
    s = win.review.session
    assert s.status("f-device") == "accepted"  # kept on screen
    assert panel.store_warning_label.isVisible() and "NOT YET SAVED" in panel.store_warning_label.text()
    assert _badge(win, "f-device") == "✓ Accepted · NOT YET SAVED" and _badge(win, "f-cardio") == "✓ Accepted"
    qtbot.waitUntil(lambda: not s.unsaved, timeout=8000)  # sent when the server answers again
    qtbot.waitUntil(lambda: not panel.store_warning_label.isVisible(), timeout=3000)
    assert _badge(win, "f-device") == "✓ Accepted"
    with open_store(postgres_url) as check:  # type: ignore[attr-defined]
        assert [(e.action, e.finding_id) for e in check.events(reading.reading_id)] == [
            ("accept", "f-cardio"), ("accept", "f-device")]
    win.close()


def test_the_window_watches_its_store_and_stops_at_close(qtbot: Any, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAZEX_REVIEW_DB", str(tmp_path / "reviews.sqlite3"))
    win = build_review_window(qtbot, Answers())
    watcher = win.review.shared.watcher
    assert watcher is not None and watcher.running and not watcher.listens
    win.close()
    assert not watcher.running


def test_postgres_read_only_user_sees_the_review_read_only(qtbot: Any, postgres_server: Any, postgres_url: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("psycopg")
    reading = demo_reading(load_radiograph(shared_file(NIH)))
    with open_store(postgres_url) as admin:  # type: ignore[attr-defined]
        ReviewSession.open(admin, reading, "Dr Bob").accept("f-cardio")
    database = postgres_url.rsplit("/", 1)[1]
    login = f"viewer_{database}"
    postgres_server.psql(f"CREATE ROLE {login} LOGIN PASSWORD 'pw-viewer' IN ROLE gazex_readonly")
    monkeypatch.setenv("GAZEX_REVIEW_DB", postgres_server.url(database, user=login, password="pw-viewer"))
    answers = Answers()
    win = build_review_window(qtbot, answers)
    open_for_review(win, reading)
    panel = win.review_panel
    s = win.review.session
    assert s is not None and s.read_only and not answers.questions  # no claim asked for: it cannot claim
    assert panel.read_only_label.isVisible() and "read-only role" in panel.read_only_label.text()
    assert _badge(win, "f-cardio") == "✓ Accepted" and not panel.accept_button.isEnabled()
    assert not panel.sign_button.isEnabled() and answers.errors == []
    win.close()
