"""What a review store hands back: a loaded reading with its version, audit rows, stored-review summaries, changes, claims.

Plain value types shared by the :class:`~gazex_viewer.core.review.store.ReviewStore` seam and every store behind it
(they import this module, never :mod:`~gazex_viewer.core.review.store`, so the seam can open them lazily).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gazex_viewer.core.reading.document import Reading, ReviewEvent, SignOff


@dataclass(frozen=True)
class StoredReading:
    """A reading as :meth:`ReviewStore.load` returns it: with its review and every event, and its version."""

    reading: Reading
    read_first: bool
    #: the per-reading event sequence the state was read at (the number of stored events)
    version: int


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


@dataclass(frozen=True)
class Changes:
    """What :meth:`ReviewStore.changes_since` found: the readings whose logs grew, and the token to ask with next."""

    #: opaque; pass it to the next :meth:`ReviewStore.changes_since`
    token: str
    #: ids of the readings with new events since the token given, in the order of their newest change
    reading_ids: Sequence[str] = ()


@dataclass(frozen=True)
class Claim:
    """Who is reading a study now: ``holder`` since ``since`` (UTC ISO time)."""

    reading_id: str
    holder: str
    since: str

    def describe(self) -> str:
        """``"being read by Dr X since 2026-12-06 10:42 CET (UTC+01:00)"``."""
        from gazex_viewer.core.reading.report_display import local_time_text

        return f"being read by {self.holder} since {local_time_text(self.since)}"
