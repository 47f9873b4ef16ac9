"""PostgresReviewStore against a real temporary PostgreSQL: what only a server database does.

NOTIFY within a second, a claim freed when its holder's connection is killed, a newer schema refused, wrong
credentials and a server that is down (one line, no password), the read-only role, the signer identity,
and a connection dropped mid-review (decisions kept, NOT YET SAVED, then sent in order). The store suite
shared with SQLite runs on both stores in the other test files (the ``any_store`` fixture).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("psycopg", reason="psycopg (the PostgreSQL store's driver) is not installed")

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.review.postgres_schema import SCHEMA_VERSION
from gazex_viewer.core.review.postgres_store import (
    PostgresReviewStore,
    ReviewStoreConnectionError,
    ReviewStorePermissionError,
)
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.store import ReviewStore, open_store
from gazex_viewer.core.review.store_errors import StaleWriteError
from tests.factories import make_reading
from tests.servers.postgres_server import PASSWORD, PostgresServer, _free_port


def _kill_backend(server: PostgresServer, store: PostgresReviewStore) -> None:
    """End the store's server process from outside, as a dropped network or a restarted server would."""
    assert store._conn is not None
    pid = store._conn.info.backend_pid
    server.psql(f"SELECT pg_terminate_backend({pid})")


def _user(server: PostgresServer, url: str, name: str, group: str) -> str:
    """A login user in one of the GazeX roles; its URL (the roles exist once a store has opened the database)."""
    database = url.rsplit("/", 1)[1]
    login = f"{name}_{database}"
    server.psql(f"CREATE ROLE {login} LOGIN PASSWORD 'pw-{name}' IN ROLE {group}")
    return server.url(database, user=login, password=f"pw-{name}")


def test_open_store_chooses_postgres_by_url(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        assert isinstance(store, PostgresReviewStore)
        assert store.location.startswith("postgresql://postgres@127.0.0.1:")
        assert PASSWORD not in store.location and PASSWORD not in repr(store)
        assert store.role == "attending" and store.identity == "postgres"  # the database owner administers it
        assert isinstance(store, ReviewStore)
        assert store._conn is not None
        # a decision is on the server's disk when the commit returns; a lock wait has an end
        assert store._conn.execute("SHOW synchronous_commit").fetchone() == ("on",)
        assert store._conn.execute("SHOW lock_timeout").fetchone() == ("5s",)
    finally:
        store.close()


def test_notify_reaches_another_station_within_a_second(postgres_url: str) -> None:
    reading = make_reading()
    with PostgresReviewStore(postgres_url) as a, PostgresReviewStore(postgres_url) as b:
        session = ReviewSession.open(a, reading, "Dr Ada")
        assert b.wait_for_changes(0.0) == []  # listening from now on
        token = b.changes_since(None).token
        written: list[float] = []

        def decide() -> None:
            time.sleep(0.3)
            session.accept("f-000")
            written.append(time.monotonic())

        worker = threading.Thread(target=decide)
        worker.start()
        changed = b.wait_for_changes(5.0)
        arrived = time.monotonic()
        worker.join()
        assert changed == [reading.reading_id]
        assert arrived - written[0] < 1.0
        assert b.changes_since(token).reading_ids == (reading.reading_id,)
        assert b.load(reading.reading_id).reading.review.decisions[0].status == "accepted"  # type: ignore[union-attr]


def test_claim_is_freed_when_the_holders_connection_is_killed(postgres_server: PostgresServer,
                                                             postgres_url: str) -> None:
    reading = make_reading()
    with PostgresReviewStore(postgres_url) as a, PostgresReviewStore(postgres_url) as b:
        ReviewSession.open(a, reading, "Dr Ada")
        mine = a.claim(reading.reading_id, "Dr Ada")
        assert mine.holder == "Dr Ada"
        theirs = b.claim(reading.reading_id, "Dr Bob")  # refused: Ada's claim is the one in force
        assert (theirs.holder, theirs.since) == ("Dr Ada", mine.since)
        assert b.claim_of(reading.reading_id) == mine
        assert "being read by Dr Ada since" in mine.describe()
        _kill_backend(postgres_server, a)  # Ada's station dies without releasing
        deadline = time.monotonic() + 3.0
        while b.claim_of(reading.reading_id) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert b.claim_of(reading.reading_id) is None
        assert b.claim(reading.reading_id, "Dr Bob").holder == "Dr Bob"
        b.release(reading.reading_id, "Dr Bob")
        assert b.claim_of(reading.reading_id) is None


def test_newer_schema_is_refused_with_a_message(postgres_server: PostgresServer, postgres_url: str) -> None:
    PostgresReviewStore(postgres_url).close()
    database = postgres_url.rsplit("/", 1)[1]
    postgres_server.psql(f"UPDATE gazex_schema SET version = {SCHEMA_VERSION + 5}", database)
    with pytest.raises(ReviewStoreError, match=rf"newer GazeX Viewer \(schema {SCHEMA_VERSION + 5} > "
                                               rf"{SCHEMA_VERSION}\); update the viewer") as err:
        PostgresReviewStore(postgres_url)
    assert str(err.value).startswith(postgres_server.url(database, password=None) + ": ")
    assert postgres_server.psql("SELECT version FROM gazex_schema", database).strip() == str(SCHEMA_VERSION + 5)


def test_wrong_password_is_one_clear_line_without_the_password(postgres_server: PostgresServer,
                                                               postgres_url: str) -> None:
    database = postgres_url.rsplit("/", 1)[1]
    with pytest.raises(ReviewStorePermissionError) as err:
        PostgresReviewStore(postgres_server.url(database, password="not-the-password"))
    msg = str(err.value)
    assert "\n" not in msg and "not-the-password" not in msg
    assert msg.startswith(f"postgresql://postgres@127.0.0.1:{postgres_server.port}/{database}: ")
    assert 'password authentication failed for user "postgres"' in msg


def test_server_down_at_start_is_one_clear_line() -> None:
    url = f"postgresql://ada:secret-pw@127.0.0.1:{_free_port()}/reviews"
    t0 = time.monotonic()
    with pytest.raises(ReviewStoreConnectionError) as err:
        PostgresReviewStore(url, connect_timeout_s=2)
    assert time.monotonic() - t0 < 10
    msg = str(err.value)
    assert "\n" not in msg and "secret-pw" not in msg
    assert msg.startswith("postgresql://ada@127.0.0.1:") and "cannot reach the review database server" in msg


def test_read_only_role_reads_but_is_refused_on_write(postgres_server: PostgresServer, postgres_url: str) -> None:
    reading = make_reading()
    with PostgresReviewStore(postgres_url) as admin:
        ReviewSession.open(admin, reading, "Dr Ada").accept("f-000")
    with PostgresReviewStore(_user(postgres_server, postgres_url, "viewer", "gazex_readonly")) as ro:
        assert ro.role == "read-only"
        session = ReviewSession.open(ro, reading, "Dr Viewer")
        assert session.status("f-000") == "accepted"
        with pytest.raises(ReviewStorePermissionError, match="read-only role.*nothing was saved"):
            session.reject("f-001", "no")
        assert session.status("f-001") == "undecided" and len(session.review.events) == 1
        with pytest.raises(ReviewStorePermissionError, match="read-only"):
            ro.claim(reading.reading_id, "Dr Viewer")
    with PostgresReviewStore(_user(postgres_server, postgres_url, "res", "gazex_reviewer")) as rw:
        assert rw.role == "reviewer"
        ReviewSession.open(rw, reading, rw.identity).reject("f-001", "no")
        assert [e.db_user for e in _event_rows(postgres_server, postgres_url)] == ["postgres", rw.db_user]


class _Row:
    def __init__(self, action: str, db_user: str) -> None:
        self.action, self.db_user = action, db_user


def _event_rows(server: PostgresServer, url: str) -> list[_Row]:
    out = server.psql("SELECT action, db_user FROM events ORDER BY seq", url.rsplit("/", 1)[1])
    return [_Row(*line.split("|")) for line in out.splitlines() if line]


def test_signer_identity_is_the_database_user(postgres_server: PostgresServer, postgres_url: str,
                                              tmp_path: Path) -> None:
    from gazex_viewer.core.review.signing import generate_key

    reading = make_reading()
    PostgresReviewStore(postgres_url).close()
    url = _user(postgres_server, postgres_url, "ada", "gazex_reviewer")
    login = url.split("//", 1)[1].split(":", 1)[0]
    postgres_server.psql(f"INSERT INTO reviewers VALUES ('{login}', 'Dr Ada')", postgres_url.rsplit("/", 1)[1])
    with PostgresReviewStore(url) as store:
        assert (store.identity, store.role, store.is_admin) == ("Dr Ada", "reviewer", False)
        session = ReviewSession.open(store, reading, "Dr Ada")
        for fid in list(session.undecided()):
            session.accept(fid)
        other = generate_key("Dr Bo")
        store.register_key(other, "Dr Ada")
        with pytest.raises(ReviewStorePermissionError, match="cannot sign as Dr Bo: you are signed in"):
            session.sign("Dr Bo", key=other)
        assert not session.is_signed and store.signoff(reading.reading_id) is None
        mine = generate_key("Dr Ada")
        store.register_key(mine, "Dr Ada")
        signoff = session.sign("Dr Ada", key=mine)
        assert store.signoff(reading.reading_id) == signoff


def test_connection_dropped_mid_review_keeps_decisions_and_sends_them_in_order(
        postgres_server: PostgresServer, postgres_url: str) -> None:
    reading = make_reading()
    with PostgresReviewStore(postgres_url) as store:
        session = ReviewSession.open(store, reading, "Dr Ada")
        session.accept("f-000")
        store.claim(reading.reading_id, "Dr Ada")
        _kill_backend(postgres_server, store)
        with pytest.raises(ReviewStoreConnectionError, match="connection to the review server was lost.*NOT YET "
                                                             "SAVED: 1 change"):
            session.reject("f-001", "kept locally")
        assert session.status("f-001") == "rejected"  # kept on screen, said to be unsaved
        assert len(session.unsaved) == 1 and "NOT YET SAVED" in str(session.save_problem)
        session.accept("f-002")  # the store reconnects; the kept decision goes first, in one transaction
        assert session.unsaved == [] and session.save_problem is None
        with PostgresReviewStore(postgres_url) as other:  # the claim was taken again on the new connection
            claim = other.claim_of(reading.reading_id)
            assert claim is not None and claim.holder == "Dr Ada"
    with PostgresReviewStore(postgres_url) as again:
        assert [e.action for e in again.events(reading.reading_id)] == ["accept", "reject", "accept"]
        resumed = ReviewSession.open(again, reading, "Dr Ada")
        assert resumed.integrity_problems == []
        assert [resumed.status(f) for f in ("f-000", "f-001", "f-002")] == ["accepted", "rejected", "accepted"]


def test_a_commit_whose_acknowledgement_was_lost_is_not_written_twice(postgres_url: str) -> None:
    from dataclasses import replace

    from gazex_viewer.core.reading.document import new_id

    reading = make_reading()
    with PostgresReviewStore(postgres_url) as store:
        ReviewSession.open(store, reading, "Dr Ada").accept("f-000")
        stored = store.load(reading.reading_id)
        assert stored.reading.review is not None
        events = stored.reading.review.events
        # the same write again, based on the version before it: a retry after a lost acknowledgement
        assert store.record(stored.reading, events[-1:], expected_version=stored.version - 1) == stored.version
        assert len(store.events(reading.reading_id)) == 1
        # a different write based on that old version is stale, and says who decided what
        with pytest.raises(StaleWriteError, match="Dr Ada accepted f-000") as err:
            store.record(stored.reading, [replace(events[-1], id=new_id("ev"))], expected_version=stored.version - 1)
        assert [e.id for e in err.value.theirs] == [events[-1].id]
        assert len(store.events(reading.reading_id)) == 1
