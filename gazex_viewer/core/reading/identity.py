"""Reading identity: which film a reading was made on, decided in one place.

Owns :data:`UNKNOWN_PIXEL_SHA256` (the pixel hash an imported recording carries when its image was
not available) and the one rule "is this reading of this film?" (:func:`pixel_match`), used by the
overlay's film frame, the main window's warning, the SR/PDF export's refusal and the agreement's
"different films" check. Qt-free: the command line and the ui share it.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["UNKNOWN_PIXEL_SHA256", "PixelMatch", "known_pixel_hash", "pixel_hash_known", "pixel_match"]

#: pixel_sha256 of an image that is not available (credentialed datasets): 64 zeros, which the reading
#: schema's pattern accepts and no real SHA-256 of pixel data is expected to be
UNKNOWN_PIXEL_SHA256 = "0" * 64

#: what :func:`pixel_match` says: the same pixels, other pixels, or nothing to compare
PixelMatch = Literal["match", "differs", "unknown"]


def known_pixel_hash(pixel_sha256: str | None) -> str | None:
    """The hash, stripped and lower-cased, or None when it says nothing (empty, or all zeros: image unknown)."""
    h = (pixel_sha256 or "").strip().lower()
    return None if not h or set(h) == {"0"} else h


def pixel_hash_known(pixel_sha256: str | None) -> bool:
    """True for a real pixel hash, False for an empty or all-zeros ("unknown image") one."""
    return known_pixel_hash(pixel_sha256) is not None


def pixel_match(reading_sha256: str | None, film_sha256: str | None) -> PixelMatch:
    """Is the reading (pixel hash ``reading_sha256``) of the film (pixel hash ``film_sha256``)?

    ``"unknown"`` when either hash is unknown (empty, or all zeros as :data:`UNKNOWN_PIXEL_SHA256`):
    nothing can be checked, and callers fall back to what else they know (image size, SOP Instance
    UID, file name). Otherwise ``"match"`` when the hashes are equal (case aside), else ``"differs"``.
    Symmetric, so it also says whether two readings were made on the same film.
    """
    ours, theirs = known_pixel_hash(reading_sha256), known_pixel_hash(film_sha256)
    if ours is None or theirs is None:
        return "unknown"
    return "match" if ours == theirs else "differs"
