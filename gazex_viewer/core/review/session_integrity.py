"""What a review session says about its own integrity: signed or not, by whom, problems, unsaved changes, read-only.

:class:`SessionIntegrity` is the part of :class:`~gazex_viewer.core.review.session.ReviewSession` that
reports the verdict of :func:`~gazex_viewer.core.review.integrity.check_reading` (kept in ``_check``) and
the store state of :class:`~gazex_viewer.core.review.sync.StoreSync` (kept in ``_sync``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Review, ReviewEvent, SignOff
from gazex_viewer.core.review.integrity import ReadingCheck
from gazex_viewer.core.review.store_errors import ReviewStorePermissionError
from gazex_viewer.core.review.sync import StoreSync

if TYPE_CHECKING:
    from gazex_viewer.core.review.store import ReviewStore


class SessionIntegrity:
    """Read-only integrity properties of a review session."""

    _check: ReadingCheck
    _sync: StoreSync
    _store: ReviewStore | None
    #: why this session changes nothing (a read-only role, a study claimed by someone else), or None
    read_only_reason: str | None

    @property
    def review(self) -> Review:
        raise NotImplementedError

    @property
    def read_only(self) -> bool:
        """True when this session changes nothing (:attr:`read_only_reason` says why)."""
        return self.read_only_reason is not None

    def _check_writable(self) -> None:
        """Refuse any change in a read-only session, saying why (the same error a read-only role gets from the store)."""
        if self.read_only_reason is not None:
            where = None if self._store is None else self._store.location
            raise ReviewStorePermissionError(where, f"this review is open read-only ({self.read_only_reason}); "
                                             "nothing was saved")

    @property
    def is_signed(self) -> bool:
        """True once validly signed (the Ed25519 signature verifies): the reading is frozen."""
        return self.review.signoff is not None and self._check.signature.signed

    @property
    def signature_status(self) -> str:
        """One line: "draft (not signed)", "signed by ... (key ..., registered by ...)", or the problem."""
        return self._check.signature.message

    @property
    def signature_state(self) -> str:
        """"unsigned", "legacy" (hash only, not signed), "signed" or "invalid"."""
        return self._check.signature.state

    @property
    def integrity_problems(self) -> list[str]:
        """What the integrity rules found wrong at load (a broken event chain, state against log, signature)."""
        return list(self._check.problems)

    @property
    def store_version(self) -> int | None:
        """The version of the stored reading this session last read or wrote (None: not stored)."""
        return self._sync.version if self._sync.store is not None else None

    @property
    def unsaved(self) -> list[ReviewEvent]:
        """Changes shown but not yet written to the store (disk full, read-only, locked): retried."""
        return list(self._sync.pending)

    @property
    def save_problem(self) -> GazeXError | None:
        """Why :attr:`unsaved` changes are not saved yet ("... the disk is full ... NOT YET SAVED ..."), or None."""
        return self._sync.problem

    @property
    def is_frozen(self) -> bool:
        """True when the reading carries a sign-off, valid or not: it cannot be changed in place."""
        return self.review.signoff is not None

    @property
    def signature_invalid(self) -> bool:
        """True when a sign-off is present but does not verify (or is only a legacy hash).

        Such a reading is *not* signed (nothing may call it signed or verified) and it stays
        frozen; :attr:`signature_problem` says why.
        """
        return self.review.signoff is not None and not self._check.signature.signed

    @property
    def signature_problem(self) -> str | None:
        """Why the sign-off is not valid, or None."""
        return self._check.signature.message if self.signature_invalid else None

    @property
    def signoff(self) -> SignOff | None:
        return self.review.signoff
