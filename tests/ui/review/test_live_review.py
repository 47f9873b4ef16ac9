"""Live refresh, study claims and the countersign conversation of issue 16, with real stores.

Two stations on one SQLite file and two on a real PostgreSQL (``store_location``): a decision or a sign-off
at one shows in the other's open review within a second; a station's own write does not reload it; a lost
PostgreSQL connection is reported and the watcher comes back by itself. A study claim is shown to the others,
renewed while open and released at close. The countersign conversation refuses the signer and countersigns
as the attending with a newly created key.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from gazex_viewer.core.review.store import ReviewStore, open_store
from gazex_viewer.ui.review.audit_dialog import action_words, describe_change
from gazex_viewer.ui.review.claims import StudyClaim, claim_banner_html
from gazex_viewer.ui.review.countersign import (
    countersign_review,
    countersigned_banner_html,
)
from gazex_viewer.ui.review.live import StoreWatcher, refresh_if_changed
from tests.factories import key_for, make_reading, sign


def _watch(qtbot: Any, store: ReviewStore, session: ReviewSession) -> tuple[StoreWatcher, list[Any]]:
    """A watcher on ``store`` that refreshes ``session``; the list of what it reported."""
    seen: list[Any] = []
    watcher = StoreWatcher(store)

    def on_changed(ids: Any) -> None:
        seen.append(ids)
        refresh_if_changed(session, ids)

    watcher.changed.connect(on_changed)
    watcher.start()
    return watcher, seen


def test_a_decision_and_a_sign_off_at_another_station_show_within_a_second(qtbot: Any, store_location: str) -> None:
    reading = make_reading()
    a, b = open_store(store_location), open_store(store_location)
    try:
        mine = ReviewSession.open(a, reading, "Dr A")
        watcher, seen = _watch(qtbot, a, mine)
        try:
            events: list[Any] = []
            mine.subscribe(events.append)  # what the panel and the film hear when the session reloads
            theirs = ReviewSession.open(b, reading, "Dr B")
            t0 = time.monotonic()
            theirs.accept("f-000")
            qtbot.waitUntil(lambda: mine.status("f-000") == "accepted", timeout=1000)
            assert time.monotonic() - t0 < 1.0 and events and events[-1].reviewer == "Dr B"
            for fid in list(theirs.undecided()):
                theirs.accept(fid)
            sign(theirs)
            qtbot.waitUntil(lambda: mine.is_signed, timeout=1000)
            assert mine.signoff is not None and mine.signoff.reviewer == "Dr B"
            assert any(ids is not None and reading.reading_id in ids for ids in seen)
        finally:
            watcher.stop()
        assert not watcher.running
    finally:
        a.close()
        b.close()


def test_a_stations_own_decision_does_not_reload_its_review(qtbot: Any, store_location: str) -> None:
    reading = make_reading()
    store = open_store(store_location)
    try:
        mine = ReviewSession.open(store, reading, "Dr A")
        watcher, seen = _watch(qtbot, store, mine)
        try:
            reloads: list[int] = []
            original = mine.reload

            def counted() -> None:
                reloads.append(1)
                original()

            mine.reload = counted  # type: ignore[method-assign]
            mine.accept("f-000")
            qtbot.waitUntil(lambda: any(ids is not None and reading.reading_id in ids for ids in seen), timeout=1000)
            assert reloads == [] and mine.status("f-000") == "accepted"
            assert refresh_if_changed(mine, None) is False
        finally:
            watcher.stop()
    finally:
        store.close()


def test_postgres_watcher_reports_a_lost_connection_and_comes_back(qtbot: Any, postgres_server: Any,
                                                                   postgres_url: str) -> None:
    pytest.importorskip("psycopg")
    from gazex_viewer.core.review.postgres_store import PostgresReviewStore

    reading = make_reading()
    with PostgresReviewStore(postgres_url) as store, PostgresReviewStore(postgres_url) as other:
        mine = ReviewSession.open(store, reading, "Dr A")
        watcher, seen = _watch(qtbot, store, mine)
        lost: list[str] = []
        restored: list[int] = []
        watcher.lost.connect(lost.append)
        watcher.restored.connect(lambda: restored.append(1))
        try:
            qtbot.waitUntil(lambda: store._listen_conn is not None, timeout=3000)
            assert watcher.listens
            pid = store._listen_conn.info.backend_pid  # type: ignore[union-attr]
            postgres_server.psql(f"SELECT pg_terminate_backend({pid})")
            qtbot.waitUntil(lambda: bool(lost), timeout=3000)
            assert "cannot listen for changes" in lost[0]
            qtbot.waitUntil(lambda: bool(restored), timeout=5000)
            assert None in seen  # anything may have changed while it was gone: the open review is looked at
            ReviewSession.open(other, reading, "Dr B").reject("f-001", "not seen")
            qtbot.waitUntil(lambda: mine.status("f-001") == "rejected", timeout=1000)
        finally:
            watcher.stop()
        assert not watcher.running


def test_sqlite_watcher_says_when_the_database_cannot_be_read(qtbot: Any, tmp_path: Path) -> None:
    store = SqliteReviewStore(tmp_path / "reviews.sqlite3")
    watcher = StoreWatcher(store, poll_ms=20)
    lost: list[str] = []
    restored: list[int] = []
    watcher.lost.connect(lost.append)
    watcher.restored.connect(lambda: restored.append(1))
    watcher.start()
    try:
        real = store.changes_since

        def broken(token: str | None) -> Any:
            from gazex_viewer.core.review.store_errors import ReviewStoreIOError

            raise ReviewStoreIOError(store.path, "a disk input/output error")

        store.changes_since = broken  # type: ignore[method-assign]
        qtbot.waitUntil(lambda: bool(lost), timeout=1000)
        assert lost == [f"{store.path}: a disk input/output error"]
        store.changes_since = real  # type: ignore[method-assign]
        qtbot.waitUntil(lambda: bool(restored), timeout=1000)
        assert len(lost) == 1  # said once, not every poll
    finally:
        watcher.stop()
        store.close()


# -- claims ---------------------------------------------------------------------------------------------------
def test_a_claim_is_shown_to_others_renewed_while_open_and_released_at_close(qtbot: Any, tmp_path: Path) -> None:
    path = tmp_path / "reviews.sqlite3"
    reading = make_reading()
    a = SqliteReviewStore(path, claim_timeout_s=0.6)
    b = SqliteReviewStore(path)
    try:
        mine, theirs = StudyClaim(a, renew_ms=150), StudyClaim(b)
        assert mine.take(reading.reading_id, "Dr A") is None and mine.held == (reading.reading_id, "Dr A")
        other = theirs.take(reading.reading_id, "Dr B")
        assert other is not None and other.holder == "Dr A" and theirs.held is None
        assert claim_banner_html(other).startswith("<b>Being read by Dr A since ")
        qtbot.wait(1200)  # twice the timeout: renewed meanwhile
        still = b.claim_of(reading.reading_id)
        assert still is not None and still.holder == "Dr A" and still.since == other.since
        mine.release()
        assert b.claim_of(reading.reading_id) is None and mine.held is None
        assert theirs.take(reading.reading_id, "Dr B") is None
        second = make_reading()  # another study replaces it: the first is given back
        assert theirs.take(second.reading_id, "Dr B") is None
        assert a.claim_of(reading.reading_id) is None
        held = a.claim_of(second.reading_id)
        assert held is not None and held.holder == "Dr B"
    finally:
        a.close()
        b.close()


def test_postgres_claim_is_shown_to_others_and_released(postgres_url: str) -> None:
    pytest.importorskip("psycopg")
    from gazex_viewer.core.review.postgres_store import PostgresReviewStore

    reading = make_reading()
    with PostgresReviewStore(postgres_url) as a, PostgresReviewStore(postgres_url) as b:
        mine, theirs = StudyClaim(a), StudyClaim(b)
        assert mine.take(reading.reading_id, "Dr A") is None
        other = theirs.take(reading.reading_id, "Dr B")
        assert other is not None and other.holder == "Dr A"
        mine.release()
        assert theirs.take(reading.reading_id, "Dr B") is None


# -- the countersign conversation -------------------------------------------------------------------------------
def test_countersign_conversation_refuses_the_signer_and_countersigns_as_the_attending(tmp_path: Path) -> None:
    reading = make_reading()
    with open_store(tmp_path / "reviews.sqlite3") as store:  # type: ignore[attr-defined]
        trainee = ReviewSession.open(store, reading, "Dr Trainee")
        for fid in list(trainee.undecided()):
            trainee.accept(fid)
        sign(trainee)
        errors: list[tuple[str, str]] = []
        questions: list[tuple[str, str]] = []

        def confirm(title: str, text: str) -> bool:
            questions.append((title, text))
            return True

        def passphrase(_title: str, _label: str) -> str:
            return "a long passphrase"

        out = countersign_review(trainee, "Dr Trainee", confirm=confirm, ask_passphrase=passphrase,
                                 show_error=lambda t, m: errors.append((t, m)))
        assert out is None and questions == []
        assert errors[-1] == ("Cannot countersign", ("This review cannot be countersigned by Dr Trainee: "
                                                     "Dr Trainee signed this review and cannot also countersign it."))
        attending = ReviewSession.open(store, reading, "Dr Attending")
        assert countersigned_banner_html(attending) == ""
        cs = countersign_review(attending, "Dr Attending", confirm=confirm, ask_passphrase=passphrase,
                                show_error=lambda t, m: errors.append((t, m)))
        assert cs is not None and len(errors) == 1
        assert questions[0][0] == "Countersign report" and "signed by Dr Trainee" in questions[0][1]
        assert "as the attending Dr Attending" in questions[0][1]
        assert attending.is_countersigned and store.registered_key(cs.key_id) is not None  # a new key, registered
        assert "Countersigned by Dr Attending" in countersigned_banner_html(attending)
        again = ReviewSession.open(store, reading, "Dr Attending")
        assert again.is_countersigned
        last = again.review.events[-1]  # the audit log names it, with the content hash it covers
        assert action_words(last.action) == "Countersigned (attending)"
        assert describe_change(last.action, last.before, last.after) == f"content SHA-256 {cs.content_sha256[:16]}…"
        assert countersign_review(again, "Dr Attending", confirm=confirm, ask_passphrase=passphrase,
                                  show_error=lambda t, m: errors.append((t, m))) is None
        assert "already countersigned by Dr Attending" in errors[-1][1]
    assert key_for("Dr Trainee").key_id != cs.key_id
