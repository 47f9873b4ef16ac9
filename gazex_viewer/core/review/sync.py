"""How a review session's changes reach the review store: versioned writes, and changes kept pending.

A :class:`StoreSync` belongs to one :class:`~gazex_viewer.core.review.session.ReviewSession`:

- every write names the version (the per-reading event sequence) the session last read or wrote; a reading
  changed by another station, window or program is never overwritten: the store raises
  :class:`~gazex_viewer.core.review.store_errors.StaleWriteError` (who decided what, when), nothing is written, and
  the session reloads the stored state so the reviewer can redo their change. Any other
  :class:`~gazex_viewer.core.review.store_errors.ReviewStoreConflictError` (or a reload that fails) leaves the
  session writing nothing more;
- a write that fails for a reason a later write may get past (disk full, read-only, locked; see
  :data:`~gazex_viewer.core.review.store_errors.RETRYABLE`) keeps the change *pending*: it stays on
  screen, :attr:`StoreSync.problem` says it is NOT YET SAVED, and the pending changes are written,
  in order and in one transaction, with the next change or :meth:`StoreSync.write` of nothing
  (``ReviewSession.retry_pending``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Reading, ReviewEvent
from gazex_viewer.core.review.store_errors import RETRYABLE, ReviewStoreConflictError

if TYPE_CHECKING:
    from gazex_viewer.core.review.store import ReviewStore

log = logging.getLogger(__name__)


class StoreSync:
    """The pending changes, stored version and conflict state of one session (see the module docstring)."""

    def __init__(self, store: ReviewStore | None, version: int | None) -> None:
        self.store = store
        self.version = version
        #: events applied in memory whose write failed (retryable): written first next time
        self.pending: list[ReviewEvent] = []
        #: why the pending events are not saved yet, or None
        self.problem: GazeXError | None = None
        #: set once another window or program changed the stored reading: nothing more is written
        self.conflict: ReviewStoreConflictError | None = None

    def write(self, reading: Reading, event: ReviewEvent | None) -> GazeXError | None:
        """Write the pending events and ``event`` with the reading's current state, in one transaction.

        Returns None when written (or there is no store). A retryable failure keeps the events
        pending and returns the error for the caller to raise *after* reporting the change; any
        other failure raises (the caller rolls back ``event``).
        """
        if self.store is None:
            return None
        batch = self.pending + ([event] if event is not None else [])
        if not batch:
            return None
        try:
            self.version = self.store.record(reading, batch, expected_version=self.version)
        except ReviewStoreConflictError as err:
            self.conflict = err
            raise
        except RETRYABLE as err:
            self.pending = batch
            self.problem = type(err)(
                err.path, f"{err.reason}. NOT YET SAVED: {len(batch)} change(s) are kept on screen and will be "
                "written with your next change (or when you retry); do not close the viewer")
            log.warning("review %s: %s", reading.reading_id, self.problem)
            return self.problem
        self.pending = []
        self.problem = None
        return None

    def write_now(self, reading: Reading, event: ReviewEvent) -> None:
        """Write ``event`` now or raise: it is not kept pending (a sign-off, a new version)."""
        problem = self.write(reading, event)
        if problem is not None:
            self.pending.remove(event)
            if not self.pending:
                self.problem = None
            raise problem
