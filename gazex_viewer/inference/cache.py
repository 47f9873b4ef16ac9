"""Readings cached by what the model saw and how, so a film reopened is not re-run.

The key holds the stored pixels' hash, the hash of the rendered 8-bit input the model was given, the checkpoint,
adapter and tokenizer/chat-template hashes, the coordinate frame, the image budget, the dtype and device class, and
the settings that change the output. A cache hit is a new reading (fresh reading id, the identity of the film it is
reopened for) that records where it came from in ``producer.generation["cached_from"]``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from gazex_viewer.core.reading.document import ImageRef, Reading, new_id
from gazex_viewer.inference.api import GenerationSettings

#: bump when the way a reading is produced changes, so old cached readings are not reused
CACHE_FORMAT = 3


def default_cache_dir() -> Path:
    """``$GAZEX_CACHE_DIR/readings`` or platformdirs' user cache dir for gazex-viewer."""
    override = os.environ.get("GAZEX_CACHE_DIR")
    if override:
        return Path(override) / "readings"
    import platformdirs

    return Path(platformdirs.user_cache_dir("gazex-viewer")) / "readings"


def reading_cache_key(
    *,
    pixel_sha256: str,
    checkpoint_sha256: str | None,
    adapter_sha256: str | None,
    frame: str,
    max_pixels: int,
    settings: GenerationSettings,
    display_sha256: str | None = None,
    processor_sha256: str | None = None,
    dtype: str | None = None,
    device: str | None = None,
    extra: dict[str, Any] | None = None,
) -> str:
    """A stable hex key for one (image, model, settings) combination.

    ``display_sha256`` is :func:`display_sha256` of the 8-bit input the model is given, ``processor_sha256`` the
    hash of the tokenizer / chat template / processor files; ``device`` counts by its class (``cuda:1`` is
    ``cuda``).
    """
    parts: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "pixels": pixel_sha256,
        "display": display_sha256,
        "checkpoint": checkpoint_sha256,
        "adapter": adapter_sha256,
        "processor": processor_sha256,
        "frame": frame,
        "max_pixels": max_pixels,
        "dtype": dtype,
        "device": None if device is None else device.split(":", 1)[0],
        "settings": settings.cache_key(),
    }
    if extra:  # the model-input rendering and the exact prompts
        parts["extra"] = extra
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def display_sha256(display: np.ndarray) -> str:
    """sha256 of a rendered input image: its dtype, shape and bytes (C order)."""
    arr = np.ascontiguousarray(display)
    h = hashlib.sha256(f"{arr.dtype.str}{arr.shape}".encode("ascii"))
    h.update(arr.tobytes())
    return h.hexdigest()


def reopened(cached: Reading, image: ImageRef) -> Reading:
    """A cached reading as a new reading of ``image``: fresh reading id, the film's own identity.

    Parameters
    ----------
    cached
        The reading taken from the cache (changed in place and returned).
    image
        The film it is reopened for (file name, DICOM UIDs of this instance).

    Returns
    -------
    Reading
        With ``producer.generation["cached_from"]`` naming the reading, file and UID it was copied from,
        so a review of this film is never recorded against the first one.
    """
    origin = {
        "reading_id": cached.reading_id,
        "file_name": cached.image.file_name,
        "sop_instance_uid": cached.image.sop_instance_uid,
        "created": cached.producer.created,
    }
    cached.image = image
    cached.reading_id = new_id("r")
    cached.parent_id = None
    cached.review = None
    cached.producer.generation = {**cached.producer.generation, "cached_from": origin}
    return cached


class ReadingCache:
    """A folder of cached model readings, one JSON file per key. Unreadable entries count as misses."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()

    def path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> Reading | None:
        """The cached reading for ``key``, or None."""
        p = self.path(key)
        try:
            return Reading.from_json(p.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, key: str, reading: Reading) -> None:
        """Store a reading (best effort: a read-only cache folder is not an error)."""
        p = self.path(key)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            reading.save(p)
        except OSError:
            pass
