"""The review store under a hostile or unlucky world (issue 13): a flipped index byte, a full disk, two
sessions on one reading, typed errors. Each test failed before its fix."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

from gazex_viewer.core.review.audit_chain import check_chain, state_problems
from gazex_viewer.core.review.session import ReviewError, ReviewSession
from gazex_viewer.core.review.sqlite_migrations import LATEST
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from gazex_viewer.core.review.store import open_store
from gazex_viewer.core.review.store_errors import (
    ReviewStoreConflictError,
    ReviewStoreCorruptError,
    ReviewStoreDiskFullError,
    ReviewStoreLockedError,
    ReviewStoreReadOnlyError,
    StaleWriteError,
    error_kind,
)
from tests.factories import key_for, make_reading


def _flip_index_byte(db: Path, index: str = "events_reading") -> None:
    """Flip one bit in the last cell of an index's root page (a key the table still has)."""
    conn = sqlite3.connect(db)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    data[(root - 1) * page_size + page_size - 20] ^= 0x01
    db.write_bytes(bytes(data))


def _store_with_events(db: Path) -> None:
    with SqliteReviewStore(db) as store:
        for _ in range(3):
            s = ReviewSession.open(store, make_reading(n=20), "Dr Ada")
            for fid in list(s.undecided()):
                s.accept(fid)


# -- integrity_check at open -----------------------------------------------------------------------------------
def test_flipped_index_byte_is_found_and_the_file_kept_aside(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    _store_with_events(db)
    _flip_index_byte(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"  # what the store ran before: blind to it
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok"
    conn.close()
    damaged = db.read_bytes()
    with SqliteReviewStore(db) as store:
        assert isinstance(store.warning, ReviewStoreCorruptError)
        assert "was corrupt" in str(store.warning) and "missing from index events_reading" in str(store.warning)
        assert store.moved_aside is not None and store.moved_aside.read_bytes() == damaged  # kept intact
        assert store.readings_for_image("0" * 64) == []  # a fresh database


def test_large_file_is_checked_in_the_background(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "reviews.sqlite3"
    _store_with_events(db)
    _flip_index_byte(db)
    gate = threading.Event()  # the background check waits until the open's own verdict is read (no race)
    check = SqliteReviewStore._background_integrity_check

    def gated(self: SqliteReviewStore) -> None:
        gate.wait(30)
        check(self)

    monkeypatch.setattr(SqliteReviewStore, "_background_integrity_check", gated)
    store = SqliteReviewStore(db, integrity_check_limit=1024)  # "large": quick_check now, integrity_check in a thread
    assert store.warning is None and store.integrity_thread is not None
    gate.set()
    store.integrity_thread.join(timeout=30)
    assert isinstance(store.warning, ReviewStoreCorruptError) and "integrity_check" in str(store.warning)
    store.close()
    with SqliteReviewStore(db, integrity_check_limit=1024) as again:  # the next start moves it aside
        assert isinstance(again.warning, ReviewStoreCorruptError) and again.moved_aside is not None


# -- a full disk ----------------------------------------------------------------------------------------------
def _fill(path: Path) -> None:
    with open(path, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as err:
            assert err.errno == errno.ENOSPC


@pytest.fixture
def tiny_fs(tmp_path: Path) -> object:
    """A 2 MiB tmpfs (root only); skipped elsewhere: the max_page_count test covers the same path."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_full_disk_keeps_the_decision_pending_and_says_so(tiny_fs: Path) -> None:
    db = tiny_fs / "reviews.sqlite3"
    reading = make_reading(n=10)
    store = SqliteReviewStore(db)
    s = ReviewSession.open(store, reading, "Dr Ada")
    s.accept("f-000")
    seen: list[str] = []
    s.subscribe(lambda ev: seen.append(ev.action))
    filler = tiny_fs / "filler"
    _fill(filler)
    with pytest.raises(ReviewStoreDiskFullError, match="the disk is full") as info:
        s.reject("f-001", "x" * 4000)
    assert "NOT YET SAVED" in str(info.value) and "cannot rollback" not in str(info.value)
    assert "\n" not in str(info.value)
    # shown as made, kept pending, the reviewer told
    assert s.status("f-001") == "rejected" and len(s.unsaved) == 1 and seen == ["reject"]
    assert isinstance(s.save_problem, ReviewStoreDiskFullError)
    for fid in s.undecided():
        with pytest.raises(ReviewStoreDiskFullError):
            s.accept(fid)
    with pytest.raises(ReviewError, match="not saved yet"):
        s.sign(key=key_for("Dr Ada"))  # a sign-off is never made over unsaved decisions
    assert not s.retry_pending()  # still full
    filler.unlink()
    assert s.retry_pending() and s.unsaved == [] and s.save_problem is None
    store.close()
    with SqliteReviewStore(db) as again:
        r = ReviewSession.open(again, reading, "Dr Ada")
        assert r.status("f-001") == "rejected" and r.undecided() == [] and r.integrity_problems == []


def test_database_size_limit_full_is_disk_full_and_retried(tmp_path: Path) -> None:
    """SQLITE_FULL without root: ``PRAGMA max_page_count`` caps the file."""
    db = tmp_path / "reviews.sqlite3"
    reading = make_reading(n=10)
    store = SqliteReviewStore(db)
    s = ReviewSession.open(store, reading, "Dr Ada")
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(ReviewStoreDiskFullError, match="the disk is full") as info:
        s.edit("f-000", text="y" * 20000)  # needs new pages
    assert "NOT YET SAVED" in str(info.value) and "no transaction is active" not in str(info.value)
    assert s.status("f-000") == "edited" and len(s.unsaved) == 1
    with pytest.raises(ReviewStoreDiskFullError):
        s.accept("f-001")  # the next change retries the first, fails, and joins it
    assert len(s.unsaved) == 2 and s.status("f-001") == "accepted"
    store._conn.execute("PRAGMA max_page_count = 1000000")
    s.accept("f-002")  # room again: all three written in one transaction
    assert s.unsaved == [] and s.save_problem is None
    store.close()
    with SqliteReviewStore(db) as again:
        events = again.events(reading.reading_id)
        assert [e.action for e in events] == ["edit", "accept", "accept"]
        assert check_chain(events).problem is None
        r = ReviewSession.open(again, reading, "Dr Ada")
        assert r.status("f-000") == "edited" and r.integrity_problems == [] and state_problems(r.reading) == []


# -- two sessions on one reading ---------------------------------------------------------------------------------
def test_two_sessions_on_one_reading_cannot_contradict_the_log(store_location: str) -> None:
    reading = make_reading()
    with closing(open_store(store_location)) as store:
        ReviewSession.open(store, reading, "Dr Ada")
    first_store, second_store = open_store(store_location), open_store(store_location)  # two windows, or two processes
    first = ReviewSession.open(first_store, reading, "Dr Ada")
    second = ReviewSession.open(second_store, reading, "Dr Bob")
    first.accept("f-000")
    with pytest.raises(StaleWriteError, match="changed elsewhere .* Dr Ada accepted f-000 .* NOT saved"):
        second.reject("f-000", "disagree")
    assert second.status("f-000") == "accepted"  # nothing shown that was not written: the stored decision
    second.reject("f-001")  # reloaded: it goes on from the stored state
    with pytest.raises(StaleWriteError, match="Dr Bob rejected f-001"):
        first.reject("f-001")
    first.accept("f-002")
    # the same store object, two sessions: the same rule
    third = ReviewSession.open(first_store, reading, "Dr Cy")
    first.accept("f-003")
    with pytest.raises(StaleWriteError):
        third.reject("f-003")
    first_store.close()
    second_store.close()
    with closing(open_store(store_location)) as store:
        again = ReviewSession.open(store, reading, "Dr Ada")
        assert [(e.reviewer, e.action) for e in store.events(reading.reading_id)] == [
            ("Dr Ada", "accept"), ("Dr Bob", "reject"), ("Dr Ada", "accept"), ("Dr Ada", "accept")]
        assert again.integrity_problems == []
        assert [again.status(f) for f in ("f-000", "f-001", "f-002", "f-003")] == ["accepted", "rejected", "accepted",
                                                                                  "accepted"]


def test_two_processes_writing_one_reading(tmp_path: Path, store_location: str) -> None:
    reading = make_reading()
    with closing(open_store(store_location)) as store:
        mine = ReviewSession.open(store, reading, "Dr Ada")
        code = (
            "import sys; from contextlib import closing; from gazex_viewer.core.review.store import open_store\n"
            "from gazex_viewer.core.reading.document import Reading\n"
            "from gazex_viewer.core.review.session import ReviewSession\n"
            f"r = Reading.from_json(open({str(tmp_path / 'r.json')!r}).read())\n"
            f"with closing(open_store({store_location!r})) as st:\n"
            "    ReviewSession.open(st, r, 'Dr Other').reject('f-000', 'other process')\n"
        )
        reading.save(tmp_path / "r.json")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parents[3], timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        with pytest.raises(ReviewStoreConflictError, match="changed elsewhere .* Dr Other rejected f-000"):
            mine.accept("f-000")
        assert mine.status("f-000") == "rejected"  # reloaded: the other process's decision
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        assert s.status("f-000") == "rejected" and s.integrity_problems == []


# -- typed errors --------------------------------------------------------------------------------------------------
def test_read_only_database_is_a_typed_error_and_kept_pending(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes read-only files")
    db = tmp_path / "reviews.sqlite3"
    reading = make_reading()
    store = SqliteReviewStore(db)
    s = ReviewSession.open(store, reading, "Dr Ada")
    store.close()
    os.chmod(db, 0o444)
    ro = SqliteReviewStore(db)
    s = ReviewSession.open(ro, reading, "Dr Ada")
    with pytest.raises(ReviewStoreReadOnlyError):
        s.accept("f-000")
    assert len(s.unsaved) == 1


def test_locked_database_write_is_a_typed_error_and_kept_pending(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    reading = make_reading()
    store = SqliteReviewStore(db, busy_timeout_s=0.2)
    s = ReviewSession.open(store, reading, "Dr Ada")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ReviewStoreLockedError, match="locked by another program"):
            s.accept("f-000")
        assert s.status("f-000") == "accepted" and len(s.unsaved) == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    s.accept("f-001")
    assert s.unsaved == []
    assert [e.action for e in store.events(reading.reading_id)] == ["accept", "accept"]
    store.close()


def test_error_kinds_by_result_code() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.Error) as info:
        conn.execute("INSERT INTO t VALUES (1)")
    assert error_kind(info.value)[0] is ReviewStoreReadOnlyError
    assert error_kind(sqlite3.OperationalError("database or disk is full"))[0] is ReviewStoreDiskFullError


def test_reading_with_decisions_from_elsewhere_and_no_log_can_be_continued(store_location: str) -> None:
    """A reading that arrives with decisions but no event log (legacy) is not called tampered once chained."""
    from gazex_viewer.core.reading.document import Decision, Review

    reading = make_reading()
    reading.review = Review(reviewer="Dr Elsewhere", decisions=[Decision("f-000", "accepted")], impression="ok")
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        assert s.integrity_problems == []
        s.reject("f-001", "no")
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        assert s.integrity_problems == [] and s.status("f-000") == "accepted" and s.status("f-001") == "rejected"
        assert s.review.events[0].prev_sha256 is not None


def test_read_errors_are_typed_not_raw_sqlite(store_location: str) -> None:
    from gazex_viewer.core.errors import ReviewStoreError

    store = open_store(store_location)
    store.close()
    for read in (lambda: store.events("r-1"), lambda: store.has_reading("r-1"), lambda: store.registered_key("k")):
        with pytest.raises(ReviewStoreError, match="cannot read the review database"):
            read()


def test_schema_1_database_is_upgraded_and_its_log_kept_as_legacy(tmp_path: Path) -> None:
    """A database written before signatures and chaining: opened, upgraded in place, reviews go on."""
    db = tmp_path / "reviews.sqlite3"
    reading = make_reading()
    with SqliteReviewStore(db) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        s.accept("f-000")
        s.reject("f-001", "old")
    conn = sqlite3.connect(db)  # back to what schema 1 had
    for table, column in (("readings", "version"), ("readings", "events_head"), ("events", "prev_sha256"),
                          ("signoffs", "signoff_json")):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("DROP TABLE signing_keys")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with SqliteReviewStore(db) as store:
        assert store._conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        s = ReviewSession.open(store, reading, "Dr Ada")
        assert s.integrity_problems == [] and s.status("f-001") == "rejected"
        assert [e.prev_sha256 for e in s.review.events] == [None, None]  # legacy events, kept as they are
        s.accept("f-002")
    with SqliteReviewStore(db) as store:
        events = store.events(reading.reading_id)
        chain = check_chain(events)
        assert chain.problem is None and not chain.legacy and events[-1].prev_sha256 is not None
        assert ReviewSession.open(store, reading, "Dr Ada").integrity_problems == []
