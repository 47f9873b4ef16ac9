"""What a PACS viewer writes in the corners of a film, and its orientation markers (Qt-free).

Corners (as OHIF, Weasis and Horos show them): top left the patient (name, ID, birth date and sex), top right the
study (date, description, view and modality), bottom left the display (window centre/width, zoom, inversion),
bottom right the geometry (pixel spacing and its kind, matrix). Orientation markers come from the header's
PatientOrientation (row and column directions, PS3.3 C.7.6.1.1.1) or, without it, from a frontal chest view
position (PA or AP: the patient's left on the viewer's right, head up), said as such.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from gazex_viewer.core.reading.patient_identity import PatientIdentity

_OPPOSITE = {"L": "R", "R": "L", "A": "P", "P": "A", "H": "F", "F": "H"}


@dataclass(frozen=True)
class OrientationMarkers:
    """The patient directions at the film's four edges, and where they come from."""

    left: str
    right: str
    top: str
    bottom: str
    source: str


def _opposite(direction: str) -> str | None:
    out = [_OPPOSITE.get(ch) for ch in direction.upper()]
    return None if not out or None in out else "".join(o for o in out if o)


def orientation_markers(
    patient_orientation: list[str] | tuple[str, ...] | None, view_position: str | None
) -> OrientationMarkers | None:
    """Edge markers from PatientOrientation (row direction, column direction), else from a PA/AP view.

    ``["L", "F"]`` (RG1): the right edge is the patient's left, the bottom edge the feet.
    """
    if patient_orientation and len(patient_orientation) == 2:
        row, col = (str(v).strip().upper() for v in patient_orientation)
        left, top = _opposite(row), _opposite(col)
        if row and col and left and top:
            return OrientationMarkers(left=left, right=row, top=top, bottom=col, source="PatientOrientation")
    view = (view_position or "").strip().upper()
    if view in ("PA", "AP"):
        return OrientationMarkers(left="R", right="L", top="H", bottom="F", source=f"{view} view position")
    return None


def read_patient_orientation(path: str | os.PathLike[str] | None) -> list[str] | None:
    """PatientOrientation of a DICOM file's header (None: absent, not DICOM, unreadable)."""
    if path is None:
        return None
    try:
        import pydicom

        ds = pydicom.dcmread(os.fspath(path), stop_before_pixels=True, specific_tags=["PatientOrientation"])
    except Exception:  # noqa: BLE001 - a PNG, a missing file, a broken header: no markers
        return None
    return patient_orientation(ds)


def patient_orientation(header: Any) -> list[str] | None:
    """PatientOrientation of a DICOM header, e.g. a film source's ``header()`` (None: absent, malformed, no header)."""
    if header is None:
        return None
    try:
        value = header.get("PatientOrientation")
    except Exception:  # noqa: BLE001 - a malformed element: no markers
        return None
    if value is None:
        return None
    items = [str(v) for v in value] if not isinstance(value, str) else value.split("\\")
    return items if len(items) == 2 else None


@dataclass(frozen=True)
class DisplayState:
    """What the viewer currently does to the film."""

    window: tuple[float, float] | None
    window_name: str
    zoom: float
    inverted: bool


def corner_texts(identity: PatientIdentity, metadata: Any, display: DisplayState) -> dict[str, list[str]]:
    """Lines for the four corners: ``top_left``, ``top_right``, ``bottom_left``, ``bottom_right``."""
    tl: list[str] = []
    if identity.known:
        if identity.patient_name:
            tl.append(identity.patient_name)
        if identity.patient_id:
            tl.append(f"ID {identity.patient_id}")
        born = " ".join(x for x in (identity.birth_date and f"born {identity.birth_date}", identity.sex) if x)
        if born:
            tl.append(born)
    else:
        tl.append("Patient unknown (not DICOM)")
    tr: list[str] = []
    if identity.study_date:
        tr.append(identity.study_date)
    if identity.study_description:
        tr.append(identity.study_description)
    view = " ".join(x for x in (identity.view_position, identity.modality) if x)
    if view:
        tr.append(view)
    bl: list[str] = []
    if display.window is not None:
        c, w = display.window
        bl.append(f"C {c:.0f}  W {w:.0f}" + (f"  ({display.window_name})" if display.window_name else ""))
    bl.append(f"Zoom {display.zoom * 100:.0f}%" + ("  inverted" if display.inverted else ""))
    br: list[str] = []
    spacing = getattr(metadata, "pixel_spacing_mm", None)
    kind = getattr(metadata, "spacing_kind", None)
    if spacing:
        where = " at detector" if kind == "ImagerPixelSpacing" else ""
        br.append(f"{spacing[0]:.3f} x {spacing[1]:.3f} mm{where}")
    else:
        br.append("spacing unknown")
    rows, cols = getattr(metadata, "rows", None), getattr(metadata, "columns", None)
    if rows and cols:
        br.append(f"{cols} x {rows}")
    return {"top_left": tl, "top_right": tr, "bottom_left": bl, "bottom_right": br}
