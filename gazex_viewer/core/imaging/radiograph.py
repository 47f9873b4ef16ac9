"""The film itself: :class:`Radiograph` (frame 1, its metadata, window presets and default display).

Owns what a radiograph *is* once opened, whatever it was opened from: the stored grey values of
frame 1 and their SHA-256 (provenance), the modality values, the window presets, the metadata a
radiologist checks (:class:`RadiographMetadata`), and :meth:`Radiograph.render`, the 8-bit grey
image that the viewer (and ``gazex-viewer render``) shows: modality LUT or rescale, then the
header's VOI LUT Sequence or window (or the full range), then MONOCHROME1 inversion, with dcmtk's
arithmetic (see :mod:`gazex_viewer.core.imaging.display`).

A film is identified by where it came from, its ``source`` (:class:`FilmSource`: a name a person
reads, the DICOM UIDs as an :class:`ImageIdentity`, the header), never by a file path: the full
seam, with ``open()``, is :class:`~gazex_viewer.core.imaging.source.ImageSource`.

Opening is elsewhere: :mod:`.files` (``load_radiograph``, folders), :mod:`.dicom` (headers,
presets, ``radiograph_from_dataset``), :mod:`.codecs` (compressed streams) and :mod:`.bitmap`
(PNG/JPEG).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from gazex_viewer.core.imaging import display
from gazex_viewer.core.imaging.dicom_overlays import OverlayPlane, burn_in

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

    from gazex_viewer.core.reading.document import ImageRef

#: the largest frame (rows x columns) that is opened; checked before any pixel allocation
MAX_PIXELS = 100_000_000


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
class FilmSource(Protocol):
    """Where a film came from, as the film knows it: what identifies it, titles it and heads its exports.

    Every :class:`~gazex_viewer.core.imaging.source.ImageSource` is one (it adds ``open()``); this
    part lives here so that the film does not depend on the seam that opens it.
    """

    @property
    def name(self) -> str:
        """What a person reads (the file name, the SOP Instance UID + ".dcm")."""
        ...

    @property
    def identity(self) -> ImageIdentity:
        """The film's DICOM UIDs."""
        ...

    def header(self) -> Dataset | None:
        """The DICOM attributes without pixels, None when the film is not DICOM."""
        ...


@dataclass(frozen=True)
class WindowPreset:
    """A VOI setting the viewer can apply.

    ``center``/``width`` are in modality units. ``function`` is the VOI LUT function
    (``"LINEAR"``, ``"LINEAR_EXACT"``, ``"SIGMOID"``) or ``"VOI_LUT"`` for the header's VOI LUT
    Sequence item ``lut_index`` (0-based; its center/width then only describe the input range).
    """

    center: float
    width: float
    name: str
    function: str = "LINEAR"
    lut_index: int | None = None
    explanation: str | None = None


@dataclass
class RadiographMetadata:
    """What a radiologist checks before reading a film (all optional except the format)."""

    source_format: str
    patient_name: str | None = None
    patient_id: str | None = None
    study_date: str | None = None
    study_description: str | None = None
    modality: str | None = None
    view_position: str | None = None
    laterality: str | None = None
    #: (row, column) spacing in mm
    pixel_spacing_mm: tuple[float, float] | None = None
    #: "PixelSpacing" (in the patient) or "ImagerPixelSpacing" (at the detector: lengths are magnified)
    spacing_kind: str | None = None
    sop_instance_uid: str | None = None
    study_instance_uid: str | None = None
    series_instance_uid: str | None = None
    sop_class_uid: str | None = None
    transfer_syntax: str | None = None
    photometric: str = "MONOCHROME2"
    bits_stored: int | None = None
    n_frames: int = 1
    rows: int | None = None
    columns: int | None = None
    lossy_compressed: bool = False


@dataclass
class VoiLut:
    """One item of the header's VOI LUT Sequence: the table, its first mapped value and bit depth."""

    data: np.ndarray
    first_mapped: int
    bits: int
    explanation: str | None


class Radiograph:
    """One radiograph (frame 1), its metadata, presets and the default display.

    Build it with :func:`~gazex_viewer.core.imaging.files.load_radiograph` (a file),
    :func:`~gazex_viewer.core.imaging.dicom.radiograph_from_dataset` (a DICOM data set) or an
    :class:`~gazex_viewer.core.imaging.source.ImageSource`'s ``open()``.

    Attributes
    ----------
    source : FilmSource
        Where it came from: its name (titles, the reading's ``file_name``), its DICOM identity and
        header (exports). This, not a path, identifies the film.
    path : Path or None
        The file its pixels were read from, when there is one (a convenience for work on the file
        itself; None for a film that was never a file). Never used for identity, titles or export.
    metadata : RadiographMetadata
        What the radiologist checks (patient, study, view, spacing, UIDs, photometric).
    presets : list of WindowPreset
        Header VOI LUTs and windows first (in header order), "Full range" last.
    pixel_sha256 : str
        SHA-256 (hex) of the stored grey values of frame 1, C order, little-endian, in their
        decoded dtype (``stored``): the same for a file and its losslessly recompressed copy.
    notes : list of str
        What the radiologist should know (more frames, colour shown grey, lossy, bad spacing).
    """

    def __init__(
        self,
        *,
        source: FilmSource,
        stored: np.ndarray,
        metadata: RadiographMetadata,
        pixel_sha256: str,
        presets: list[WindowPreset],
        notes: list[str] | None = None,
        rescale: tuple[float, float] = (1.0, 0.0),
        modality_lut: tuple[np.ndarray, int] | None = None,
        voi_luts: list[VoiLut] | None = None,
        overlays: list[OverlayPlane] | None = None,
        path: Path | None = None,
    ) -> None:
        self.source = source
        self.path = path
        self.metadata = metadata
        self.pixel_sha256 = pixel_sha256
        self.presets = presets
        self.notes = list(notes or [])
        self._stored = stored
        self._rescale = rescale
        self._modality_lut = modality_lut
        self._voi_luts = list(voi_luts or [])
        #: DICOM overlay planes (60xx) of frame 1, drawn by :meth:`render` unless ``overlays=False``
        self.overlay_planes: list[OverlayPlane] = list(overlays or [])
        self._modality: np.ndarray | None = None
        self._domain: tuple[np.ndarray, np.ndarray] | None = None  # (index array, modality values)
        self._lut_cache: dict[tuple[Any, ...], np.ndarray] = {}

    @property
    def name(self) -> str:
        """What a person reads for this film (its source's name): window title, metadata, reading's file name."""
        return self.source.name

    # -- geometry ------------------------------------------------------------------------------
    @property
    def width(self) -> int:
        """Columns of the image."""
        return int(self._stored.shape[1])

    @property
    def height(self) -> int:
        """Rows of the image."""
        return int(self._stored.shape[0])

    @property
    def stored(self) -> np.ndarray:
        """Stored pixel values of frame 1 (grey; read-only view)."""
        view = self._stored.view()
        view.flags.writeable = False
        return view

    @property
    def monochrome1(self) -> bool:
        """True when low values are shown white (MONOCHROME1)."""
        return self.metadata.photometric == "MONOCHROME1"

    @property
    def default_preset(self) -> WindowPreset:
        """The preset :meth:`render` uses without a window: VOI LUT, first header window or full range."""
        return self.presets[0]

    # -- modality values -----------------------------------------------------------------------
    def _modality_of(self, values: np.ndarray) -> np.ndarray:
        """Exact modality values (float64) of stored values."""
        if self._modality_lut is not None:
            lut, first = self._modality_lut
            idx = np.clip(values.astype(np.int64) - first, 0, lut.size - 1)
            return lut[idx].astype(np.float64)
        slope, intercept = self._rescale
        out = values.astype(np.float64)
        if slope != 1.0:
            out *= slope
        if intercept != 0.0:
            out += intercept
        return out

    @property
    def modality(self) -> np.ndarray:
        """Frame 1 after the modality LUT or rescale, 2-D float32 (computed on first use)."""
        if self._modality is None:
            if self._stored.dtype.itemsize <= 2 and self._stored.dtype.kind in "ui":
                idx, values = self._display_domain()
                self._modality = values.astype(np.float32)[idx]
            else:
                self._modality = self._modality_of(self._stored).astype(np.float32)
            self._modality.flags.writeable = False
        return self._modality

    def _display_domain(self) -> tuple[np.ndarray, np.ndarray]:
        """(index array into a table, exact modality value of each table entry)."""
        if self._domain is None:
            s = self._stored
            if s.dtype == np.uint8 or s.dtype == np.uint16:
                top = int(s.max())
                values = self._modality_of(np.arange(top + 1, dtype=np.int64))
                self._domain = (s, values)
            elif s.dtype == np.int8 or s.dtype == np.int16:
                lo = int(s.min())
                hi = int(s.max())
                idx = (s.astype(np.int32) - lo).astype(np.uint16)
                values = self._modality_of(np.arange(lo, hi + 1, dtype=np.int64))
                self._domain = (idx, values)
            else:  # 32-bit data: one table entry per pixel
                flat = self._modality_of(s)
                self._domain = (np.arange(s.size, dtype=np.intp).reshape(s.shape), flat.ravel())
        return self._domain

    def _display_values(self) -> np.ndarray:
        """Modality values of the table entries as dcmtk holds them (integer, truncated)."""
        _, values = self._display_domain()
        if self._modality_lut is None and self._rescale != (1.0, 0.0):
            truncated: np.ndarray = np.trunc(values)
            return truncated
        return values

    def modality_range(self) -> tuple[float, float]:
        """Smallest and largest modality value of frame 1 (as used for the full range)."""
        idx, _ = self._display_domain()
        values = self._display_values()
        lo_i = int(idx.min())
        hi_i = int(idx.max())
        if self._stored.dtype.itemsize > 2:
            return float(values.min()), float(values.max())
        used = values[lo_i : hi_i + 1]
        return float(used.min()), float(used.max())

    # -- display -------------------------------------------------------------------------------
    def _lut_for(self, preset: WindowPreset) -> np.ndarray:
        key = (preset.function, preset.center, preset.width, preset.lut_index)
        lut = self._lut_cache.get(key)
        if lut is None:
            values = self._display_values()
            if preset.function == "VOI_LUT":
                if preset.lut_index is None or not 0 <= preset.lut_index < len(self._voi_luts):
                    raise ValueError(f"no VOI LUT {preset.lut_index} in {self.name}")
                v = self._voi_luts[preset.lut_index]
                lut = display.voi_lut_sequence_lut(
                    values, v.data, v.first_mapped, v.bits, monochrome1=self.monochrome1
                )
            else:
                lut = display.window_lut(
                    values,
                    preset.center,
                    preset.width,
                    function=preset.function,
                    monochrome1=self.monochrome1,
                )
            if len(self._lut_cache) > 16:
                self._lut_cache.clear()
            self._lut_cache[key] = lut
        return lut

    def render(
        self, window: WindowPreset | None = None, *, invert: bool = False, overlays: bool = True
    ) -> np.ndarray:
        """The 8-bit grey display of frame 1.

        Parameters
        ----------
        window
            ``None`` for the default display (header VOI LUT Sequence, else the first header
            window, else the full range). A preset overrides the VOI; a preset built by the caller
            (function ``"LINEAR"``) is a linear window in modality units.
        invert
            Flip the final display (the user's invert toggle), after MONOCHROME1 handling.
        overlays
            Burn in the DICOM overlay planes (60xx) as dcmtk does (white graphics, dimmed
            outside a region of interest); False shows the film without them.

        Returns
        -------
        numpy.ndarray
            ``uint8`` array, shape ``(rows, cols)``.
        """
        preset = self.default_preset if window is None else window
        lut = self._lut_for(preset)
        if invert:
            lut = (255 - lut).astype(np.uint8)
        idx, _ = self._display_domain()
        # fancy indexing casts the uint16 indices in buffered chunks (np.take would allocate an
        # int64 copy of the whole index array: 8 bytes per pixel)
        shown: np.ndarray = lut[idx]
        if overlays and self.overlay_planes:
            return burn_in(shown, self.overlay_planes)
        return shown

    def image_ref(self) -> ImageRef:
        """The :class:`~gazex_viewer.core.reading.document.ImageRef` of this image (frame 1)."""
        from gazex_viewer.core.reading.document import ImageRef

        m = self.metadata
        return ImageRef(
            file_name=self.source.name,
            width=self.width,
            height=self.height,
            pixel_sha256=self.pixel_sha256,
            sop_instance_uid=m.sop_instance_uid,
            study_instance_uid=m.study_instance_uid,
            series_instance_uid=m.series_instance_uid,
            sop_class_uid=m.sop_class_uid,
            frame=1,
        )

    def __repr__(self) -> str:
        return (
            f"Radiograph({self.name!r}, {self.width}x{self.height}, "
            f"{self.metadata.source_format}, {self.metadata.photometric})"
        )


# ------------------------------------------------------------------------------------------------
# the stored grey values every opener hands the film
# ------------------------------------------------------------------------------------------------
def pixel_sha256(arr: np.ndarray) -> str:
    """SHA-256 of the C-order little-endian bytes of ``arr`` (:attr:`Radiograph.pixel_sha256` of the stored values)."""
    a = np.ascontiguousarray(arr)
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and np.little_endian is False):
        a = a.astype(a.dtype.newbyteorder("<"))
    return hashlib.sha256(a.data.cast("B")).hexdigest()


def rgb_to_grey(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma, the same integer formula as Pillow's ``convert("L")``."""
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    b = rgb[..., 2].astype(np.uint32)
    if rgb.dtype.itemsize == 1:
        grey8: np.ndarray = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)
        return grey8
    grey = np.rint(0.299 * r + 0.587 * g + 0.114 * b)
    out: np.ndarray = grey.astype(rgb.dtype)
    return out


def is_grey_rgb(rgb: np.ndarray) -> bool:
    """Whether a colour image's three channels are equal (it is grey stored as colour)."""
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))


__all__ = [
    "MAX_PIXELS",
    "FilmSource",
    "ImageIdentity",
    "Radiograph",
    "RadiographMetadata",
    "VoiLut",
    "WindowPreset",
    "is_grey_rgb",
    "pixel_sha256",
    "rgb_to_grey",
]
