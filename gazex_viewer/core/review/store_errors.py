"""Typed review-store errors: what went wrong, in the reviewer's words, never a raw sqlite3 message alone.

Each is a :class:`~gazex_viewer.core.errors.ReviewStoreError`. :class:`StaleWriteError` is a write based on an
older version of a reading (someone else decided since); it says who decided what and when. :func:`store_error` turns a
``sqlite3.Error`` into the right one by its SQLite result code. Disk full, read-only and locked
are *retryable*: a review session keeps a decision that could not be written pending in memory and
writes it with the next change or :meth:`~gazex_viewer.core.review.session.ReviewSession.retry_pending`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import ReviewEvent

# SQLite primary result codes (https://sqlite.org/rescode.html)
SQLITE_PERM = 3
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class ReviewStoreDiskFullError(ReviewStoreError):
    """The disk (or the database's size limit) is full."""


class ReviewStoreReadOnlyError(ReviewStoreError):
    """The database file or its folder cannot be written."""


class ReviewStoreLockedError(ReviewStoreError):
    """Another program holds the database past the busy timeout."""


class ReviewStoreIOError(ReviewStoreError):
    """The operating system reported an I/O error on the database."""


class ReviewStoreCorruptError(ReviewStoreError):
    """The database file is damaged (or is not a database)."""


class ReviewStoreConflictError(ReviewStoreError):
    """The reading was changed elsewhere (another window or program) since this session loaded it."""


class StaleWriteError(ReviewStoreConflictError):
    """A write based on an older version of a reading: someone else decided since; nothing was written.

    ``theirs`` are the events stored since the version the write was based on (who decided what, when);
    ``mine`` the events that were refused. The message names both in the reviewer's words.
    """

    def __init__(self, path: str | os.PathLike[str] | None, reading_id: str, theirs: Sequence[ReviewEvent],
                 mine: Sequence[ReviewEvent] = ()) -> None:
        self.reading_id = reading_id
        self.theirs = list(theirs)
        self.mine = list(mine)
        shown = "; ".join(describe_event(e) for e in self.theirs[-3:])
        more = f" (and {len(self.theirs) - 3} earlier change(s))" if len(self.theirs) > 3 else ""
        who = shown + more if shown else "someone changed it"
        refused = ", ".join(_what(e) for e in self.mine) or "your change"
        super().__init__(
            path,
            f"reading {reading_id} was changed elsewhere since you opened it: {who}. Your change ({refused}) was "
            "NOT saved; the review now shows the other decision: redo yours if it still applies",
        )


class ReviewStorePermissionError(ReviewStoreError):
    """The user may not do this (a read-only role or session writing, signing under another name): not retried."""


class ClaimedError(ReviewStoreError):
    """A reading claimed by someone else (being read at another station)."""


_VERBS = {"accept": "accepted", "reject": "rejected", "edit": "edited", "reset": "reset", "add": "added",
          "remove": "removed", "impression": "set the impression", "own_impression": "wrote their own impression",
          "sign": "signed the reading", "countersign": "countersigned the reading", "open": "opened the reading",
          "new_version": "started a new version", "measure": "measured", "unmeasure": "deleted the measurement"}


def _what(event: ReviewEvent) -> str:
    """``"accept f-1"`` / ``"undo:accept f-1"``: an event's action and finding."""
    return event.action if event.finding_id is None else f"{event.action} {event.finding_id}"


def describe_event(event: ReviewEvent) -> str:
    """``"Dr Bob accepted f-000 at 2026-12-06 10:42 CET (UTC+01:00)"``: who did what, and when."""
    from gazex_viewer.core.reading.report_display import local_time_text

    base = event.action.split(":", 1)
    if len(base) == 2 and base[0] in ("undo", "redo"):
        verb = f"{base[0]} of {_VERBS.get(base[1], base[1])}"
        did = f"did an {verb}" if base[0] == "undo" else f"did a {verb}"
    else:
        did = _VERBS.get(event.action, event.action)
    target = f" {event.finding_id}" if event.finding_id else ""
    return f"{event.reviewer} {did}{target} at {local_time_text(event.at)}"


#: errors a later write may get past: the change is kept pending and retried
RETRYABLE: tuple[type[ReviewStoreError], ...] = (
    ReviewStoreDiskFullError, ReviewStoreReadOnlyError, ReviewStoreLockedError, ReviewStoreIOError)

_KINDS: dict[int, tuple[type[ReviewStoreError], str]] = {
    SQLITE_FULL: (ReviewStoreDiskFullError, "the disk is full"),
    SQLITE_READONLY: (ReviewStoreReadOnlyError, "the database is read-only"),
    SQLITE_PERM: (ReviewStoreReadOnlyError, "no permission to write the database"),
    SQLITE_CANTOPEN: (ReviewStoreReadOnlyError, "the database file cannot be opened for writing"),
    SQLITE_BUSY: (ReviewStoreLockedError, "the database is locked by another program"),
    SQLITE_LOCKED: (ReviewStoreLockedError, "the database is locked by another program"),
    SQLITE_IOERR: (ReviewStoreIOError, "a disk input/output error"),
    SQLITE_CORRUPT: (ReviewStoreCorruptError, "the database is damaged"),
    SQLITE_NOTADB: (ReviewStoreCorruptError, "the file is not a database"),
}


def error_kind(err: sqlite3.Error) -> tuple[type[ReviewStoreError], str | None]:
    """The error class for a sqlite3 error and a short cause ("the disk is full"), by result code then text."""
    code = getattr(err, "sqlite_errorcode", None)
    if isinstance(code, int) and (code & 0xFF) in _KINDS:
        cls, what = _KINDS[code & 0xFF]
        return cls, what
    text = str(err).lower()
    for needle, key in (("disk is full", SQLITE_FULL), ("readonly", SQLITE_READONLY), ("read-only", SQLITE_READONLY),
                        ("locked", SQLITE_BUSY), ("malformed", SQLITE_CORRUPT), ("not a database", SQLITE_NOTADB),
                        ("disk i/o", SQLITE_IOERR)):
        if needle in text:
            return _KINDS[key]
    return ReviewStoreError, None


def store_error(path: str | os.PathLike[str], doing: str, err: sqlite3.Error) -> ReviewStoreError:
    """A typed ReviewStoreError for ``err`` met while ``doing`` ("cannot write the review database")."""
    cls, what = error_kind(err)
    reason = f"{doing}: {what} ({err})" if what else f"{doing}: {err}"
    return cls(path, reason)
