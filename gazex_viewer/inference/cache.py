"""Readings cached by (pixel hash, checkpoint hash, adapter hash, frame, settings), so a film reopened is not re-run."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from gazex_viewer.core.reading import Reading
from gazex_viewer.inference.api import GenerationSettings

#: bump when the way a reading is produced changes, so old cached readings are not reused
CACHE_FORMAT = 1


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
    checkpoint_sha256: str,
    adapter_sha256: str | None,
    frame: str,
    max_pixels: int,
    settings: GenerationSettings,
) -> str:
    """A stable hex key for one (image, model, settings) combination."""
    parts: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "pixels": pixel_sha256,
        "checkpoint": checkpoint_sha256,
        "adapter": adapter_sha256,
        "frame": frame,
        "max_pixels": max_pixels,
        "settings": settings.cache_key(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


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
