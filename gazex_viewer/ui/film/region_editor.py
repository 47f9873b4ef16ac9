"""Editing a finding's regions on the film, and drawing the box of a missed finding.

:class:`RegionEditor` works on the canvas's pyqtgraph ``ViewBox`` (whose coordinates are image
pixels, x = column, y = row). In *edit* mode every region of one finding (observation and clues)
gets a :class:`pyqtgraph.RectROI` that can be dragged or resized; the edited
:class:`~gazex_viewer.core.reading.document.Box` is emitted only when a drag finishes (``box_edited``), so one
gesture is one review event. In *draw* mode a left-drag on the film draws a new box (``box_drawn``);
panning with the left button is paused while drawing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from gazex_viewer.core.reading.document import Box, Finding

if TYPE_CHECKING:
    from pyqtgraph.GraphicsScene.mouseEvents import MouseDragEvent

#: boxes smaller than this (image pixels, either side) are a click, not a drawn region
MIN_BOX_PX = 4.0
EDIT_COLOUR = "#ffeb3b"
CLUE_COLOUR = "#ffb74d"
DRAW_COLOUR = "#42a5f5"


def box_from_rect(rect: QRectF, bounds: QRectF | None = None) -> Box:
    """A :class:`Box` (centroid at the centre) from a rectangle, clipped to ``bounds``."""
    r = rect.normalized()
    if bounds is not None and bounds.isValid():
        r = r.intersected(bounds)
    return Box.from_corners(
        round(r.left(), 1), round(r.top(), 1), round(r.right(), 1), round(r.bottom(), 1)
    )


class _DrawCatcher(pg.GraphicsObject):
    """An invisible item over the film that turns a left-drag into a rectangle."""

    def __init__(self, editor: RegionEditor) -> None:
        super().__init__()
        self._editor = editor
        self._rect = QRectF(0, 0, 1, 1)
        self.setZValue(60)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def set_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._rect = QRectF(rect)

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return QRectF(self._rect)

    def paint(self, p: QPainter, *args: object) -> None:
        pass

    def mouseDragEvent(self, ev: MouseDragEvent) -> None:  # noqa: N802 (pyqtgraph name)
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        start = ev.buttonDownPos()
        rect = QRectF(QPointF(start), QPointF(ev.pos())).normalized()
        self._editor._preview(rect)
        if ev.isFinish():
            self._editor._finish_draw(rect)


class RegionEditor(QObject):
    """Region handles and box drawing on a film ViewBox.

    Signals
    -------
    box_edited(str, str, int, object)
        finding id, ``"observation"`` or ``"clue"``, clue index (0 for the observation), the new
        :class:`Box`; emitted once per finished drag or resize.
    box_drawn(object)
        The :class:`Box` drawn in draw mode (boxes under ``MIN_BOX_PX`` are ignored).
    """

    box_edited = Signal(str, str, int, object)
    box_drawn = Signal(object)

    def __init__(self, view_box: pg.ViewBox, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.vb = view_box
        self.bounds = QRectF()
        self.finding_id: str | None = None
        #: (kind, index, roi) of the finding being edited
        self.rois: list[tuple[str, int, pg.RectROI]] = []
        self._catcher = _DrawCatcher(self)
        self._catcher.setVisible(False)
        self.vb.addItem(self._catcher, ignoreBounds=True)
        self.preview_item = QGraphicsRectItem()
        pen = QPen(QColor(DRAW_COLOUR), 2.0, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.preview_item.setPen(pen)
        fill = QColor(DRAW_COLOUR)
        fill.setAlpha(40)
        self.preview_item.setBrush(QBrush(fill))
        self.preview_item.setZValue(61)
        self.preview_item.setVisible(False)
        self.vb.addItem(self.preview_item, ignoreBounds=True)
        self.drawn: Box | None = None

    # -- bounds ------------------------------------------------------------------------------------
    def set_bounds(self, rect: QRectF) -> None:
        """The image rectangle (0, 0, width, height): boxes are kept inside it."""
        self.bounds = QRectF(rect)
        self._catcher.set_rect(rect)
        for _kind, _i, roi in self.rois:
            roi.maxBounds = QRectF(rect)

    # -- edit mode -----------------------------------------------------------------------------------
    @property
    def editing(self) -> str | None:
        return self.finding_id

    def edit(self, finding_id: str | None, finding: Finding | None = None) -> None:
        """Show handles on every region of ``finding`` (None clears them)."""
        self._clear_rois()
        self.finding_id = finding_id
        if finding_id is None or finding is None:
            self.finding_id = None
            return
        boxes: list[tuple[str, int, Box]] = []
        if finding.observation is not None:
            boxes.append(("observation", 0, finding.observation))
        boxes += [("clue", i, b) for i, b in enumerate(finding.clues)]
        for kind, index, b in boxes:
            colour = EDIT_COLOUR if kind == "observation" else CLUE_COLOUR
            pen = pg.mkPen(colour, width=2 if kind == "observation" else 1.5)
            roi = pg.RectROI(
                [b.x_min, b.y_min],
                [max(b.width, 1.0), max(b.height, 1.0)],
                pen=pen,
                hoverPen=pg.mkPen("#ffffff", width=2),
                handlePen=pg.mkPen(colour),
                maxBounds=QRectF(self.bounds) if self.bounds.isValid() else None,
                sideScalers=True,
                movable=True,
                rotatable=False,
            )
            for pos, centre in (([0, 0], [1, 1]), ([1, 0], [0, 1]), ([0, 1], [1, 0])):
                roi.addScaleHandle(pos, centre)
            # clues usually lie inside the observation area: keep them on top so they can be grabbed
            roi.setZValue(40 if kind == "observation" else 41)
            roi.setToolTip(
                ("Observation area" if kind == "observation" else f"Visual clue {index + 1}")
                + ": drag to move, drag a handle to resize"
            )
            roi.sigRegionChangeFinished.connect(
                lambda r, k=kind, i=index: self._on_roi_finished(k, i, r)
            )
            self.vb.addItem(roi)
            self.rois.append((kind, index, roi))

    def _clear_rois(self) -> None:
        for _kind, _i, roi in self.rois:
            try:
                roi.sigRegionChangeFinished.disconnect()
            except (RuntimeError, TypeError):
                pass
            self.vb.removeItem(roi)
        self.rois.clear()

    def roi(self, kind: str = "observation", index: int = 0) -> pg.RectROI:
        """The handle item of one region of the finding being edited (KeyError when none)."""
        for k, i, r in self.rois:
            if k == kind and i == index:
                return r
        raise KeyError((kind, index))

    def roi_rect(self, roi: pg.RectROI) -> QRectF:
        pos, size = roi.pos(), roi.size()
        return QRectF(float(pos.x()), float(pos.y()), float(size.x()), float(size.y()))

    def _on_roi_finished(self, kind: str, index: int, roi: pg.RectROI) -> None:
        if self.finding_id is None:
            return
        box = box_from_rect(self.roi_rect(roi), self.bounds)
        if box.width < 1 or box.height < 1:
            return
        self.box_edited.emit(self.finding_id, kind, index, box)

    # -- draw mode ---------------------------------------------------------------------------------
    @property
    def drawing(self) -> bool:
        return self._catcher.isVisible()

    def set_drawing(self, on: bool) -> None:
        """Start (True) or stop (False) drawing a new box with a left-drag."""
        self._catcher.setVisible(bool(on))
        if not on:
            self.show_pending(None)

    def show_pending(self, box: Box | None) -> None:
        """Keep a drawn box visible until the finding is added (None hides it)."""
        self.drawn = box
        if box is None:
            self.preview_item.setVisible(False)
            return
        self.preview_item.setRect(QRectF(box.x_min, box.y_min, box.width, box.height))
        self.preview_item.setVisible(True)

    def _preview(self, rect: QRectF) -> None:
        r = rect.intersected(self.bounds) if self.bounds.isValid() else rect
        self.preview_item.setRect(r)
        self.preview_item.setVisible(True)

    def _finish_draw(self, rect: QRectF) -> None:
        box = box_from_rect(rect, self.bounds)
        if box.width < MIN_BOX_PX or box.height < MIN_BOX_PX:
            self.show_pending(self.drawn)
            return
        self.show_pending(box)
        self.box_drawn.emit(box)
