"""The ReviewStore seam: open_store, a second (in-memory) store behind ReviewSession.open, stale writes refused and
redone without loss, versioned migrations of today's databases, live-refresh tokens and study claims on SQLite."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Label,
    Producer,
    Reading,
    ReviewEvent,
    Sentence,
    SignOff,
)
from gazex_viewer.core.review.audit_chain import check_chain, head_of
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.signing import (
    MemoryKeyRegistry,
    RegisteredKey,
    SigningKey,
    generate_key,
)
from gazex_viewer.core.review.sqlite_migrations import LATEST
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from gazex_viewer.core.review.store import (
    AuditEntry,
    Changes,
    Claim,
    ReviewStore,
    StoredReading,
    StoredReview,
    open_store,
)
from gazex_viewer.core.review.store_errors import StaleWriteError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "reviews-schema2.sqlite3"


def _reading(reading_id: str = "r-seam", n: int = 3) -> Reading:
    sentences = [Sentence(f"s-{i}", f"finding number {i}") for i in range(n)]
    findings = [
        Finding(id=f"f-{i:03d}", sentence_id=f"s-{i}", text=f"finding number {i}",
                labels=[Label("Lung Opacity", "positive")], observation=Box.from_corners(10 + i, 20, 200, 220))
        for i in range(n)
    ]
    reading = Reading(image=ImageRef(file_name="seam.dcm", width=512, height=512, pixel_sha256="5" * 64),
                      producer=Producer(kind="model", name="gazex-test", backend="none"),
                      sentences=sentences, findings=findings, raw_report=" . ".join(s.text for s in sentences))
    reading.reading_id = reading_id
    return reading


# -- a second, tiny ReviewStore: dictionaries in memory ------------------------------------------------------------
class MemoryReviewStore:
    """Everything ReviewSession and the app ask of a store, kept in dictionaries (JSON copies, like a database)."""

    def __init__(self) -> None:
        self.warning: ReviewStoreError | None = None
        self._base: dict[str, dict[str, object]] = {}
        self._review: dict[str, dict[str, object]] = {}
        self._read_first: dict[str, bool] = {}
        self._events: dict[str, list[ReviewEvent]] = {}
        self._log: list[str] = []  # reading id of every event, in order: the change sequence
        self._keys = MemoryKeyRegistry()
        self._claims: dict[str, Claim] = {}
        self.writes = 0

    @property
    def location(self) -> str:
        return "memory"

    def close(self) -> None:
        pass

    def has_reading(self, reading_id: str) -> bool:
        return reading_id in self._base

    def add_reading(self, reading: Reading, *, read_first: bool = False) -> None:
        if reading.reading_id in self._base:
            return
        base = reading.to_dict()
        base["review"] = None
        self._base[reading.reading_id] = base
        self._review[reading.reading_id] = (reading.review.to_dict() if reading.review else {})
        self._read_first[reading.reading_id] = read_first
        self._events[reading.reading_id] = list(reading.review.events) if reading.review else []

    def load(self, reading_id: str) -> StoredReading:
        if reading_id not in self._base:
            raise ReviewStoreError("memory", f"no reading {reading_id}")
        from gazex_viewer.core.reading.document import Review

        reading = Reading.from_dict(self._base[reading_id])
        reading.review = Review.from_dict({**self._review[reading_id], "events": []})
        reading.review.events = list(self._events[reading_id])
        return StoredReading(reading, self._read_first[reading_id], len(self._events[reading_id]))

    def load_reading(self, reading_id: str) -> Reading:
        return self.load(reading_id).reading

    def record(self, reading: Reading, events: ReviewEvent | list[ReviewEvent], *,
               expected_version: int | None = None) -> int:
        batch = [events] if isinstance(events, ReviewEvent) else list(events)
        log = self._events[reading.reading_id]
        if expected_version is not None and expected_version != len(log):
            raise StaleWriteError("memory", reading.reading_id, log[expected_version:], batch)
        assert reading.review is not None
        self._review[reading.reading_id] = reading.review.to_dict()
        log.extend(batch)
        self._log.extend(reading.reading_id for _ in batch)
        self.writes += 1
        return len(log)

    def events(self, reading_id: str) -> list[ReviewEvent]:
        return list(self._events.get(reading_id, []))

    def log_problems(self, reading_id: str, events: list[ReviewEvent] | None = None) -> list[str]:
        return []

    def signoff(self, reading_id: str) -> SignOff | None:
        return self.load_reading(reading_id).review.signoff  # type: ignore[union-attr]

    def latest_version_id(self, reading_id: str) -> str:
        children = [rid for rid, base in self._base.items() if base.get("parent_id") == reading_id]
        return self.latest_version_id(children[-1]) if children else reading_id

    def versions(self, reading_id: str) -> list[str]:
        chain = [reading_id]
        while (parent := self._base[chain[0]].get("parent_id")) is not None:
            chain.insert(0, str(parent))
        while (latest := self.latest_version_id(chain[-1])) != chain[-1]:
            chain.append(latest)
        return chain

    def readings_for_image(self, pixel_sha256: str) -> list[str]:
        return [rid for rid in self._base if self.load_reading(rid).image.pixel_sha256 == pixel_sha256]

    def reviews_for_image(self, pixel_sha256: str) -> list[StoredReview]:
        return []

    def events_for_study(self, key: str) -> list[AuditEntry]:
        return [AuditEntry(rid, None, None, e) for rid in self.readings_for_image(key) for e in self._events[rid]]

    def register_key(self, key: SigningKey, registered_by: str) -> RegisteredKey:
        return self._keys.registered_key(key.key_id) or self._keys.register(key, registered_by)

    def registered_key(self, key_id: str) -> RegisteredKey | None:
        return self._keys.registered_key(key_id)

    def keys_of(self, reviewer: str) -> list[RegisteredKey]:
        return []

    def changes_since(self, token: str | None) -> Changes:
        now = len(self._log)
        since = now if token is None else int(token)
        return Changes(str(now), tuple(dict.fromkeys(self._log[since:])))

    def claim(self, reading_id: str, holder: str) -> Claim:
        return self._claims.setdefault(reading_id, Claim(reading_id, holder, "2026-12-06T10:42:00.000+00:00"))

    def release(self, reading_id: str, holder: str) -> None:
        if reading_id in self._claims and self._claims[reading_id].holder == holder:
            del self._claims[reading_id]

    def claim_of(self, reading_id: str) -> Claim | None:
        return self._claims.get(reading_id)


def test_a_second_store_plugs_into_review_session_open_without_touching_callers() -> None:
    store: ReviewStore = MemoryReviewStore()  # mypy checks it against the Protocol
    assert isinstance(store, ReviewStore)
    reading = _reading()
    s = ReviewSession.open(store, reading, "Dr Ada")
    assert s.store is store and store.has_reading(reading.reading_id)
    s.accept("f-000")
    s.reject("f-001", "not seen")
    s.undo()
    assert s.status("f-001") == "undecided"
    s.redo()
    s.edit("f-002", text="a small opacity")
    key = generate_key("Dr Ada")
    store.register_key(key, "registrar")
    s.sign(key=key, account="ada")
    assert s.is_signed and s.integrity_problems == []
    # resumed from the store alone: the decisions, the signature, the event chain
    again = ReviewSession.open(store, _reading(), "Dr Ada")
    assert [again.status(f) for f in ("f-000", "f-001", "f-002")] == ["accepted", "rejected", "edited"]
    assert again.is_signed and again.integrity_problems == []
    events = store.events(reading.reading_id)
    assert [e.action for e in events] == ["accept", "reject", "undo:reject", "redo:reject", "edit", "sign"]
    assert check_chain(events).problem is None and head_of(events) == head_of(again.review.events)
    # a new version goes into the same store, linked to the signed one
    child = again.new_version()
    assert store.versions(child.reading_id) == [reading.reading_id, child.reading_id]
    assert store.changes_since("0").reading_ids == (reading.reading_id, child.reading_id)


def test_the_memory_store_refuses_a_stale_write_too_and_the_session_reloads() -> None:
    store = MemoryReviewStore()
    a = ReviewSession.open(store, _reading(), "Dr Ada")
    b = ReviewSession.open(store, _reading(), "Dr Bob")
    a.accept("f-000")
    with pytest.raises(StaleWriteError, match="Dr Ada accepted f-000"):
        b.reject("f-000")
    assert b.status("f-000") == "accepted"
    b.reject("f-000")
    assert [(e.reviewer, e.action) for e in store.events("r-seam")] == [("Dr Ada", "accept"), ("Dr Bob", "reject")]


# -- open_store ----------------------------------------------------------------------------------------------------
def test_open_store_takes_a_path_or_a_sqlite_url(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    with open_store(db) as first:  # type: ignore[attr-defined]
        assert isinstance(first, SqliteReviewStore) and isinstance(first, ReviewStore)
        ReviewSession.open(first, _reading(), "Dr Ada").accept("f-000")
    second = open_store(f"sqlite:///{db}")
    try:
        assert isinstance(second, SqliteReviewStore) and second.location == str(db)
        assert ReviewSession.open(second, _reading(), "Dr Ada").status("f-000") == "accepted"
    finally:
        second.close()


def test_open_store_uses_the_environment_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAZEX_REVIEW_DB", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    store = open_store()
    try:
        assert store.location == str(tmp_path / "env.sqlite3")
    finally:
        store.close()
    assert (tmp_path / "env.sqlite3").exists()


def test_a_postgresql_url_without_the_postgresql_store_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gazex_viewer.core.review.postgres_store", None)  # as if it were not installed
    with pytest.raises(ReviewStoreError, match="PostgreSQL store") as info:
        open_store("postgresql://ada:s3cret@db.example:5432/reviews")
    text = str(info.value)
    assert "s3cret" not in text and "postgresql://ada@db.example:5432/reviews" in text and "\n" not in text
    with pytest.raises(ReviewStoreError, match="three slashes"):
        open_store("sqlite://reviews.sqlite3")


# -- no lost updates ---------------------------------------------------------------------------------------------
def test_two_sessions_decide_the_same_finding_the_second_is_refused_and_redone_without_loss(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    ada_store, bob_store = SqliteReviewStore(db), SqliteReviewStore(db)  # two reading stations, one file
    ada = ReviewSession.open(ada_store, _reading(), "Dr Ada")
    bob = ReviewSession.open(bob_store, _reading(), "Dr Bob")
    seen: list[str] = []
    bob.subscribe(lambda e: seen.append(e.action))
    ada.accept("f-000")
    with pytest.raises(StaleWriteError) as info:
        bob.reject("f-000", "no opacity")
    err = info.value
    assert [(e.reviewer, e.action, e.finding_id) for e in err.theirs] == [("Dr Ada", "accept", "f-000")]
    assert [(e.reviewer, e.action, e.finding_id) for e in err.mine] == [("Dr Bob", "reject", "f-000")]
    text = str(err)
    assert "Dr Ada accepted f-000 at " in text and "(reject f-000) was NOT saved" in text and "\n" not in text
    assert str(db) in text
    # the session reloaded: Bob sees Ada's decision (listeners were told) and redoes his own
    assert bob.status("f-000") == "accepted" and seen == ["accept"]
    bob.reject("f-000", "no opacity")
    assert bob.status("f-000") == "rejected"
    with SqliteReviewStore(db) as store:
        log = store.events("r-seam")
        assert [(e.reviewer, e.action, e.finding_id) for e in log] == [
            ("Dr Ada", "accept", "f-000"), ("Dr Bob", "reject", "f-000")]
        assert check_chain(log).problem is None
        assert log[1].before == {"finding_id": "f-000", "status": "accepted", "reason": None, "edited": None}
        assert ReviewSession.open(store, _reading(), "Dr Cy").status("f-000") == "rejected"
    # Ada's next change is now the stale one: refused, she sees Bob's decision and redoes hers
    with pytest.raises(StaleWriteError, match="Dr Bob rejected f-000"):
        ada.accept("f-001")
    assert ada.status("f-000") == "rejected" and ada.status("f-001") == "undecided"
    ada.accept("f-001")
    assert [e.action for e in ada_store.events("r-seam")] == ["accept", "reject", "accept"]
    ada_store.close()
    bob_store.close()


# -- migrations --------------------------------------------------------------------------------------------------
def _rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {
            "readings": conn.execute("SELECT reading_id, parent_id, pixel_sha256, base_json, review_json, read_first,"
                                     " signed, created, updated, events_head FROM readings ORDER BY reading_id").fetchall(),
            "events": conn.execute("SELECT * FROM events ORDER BY seq").fetchall(),
            "signoffs": conn.execute("SELECT * FROM signoffs ORDER BY reading_id").fetchall(),
            "signing_keys": conn.execute("SELECT * FROM signing_keys ORDER BY key_id").fetchall(),
        }
    finally:
        conn.close()


def test_a_database_made_by_the_previous_viewer_migrates_forward_without_loss(tmp_path: Path) -> None:
    """tests/fixtures/reviews-schema2.sqlite3 was written by the store before numbered migrations (schema 2)."""
    db = tmp_path / "reviews.sqlite3"
    shutil.copy(FIXTURE, db)
    before = _rows(db)
    assert len(before["events"]) == 15 and len(before["readings"]) == 4 and len(before["signing_keys"]) == 1
    with SqliteReviewStore(db) as store:
        assert store.warning is None
        assert _rows(db) == before  # every row kept as it was
        conn = store._conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST
        assert [r[0] for r in conn.execute("SELECT version FROM schema_version ORDER BY version")] == [3]
        versions = dict(conn.execute("SELECT reading_id, version FROM readings").fetchall())
        counts = dict(conn.execute("SELECT reading_id, COUNT(*) FROM events GROUP BY reading_id").fetchall())
        assert versions == counts
        signed_id = str(next(r[0] for r in before["readings"] if r[6] == 1))
        signed = ReviewSession.open(store, store.load_reading(signed_id), "Dr Ada", follow_versions=False)
        assert signed.is_signed and signed.integrity_problems == [] and "Dr Ada" in signed.signature_status
        newest = ReviewSession.open(store, store.load_reading(signed_id), "Dr Ada")  # follows to version 2
        assert newest.reading.parent_id == signed_id and newest.status("f-000") == "rejected"
        newest.accept("f-001")  # and reviewing goes on
        other = ReviewSession.open(store, store.load_reading("r-other"), "Dr Bob")
        assert other.read_first and other.review.own_impression == "Normal." and other.status("f-000") == "accepted"
        imported = ReviewSession.open(store, store.load_reading("r-imported"), "Dr Cy")  # stored as version 0 then
        assert imported.status("f-001") == "rejected"
        imported.accept("f-002")  # its version is its event count now: not refused as stale
        assert [e.action for e in store.events("r-imported")] == ["accept", "reject", "accept"]
    with SqliteReviewStore(db) as store:  # opened again: nothing more to migrate
        assert [r[0] for r in store._conn.execute("SELECT version FROM schema_version")] == [3]
        assert len(store.events(newest.reading_id)) == 3


def test_a_fresh_database_records_every_migration(tmp_path: Path) -> None:
    with SqliteReviewStore(tmp_path / "new.sqlite3") as store:
        rows = store._conn.execute("SELECT version, description FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == list(range(1, LATEST + 1)) and all(r[1] for r in rows)


def test_a_database_from_a_newer_viewer_is_refused_in_one_line_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    with SqliteReviewStore(db) as store:
        ReviewSession.open(store, _reading(), "Dr Ada").accept("f-000")
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.commit()
    conn.close()
    for opening in (lambda: SqliteReviewStore(db), lambda: open_store(str(db))):
        with pytest.raises(ReviewStoreError) as info:
            opening()
        text = str(info.value)
        assert text.startswith(f"{db}: written by a newer GazeX Viewer") and "\n" not in text
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == ["reviews.sqlite3"]
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1  # untouched
    conn.close()


# -- live refresh and claims ----------------------------------------------------------------------------------
def test_changes_since_names_the_readings_changed_elsewhere(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    with SqliteReviewStore(db) as watcher, SqliteReviewStore(db) as station:
        start = watcher.changes_since(None)
        assert start.reading_ids == ()
        assert watcher.changes_since(start.token) == Changes(start.token)  # nothing committed: the same token
        one = ReviewSession.open(station, _reading("r-one"), "Dr Ada")
        two = ReviewSession.open(station, _reading("r-two"), "Dr Bob")
        two.accept("f-000")
        one.accept("f-000")
        seen = watcher.changes_since(start.token)
        assert seen.reading_ids == ("r-two", "r-one") and seen.token != start.token
        assert watcher.changes_since(seen.token).reading_ids == ()
        one.reject("f-001")  # a write through the same store object counts too
        assert station.changes_since(seen.token).reading_ids == ("r-one",)
        assert watcher.changes_since(seen.token).reading_ids == ("r-one",)
        with pytest.raises(ReviewStoreError, match="not a change token"):
            watcher.changes_since("yesterday")


def test_claims_show_who_reads_a_study_and_free_themselves(tmp_path: Path) -> None:
    db = tmp_path / "reviews.sqlite3"
    now = [1_000_000.0]
    ada_store = SqliteReviewStore(db, claim_timeout_s=60)
    bob_store = SqliteReviewStore(db, claim_timeout_s=60)
    for s in (ada_store, bob_store):
        s.clock = lambda: now[0]  # type: ignore[method-assign]
    mine = ada_store.claim("r-1", "Dr Ada")
    assert mine.holder == "Dr Ada" and mine.describe().startswith("being read by Dr Ada since ")
    assert bob_store.claim("r-1", "Dr Bob") == mine  # someone else holds it: their claim comes back
    assert bob_store.claim_of("r-1") == mine and bob_store.claim_of("r-2") is None
    now[0] += 50
    assert ada_store.claim("r-1", "Dr Ada") == mine  # renewed, still since the first claim
    now[0] += 50
    assert bob_store.claim_of("r-1") == mine  # the renewal counts from its own time
    now[0] += 11
    assert bob_store.claim_of("r-1") is None  # timed out: the holder stopped renewing
    theirs = bob_store.claim("r-1", "Dr Bob")
    assert theirs.holder == "Dr Bob" and ada_store.claim_of("r-1") == theirs
    bob_store.release("r-1", "Dr Ada")  # only the holder's release counts
    assert ada_store.claim_of("r-1") == theirs
    bob_store.claim("r-2", "Dr Bob")
    bob_store.close()  # a closing station gives its claims back
    assert ada_store.claim_of("r-1") is None and ada_store.claim_of("r-2") is None
    with pytest.raises(ReviewStoreError, match="needs the name"):
        ada_store.claim("r-1", "  ")
    ada_store.close()
