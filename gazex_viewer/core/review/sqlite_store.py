"""Durable local storage of reviews: one SQLite file, every decision written at once.

Durability choice
-----------------
The database runs in WAL mode with ``synchronous=FULL``. In WAL mode every commit appends to the
``-wal`` file; with ``FULL`` the WAL is also fsync'ed at each commit, so a committed decision
survives a process kill (SIGKILL, crash) *and* an operating-system crash or power loss.
``synchronous=NORMAL`` would already survive a process kill (the write has reached the OS when
``COMMIT`` returns) but may lose the last transactions on power loss; a radiologist's decision and
sign-off are clinical records, and measured here FULL costs about 0.3 ms per commit, well inside the
5 ms budget for one decision (``benchmarks/bench_review.py``). ``synchronous="NORMAL"`` can be passed
for slow disks.

Schema (``PRAGMA user_version`` = 2; a version-1 file gets the new columns at open)
-----------------------------------------------------------------------------------
- ``readings``: one row per reading version: the reading without its review (``base_json``), the
  current review state without events (``review_json``), pixel hash, study UID, SOP instance UID,
  ``parent_id`` (version link), ``read_first``, ``signed``, times, ``version`` (incremented by every
  write; a write names the version it read: ``UPDATE ... WHERE version = ?``, so two windows or
  processes cannot overwrite each other) and ``events_head`` (the hash of the newest event).
- ``events``: every :class:`~gazex_viewer.core.reading.document.ReviewEvent` in order (who, when, action,
  finding, before and after as JSON, ``prev_sha256``: the hash chain, see :mod:`core.audit_chain`).
- ``signoffs``: reviewer, time, content hash and the whole signed sign-off (``signoff_json``).
- ``signing_keys``: reviewers' Ed25519 public keys, who registered each and when (:mod:`core.store_keys`).

At open the file gets ``PRAGMA integrity_check`` (index contents included, which ``quick_check``
skips) when it is at most 64 MiB, else ``quick_check`` and the full check in a background thread.
Errors are typed (:mod:`core.store_errors`): disk full, read-only, locked, corrupt, changed elsewhere.

Each change is one transaction: the event row plus the updated review state, so the stored state
and the event log never disagree.

A file that is not a usable database (corrupt, or locked by another program past the busy timeout)
is never overwritten: it is renamed aside (``reviews.sqlite3.corrupt-<time>`` or
``.locked-<time>``, with its ``-wal``/``-shm`` companions), a fresh database is started, and
:attr:`ReviewStore.warning` holds a :class:`~gazex_viewer.core.errors.ReviewStoreError` whose
message the UI shows.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
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
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.store_errors import (
    ReviewStoreConflictError,
    ReviewStoreCorruptError,
    ReviewStoreLockedError,
    store_error,
)
from gazex_viewer.core.review.store_keys import StoreKeysMixin, registered_keys  # noqa: F401  (re-exported)

SCHEMA_USER_VERSION = 2
DB_FILE_NAME = "reviews.sqlite3"
#: environment variable naming the review database (tests, a second workstation profile)
DB_ENV = "GAZEX_REVIEW_DB"
#: files up to this size get a full ``PRAGMA integrity_check`` at open (index contents included);
#: larger ones a ``quick_check`` at open and the full check in a background thread
INTEGRITY_CHECK_LIMIT = 64 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS readings (
    reading_id      TEXT PRIMARY KEY,
    parent_id       TEXT,
    pixel_sha256    TEXT NOT NULL,
    study_uid       TEXT,
    sop_instance_uid TEXT,
    file_name       TEXT,
    base_json       TEXT NOT NULL,
    review_json     TEXT NOT NULL,
    read_first      INTEGER NOT NULL DEFAULT 0,
    signed          INTEGER NOT NULL DEFAULT 0,
    created         TEXT NOT NULL,
    updated         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS readings_pixel ON readings(pixel_sha256);
CREATE INDEX IF NOT EXISTS readings_study ON readings(study_uid);
CREATE INDEX IF NOT EXISTS readings_parent ON readings(parent_id);
CREATE TABLE IF NOT EXISTS events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL UNIQUE,
    reading_id  TEXT NOT NULL REFERENCES readings(reading_id),
    at          TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    action      TEXT NOT NULL,
    finding_id  TEXT,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX IF NOT EXISTS events_reading ON events(reading_id, seq);
CREATE TABLE IF NOT EXISTS signoffs (
    reading_id      TEXT PRIMARY KEY REFERENCES readings(reading_id),
    reviewer        TEXT NOT NULL,
    at              TEXT NOT NULL,
    content_sha256  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signing_keys (
    key_id          TEXT PRIMARY KEY,
    reviewer        TEXT NOT NULL,
    public_key      TEXT NOT NULL UNIQUE,
    registered_by   TEXT NOT NULL,
    registered_at   TEXT NOT NULL
);
"""

#: columns added by schema 2 (hash-chained events, versioned writes, signatures), added to a schema-1 file
_ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("readings", "version", "INTEGER NOT NULL DEFAULT 0"),
    ("readings", "events_head", "TEXT"),
    ("events", "prev_sha256", "TEXT"),
    ("signoffs", "signoff_json", "TEXT"),
)


def default_store_path() -> Path:
    """``$GAZEX_REVIEW_DB`` when set, else ``platformdirs.user_data_dir("gazex-viewer") / "reviews.sqlite3"``."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("gazex-viewer", appauthor=False)) / DB_FILE_NAME


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit view: which reading (version) and the event."""

    reading_id: str
    parent_id: str | None
    file_name: str | None
    event: ReviewEvent


@dataclass(frozen=True)
class StoredReview:
    """One stored reading of a film, summarised for "Review > Stored reviews of this film…"."""

    reading_id: str
    parent_id: str | None
    file_name: str | None
    producer: str
    created: str
    updated: str
    n_findings: int
    n_decided: int
    n_added: int
    has_impression: bool
    signoff: SignOff | None
    #: the id of a newer version of this reading, or None
    superseded_by: str | None = None

    @property
    def has_work(self) -> bool:
        """True when the radiologist did something on it: a decision, an addition, an impression, a sign-off."""
        return bool(self.n_decided or self.n_added or self.has_impression or self.signoff is not None)

    def describe(self) -> str:
        """One line in the radiologist's words: state, counts, producer, last change."""
        if self.signoff is not None:
            from gazex_viewer.core.reading.report_display import local_time_text

            state = f"signed by {self.signoff.reviewer} at {local_time_text(self.signoff.at)}"
        elif self.has_work:
            state = f"in progress: {self.n_decided} of {self.n_findings} AI finding(s) decided"
        else:
            state = f"not started: {self.n_findings} AI finding(s) undecided"
        extra = f", {self.n_added} added" if self.n_added else ""
        newer = f"; superseded by version {self.superseded_by}" if self.superseded_by else ""
        return f"{state}{extra} — {self.producer}, last change {self.updated}{newer}"


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


class ReviewStore(StoreKeysMixin):
    """The local review database.

    Parameters
    ----------
    path
        The SQLite file; default :func:`default_store_path`. Its folder is created.
    synchronous
        ``"FULL"`` (default: a decision survives power loss) or ``"NORMAL"`` (survives a process
        kill only). See the module docstring.
    busy_timeout_s
        How long to wait for another connection's lock before the file counts as locked.

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
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        self.path = Path(path) if path is not None else default_store_path()
        self.synchronous = synchronous
        self.busy_timeout_s = busy_timeout_s
        self.integrity_check_limit = integrity_check_limit
        self.warning: ReviewStoreError | None = None
        self.moved_aside: Path | None = None
        #: the background ``integrity_check`` of a large file (None when it ran at open)
        self.integrity_thread: threading.Thread | None = None
        self._lock = threading.RLock()
        self._deferred_check = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ReviewStoreError(self.path, f"cannot create the database folder: {err}") from err
        try:
            self._conn = self._connect()
        except sqlite3.DatabaseError as err:
            kind = _classify(err)
            if kind is None:
                raise store_error(self.path, "cannot open the review database", err) from err
            aside = self._move_aside(kind)
            self.moved_aside = aside
            cls = ReviewStoreCorruptError if kind == "corrupt" else ReviewStoreLockedError
            self.warning = cls(
                self.path,
                f"the review database was {kind} ({err}); it was kept as {aside.name} "
                "and a new, empty database was started",
            )
            try:
                self._conn = self._connect()
            except sqlite3.DatabaseError as err2:
                raise store_error(self.path, "cannot start a new review database", err2) from err2
        if self._deferred_check:
            self.integrity_thread = threading.Thread(
                target=self._background_integrity_check, name="review-store-integrity", daemon=True)
            self.integrity_thread.start()

    # -- connection ----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
        )
        try:
            marker = Path(str(self.path) + ".damaged")
            if marker.exists():
                raise sqlite3.DatabaseError("database disk image is malformed (a background integrity_check "
                                            f"found damage: {marker.read_text(encoding='utf-8', errors='replace')[:200].strip()})")
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise sqlite3.OperationalError(f"database is locked (journal mode stays {mode})")
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            # integrity_check reads every index entry (quick_check does not: a damaged index can hide rows)
            try:
                size = self.path.stat().st_size
            except OSError:
                size = 0
            self._deferred_check = size > self.integrity_check_limit
            pragma = "quick_check" if self._deferred_check else "integrity_check"
            rows = conn.execute(f"PRAGMA {pragma}(20)").fetchall()
            if [r[0] for r in rows] != ["ok"]:
                detail = "; ".join(str(r[0]) for r in rows[:3])
                raise sqlite3.DatabaseError(f"database disk image is malformed ({pragma}: {detail[:300]})")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_USER_VERSION:
                conn.close()
                raise ReviewStoreError(
                    self.path,
                    f"written by a newer GazeX Viewer (schema {version} > {SCHEMA_USER_VERSION}); "
                    "update the viewer",
                )
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _split(_SCHEMA):
                    conn.execute(statement)
                for table, column, decl in _ADDED_COLUMNS:
                    have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
                    if column not in have:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_USER_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                _rollback(conn)
                raise
        except BaseException:
            conn.close()
            raise
        return conn

    def _background_integrity_check(self) -> None:
        """The full check of a large file, on its own read-only connection; a failure becomes :attr:`warning`."""
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=self.busy_timeout_s)
            try:
                rows = conn.execute("PRAGMA integrity_check(20)").fetchall()
            finally:
                conn.close()
        except sqlite3.Error as err:
            rows = [(f"cannot run the check: {err}",)]
        if [r[0] for r in rows] != ["ok"]:
            detail = "; ".join(str(r[0]) for r in rows[:3])[:300]
            self.warning = ReviewStoreCorruptError(
                self.path,
                f"the review database is damaged (integrity_check: {detail}); stored reviews may be incomplete. "
                "Close the viewer: the file will be kept aside and a new database started at the next start",
            )
            try:  # the next open moves it aside even if the damage is in a part the quick check skips
                Path(str(self.path) + ".damaged").write_text(detail + "\n", encoding="utf-8")
            except OSError:
                pass

    def _move_aside(self, kind: str) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        tag = "corrupt" if kind == "corrupt" else "locked"
        n = 0
        while True:
            suffix = f".{tag}-{stamp}" + (f"-{n}" if n else "")
            aside = self.path.with_name(self.path.name + suffix)
            companions = [Path(str(aside) + ext) for ext in ("-wal", "-shm")]
            if not aside.exists() and not any(c.exists() for c in companions):
                break
            n += 1
        try:
            os.rename(self.path, aside)
            marker = Path(str(self.path) + ".damaged")
            if marker.exists():
                os.rename(marker, Path(str(aside) + ".damaged"))
            for ext in ("-wal", "-shm"):
                src = Path(str(self.path) + ext)
                if src.exists():
                    os.rename(src, Path(str(aside) + ext))
        except OSError as err:
            raise ReviewStoreError(
                self.path, f"the review database is {kind} and could not be moved aside: {err}"
            ) from err
        return aside

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> _Transaction:
        return _Transaction(self)

    @contextlib.contextmanager
    def _read(self) -> Iterator[None]:
        """The store's lock around reads; a sqlite3 error becomes a typed ReviewStoreError (never a raw one)."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as err:
                raise store_error(self.path, "cannot read the review database", err) from err

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
            c.execute(
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
            for ev in review.events:
                self._insert_event(c, reading.reading_id, ev)
            if review.signoff is not None:
                self._insert_signoff(c, reading.reading_id, review.signoff)

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

        With ``expected_version`` (what a session read or last wrote), the write only happens when
        the stored row still has that version (``UPDATE ... WHERE version = ?``): a reading changed
        by another window or program is never overwritten.

        Raises
        ------
        ReviewStoreConflictError
            The reading was changed elsewhere since ``expected_version``; nothing is written.
        ReviewStoreError
            When the write fails (a typed subclass for disk full, read-only, locked, corrupt); nothing
            is written.
        """
        batch = [events] if isinstance(events, ReviewEvent) else list(events)
        review = reading.review or Review()
        with self._tx() as c:
            sql = ("UPDATE readings SET review_json = ?, signed = ?, updated = ?, events_head = ?,"
                   " version = version + 1 WHERE reading_id = ?")
            params: tuple[Any, ...] = (_review_state(review), int(review.signoff is not None), batch[-1].at,
                                       head_of(review.events), reading.reading_id)
            if expected_version is not None:
                sql += " AND version = ?"
                params += (expected_version,)
            cur = c.execute(sql, params)
            if cur.rowcount != 1:
                row = c.execute("SELECT version FROM readings WHERE reading_id = ?", (reading.reading_id,)).fetchone()
                if row is None:
                    raise ReviewStoreError(self.path, f"reading {reading.reading_id} is not in the review database")
                raise ReviewStoreConflictError(
                    self.path,
                    f"reading {reading.reading_id} was changed elsewhere (another window or program) since it was "
                    "opened here; your last change was not saved: close it and open the reading again",
                )
            for event in batch:
                self._insert_event(c, reading.reading_id, event)
                if event.action == "sign" and review.signoff is not None:
                    self._insert_signoff(c, reading.reading_id, review.signoff)
            version = c.execute("SELECT version FROM readings WHERE reading_id = ?", (reading.reading_id,)).fetchone()
        return int(version[0])

    def events(self, reading_id: str) -> list[ReviewEvent]:
        """The events of one reading version, oldest first."""
        with self._read():
            rows = self._conn.execute(
                "SELECT event_id, at, reviewer, action, finding_id, before_json, after_json, prev_sha256"
                " FROM events WHERE reading_id = ? ORDER BY seq",
                (reading_id,),
            ).fetchall()
        return [
            ReviewEvent(id=r[0], at=r[1], reviewer=r[2], action=r[3], finding_id=r[4],
                        before=_loads(r[5]), after=_loads(r[6]), prev_sha256=r[7])
            for r in rows
        ]

    def load_reading(self, reading_id: str) -> Reading:
        """The stored reading with its current review and every event."""
        reading, _read_first, _version = self._load(reading_id)
        return reading

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

    def open_session(
        self,
        reading: Reading,
        reviewer: str,
        *,
        read_first: bool = False,
        follow_versions: bool = True,
    ) -> ReviewSession:
        """A review session for this reading, resuming where its stored review stood.

        A reading not yet stored is registered (with ``read_first``). A stored one is loaded from
        the database (the stored state wins over the passed-in review), following the version
        links to its newest version unless ``follow_versions`` is False (a version the user
        picked); ``read_first`` then keeps the stored setting.
        """
        with self._read():
            if not self.has_reading(reading.reading_id):
                self.add_reading(reading, read_first=read_first)
                latest = reading.reading_id
            elif follow_versions:
                latest = self.latest_version_id(reading.reading_id)
            else:
                latest = reading.reading_id
            stored, stored_read_first, version = self._load(latest)
            return ReviewSession(stored, reviewer, store=self, read_first=stored_read_first, store_version=version,
                                 store_problems=self.log_problems(latest, stored.review.events if stored.review else []))

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

    def __repr__(self) -> str:
        return f"ReviewStore({str(self.path)!r}, synchronous={self.synchronous})"


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` under the store's lock; errors become typed ReviewStoreErrors.

    A failed COMMIT (disk full, I/O error) is rolled back when a transaction is still open, and the
    COMMIT's own error is what is raised: a failing ROLLBACK never hides it.
    """

    def __init__(self, store: ReviewStore) -> None:
        self._store = store

    def __enter__(self) -> sqlite3.Connection:
        self._store._lock.acquire()
        try:
            self._store._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            self._store._lock.release()
            raise store_error(self._store.path, "cannot write the review database", err) from err
        return self._store._conn

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        conn = self._store._conn
        try:
            if exc_type is None:
                try:
                    conn.execute("COMMIT")
                except sqlite3.Error as err:
                    _rollback(conn)
                    raise store_error(self._store.path, "cannot write the review database", err) from err
            else:
                _rollback(conn)
                if isinstance(exc, sqlite3.Error):
                    raise store_error(self._store.path, "cannot write the review database", exc) from exc
        finally:
            self._store._lock.release()


def _rollback(conn: sqlite3.Connection) -> None:
    """Roll back when a transaction is open; never raises (the error that led here is the one to report)."""
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass


def _signoff(reviewer: str, at: str, sha: str, so_json: str | None) -> SignOff:
    if so_json:
        try:
            return SignOff.from_dict(json.loads(so_json))
        except (ValueError, TypeError):
            pass
    return SignOff(reviewer=reviewer, at=at, content_sha256=sha)


def _split(script: str) -> Iterator[str]:
    for stmt in script.split(";"):
        if stmt.strip():
            yield stmt


def _classify(err: sqlite3.DatabaseError) -> str | None:
    """"corrupt", "locked", or None for errors that moving the file would not fix."""
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        return "locked"
    if (
        "not a database" in text
        or "malformed" in text
        or "corrupt" in text
        or "file is encrypted" in text
        or not isinstance(err, sqlite3.OperationalError)
    ):
        return "corrupt"
    return None
