"""The files a training-data export reads: its films, found by a reading's image name, and their sizes.

Owns :class:`ImageIndex` (image files under a folder, looked up by path, name or stem), :func:`film_size`
(from the header alone), the suffixes a training image may have, and :class:`TrainingDataError`, the
one error of :mod:`gazex_viewer.core.export.training_data` and its parts.
"""

from __future__ import annotations

import os
from pathlib import Path

from gazex_viewer.core.errors import GazeXError

__all__ = ["TRAINABLE_SUFFIXES", "ImageIndex", "TrainingDataError", "film_size"]

#: image files LLaMA-Factory can open (it reads images with PIL; DICOM must be rendered first)
TRAINABLE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg")
_DICOM_SUFFIXES: tuple[str, ...] = (".dcm", ".dicom", ".dic")


class TrainingDataError(GazeXError):
    """Readings, images or options that cannot make a training dataset (names the file and the reason)."""


class ImageIndex:
    """Image files under a folder (recursive), found by a reading's ``image.file_name``.

    A name is looked up as a path relative to the folder, then by file name, then by stem (REFLACX readings name
    the MIMIC ``dicom_id`` without a suffix; MIMIC-CXR-JPG files are ``<dicom_id>.jpg``).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise TrainingDataError(self.root, "--images is not a folder")
        self._by_name: dict[str, list[Path]] = {}
        self._by_stem: dict[str, list[Path]] = {}
        suffixes = (*TRAINABLE_SUFFIXES, *_DICOM_SUFFIXES)
        for dirpath, _dirs, files in os.walk(self.root):
            for f in files:
                if Path(f).suffix.lower() in suffixes:
                    p = Path(dirpath) / f
                    self._by_name.setdefault(f, []).append(p)
                    self._by_stem.setdefault(Path(f).stem, []).append(p)

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_name.values())

    def find(self, file_name: str) -> Path | None:
        """The image for a reading's file name (None when absent).

        Raises
        ------
        TrainingDataError
            Several files match the name (ambiguous).
        """
        direct = self.root / file_name
        if file_name and not Path(file_name).is_absolute() and direct.is_file():
            return direct
        base = Path(file_name).name
        hits = self._by_name.get(base) or self._by_stem.get(base) or self._by_stem.get(Path(base).stem) or []
        if len(hits) > 1:
            # prefer a trainable file over a DICOM of the same stem
            trainable = [h for h in hits if h.suffix.lower() in TRAINABLE_SUFFIXES]
            if len(trainable) == 1:
                return trainable[0]
            shown = ", ".join(str(h.relative_to(self.root)) for h in sorted(hits)[:3])
            raise TrainingDataError(self.root, f"film {file_name!r} matches {len(hits)} files ({shown})")
        return hits[0] if hits else None


def film_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG/JPEG from its header (DICOM: Columns x Rows).

    Raises
    ------
    TrainingDataError
        The file cannot be read as an image.
    """
    if path.suffix.lower() in _DICOM_SUFFIXES:
        try:
            import pydicom

            ds = pydicom.dcmread(str(path), stop_before_pixels=True)
            return int(ds.Columns), int(ds.Rows)
        except Exception as exc:  # noqa: BLE001 - any unreadable header is one line
            raise TrainingDataError(path, f"cannot read the DICOM header ({type(exc).__name__})") from None
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return int(img.width), int(img.height)
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise TrainingDataError(path, f"not a readable PNG/JPEG image ({type(exc).__name__})") from None
