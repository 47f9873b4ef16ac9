"""Where a film comes from: the :class:`ImageSource` seam (a file on disk, a PACS instance).

An image source has a name a person reads, an identity made of DICOM UIDs (never a temporary
file's name), a header (the DICOM attributes without pixels, None for PNG/JPEG) and ``open()``,
which returns the :class:`~gazex_viewer.core.imaging.radiograph.Radiograph`. :class:`FileSource` wraps
today's :func:`~gazex_viewer.core.imaging.radiograph.load_radiograph`; the PACS sources live in
:mod:`gazex_viewer.core.pacs`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from gazex_viewer.core.imaging.radiograph import Radiograph


@dataclass(frozen=True)
class ImageIdentity:
    """The DICOM identity of a film (all None for a PNG/JPEG)."""

    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    sop_instance_uid: str | None = None
    sop_class_uid: str | None = None

    @property
    def is_dicom(self) -> bool:
        """Whether the film is identified by its SOP Instance UID."""
        return self.sop_instance_uid is not None

    @classmethod
    def from_dataset(cls, ds: Dataset) -> ImageIdentity:
        """The identity recorded in a DICOM header."""

        def uid(keyword: str) -> str | None:
            value = ds.get(keyword)
            return str(value) if value else None

        return cls(uid("StudyInstanceUID"), uid("SeriesInstanceUID"), uid("SOPInstanceUID"), uid("SOPClassUID"))


@runtime_checkable
class ImageSource(Protocol):
    """A film that can be opened: a file, a PACS instance."""

    @property
    def name(self) -> str:
        """What a person reads (the file name, the SOP Instance UID + ".dcm", the series description)."""
        ...

    @property
    def identity(self) -> ImageIdentity:
        """The film's DICOM UIDs."""
        ...

    def header(self) -> Dataset | None:
        """The DICOM attributes without pixels, None when the film is not DICOM."""
        ...

    def open(self) -> Radiograph:
        """The radiograph (RadiographError / PacsError with one clear line when it cannot be opened)."""
        ...


class FileSource:
    """A film on disk (DICOM, PNG or JPEG), opened with :func:`load_radiograph`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._header: Dataset | None = None
        self._header_read = False

    @property
    def name(self) -> str:
        return self.path.name

    def header(self) -> Dataset | None:
        if not self._header_read:
            self._header = read_source_dataset(self.path) if self.path.is_file() else None
            self._header_read = True
        return self._header

    @property
    def identity(self) -> ImageIdentity:
        ds = self.header()
        return ImageIdentity() if ds is None else ImageIdentity.from_dataset(ds)

    def open(self) -> Radiograph:
        from gazex_viewer.core.imaging.radiograph import load_radiograph

        return load_radiograph(self.path)

    def __repr__(self) -> str:
        return f"FileSource({str(self.path)!r})"


def read_source_dataset(image_path: str | os.PathLike[str] | None) -> Dataset | None:
    """The source image's DICOM header, or None when the path is absent, missing or not DICOM."""
    if image_path is None:
        return None
    import pydicom
    from pydicom.errors import InvalidDicomError

    path = Path(image_path)
    if not path.is_file():
        return None
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError):
        return None
    if "SOPInstanceUID" not in ds or "SOPClassUID" not in ds:
        return None
    return ds
