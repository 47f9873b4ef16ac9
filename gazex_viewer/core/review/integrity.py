"""One set of integrity rules for a reading: its sign-off, its event log, its review state.

``validate``, the review store's load (through :class:`~gazex_viewer.core.review.session.ReviewSession`)
and ``export`` all call :func:`check_reading`, so they accept and refuse the same readings:

- the event log's hash chain is whole (:func:`~gazex_viewer.core.review.audit_chain.check_chain`) and
  the review state is what the log says (:func:`~gazex_viewer.core.review.audit_chain.state_problems`);
- a sign-off carries an Ed25519 signature (:mod:`~gazex_viewer.core.review.signing`) over the canonical
  reading, by a key registered to the name that signed (when a registry is given), whose event-log
  head is the log's head before the sign event; a sign-off with only ``content_sha256`` is
  *legacy*: reported as "unsigned (legacy hash only)", never as signed;
- a signed reading has every AI finding decided and its identity fields present;
- an attending's countersignature (``review.countersign``, :func:`check_countersign`) is a second Ed25519
  signature over the *same* content hash (:func:`~gazex_viewer.core.review.signing.countersign_payload`) by a key
  registered to another name than the signer's, recorded by the one ``countersign`` event that follows the
  sign event; the log may end with that event. A countersignature over another content hash, of an unsigned
  reading, or without (or with a different) event is a problem.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gazex_viewer.core.errors import ReadingError
from gazex_viewer.core.reading.document import Reading, Review, SignOff
from gazex_viewer.core.review.audit_chain import check_chain, state_problems
from gazex_viewer.core.review.signing import (
    ALGORITHM,
    COUNTERSIGN_CANONICAL,
    KeyRegistry,
    RegisteredKey,
    canonical_json,
    countersign_payload,
    key_id_of,
    signing_payload,
    unb64,
    verify_signature,
)

SignatureState = Literal["unsigned", "legacy", "signed", "invalid"]

#: what a reading whose content no longer matches its sign-off hash is told
SIGNATURE_MISMATCH = (
    "sign-off hash does not match the signed content: the reading was changed after signing"
)
#: how a sign-off with a content hash but no signature is reported
LEGACY = "unsigned (legacy hash only)"


def signed_content(reading: Reading) -> dict[str, Any]:
    """The content ``content_sha256`` covers: image identity, findings, decisions, impressions, measurements."""
    review = reading.review or Review()
    img = reading.image
    return {
        "reading_id": reading.reading_id,
        "parent_id": reading.parent_id,
        "image": {
            "pixel_sha256": img.pixel_sha256,
            "sop_instance_uid": img.sop_instance_uid,
            "study_instance_uid": img.study_instance_uid,
            "frame": img.frame,
        },
        "findings": [f.to_dict() for f in reading.findings],
        "decisions": [d.to_dict() for d in review.decisions],
        "additions": [f.to_dict() for f in review.additions],
        "impression": review.impression,
        "own_impression": review.own_impression,
        # only when there are some: the hash of a review without measurements is what it always was
        **({"measurements": [m.to_dict() for m in review.measurements]} if review.measurements else {}),
    }


def content_sha256(reading: Reading) -> str:
    """SHA-256 (hex) of the canonical JSON of :func:`signed_content` (kept in every sign-off)."""
    return hashlib.sha256(canonical_json(signed_content(reading)).encode("utf-8", "surrogatepass")).hexdigest()


def _content_sha256_before_normalising(reading: Reading) -> str:
    """The hash as sign-offs written before integral floats were normalised computed it (legacy readings)."""
    text = json.dumps(signed_content(reading), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SignatureStatus:
    """Whether and by whom a reading is signed."""

    state: SignatureState
    #: one line: "draft (not signed)", "signed by ...", "unsigned (legacy hash only): ...", or the problem
    message: str
    signer: str | None = None
    key: RegisteredKey | None = None

    @property
    def signed(self) -> bool:
        return self.state == "signed"


def _who(so: SignOff) -> str:
    return f"signed by {so.reviewer} at {so.at}"


def check_signature(reading: Reading, registry: KeyRegistry | None = None) -> SignatureStatus:
    """Verify the reading's sign-off (see the module docstring).

    Parameters
    ----------
    registry
        Where the signer's public key must be registered (the review store); ``None`` checks the
        signature against the key the sign-off carries only, and says so.
    """
    review = reading.review
    if review is None or review.signoff is None:
        return SignatureStatus("unsigned", "draft (not signed)")
    so = review.signoff
    who = _who(so)
    if so.content_sha256 != content_sha256(reading) and (
            so.signature is not None or so.content_sha256 != _content_sha256_before_normalising(reading)):
        return SignatureStatus("invalid", f"{SIGNATURE_MISMATCH} ({who})", so.reviewer)
    if so.signature is None:
        return SignatureStatus(
            "legacy", f"{LEGACY}: {who} with a keyless content hash, which does not prove who signed",
            so.reviewer)

    def bad(reason: str) -> SignatureStatus:
        return SignatureStatus("invalid", f"signature invalid: {reason} (claims to be {who})", so.reviewer)

    if so.algorithm != ALGORITHM or not so.public_key or not so.key_id or not so.events_head:
        return bad("the sign-off's signature fields are incomplete")
    try:
        raw = unb64(so.public_key)
    except ValueError:
        return bad("the public key is not base64")
    if key_id_of(raw) != so.key_id:
        return bad("the key id does not belong to the public key")
    if not verify_signature(so.public_key, so.signature, signing_payload(reading)):
        return bad("the signature does not match the reading: it was changed after signing "
                   "(signer, time, findings, decisions, impression, producer or image), or it was forged")
    chain = check_chain(review.events)
    if chain.problem is not None:
        return bad(f"event log: {chain.problem}")
    sign_events = [i for i, e in enumerate(review.events) if e.action == "sign"]
    after_sign = [e.action for e in review.events[sign_events[-1] + 1:]] if sign_events else None
    if chain.legacy or len(sign_events) != 1 or after_sign not in ([], ["countersign"]):
        return bad("the event log does not end with its one sign event (and at most one countersignature)")
    last = review.events[sign_events[0]]
    if chain.head_before_sign != so.events_head:
        return bad("the event log is not the one that was signed: an event was removed, added or edited")
    if last.after != so.to_dict() or last.reviewer != so.reviewer:
        return bad("the sign event does not match the sign-off")
    if registry is None:
        return SignatureStatus("signed", f"{who} (key {so.key_id[:12]}…, registration not checked)", so.reviewer)
    entry = registry.registered_key(so.key_id)
    if entry is None or entry.public_key != so.public_key:
        where = getattr(registry, "source", None)
        return bad(f"key {so.key_id[:12]}… is not registered" + (f" in {where}" if where else "")
                   + f": nothing shows it belongs to {so.reviewer}")
    if entry.reviewer != so.reviewer:
        return bad(f"key {so.key_id[:12]}… is registered to {entry.reviewer}, not to {so.reviewer}")
    return SignatureStatus(
        "signed",
        f"{who} (key {so.key_id[:12]}…, registered by {entry.registered_by} at {entry.registered_at})",
        so.reviewer, entry)


def verify_signoff(reading: Reading, registry: KeyRegistry | None = None) -> bool:
    """True when the reading carries a valid Ed25519 signature (see :func:`~gazex_viewer.core.review.integrity.check_signature`)."""
    return check_signature(reading, registry).signed


def signature_problem(reading: Reading, registry: KeyRegistry | None = None) -> str | None:
    """Why the reading's sign-off cannot be trusted (invalid, or only a legacy hash), or None.

    A reading is only signed while its signature verifies: anything that loads, validates, shows
    or exports a reading calls this and treats any problem as *not signed*.
    """
    status = check_signature(reading, registry)
    return status.message if status.state in ("invalid", "legacy") else None


def is_validly_signed(reading: Reading, registry: KeyRegistry | None = None) -> bool:
    """True when the reading carries a sign-off whose signature verifies."""
    return verify_signoff(reading, registry)


CountersignState = Literal["none", "countersigned", "invalid"]


@dataclass(frozen=True)
class CountersignStatus:
    """Whether and by whom a signed reading is countersigned."""

    state: CountersignState
    #: one line: "not countersigned", "countersigned by ... (attending) at ...", or the problem
    message: str
    signer: str | None = None

    @property
    def countersigned(self) -> bool:
        return self.state == "countersigned"


def check_countersign(reading: Reading, registry: KeyRegistry | None = None,
                      signature: SignatureStatus | None = None) -> CountersignStatus:
    """Verify the attending's countersignature (see the module docstring); ``signature``: the sign-off's verdict."""
    review = reading.review
    events = [] if review is None else [i for i, e in enumerate(review.events) if e.action == "countersign"]
    cs = None if review is None else review.countersign
    if cs is None:
        if events:
            return CountersignStatus("invalid", "countersignature invalid: the event log records a countersignature "
                                     "the review does not carry")
        return CountersignStatus("none", "not countersigned")
    assert review is not None
    who = f"countersigned by {cs.reviewer} (attending) at {cs.at}"

    def bad(reason: str) -> CountersignStatus:
        return CountersignStatus("invalid", f"countersignature invalid: {reason} (claims to be {who})", cs.reviewer)

    so = review.signoff
    if signature is None:
        signature = check_signature(reading, registry)
    if so is None or not signature.signed:
        return bad("only a validly signed review can be countersigned")
    if cs.content_sha256 != so.content_sha256 or cs.content_sha256 != content_sha256(reading):
        return bad("it is over a different content hash than the sign-off's: not the review that was signed")
    if cs.reviewer.strip() in ("", so.reviewer):
        return bad(f"{so.reviewer} signed the review and cannot also countersign it")
    if cs.algorithm != ALGORITHM or cs.canonical != COUNTERSIGN_CANONICAL or not (
            cs.public_key and cs.key_id and cs.signature and cs.events_head):
        return bad("the countersignature's fields are incomplete")
    try:
        raw = unb64(cs.public_key)
    except ValueError:
        return bad("the public key is not base64")
    if key_id_of(raw) != cs.key_id:
        return bad("the key id does not belong to the public key")
    if not verify_signature(cs.public_key, cs.signature, countersign_payload(reading, cs)):
        return bad("the signature does not match the signed review and the countersignature: one was changed "
                   "after countersigning, or it was forged")
    if events != [len(review.events) - 1] or len(review.events) < 2 or review.events[-2].action != "sign":
        return bad("the event log does not end with the sign event and its one countersign event")
    event = review.events[-1]
    if event.prev_sha256 != cs.events_head or event.after != cs.to_dict() or event.reviewer != cs.reviewer:
        return bad("the countersign event does not match the countersignature")
    if registry is None:
        return CountersignStatus("countersigned", f"{who} (key {cs.key_id[:12]}…, registration not checked)",
                                 cs.reviewer)
    entry = registry.registered_key(cs.key_id)
    if entry is None or entry.public_key != cs.public_key or entry.reviewer != cs.reviewer:
        return bad(f"key {cs.key_id[:12]}… is not registered to {cs.reviewer}")
    return CountersignStatus("countersigned", f"{who} (key {cs.key_id[:12]}…)", cs.reviewer)


@dataclass(frozen=True)
class ReadingCheck:
    """What :func:`check_reading` found."""

    signature: SignatureStatus
    #: every problem, the signature's first; ``[]`` when the reading may be used (a legacy sign-off is no problem
    #: for loading or validating, but nothing may treat it as signed)
    problems: list[str] = field(default_factory=list)
    countersign: CountersignStatus = field(default_factory=lambda: CountersignStatus("none", "not countersigned"))

    @property
    def ok(self) -> bool:
        return not self.problems


def check_reading(reading: Reading, registry: KeyRegistry | None = None) -> ReadingCheck:
    """The integrity rules shared by validate, load and export (see the module docstring)."""
    status = check_signature(reading, registry)
    problems: list[str] = []
    if status.state == "invalid":
        problems.append(f"review.signoff: {status.message}")
    review = reading.review
    if review is not None:
        chain = check_chain(review.events)
        if chain.problem is not None and status.state != "invalid":
            problems.append(chain.problem)
        if chain.problem is None:
            problems += state_problems(reading)
        if review.signoff is not None:
            decided = {d.finding_id for d in review.decisions if d.status != "undecided"}
            missing = [f.id for f in reading.findings if f.id not in decided]
            if missing:
                problems.append(f"review.decisions: a signed reading leaves {len(missing)} AI finding(s) "
                                f"undecided ({', '.join(missing[:5])}{', ...' if len(missing) > 5 else ''})")
            for name, value in (("reading_id", reading.reading_id), ("image.pixel_sha256", reading.image.pixel_sha256),
                                ("image.file_name", reading.image.file_name), ("producer.name", reading.producer.name),
                                ("review.signoff.reviewer", review.signoff.reviewer.strip())):
                if not value:
                    problems.append(f"{name}: a signed reading needs it")
    countersign = check_countersign(reading, registry, status)
    if countersign.state == "invalid":
        problems.append(f"review.countersign: {countersign.message}")
    return ReadingCheck(status, problems, countersign)


# -- the one set of integrity rules validate, load and export share --------------------------------------------
def key_registry(db: str | Path | None = None) -> KeyRegistry:
    """The signing keys registered in a review database (default: the viewer's own, ``$GAZEX_REVIEW_DB``), read
    without changing it: a SQLite file, ``sqlite:///...`` or a ``postgresql://`` URL."""
    from gazex_viewer.core.review.store_keys import registered_keys
    from gazex_viewer.core.review.store_location import default_store_location

    return registered_keys(db or default_store_location())


def check_integrity(reading: Reading, source: str | Path | None, registry: KeyRegistry | None) -> ReadingCheck:
    """:func:`gazex_viewer.core.review.integrity.check_reading`, raising ReadingError (naming ``source``) on a problem.

    A legacy (hash-only) sign-off is no problem here: the returned check says "unsigned (legacy hash
    only)", and whoever would treat the reading as signed (export) refuses it.
    """
    check = check_reading(reading, registry)
    if check.problems:
        extra = f" (and {len(check.problems) - 1} more)" if len(check.problems) > 1 else ""
        raise ReadingError(source, check.problems[0] + extra)
    return check
