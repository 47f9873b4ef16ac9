"""The review store: durable writes, resume, versions, audit, corrupt/locked files, and a real SIGKILL.

The tests taking ``store_location`` run on both stores: a SQLite file and a real PostgreSQL database
(``tests/core/review/conftest.py``); the others are about the SQLite file itself.

Run as a script, this file is the kill-test driver: it records decisions one by one and prints
``ack <finding id> <status>`` after each durable write, until it is killed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import Box, Reading
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from gazex_viewer.core.review.store import open_store

if __name__ != "__main__":
    from tests.factories import make_reading, sign

ROOT = Path(__file__).resolve().parents[3]


def test_wal_and_full_sync(tmp_path: Path) -> None:
    store = SqliteReviewStore(tmp_path / "r.sqlite3")
    assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.warning is None
    store.close()


def test_decisions_survive_reopen_and_resume_undo(store_location: str) -> None:
    reading = make_reading()
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        s.accept("f-000")
        s.reject("f-001", "not seen")
        s.edit("f-002", text="cardiomegaly", observation=Box.from_corners(1, 2, 30, 40))
        fid = s.add_finding("rib fracture", Box.from_corners(5, 6, 70, 80))
        s.set_impression("cardiomegaly")
        s.undo()  # impression
    # a different process would only have the reading JSON; the store's state wins
    fresh = Reading.from_dict(reading.to_dict())
    fresh.review = None
    with closing(open_store(store_location)) as store:
        s2 = ReviewSession.open(store, fresh, "Dr Ada")
        assert s2.status("f-000") == "accepted"
        assert s2.status("f-001") == "rejected"
        assert s2.review.decisions[1].reason == "not seen"
        assert s2.effective_finding("f-002").text == "cardiomegaly"
        assert s2.effective_finding("f-002").observation == Box.from_corners(1, 2, 30, 40)
        assert s2.status(fid) == "added"
        assert s2.review.impression is None
        assert s2.undecided() == ["f-003"]
        # the undo/redo stacks are rebuilt from the event log
        assert s2.can_redo and s2.can_undo
        s2.redo()
        assert s2.review.impression == "cardiomegaly"
        s2.undo()
        s2.undo()  # the addition
        assert fid not in s2.finding_ids
        assert [e.action for e in store.events(reading.reading_id)][-3:] == [
            "redo:impression", "undo:impression", "undo:add"]


def test_store_failure_rolls_back_the_session(store_location: str) -> None:
    store = open_store(store_location)
    s = ReviewSession.open(store, make_reading(), "Dr Ada")
    store.close()  # every write now fails
    with pytest.raises(ReviewStoreError, match="cannot write the review database"):
        s.accept("f-000")
    assert s.status("f-000") == "undecided"
    assert s.review.events == [] and not s.can_undo


def test_sign_versions_and_audit(store_location: str) -> None:
    reading = make_reading(study_instance_uid="1.2.3.4", pixel_sha256="a" * 64)
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        for fid in list(s.undecided()):
            s.accept(fid)
        signoff = sign(s)
        assert store.signoff(reading.reading_id) == signoff
        v2 = s.new_version("Dr Bo")
        v2.reject("f-003", "on second look")
    with closing(open_store(store_location)) as store:
        # reopening the film resumes the newest version
        again = ReviewSession.open(store, reading, "Dr Bo")
        assert again.reading_id == v2.reading_id
        assert again.reading.parent_id == reading.reading_id
        assert again.status("f-003") == "rejected" and not again.is_signed
        signed = store.load_reading(reading.reading_id)
        assert signed.review is not None and signed.review.signoff == signoff
        assert store.versions(reading.reading_id) == [reading.reading_id, v2.reading_id]
        assert store.readings_for_image("a" * 64)[0] == v2.reading_id
        audit = store.events_for_study("1.2.3.4")
        assert [(a.reading_id == v2.reading_id, a.event.action) for a in audit] == [
            (False, "accept"), (False, "accept"), (False, "accept"), (False, "accept"),
            (False, "sign"), (True, "new_version"), (True, "reject")]
        assert audit[-1].event.reviewer == "Dr Bo"
        assert audit[-1].event.before["status"] == "accepted"
        assert audit[-1].event.after == {"finding_id": "f-003", "status": "rejected",
                                         "reason": "on second look", "edited": None}
        assert [a.event.action for a in store.events_for_study("a" * 64)] == [a.event.action for a in audit]


def test_read_first_setting_is_stored(store_location: str) -> None:
    reading = make_reading()
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada", read_first=True)
        assert s.ai_hidden
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        assert s.read_first and s.ai_hidden
        s.set_own_impression("normal chest")
    with closing(open_store(store_location)) as store:
        assert not ReviewSession.open(store, reading, "Dr Ada").ai_hidden


def test_corrupt_file_is_kept_aside_and_fresh_db_started(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    garbage = b"this is not an sqlite database\x00" * 200
    db.write_bytes(garbage)
    store = SqliteReviewStore(db)
    assert store.warning is not None and store.moved_aside is not None
    msg = str(store.warning)
    assert msg.startswith(f"{db}: the review database was corrupt")
    assert store.moved_aside.name in msg and ".corrupt-" in store.moved_aside.name
    assert store.moved_aside.read_bytes() == garbage  # nothing overwritten
    reading = make_reading()
    s = ReviewSession.open(store, reading, "Dr Ada")
    s.accept("f-000")
    store.close()
    with SqliteReviewStore(db) as again:
        assert again.warning is None
        assert ReviewSession.open(again, reading, "x").status("f-000") == "accepted"


def test_truncated_database_is_kept_aside(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    with SqliteReviewStore(db) as store:
        for _ in range(3):
            ReviewSession.open(store, make_reading(n=40), "Dr Ada").accept("f-000")
        store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    db.write_bytes(data[:100] + b"\xff" * 3000 + data[3100 : len(data) // 2])
    store = SqliteReviewStore(db)
    assert store.warning is not None and ".corrupt-" in store.moved_aside.name  # type: ignore[union-attr]
    store.close()


def test_locked_file_is_kept_aside(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    reading = make_reading(pixel_sha256="b" * 64)
    with SqliteReviewStore(db) as store:
        ReviewSession.open(store, reading, "Dr Ada").accept("f-000")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store = SqliteReviewStore(db, busy_timeout_s=0.2)
        assert store.warning is not None
        assert "was locked" in str(store.warning)
        assert store.moved_aside is not None and ".locked-" in store.moved_aside.name
        assert store.readings_for_image("b" * 64) == []  # a fresh database
        store.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    aside = SqliteReviewStore(store.moved_aside)  # the kept file still holds the decision
    assert aside.warning is None
    assert ReviewSession.open(aside, reading, "x").status("f-000") == "accepted"
    aside.close()


def test_unwritable_folder_is_a_typed_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ReviewStoreError, match="cannot create the database folder"):
        SqliteReviewStore(blocker / "sub" / "r.sqlite3")


def test_default_path_is_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("GAZEX_REVIEW_DB", raising=False)
    store = SqliteReviewStore()
    assert store.path == tmp_path / "gazex-viewer" / "reviews.sqlite3"
    store.close()


# -- the kill test -------------------------------------------------------------------------------
N_KILL = 400


def _driver(db: str, reading_json: str) -> None:
    """Record a decision on each finding, printing an acknowledgement after each durable write."""
    reading = Reading.from_json(Path(reading_json).read_text())
    store = open_store(db)
    session = ReviewSession.open(store, reading, "Dr Kill")
    print("ready", flush=True)
    for i, fid in enumerate(session.finding_ids):
        if i % 3 == 0:
            session.reject(fid, f"reason {i}")
            status = "rejected"
        elif i % 3 == 1:
            session.edit(fid, text=f"edited text {i}", observation=Box.from_corners(i, i, i + 9, i + 9))
            status = "edited"
        else:
            session.accept(fid)
            status = "accepted"
        print(f"ack {fid} {status}", flush=True)
    print("done", flush=True)
    time.sleep(60)


def test_sigkill_mid_review_keeps_every_acknowledged_decision(tmp_path: Path, store_location: str) -> None:
    db = store_location
    reading = make_reading(n=N_KILL)
    reading_json = tmp_path / "reading.json"
    reading.save(reading_json)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__)), db, str(reading_json)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )
    acks: list[tuple[str, str]] = []
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", proc.stderr.read() if proc.stderr else line
        while len(acks) < 60:
            parts = proc.stdout.readline().split()
            assert parts and parts[0] == "ack", parts
            acks.append((parts[1], parts[2]))
        os.kill(proc.pid, signal.SIGKILL)  # mid-review, while it keeps writing
        rest = proc.stdout.read()  # acknowledgements already in the pipe also count
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    for line in rest.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ack":
            acks.append((parts[1], parts[2]))
    assert "done" not in rest, "the driver finished before the kill; the test proves nothing"
    assert len(acks) < N_KILL

    with closing(open_store(db)) as store:
        assert store.warning is None
        session = ReviewSession.open(store, reading, "Dr Check")
        for fid, status in acks:
            assert session.status(fid) == status, fid
            i = int(fid.split("-")[1])
            if status == "edited":
                assert session.effective_finding(fid).text == f"edited text {i}"
            if status == "rejected":
                assert session.review.decisions[i].reason == f"reason {i}"
        # at most one decision may be durable without its acknowledgement having been printed
        decided = N_KILL - len(session.undecided())
        assert len(acks) <= decided <= len(acks) + 1
        assert len(store.events(reading.reading_id)) == decided


if __name__ == "__main__":
    _driver(sys.argv[1], sys.argv[2])
