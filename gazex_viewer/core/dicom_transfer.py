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

from pathlib import Path

from gazex_viewer.core.errors import RadiographError

#: Deflated Explicit VR Little Endian
DEFLATED = "1.2.840.10008.1.2.1.99"


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


def check_native_length(path: Path, length: int, expected: int, layout: str, *, frames: int = 1) -> str | None:
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


__all__ = ["DEFLATED", "check_native_length", "decode_from_dataset", "offsets_are_file_offsets", "read_error_reason"]
