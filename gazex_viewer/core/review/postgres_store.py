"""The department review store: the :class:`~gazex_viewer.core.review.store.ReviewStore` on a PostgreSQL server.

Opened by :func:`~gazex_viewer.core.review.store.open_store` for a ``postgresql://user@host/db`` URL (settings
or ``GAZEX_REVIEW_DB``); psycopg 3 is imported only here, so start-up with a SQLite store stays as fast.

- **Schema** by the numbered migrations of :mod:`~gazex_viewer.core.review.postgres_schema` (a newer schema is
  refused with a message); the event log is the source of truth, as in the SQLite store.
- **Durable writes**: each change is one statement, so one transaction and one round trip (the versioned
  UPDATE, the events, the sign-off, a NOTIFY), committed with ``synchronous_commit=on``: acknowledged means on
  the server's disk. ``benchmarks/bench_review.py`` measures it beside the disk's own ``fdatasync``.
- **No lost updates**: a reading's *version* is the number of events in its log; a write names the version it
  was based on (``UPDATE ... WHERE version = %s``); a stale one is refused with
  :class:`~gazex_viewer.core.review.store_errors.StaleWriteError` naming who decided what, when.
- **Connection lost mid-review**: a write that fails because the server cannot be reached raises
  :class:`~gazex_viewer.core.review.postgres_schema.ReviewStoreConnectionError`, which is retryable: the session
  keeps the decision on screen marked NOT YET SAVED and sends the kept decisions, in order and in one
  transaction, with the next change or a retry; the store reconnects on its next use. A commit whose
  acknowledgement was lost is recognised on the retry (the same events are already stored) and not written twice.
- **Live refresh**: every write NOTIFYs :data:`~gazex_viewer.core.review.postgres_schema.CHANNEL`;
  :meth:`PostgresReviewStore.wait_for_changes` waits for them on its own connection, and
  :meth:`PostgresReviewStore.changes_since` answers by the event sequence (writers take a short transaction lock
  so the sequence is committed in order and a poller never skips one).
- **Claims** (:mod:`~gazex_viewer.core.review.postgres_claims`): a session advisory lock per reading (freed when
  the holder's connection ends) plus a row saying who since when.
- **Roles and identity**: the database user is the signer identity (its display name in ``reviewers``, else the
  user name); a sign-off under another name is refused, unless the user administers the database; only the
  attending role (or the administrator) may write a countersignature, under its own name. A read-only
  user is refused on every write with a message saying so (see ``postgres_schema``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from typing import Any, Self

import psycopg

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import (
    Reading,
    Review,
    ReviewEvent,
    SignOff,
    utc_now,
)
from gazex_viewer.core.review.audit_chain import head_of
from gazex_viewer.core.review.postgres_claims import PostgresClaimsMixin
from gazex_viewer.core.review.postgres_schema import (
    CHANNEL,
    ROLE_GROUPS,
    ReviewStoreConnectionError,
    Role,
    connect_error,
    migrate,
    pg_error,
)
from gazex_viewer.core.review.signing import RegisteredKey, SigningKey
from gazex_viewer.core.review.sqlite_store import (
    _dumps,
    _loads,
    _review_state,
    _signoff,
)
from gazex_viewer.core.review.store_errors import ReviewStorePermissionError, StaleWriteError
from gazex_viewer.core.review.store_location import redacted
from gazex_viewer.core.review.store_records import (
    AuditEntry,
    Changes,
    StoredReading,
    StoredReview,
)

#: the transaction advisory lock writers hold from their first event row to their commit (ordered sequence)
LOG_LOCK = 0x6A5E0002
_EVENT_COLUMNS = "event_id, at, reviewer, action, finding_id, before_json, after_json, prev_sha256"
#: one write as one statement (autocommit: its own transaction): the versioned UPDATE (``WHERE version = ?``; the
#: version is the number of stored events), the new events in order (after the log lock, so the sequence commits
#: in order), the sign-off, and the NOTIFY; no row back when the version did not match
_RECORD = f"""
WITH batch AS (
    SELECT * FROM jsonb_to_recordset(%(events)s::jsonb) AS b(ord integer, event_id text, at text, reviewer text,
        action text, finding_id text, before_json text, after_json text, prev_sha256 text)
), fresh AS (
    SELECT * FROM batch WHERE NOT EXISTS (SELECT 1 FROM events x WHERE x.event_id = batch.event_id)
), upd AS (
    UPDATE readings SET review_json = %(review)s, signed = %(signed)s, updated = %(updated)s,
        events_head = %(head)s, version = version + (SELECT count(*) FROM fresh)
    WHERE reading_id = %(rid)s AND (%(expected)s::integer IS NULL OR version = %(expected)s::integer)
    RETURNING version
), log_lock AS (
    SELECT pg_advisory_xact_lock(%(log_lock)s::bigint) AS locked FROM upd
), ins AS (
    INSERT INTO events (reading_id, {_EVENT_COLUMNS})
    SELECT %(rid)s, {", ".join("f." + c.strip() for c in _EVENT_COLUMNS.split(","))}
    FROM fresh f CROSS JOIN log_lock ORDER BY f.ord
    ON CONFLICT (event_id) DO NOTHING RETURNING 1
), so AS (
    INSERT INTO signoffs (reading_id, reviewer, at, content_sha256, signoff_json)
    SELECT %(rid)s, %(so_reviewer)s, %(so_at)s, %(so_sha)s, %(so_json)s FROM upd WHERE %(so_json)s::text IS NOT NULL
    ON CONFLICT (reading_id) DO NOTHING RETURNING 1
)
SELECT upd.version, pg_notify(%(channel)s, %(rid)s || ' ' || upd.version),
    (SELECT count(*) FROM ins), (SELECT count(*) FROM so)
FROM upd
"""


def _event(r: tuple[Any, ...]) -> ReviewEvent:
    return ReviewEvent(id=r[0], at=r[1], reviewer=r[2], action=r[3], finding_id=r[4],
                       before=_loads(r[5]), after=_loads(r[6]), prev_sha256=r[7])


class PostgresReviewStore(PostgresClaimsMixin):
    """Reviews in a PostgreSQL database shared by a department's reading stations (see the module docstring).

    Parameters
    ----------
    url
        ``postgresql://user[:password]@host[:port]/database`` (libpq's other sources of a password, such as
        ``~/.pgpass`` or ``PGPASSWORD``, work too). Messages name it without the password.
    connect_timeout_s
        How long a connection attempt waits for the server.
    lock_timeout_s
        How long a write waits for another station's lock on the same reading.

    Raises
    ------
    ReviewStoreError
        One line naming the URL: the server down or unreachable (:class:`ReviewStoreConnectionError`), wrong
        credentials (:class:`ReviewStorePermissionError`), a schema from a newer viewer.
    """

    def __init__(self, url: str, *, connect_timeout_s: float = 5.0, lock_timeout_s: float = 5.0) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self.lock_timeout_s = lock_timeout_s
        self.warning: ReviewStoreError | None = None
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        self._listen_conn: psycopg.Connection[Any] | None = None
        self._claims: dict[str, tuple[str, str]] = {}
        self._closed = False
        self._conn = self._connect()
        try:
            self.schema_found = migrate(self._conn, self.location)
        except psycopg.Error as err:
            self._conn.close()
            raise ReviewStoreError(self.location, "the review database has no current GazeX schema and this user "
                                                  f"may not create it ({err}); ask the administrator to open it "
                                                  "once as the database owner") from err
        except BaseException:
            self._conn.close()
            raise
        self.db_user, self.role, self.identity, self.is_admin = self._who()

    # -- connection ------------------------------------------------------------------------------------------
    @property
    def location(self) -> str:
        """The server URL without its password, for messages."""
        return redacted(self.url)

    @property
    def source(self) -> str:
        return self.location

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=max(1, round(self.connect_timeout_s)),
                application_name="gazex-viewer", keepalives=1, keepalives_idle=30, keepalives_interval=10,
                keepalives_count=3,
                # set at connection start (no round trip): a lock wait has an end; a commit is on disk when it returns
                options=f"-c lock_timeout={int(self.lock_timeout_s * 1000)} -c synchronous_commit=on")
        except psycopg.Error as err:
            raise connect_error(self.location, err) from None
        return conn

    def _who(self) -> tuple[str, Role, str, bool]:
        with self._use("cannot read the review database") as conn:
            row = conn.execute(
                "SELECT session_user, r.rolsuper OR d.datdba = r.oid,"
                " pg_has_role(session_user, 'gazex_attending', 'MEMBER'),"
                " pg_has_role(session_user, 'gazex_reviewer', 'MEMBER'),"
                " (SELECT display_name FROM reviewers WHERE db_user = session_user)"
                " FROM pg_roles r, pg_database d WHERE r.rolname = session_user AND d.datname = current_database()"
            ).fetchone()
        assert row is not None
        user, admin, attending, reviewer, display = row
        role: Role = "attending" if admin or attending else "reviewer" if reviewer else "read-only"
        assert role in ROLE_GROUPS.values()
        return str(user), role, str(display or user), bool(admin)

    @contextlib.contextmanager
    def _use(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        """The connection under the store's lock (reconnecting when it was lost); psycopg errors become typed."""
        with self._lock:
            if self._closed:
                raise ReviewStoreError(self.location, f"{doing}: the review store was closed")
            if self._conn is None or self._conn.closed:
                self._reconnect()
            conn = self._conn
            assert conn is not None
            try:
                yield conn
            except psycopg.Error as err:
                if conn.closed or conn.broken:
                    self._drop()
                raise pg_error(self.location, doing, err) from err

    def _reconnect(self) -> None:
        self._conn = self._connect()
        self._reclaim()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    @contextlib.contextmanager
    def _tx(self, doing: str = "cannot write the review database") -> Iterator[psycopg.Connection[Any]]:
        """One transaction under the store's lock; a failed COMMIT is the error reported (typed)."""
        with self._use(doing) as conn, conn.transaction():
            yield conn

    def _require_write(self, doing: str) -> None:
        if self.role == "read-only":
            raise ReviewStorePermissionError(
                self.location, f"{doing}: you are signed in as {self.db_user}, who may only read reviews here "
                "(read-only role); nothing was saved. Ask the administrator for the reviewer role")

    def close(self) -> None:
        """Release the claims (the advisory locks go with the connection) and close both connections."""
        with self._lock:
            self._closed = True
            self._claims.clear()
            self._drop()
            if self._listen_conn is not None:
                with contextlib.suppress(psycopg.Error):
                    self._listen_conn.close()
                self._listen_conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresReviewStore({self.location!r}, user={getattr(self, 'db_user', '?')!r})"

    # -- readings --------------------------------------------------------------------------------------------
    def has_reading(self, reading_id: str) -> bool:
        with self._use("cannot read the review database") as conn:
            return conn.execute("SELECT 1 FROM readings WHERE reading_id = %s", (reading_id,)).fetchone() is not None

    def add_reading(self, reading: Reading, *, read_first: bool = False) -> None:
        """Register a reading (and any events its review already carries); no-op when known."""
        self._require_write("cannot register the reading")
        base = reading.to_dict()
        base["review"] = None
        review = reading.review or Review()
        now = utc_now()
        img = reading.image
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT INTO readings (reading_id, parent_id, pixel_sha256, study_uid, sop_instance_uid, file_name,"
                " base_json, review_json, read_first, signed, created, updated, events_head, version)"
                " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (reading_id) DO NOTHING",
                (reading.reading_id, reading.parent_id, img.pixel_sha256, img.study_instance_uid,
                 img.sop_instance_uid, img.file_name, json.dumps(base, ensure_ascii=False, separators=(",", ":")),
                 _review_state(review), read_first, review.signoff is not None, now, now, head_of(review.events),
                 len(review.events)))
            if cur.rowcount == 1:
                self._insert_events(conn, reading.reading_id, review.events)
                if review.signoff is not None:
                    self._insert_signoff(conn, reading.reading_id, review.signoff)

    def _insert_events(self, conn: Any, reading_id: str, events: list[ReviewEvent]) -> None:
        if not events:
            return
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK,))
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO events (reading_id, {_EVENT_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                " ON CONFLICT (event_id) DO NOTHING",
                [(reading_id, ev.id, ev.at, ev.reviewer, ev.action, ev.finding_id, _dumps(ev.before),
                  _dumps(ev.after), ev.prev_sha256) for ev in events])

    @staticmethod
    def _insert_signoff(conn: Any, reading_id: str, s: SignOff) -> None:
        conn.execute("INSERT INTO signoffs (reading_id, reviewer, at, content_sha256, signoff_json)"
                     " VALUES (%s,%s,%s,%s,%s) ON CONFLICT (reading_id) DO NOTHING",
                     (reading_id, s.reviewer, s.at, s.content_sha256, _dumps(s.to_dict())))

    def record(
        self, reading: Reading, events: ReviewEvent | list[ReviewEvent], *, expected_version: int | None = None
    ) -> int:
        """Write events and the reading's new review state in one durable transaction; the new version.

        Raises
        ------
        StaleWriteError
            The log grew since ``expected_version`` (another station decided); nothing is written.
        ReviewStoreConnectionError
            The server cannot be reached; nothing is known to be written (retryable: a retry of the same events
            after a commit whose acknowledgement was lost returns the stored version and writes nothing twice).
        ReviewStorePermissionError
            A read-only user, or a sign-off under a name other than the database user's.
        """
        batch = [events] if isinstance(events, ReviewEvent) else list(events)
        review = reading.review or Review()
        self._require_write("cannot save your change")
        if review.signoff is not None and any(e.action == "sign" for e in batch):
            self._check_signer(review.signoff.reviewer)
        if any(e.action == "countersign" for e in batch):
            self._check_countersigner(review.countersign)
        rid = reading.reading_id
        so = review.signoff if any(e.action == "sign" for e in batch) else None
        params = {
            "rid": rid, "expected": expected_version, "review": _review_state(review),
            "signed": review.signoff is not None, "updated": batch[-1].at, "head": head_of(review.events),
            "events": json.dumps([{"ord": n, "event_id": e.id, "at": e.at, "reviewer": e.reviewer, "action": e.action,
                                   "finding_id": e.finding_id, "before_json": _dumps(e.before),
                                   "after_json": _dumps(e.after), "prev_sha256": e.prev_sha256}
                                  for n, e in enumerate(batch)]),
            "so_reviewer": None if so is None else so.reviewer, "so_at": None if so is None else so.at,
            "so_sha": None if so is None else so.content_sha256,
            "so_json": None if so is None else _dumps(so.to_dict()), "log_lock": LOG_LOCK, "channel": CHANNEL,
        }
        with self._use("cannot write the review database") as conn:
            row = conn.execute(_RECORD, params).fetchone()  # one statement: one round trip, one durable commit
            if row is None:
                return self._refused(conn, rid, batch, expected_version)
        return int(row[0])

    def _refused(self, conn: Any, rid: str, batch: list[ReviewEvent], expected: int | None) -> int:
        """Why an UPDATE matched no row: an unknown reading, our own lost acknowledgement, or a stale write."""
        row = conn.execute("SELECT version FROM readings WHERE reading_id = %s", (rid,)).fetchone()
        if row is None:
            raise ReviewStoreError(self.location, f"reading {rid} is not in the review database")
        theirs = [_event(r) for r in conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE reading_id = %s ORDER BY seq OFFSET %s",
            (rid, expected or 0)).fetchall()]
        if [e.id for e in theirs] == [e.id for e in batch]:
            return int(row[0])  # committed before the connection dropped: the retry writes nothing twice
        raise StaleWriteError(self.location, rid, theirs, batch)

    def _check_signer(self, name: str) -> None:
        if self.is_admin or name == self.identity or name == self.db_user:
            return
        raise ReviewStorePermissionError(
            self.location, f"cannot sign as {name}: you are signed in to the review database as {self.db_user} "
            f"({self.identity}), and a sign-off is made under your own name only; nothing was saved")

    def _check_countersigner(self, countersign: SignOff | None) -> None:
        if self.role != "attending":
            raise ReviewStorePermissionError(
                self.location, f"cannot countersign: you are signed in to the review database as {self.db_user}, "
                f"with the {self.role} role; only an attending may countersign; nothing was saved")
        self._check_signer("" if countersign is None else countersign.reviewer)

    def events(self, reading_id: str) -> list[ReviewEvent]:
        """The events of one reading version, oldest first."""
        with self._use("cannot read the review database") as conn:
            rows = conn.execute(f"SELECT {_EVENT_COLUMNS} FROM events WHERE reading_id = %s ORDER BY seq",
                                (reading_id,)).fetchall()
        return [_event(r) for r in rows]

    def load(self, reading_id: str) -> StoredReading:
        """The stored reading with its current review and every event, its read-first flag and its version."""
        # one statement, so one snapshot: the state, its events and its version agree (and one round trip)
        with self._use("cannot read the review database") as conn:
            row = conn.execute(
                "SELECT base_json, review_json, read_first, version, coalesce((SELECT json_agg(json_build_array("
                f"{_EVENT_COLUMNS}) ORDER BY seq) FROM events e WHERE e.reading_id = r.reading_id), '[]')"
                " FROM readings r WHERE reading_id = %s", (reading_id,)).fetchone()
        if row is None:
            raise ReviewStoreError(self.location, f"no reading {reading_id} in the review database")
        try:
            reading = Reading.from_dict(json.loads(row[0]))
            reading.review = Review.from_dict(json.loads(row[1]))
        except (ValueError, KeyError, TypeError) as err:
            raise ReviewStoreError(self.location, f"stored reading {reading_id} is unreadable: {err}") from err
        reading.review.events = [_event(r) for r in row[4]]
        return StoredReading(reading, bool(row[2]), int(row[3]))

    def load_reading(self, reading_id: str) -> Reading:
        """The stored reading with its current review and every event."""
        return self.load(reading_id).reading

    def log_problems(self, reading_id: str, events: list[ReviewEvent] | None = None) -> list[str]:
        """Where the stored event log does not end where the reading's last write left it (rows removed)."""
        with self._use("cannot read the review database") as conn:
            row = conn.execute("SELECT events_head FROM readings WHERE reading_id = %s", (reading_id,)).fetchone()
        if row is None or row[0] is None:
            return []
        if events is None:
            events = self.events(reading_id)
        if head_of(events) != row[0]:
            return [(f"the event log of reading {reading_id} in the review database does not end where its last "
                     "write left it: events were removed or changed outside the viewer")]
        return []

    def signoff(self, reading_id: str) -> SignOff | None:
        """The stored sign-off of a reading version, or None."""
        with self._use("cannot read the review database") as conn:
            row = conn.execute("SELECT reviewer, at, content_sha256, signoff_json FROM signoffs"
                               " WHERE reading_id = %s", (reading_id,)).fetchone()
        return None if row is None else _signoff(*row)

    # -- versions, readings of a film, the audit ---------------------------------------------------------------
    def latest_version_id(self, reading_id: str) -> str:
        """The newest version in the chain that starts at ``reading_id`` (itself when none)."""
        current, seen = reading_id, {reading_id}
        with self._use("cannot read the review database") as conn:
            while True:
                row = conn.execute("SELECT reading_id FROM readings WHERE parent_id = %s"
                                   " ORDER BY created DESC, row_seq DESC LIMIT 1", (current,)).fetchone()
                if row is None or row[0] in seen:
                    return current
                current = row[0]
                seen.add(current)

    def versions(self, reading_id: str) -> list[str]:
        """The version chain through ``reading_id``: its ancestors, itself, then its descendants."""
        chain = [reading_id]
        with self._use("cannot read the review database") as conn:
            cur: str | None = reading_id
            while True:
                row = conn.execute("SELECT parent_id FROM readings WHERE reading_id = %s", (cur,)).fetchone()
                cur = None if row is None else row[0]
                if cur is None or cur in chain:
                    break
                chain.insert(0, cur)
            tail: list[str] = []
            cur = self.latest_version_id(reading_id)
            while cur is not None and cur != reading_id and cur not in tail:
                tail.insert(0, cur)
                row = conn.execute("SELECT parent_id FROM readings WHERE reading_id = %s", (cur,)).fetchone()
                cur = None if row is None else row[0]
        return chain + tail

    def readings_for_image(self, pixel_sha256: str) -> list[str]:
        """Ids of the stored readings of one image (by pixel hash), most recently changed first."""
        with self._use("cannot read the review database") as conn:
            rows = conn.execute("SELECT reading_id FROM readings WHERE pixel_sha256 = %s"
                                " ORDER BY updated DESC, row_seq DESC", (pixel_sha256,)).fetchall()
        return [r[0] for r in rows]

    def reviews_for_image(self, pixel_sha256: str) -> list[StoredReview]:
        """Every stored reading of one image (by pixel hash), most recently changed first."""
        with self._use("cannot read the review database") as conn:
            rows = conn.execute(
                "SELECT r.reading_id, r.parent_id, r.file_name, r.base_json, r.review_json, r.created,"
                " r.updated, s.reviewer, s.at, s.content_sha256, s.signoff_json,"
                " (SELECT c.reading_id FROM readings c WHERE c.parent_id = r.reading_id"
                "  ORDER BY c.created DESC, c.row_seq DESC LIMIT 1)"
                " FROM readings r LEFT JOIN signoffs s ON s.reading_id = r.reading_id"
                " WHERE r.pixel_sha256 = %s ORDER BY r.updated DESC, r.row_seq DESC", (pixel_sha256,)).fetchall()
        out: list[StoredReview] = []
        for rid, parent, name, base_json, review_json, created, updated, who, at, sha, so_json, child in rows:
            try:
                base, review = json.loads(base_json), json.loads(review_json)
            except ValueError as err:
                raise ReviewStoreError(self.location, f"stored reading {rid} is unreadable: {err}") from err
            producer = base.get("producer") or {}
            decisions = review.get("decisions") or []
            out.append(StoredReview(
                reading_id=rid, parent_id=parent, file_name=name,
                producer=str(producer.get("name") or producer.get("kind") or "unknown"),
                created=created, updated=updated, n_findings=len(base.get("findings") or []),
                n_decided=sum(1 for d in decisions if d.get("status") not in (None, "undecided")),
                n_added=len(review.get("additions") or []),
                has_impression=bool(review.get("impression") or review.get("own_impression")),
                signoff=None if who is None else _signoff(who, at, sha, so_json), superseded_by=child))
        return out

    def events_for_study(self, key: str) -> list[AuditEntry]:
        """Every event of every reading whose study UID *or* pixel hash is ``key``, oldest first."""
        with self._use("cannot read the review database") as conn:
            rows = conn.execute(
                "SELECT e.reading_id, r.parent_id, r.file_name, e.event_id, e.at, e.reviewer, e.action,"
                " e.finding_id, e.before_json, e.after_json, e.prev_sha256"
                " FROM events e JOIN readings r ON r.reading_id = e.reading_id"
                " WHERE r.study_uid = %s OR r.pixel_sha256 = %s ORDER BY e.seq", (key, key)).fetchall()
        return [AuditEntry(reading_id=r[0], parent_id=r[1], file_name=r[2], event=_event(r[3:])) for r in rows]

    # -- signing keys ------------------------------------------------------------------------------------------
    def register_key(self, key: SigningKey, registered_by: str) -> RegisteredKey:
        """Register a reviewer's public key; the existing entry when known (an error when it is someone else's)."""
        self._require_write("cannot register the signing key")
        at = utc_now()
        with self._tx() as conn:
            row = conn.execute("SELECT reviewer FROM signing_keys WHERE key_id = %s", (key.key_id,)).fetchone()
            if row is not None and row[0] != key.reviewer:
                raise ReviewStoreError(self.location, f"key {key.key_id[:12]}… is already registered to {row[0]}")
            conn.execute("INSERT INTO signing_keys (key_id, reviewer, public_key, registered_by, registered_at)"
                         " VALUES (%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                         (key.key_id, key.reviewer, key.public_key, registered_by.strip() or key.reviewer, at))
        found = self.registered_key(key.key_id)
        assert found is not None
        return found

    def registered_key(self, key_id: str) -> RegisteredKey | None:
        """The registered public key with this id, or None (the store is a KeyRegistry)."""
        with self._use("cannot read the review database") as conn:
            row = conn.execute("SELECT key_id, reviewer, public_key, registered_by, registered_at FROM signing_keys"
                               " WHERE key_id = %s", (key_id,)).fetchone()
        return None if row is None else RegisteredKey(*row)

    def keys_of(self, reviewer: str) -> list[RegisteredKey]:
        """The keys registered to a reviewer, oldest first."""
        with self._use("cannot read the review database") as conn:
            rows = conn.execute("SELECT key_id, reviewer, public_key, registered_by, registered_at FROM signing_keys"
                                " WHERE reviewer = %s ORDER BY registered_at, row_seq", (reviewer,)).fetchall()
        return [RegisteredKey(*r) for r in rows]

    # -- live refresh ----------------------------------------------------------------------------------------
    def changes_since(self, token: str | None) -> Changes:
        """The readings with new events since ``token`` (None: none, just the current token); one cheap query."""
        with self._use("cannot read the review database") as conn:
            if token is None:
                row = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
                return Changes(str(row[0] if row else 0))
            try:
                since = int(token)
            except ValueError:
                raise ReviewStoreError(self.location, f"not a change token of this store: {token!r}") from None
            rows = conn.execute("SELECT reading_id, max(seq) AS last FROM events WHERE seq > %s"
                                " GROUP BY reading_id ORDER BY last", (since,)).fetchall()
        return Changes(str(rows[-1][1]) if rows else str(since), tuple(r[0] for r in rows))

    def wait_for_changes(self, timeout_s: float) -> list[str]:
        """Ids of the readings other connections wrote, waiting up to ``timeout_s`` for the first NOTIFY.

        The first call starts listening (on a connection of its own); changes before it are not reported
        (use :meth:`changes_since` for those). Raises ReviewStoreConnectionError when the server is gone.
        """
        try:
            if self._listen_conn is None or self._listen_conn.closed:
                self._listen_conn = psycopg.connect(self.url, autocommit=True,
                                                    connect_timeout=max(1, round(self.connect_timeout_s)))
                self._listen_conn.execute(f"LISTEN {CHANNEL}")
            ids: list[str] = []
            for n in self._listen_conn.notifies(timeout=timeout_s, stop_after=1):
                ids.append(n.payload.split(" ", 1)[0])
            for n in self._listen_conn.notifies(timeout=0.0):  # whatever arrived with it
                ids.append(n.payload.split(" ", 1)[0])
        except psycopg.Error as err:
            if self._listen_conn is not None:
                with contextlib.suppress(psycopg.Error):
                    self._listen_conn.close()
            self._listen_conn = None
            raise ReviewStoreConnectionError(self.location, f"cannot listen for changes: {err}") from err
        return list(dict.fromkeys(ids))


__all__ = ["PostgresReviewStore", "ReviewStoreConnectionError", "ReviewStorePermissionError"]
