"""The review store on SQLite: readings, their event logs and sign-offs in one local file (the embedded default).

:class:`SqliteReviewStore` is the :class:`~gazex_viewer.core.review.store.ReviewStore` of one SQLite file; how the file
is opened, checked and set aside is :class:`~gazex_viewer.core.review.sqlite_database.SqliteDatabase`, its schema the
numbered list in :mod:`~gazex_viewer.core.review.sqlite_migrations`, claims and live refresh
:class:`~gazex_viewer.core.review.sqlite_live.SqliteLiveMixin`, signing keys
:class:`~gazex_viewer.core.review.store_keys.StoreKeysMixin`.

Tables
------
- ``readings``: one row per reading version: the reading without its review (``base_json``), the
  current review state without events (``review_json``), pixel hash, study UID, SOP instance UID,
  ``parent_id`` (version link), ``read_first``, ``signed``, times, ``version`` (the per-reading event sequence:
  how many events the log holds; a write names the version it was based on, ``UPDATE ... WHERE version = ?``,
  so two stations, windows or processes never overwrite each other's decision: the stale one is refused with
  :class:`~gazex_viewer.core.review.store_errors.StaleWriteError`) and ``events_head`` (the hash of the newest event).
- ``events``: every :class:`~gazex_viewer.core.reading.document.ReviewEvent` in order (who, when, action,
  finding, before and after as JSON, ``prev_sha256``: the hash chain, see :mod:`~gazex_viewer.core.review.audit_chain`).
- ``signoffs``: reviewer, time, content hash and the whole signed sign-off (``signoff_json``).
- ``signing_keys``: reviewers' Ed25519 public keys, who registered each and when.
- ``claims``: who is reading which study, since when, until when; ``schema_version``: the migrations applied.

Each change is one transaction: the event rows plus the updated review state, so the stored state
and the event log never disagree.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Literal

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import (
    Reading,
    Review,
    ReviewEvent,
    SignOff,
    utc_now,
)
from gazex_viewer.core.review.audit_chain import head_of
from gazex_viewer.core.review.sqlite_database import (
    INTEGRITY_CHECK_LIMIT,
    SqliteDatabase,
)
from gazex_viewer.core.review.sqlite_live import CLAIM_TIMEOUT_S, SqliteLiveMixin
from gazex_viewer.core.review.store_errors import StaleWriteError
from gazex_viewer.core.review.store_keys import StoreKeysMixin, registered_keys  # noqa: F401  (re-exported)
from gazex_viewer.core.review.store_location import (  # noqa: F401
    DB_ENV,
    DB_FILE_NAME,
    default_store_location,
    is_server_url,
    redacted,
    sqlite_path,
)
from gazex_viewer.core.review.store_records import (
    AuditEntry,
    StoredReading,
    StoredReview,
)

__all__ = [
    "SqliteReviewStore", "default_store_path",
    # re-exported: the key registry reader and where the database is
    "registered_keys", "DB_ENV", "DB_FILE_NAME", "default_store_location", "sqlite_path",
]


def default_store_path() -> Path:
    """The SQLite file of :func:`~gazex_viewer.core.review.store_location.default_store_location` (``$GAZEX_REVIEW_DB``
    or the platform's user data folder).

    Raises ReviewStoreError when the default review database is a server (``postgresql://``): it has no file (open
    it with :func:`~gazex_viewer.core.review.store.open_store`, read its keys with
    :func:`~gazex_viewer.core.review.integrity.key_registry`), and a file of that name must never be made.
    """
    location = default_store_location()
    if is_server_url(location):
        raise ReviewStoreError(redacted(location), "the review database is a PostgreSQL server, not a file")
    return sqlite_path(location)


def _review_state(review: Review) -> str:
    """The review without its events (they live in their own table) as compact JSON."""
    events, review.events = review.events, []
    try:
        d = review.to_dict()
    finally:
        review.events = events
    return json.dumps(d, ensure_ascii=False, separators=(",", ":"))


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


_EVENT_COLUMNS = "event_id, at, reviewer, action, finding_id, before_json, after_json, prev_sha256"


def _event(r: tuple[Any, ...]) -> ReviewEvent:
    """A ReviewEvent from the :data:`_EVENT_COLUMNS` of one row."""
    return ReviewEvent(id=r[0], at=r[1], reviewer=r[2], action=r[3], finding_id=r[4],
                       before=_loads(r[5]), after=_loads(r[6]), prev_sha256=r[7])


class SqliteReviewStore(SqliteDatabase, StoreKeysMixin, SqliteLiveMixin):
    """The local review database: the :class:`~gazex_viewer.core.review.store.ReviewStore` of one SQLite file.

    Parameters
    ----------
    path
        The SQLite file; default :func:`default_store_path`. Its folder is created.
    synchronous
        ``"FULL"`` (default: a decision survives power loss) or ``"NORMAL"`` (survives a process
        kill only). See :mod:`~gazex_viewer.core.review.sqlite_database`.
    busy_timeout_s
        How long to wait for another connection's lock before the file counts as locked.
    claim_timeout_s
        How long a claim lasts unless its holder renews it (:meth:`claim` again).

    Attributes
    ----------
    warning
        ``None``, or a :class:`ReviewStoreError` saying that the previous file was corrupt or
        locked, where it was kept, and that a fresh database was started.
    moved_aside
        Where the unusable file was moved, or ``None``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        busy_timeout_s: float = 2.0,
        integrity_check_limit: int = INTEGRITY_CHECK_LIMIT,
        claim_timeout_s: float = CLAIM_TIMEOUT_S,
    ) -> None:
        self.claim_timeout_s = claim_timeout_s
        super().__init__(path, synchronous=synchronous, busy_timeout_s=busy_timeout_s,
                         integrity_check_limit=integrity_check_limit)

    def close(self) -> None:
        """Give back the claims taken here, then close the connection (the WAL is checkpointed by SQLite)."""
        try:
            self.release_held()
        finally:
            super().close()

    # -- readings ------------------------------------------------------------------------------
    def has_reading(self, reading_id: str) -> bool:
        with self._read():
            row = self._conn.execute(
                "SELECT 1 FROM readings WHERE reading_id = ?", (reading_id,)
            ).fetchone()
        return row is not None

    def add_reading(self, reading: Reading, *, read_first: bool = False) -> None:
        """Register a reading (and any events its review already carries); no-op when known."""
        base = reading.to_dict()
        base["review"] = None
        review = reading.review or Review()
        now = utc_now()
        img = reading.image
        with self._tx() as c:
            cur = c.execute(
                "INSERT OR IGNORE INTO readings (reading_id, parent_id, pixel_sha256, study_uid,"
                " sop_instance_uid, file_name, base_json, review_json, read_first, signed, created,"
                " updated, events_head) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    reading.reading_id,
                    reading.parent_id,
                    img.pixel_sha256,
                    img.study_instance_uid,
                    img.sop_instance_uid,
                    img.file_name,
                    json.dumps(base, ensure_ascii=False, separators=(",", ":")),
                    _review_state(review),
                    int(read_first),
                    int(review.signoff is not None),
                    now,
                    now,
                    head_of(review.events),
                ),
            )
            if cur.rowcount != 1:
                return  # known already: nothing changes
            for ev in review.events:
                self._insert_event(c, reading.reading_id, ev)
            if review.signoff is not None:
                self._insert_signoff(c, reading.reading_id, review.signoff)
            c.execute("UPDATE readings SET version = (SELECT COUNT(*) FROM events WHERE reading_id = ?)"
                      " WHERE reading_id = ?", (reading.reading_id, reading.reading_id))
        self._local_writes += 1

    @staticmethod
    def _insert_event(c: sqlite3.Connection, reading_id: str, ev: ReviewEvent) -> None:
        c.execute(
            "INSERT OR IGNORE INTO events (event_id, reading_id, at, reviewer, action, finding_id,"
            " before_json, after_json, prev_sha256) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                ev.id,
                reading_id,
                ev.at,
                ev.reviewer,
                ev.action,
                ev.finding_id,
                _dumps(ev.before),
                _dumps(ev.after),
                ev.prev_sha256,
            ),
        )

    @staticmethod
    def _insert_signoff(c: sqlite3.Connection, reading_id: str, s: SignOff) -> None:
        c.execute(
            "INSERT OR IGNORE INTO signoffs (reading_id, reviewer, at, content_sha256, signoff_json)"
            " VALUES (?,?,?,?,?)",
            (reading_id, s.reviewer, s.at, s.content_sha256, _dumps(s.to_dict())),
        )

    def record(
        self, reading: Reading, events: ReviewEvent | list[ReviewEvent], *, expected_version: int | None = None
    ) -> int:
        """Write events and the reading's new review state in one durable transaction; the new version.

        With ``expected_version`` (the version a session read or last wrote: the number of stored events), the
        write only happens when the stored log still has that many events: a reading changed by another station,
        window or program is never overwritten.

        Raises
        ------
        StaleWriteError
            The reading's log grew since ``expected_version``; it names the newer events (who, what, when) and
            the refused ones. Nothing is written.
        ReviewStoreError
            When the write fails (a typed subclass for disk full, read-only, locked, corrupt); nothing
            is written.
        """
        batch = [events] if isinstance(events, ReviewEvent) else list(events)
        review = reading.review or Review()
        rid = reading.reading_id
        with self._tx() as c:
            row = c.execute("SELECT version FROM readings WHERE reading_id = ?", (rid,)).fetchone()
            if row is None:
                raise ReviewStoreError(self.path, f"reading {rid} is not in the review database")
            if expected_version is not None and int(row[0]) != expected_version:
                newer = c.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE reading_id = ? ORDER BY seq"
                                  " LIMIT -1 OFFSET ?", (rid, expected_version)).fetchall()
                raise StaleWriteError(self.path, rid, [_event(r) for r in newer], batch)
            for event in batch:
                self._insert_event(c, rid, event)
                if event.action == "sign" and review.signoff is not None:
                    self._insert_signoff(c, rid, review.signoff)
            c.execute("UPDATE readings SET review_json = ?, signed = ?, updated = ?, events_head = ?,"
                      " version = (SELECT COUNT(*) FROM events WHERE reading_id = ?) WHERE reading_id = ?",
                      (_review_state(review), int(review.signoff is not None), batch[-1].at, head_of(review.events),
                       rid, rid))
            version = c.execute("SELECT version FROM readings WHERE reading_id = ?", (rid,)).fetchone()
        self._local_writes += 1
        return int(version[0])

    def events(self, reading_id: str) -> list[ReviewEvent]:
        """The events of one reading version, oldest first."""
        with self._read():
            rows = self._conn.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events WHERE reading_id = ? ORDER BY seq", (reading_id,)).fetchall()
        return [_event(r) for r in rows]

    def load_reading(self, reading_id: str) -> Reading:
        """The stored reading with its current review and every event."""
        reading, _read_first, _version = self._load(reading_id)
        return reading

    def load(self, reading_id: str) -> StoredReading:
        """The stored reading with its current review and every event, its read-first flag and its version."""
        reading, read_first, version = self._load(reading_id)
        return StoredReading(reading, read_first, version)

    def _load(self, reading_id: str) -> tuple[Reading, bool, int]:
        with self._read():
            row = self._conn.execute(
                "SELECT base_json, review_json, read_first, version FROM readings WHERE reading_id = ?",
                (reading_id,),
            ).fetchone()
        if row is None:
            raise ReviewStoreError(self.path, f"no reading {reading_id} in the review database")
        try:
            reading = Reading.from_dict(json.loads(row[0]))
            reading.review = Review.from_dict(json.loads(row[1]))
        except (ValueError, KeyError, TypeError) as err:
            raise ReviewStoreError(self.path, f"stored reading {reading_id} is unreadable: {err}") from err
        reading.review.events = self.events(reading_id)
        return reading, bool(row[2]), int(row[3])

    def latest_version_id(self, reading_id: str) -> str:
        """The newest version in the chain that starts at ``reading_id`` (itself when none)."""
        current = reading_id
        seen = {current}
        while True:
            with self._read():
                row = self._conn.execute(
                    "SELECT reading_id FROM readings WHERE parent_id = ? ORDER BY created DESC, rowid DESC LIMIT 1",
                    (current,),
                ).fetchone()
            if row is None or row[0] in seen:
                return current
            current = row[0]
            seen.add(current)

    def versions(self, reading_id: str) -> list[str]:
        """The version chain through ``reading_id``: its ancestors, itself, then its descendants."""
        chain = [reading_id]
        cur: str | None = reading_id
        with self._read():
            while True:
                row = self._conn.execute(
                    "SELECT parent_id FROM readings WHERE reading_id = ?", (cur,)
                ).fetchone()
                cur = None if row is None else row[0]
                if cur is None or cur in chain:
                    break
                chain.insert(0, cur)
        latest = self.latest_version_id(reading_id)
        tail: list[str] = []
        cur = latest
        while cur is not None and cur != reading_id and cur not in tail:
            tail.insert(0, cur)
            with self._read():
                row = self._conn.execute(
                    "SELECT parent_id FROM readings WHERE reading_id = ?", (cur,)
                ).fetchone()
            cur = None if row is None else row[0]
        return chain + tail

    def readings_for_image(self, pixel_sha256: str) -> list[str]:
        """Ids of the stored readings of one image (by pixel hash), most recently changed first."""
        with self._read():
            rows = self._conn.execute(
                "SELECT reading_id FROM readings WHERE pixel_sha256 = ? ORDER BY updated DESC, rowid DESC",
                (pixel_sha256,),
            ).fetchall()
        return [r[0] for r in rows]

    def reviews_for_image(self, pixel_sha256: str) -> list[StoredReview]:
        """Every stored reading of one image (by pixel hash), most recently changed first."""
        with self._read():
            rows = self._conn.execute(
                "SELECT r.reading_id, r.parent_id, r.file_name, r.base_json, r.review_json, r.created,"
                " r.updated, s.reviewer, s.at, s.content_sha256, s.signoff_json,"
                " (SELECT c.reading_id FROM readings c WHERE c.parent_id = r.reading_id"
                "  ORDER BY c.created DESC, c.rowid DESC LIMIT 1)"
                " FROM readings r LEFT JOIN signoffs s ON s.reading_id = r.reading_id"
                " WHERE r.pixel_sha256 = ? ORDER BY r.updated DESC, r.rowid DESC",
                (pixel_sha256,),
            ).fetchall()
        out: list[StoredReview] = []
        for rid, parent, name, base_json, review_json, created, updated, who, at, sha, so_json, child in rows:
            try:
                base = json.loads(base_json)
                review = json.loads(review_json)
            except ValueError as err:
                raise ReviewStoreError(self.path, f"stored reading {rid} is unreadable: {err}") from err
            producer = base.get("producer") or {}
            decisions = review.get("decisions") or []
            out.append(
                StoredReview(
                    reading_id=rid,
                    parent_id=parent,
                    file_name=name,
                    producer=str(producer.get("name") or producer.get("kind") or "unknown"),
                    created=created,
                    updated=updated,
                    n_findings=len(base.get("findings") or []),
                    n_decided=sum(1 for d in decisions if d.get("status") not in (None, "undecided")),
                    n_added=len(review.get("additions") or []),
                    has_impression=bool(review.get("impression") or review.get("own_impression")),
                    signoff=None if who is None else _signoff(who, at, sha, so_json),
                    superseded_by=child,
                )
            )
        return out

    def log_problems(self, reading_id: str, events: list[ReviewEvent] | None = None) -> list[str]:
        """Where the stored event log does not end where the reading's last write left it (rows removed)."""
        with self._read():
            row = self._conn.execute("SELECT events_head FROM readings WHERE reading_id = ?", (reading_id,)).fetchone()
        if row is None or row[0] is None:  # a reading written before schema 2
            return []
        if events is None:
            events = self.events(reading_id)
        if head_of(events) != row[0]:
            return [(f"the event log of reading {reading_id} in the review database does not end where its last "
                     "write left it: events were removed or changed outside the viewer")]
        return []

    def events_for_study(self, key: str) -> list[AuditEntry]:
        """Every event of every reading whose study UID *or* pixel hash is ``key``, oldest first."""
        with self._read():
            rows = self._conn.execute(
                "SELECT e.reading_id, r.parent_id, r.file_name, e.event_id, e.at, e.reviewer,"
                " e.action, e.finding_id, e.before_json, e.after_json, e.prev_sha256"
                " FROM events e JOIN readings r ON r.reading_id = e.reading_id"
                " WHERE r.study_uid = ? OR r.pixel_sha256 = ? ORDER BY e.seq",
                (key, key),
            ).fetchall()
        return [
            AuditEntry(
                reading_id=r[0],
                parent_id=r[1],
                file_name=r[2],
                event=ReviewEvent(id=r[3], at=r[4], reviewer=r[5], action=r[6], finding_id=r[7],
                                  before=_loads(r[8]), after=_loads(r[9]), prev_sha256=r[10]),
            )
            for r in rows
        ]

    def signoff(self, reading_id: str) -> SignOff | None:
        """The stored sign-off of a reading version, or None."""
        with self._read():
            row = self._conn.execute(
                "SELECT reviewer, at, content_sha256, signoff_json FROM signoffs WHERE reading_id = ?",
                (reading_id,),
            ).fetchone()
        return None if row is None else _signoff(*row)


def _signoff(reviewer: str, at: str, sha: str, so_json: str | None) -> SignOff:
    if so_json:
        try:
            return SignOff.from_dict(json.loads(so_json))
        except (ValueError, TypeError):
            pass
    return SignOff(reviewer=reviewer, at=at, content_sha256=sha)
