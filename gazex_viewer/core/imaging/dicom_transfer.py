"""How a DICOM transfer syntax's Pixel Data is laid out: deflated data sets and native Pixel Data length.

Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99) compresses the whole data set after
the file meta with zlib: pydicom inflates it when reading, so element offsets (``value_tell``)
count bytes of the inflated data set, not of the file, and the pixels must be decoded from the
data set read in memory rather than from the file path.

Native Pixel Data may hold more bytes than Rows x Columns x frames x samples need (some
writers pad to a block size): the image is the first bytes and the rest is ignored with a note,
as dcmtk and pydicom do. Fewer bytes than needed is refused.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from gazex_viewer.core.errors import RadiographError

#: Deflated Explicit VR Little Endian
DEFLATED = "1.2.840.10008.1.2.1.99"
#: bytes of header allowed besides the pixels when bounding what a deflated data set may inflate to
_HEADER_ALLOWANCE = 16 << 20
_CHUNK = 1 << 20


def check_inflated_size(path: Path, max_pixels: int) -> None:
    """Refuse a deflated file whose data set would inflate past what its largest allowed image needs.

    pydicom inflates a deflated data set whole before any header can be checked, so a few
    kilobytes could expand to gigabytes (a deflate bomb). Here the stream is inflated in 1 MiB
    pieces that are counted and dropped: a file inflating to more than ``max_pixels`` 32-bit
    values plus 16 MiB of header is refused before pydicom reads it. Files that are not
    deflated (the transfer syntax UID is not in the file meta) are left alone at the cost of
    reading their first kilobytes.

    Raises
    ------
    RadiographError
        When the inflated data set would be larger than that bound.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
        if len(head) < 144 or head[128:132] != b"DICM" or DEFLATED.encode() not in head:
            return
        if head[132:136] != b"\x02\x00\x00\x00" or head[136:138] != b"UL":
            return  # no File Meta Information Group Length: pydicom's own reading decides
        start = 144 + int.from_bytes(head[140:144], "little")
        fh.seek(start)
        limit = 4 * max_pixels + _HEADER_ALLOWANCE
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        total = 0
        try:
            while True:
                chunk = fh.read(_CHUNK)
                data = inflater.decompress(chunk, _CHUNK) if chunk else b""
                total += len(data)
                while inflater.unconsumed_tail and not inflater.eof and total <= limit:
                    data = inflater.decompress(inflater.unconsumed_tail, _CHUNK)
                    total += len(data)
                    if not data:  # no progress (never expected from zlib): stop counting, pydicom decides
                        return
                if total > limit:
                    raise RadiographError(
                        path,
                        f"the deflated data set inflates to more than {limit} bytes, over what an image of "
                        f"{max_pixels} pixels needs (a deflate bomb?)",
                    )
                if not chunk or inflater.eof:
                    return
        except zlib.error:
            return  # not inflatable: pydicom's reading gives the reason


def read_error_reason(err: BaseException) -> str | None:
    """A radiologist's reason for a pydicom read error specific to deflated files (else None)."""
    text = str(err)
    if "while decompressing data" in text:
        return f"file is truncated or corrupt: its deflated data set does not inflate ({text})"
    return None


def offsets_are_file_offsets(ts: str) -> bool:
    """Whether pydicom's element offsets are positions in the file (not in an inflated data set)."""
    return ts != DEFLATED


def decode_from_dataset(ts: str) -> bool:
    """Whether native pixels must be decoded from the data set in memory instead of the file path."""
    return ts == DEFLATED


def check_native_length(path: str | os.PathLike[str], length: int, expected: int, layout: str, *, frames: int = 1) -> str | None:
    """Compare a native Pixel Data length with what the header needs.

    Parameters
    ----------
    path
        The file (named in the error).
    length
        Bytes in Pixel Data.
    expected
        Bytes Rows x Columns x frames x samples x Bits Allocated need.
    layout
        The header's layout in words, for the error (``"64 x 64 x 1 x 1, 16-bit"``).
    frames
        Number of frames: padding of a whole frame or more is refused (the header is then wrong).

    Returns
    -------
    str or None
        A note when the Pixel Data has trailing padding (more than the one byte that keeps an odd
        length even), else None.

    Raises
    ------
    RadiographError
        When Pixel Data is shorter than the image, or longer by a whole frame or more.
    """
    if length < expected or length - expected >= max(expected // max(frames, 1), 2):
        raise RadiographError(
            path, f"Pixel Data holds {length} bytes but Rows x Columns x frames x samples ({layout}) needs {expected}"
        )
    extra = length - expected
    if extra > 1:
        return f"Pixel Data has {extra} bytes of padding after the image: ignored"
    return None


__all__ = ["DEFLATED", "check_inflated_size", "check_native_length", "decode_from_dataset", "offsets_are_file_offsets", "read_error_reason"]
