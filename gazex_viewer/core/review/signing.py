"""Reviewer signing keys (Ed25519) and the signature a sign-off carries.

Each reviewer has an Ed25519 key pair. The private key lives in the operating system's keyring
when one is usable (the ``keyring`` package with a real backend), else in a passphrase-protected
PKCS #8 PEM file under the user data folder (``$GAZEX_KEY_DIR`` when set: tests, portable installs;
setting it also keeps the keyring out of the way). The public key is *registered* in the review
store (:meth:`~gazex_viewer.core.review.sqlite_store.ReviewStore.register_key`) with who registered it and
when; a signature only counts when its key is registered to the name that signed.

What is signed
--------------
:func:`signing_payload`: a fixed prefix and the canonical JSON (:func:`canonical_json`: sorted
keys, no whitespace, UTF-8) of the *whole* reading (image identity, producer, sentences, findings,
trajectory, review decisions, additions, impressions, reviewer) with two changes: the review's event
log is replaced by nothing (it is covered by its chain head, ``signoff.events_head``), and the
sign-off's ``signature`` field is blanked. So the signer, the time, the key and the head of the
event log are all covered, and any later change to any of them breaks the signature.

An attending's countersignature (``review.countersign``, :mod:`~gazex_viewer.core.review.countersign`) is left
out of that payload, so countersigning never disturbs the first signature. It signs
:func:`countersign_payload`: the reading id, the content hash (the same as the sign-off's), the whole
sign-off with its signature (so, through it, the whole signed reading) and the countersignature itself with its
``signature`` blanked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from gazex_viewer.core.errors import GazeXError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from gazex_viewer.core.reading.document import Reading, SignOff

#: environment variable naming the folder of passphrase-protected key files (and disabling the keyring)
KEY_DIR_ENV = "GAZEX_KEY_DIR"
#: the signature scheme a sign-off records
ALGORITHM = "Ed25519"
#: the canonical serialisation a signature covers (changes only with a new rule set)
CANONICAL = "gazex-reading-v1"
#: the canonical serialisation an attending's countersignature covers
COUNTERSIGN_CANONICAL = "gazex-countersign-v1"
_KEYRING_SERVICE = "gazex-viewer-signing-key"
MIN_PASSPHRASE = 8


class SigningKeyError(GazeXError):
    """A signing key that cannot be created, found, unlocked or used."""


_EXACT = 2**53


def _normalise(value: Any) -> Any:
    """Integral floats as integers (250.0 -> 250): a box built with integers and the same box read back from
    JSON (where the loader makes floats of them) are the same document."""
    t = type(value)
    if t is float and value.is_integer() and -_EXACT < value < _EXACT:
        return int(value)
    if t is dict:
        return {k: _normalise(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [_normalise(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """JSON with sorted keys, no whitespace, unescaped UTF-8 and integral floats written as integers: the one
    serialisation that is hashed or signed."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def signing_payload(reading: Reading) -> bytes:
    """The bytes a sign-off signs: see the module docstring."""
    doc = reading.to_dict()
    review = doc.get("review")
    if isinstance(review, dict):
        review.pop("events", None)
        review.pop("countersign", None)  # signed after the sign-off, over it (countersign_payload)
        signoff = review.get("signoff")
        if isinstance(signoff, dict):
            signoff["signature"] = ""
    return _utf8(f"{CANONICAL}\n") + _utf8(canonical_json(doc))


def countersign_payload(reading: Reading, countersign: SignOff) -> bytes:
    """The bytes an attending's countersignature signs: see the module docstring."""
    review = reading.review
    signoff = None if review is None or review.signoff is None else review.signoff.to_dict()
    mine = countersign.to_dict()
    mine["signature"] = ""
    doc = {"reading_id": reading.reading_id, "content_sha256": countersign.content_sha256, "signoff": signoff,
           "countersign": mine}
    return _utf8(f"{COUNTERSIGN_CANONICAL}\n") + _utf8(canonical_json(doc))


def key_id_of(public_raw: bytes) -> str:
    """A key's id: the first 32 hex digits of the SHA-256 of its raw 32-byte public key."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    """Strict base64 decoding (ValueError on anything else)."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as err:
        raise ValueError(f"not base64 ({err})") from None


@dataclass(frozen=True)
class SigningKey:
    """A reviewer's private signing key, unlocked."""

    reviewer: str
    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_key(self) -> str:
        """The raw public key, base64: what the store registers and a sign-off carries."""
        return b64(self.public_raw)

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_raw)

    def sign(self, payload: bytes) -> str:
        """The base64 Ed25519 signature of ``payload``."""
        return b64(self.private.sign(payload))


def generate_key(reviewer: str) -> SigningKey:
    """A new Ed25519 key pair for ``reviewer`` (in memory only; see :func:`create_key`)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not reviewer or not reviewer.strip():
        raise SigningKeyError(None, "a signing key needs the reviewer's name")
    return SigningKey(reviewer.strip(), Ed25519PrivateKey.generate())


def verify_signature(public_key_b64: str, signature_b64: str, payload: bytes) -> bool:
    """True when ``signature_b64`` is a valid Ed25519 signature of ``payload`` by that public key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(unb64(public_key_b64))
        key.verify(unb64(signature_b64), payload)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


# -- the registry of public keys ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RegisteredKey:
    """A public key registered for a reviewer: who registered it and when."""

    key_id: str
    reviewer: str
    public_key: str
    registered_by: str
    registered_at: str


class KeyRegistry(Protocol):
    """Where registered public keys are looked up (the review store, or :class:`MemoryKeyRegistry`)."""

    def registered_key(self, key_id: str) -> RegisteredKey | None: ...


class MemoryKeyRegistry:
    """A registry held in memory (tests, a registry read from a database file)."""

    def __init__(self, keys: list[RegisteredKey] | None = None, *, source: str = "memory") -> None:
        self._keys = {k.key_id: k for k in keys or []}
        self.source = source

    def register(self, key: SigningKey, registered_by: str, registered_at: str | None = None) -> RegisteredKey:
        from gazex_viewer.core.reading.document import utc_now

        entry = RegisteredKey(key.key_id, key.reviewer, key.public_key, registered_by, registered_at or utc_now())
        self._keys[entry.key_id] = entry
        return entry

    def registered_key(self, key_id: str) -> RegisteredKey | None:
        return self._keys.get(key_id)


# -- where private keys are kept ---------------------------------------------------------------------------
def key_dir() -> Path:
    """The folder of passphrase-protected key files: ``$GAZEX_KEY_DIR`` or ``<user data>/keys``."""
    env = os.environ.get(KEY_DIR_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("gazex-viewer", appauthor=False)) / "keys"


def _keyring() -> Any | None:
    """The ``keyring`` module when a real OS keyring backend is usable (never with $GAZEX_KEY_DIR)."""
    if os.environ.get(KEY_DIR_ENV):
        return None
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # noqa: BLE001  (not installed, or broken: the passphrase file is used)
        return None
    try:
        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring) or float(getattr(backend, "priority", 0)) < 1:
            return None
    except Exception:  # noqa: BLE001  (a keyring backend that fails to load is no keyring)
        return None
    return keyring


def key_file(reviewer: str) -> Path:
    """The key file of ``reviewer``: a safe file name plus a hash of the exact name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", reviewer.strip())[:60].strip("._") or "reviewer"
    tag = hashlib.sha256(_utf8(reviewer.strip())).hexdigest()[:8]
    return key_dir() / f"{safe}-{tag}.pem"


def key_location(reviewer: str) -> str:
    """Where ``reviewer``'s private key is (or would be) kept, in words."""
    if _keyring() is not None:
        return "the system keyring"
    return str(key_file(reviewer))


def has_key(reviewer: str) -> bool:
    """True when ``reviewer`` already has a private key on this computer."""
    kr = _keyring()
    if kr is not None:
        try:
            return kr.get_password(_KEYRING_SERVICE, reviewer.strip()) is not None
        except Exception:  # noqa: BLE001  (keyring backends raise their own errors)
            return False
    return key_file(reviewer).is_file()


def _pem(key: SigningKey, passphrase: str | None) -> bytes:
    from cryptography.hazmat.primitives import serialization

    enc: serialization.KeySerializationEncryption = (
        serialization.NoEncryption() if passphrase is None
        else serialization.BestAvailableEncryption(passphrase.encode("utf-8"))
    )
    return key.private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def create_key(reviewer: str, passphrase: str) -> SigningKey:
    """Make and keep a new key for ``reviewer``; refuses to replace an existing one.

    The keyring (when usable) keeps the PEM; otherwise the PKCS #8 file is encrypted with
    ``passphrase`` (at least :data:`MIN_PASSPHRASE` characters) and written with mode 0600.
    """
    reviewer = reviewer.strip()
    if has_key(reviewer):
        raise SigningKeyError(key_location(reviewer), f"{reviewer} already has a signing key; it is not replaced")
    if len(passphrase) < MIN_PASSPHRASE:
        raise SigningKeyError(None, f"the passphrase must have at least {MIN_PASSPHRASE} characters")
    key = generate_key(reviewer)
    kr = _keyring()
    if kr is not None:
        try:
            kr.set_password(_KEYRING_SERVICE, reviewer, _pem(key, passphrase).decode("ascii"))
            return key
        except Exception as err:  # noqa: BLE001  (keyring backends raise their own errors)
            raise SigningKeyError(None, f"the system keyring refused the key: {err}") from None
    path = key_file(reviewer)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_pem(key, passphrase))
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        raise SigningKeyError(path, f"cannot write the key file: {err.strerror or err}") from None
    return key


def load_key(reviewer: str, passphrase: str) -> SigningKey:
    """Unlock ``reviewer``'s private key with the passphrase (SigningKeyError on a wrong one)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    reviewer = reviewer.strip()
    kr = _keyring()
    where = key_location(reviewer)
    try:
        if kr is not None:
            text = kr.get_password(_KEYRING_SERVICE, reviewer)
            if text is None:
                raise SigningKeyError(where, f"{reviewer} has no signing key")
            data = text.encode("ascii")
        else:
            path = key_file(reviewer)
            if not path.is_file():
                raise SigningKeyError(path, f"{reviewer} has no signing key")
            if path.stat().st_size > 64 * 1024:
                raise SigningKeyError(path, "not a key file (too large)")
            data = path.read_bytes()
    except OSError as err:
        raise SigningKeyError(where, f"cannot read the key: {err.strerror or err}") from None
    try:
        private = serialization.load_pem_private_key(data, password=passphrase.encode("utf-8"))
    except (ValueError, TypeError):
        raise SigningKeyError(where, "wrong passphrase, or not a key file") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise SigningKeyError(where, "not an Ed25519 signing key")
    return SigningKey(reviewer, private)
