"""The signing keys registered in the review store: who registered each public key, and when.

:class:`StoreKeysMixin` gives :class:`~gazex_viewer.core.review.sqlite_store.ReviewStore` the
:class:`~gazex_viewer.core.review.signing.KeyRegistry` methods (table ``signing_keys``);
:func:`registered_keys` reads them without changing anything (``validate``, ``export``): from a database file,
``sqlite:///...``, or a ``postgresql://`` server (psycopg imported only then; the PostgreSQL store keeps its keys
in a table of the same name and shape).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import utc_now
from gazex_viewer.core.review.signing import (
    MemoryKeyRegistry,
    RegisteredKey,
    SigningKey,
)
from gazex_viewer.core.review.store_errors import store_error
from gazex_viewer.core.review.store_location import is_server_url, redacted, sqlite_path


class StoreKeysMixin:
    """Key registry methods over the store's connection (``_conn``, ``_lock``, ``_tx``, ``path``)."""

    path: Path
    _conn: sqlite3.Connection
    _lock: threading.RLock

    def _tx(self) -> Any:  # the store's transaction
        raise NotImplementedError

    def _read(self) -> Any:  # the store's lock around reads, errors typed
        raise NotImplementedError

    def register_key(self, key: SigningKey, registered_by: str) -> RegisteredKey:
        """Register a reviewer's public key (who registered it, and when); the existing entry when known.

        Raises ReviewStoreError when that key is already registered to someone else.
        """
        entry = RegisteredKey(key.key_id, key.reviewer, key.public_key, registered_by.strip() or key.reviewer,
                              utc_now())
        with self._tx() as c:
            row = c.execute("SELECT reviewer FROM signing_keys WHERE key_id = ?", (key.key_id,)).fetchone()
            if row is not None and row[0] != key.reviewer:
                raise ReviewStoreError(self.path, f"key {key.key_id[:12]}… is already registered to {row[0]}")
            c.execute("INSERT OR IGNORE INTO signing_keys (key_id, reviewer, public_key, registered_by, registered_at)"
                      " VALUES (?,?,?,?,?)", (entry.key_id, entry.reviewer, entry.public_key, entry.registered_by,
                                              entry.registered_at))
        found = self.registered_key(key.key_id)
        assert found is not None
        return found

    def registered_key(self, key_id: str) -> RegisteredKey | None:
        """The registered public key with this id, or None (the store is a :class:`KeyRegistry`)."""
        with self._read():
            row = self._conn.execute(
                "SELECT key_id, reviewer, public_key, registered_by, registered_at FROM signing_keys WHERE key_id = ?",
                (key_id,)).fetchone()
        return None if row is None else RegisteredKey(*row)

    def keys_of(self, reviewer: str) -> list[RegisteredKey]:
        """The keys registered to a reviewer, oldest first."""
        with self._read():
            rows = self._conn.execute(
                "SELECT key_id, reviewer, public_key, registered_by, registered_at FROM signing_keys"
                " WHERE reviewer = ? ORDER BY registered_at, rowid", (reviewer,)).fetchall()
        return [RegisteredKey(*r) for r in rows]

    @property
    def source(self) -> str:
        return str(self.path)


def registered_keys(location: str | os.PathLike[str]) -> MemoryKeyRegistry:
    """The signing keys registered in a review database, read without changing it.

    ``location`` is a file path, ``sqlite:///...`` or ``postgresql://...``. A missing file (or a database
    without the table) gives an empty registry: nothing is registered there.

    Raises
    ------
    ReviewStoreError
        The database cannot be read (for a server: not reachable, wrong credentials; named without the password).
    """
    if is_server_url(location):
        return _server_keys(os.fspath(location))
    path = sqlite_path(location)
    keys: list[RegisteredKey] = []
    if path.is_file():
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)
            try:
                rows = conn.execute("SELECT key_id, reviewer, public_key, registered_by, registered_at"
                                    " FROM signing_keys").fetchall()
            finally:
                conn.close()
            keys = [RegisteredKey(*r) for r in rows]
        except sqlite3.Error as err:
            if "no such table" not in str(err):
                raise store_error(path, "cannot read the registered signing keys", err) from err
    return MemoryKeyRegistry(keys, source=str(path))


def _server_keys(url: str) -> MemoryKeyRegistry:
    """The ``signing_keys`` of a PostgreSQL review database, on a connection of its own (no schema is created)."""
    where = redacted(url)
    try:
        import psycopg
    except ImportError as err:
        raise ReviewStoreError(where, f"reading a PostgreSQL review database needs psycopg ({err})") from None
    from gazex_viewer.core.review.postgres_schema import connect_error, pg_error

    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=5, application_name="gazex-viewer")
    except psycopg.Error as err:
        raise connect_error(where, err) from None
    try:
        with conn:
            found = conn.execute("SELECT to_regclass('signing_keys') IS NOT NULL").fetchone()
            rows = conn.execute("SELECT key_id, reviewer, public_key, registered_by, registered_at FROM signing_keys"
                                ).fetchall() if found and found[0] else []
    except psycopg.Error as err:
        raise pg_error(where, "cannot read the registered signing keys", err) from None
    return MemoryKeyRegistry([RegisteredKey(*r) for r in rows], source=where)
