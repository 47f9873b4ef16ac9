"""The attending's countersignature of a trainee's signed review: who may give it, and the session's action.

An attending countersigns a review another reviewer (a trainee) has signed: a second Ed25519 signature
over the same content hash (:func:`~gazex_viewer.core.review.signoff.make_countersign`), kept as
``review.countersign`` and recorded by a ``countersign`` event right after the sign event, so the event
log stays the source of truth and :func:`~gazex_viewer.core.review.integrity.check_reading` verifies it
(:func:`~gazex_viewer.core.review.integrity.check_countersign`). The reading stays frozen: nothing else
changes, and the first signature still verifies (its payload leaves the countersignature out).

Who may countersign (:func:`countersign_refusal`): on a PostgreSQL store only a database user with the
attending role (the store checks it again on write, and that the name is the database user's); on a local
SQLite file, which has no roles, anyone whose key is registered there, named as the attending. Never the
reviewer who signed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gazex_viewer.core.reading.document import Reading, Review, ReviewEvent, SignOff
from gazex_viewer.core.review.integrity import (
    CountersignStatus,
    ReadingCheck,
    check_reading,
)
from gazex_viewer.core.review.review_errors import ReadingSignedError, ReviewError
from gazex_viewer.core.review.signoff import SignOffKeyError, make_countersign
from gazex_viewer.core.review.store_errors import StaleWriteError

if TYPE_CHECKING:
    from gazex_viewer.core.review.signing import KeyRegistry, SigningKey
    from gazex_viewer.core.review.store import ReviewStore
    from gazex_viewer.core.review.sync import StoreSync


def store_role(store: ReviewStore | None) -> str:
    """``"attending"``, ``"reviewer"`` or ``"read-only"``: the database role on a server store.

    A local SQLite file (or no store) has no roles: whoever has a registered key may sign and countersign,
    so it counts as ``"attending"``.
    """
    role = getattr(store, "role", None)
    return role if role in ("attending", "reviewer", "read-only") else "attending"


def countersign_refusal(store: ReviewStore | None, review: Review, who: str) -> str | None:
    """Why ``who`` may not countersign ``review`` here, in the reviewer's words; None when they may."""
    so = review.signoff
    if so is None:
        return "only a signed review can be countersigned"
    if review.countersign is not None:
        return f"already countersigned by {review.countersign.reviewer}"
    if who.strip() == so.reviewer:
        return f"{so.reviewer} signed this review and cannot also countersign it"
    role = store_role(store)
    if role != "attending":
        user = getattr(store, "db_user", who)
        return f"only an attending may countersign; you are signed in as {user} with the {role} role"
    return None


class CountersignMixin:
    """The countersign action of a :class:`~gazex_viewer.core.review.session.ReviewSession`."""

    _reading: Reading
    _check: ReadingCheck
    _sync: StoreSync
    _store: ReviewStore | None
    registry: KeyRegistry | None
    reviewer: str
    read_only_reason: str | None

    @property
    def review(self) -> Review:
        raise NotImplementedError

    @property
    def is_signed(self) -> bool:
        raise NotImplementedError

    def _record_plain(
        self, action: str, before: Any, after: Any, *, who: str | None = None, at: str | None = None,
        before_notify: Callable[[], None] | None = None,
    ) -> ReviewEvent:
        raise NotImplementedError

    def _reload_after(self, stale: StaleWriteError) -> None:
        raise NotImplementedError

    @property
    def countersign_status(self) -> CountersignStatus:
        """The integrity rules' verdict on the countersignature (none, countersigned by ..., or the problem)."""
        return self._check.countersign

    @property
    def is_countersigned(self) -> bool:
        """True when a valid countersignature follows a valid sign-off."""
        return self.is_signed and self._check.countersign.countersigned

    def countersign_refusal(self, attending: str | None = None) -> str | None:
        """Why ``attending`` (default: the session's reviewer) may not countersign now; None when they may."""
        if self.read_only_reason:
            return f"this review is open read-only ({self.read_only_reason})"
        if self.review.signoff is not None and not self.is_signed:
            return "the sign-off does not verify: it cannot be countersigned"
        return countersign_refusal(self._store, self.review, attending or self.reviewer)

    def countersign(
        self, attending: str | None = None, *, key: SigningKey | None, account: str | None = None
    ) -> SignOff:
        """Countersign the signed review as ``attending`` (default: the session's reviewer) with their key.

        Raises ReviewError when it may not be countersigned here (:meth:`countersign_refusal`) or the key is
        missing, someone else's or not registered; ReadingSignedError when already countersigned; a store error
        when the write fails (a PostgreSQL user without the attending role, another attending first: the session
        then reloads); nothing is kept.
        """
        if self._sync.conflict is not None:
            raise self._sync.conflict
        who = (attending or self.reviewer).strip()
        if self.review.countersign is not None:
            raise ReadingSignedError(None, f"already countersigned by {self.review.countersign.reviewer}")
        refusal = self.countersign_refusal(who)
        if refusal is not None:
            raise ReviewError(None, f"cannot countersign: {refusal}")
        if account is None:
            from gazex_viewer.core.reading.report_display import os_account

            account = os_account()
        try:
            countersign = make_countersign(self._reading, who, key, self.registry, account=account or None)
        except SignOffKeyError as err:
            raise ReviewError(None, err.reason) from None
        old_check = self._check
        self.review.countersign = countersign

        def verify() -> None:  # the verdict listeners see is the new one
            self._check = check_reading(self._reading, self.registry)

        try:
            self._record_plain("countersign", None, countersign.to_dict(), who=who, at=countersign.at,
                               before_notify=verify)
        except BaseException as err:
            self.review.countersign, self._check = None, old_check
            if isinstance(err, StaleWriteError):
                self._reload_after(err)
            raise
        return countersign
