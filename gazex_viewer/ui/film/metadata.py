"""The metadata strip above the film: patient, ID, study date, view, laterality, pixel spacing, size, notes.

Owns :func:`metadata_text` (rich text, every value HTML-escaped) and :class:`MetadataStrip`, the label that
shows it for the workspace's radiograph.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

if TYPE_CHECKING:
    from gazex_viewer.ui.workspace import Workspace


def _meta(md: Any, key: str) -> Any:
    if md is None:
        return None
    if isinstance(md, dict):
        return md.get(key)
    return getattr(md, key, None)


def metadata_text(radiograph: Any) -> str:
    """The study/metadata strip: patient, ID, study date, view, laterality, spacing, notes."""
    md = getattr(radiograph, "metadata", None)
    parts: list[str] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, "", []):
            parts.append(f"<span style='color:#8a96a3'>{label}</span> {html.escape(str(value))}")

    add("File", getattr(radiograph, "name", None))
    name = _meta(md, "patient_name")
    add("Patient", str(name).replace("^", " ").strip() if name else None)
    add("ID", _meta(md, "patient_id"))
    date = _meta(md, "study_date")
    if isinstance(date, str) and len(date) == 8 and date.isdigit():
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    add("Study date", date)
    add("View", _meta(md, "view_position"))
    add("Laterality", _meta(md, "laterality"))
    spacing = _meta(md, "pixel_spacing_mm")
    if spacing:
        try:
            sy, sx = (float(v) for v in spacing) if not isinstance(spacing, (int, float)) else (spacing, spacing)
            txt = f"{sx:.3g} × {sy:.3g} mm" if abs(sx - sy) > 1e-9 else f"{sx:.3g} mm"
        except (TypeError, ValueError):
            txt = str(spacing)
        kind = str(_meta(md, "spacing_kind") or "")
        if "imager" in kind.lower() or "detector" in kind.lower():
            txt += " at detector"
        elif kind:
            txt += f" ({kind})"
        add("Pixel", txt)
    else:
        add("Pixel", "spacing unknown")
    w, h = getattr(radiograph, "width", None), getattr(radiograph, "height", None)
    if w and h:
        add("Size", f"{w} × {h}")
    notes = getattr(radiograph, "notes", None)
    if notes:
        add("Note", "; ".join(notes) if isinstance(notes, (list, tuple)) else notes)
    return "   ".join(parts)


class MetadataStrip(QLabel):
    """The strip above the film: :func:`metadata_text` of the workspace's radiograph ("No film open" without one)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("No film open", parent)
        self.setObjectName("metadataStrip")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)

    def observe(self, workspace: Workspace) -> None:
        """Follow ``workspace``: the strip describes its radiograph."""
        workspace.radiograph_changed.connect(self.show_radiograph)

    def show_radiograph(self, radiograph: Any) -> None:
        self.setText(metadata_text(radiograph) if radiograph is not None else "No film open")
