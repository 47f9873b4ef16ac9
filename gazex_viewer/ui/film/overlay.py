"""A second reading on the film: its regions and trajectory in one colour, driven by the shared clock.

The Qt-free pieces (re-exported here for the ui) live in :mod:`gazex_viewer.core.reading.frames`:
:func:`film_frame` / :func:`reading_for_film` (how a reading's coordinates map onto the open film),
:class:`ClockMap` and :class:`SharedClockPlayback` (one clock for two readings). This module owns:

- :class:`ReadingOverlay`: the items of one reading drawn over a :class:`~gazex_viewer.ui.film.canvas.FilmCanvas`
  in a single colour (regions dashed for clues, the whole path faint, a fading trail with numbers).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPen
from PySide6.QtWidgets import QGraphicsLineItem, QGraphicsRectItem

from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.frames import (
    GAZESEARCH_FRAME_NAME,
    GAZESEARCH_SIZE,
    ClockMap,
    FilmFrame,
    HashStatus,
    SharedClockPlayback,
    film_frame,
    reading_for_film,
)
from gazex_viewer.core.reading.identity import UNKNOWN_PIXEL_SHA256
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.ui.film.items import MAX_TRAIL, RegionsItem

__all__ = [
    "COLOUR_A",
    "COLOUR_B",
    "GAZESEARCH_FRAME_NAME",
    "GAZESEARCH_SIZE",
    "UNKNOWN_PIXEL_SHA256",
    "ClockMap",
    "FilmFrame",
    "HashStatus",
    "ReadingOverlay",
    "SharedClockPlayback",
    "film_frame",
    "reading_for_film",
]

#: default colours of the two readings compared: A (usually the model) cyan, B (usually the expert) magenta
COLOUR_A = "#29b6f6"
COLOUR_B = "#ff4fd8"


# -- the overlay ----------------------------------------------------------------------------------------------
def _pen(colour: QColor, width: float, *, dashed: bool = False) -> QPen:
    pen = QPen(colour, width)
    pen.setCosmetic(True)
    if dashed:
        pen.setStyle(Qt.PenStyle.DashLine)
    return pen


class ReadingOverlay(QObject):
    """One reading's regions and trajectory drawn over a film canvas in a single colour.

    Parameters
    ----------
    canvas : the :class:`~gazex_viewer.ui.film.canvas.FilmCanvas` (anything with a pyqtgraph ``vb``).
    colour : the reading's colour (``"#rrggbb"``).
    tag : a short prefix for region labels (``"B"`` gives ``B1``, ``B1a``); trail markers carry the
        fixation's number only, their colour and ``symbol`` (pyqtgraph: ``"o"``, ``"s"``, ...) say whose.
    """

    def __init__(
        self, canvas: Any, colour: str = COLOUR_B, *, tag: str = "B", symbol: str = "s", parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.symbol = symbol
        self.vb = canvas.vb
        self.tag = tag
        self._colour = QColor(colour)
        self.reading: Reading | None = None
        self.playback = TrajectoryPlayback([])
        self.show_regions = True
        self.show_trajectory = True
        self.show_labels = True
        self.visible = True
        self.trail_length = 6
        self.current_index: int | None = None
        self._drawn: tuple[Any, ...] | None = None
        self._number_cache: list[str] = [""] * MAX_TRAIL
        self._region_items: list[tuple[QGraphicsRectItem, str]] = []
        self._region_findings: list[str] = []
        self.highlighted: str | None = None
        self._label_items: list[pg.TextItem] = []
        #: the reading's regions and labels (z 13, over the film's own regions, under the trail)
        self.regions_item = RegionsItem(13)
        self.vb.addItem(self.regions_item, ignoreBounds=True)
        self.path_item = pg.PlotCurveItem()
        self.path_item.setZValue(14)
        self.vb.addItem(self.path_item)
        self.saccade_items: list[QGraphicsLineItem] = []
        for _ in range(MAX_TRAIL - 1):
            line = QGraphicsLineItem()
            line.setZValue(15)
            line.setVisible(False)
            self.vb.addItem(line)
            self.saccade_items.append(line)
        self.fixation_item = pg.ScatterPlotItem(pxMode=True, symbol=symbol)
        self.fixation_item.setZValue(16)
        self.vb.addItem(self.fixation_item)
        font = QFont()
        font.setPointSize(9)
        font.setBold(True)
        self.number_items: list[pg.TextItem] = []
        for _ in range(MAX_TRAIL):
            t = pg.TextItem("", color=(255, 255, 255), anchor=(0.5, 0.5))
            t.setFont(font)
            t.setZValue(17)
            t.setVisible(False)
            self.vb.addItem(t)
            self.number_items.append(t)
        self._restyle_static()

    # -- state ------------------------------------------------------------------------------------
    @property
    def colour(self) -> str:
        return self._colour.name()

    def set_colour(self, colour: str) -> None:
        """Draw the reading in another colour."""
        self._colour = QColor(colour)
        self._restyle_static()
        self.update()

    def set_reading(self, reading: Reading | None) -> None:
        """Draw ``reading`` (already in film pixels: see :func:`reading_for_film`); None removes it."""
        # a fresh regions item per reading: it goes on top of what was drawn before, as its boxes always did
        self.vb.removeItem(self.regions_item)
        self.regions_item = RegionsItem(13)
        self.vb.addItem(self.regions_item, ignoreBounds=True)
        self._region_items.clear()
        self._region_findings.clear()
        self._label_items.clear()
        self.highlighted = None
        self.reading = reading
        self.playback = TrajectoryPlayback([] if reading is None else reading.trajectory)
        if reading is not None:
            number = 0
            for f in reading.findings:
                number += 1
                clue_no = 0
                for kind, b in [
                    *([("observation", f.observation)] if f.observation is not None else []),
                    *(("clue", c) for c in f.clues),
                ]:
                    r = self.regions_item.add_box(b)
                    self._region_items.append((r, kind))
                    self._region_findings.append(f.id)
                    if kind == "clue":
                        clue_no += 1
                        text = f"{self.tag}{number}{chr(ord('a') + (clue_no - 1) % 26)}"
                    else:
                        text = f"{self.tag}{number}"
                    lab = pg.TextItem(text, color=self._colour, anchor=(1, 1))
                    self.regions_item.add_label(lab, b.x_max, b.y_min)
                    self._label_items.append(lab)
        pb = self.playback
        if len(pb):
            self.path_item.setData(pb.xs, pb.ys)
        else:
            self.path_item.setData([], [])
        self._restyle_static()
        self.update()

    def set_layers(
        self, *, regions: bool | None = None, trajectory: bool | None = None, labels: bool | None = None, **_: Any
    ) -> None:
        """Show or hide the overlay's layers (extra keys such as ``heatmap`` are ignored)."""
        if regions is not None:
            self.show_regions = regions
        if trajectory is not None:
            self.show_trajectory = trajectory
        if labels is not None:
            self.show_labels = labels
        self._restyle_static()
        self.update()

    def set_highlight(self, finding_id: str | None) -> None:
        """Emphasise one finding's regions (thicker, lightly filled), dim the others; None: all alike."""
        self.highlighted = finding_id
        self._restyle_static()

    def region_pen_width(self, finding_id: str) -> float:
        """The outline width of a finding's first region (for tests of the highlight)."""
        for (r, _k), fid in zip(self._region_items, self._region_findings):
            if fid == finding_id:
                return float(r.pen().widthF())
        raise KeyError(finding_id)

    def set_visible(self, visible: bool) -> None:
        self.visible = bool(visible)
        self._restyle_static()
        self.update()

    def set_trail_length(self, n: int) -> None:
        self.trail_length = max(1, min(MAX_TRAIL, int(n)))
        self.update()

    def set_time(self, t: float) -> None:
        """Show the trail at time ``t`` of this reading's own clock."""
        self.playback.seek(t)
        self.update()

    def remove(self) -> None:
        """Take every item off the canvas."""
        self.set_reading(None)
        for item in [self.regions_item, self.path_item, self.fixation_item, *self.saccade_items, *self.number_items]:
            self.vb.removeItem(item)

    # -- for tests -------------------------------------------------------------------------------
    def region_rects(self) -> list[QRectF]:
        """The drawn regions (film pixels), observation first per finding."""
        return [r.rect() for r, _ in self._region_items]

    def trail_positions(self) -> np.ndarray:
        """``(n, 2)`` film positions of the trail markers now shown, oldest first."""
        if not self.fixation_item.isVisible():
            return np.zeros((0, 2))
        pts = self.fixation_item.points()
        return np.array([[p.pos().x(), p.pos().y()] for p in pts], dtype=np.float64).reshape(-1, 2)

    # -- drawing ----------------------------------------------------------------------------------
    def _restyle_static(self) -> None:
        c = QColor(self._colour)
        hl = self.highlighted
        for (r, kind), fid in zip(self._region_items, self._region_findings):
            pc = QColor(c)
            if hl is not None and fid != hl:
                pc.setAlpha(80)
            width = (2.2 if kind == "observation" else 1.6) + (1.6 if fid == hl else 0.0)
            r.setPen(_pen(pc, width, dashed=kind == "clue"))
            if fid == hl:
                fill = QColor(c)
                fill.setAlpha(40)
                r.setBrush(QBrush(fill))
            else:
                r.setBrush(QBrush(Qt.BrushStyle.NoBrush))
            r.setVisible(self.visible and self.show_regions)
        for lab in self._label_items:
            lab.setColor(c)
            lab.setVisible(self.visible and self.show_regions and self.show_labels)
        faint = QColor(c)
        faint.setAlpha(110)
        self.path_item.setPen(pg.mkPen(faint, width=1.5, style=Qt.PenStyle.DotLine))

    def update(self, *, force: bool = False) -> None:
        """Redraw the trail for the playback's current time (nothing to do when the same point is current)."""
        pb = self.playback
        show = self.visible and self.show_trajectory and len(pb) > 0
        key = (id(pb), pb.current_index if len(pb) else None, show, self.show_labels, self.trail_length, self._colour.rgba())
        if key == self._drawn and not force:
            return
        self._drawn = key
        self.path_item.setVisible(show)
        self.fixation_item.setVisible(show)
        if not show:
            self.fixation_item.setData([], [])
            for line in self.saccade_items:
                line.setVisible(False)
            for t in self.number_items:
                t.setVisible(False)
            self.current_index = pb.current_index if len(pb) else None
            return
        pb.trail_length = self.trail_length
        self.current_index = pb.current_index
        trail = list(pb.trail_indices())
        n = len(trail)
        brushes, pens, sizes = [], [], []
        for k, _i in enumerate(trail):
            age = n - 1 - k
            alpha = max(50, int(255 * (1.0 - age / max(n, 1)) ** 1.2))
            fill = QColor(self._colour)
            fill.setAlpha(int(alpha * 0.6))
            brushes.append(pg.mkBrush(fill))
            edge = QColor(self._colour).lighter(150)
            edge.setAlpha(alpha)
            pens.append(pg.mkPen(edge, width=2.5 if age == 0 else 1.2))
            sizes.append(28 if age == 0 else 20)
        self.fixation_item.setData(x=pb.xs[trail], y=pb.ys[trail], size=sizes, brush=brushes, pen=pens)
        for k, line in enumerate(self.saccade_items):
            if k < n - 1:
                i0, i1 = trail[k], trail[k + 1]
                line.setLine(pb.xs[i0], pb.ys[i0], pb.xs[i1], pb.ys[i1])
                age = n - 2 - k
                c = QColor(self._colour)
                c.setAlpha(max(50, int(230 * (1.0 - age / max(n, 1)))))
                line.setPen(_pen(c, 2.0))
                line.setVisible(True)
            else:
                line.setVisible(False)
        for k, t in enumerate(self.number_items):
            if k < n and self.show_labels:
                i = trail[k]
                text = str(i + 1)
                if self._number_cache[k] != text:
                    t.setText(text)
                    self._number_cache[k] = text
                t.setPos(QPointF(float(pb.xs[i]), float(pb.ys[i])))
                t.setVisible(True)
            else:
                t.setVisible(False)
