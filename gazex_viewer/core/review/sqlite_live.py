"""Live refresh and study claims on the SQLite review store.

:class:`SqliteLiveMixin` gives :class:`~gazex_viewer.core.review.sqlite_store.SqliteReviewStore` the seam's
:meth:`changes_since` (``PRAGMA data_version`` says whether another connection committed since the last poll, so an
idle poll reads no table; the token is the event sequence, ``events.seq``) and claims (table ``claims``): a claim
lasts ``claim_timeout_s`` unless its holder renews it by claiming again; :meth:`release_held` gives back those taken
through this store object (at close). SQLite has no connection-bound locks another process could see, so a
holder that died frees its claims by the timeout.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.review.store_records import Changes, Claim

#: how long a claim lasts unless renewed (the reading station renews it while the study is open)
CLAIM_TIMEOUT_S = 600.0


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


class SqliteLiveMixin:
    """Changes since a token, and claims, over the store's connection (``_conn``, ``_lock``, ``_tx``, ``_read``)."""

    path: Path
    _conn: sqlite3.Connection
    _lock: threading.RLock
    claim_timeout_s: float = CLAIM_TIMEOUT_S
    #: the clock claims are timed by (seconds since the epoch); tests replace it
    clock: Callable[[], float] = staticmethod(time.time)
    #: writes through this connection (``data_version`` does not count them)
    _local_writes: int = 0
    _poll_cache: tuple[int, int, str] | None = None
    _held: frozenset[tuple[str, str]] = frozenset()

    def _tx(self) -> Any:  # the store's transaction
        raise NotImplementedError

    def _read(self) -> Any:  # the store's lock around reads, errors typed
        raise NotImplementedError

    # -- live refresh --------------------------------------------------------------------------------------
    def changes_since(self, token: str | None) -> Changes:
        """The readings with events newer than ``token`` (None: none, and the current token), oldest change first."""
        since = None if token is None else _parse_token(self.path, token)
        with self._read():
            data_version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            cache = self._poll_cache
            if token is not None and cache is not None and cache == (data_version, self._local_writes, token):
                return Changes(token)  # nobody committed since the last poll: no table read
            row = self._conn.execute("SELECT MAX(seq) FROM events").fetchone()
            newest = int(row[0] or 0)
            ids: list[str] = []
            if since is not None and newest > since:
                rows = self._conn.execute(
                    "SELECT reading_id, MAX(seq) AS last FROM events WHERE seq > ? GROUP BY reading_id ORDER BY last",
                    (since,)).fetchall()
                ids = [r[0] for r in rows]
        now = str(newest)
        self._poll_cache = (data_version, self._local_writes, now)
        return Changes(now, tuple(ids))

    # -- claims --------------------------------------------------------------------------------------------
    def claim(self, reading_id: str, holder: str) -> Claim:
        """Claim a reading for ``holder``, or renew their claim; the claim in force (theirs when another holds it)."""
        who = holder.strip()
        if not who:
            raise ReviewStoreError(self.path, "a claim needs the name of who is reading")
        now = self.clock()
        with self._tx() as c:
            row = c.execute("SELECT holder, since, expires FROM claims WHERE reading_id = ?", (reading_id,)).fetchone()
            live = row is not None and float(row[2]) > now
            if live and row[0] != who:
                return Claim(reading_id, row[0], row[1])
            since = row[1] if live else _iso(now)
            c.execute("INSERT OR REPLACE INTO claims (reading_id, holder, since, expires) VALUES (?,?,?,?)",
                      (reading_id, who, since, now + self.claim_timeout_s))
        self._held = self._held | {(reading_id, who)}
        return Claim(reading_id, who, since)

    def release(self, reading_id: str, holder: str) -> None:
        """Give up ``holder``'s claim on a reading (nothing when they hold none)."""
        with self._tx() as c:
            c.execute("DELETE FROM claims WHERE reading_id = ? AND holder = ?", (reading_id, holder.strip()))
        self._held = self._held - {(reading_id, holder.strip())}

    def claim_of(self, reading_id: str) -> Claim | None:
        """Who holds a reading now, or None (a claim past its timeout is gone)."""
        with self._read():
            row = self._conn.execute("SELECT holder, since FROM claims WHERE reading_id = ? AND expires > ?",
                                     (reading_id, self.clock())).fetchone()
        return None if row is None else Claim(reading_id, row[0], row[1])

    def release_held(self) -> None:
        """Give back every claim taken through this store object (at close; a failure leaves them to time out)."""
        for reading_id, holder in sorted(self._held):
            try:
                self.release(reading_id, holder)
            except ReviewStoreError:
                pass


def _parse_token(path: Path, token: str) -> int:
    try:
        value = int(token)
    except ValueError:
        raise ReviewStoreError(path, f"not a change token of this review database: {token!r}") from None
    if value < 0:
        raise ReviewStoreError(path, f"not a change token of this review database: {token!r}")
    return value
