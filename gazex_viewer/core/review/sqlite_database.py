"""Opening a review database file safely: WAL and durable commits, checked at open, migrated, set aside when unusable.

Durability choice
-----------------
The database runs in WAL mode with ``synchronous=FULL``. In WAL mode every commit appends to the
``-wal`` file; with ``FULL`` the WAL is also fsync'ed at each commit, so a committed decision
survives a process kill (SIGKILL, crash) *and* an operating-system crash or power loss.
``synchronous=NORMAL`` would already survive a process kill (the write has reached the OS when
``COMMIT`` returns) but may lose the last transactions on power loss; a radiologist's decision and
sign-off are clinical records, so FULL is the default: one commit costs what the disk's own flush costs
(``benchmarks/bench_review.py`` prints both). ``synchronous="NORMAL"`` can be passed for slow disks.

At open the file gets ``PRAGMA integrity_check`` (index contents included, which ``quick_check``
skips) when it is at most 64 MiB, else ``quick_check`` and the full check in a background thread; then
its schema is brought forward by :mod:`~gazex_viewer.core.review.sqlite_migrations` (a file from a newer
viewer is refused with one line naming it). Errors are typed (:mod:`~gazex_viewer.core.review.store_errors`):
disk full, read-only, locked, corrupt, changed elsewhere.

A file that is not a usable database (corrupt, or locked by another program past the busy timeout)
is never overwritten: it is renamed aside (``reviews.sqlite3.corrupt-<time>`` or
``.locked-<time>``, with its ``-wal``/``-shm`` companions), a fresh database is started, and
:attr:`SqliteDatabase.warning` holds a :class:`~gazex_viewer.core.errors.ReviewStoreError` whose
message the UI shows.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Self

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.review.sqlite_migrations import migrate
from gazex_viewer.core.review.store_errors import (
    ReviewStoreCorruptError,
    ReviewStoreLockedError,
    store_error,
)
from gazex_viewer.core.review.store_location import default_store_location, sqlite_path

#: files up to this size get a full ``PRAGMA integrity_check`` at open (index contents included);
#: larger ones a ``quick_check`` at open and the full check in a background thread
INTEGRITY_CHECK_LIMIT = 64 * 1024 * 1024


class SqliteDatabase:
    """One review database file, opened safely: WAL, durable commits, checked, migrated, set aside when unusable.

    Parameters
    ----------
    path
        The SQLite file; default: :func:`~gazex_viewer.core.review.store_location.default_store_location`. Its folder
        is created.
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
        self.path = Path(path) if path is not None else sqlite_path(default_store_location())
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

    @property
    def location(self) -> str:
        """The database file, for messages."""
        return str(self.path)

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
            migrate(conn, self.path)  # a newer file is refused; an older one brought forward in one transaction
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
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> _Transaction:
        """``with self._tx() as c:`` one write transaction under the lock, errors typed."""
        return _Transaction(self)

    @contextlib.contextmanager
    def _read(self) -> Iterator[None]:
        """The store's lock around reads; a sqlite3 error becomes a typed ReviewStoreError (never a raw one)."""
        with self._lock:
            try:
                yield
            except sqlite3.Error as err:
                raise store_error(self.path, "cannot read the review database", err) from err

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r}, synchronous={self.synchronous})"


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` under the store's lock; errors become typed ReviewStoreErrors.

    A failed COMMIT (disk full, I/O error) is rolled back when a transaction is still open, and the
    COMMIT's own error is what is raised: a failing ROLLBACK never hides it.
    """

    def __init__(self, store: SqliteDatabase) -> None:
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
