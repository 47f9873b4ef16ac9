"""Where a film comes from: the :class:`ImageSource` seam (a file on disk, a PACS instance).

An image source has a name a person reads, an identity made of DICOM UIDs (never a temporary
file's name), a header (the DICOM attributes without pixels, None for PNG/JPEG) and ``open()``,
which returns the :class:`~gazex_viewer.core.imaging.radiograph.Radiograph`; the film keeps its
source (``Radiograph.source``), and titles, the reading's image reference and exports ask the
source, not a file path. The first three are the film's own :class:`FilmSource` part (in
:mod:`.radiograph`, so that the film does not depend on this module). Implementations:
:class:`~gazex_viewer.core.imaging.files.FileSource` (a file), the PACS sources in
:mod:`gazex_viewer.core.pacs`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from gazex_viewer.core.imaging.radiograph import FilmSource, Radiograph

if TYPE_CHECKING:
    from pydicom.dataset import Dataset


@runtime_checkable
class ImageSource(FilmSource, Protocol):
    """A film that can be opened: a file, a PACS instance (``name``, ``identity``, ``header()``, ``open()``)."""

    def open(self) -> Radiograph:
        """The radiograph (RadiographError / PacsError with one clear line when it cannot be opened)."""
        ...


def read_source_dataset(image_path: str | os.PathLike[str] | None, *, referenceable: bool = True) -> Dataset | None:
    """The source image's DICOM header, or None when the path is absent, missing or not DICOM.

    ``referenceable`` (the default) also gives None for a header without SOP Instance and Class
    UIDs (it cannot be referenced by an SR); False gives any DICOM header (a film's source).
    """
    if image_path is None:
        return None
    import pydicom
    from pydicom.errors import InvalidDicomError

    path = Path(image_path)
    if not path.is_file():
        return None
    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True)
    except (InvalidDicomError, OSError, ValueError, EOFError, TypeError):
        return None
    if referenceable and ("SOPInstanceUID" not in ds or "SOPClassUID" not in ds):
        return None
    return ds


__all__ = ["ImageSource", "read_source_dataset"]
