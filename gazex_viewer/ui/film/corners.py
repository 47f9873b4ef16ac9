"""The film's corner text and orientation markers, drawn over the canvas as a PACS viewer draws them.

A view of the canvas and the open radiograph: :meth:`FilmCorners.set_radiograph` reads the header once (identity,
PatientOrientation), :meth:`FilmCorners.refresh` follows window, zoom and inversion. The labels ignore the mouse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QLabel, QWidget

from gazex_viewer.core.imaging.film_annotations import (
    DisplayState,
    OrientationMarkers,
    corner_texts,
    orientation_markers,
    patient_orientation,
)
from gazex_viewer.core.reading.patient_identity import (
    PatientIdentity,
    identity_of_film,
    unknown_identity,
)

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.ui.film.canvas import FilmCanvas
    from gazex_viewer.ui.workspace import Workspace

_STYLE = (
    "color:#e8eef3; background:transparent; font-size:11px;"
    "padding:2px 4px;"
)
_MARKER_STYLE = "color:#ffe08a; background:rgba(0,0,0,110); font-weight:bold; font-size:15px; padding:1px 5px;"


class FilmCorners(QObject):
    """Corner text and orientation markers over a :class:`~gazex_viewer.ui.film.canvas.FilmCanvas`.

    Signals
    -------
    visibility_changed(bool) : shown or hidden by :meth:`set_visible` (a second film's corners follow).
    """

    visibility_changed = Signal(bool)

    def __init__(self, canvas: FilmCanvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        host: QWidget = canvas.viewport()
        self.labels: dict[str, QLabel] = {}
        for key in ("top_left", "top_right", "bottom_left", "bottom_right"):
            lab = QLabel(host)
            lab.setObjectName(f"corner_{key}")
            lab.setStyleSheet(_STYLE)
            lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            lab.setTextFormat(Qt.TextFormat.PlainText)
            align = Qt.AlignmentFlag.AlignRight if key.endswith("right") else Qt.AlignmentFlag.AlignLeft
            lab.setAlignment(align | Qt.AlignmentFlag.AlignTop)
            lab.hide()
            self.labels[key] = lab
        self.markers: dict[str, QLabel] = {}
        for key in ("left", "right", "top", "bottom"):
            lab = QLabel(host)
            lab.setObjectName(f"marker_{key}")
            lab.setStyleSheet(_MARKER_STYLE)
            lab.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            lab.hide()
            self.markers[key] = lab
        self.identity: PatientIdentity = unknown_identity()
        self.orientation: OrientationMarkers | None = None
        self.radiograph: Radiograph | None = None
        self.visible = True
        host.installEventFilter(self)
        canvas.view_changed.connect(self.refresh)

    def set_radiograph(self, radiograph: Radiograph | None) -> None:
        """Read the header of the film (identity, orientation) and show its corners."""
        self.radiograph = radiograph
        if radiograph is None:
            self.identity = unknown_identity()
            self.orientation = None
        else:
            header = radiograph.source.header()  # the film's source, whatever it is: never a file read again
            self.identity = identity_of_film(radiograph.name, header)
            meta = radiograph.metadata
            self.orientation = orientation_markers(patient_orientation(header), meta.view_position)
        self.refresh()

    def observe(self, workspace: Workspace) -> None:
        """Follow ``workspace`` (a :class:`~gazex_viewer.ui.workspace.Workspace`): its radiograph's corners."""
        workspace.radiograph_changed.connect(self.set_radiograph)

    def set_visible(self, visible: bool) -> None:
        self.visible = bool(visible)
        self.refresh()
        self.visibility_changed.emit(self.visible)

    def texts(self) -> dict[str, list[str]]:
        """The corner lines now shown (for tests and screenshots)."""
        if self.radiograph is None:
            return {k: [] for k in self.labels}
        display = DisplayState(self.canvas.window, self.canvas.window_name, self.canvas.zoom(), self.canvas.inverted)
        out = corner_texts(self.identity, self.radiograph.metadata, display)
        if not any("x" in line and "mm" not in line for line in out["bottom_right"]):
            out["bottom_right"].append(f"{self.radiograph.width} x {self.radiograph.height}")
        return out

    def refresh(self) -> None:
        shown = self.visible and self.radiograph is not None
        texts = self.texts() if shown else {}
        for key, lab in self.labels.items():
            lines = texts.get(key, [])
            lab.setText("\n".join(lines))
            lab.setVisible(shown and bool(lines))
            hint = lab.sizeHint()
            lab.resize(hint.width() + 8, hint.height())  # a little slack: never clip the last letter
        for key, lab in self.markers.items():
            text = getattr(self.orientation, key, "") if self.orientation is not None else ""
            lab.setText(text)
            lab.setToolTip(f"from {self.orientation.source}" if self.orientation is not None else "")
            lab.setVisible(shown and bool(text))
            lab.adjustSize()
        self._place()

    def _place(self) -> None:
        host = self.canvas.viewport()
        w, h, m = host.width(), host.height(), 6
        tl, tr = self.labels["top_left"], self.labels["top_right"]
        bl, br = self.labels["bottom_left"], self.labels["bottom_right"]
        tl.move(m, m)
        tr.move(w - tr.width() - m, m)
        bl.move(m, h - bl.height() - m)
        br.move(w - br.width() - m, h - br.height() - m)
        mk = self.markers
        mk["left"].move(m, (h - mk["left"].height()) // 2)
        mk["right"].move(w - mk["right"].width() - m, (h - mk["right"].height()) // 2)
        mk["top"].move((w - mk["top"].width()) // 2, m)
        mk["bottom"].move((w - mk["bottom"].width()) // 2, h - mk["bottom"].height() - m)

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802 (Qt name)
        if ev.type() == QEvent.Type.Resize:
            self._place()
        return False
