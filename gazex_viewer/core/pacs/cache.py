"""Retrieved PACS instances on disk: reopening a study is instant, the folder never grows unbounded.

Files are named by SOP Instance UID (``<uid>.dcm``; a UID with characters other than digits and dots,
or longer than 64, gets ``x-<sha256 of it>.dcm``). Each file is written to a hidden ``.partial``
temporary in the same folder, flushed, and renamed into place, so a crash or a failed retrieve never
leaves a partial ``.dcm``. After each write the oldest files (by last use: a hit touches the file)
are removed until the folder fits ``max_bytes``; the file just written is kept.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from gazex_viewer.core.pacs import PacsError

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

DEFAULT_MAX_BYTES = 4 << 30
_UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
#: temporaries older than this are left over from a crash and removed
_STALE_PARTIAL_S = 3600.0


def default_cache_dir() -> Path:
    """``$GAZEX_CACHE_DIR/pacs`` or platformdirs' user cache dir for gazex-viewer, ``pacs``."""
    override = os.environ.get("GAZEX_CACHE_DIR")
    if override:
        return Path(override) / "pacs"
    import platformdirs

    return Path(platformdirs.user_cache_dir("gazex-viewer")) / "pacs"


def cache_file_name(sop_instance_uid: str) -> str:
    """The cache file's name for a SOP Instance UID (safe for any UID)."""
    uid = sop_instance_uid.strip()
    if _UID.match(uid) and len(uid) <= 64:
        return f"{uid}.dcm"
    return "x-" + hashlib.sha256(uid.encode("utf-8", "surrogatepass")).hexdigest()[:40] + ".dcm"


class RetrieveCache:
    """A size-bounded folder of retrieved DICOM instances."""

    def __init__(self, root: str | os.PathLike[str] | None = None, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root) if root is not None else default_cache_dir()
        self.max_bytes = int(max_bytes)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise PacsError(self.root, f"cannot create the retrieve cache ({err.strerror or err})") from None
        self._remove_stale_partials()

    def path_for(self, sop_instance_uid: str) -> Path:
        return self.root / cache_file_name(sop_instance_uid)

    def get(self, sop_instance_uid: str) -> Path | None:
        """The cached file of an instance (touched: it becomes the newest), or None."""
        path = self.path_for(sop_instance_uid)
        try:
            os.utime(path)
        except OSError:
            return None
        return path

    def put_dataset(self, sop_instance_uid: str, ds: Dataset) -> Path:
        """Store a retrieved dataset as a DICOM file (atomically); returns its path."""

        def write(f: BinaryIO) -> None:
            ds.save_as(f, enforce_file_format=True)

        return self._put(sop_instance_uid, write)

    def put_bytes(self, sop_instance_uid: str, data: bytes) -> Path:
        """Store a retrieved DICOM file's bytes (atomically); returns its path."""
        return self._put(sop_instance_uid, lambda f: f.write(data))

    def _put(self, sop_instance_uid: str, write: Callable[[BinaryIO], object]) -> Path:
        final = self.path_for(sop_instance_uid)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{final.stem[:40]}.", suffix=".partial", dir=self.root)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except BaseException as err:
            tmp.unlink(missing_ok=True)
            if isinstance(err, OSError):
                raise PacsError(final, f"cannot write to the retrieve cache ({err.strerror or err})") from None
            raise
        self.evict(keep=final)
        return final

    def files(self) -> list[Path]:
        """The cached files, oldest (least recently used) first."""
        entries: list[tuple[float, Path]] = []
        for p in self.root.glob("*.dcm"):
            try:
                entries.append((p.stat().st_mtime, p))
            except OSError:
                continue
        return [p for _, p in sorted(entries)]

    def size_bytes(self) -> int:
        total = 0
        for p in self.root.glob("*.dcm"):
            try:
                total += p.stat().st_size
            except OSError:
                continue
        return total

    def evict(self, keep: Path | None = None) -> list[Path]:
        """Remove the oldest files until the cache fits ``max_bytes``; returns what was removed."""
        files = self.files()
        sizes = {}
        for p in files:
            try:
                sizes[p] = p.stat().st_size
            except OSError:
                sizes[p] = 0
        total = sum(sizes.values())
        removed: list[Path] = []
        for p in files:
            if total <= self.max_bytes:
                break
            if keep is not None and p == keep:
                continue
            try:
                p.unlink()
            except OSError:
                continue
            total -= sizes[p]
            removed.append(p)
        return removed

    def _remove_stale_partials(self) -> None:
        now = time.time()
        for p in self.root.glob(".*.partial"):
            try:
                if now - p.stat().st_mtime > _STALE_PARTIAL_S:
                    p.unlink()
            except OSError:
                continue

    def __repr__(self) -> str:
        return f"RetrieveCache({str(self.root)!r}, max_bytes={self.max_bytes})"
