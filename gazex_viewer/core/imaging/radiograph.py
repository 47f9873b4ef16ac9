"""Chest radiographs: loading (DICOM, PNG, JPEG, folders), metadata and the default display.

:func:`load_radiograph` opens one file and returns a :class:`Radiograph`: frame 1 of the stored
pixels, the modality values, the window presets from the header, the metadata a radiologist
checks and a SHA-256 of the pixels for provenance. :meth:`Radiograph.render` produces the 8-bit
grey image that the viewer (and ``gazex-viewer render``) shows: modality LUT or rescale, then the
header's VOI LUT Sequence or window (or the full range), then MONOCHROME1 inversion, with dcmtk's
arithmetic (see :mod:`gazex_viewer.core.imaging.display`).

Decoders (chosen per transfer syntax, first that is installed and succeeds): JPEG 2000 with
pylibjpeg-openjpeg (MIT; OpenJPEG BSD-2), then GDCM (BSD), then Pillow (HPND); JPEG-LS with
pyjpegls (MIT; CharLS BSD-3), then GDCM; JPEG baseline and 8-bit extended with Pillow
(libjpeg-turbo, IJG/BSD), then GDCM; 12-bit JPEG extended with imagecodecs' libjpeg-turbo 3
(BSD-3, :mod:`gazex_viewer.core.imaging.dicom_jpeg12`; pydicom's own 12-bit decoder, pylibjpeg-libjpeg, is
GPLv3 and deliberately not used); JPEG lossless with GDCM; RLE with pydicom (MIT). PNG and JPEG
files are read with Pillow.

Bad input raises :class:`~gazex_viewer.core.errors.RadiographError` naming the file and the reason.
Sizes are checked from the header (DICOM Rows x Columns, PIL's size) before any pixel allocation;
for compressed DICOM also from the JPEG / JPEG-LS SOF or JPEG 2000 SIZ segment of frame 1, which
must agree with Rows x Columns (a decompression bomb is refused without being decoded).
"""

from __future__ import annotations

import hashlib
import math
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gazex_viewer.core.errors import RadiographError
from gazex_viewer.core.imaging import dicom_jpeg12, dicom_transfer, display
from gazex_viewer.core.imaging.dicom_overlays import (
    OverlayPlane,
    burn_in,
    read_overlay_planes,
)

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

    from gazex_viewer.core.reading.document import ImageRef

#: file name endings treated as images when listing a folder (DICOM is also found by content)
IMAGE_SUFFIXES: tuple[str, ...] = (".dcm", ".dicom", ".dic", ".png", ".jpg", ".jpeg")
#: the largest frame (rows x columns) that is opened; checked before any pixel allocation
MAX_PIXELS = 100_000_000

_DICOM_SUFFIXES = (".dcm", ".dicom", ".dic")
_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")
_COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"

#: decoder plugins in order of preference, by transfer syntax UID (see the module docstring)
_PLUGIN_ORDER: dict[str, tuple[str, ...]] = {
    "1.2.840.10008.1.2.4.90": ("pylibjpeg", "gdcm", "pillow"),
    "1.2.840.10008.1.2.4.91": ("pylibjpeg", "gdcm", "pillow"),
    "1.2.840.10008.1.2.4.201": ("pylibjpeg",),
    "1.2.840.10008.1.2.4.202": ("pylibjpeg",),
    "1.2.840.10008.1.2.4.203": ("pylibjpeg",),
    "1.2.840.10008.1.2.4.80": ("pyjpegls", "gdcm"),
    "1.2.840.10008.1.2.4.81": ("pyjpegls", "gdcm"),
    "1.2.840.10008.1.2.4.50": ("pillow", "gdcm"),
    "1.2.840.10008.1.2.4.51": ("pillow", "gdcm"),
    "1.2.840.10008.1.2.4.57": ("gdcm",),
    "1.2.840.10008.1.2.4.70": ("gdcm",),
    "1.2.840.10008.1.2.5": ("pydicom", "gdcm"),
}
_LOSSY_SYNTAXES = {
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.203",
}


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
class _VoiLut:
    data: np.ndarray
    first_mapped: int
    bits: int
    explanation: str | None


class Radiograph:
    """One radiograph (frame 1), its metadata, presets and the default display.

    Build it with :func:`load_radiograph`.

    Attributes
    ----------
    path : Path
        The file it was read from.
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
        path: Path,
        stored: np.ndarray,
        metadata: RadiographMetadata,
        pixel_sha256: str,
        presets: list[WindowPreset],
        notes: list[str] | None = None,
        rescale: tuple[float, float] = (1.0, 0.0),
        modality_lut: tuple[np.ndarray, int] | None = None,
        voi_luts: list[_VoiLut] | None = None,
        overlays: list[OverlayPlane] | None = None,
    ) -> None:
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
        #: the name recorded as the reading's ``file_name`` when the file's own name means nothing (a PACS
        #: cache file): e.g. the SOP Instance UID + ".dcm"; None: the file's name
        self.source_name: str | None = None

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
            return np.trunc(values)
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
                    raise ValueError(f"no VOI LUT {preset.lut_index} in {self.path}")
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
        if overlays and self.overlay_planes:
            return burn_in(lut[idx], self.overlay_planes)
        return lut[idx]

    def image_ref(self) -> ImageRef:
        """The :class:`~gazex_viewer.core.reading.document.ImageRef` of this image (frame 1)."""
        from gazex_viewer.core.reading.document import ImageRef

        m = self.metadata
        return ImageRef(
            file_name=self.source_name or self.path.name,
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
            f"Radiograph({self.path.name!r}, {self.width}x{self.height}, "
            f"{self.metadata.source_format}, {self.metadata.photometric})"
        )


# ------------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------------
def _sha256(arr: np.ndarray) -> str:
    """SHA-256 of the C-order little-endian bytes of ``arr``."""
    a = np.ascontiguousarray(arr)
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and np.little_endian is False):
        a = a.astype(a.dtype.newbyteorder("<"))
    return hashlib.sha256(memoryview(a).cast("B")).hexdigest()


def _rgb_to_grey(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma, the same integer formula as Pillow's ``convert("L")``."""
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    b = rgb[..., 2].astype(np.uint32)
    if rgb.dtype.itemsize == 1:
        return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)
    grey = np.rint(0.299 * r + 0.587 * g + 0.114 * b)
    return grey.astype(rgb.dtype)


def _is_grey_rgb(rgb: np.ndarray) -> bool:
    return bool(np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2]))


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


def _str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _float_list(ds: Dataset, keyword: str) -> list[float]:
    value = ds.get(keyword)
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        items: list[Any] = [value]
    else:
        items = list(value)
    out: list[float] = []
    for item in items:
        try:
            out.append(float(item))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


def _number_text(ds: Dataset, keyword: str) -> str:
    """A header number as written (``0``, ``NaN``, ``abc``), for notes."""
    value = ds.get(keyword)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(getattr(value, "original_string", None) or value).strip()


def _int_attr(ds: Dataset, keyword: str, path: Path, *, default: int | None = None) -> int:
    value = ds.get(keyword)
    if value is None or value == "":
        if default is None:
            raise RadiographError(path, f"DICOM header has no {keyword}")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RadiographError(path, f"DICOM {keyword} is not a number: {value!r}") from None


# ------------------------------------------------------------------------------------------------
# DICOM
# ------------------------------------------------------------------------------------------------
def _read_dicom_header(path: Path, legacy: bool) -> Dataset:
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(path, force=legacy, defer_size=4096)
    except InvalidDicomError as err:
        raise RadiographError(path, f"not a DICOM file ({err})") from None
    except Exception as err:  # pydicom raises many kinds on corrupt headers
        reason = dicom_transfer.read_error_reason(err)
        raise RadiographError(path, reason or f"unreadable DICOM header ({type(err).__name__}: {err})") from None
    for w in caught:
        text = str(w.message)
        if "End of file" in text or "unexpected end" in text.lower():
            # pydicom is tolerant: it returns what it could read (often nothing) with a warning
            reason = text.split(" in file ")[0]
            raise RadiographError(path, f"file is truncated ({reason})")
    return ds


def _transfer_syntax(ds: Dataset) -> str:
    from pydicom import uid

    ts = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if ts:
        return str(ts)
    implicit, little = ds.original_encoding
    if implicit:
        return str(uid.ImplicitVRLittleEndian)
    return str(uid.ExplicitVRLittleEndian if little else uid.ExplicitVRBigEndian)


def _is_native(ts: str) -> bool:
    return ts in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99")


def _check_pixel_data_size(
    path: Path, ds: Dataset, ts: str, rows: int, cols: int, frames: int, spp: int
) -> str | None:
    """Rows x Columns x frames x samples against the Pixel Data length and the file size (a note on padding)."""
    raw = ds.get_item(0x7FE00010, keep_deferred=True)
    length = getattr(raw, "length", None)
    if length is None:
        value = ds.get("PixelData")
        length = len(value) if value is not None else 0
    bits_alloc = _int_attr(ds, "BitsAllocated", path)
    if _is_native(ts):
        if length == 0xFFFFFFFF:
            raise RadiographError(path, "native (uncompressed) Pixel Data has an undefined length")
        n = rows * cols * frames * spp
        expected = (n + 7) // 8 if bits_alloc == 1 else n * (bits_alloc // 8)
        note = dicom_transfer.check_native_length(
            path, length, expected, f"{rows} x {cols} x {frames} x {spp}, {bits_alloc}-bit", frames=frames
        )
    else:
        note = None
    tell = getattr(raw, "value_tell", None)
    if tell is not None and length != 0xFFFFFFFF and dicom_transfer.offsets_are_file_offsets(ts):
        size = path.stat().st_size
        if tell + length > size:
            raise RadiographError(
                path, f"file is truncated: Pixel Data needs {length} bytes, only {max(size - tell, 0)} present"
            )
    return note


def _count_encapsulated_frames(path: Path, ds: Dataset, frames: int) -> None:
    """Check that encapsulated Pixel Data holds at least the frames the header declares."""
    if frames <= 1:
        return
    from pydicom.encaps import parse_basic_offsets, parse_fragments

    try:
        from io import BytesIO

        buf = BytesIO(ds.PixelData)
        offsets = parse_basic_offsets(buf)
        n_frag, _ = parse_fragments(buf)
    except Exception as err:
        raise RadiographError(path, f"corrupt encapsulated Pixel Data ({type(err).__name__}: {err})") from None
    found = len(offsets) if offsets else n_frag
    if found < frames:
        raise RadiographError(
            path, f"header says {frames} frames but the encapsulated Pixel Data holds {found}"
        )


_JPEG_SYNTAXES = (
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.57",
    "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80",
    "1.2.840.10008.1.2.4.81",
)
_J2K_SYNTAXES = (
    "1.2.840.10008.1.2.4.90",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201",
    "1.2.840.10008.1.2.4.202",
    "1.2.840.10008.1.2.4.203",
)
#: JPEG start-of-frame markers (ISO/IEC 10918-1 B.1.1.3; not DHT C4, JPG C8, DAC CC) and JPEG-LS SOF55
_SOF_MARKERS = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7})
#: how many bytes of frame 1's compressed data are searched for its size
_STREAM_HEAD_BYTES = 1 << 20


@dataclass(frozen=True)
class StreamInfo:
    """What a compressed frame's own header says, read without decoding it.

    ``process`` is the SOF marker for JPEG/JPEG-LS (``0xC0`` baseline, ``0xC1`` extended, ``0xC3``
    lossless, ``0xF7`` JPEG-LS) and ``0`` for JPEG 2000.
    """

    rows: int
    columns: int
    components: int
    precision: int
    process: int


def jpeg_stream_info(data: bytes) -> StreamInfo | None:
    """Size of a JPEG or JPEG-LS image from its SOF segment (a few bytes; nothing is decoded).

    Parameters
    ----------
    data
        The start of the stream (from its SOI marker).

    Returns
    -------
    StreamInfo or None
        None when ``data`` is not a JPEG stream or holds no SOF segment before the first scan.
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    n = len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # TEM, RSTn, SOI: no length
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in _SOF_MARKERS:
            seg = data[i + 4 : i + 10]
            if len(seg) < 6:
                return None
            return StreamInfo(
                rows=int.from_bytes(seg[1:3], "big"),
                columns=int.from_bytes(seg[3:5], "big"),
                components=seg[5],
                precision=seg[0],
                process=marker,
            )
        if marker in (0xDA, 0xD9) or length < 2:  # a scan or the end before any frame header
            return None
        i += 2 + length
    return None


def j2k_stream_info(data: bytes) -> StreamInfo | None:
    """Size of a JPEG 2000 / HTJ2K image from its SIZ segment (raw codestream or JP2 file).

    Parameters
    ----------
    data
        The start of the codestream (SOC marker) or of a JP2 file.

    Returns
    -------
    StreamInfo or None
        None when ``data`` holds no SOC + SIZ header.
    """
    offset = 0
    if data.startswith(b"\x00\x00\x00\x0cjP  "):
        offset = 12
        while offset + 8 <= len(data):
            length = int.from_bytes(data[offset : offset + 4], "big")
            if data[offset + 4 : offset + 8] == b"jp2c":
                offset += 8
                break
            if length < 8:
                return None
            offset += length
    if data[offset : offset + 4] != b"\xff\x4f\xff\x51" or len(data) < offset + 43:
        return None
    x = int.from_bytes(data[offset + 8 : offset + 12], "big")
    y = int.from_bytes(data[offset + 12 : offset + 16], "big")
    x0 = int.from_bytes(data[offset + 16 : offset + 20], "big")
    y0 = int.from_bytes(data[offset + 20 : offset + 24], "big")
    return StreamInfo(
        rows=max(y - y0, 0),
        columns=max(x - x0, 0),
        components=int.from_bytes(data[offset + 40 : offset + 42], "big"),
        precision=(data[offset + 42] & 0x7F) + 1,
        process=0,
    )


def _frame1_head(ds: Dataset) -> bytes:
    """The first bytes (up to :data:`_STREAM_HEAD_BYTES`) of frame 1's encapsulated data."""
    from io import BytesIO

    from pydicom.encaps import generate_fragments, parse_basic_offsets

    buf = BytesIO(ds.PixelData)
    parse_basic_offsets(buf)
    head = bytearray()
    for fragment in generate_fragments(buf):
        head += fragment[: _STREAM_HEAD_BYTES - len(head)]
        if len(head) >= _STREAM_HEAD_BYTES:
            break
    return bytes(head)


def _check_stream_size(
    path: Path, ds: Dataset, ts: str, rows: int, cols: int, spp: int, max_pixels: int
) -> StreamInfo | None:
    """Refuse a compressed frame 1 whose own header disagrees with Rows/Columns or is too large.

    Read from the stream's SOF/SIZ segment before anything is decoded, so a small header over a
    huge compressed image (a decompression bomb) never reaches the decoder.
    """
    if ts in _JPEG_SYNTAXES:
        kind, parse = "JPEG", jpeg_stream_info
    elif ts in _J2K_SYNTAXES:
        kind, parse = "JPEG 2000", j2k_stream_info
    else:
        return None
    try:
        head = _frame1_head(ds)
    except Exception as err:
        raise RadiographError(path, f"corrupt encapsulated Pixel Data ({type(err).__name__}: {err})") from None
    info = parse(head)
    if info is None:
        raise RadiographError(
            path, f"the compressed image data is not a valid {kind} stream (no frame header with its size)"
        )
    if info.rows == 0 or info.columns == 0:
        raise RadiographError(
            path, f"the {kind} stream does not state its size ({info.rows} rows x {info.columns} columns)"
        )
    header = f"header says {rows} rows x {cols} columns"
    held = f"the image data holds {info.rows} rows x {info.columns} columns"
    if info.rows * info.columns > max_pixels:
        raise RadiographError(
            path,
            f"image is too large: {held} = {info.rows * info.columns} pixels, over the limit of "
            f"{max_pixels} ({header})",
        )
    if (info.rows, info.columns) != (rows, cols):
        raise RadiographError(path, f"{header}, {held}")
    if info.components != spp:
        raise RadiographError(
            path, f"header says {spp} samples per pixel, the image data holds {info.components} components"
        )
    return info


def _decode_frame1(
    path: Path, ds: Dataset, ts: str, legacy: bool, stream: StreamInfo | None = None
) -> np.ndarray:
    """Decode frame 1 with the preferred plugin, falling back to the next one that is installed."""
    from pydicom.pixels import get_decoder, pixel_array

    kwargs: dict[str, Any] = {"index": 0}
    if _is_native(ts):
        src: Any = ds if dicom_transfer.decode_from_dataset(ts) else os.fspath(path)
        if legacy:
            kwargs["transfer_syntax_uid"] = ts
        plugins: tuple[str, ...] = ("",)
    else:
        src = ds
        try:
            available = get_decoder(ts).available_plugins
        except Exception:
            raise RadiographError(path, f"unsupported transfer syntax {ts}") from None
        order = _PLUGIN_ORDER.get(ts, ())
        plugins = tuple(p for p in order if p in available) + tuple(p for p in available if p not in order)
        if not plugins:
            raise RadiographError(path, f"no installed decoder for transfer syntax {ts}")
    errors: list[str] = []
    if stream is not None and dicom_jpeg12.handles(stream.process, stream.precision) and dicom_jpeg12.available():
        try:
            return dicom_jpeg12.decode_frame1(ds)
        except Exception as err:
            errors.append(f"imagecodecs: {type(err).__name__}: {err}")
    for plugin in plugins:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                arr = pixel_array(src, decoding_plugin=plugin, **kwargs)
            return arr
        except Exception as err:
            errors.append(f"{plugin or 'pydicom'}: {type(err).__name__}: {err}".strip())
    if stream is not None and stream.process in (0xC1, 0xC2) and stream.precision > 8:
        # Pillow (libjpeg-turbo 8-bit build) and GDCM decode only 8-bit lossy JPEG; imagecodecs
        # (libjpeg-turbo 3) decodes 12-bit; pylibjpeg-libjpeg is GPLv3 and deliberately not installed
        kind = "Extended" if stream.process == 0xC1 else "Progressive"
        missing = "" if dicom_jpeg12.available() else ", imagecodecs is not installed"
        raise RadiographError(
            path,
            f"JPEG {kind} {stream.precision}-bit is not supported by the installed decoders{missing} "
            "(decompress it first, e.g. with dcmtk: dcmdjpeg IN OUT)"
            + (f" ({'; '.join(errors)[:200]})" if errors and not missing else ""),
        )
    raise RadiographError(path, "cannot decode the pixel data (" + "; ".join(errors)[:400] + ")")


def _dicom_spacing(ds: Dataset, notes: list[str]) -> tuple[tuple[float, float] | None, str | None]:
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        values = _float_list(ds, keyword)
        if not values:
            continue
        if len(values) == 2 and all(math.isfinite(v) and v > 0 for v in values):
            if keyword == "ImagerPixelSpacing":
                notes.append("pixel spacing is ImagerPixelSpacing (at the detector): lengths include magnification")
            return (values[0], values[1]), keyword
        notes.append(f"{keyword} {values} is not valid: lengths cannot be measured")
    return None, None


def _dicom_presets(
    ds: Dataset, path: Path, notes: list[str], signed: bool
) -> tuple[list[WindowPreset], list[_VoiLut]]:
    presets: list[WindowPreset] = []
    luts: list[_VoiLut] = []
    for i, item in enumerate(ds.get("VOILUTSequence") or []):
        try:
            desc = [int(v) for v in item.LUTDescriptor]
            data = item.LUTData
            if isinstance(data, (bytes, bytearray)):
                arr = np.frombuffer(data, dtype="<u2" if desc[2] > 8 or len(data) == 2 * desc[0] else "u1")
            else:
                arr = np.asarray(data if isinstance(data, (list, tuple)) or hasattr(data, "__len__") else [data])
            n = desc[0] or 65536
            first = desc[1]
            if signed and first >= 32768:
                first -= 65536
            arr = arr[:n].astype(np.int64)
            bits = display.lut_bits(desc[2], arr)
        except Exception as err:
            notes.append(f"VOI LUT {i + 1} ignored: {type(err).__name__}: {err}")
            continue
        expl = _str_or_none(item.get("LUTExplanation"))
        luts.append(_VoiLut(arr, first, bits, expl))
        presets.append(
            WindowPreset(
                center=first + arr.size / 2.0,
                width=float(arr.size),
                name=f"VOI LUT {len(luts)}",
                function="VOI_LUT",
                lut_index=len(luts) - 1,
                explanation=expl,
            )
        )
    centers = _float_list(ds, "WindowCenter")
    widths = _float_list(ds, "WindowWidth")
    expls_raw = ds.get("WindowCenterWidthExplanation")
    expls = [] if expls_raw is None else ([expls_raw] if isinstance(expls_raw, str) else list(expls_raw))
    function = str(ds.get("VOILUTFunction") or "LINEAR").strip().upper() or "LINEAR"
    if function not in display.VOI_FUNCTIONS:
        notes.append(f"VOI LUT Function {function} not supported: windows shown as LINEAR")
        function = "LINEAR"
    for i, (c, w) in enumerate(zip(centers, widths)):
        minimum = 1.0 if function == "LINEAR" else 0.0
        if not (math.isfinite(c) and math.isfinite(w)) or w < minimum or (w == 0 and function != "LINEAR"):
            notes.append(f"header window {i + 1} ({c}/{w}) is not valid and was ignored")
            continue
        presets.append(
            WindowPreset(
                center=c,
                width=w,
                name=f"Header {i + 1}",
                function=function,
                explanation=_str_or_none(expls[i]) if i < len(expls) else None,
            )
        )
    return presets, luts


def _load_dicom(path: Path, legacy: bool, max_pixels: int) -> Radiograph:
    if not legacy:
        dicom_transfer.check_inflated_size(path, max_pixels)
    ds = _read_dicom_header(path, legacy)
    notes: list[str] = []
    if "PixelData" not in ds:
        if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
            raise RadiographError(path, "float pixel data is not supported")
        if ds.get("Rows") and ds.get("Columns"):
            raise RadiographError(
                path,
                f"the header describes a {ds.Columns} x {ds.Rows} image but the Pixel Data is missing "
                "or cut off: the file is truncated",
            )
        sop = ds.get("SOPClassUID")
        what = f" ({getattr(sop, 'name', sop)})" if sop else ""
        raise RadiographError(
            path, f"DICOM file has no pixel data{what}: not an image, or the file is truncated"
        )
    rows = _int_attr(ds, "Rows", path)
    cols = _int_attr(ds, "Columns", path)
    frames = _int_attr(ds, "NumberOfFrames", path, default=1)
    spp = _int_attr(ds, "SamplesPerPixel", path, default=1)
    if rows <= 0 or cols <= 0 or frames <= 0:
        raise RadiographError(path, f"invalid image size: {rows} rows x {cols} columns x {frames} frames")
    if rows * cols > max_pixels:
        raise RadiographError(
            path, f"image is too large: {cols} x {rows} = {rows * cols} pixels exceeds the limit of {max_pixels}"
        )
    photometric = str(ds.get("PhotometricInterpretation") or "").strip().upper()
    if photometric not in _MONOCHROME + _COLOUR:
        raise RadiographError(path, f"unsupported photometric interpretation {photometric or '(missing)'}")
    if (photometric in _MONOCHROME) != (spp == 1):
        raise RadiographError(path, f"{photometric} with {spp} samples per pixel is not valid")
    bits_alloc = _int_attr(ds, "BitsAllocated", path)
    bits_stored = _int_attr(ds, "BitsStored", path, default=bits_alloc)
    if bits_alloc not in (1, 8, 16, 32) or not 1 <= bits_stored <= bits_alloc:
        raise RadiographError(path, f"unsupported bit depth: {bits_stored} stored in {bits_alloc} allocated")
    signed = _int_attr(ds, "PixelRepresentation", path, default=0) == 1
    ts = _transfer_syntax(ds)
    padding = _check_pixel_data_size(path, ds, ts, rows, cols, frames, spp)
    if padding:
        notes.append(padding)
    if not _is_native(ts):
        _count_encapsulated_frames(path, ds, frames)
        stream = _check_stream_size(path, ds, ts, rows, cols, spp, max_pixels)
    else:
        stream = None

    arr = _decode_frame1(path, ds, ts, legacy, stream)
    expected = (rows, cols) if spp == 1 else (rows, cols, spp)
    if arr.shape != expected:
        held = f"{arr.shape[0]} rows x {arr.shape[1]} columns" if arr.ndim >= 2 else f"{arr.size} values"
        if arr.ndim == 3:
            held += f" x {arr.shape[2]} samples"
        raise RadiographError(
            path,
            f"header says {rows} rows x {cols} columns"
            + (f" x {spp} samples" if spp != 1 else "")
            + f", the image data holds {held}",
        )
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8)
    if not arr.flags.writeable or not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr).copy()
    if arr.dtype.kind == "u" and bits_stored < arr.dtype.itemsize * 8 and spp == 1:
        mask = (1 << bits_stored) - 1
        if int(arr.max()) > mask:
            np.bitwise_and(arr, mask, out=arr)
            notes.append(f"bits above Bits Stored ({bits_stored}) were masked")
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if spp == 3:
        if _is_grey_rgb(arr):
            arr = np.ascontiguousarray(arr[..., 0])
        else:
            arr = _rgb_to_grey(arr)
            notes.append(f"colour image ({photometric}) shown in grey")
        photometric_shown = "MONOCHROME2"
    else:
        photometric_shown = photometric
    # provenance: SHA-256 of the grey stored values of frame 1 (what Radiograph.stored holds)
    pixel_sha = _sha256(arr)
    if frames > 1:
        notes.append(f"{frames} frames; showing frame 1")

    # modality LUT / rescale (not defined for colour images)
    rescale = (1.0, 0.0)
    modality_lut: tuple[np.ndarray, int] | None = None
    if spp == 1:
        mseq = ds.get("ModalityLUTSequence")
        if mseq:
            try:
                item = mseq[0]
                desc = [int(v) for v in item.LUTDescriptor]
                data = item.LUTData
                lut = (
                    np.frombuffer(data, dtype="<u2")
                    if isinstance(data, (bytes, bytearray))
                    else np.asarray(data if hasattr(data, "__len__") else [data])
                ).astype(np.float64)
                first = desc[1] - 65536 if signed and desc[1] >= 32768 else desc[1]
                modality_lut = (lut[: desc[0] or 65536], first)
            except Exception as err:
                notes.append(f"Modality LUT Sequence ignored ({type(err).__name__}: {err})")
        else:
            slope = _float_list(ds, "RescaleSlope")
            intercept = _float_list(ds, "RescaleIntercept")
            s = slope[0] if slope and math.isfinite(slope[0]) and slope[0] != 0 else 1.0
            b = intercept[0] if intercept and math.isfinite(intercept[0]) else 0.0
            if slope and s != slope[0]:
                notes.append(f"RescaleSlope {_number_text(ds, 'RescaleSlope')} in the header is invalid: 1 used")
            if intercept and b != intercept[0]:
                notes.append(
                    f"RescaleIntercept {_number_text(ds, 'RescaleIntercept')} in the header is invalid: 0 used"
                )
            rescale = (s, b)
    if spp == 1:
        presets, voi_luts = _dicom_presets(ds, path, notes, signed)
    else:
        presets, voi_luts = [], []

    spacing, spacing_kind = _dicom_spacing(ds, notes)
    lossy = str(ds.get("LossyImageCompression", "")).strip() == "01" or ts in _LOSSY_SYNTAXES
    if lossy:
        notes.append("lossy compressed image")
    laterality = _str_or_none(ds.get("ImageLaterality")) or _str_or_none(ds.get("Laterality"))
    meta = RadiographMetadata(
        source_format="DICOM",
        patient_name=_str_or_none(ds.get("PatientName")),
        patient_id=_str_or_none(ds.get("PatientID")),
        study_date=_str_or_none(ds.get("StudyDate")),
        study_description=_str_or_none(ds.get("StudyDescription")),
        modality=_str_or_none(ds.get("Modality")),
        view_position=_str_or_none(ds.get("ViewPosition")),
        laterality=laterality,
        pixel_spacing_mm=spacing,
        spacing_kind=spacing_kind,
        sop_instance_uid=_str_or_none(ds.get("SOPInstanceUID")),
        study_instance_uid=_str_or_none(ds.get("StudyInstanceUID")),
        series_instance_uid=_str_or_none(ds.get("SeriesInstanceUID")),
        sop_class_uid=_str_or_none(ds.get("SOPClassUID")),
        transfer_syntax=ts,
        photometric=photometric_shown,
        bits_stored=bits_stored,
        n_frames=frames,
        rows=rows,
        columns=cols,
        lossy_compressed=lossy,
    )
    if legacy:
        notes.append("DICOM file without file meta header (legacy); transfer syntax inferred")
    radiograph = Radiograph(
        path=path,
        stored=arr,
        metadata=meta,
        pixel_sha256=pixel_sha,
        presets=presets,
        notes=notes,
        rescale=rescale,
        modality_lut=modality_lut,
        voi_luts=voi_luts,
        overlays=read_overlay_planes(ds, notes) if spp == 1 else None,
    )
    lo, hi = radiograph.modality_range()
    center, width = display.full_range_window(lo, hi)
    radiograph.presets.append(WindowPreset(center, width, "Full range"))
    return radiograph


# ------------------------------------------------------------------------------------------------
# PNG / JPEG
# ------------------------------------------------------------------------------------------------
def _load_bitmap(path: Path, fmt: str, max_pixels: int) -> Radiograph:
    from PIL import Image, ImageOps, UnidentifiedImageError

    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError as err:
        raise RadiographError(path, f"image is too large ({err})") from None
    except UnidentifiedImageError:
        raise RadiographError(path, f"not a readable {fmt} image") from None
    except OSError as err:
        raise RadiographError(path, f"cannot open image ({err})") from None
    with im:
        w, h = im.size
        if w <= 0 or h <= 0:
            raise RadiographError(path, f"invalid image size {w} x {h}")
        if w * h > max_pixels:
            raise RadiographError(
                path, f"image is too large: {w} x {h} = {w * h} pixels exceeds the limit of {max_pixels}"
            )
        if im.format not in ("PNG", "JPEG", "MPO"):
            raise RadiographError(path, f"unsupported image format {im.format}")
        n_frames = int(getattr(im, "n_frames", 1) or 1)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im.load()
                if fmt == "JPEG":
                    rotated = ImageOps.exif_transpose(im)
                    if rotated is not None and rotated is not im:
                        if rotated.size != im.size or np.asarray(rotated).tobytes() != np.asarray(im).tobytes():
                            notes.append("rotated as its EXIF orientation says")
                        im = rotated
        except (OSError, SyntaxError, ValueError) as err:
            raise RadiographError(path, f"corrupt or truncated {fmt} data ({err})") from None
        mode = im.mode
        if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
            arr = np.asarray(im).astype(np.uint16)
            bits = 16
        elif mode == "I":
            raw = np.asarray(im)
            if raw.min() < 0 or raw.max() > 65535:
                raise RadiographError(path, "32-bit integer images are not supported")
            arr = raw.astype(np.uint16)
            bits = 16
        elif mode == "L":
            arr = np.asarray(im, dtype=np.uint8)
            bits = 8
        elif mode in ("1", "LA", "La"):
            arr = np.asarray(im.convert("L"), dtype=np.uint8)
            bits = 8
        elif mode in ("RGB", "RGBA", "RGBa", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV"):
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
            if _is_grey_rgb(rgb):
                arr = np.ascontiguousarray(rgb[..., 0])
            else:
                arr = _rgb_to_grey(rgb)
                notes.append("colour image shown in grey")
            bits = 8
        elif mode == "F":
            raise RadiographError(path, "floating-point images are not supported")
        else:
            raise RadiographError(path, f"unsupported image mode {mode}")
    if n_frames > 1:
        notes.append(f"{n_frames} frames; showing frame 1")
    arr = np.ascontiguousarray(arr)
    meta = RadiographMetadata(
        source_format="PNG" if fmt == "PNG" else "JPEG",
        photometric="MONOCHROME2",
        bits_stored=bits,
        n_frames=n_frames,
        rows=int(arr.shape[0]),
        columns=int(arr.shape[1]),
        lossy_compressed=fmt == "JPEG",
    )
    radiograph = Radiograph(path=path, stored=arr, metadata=meta, pixel_sha256=_sha256(arr), presets=[], notes=notes)
    if bits == 8:
        # an 8-bit picture is shown as stored: 0 black, 255 white
        radiograph.presets.append(WindowPreset(128.0, 256.0, "Full range"))
    else:
        lo, hi = radiograph.modality_range()
        center, width = display.full_range_window(lo, hi)
        radiograph.presets.append(WindowPreset(center, width, "Full range"))
    return radiograph


# ------------------------------------------------------------------------------------------------
# public entry points
# ------------------------------------------------------------------------------------------------
def load_radiograph(path: str | os.PathLike[str], *, max_pixels: int = MAX_PIXELS) -> Radiograph:
    """Open a chest radiograph: DICOM (any supported transfer syntax, with or without file meta),
    PNG (8 or 16 bit) or JPEG (grey or colour, shown grey).

    Parameters
    ----------
    path
        The image file.
    max_pixels
        Refuse frames with more pixels than this (checked from the header, before decoding).

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
    try:
        if kind in ("DICOM", "LEGACY_DICOM"):
            return _load_dicom(p, kind == "LEGACY_DICOM", max_pixels)
        return _load_bitmap(p, kind, max_pixels)
    except RadiographError:
        raise
    except MemoryError:
        raise RadiographError(p, "not enough memory to open the image") from None
    except Exception as err:  # a decoder failing in a way not foreseen: still one clear line
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
    except Exception:
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


__all__ = [
    "IMAGE_SUFFIXES",
    "MAX_PIXELS",
    "Radiograph",
    "RadiographMetadata",
    "WindowPreset",
    "find_images",
    "is_image_file",
    "load_radiograph",
]
