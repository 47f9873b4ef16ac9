"""The PostgreSQL review store's schema: numbered migrations, the three roles, and its errors in the reviewer's words.

Migrations
----------
Like the SQLite store (``PRAGMA user_version`` and its added columns), the schema is a small
numbered list: :data:`MIGRATIONS` ``[n]`` takes a database from version ``n`` to ``n + 1``, and the
version reached is kept in ``gazex_schema``. :func:`migrate` runs the missing steps in one
transaction under a transaction-level advisory lock, so two stations opening a new database at
once do not both create it. A database at a newer version than this viewer knows is refused with a
message ("update the viewer"); nothing is changed in it.

Roles
-----
Three group roles (``NOLOGIN``; a department grants one to each login user):

- ``gazex_readonly``: reads reviews, writes nothing (a film viewer, a teaching station);
- ``gazex_reviewer``: reads and writes reviews, claims studies, signs under its own name;
- ``gazex_attending``: a reviewer who may also countersign a trainee's signed review.

A superuser, or the owner of the database, counts as an attending (the administrator).

Errors
------
:func:`connect_error` and :func:`pg_error` turn psycopg's messages into typed
:class:`~gazex_viewer.core.errors.ReviewStoreError` s that name the database by its URL *without*
the password: the server down or wrong credentials at start give one clear line; a connection that
drops mid-review is a :class:`ReviewStoreConnectionError`, which is retryable (the session keeps
the decision pending, says it is NOT YET SAVED, and sends it, in order, once the server answers).
"""

from __future__ import annotations

from typing import Any, Literal

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.review.store_errors import (
    ReviewStoreDiskFullError,
    ReviewStoreIOError,
    ReviewStoreLockedError,
    ReviewStorePermissionError,
)

#: the schema version this viewer writes (``gazex_schema.version``)
SCHEMA_VERSION = 1
#: the key of the transaction advisory lock that serialises migrations
MIGRATION_LOCK = 0x6A5E0001
#: the first key of every study-claim advisory lock (the second is ``hashtext(claim key)``)
CLAIM_LOCK_SPACE = 0x6A5E
#: the NOTIFY channel every write announces itself on (payload: ``<reading id> <version>``)
CHANNEL = "gazex_review"

Role = Literal["attending", "reviewer", "read-only"]
ROLE_GROUPS: dict[str, Role] = {"gazex_attending": "attending", "gazex_reviewer": "reviewer",
                                "gazex_readonly": "read-only"}

_ROLES = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gazex_readonly') THEN
        CREATE ROLE gazex_readonly NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gazex_reviewer') THEN
        CREATE ROLE gazex_reviewer NOLOGIN IN ROLE gazex_readonly;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gazex_attending') THEN
        CREATE ROLE gazex_attending NOLOGIN IN ROLE gazex_reviewer;
    END IF;
END
$$
"""

#: ``MIGRATIONS[n]``: the statements that take the schema from version n to n + 1
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        _ROLES,
        """CREATE TABLE readings (
            row_seq          BIGSERIAL UNIQUE,
            reading_id       TEXT PRIMARY KEY,
            parent_id        TEXT,
            pixel_sha256     TEXT NOT NULL,
            study_uid        TEXT,
            sop_instance_uid TEXT,
            file_name        TEXT,
            base_json        TEXT NOT NULL,
            review_json      TEXT NOT NULL,
            read_first       BOOLEAN NOT NULL DEFAULT FALSE,
            signed           BOOLEAN NOT NULL DEFAULT FALSE,
            created          TEXT NOT NULL,
            updated          TEXT NOT NULL,
            version          INTEGER NOT NULL DEFAULT 0,
            events_head      TEXT,
            db_user          TEXT NOT NULL DEFAULT session_user
        )""",
        "CREATE INDEX readings_pixel ON readings(pixel_sha256)",
        "CREATE INDEX readings_study ON readings(study_uid)",
        "CREATE INDEX readings_parent ON readings(parent_id)",
        """CREATE TABLE events (
            seq          BIGSERIAL PRIMARY KEY,
            event_id     TEXT NOT NULL UNIQUE,
            reading_id   TEXT NOT NULL REFERENCES readings(reading_id),
            at           TEXT NOT NULL,
            reviewer     TEXT NOT NULL,
            action       TEXT NOT NULL,
            finding_id   TEXT,
            before_json  TEXT,
            after_json   TEXT,
            prev_sha256  TEXT,
            db_user      TEXT NOT NULL DEFAULT session_user
        )""",
        "CREATE INDEX events_reading ON events(reading_id, seq)",
        """CREATE TABLE signoffs (
            reading_id     TEXT PRIMARY KEY REFERENCES readings(reading_id),
            reviewer       TEXT NOT NULL,
            at             TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            signoff_json   TEXT,
            db_user        TEXT NOT NULL DEFAULT session_user
        )""",
        """CREATE TABLE signing_keys (
            row_seq        BIGSERIAL UNIQUE,
            key_id         TEXT PRIMARY KEY,
            reviewer       TEXT NOT NULL,
            public_key     TEXT NOT NULL UNIQUE,
            registered_by  TEXT NOT NULL,
            registered_at  TEXT NOT NULL
        )""",
        # "being read by Dr X since 10:42": the row says who and since when; the advisory lock held by
        # the holder's connection says whether it still stands (it goes when that connection ends)
        """CREATE TABLE claims (
            claim_key    TEXT PRIMARY KEY,
            holder       TEXT NOT NULL,
            db_user      TEXT NOT NULL DEFAULT session_user,
            backend_pid  INTEGER NOT NULL DEFAULT pg_backend_pid(),
            since        TEXT NOT NULL
        )""",
        # the display name the signer identity is checked against (else the database user name)
        """CREATE TABLE reviewers (
            db_user       TEXT PRIMARY KEY,
            display_name  TEXT NOT NULL
        )""",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO gazex_readonly",
        "GRANT INSERT, UPDATE ON readings, events, signoffs, signing_keys TO gazex_reviewer",
        "GRANT INSERT, UPDATE, DELETE ON claims TO gazex_reviewer",
        "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO gazex_reviewer",
    ),
)
assert len(MIGRATIONS) == SCHEMA_VERSION


class ReviewStoreConnectionError(ReviewStoreIOError):
    """The review server cannot be reached (down, or the connection dropped): retryable, changes kept pending."""


def migrate(conn: Any, where: str) -> int:
    """Bring the schema to :data:`SCHEMA_VERSION` (one transaction); the version found before.

    Raises ReviewStoreError for a schema newer than this viewer's (nothing is changed).
    """
    found = _stored_version(conn, where)  # a current schema needs no rights to create anything
    if found == SCHEMA_VERSION:
        return found
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS gazex_schema (version INTEGER NOT NULL)")
        row = conn.execute("SELECT version FROM gazex_schema").fetchone()
        found = _stored_version(conn, where)
        for step in MIGRATIONS[found:]:
            for statement in step:
                conn.execute(statement)
        if row is None:
            conn.execute("INSERT INTO gazex_schema (version) VALUES (%s)", (SCHEMA_VERSION,))
        elif found != SCHEMA_VERSION:
            conn.execute("UPDATE gazex_schema SET version = %s", (SCHEMA_VERSION,))
        return found


def _stored_version(conn: Any, where: str) -> int:
    """The schema version stored (0: none yet); a newer one than this viewer's is refused."""
    exists = conn.execute("SELECT to_regclass('gazex_schema') IS NOT NULL").fetchone()
    row = conn.execute("SELECT version FROM gazex_schema").fetchone() if exists and exists[0] else None
    found = 0 if row is None else int(row[0])
    if found > SCHEMA_VERSION:
        raise ReviewStoreError(where, f"written by a newer GazeX Viewer (schema {found} > {SCHEMA_VERSION}); "
                                      "update the viewer")
    return found


def _first_line(err: BaseException) -> str:
    """psycopg's message without the "connection failed: connection to server at ... failed:" preamble."""
    lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
    text = lines[-1] if lines else type(err).__name__
    for line in lines:  # the server's own reason, when it gave one
        if "FATAL:" in line:
            text = line
            break
    if "failed:" in text:
        text = text.rsplit("failed:", 1)[1]
    return " ".join(text.replace("FATAL:", "").split())


def connect_error(where: str, err: BaseException) -> ReviewStoreError:
    """One clear line for a failed connection at start: wrong credentials, unknown database, or no server."""
    why = _first_line(err)
    low = str(err).lower()
    if "password authentication failed" in low or "no password supplied" in low:
        return ReviewStorePermissionError(where, f"cannot sign in to the review database: {why} "
                                                 "(check the user name and password)")
    if "does not exist" in low:
        return ReviewStoreError(where, f"cannot open the review database: {why}")
    return ReviewStoreConnectionError(where, f"cannot reach the review database server: {why} "
                                             "(is it running, and is the address right?)")


def pg_error(where: str, doing: str, err: BaseException) -> ReviewStoreError:
    """A typed ReviewStoreError for a psycopg error met while ``doing`` ("cannot write the review database")."""
    import psycopg
    from psycopg import errors as pge

    why = _first_line(err)
    if isinstance(err, pge.InsufficientPrivilege | pge.ReadOnlySqlTransaction):
        return ReviewStorePermissionError(where, f"{doing}: your database user may not write reviews ({why}); "
                                                 "ask the administrator for the reviewer role")
    if isinstance(err, pge.DiskFull):
        return ReviewStoreDiskFullError(where, f"{doing}: the server's disk is full ({why})")
    if isinstance(err, pge.LockNotAvailable | pge.DeadlockDetected | pge.QueryCanceled):
        return ReviewStoreLockedError(where, f"{doing}: the reading is locked by another station ({why})")
    if isinstance(err, psycopg.OperationalError | psycopg.InterfaceError):
        return ReviewStoreConnectionError(where, f"{doing}: the connection to the review server was lost ({why})")
    return ReviewStoreError(where, f"{doing}: {why}")
