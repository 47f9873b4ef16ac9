"""DICOM films: the header, pixel spacing, window presets, and :func:`radiograph_from_dataset`.

Owns what a DICOM header means for the film: reading it (with or without file meta), the
transfer syntax, Rows/Columns/Bits/photometric checks, the modality LUT or rescale, the VOI LUTs
and windows as :class:`~gazex_viewer.core.imaging.radiograph.WindowPreset`, the pixel spacing
(and whether it is at the detector), and the metadata a radiologist checks.
:func:`radiograph_from_dataset` turns a data set, from a file or from bytes in memory (a PACS),
into a :class:`~gazex_viewer.core.imaging.radiograph.Radiograph`; decoding frame 1 and checking
the compressed stream is :mod:`.codecs`' job.

Bad input raises :class:`~gazex_viewer.core.errors.RadiographError` naming the file (or the
source's name) and the reason. Sizes are checked from the header (Rows x Columns) before any
pixel allocation.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gazex_viewer.core.errors import RadiographError
from gazex_viewer.core.imaging import codecs, dicom_transfer, display
from gazex_viewer.core.imaging.codecs import Where
from gazex_viewer.core.imaging.dicom_overlays import read_overlay_planes
from gazex_viewer.core.imaging.radiograph import (
    MAX_PIXELS,
    FilmSource,
    Radiograph,
    RadiographMetadata,
    VoiLut,
    WindowPreset,
    is_grey_rgb,
    pixel_sha256,
    rgb_to_grey,
)

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

_MONOCHROME = ("MONOCHROME1", "MONOCHROME2")
_COLOUR = ("RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420")


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


def _int_attr(ds: Dataset, keyword: str, path: Where, *, default: int | None = None) -> int:
    value = ds.get(keyword)
    if value is None or value == "":
        if default is None:
            raise RadiographError(path, f"DICOM header has no {keyword}")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RadiographError(path, f"DICOM {keyword} is not a number: {value!r}") from None


def read_dicom_header(path: Path, legacy: bool) -> Dataset:
    """The data set of a DICOM file (``legacy``: without file meta), pixels deferred; one clear error if unreadable."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(path, force=legacy, defer_size=4096)
    except InvalidDicomError as err:
        raise RadiographError(path, f"not a DICOM file ({err})") from None
    except Exception as err:  # noqa: BLE001 - pydicom raises many kinds on corrupt headers
        reason = dicom_transfer.read_error_reason(err)
        raise RadiographError(path, reason or f"unreadable DICOM header ({type(err).__name__}: {err})") from None
    for w in caught:
        text = str(w.message)
        if "End of file" in text or "unexpected end" in text.lower():
            # pydicom is tolerant: it returns what it could read (often nothing) with a warning
            reason = text.split(" in file ")[0]
            raise RadiographError(path, f"file is truncated ({reason})")
    return ds


def transfer_syntax(ds: Dataset) -> str:
    """The data set's transfer syntax UID (from its file meta, else from how it was encoded)."""
    from pydicom import uid

    ts = ds.file_meta.get("TransferSyntaxUID") if hasattr(ds, "file_meta") else None
    if ts:
        return str(ts)
    implicit, little = ds.original_encoding
    if implicit:
        return str(uid.ImplicitVRLittleEndian)
    return str(uid.ExplicitVRLittleEndian if little else uid.ExplicitVRBigEndian)




def dicom_spacing(ds: Dataset, notes: list[str]) -> tuple[tuple[float, float] | None, str | None]:
    """The (row, column) spacing in mm and its keyword (PixelSpacing, else ImagerPixelSpacing), with notes."""
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


def dicom_presets(ds: Dataset, notes: list[str], signed: bool) -> tuple[list[WindowPreset], list[VoiLut]]:
    """The header's VOI LUTs and valid windows as presets (in header order), with the LUT tables."""
    presets: list[WindowPreset] = []
    luts: list[VoiLut] = []
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
        except Exception as err:  # noqa: BLE001 - a malformed LUT item is ignored with a note
            notes.append(f"VOI LUT {i + 1} ignored: {type(err).__name__}: {err}")
            continue
        expl = _str_or_none(item.get("LUTExplanation"))
        luts.append(VoiLut(arr, first, bits, expl))
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


def load_dicom_file(path: Path, source: FilmSource, *, legacy: bool = False, max_pixels: int = MAX_PIXELS) -> Radiograph:
    """Open a DICOM file (``legacy``: one without file meta) as the film of ``source``."""
    if not legacy:
        dicom_transfer.check_inflated_size(path, max_pixels)
    ds = read_dicom_header(path, legacy)
    return radiograph_from_dataset(ds, source, where=path, file=path, legacy=legacy, max_pixels=max_pixels)


def radiograph_from_dataset(
    ds: Dataset,
    source: FilmSource,
    *,
    where: Where | None = None,
    file: Path | None = None,
    legacy: bool = False,
    max_pixels: int = MAX_PIXELS,
) -> Radiograph:
    """The film (frame 1) of a DICOM data set.

    Parameters
    ----------
    ds
        The data set with its Pixel Data: read from a file (pixels may be deferred) or from bytes
        in memory (``pydicom.dcmread(BytesIO(data))``, e.g. a WADO-RS answer).
    source
        Where the film came from; it becomes :attr:`Radiograph.source` (name, identity, header).
    where
        What errors name: by default ``file``, else the source's name.
    file
        The file ``ds`` was read from, if any: native frame 1 is then read from it and the Pixel
        Data is checked against its size; it becomes :attr:`Radiograph.path`.
    legacy
        The data set has no file meta (the transfer syntax was inferred).
    max_pixels
        Refuse frames with more pixels than this (checked from the header, before decoding).

    Raises
    ------
    RadiographError
        When the header is inconsistent, the Pixel Data missing, truncated, too large or of an
        unsupported kind.
    """
    path: Where = where if where is not None else (file if file is not None else source.name)
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
    ts = transfer_syntax(ds)
    padding = codecs.check_pixel_data_size(path, ds, ts, rows, cols, frames, spp, bits_alloc, file=file)
    if padding:
        notes.append(padding)
    if not codecs.is_native(ts):
        codecs.count_encapsulated_frames(path, ds, frames)
        stream = codecs.check_stream_size(path, ds, ts, rows, cols, spp, max_pixels)
    else:
        stream = None

    arr = codecs.decode_frame1(path, ds, ts, legacy, stream, file=file)
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
        if is_grey_rgb(arr):
            arr = np.ascontiguousarray(arr[..., 0])
        else:
            arr = rgb_to_grey(arr)
            notes.append(f"colour image ({photometric}) shown in grey")
        photometric_shown = "MONOCHROME2"
    else:
        photometric_shown = photometric
    # provenance: SHA-256 of the grey stored values of frame 1 (what Radiograph.stored holds)
    pixel_sha = pixel_sha256(arr)
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
            except Exception as err:  # noqa: BLE001 - a malformed LUT is ignored with a note
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
        presets, voi_luts = dicom_presets(ds, notes, signed)
    else:
        presets, voi_luts = [], []

    spacing, spacing_kind = dicom_spacing(ds, notes)
    lossy = str(ds.get("LossyImageCompression", "")).strip() == "01" or ts in codecs.LOSSY_SYNTAXES
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
        source=source,
        path=file,
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


__all__ = [
    "dicom_presets",
    "dicom_spacing",
    "load_dicom_file",
    "radiograph_from_dataset",
    "read_dicom_header",
    "transfer_syntax",
]
