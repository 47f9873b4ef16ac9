"""DICOM overlay planes (groups 6000-601E): read from the header, burned into the display as dcmtk does.

dcmtk's ``dcmj2pnm`` shows every overlay plane by default. A Graphic plane (Overlay Type ``G``)
uses dcmtk's "Replace" mode: its set bits become white (foreground density 1), whatever the
photometric interpretation or the window. A Region of Interest plane (``R``) uses dcmtk's "Region
of Interest" mode: inside the plane's extent, the pixels *outside* the region are dimmed (8-bit
display value shifted right by 4). The plane is placed at its Overlay Origin (1-based row, column)
and clipped to the image; of a multi-frame plane, the frame that goes with image frame 1 is used.

Only planes held in Overlay Data (60xx,3000) are read; an overlay embedded in unused high bits
of the Pixel Data (retired since 2004) is ignored with a note. A plane that cannot be read gets a
note and is skipped: an overlay never stops a film from opening.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from pydicom.dataset import Dataset

#: overlay groups: 0x6000, 0x6002, ... 0x601E (PS3.3 C.9.2, repeating group)
OVERLAY_GROUPS: tuple[int, ...] = tuple(range(0x6000, 0x6020, 2))
#: dcmtk's dimming of the pixels outside a region of interest (8-bit output: bits / 2)
_ROI_SHIFT = 4


@dataclass(frozen=True)
class OverlayPlane:
    """One overlay plane of frame 1, ready to draw.

    Attributes
    ----------
    group
        The overlay group (0x6000 ... 0x601E).
    bitmap
        ``bool`` array, shape (overlay rows, overlay columns): True where the plane is set.
    origin
        (row, column) of the plane's first pixel in the image, 1-based as in Overlay Origin.
    kind
        ``"G"`` (graphics) or ``"R"`` (region of interest).
    description
        Overlay Description or Overlay Label, when the header has one.
    """

    group: int
    bitmap: np.ndarray
    origin: tuple[int, int]
    kind: str
    description: str | None = None


def _int(value: Any, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _one_plane(ds: Dataset, group: int, notes: list[str]) -> OverlayPlane | None:
    def get(elem: int) -> Any:
        item = ds.get((group << 16) | elem)
        return None if item is None else item.value

    name = f"overlay {group:04X}"
    rows = _int(get(0x0010))
    cols = _int(get(0x0011))
    data = get(0x3000)
    bits_alloc = _int(get(0x0100), 1)
    if data is None:
        if rows is not None and bits_alloc != 1:
            notes.append(f"{name} is embedded in the pixel data (retired) and is not shown")
        return None
    if not rows or not cols or rows < 0 or cols < 0:
        notes.append(f"{name} ignored: invalid size {rows} x {cols}")
        return None
    origin = get(0x0050)
    try:
        row0, col0 = (int(origin[0]), int(origin[1])) if origin is not None else (1, 1)
    except (TypeError, ValueError, IndexError):
        notes.append(f"{name} ignored: invalid Overlay Origin {origin!r}")
        return None
    kind = str(get(0x0040) or "G").strip().upper()
    if kind not in ("G", "R"):
        notes.append(f"{name} has Overlay Type {kind!r}: shown as graphics")
        kind = "G"
    # the plane frame that goes with image frame 1 (Image Frame Origin is 1-based)
    frame_origin = _int(get(0x0051), 1) or 1
    n_frames = _int(get(0x0015), 1) or 1
    index = 1 - frame_origin
    if not 0 <= index < n_frames:
        return None  # this plane does not cover frame 1
    raw = bytes(data) if not isinstance(data, bytes) else data
    n = rows * cols
    start = index * n
    if len(raw) * 8 < start + n:
        notes.append(f"{name} ignored: Overlay Data holds {len(raw) * 8} bits, {start + n} needed")
        return None
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8), bitorder="little", count=start + n)
    bitmap = bits[start:].astype(bool).reshape(rows, cols)
    text = get(0x0022) or get(0x1500)
    return OverlayPlane(
        group=group,
        bitmap=bitmap,
        origin=(row0, col0),
        kind=kind,
        description=str(text).strip() or None if text is not None else None,
    )


def read_overlay_planes(ds: Dataset, notes: list[str]) -> list[OverlayPlane]:
    """The overlay planes of frame 1 in a DICOM data set, in group order.

    Parameters
    ----------
    ds
        The data set (its header is enough; Overlay Data is read when present).
    notes
        Notes for the radiologist; a plane that cannot be read adds one and is skipped.
    """
    planes: list[OverlayPlane] = []
    for group in OVERLAY_GROUPS:
        if (group << 16) | 0x0010 not in ds and (group << 16) | 0x3000 not in ds:
            continue
        try:
            plane = _one_plane(ds, group, notes)
        except Exception as err:  # noqa: BLE001 - a damaged overlay never stops the film from opening
            notes.append(f"overlay {group:04X} ignored ({type(err).__name__}: {err})")
            continue
        if plane is not None:
            planes.append(plane)
    if planes:
        what = ", ".join(
            ("region" if p.kind == "R" else "graphics") + (f" '{p.description}'" if p.description else "")
            for p in planes
        )
        notes.append(f"{len(planes)} DICOM overlay plane{'s' if len(planes) > 1 else ''} on the film ({what})")
    return planes


def burn_in(image: np.ndarray, planes: list[OverlayPlane]) -> np.ndarray:
    """Draw overlay planes into an 8-bit display as dcmtk does (a new array; ``image`` is kept).

    Parameters
    ----------
    image
        ``uint8`` display, shape (rows, columns).
    planes
        From :func:`read_overlay_planes`.
    """
    if not planes:
        return image
    out = image.copy()
    rows, cols = out.shape[:2]
    for plane in planes:
        top = plane.origin[0] - 1
        left = plane.origin[1] - 1
        p_rows, p_cols = plane.bitmap.shape
        y0, x0 = max(top, 0), max(left, 0)
        y1, x1 = min(top + p_rows, rows), min(left + p_cols, cols)
        if y0 >= y1 or x0 >= x1:
            continue
        bits = plane.bitmap[y0 - top : y1 - top, x0 - left : x1 - left]
        region = out[y0:y1, x0:x1]
        if plane.kind == "R":
            region[~bits] >>= _ROI_SHIFT
        else:
            region[bits] = 255
    return out


__all__ = ["OVERLAY_GROUPS", "OverlayPlane", "burn_in", "read_overlay_planes"]
