"""The review database's schema on SQLite, as a short numbered list of migrations.

Each :class:`Migration` moves the schema one version forward; :func:`migrate` applies, in one transaction at open,
those the file has not had (in order, each once), records each in the ``schema_version`` table (version, what it did, when) and mirrors
the newest number in ``PRAGMA user_version`` (which viewers before the table read: they refuse a newer file). A file
written by a newer viewer is refused with one line naming it. Every step is idempotent (``IF NOT EXISTS``, a column
added only when missing), so a file whose number lags its tables is brought forward without loss.

1. readings, events, sign-offs (the first schema);
2. hash-chained events (``events.prev_sha256``), versioned writes (``readings.version``, ``events_head``), signed
   sign-offs (``signoffs.signoff_json``), registered signing keys (``signing_keys``);
3. ``readings.version`` becomes the per-reading event sequence (the number of stored events: what a write names
   as the version it was based on), ``claims`` (who is reading a study, until when), ``schema_version``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import utc_now


@dataclass(frozen=True)
class Migration:
    """One step forward: the schema version it makes, what it does, and how."""

    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


def _add_column(conn: sqlite3.Connection, table: str, column: str, decl: str) -> None:
    have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    if column not in have:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")


def _v1(conn: sqlite3.Connection) -> None:
    for statement in (
        """CREATE TABLE IF NOT EXISTS readings (
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
            updated         TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS readings_pixel ON readings(pixel_sha256)",
        "CREATE INDEX IF NOT EXISTS readings_study ON readings(study_uid)",
        "CREATE INDEX IF NOT EXISTS readings_parent ON readings(parent_id)",
        """CREATE TABLE IF NOT EXISTS events (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id    TEXT NOT NULL UNIQUE,
            reading_id  TEXT NOT NULL REFERENCES readings(reading_id),
            at          TEXT NOT NULL,
            reviewer    TEXT NOT NULL,
            action      TEXT NOT NULL,
            finding_id  TEXT,
            before_json TEXT,
            after_json  TEXT)""",
        "CREATE INDEX IF NOT EXISTS events_reading ON events(reading_id, seq)",
        """CREATE TABLE IF NOT EXISTS signoffs (
            reading_id      TEXT PRIMARY KEY REFERENCES readings(reading_id),
            reviewer        TEXT NOT NULL,
            at              TEXT NOT NULL,
            content_sha256  TEXT NOT NULL)""",
    ):
        conn.execute(statement)


def _v2(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS signing_keys (
            key_id          TEXT PRIMARY KEY,
            reviewer        TEXT NOT NULL,
            public_key      TEXT NOT NULL UNIQUE,
            registered_by   TEXT NOT NULL,
            registered_at   TEXT NOT NULL)""")
    _add_column(conn, "readings", "version", "INTEGER NOT NULL DEFAULT 0")
    _add_column(conn, "readings", "events_head", "TEXT")
    _add_column(conn, "events", "prev_sha256", "TEXT")
    _add_column(conn, "signoffs", "signoff_json", "TEXT")


def _v3(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE readings SET version = (SELECT COUNT(*) FROM events e WHERE e.reading_id = readings.reading_id)")
    conn.execute(
        """CREATE TABLE IF NOT EXISTS claims (
            reading_id  TEXT PRIMARY KEY,
            holder      TEXT NOT NULL,
            since       TEXT NOT NULL,
            expires     REAL NOT NULL)""")


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "readings, events and sign-offs", _v1),
    Migration(2, "hash-chained events, versioned writes, signed sign-offs, registered signing keys", _v2),
    Migration(3, "version = per-reading event sequence; study claims; schema_version table", _v3),
)
#: the schema this viewer writes
LATEST = MIGRATIONS[-1].version

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  TEXT NOT NULL)"""


def schema_versions(conn: sqlite3.Connection) -> tuple[int, int]:
    """The file's schema as (lowest, highest) of ``PRAGMA user_version`` and the newest ``schema_version`` row.

    Files from before the table have only ``user_version``. The two agree unless something outside the viewer
    changed one: the highest decides whether a newer viewer wrote it, the lowest where migrating starts (every step
    is idempotent, so doing one again loses nothing).
    """
    user_version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone() is not None
    if not has_table:
        return user_version, user_version
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    recorded = int(row[0] or 0)
    return min(user_version, recorded), max(user_version, recorded)


def refuse_newer(conn: sqlite3.Connection, path: Path) -> int:
    """Where migrating starts (see :func:`schema_versions`); a :class:`ReviewStoreError` naming the file when a newer
    viewer wrote it."""
    lowest, highest = schema_versions(conn)
    if highest > LATEST:
        raise ReviewStoreError(
            path, f"written by a newer GazeX Viewer (review database schema {highest}; this viewer knows up to "
            f"{LATEST}): update the viewer to open it")
    return lowest


def migrate(conn: sqlite3.Connection, path: Path) -> list[int]:
    """Bring the file to :data:`LATEST` in one transaction (``conn`` in autocommit mode); the versions applied.

    The write lock is taken even when the file is up to date (as before migrations were numbered): a file
    another program keeps locked is found at open. Raises :class:`ReviewStoreError` for a newer file.
    """
    refuse_newer(conn, path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = refuse_newer(conn, path)  # again under the write lock: another process may have migrated it
        applied: list[int] = []
        if current < LATEST:
            conn.execute(_VERSION_TABLE)
            for step in MIGRATIONS:
                if step.version > current:
                    step.apply(conn)
                    conn.execute("INSERT OR REPLACE INTO schema_version (version, description, applied_at)"
                                 " VALUES (?,?,?)", (step.version, step.description, utc_now()))
                    applied.append(step.version)
            conn.execute(f"PRAGMA user_version = {LATEST}")
        conn.execute("COMMIT")
    except BaseException:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # the error that led here is the one to report
        raise
    return applied
