"""12-bit lossy JPEG (JPEG Extended, process 2 and 4; and 12-bit progressive) decoded with libjpeg-turbo 3.

pydicom's only decoder for 12-bit lossy JPEG is pylibjpeg-libjpeg (GPLv3, deliberately not used),
and the python-gdcm and Pillow wheels are built for 8-bit lossy JPEG only. libjpeg-turbo 3
decodes 12-bit lossy JPEG; imagecodecs (BSD-3; libjpeg-turbo: IJG/BSD-3/zlib) ships it. Frame 1's
fragments are joined and decoded; the samples are then interpreted as the header's Pixel
Representation says (two's complement in Bits Stored bits when signed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset


def available() -> bool:
    """Whether a 12-bit lossy JPEG decoder (imagecodecs with libjpeg-turbo 3) is installed."""
    try:
        import imagecodecs
    except ImportError:
        return False
    return bool(getattr(imagecodecs, "JPEG8", None) and imagecodecs.JPEG8.available)


def handles(process: int, precision: int) -> bool:
    """Whether a JPEG stream (SOF marker ``process``, sample ``precision``) is 12-bit lossy JPEG."""
    return process in (0xC1, 0xC2) and 8 < precision <= 12


def decode_frame1(ds: Dataset) -> np.ndarray:
    """Decode frame 1 of a 12-bit lossy JPEG data set.

    Parameters
    ----------
    ds
        The data set (encapsulated Pixel Data; Bits Stored and Pixel Representation are read).

    Returns
    -------
    numpy.ndarray
        ``uint16`` (or ``int16`` when signed), shape (rows, columns) or (rows, columns, samples).

    Raises
    ------
    ImportError
        Without imagecodecs.
    Exception
        Whatever the decoder raises on corrupt data (the caller turns it into one line).
    """
    import imagecodecs
    from pydicom.encaps import generate_frames

    frames = int(ds.get("NumberOfFrames") or 1)
    stream = next(generate_frames(ds.PixelData, number_of_frames=frames))
    arr = np.asarray(imagecodecs.jpeg8_decode(stream, colorspace=None, outcolorspace=None))
    arr = arr.astype(np.uint16, copy=False)
    bits_stored = int(ds.get("BitsStored") or 12)
    if int(ds.get("PixelRepresentation") or 0) == 1:
        values = arr.astype(np.int32)
        top = 1 << (bits_stored - 1)
        values = np.where(values >= top, values - (1 << bits_stored), values)
        return values.astype(np.int16)
    return arr


__all__ = ["available", "decode_frame1", "handles"]
