"""The graphics items drawn over a film: a reading's regions, and the trajectory's path and trail.

pyqtgraph style: one :class:`pyqtgraph.GraphicsObject` per concept, which owns the Qt items it is drawn with
(as its children), paints nothing itself and reports its bounds:

- :class:`RegionsItem`: the rectangles of a reading's regions (observation areas and clues) and their labels;
  used by the film canvas and by the overlays of compare and trainee mode;
- :class:`TrailItem`: the whole inspection path (faint) and the trail of the last fixations (circles a fixed size
  on screen, saccade lines, fixation numbers), updated per player frame by moving pre-created items;
- :func:`screen_text`: text a fixed size on screen (labels and numbers).

Stacking: each item's children keep the order the canvas always drew them in (clues under observation areas
under labels; path under saccades under circles under numbers), so a container at the lowest of those z values
draws exactly what the separate items drew.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsRectItem,
    QGraphicsTextItem,
)

from gazex_viewer.core.reading.document import Box
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.ui.style import FindingStyle

__all__ = ["MAX_TRAIL", "RegionsItem", "TrailItem", "screen_text", "set_screen_text"]

#: most trail items the player can show
MAX_TRAIL = 40


def screen_text(text: str, colour: Any, anchor: tuple[float, float], font: QFont | None = None) -> QGraphicsTextItem:
    """Text a fixed size on screen whose ``anchor`` (fractions of its box) sits at its position.

    What ``pg.TextItem`` draws, as a plain Qt item that ignores the view's zoom: nothing of it runs
    in Python when the canvas paints (a pg.TextItem recomputes its transform in Python every paint).
    """
    item = QGraphicsTextItem()
    item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
    item.setDefaultTextColor(pg.mkColor(colour))
    if font is not None:
        item.setFont(font)
    item.setData(1, anchor)
    set_screen_text(item, text)
    return item


def set_screen_text(item: QGraphicsTextItem, text: str) -> None:
    """Change the text of a :func:`screen_text` item, keeping its anchor at its position."""
    item.setPlainText(text)
    ax, ay = item.data(1)
    r = item.boundingRect()
    item.setTransform(QTransform.fromTranslate(-r.width() * ax, -r.height() * ay))


class _Container(pg.GraphicsObject):
    """A GraphicsObject that draws through its children and reports the film area they cover."""

    def __init__(self, z: float) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)
        self.setZValue(z)
        self._bounds = QRectF()

    def paint(self, p: QPainter, *args: Any) -> None:
        """Nothing of its own: the children paint (regions, path, trail)."""

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt name)
        return QRectF(self._bounds)

    def _grow(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._bounds = rect if self._bounds.isNull() else self._bounds.united(rect)

    def _adopt(self, item: QGraphicsItem, z: float) -> None:
        item.setParentItem(self)
        item.setZValue(z)


class RegionsItem(_Container):
    """A reading's regions: one rectangle per box and one label per box, drawn as this item's children.

    The owner styles the returned items (pens, fills, visibility); :meth:`clear` removes them all.

    Parameters
    ----------
    z
        Where the regions sit among the film's layers; a box's ``z`` in :meth:`add_box` is relative to it.
    """

    def __init__(self, z: float) -> None:
        super().__init__(z)
        self.rects: list[QGraphicsRectItem] = []
        self.labels: list[QGraphicsItem] = []

    def add_box(self, box: Box, *, z: float = 0.0, kind: str = "", cached: bool = False) -> QGraphicsRectItem:
        """A rectangle for ``box`` (film pixels); ``kind`` ("observation" / "clue") is kept as its data(0)."""
        r = QGraphicsRectItem(QRectF(box.x_min, box.y_min, box.width, box.height))
        if kind:
            r.setData(0, kind)
        if cached:
            r.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._adopt(r, z)
        self.rects.append(r)
        self._grow(r.rect())
        return r

    def add_label(self, label: QGraphicsItem, x: float, y: float, *, z: float = 0.0) -> QGraphicsItem:
        """Put ``label`` (a :func:`screen_text` or a ``pg.TextItem``) at film point (x, y)."""
        label.setPos(x, y)
        self._adopt(label, z)
        self.labels.append(label)
        return label

    def clear(self) -> None:
        """Remove every region and label."""
        scene = self.scene()
        for item in [*self.rects, *self.labels]:
            if scene is not None:
                scene.removeItem(item)
            else:
                item.setParentItem(None)  # type: ignore[arg-type]  # None detaches (PySide6's stubs say no)
        self.rects.clear()
        self.labels.clear()
        self.prepareGeometryChange()
        self._bounds = QRectF()


class TrailItem(_Container):
    """The inspection path and the trail of the last fixations, in the findings' colours.

    Every item is created once (``MAX_TRAIL`` of each); a player frame moves the ones in the trail and hides
    the few that left it (about 1 ms a frame for an 11-fixation trail).
    """

    def __init__(self, z: float) -> None:
        super().__init__(z)
        #: the whole path, static and faint
        self.path_item = pg.PlotCurveItem(pen=pg.mkPen(255, 255, 255, 60, width=1))
        self._adopt(self.path_item, 0)
        self.saccade_items: list[QGraphicsLineItem] = []
        for _ in range(MAX_TRAIL - 1):
            line = QGraphicsLineItem()
            line.setVisible(False)
            self._adopt(line, 1)
            self.saccade_items.append(line)
        #: fixation circles of the trail, a fixed size on screen, oldest first
        self.fixation_items: list[QGraphicsEllipseItem] = []
        for _ in range(MAX_TRAIL):
            c = QGraphicsEllipseItem(-11.0, -11.0, 22.0, 22.0)
            c.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            c.setVisible(False)
            self._adopt(c, 2)
            self.fixation_items.append(c)
        self.path_item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        font = QFont()
        font.setPointSize(9)
        font.setBold(True)
        self.number_items: list[QGraphicsTextItem] = []
        for _ in range(MAX_TRAIL):
            t = screen_text("", (255, 255, 255), (0.5, 0.5), font)
            t.setVisible(False)
            self._adopt(t, 3)
            self.number_items.append(t)
        self._fix_style: list[tuple[Any, ...]] = [()] * MAX_TRAIL
        self._line_style: list[tuple[int, int]] = [(-1, -1)] * MAX_TRAIL
        self._style_cache: dict[tuple[str, int, int], tuple[QBrush, QPen, float]] = {}
        self._number_cache: list[str] = [""] * MAX_TRAIL
        #: how many trail circles and saccades are shown, and which number slots
        self._circles_shown = 0
        self._lines_shown = 0
        self._numbers_shown: set[int] = set()

    def set_path(self, playback: TrajectoryPlayback | None) -> None:
        """The whole path of ``playback`` (none without key frames)."""
        if playback is not None and len(playback):
            self.path_item.setData(playback.xs, playback.ys)
            x0, y0 = float(np.min(playback.xs)), float(np.min(playback.ys))
            self._grow(QRectF(x0, y0, float(np.max(playback.xs)) - x0, float(np.max(playback.ys)) - y0))
        else:
            self.path_item.setData([], [])

    @property
    def shown(self) -> int:
        """How many fixation circles the trail shows now."""
        return sum(1 for c in self.fixation_items if c.isVisible())

    def _trail_style(self, colour: str, age: int, n: int) -> tuple[QBrush, QPen, float]:
        key = (colour, age, n)
        style = self._style_cache.get(key)
        if style is None:
            alpha = max(40, int(255 * (1.0 - age / max(n, 1)) ** 1.2))
            fill = QColor(colour)
            fill.setAlpha(int(alpha * 0.55))
            pen = QPen(QColor(255, 255, 255, alpha), 2.0 if age == 0 else 1.0)
            pen.setCosmetic(True)
            style = (QBrush(fill), pen, 15.0 if age == 0 else 11.0)
            if len(self._style_cache) > 4096:
                self._style_cache.clear()
            self._style_cache[key] = style
        return style

    def draw(
        self, pb: TrajectoryPlayback, trail_length: int, colours: Mapping[str, FindingStyle], *, numbers: bool
    ) -> None:
        """Show the trail of ``pb`` at its current time: ``trail_length`` fixations, coloured by finding.

        Only items whose state changes are touched: a frame moves the trail's items and hides the
        few that left it, it does not walk all ``MAX_TRAIL`` slots of each kind.
        """
        self.path_item.setVisible(True)
        pb.trail_length = trail_length
        trail = pb.trail_indices()
        n = len(trail)
        first = trail.start
        xs = pb.xs[first : first + n].tolist()
        ys = pb.ys[first : first + n].tolist()
        fids = pb.finding_ids[first : first + n]
        for k in range(n):
            c = self.fixation_items[k]
            fid = fids[k]
            colour = colours[fid].colour if fid is not None and fid in colours else "#ffffff"
            age = n - 1 - k  # 0 = current
            key = (colour, age, n)
            if self._fix_style[k] != key:
                brush, pen, r = self._trail_style(colour, age, n)
                c.setBrush(brush)
                c.setPen(pen)
                c.setRect(-r, -r, 2 * r, 2 * r)
                self._fix_style[k] = key
            c.setPos(xs[k], ys[k])
        for k in range(n - 1):
            line = self.saccade_items[k]
            line.setLine(xs[k], ys[k], xs[k + 1], ys[k + 1])
            age = n - 2 - k
            if self._line_style[k] != (age, n):
                lc = QColor(255, 235, 59, max(40, int(230 * (1.0 - age / max(n, 1)))))
                pen = QPen(lc, 2.0)
                pen.setCosmetic(True)
                line.setPen(pen)
                self._line_style[k] = (age, n)
        # a number item per fixation index (slot = index mod MAX_TRAIL): its text changes only when
        # a new fixation enters the trail
        slots: set[int] = set()
        if numbers:
            for k, i in enumerate(trail):
                slot = i % MAX_TRAIL
                slots.add(slot)
                t = self.number_items[slot]
                text = str(i + 1)
                if self._number_cache[slot] != text:
                    set_screen_text(t, text)
                    self._number_cache[slot] = text
                t.setPos(xs[k], ys[k])
        self._show_only(n, max(n - 1, 0), slots)

    def hide_trail(self) -> None:
        """No path and no trail (no reading, or the trajectory layer off)."""
        self.path_item.setVisible(False)
        self._show_only(0, 0, set())

    def _show_only(self, circles: int, lines: int, numbers: set[int]) -> None:
        """Show the first ``circles`` fixation circles, ``lines`` saccades and the ``numbers`` slots; hide the rest."""
        for items, shown, want in (
            (self.fixation_items, self._circles_shown, circles),
            (self.saccade_items, self._lines_shown, lines),
        ):
            for k in range(min(shown, want), max(shown, want)):
                items[k].setVisible(k < want)
        self._circles_shown, self._lines_shown = circles, lines
        for slot in self._numbers_shown ^ numbers:
            self.number_items[slot].setVisible(slot in numbers)
        self._numbers_shown = numbers

    def numbers(self, pb: TrajectoryPlayback) -> list[str]:
        """The fixation numbers shown along ``pb``'s trail, oldest first."""
        out = []
        for i in pb.trail_indices():
            t = self.number_items[i % MAX_TRAIL]
            if t.isVisible():
                out.append(t.toPlainText())
        return out
