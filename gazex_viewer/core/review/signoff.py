"""Making a sign-off, and an attending's countersignature of one: the key checked, the canonical content signed.

See :mod:`~gazex_viewer.core.review.signing` for what each signature covers and
:mod:`~gazex_viewer.core.review.integrity` for how both are verified.
"""

from __future__ import annotations

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Reading, Review, SignOff, utc_now
from gazex_viewer.core.review.audit_chain import head_of
from gazex_viewer.core.review.integrity import content_sha256
from gazex_viewer.core.review.signing import (
    ALGORITHM,
    CANONICAL,
    COUNTERSIGN_CANONICAL,
    KeyRegistry,
    SigningKey,
    countersign_payload,
    signing_payload,
)


class SignOffKeyError(GazeXError):
    """Signing refused because of the key: none, another reviewer's, or not registered."""


def _check_key(who: str, key: SigningKey | None, registry: KeyRegistry | None) -> None:
    if key is None:
        raise SignOffKeyError(None, f"signing needs {who}'s signing key (unlock or create it first)")
    if key.reviewer != who:
        raise SignOffKeyError(None, f"the signing key belongs to {key.reviewer}, not to {who}")
    if registry is not None:
        entry = registry.registered_key(key.key_id)
        if entry is None or entry.reviewer != who or entry.public_key != key.public_key:
            raise SignOffKeyError(None, f"{who}'s signing key {key.key_id[:12]}… is not registered in the review "
                                  "database; register it before signing")


def make_signoff(
    reading: Reading, who: str, key: SigningKey | None, registry: KeyRegistry | None, *, account: str | None = None
) -> SignOff:
    """A signed :class:`SignOff` by ``who`` for ``reading`` as it stands (its review left unchanged).

    The signature covers the reading with this sign-off in place and ``review.reviewer`` set to
    ``who``; the sign-off records the head of the event log before the sign event.

    Raises
    ------
    SignOffKeyError
        Without a key, with another reviewer's key, or (with a registry) a key not registered to ``who``.
    """
    _check_key(who, key, registry)
    assert key is not None
    review = reading.review or Review()
    signoff = SignOff(reviewer=who, at=utc_now(), content_sha256=content_sha256(reading), account=account,
                      algorithm=ALGORITHM,
                      key_id=key.key_id, public_key=key.public_key, events_head=head_of(review.events),
                      canonical=CANONICAL)
    old = reading.review, review.signoff, review.reviewer
    reading.review, review.signoff, review.reviewer = review, signoff, who
    try:
        signoff.signature = key.sign(signing_payload(reading))
    finally:
        reading.review, review.signoff, review.reviewer = old
    return signoff


def make_countersign(
    reading: Reading, who: str, key: SigningKey | None, registry: KeyRegistry | None, *, account: str | None = None
) -> SignOff:
    """An attending's countersignature by ``who`` of ``reading``'s sign-off (the reading left unchanged).

    It records the sign-off's content hash (and refuses when the reading's content no longer has that hash),
    the head of the event log before the countersign event, and an Ed25519 signature of
    :func:`~gazex_viewer.core.review.signing.countersign_payload`.

    Raises
    ------
    SignOffKeyError
        Without a key, with another reviewer's key, or (with a registry) a key not registered to ``who``;
        when the reading is not signed, or ``who`` signed it.
    """
    review = reading.review
    so = None if review is None else review.signoff
    if review is None or so is None:
        raise SignOffKeyError(None, "only a signed review can be countersigned")
    if who == so.reviewer:
        raise SignOffKeyError(None, f"{who} signed this review and cannot also countersign it")
    if so.content_sha256 != content_sha256(reading):
        raise SignOffKeyError(None, "the review's content is not what was signed: refusing to countersign")
    _check_key(who, key, registry)
    assert key is not None
    countersign = SignOff(reviewer=who, at=utc_now(), content_sha256=so.content_sha256, account=account,
                          algorithm=ALGORITHM, key_id=key.key_id, public_key=key.public_key,
                          events_head=head_of(review.events), canonical=COUNTERSIGN_CANONICAL)
    countersign.signature = key.sign(countersign_payload(reading, countersign))
    return countersign
