"""DICOM Pixel Data codecs: decoder order, size checks of the compressed stream, frame-1 decode.

Owns how frame 1 of a DICOM data set becomes an array, without reading any other header meaning:

- the decoder plugins in order of preference per transfer syntax (first installed that succeeds):
  JPEG 2000 with pylibjpeg-openjpeg (MIT; OpenJPEG BSD-2), then GDCM (BSD), then Pillow (HPND);
  JPEG-LS with pyjpegls (MIT; CharLS BSD-3), then GDCM; JPEG baseline and 8-bit extended with
  Pillow (libjpeg-turbo, IJG/BSD), then GDCM; 12-bit JPEG extended with imagecodecs' libjpeg-turbo 3
  (BSD-3, :mod:`gazex_viewer.core.imaging.dicom_jpeg12`; pydicom's own 12-bit decoder,
  pylibjpeg-libjpeg, is GPLv3 and deliberately not used); JPEG lossless with GDCM; RLE with pydicom;
- the Pixel Data length of native data and the frame count of encapsulated data;
- the size a compressed frame states in its own JPEG / JPEG-LS SOF or JPEG 2000 SIZ segment, which
  must agree with Rows x Columns and stay under the pixel limit before anything is decoded (a
  decompression bomb is refused without being decoded).

Errors are :class:`~gazex_viewer.core.errors.RadiographError` naming ``where`` (the file, or the
source's name for a film that is not a file) and the reason.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gazex_viewer.core.errors import RadiographError
from gazex_viewer.core.imaging import dicom_jpeg12, dicom_transfer

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

#: what errors name: the file, or the name of a source that is not a file
Where = str | Path

#: decoder plugins in order of preference, by transfer syntax UID (see the module docstring)
PLUGIN_ORDER: dict[str, tuple[str, ...]] = {
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
LOSSY_SYNTAXES = {
    "1.2.840.10008.1.2.4.50",
    "1.2.840.10008.1.2.4.51",
    "1.2.840.10008.1.2.4.81",
    "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.203",
}


def is_native(ts: str) -> bool:
    """Whether a transfer syntax stores the pixels uncompressed (deflated data sets included)."""
    return ts in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99")


def check_pixel_data_size(
    where: Where,
    ds: Dataset,
    ts: str,
    rows: int,
    cols: int,
    frames: int,
    spp: int,
    bits_alloc: int,
    *,
    file: Path | None = None,
) -> str | None:
    """Rows x Columns x frames x samples against the Pixel Data length and the size of ``file`` (when
    the data set was read from one); a note on padding, else None."""
    raw = ds.get_item(0x7FE00010, keep_deferred=True)
    length = getattr(raw, "length", None)
    if length is None:
        value = ds.get("PixelData")
        length = len(value) if value is not None else 0
    if is_native(ts):
        if length == 0xFFFFFFFF:
            raise RadiographError(where, "native (uncompressed) Pixel Data has an undefined length")
        n = rows * cols * frames * spp
        expected = (n + 7) // 8 if bits_alloc == 1 else n * (bits_alloc // 8)
        note = dicom_transfer.check_native_length(
            where, length, expected, f"{rows} x {cols} x {frames} x {spp}, {bits_alloc}-bit", frames=frames
        )
    else:
        note = None
    tell = getattr(raw, "value_tell", None)
    if file is not None and tell is not None and length != 0xFFFFFFFF and dicom_transfer.offsets_are_file_offsets(ts):
        size = file.stat().st_size
        if tell + length > size:
            raise RadiographError(
                where, f"file is truncated: Pixel Data needs {length} bytes, only {max(size - tell, 0)} present"
            )
    return note


def count_encapsulated_frames(where: Where, ds: Dataset, frames: int) -> None:
    """Check that encapsulated Pixel Data holds at least the frames the header declares."""
    if frames <= 1:
        return
    from pydicom.encaps import parse_basic_offsets, parse_fragments

    try:
        from io import BytesIO

        buf = BytesIO(ds.PixelData)
        offsets = parse_basic_offsets(buf)
        n_frag, _ = parse_fragments(buf)
    except Exception as err:  # noqa: BLE001 - pydicom raises many kinds on corrupt fragments: one line
        raise RadiographError(where, f"corrupt encapsulated Pixel Data ({type(err).__name__}: {err})") from None
    found = len(offsets) if offsets else n_frag
    if found < frames:
        raise RadiographError(
            where, f"header says {frames} frames but the encapsulated Pixel Data holds {found}"
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


def check_stream_size(
    where: Where, ds: Dataset, ts: str, rows: int, cols: int, spp: int, max_pixels: int
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
    except Exception as err:  # noqa: BLE001 - pydicom raises many kinds on corrupt fragments: one line
        raise RadiographError(where, f"corrupt encapsulated Pixel Data ({type(err).__name__}: {err})") from None
    info = parse(head)
    if info is None:
        raise RadiographError(
            where, f"the compressed image data is not a valid {kind} stream (no frame header with its size)"
        )
    if info.rows == 0 or info.columns == 0:
        raise RadiographError(
            where, f"the {kind} stream does not state its size ({info.rows} rows x {info.columns} columns)"
        )
    header = f"header says {rows} rows x {cols} columns"
    held = f"the image data holds {info.rows} rows x {info.columns} columns"
    if info.rows * info.columns > max_pixels:
        raise RadiographError(
            where,
            f"image is too large: {held} = {info.rows * info.columns} pixels, over the limit of "
            f"{max_pixels} ({header})",
        )
    if (info.rows, info.columns) != (rows, cols):
        raise RadiographError(where, f"{header}, {held}")
    if info.components != spp:
        raise RadiographError(
            where, f"header says {spp} samples per pixel, the image data holds {info.components} components"
        )
    return info


def decode_frame1(
    where: Where, ds: Dataset, ts: str, legacy: bool, stream: StreamInfo | None = None, *, file: Path | None = None
) -> np.ndarray:
    """Decode frame 1 with the preferred plugin, falling back to the next one that is installed.

    Native pixels are read straight from ``file`` when the data set came from one (frame 1 only,
    without loading the whole Pixel Data), else from the data set in memory.
    """
    from pydicom.pixels import get_decoder, pixel_array

    kwargs: dict[str, Any] = {"index": 0}
    if is_native(ts):
        src: Any = ds if file is None or dicom_transfer.decode_from_dataset(ts) else os.fspath(file)
        if legacy:
            kwargs["transfer_syntax_uid"] = ts
        plugins: tuple[str, ...] = ("",)
    else:
        src = ds
        try:
            available = get_decoder(ts).available_plugins
        except Exception:  # noqa: BLE001 - pydicom has no decoder for an unknown syntax: one line
            raise RadiographError(where, f"unsupported transfer syntax {ts}") from None
        order = PLUGIN_ORDER.get(ts, ())
        plugins = tuple(p for p in order if p in available) + tuple(p for p in available if p not in order)
        if not plugins:
            raise RadiographError(where, f"no installed decoder for transfer syntax {ts}")
    errors: list[str] = []
    if stream is not None and dicom_jpeg12.handles(stream.process, stream.precision) and dicom_jpeg12.available():
        try:
            return dicom_jpeg12.decode_frame1(ds)
        except Exception as err:  # noqa: BLE001 - any decoder failure: try the next decoder
            errors.append(f"imagecodecs: {type(err).__name__}: {err}")
    for plugin in plugins:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                arr = pixel_array(src, decoding_plugin=plugin, **kwargs)
            return arr
        except Exception as err:  # noqa: BLE001 - any decoder failure: try the next decoder
            errors.append(f"{plugin or 'pydicom'}: {type(err).__name__}: {err}".strip())
    if stream is not None and stream.process in (0xC1, 0xC2) and stream.precision > 8:
        # Pillow (libjpeg-turbo 8-bit build) and GDCM decode only 8-bit lossy JPEG; imagecodecs
        # (libjpeg-turbo 3) decodes 12-bit; pylibjpeg-libjpeg is GPLv3 and deliberately not installed
        kind = "Extended" if stream.process == 0xC1 else "Progressive"
        missing = "" if dicom_jpeg12.available() else ", imagecodecs is not installed"
        raise RadiographError(
            where,
            f"JPEG {kind} {stream.precision}-bit is not supported by the installed decoders{missing} "
            "(decompress it first, e.g. with dcmtk: dcmdjpeg IN OUT)"
            + (f" ({'; '.join(errors)[:200]})" if errors and not missing else ""),
        )
    raise RadiographError(where, "cannot decode the pixel data (" + "; ".join(errors)[:400] + ")")


