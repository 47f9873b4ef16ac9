"""Making a sign-off: the reviewer's key checked, the canonical reading signed (see :mod:`core.signing`)."""

from __future__ import annotations

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Reading, Review, SignOff, utc_now
from gazex_viewer.core.review.audit_chain import head_of
from gazex_viewer.core.review.integrity import content_sha256
from gazex_viewer.core.review.signing import (
    ALGORITHM,
    CANONICAL,
    KeyRegistry,
    SigningKey,
    signing_payload,
)


class SignOffKeyError(GazeXError):
    """Signing refused because of the key: none, another reviewer's, or not registered."""


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
    if key is None:
        raise SignOffKeyError(None, f"signing needs {who}'s signing key (unlock or create it first)")
    if key.reviewer != who:
        raise SignOffKeyError(None, f"the signing key belongs to {key.reviewer}, not to {who}")
    if registry is not None:
        entry = registry.registered_key(key.key_id)
        if entry is None or entry.reviewer != who or entry.public_key != key.public_key:
            raise SignOffKeyError(None, f"{who}'s signing key {key.key_id[:12]}… is not registered in the review "
                                  "database; register it before signing")
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
