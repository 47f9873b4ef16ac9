"""The grey-scale display pipeline as 8-bit lookup tables (pure numpy).

Every function here maps an array of *modality values* (the output of the modality LUT or
rescale, see DICOM PS3.3 C.11.1) to 8-bit display values, applying the VOI transform
(PS3.3 C.11.2: a window or a VOI LUT Sequence) and, for MONOCHROME1, the inversion.

The arithmetic follows dcmtk's ``dcmj2pnm`` (the project's reference renderer) so that the
output equals it pixel for pixel:

* LINEAR window (PS3.3 C.11.2.1.2.1): ``t = (x - (c - 0.5)) / (w - 1) + 0.5`` clipped to
  [0, 1]; MONOCHROME2 shows ``floor(255 * t)``, MONOCHROME1 ``floor(255 * (1 - t))``.
* A window of width ``w`` over integer data ``[lo, hi]`` is the "full range" when
  ``c = (lo + hi + 1) / 2`` and ``w = hi - lo + 1`` (dcmtk's min-max window).
* VOI LUT Sequence: the LUT value ``v`` (``bits`` wide) shows as ``floor(v * 256 / 2**bits)``;
  MONOCHROME1 shows ``255`` minus that. (dcmtk scales MONOCHROME1 LUT output by 254/2**bits,
  a difference of at most one grey level that this module deliberately does not copy.)

The renderer builds the table once over the range of stored values and indexes it with the
stored pixels, which is how a window drag stays within a few milliseconds.
"""

from __future__ import annotations

import numpy as np

#: VOI LUT functions of PS3.3 C.11.2.1.3 that this module implements
VOI_FUNCTIONS: tuple[str, ...] = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


def full_range_window(lo: float, hi: float) -> tuple[float, float]:
    """The window (center, width) that spans the integer values ``lo..hi`` exactly.

    Parameters
    ----------
    lo, hi
        Smallest and largest modality value of the image.

    Returns
    -------
    tuple of float
        ``((lo + hi + 1) / 2, hi - lo + 1)``, as dcmtk's ``--min-max-window``.
    """
    return (lo + hi + 1.0) / 2.0, max(hi - lo + 1.0, 1.0)


def _to_uint8(y: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.clip(np.floor(y), 0, 255).astype(np.uint8)
    return out


def window_lut(
    values: np.ndarray,
    center: float,
    width: float,
    *,
    function: str = "LINEAR",
    monochrome1: bool = False,
) -> np.ndarray:
    """8-bit display values of ``values`` through a VOI window.

    Parameters
    ----------
    values
        Modality values (any shape, any numeric dtype).
    center, width
        Window Center and Window Width in modality units.
    function
        ``"LINEAR"`` (default), ``"LINEAR_EXACT"`` or ``"SIGMOID"`` (PS3.3 C.11.2.1.3).
    monochrome1
        Invert the result (MONOCHROME1: low values are white).

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of the same shape as ``values``.

    Raises
    ------
    ValueError
        For an unknown function or a width that the function does not allow.
    """
    x = np.asarray(values, dtype=np.float64)
    function = function.upper()
    if not (np.isfinite(center) and np.isfinite(width)):
        raise ValueError(f"window center and width must be finite numbers, got {center}/{width}")
    if function == "LINEAR":
        if width < 1:
            raise ValueError(f"LINEAR window width must be >= 1, got {width}")
        if width == 1:
            y = np.where(x > center - 0.5, 255.0, 0.0)
        else:
            # 255 * t written so that a window matching the data's range maps integers exactly
            y = (x - (center - 0.5)) * (255.0 / (width - 1.0)) + 127.5
        return _to_uint8(255.0 - np.clip(y, 0.0, 255.0) if monochrome1 else y)
    elif function == "LINEAR_EXACT":
        if width <= 0:
            raise ValueError(f"LINEAR_EXACT window width must be > 0, got {width}")
        t = np.clip((x - center) / width + 0.5, 0.0, 1.0)
    elif function == "SIGMOID":
        if width <= 0:
            raise ValueError(f"SIGMOID window width must be > 0, got {width}")
        with np.errstate(over="ignore"):
            t = 1.0 / (1.0 + np.exp(-4.0 * (x - center) / width))
    else:
        raise ValueError(f"unknown VOI LUT function {function!r}")
    return _to_uint8(255.0 * (1.0 - t) if monochrome1 else 255.0 * t)


def voi_lut_sequence_lut(
    values: np.ndarray,
    lut_data: np.ndarray,
    first_mapped: int,
    bits: int,
    *,
    monochrome1: bool = False,
) -> np.ndarray:
    """8-bit display values of ``values`` through a VOI LUT Sequence item.

    Parameters
    ----------
    values
        Modality values (integers; any shape).
    lut_data
        The LUT Data (0028,3006) as an integer array.
    first_mapped
        The second value of LUT Descriptor: the modality value that maps to ``lut_data[0]``.
        Values below it use the first entry, values past the end the last (PS3.3 C.11.2.1.1).
    bits
        The third value of LUT Descriptor: the bit depth of the LUT output.
    monochrome1
        Invert the result.

    Returns
    -------
    numpy.ndarray
        ``uint8`` array of the same shape as ``values``.
    """
    lut = np.asarray(lut_data, dtype=np.float64).ravel()
    if lut.size == 0:
        raise ValueError("empty VOI LUT")
    idx = np.clip(np.asarray(values, dtype=np.float64) - first_mapped, 0, lut.size - 1).astype(np.intp)
    y = _to_uint8(lut[idx] * (256.0 / float(2**bits)))
    return (255 - y).astype(np.uint8) if monochrome1 else y


def lut_bits(descriptor_bits: int, lut_data: np.ndarray) -> int:
    """The bit depth to scale a VOI LUT by: the descriptor's, or more when the data exceed it.

    Parameters
    ----------
    descriptor_bits
        Third value of LUT Descriptor (8-16 by the standard).
    lut_data
        The LUT values.
    """
    top = int(np.max(lut_data)) if np.size(lut_data) else 0
    bits = int(descriptor_bits) if 1 <= int(descriptor_bits) <= 16 else 16
    while top >= 2**bits and bits < 32:
        bits += 1
    return bits
