"""The ReviewStore seam: what a review session and the app ask of wherever reviews are kept, and how one is opened.

:class:`ReviewStore` is a :class:`typing.Protocol`: every method the review session
(:meth:`~gazex_viewer.core.review.session.ReviewSession.open`, :class:`~gazex_viewer.core.review.sync.StoreSync`),
the review UI and the command line call on a store. :class:`~gazex_viewer.core.review.sqlite_store.SqliteReviewStore`
(one SQLite file, the embedded default) is one; a server database is the next. The store keeps readings, their
event log (the source of truth) and sign-offs; it never builds review sessions, and the session never names a
concrete store.

Versions and stale writes
-------------------------
A stored reading has a *version*: the number of events its log holds (the per-reading event sequence).
:meth:`ReviewStore.load` returns it, and :meth:`ReviewStore.record` takes the version the write was based on:
when the log grew since (another station or window decided something), the write is refused with
:class:`~gazex_viewer.core.review.store_errors.StaleWriteError` naming who decided what and when; nothing is
written, and the session reloads so the reviewer sees the other decision and can redo theirs.

Live refresh and claims
-----------------------
:meth:`ReviewStore.changes_since` answers "which readings changed since this token" cheaply enough to poll;
:meth:`ReviewStore.claim` marks a reading as being read by someone (``"being read by Dr X since 10:42"``) until
:meth:`ReviewStore.release`, the end of the holder's connection, or a timeout.

The value types a store hands back live in :mod:`~gazex_viewer.core.review.store_records`, where the database is in
:mod:`~gazex_viewer.core.review.store_location` (stores import those, never this module, so it can open them lazily).
:func:`open_store` turns a settings value (a file path, ``sqlite:///...`` or ``postgresql://...``) into a store.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.review.store_location import (  # noqa: F401  (re-exported: the seam's public names)
    DB_ENV,
    DB_FILE_NAME,
    default_store_location,
    is_server_url,
    redacted,
    sqlite_path,
)
from gazex_viewer.core.review.store_records import (
    AuditEntry,
    Changes,
    Claim,
    StoredReading,
    StoredReview,
)

if TYPE_CHECKING:
    from gazex_viewer.core.reading.document import Reading, ReviewEvent, SignOff
    from gazex_viewer.core.review.signing import RegisteredKey, SigningKey


@runtime_checkable
class ReviewStore(Protocol):
    """Where reviews are kept: readings, their event logs (the source of truth), sign-offs and signing keys.

    It is also a :class:`~gazex_viewer.core.review.signing.KeyRegistry` (:meth:`registered_key`).
    Errors are :class:`~gazex_viewer.core.errors.ReviewStoreError` subclasses
    (:mod:`~gazex_viewer.core.review.store_errors`); disk full, read-only, locked and I/O errors are retryable.
    """

    #: a problem found at open or later (a damaged file set aside, a failed background check), or None
    warning: ReviewStoreError | None

    @property
    def location(self) -> str:
        """Where the store is, for messages: the file path, or the server URL without its password."""
        ...

    def close(self) -> None:
        """Close the connection; the store is not used afterwards."""
        ...

    # -- readings --------------------------------------------------------------------------------------------
    def has_reading(self, reading_id: str) -> bool:
        """True when the reading (version) is stored."""
        ...

    def add_reading(self, reading: Reading, *, read_first: bool = False) -> None:
        """Register a reading (and any events its review already carries); no-op when known."""
        ...

    def load(self, reading_id: str) -> StoredReading:
        """The stored reading with its current review and every event, its read-first flag and its version."""
        ...

    def load_reading(self, reading_id: str) -> Reading:
        """The stored reading with its current review and every event."""
        ...

    def record(
        self, reading: Reading, events: ReviewEvent | list[ReviewEvent], *, expected_version: int | None = None
    ) -> int:
        """Write events and the reading's new review state in one durable transaction; the new version.

        With ``expected_version`` (the version the session read or last wrote) a reading whose log grew since
        is not written: :class:`~gazex_viewer.core.review.store_errors.StaleWriteError` names the newer events.
        """
        ...

    def events(self, reading_id: str) -> list[ReviewEvent]:
        """The events of one reading version, oldest first."""
        ...

    def log_problems(self, reading_id: str, events: list[ReviewEvent] | None = None) -> list[str]:
        """Where the stored event log does not end where the reading's last write left it (rows removed)."""
        ...

    def signoff(self, reading_id: str) -> SignOff | None:
        """The stored sign-off of a reading version, or None."""
        ...

    # -- versions of a reading, readings of a film, the audit --------------------------------------------------
    def latest_version_id(self, reading_id: str) -> str:
        """The newest version in the chain that starts at ``reading_id`` (itself when none)."""
        ...

    def versions(self, reading_id: str) -> list[str]:
        """The version chain through ``reading_id``: its ancestors, itself, then its descendants."""
        ...

    def readings_for_image(self, pixel_sha256: str) -> list[str]:
        """Ids of the stored readings of one image (by pixel hash), most recently changed first."""
        ...

    def reviews_for_image(self, pixel_sha256: str) -> list[StoredReview]:
        """Every stored reading of one image (by pixel hash), most recently changed first."""
        ...

    def events_for_study(self, key: str) -> list[AuditEntry]:
        """Every event of every reading whose study UID *or* pixel hash is ``key``, oldest first."""
        ...

    # -- signing keys (a KeyRegistry) ------------------------------------------------------------------------
    def register_key(self, key: SigningKey, registered_by: str) -> RegisteredKey:
        """Register a reviewer's public key; the existing entry when known (an error when it is someone else's)."""
        ...

    def registered_key(self, key_id: str) -> RegisteredKey | None:
        """The registered public key with this id, or None."""
        ...

    def keys_of(self, reviewer: str) -> list[RegisteredKey]:
        """The keys registered to a reviewer, oldest first."""
        ...

    # -- live refresh and claims -----------------------------------------------------------------------------
    def changes_since(self, token: str | None) -> Changes:
        """The readings with new events since ``token`` (None: none, just the current token); cheap to poll."""
        ...

    def claim(self, reading_id: str, holder: str) -> Claim:
        """Claim a reading for ``holder`` (or renew their claim); the claim in force: theirs when someone else holds it."""
        ...

    def release(self, reading_id: str, holder: str) -> None:
        """Give up ``holder``'s claim on a reading (nothing when they hold none)."""
        ...

    def claim_of(self, reading_id: str) -> Claim | None:
        """Who holds a reading now, or None (a claim whose holder's connection ended or that timed out is gone)."""
        ...


def open_store(location: str | os.PathLike[str] | None = None) -> ReviewStore:
    """The review store at ``location`` (default :func:`default_store_location`).

    A file path or ``sqlite:///...`` opens :class:`~gazex_viewer.core.review.sqlite_store.SqliteReviewStore`;
    ``postgresql://...`` opens ``gazex_viewer.core.review.postgres_store.PostgresReviewStore`` (imported only then).

    Raises
    ------
    ReviewStoreError
        The store cannot be opened, or the PostgreSQL store is not available in this installation.
    """
    where = default_store_location() if location is None else location
    if is_server_url(where):
        url = os.fspath(where)
        try:
            postgres_store = importlib.import_module("gazex_viewer.core.review.postgres_store")
        except ImportError as err:
            raise ReviewStoreError(
                redacted(url), f"a PostgreSQL review database needs the PostgreSQL store, which this installation "
                f"lacks ({err}); install psycopg or use a SQLite file") from None
        pg: ReviewStore = postgres_store.PostgresReviewStore(url)
        return pg
    from gazex_viewer.core.review.sqlite_store import SqliteReviewStore

    return SqliteReviewStore(sqlite_path(where))


