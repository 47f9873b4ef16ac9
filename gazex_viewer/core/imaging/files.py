"""Films on disk: :func:`load_radiograph`, :class:`FileSource`, :func:`is_image_file`, :func:`find_images`.

Owns how a file is recognised (by its first bytes: the DICOM preamble, a DICOM data set without
one, the PNG or JPEG magic; by its name ending when listing a folder) and handed to the reader of
its kind (:mod:`.dicom` or :mod:`.bitmap`), and the file as an
:class:`~gazex_viewer.core.imaging.source.ImageSource` (:class:`FileSource`). Bad input raises
:class:`~gazex_viewer.core.errors.RadiographError` naming the file and the reason: missing, a
folder, empty, not an image, or any failure of a decoder, always as one line.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from gazex_viewer.core.errors import RadiographError
from gazex_viewer.core.imaging.bitmap import load_bitmap
from gazex_viewer.core.imaging.dicom import load_dicom_file
from gazex_viewer.core.imaging.radiograph import (
    MAX_PIXELS,
    FilmSource,
    ImageIdentity,
    Radiograph,
)
from gazex_viewer.core.imaging.source import read_source_dataset

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

#: file name endings treated as images when listing a folder (DICOM is also found by content)
IMAGE_SUFFIXES: tuple[str, ...] = (".dcm", ".dicom", ".dic", ".png", ".jpg", ".jpeg")

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"


class FileSource:
    """A film on disk (DICOM, PNG or JPEG), opened with :func:`load_radiograph`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._header: Dataset | None = None
        self._header_read = False

    @property
    def name(self) -> str:
        """The file's name."""
        return self.path.name

    def header(self) -> Dataset | None:
        """The file's DICOM header (read once), None when it is not a DICOM image."""
        if not self._header_read:
            self._header = read_source_dataset(self.path, referenceable=False) if self.path.is_file() else None
            self._header_read = True
        return self._header

    @property
    def identity(self) -> ImageIdentity:
        """The DICOM UIDs in the file's header (all None for a PNG/JPEG)."""
        ds = self.header()
        return ImageIdentity() if ds is None else ImageIdentity.from_dataset(ds)

    def open(self) -> Radiograph:
        """The film in the file (RadiographError with one clear line when it cannot be opened)."""
        return load_radiograph(self.path, source=self)

    def __repr__(self) -> str:
        return f"FileSource({str(self.path)!r})"


def _read_head(path: Path, n: int = 132) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(n)


#: value representations (PS3.5 6.2), to recognise an explicit-VR first element
_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV".split()
)


def _legacy_dicom_head(head: bytes) -> bool:
    """Whether bytes look like a little-endian DICOM data set without preamble.

    The first tag must be in a standard (even) group up to 7FE0 (0002, 0008, 0010, 0018, 0020,
    0028, ...), followed by a known VR (explicit VR) or a short even length (implicit VR) and,
    when the bytes reach it, a second tag that follows the first in order.
    """
    if len(head) < 8:
        return False
    group = int.from_bytes(head[0:2], "little")
    elem = int.from_bytes(head[2:4], "little")
    if group % 2 or not 0x0002 <= group <= 0x7FE0:
        return False
    if head[4:6] in _VRS:
        return True  # explicit VR
    length = int.from_bytes(head[4:8], "little")
    if length % 2 or length >= 1 << 16:  # implicit VR: a short first element, even as DICOM requires
        return False
    nxt = 8 + length
    if len(head) >= nxt + 4:
        group2 = int.from_bytes(head[nxt : nxt + 2], "little")
        elem2 = int.from_bytes(head[nxt + 2 : nxt + 4], "little")
        return (group2, elem2) > (group, elem) and group2 <= 0x7FE0
    return True


def _sniff(path: Path) -> str | None:
    """``"DICOM"``, ``"LEGACY_DICOM"``, ``"PNG"``, ``"JPEG"`` or None, from the first bytes."""
    head = _read_head(path)
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "DICOM"
    if head.startswith(_PNG_MAGIC):
        return "PNG"
    if head.startswith(_JPEG_MAGIC):
        return "JPEG"
    if _legacy_dicom_head(head):
        return "LEGACY_DICOM"
    return None


def load_radiograph(
    path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS, source: FilmSource | None = None
) -> Radiograph:
    """Open a chest radiograph: DICOM (any supported transfer syntax, with or without file meta),
    PNG (8 or 16 bit) or JPEG (grey or colour, shown grey).

    Parameters
    ----------
    path
        The image file.
    max_pixels
        Refuse frames with more pixels than this (checked from the header, before decoding).
    source
        What the film is identified by (:attr:`Radiograph.source`): by default a
        :class:`FileSource` of ``path``; a source whose pixels sit in this file (a PACS instance in
        the retrieve cache) passes itself.

    Returns
    -------
    Radiograph
        Frame 1, with metadata, window presets and the default display.

    Raises
    ------
    RadiographError
        When the file is missing, empty, truncated, not an image, inconsistent, too large or of
        an unsupported kind; the message names the file and the reason.
    """
    p = Path(path)
    if not p.exists():
        raise RadiographError(p, "file not found")
    if p.is_dir():
        raise RadiographError(p, "is a folder, not an image file (open the images in it one by one)")
    try:
        size = p.stat().st_size
        kind = _sniff(p)
    except OSError as err:
        raise RadiographError(p, f"cannot read file ({err.strerror or err})") from None
    if size == 0:
        raise RadiographError(p, "file is empty")
    if kind is None:
        raise RadiographError(p, "not a DICOM, PNG or JPEG image")
    origin: FilmSource = FileSource(p) if source is None else source
    try:
        if kind in ("DICOM", "LEGACY_DICOM"):
            return load_dicom_file(p, origin, legacy=kind == "LEGACY_DICOM", max_pixels=max_pixels)
        return load_bitmap(p, kind, origin, max_pixels=max_pixels)
    except RadiographError:
        raise
    except MemoryError:
        raise RadiographError(p, "not enough memory to open the image") from None
    except Exception as err:  # noqa: BLE001 - a decoder failing in a way not foreseen: still one clear line
        raise RadiographError(p, f"cannot open image ({type(err).__name__}: {err})") from None


def is_image_file(path: str | os.PathLike[str]) -> bool:
    """Whether a file looks like a radiograph this module can open (by name or by content)."""
    p = Path(path)
    if not p.is_file():
        return False
    if p.suffix.lower() in IMAGE_SUFFIXES:
        return True
    try:
        kind = _sniff(p)
    except OSError:
        return False
    if kind == "LEGACY_DICOM":
        return _legacy_has_image(p)
    return kind is not None


def _legacy_has_image(path: Path) -> bool:
    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    except Exception:  # noqa: BLE001 - unreadable as DICOM: not an image
        return False
    return "Rows" in ds and "Columns" in ds


def _iter_files(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir(), key=lambda q: q.name):
        if entry.is_file() and not entry.name.startswith("."):
            yield entry


def find_images(folder: str | os.PathLike[str]) -> list[Path]:
    """The images in a folder, sorted by name (not recursive).

    A file is listed when its name ends in one of :data:`IMAGE_SUFFIXES` or when its content is
    DICOM (the "DICM" preamble, or a parseable data set without one), PNG or JPEG.

    Raises
    ------
    RadiographError
        When the folder does not exist or holds no images.
    """
    p = Path(folder)
    if not p.is_dir():
        raise RadiographError(p, "not a folder" if p.exists() else "folder not found")
    found = [f for f in _iter_files(p) if is_image_file(f)]
    if not found:
        raise RadiographError(p, "no DICOM, PNG or JPEG images in this folder")
    return found


__all__ = ["IMAGE_SUFFIXES", "FileSource", "find_images", "is_image_file", "load_radiograph"]
