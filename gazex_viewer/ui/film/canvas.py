"""The film canvas: a pyqtgraph view of a radiograph with regions, trajectory and gaze heatmap.

A thin view: the pixels come from ``Radiograph.render`` (the core display pipeline), the regions from
the :class:`~gazex_viewer.core.reading.document.Reading`, the trajectory cursor from
:class:`~gazex_viewer.core.reading.playback.TrajectoryPlayback`, and the selection from
:class:`~gazex_viewer.ui.selection.SelectionModel`.

Mouse: wheel zooms about the cursor, left-drag pans, right-drag changes window (horizontal = width,
vertical = centre), a click on a region selects its finding, hovering a region highlights its sentence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsRectItem,
    QGraphicsTextItem,
    QWidget,
)

from gazex_viewer.core.reading.document import Box, Reading
from gazex_viewer.core.reading.playback import TrajectoryPlayback, gaze_density
from gazex_viewer.ui.film.items import (
    MAX_TRAIL,
    RegionsItem,
    TrailItem,
    screen_text,
    set_screen_text,
)
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.style import FindingStyle, finding_styles

if TYPE_CHECKING:
    from gazex_viewer.ui.workspace import Workspace

pg.setConfigOptions(imageAxisOrder="row-major", antialias=True)
# Qt's raster engine hands any fill of more than ~96 spans to a thread pool. A canvas paint is many
# such small fills (each antialiased saccade line, the cached layers): dispatching them to threads
# and waiting costs more than drawing them (an 11-line trail: 1.85 ms with the pool, 0.19 ms
# without; a whole player frame ~1 ms less CPU), and it fights the inference worker for cores.
# Qt reads this when it first needs the pool, i.e. at the first large paint, after this import.
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")

#: 256-entry grey lookup table: the displayed film is uint8 from the core pipeline, levels (0, 255)
GREY_LUT = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
HEATMAP_DOWNSAMPLE = 8
#: the mark after a region's number for each review state
REVIEW_MARKS: dict[str, str] = {"accepted": "✓", "rejected": "✗", "edited": "✎", "added": "+", "undecided": "?"}


def _heat_lut() -> np.ndarray:
    """A 256-entry RGBA lookup table: transparent where there was no gaze, through violet to orange for the most,
    never more than 40% opaque, so the anatomy under the hottest spot stays visible."""
    t = np.linspace(0.0, 1.0, 256)
    r = np.clip(0.35 + 1.2 * t, 0, 1)
    g = np.clip(1.6 * t - 0.55, 0, 0.62)
    b = np.clip(0.75 - 1.1 * t, 0, 1)
    a = np.clip(t, 0, 1) ** 0.8 * 0.4
    a[t < 0.04] = 0
    return (np.stack([r, g, b, a], axis=1) * 255).astype(np.uint8)


HEAT_LUT = _heat_lut()


@dataclass
class _RegionItems:
    """One finding's drawn regions (items of the canvas's :class:`RegionsItem`)."""

    finding_id: str
    boxes: list[Box]
    rects: list[QGraphicsRectItem]
    labels: list[QGraphicsTextItem]
    style: FindingStyle
    #: the labels' texts without a review mark ("1", "1a", ...)
    label_texts: list[str] = field(default_factory=list)


class _SmoothImageItem(pg.ImageItem):
    """An ImageItem drawn with bilinear smoothing (the low-resolution heatmap scaled up)."""

    def paint(self, p: QPainter, *args: Any) -> None:
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        super().paint(p, *args)


class _FilmViewBox(pg.ViewBox):
    """A ViewBox where right-drag sets the window instead of zooming."""

    window_drag = Signal(float, float, bool)  # dx, dy in screen pixels, finished

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:  # noqa: N802 (Qt name)
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            d = ev.screenPos() - ev.lastScreenPos()
            self.window_drag.emit(float(d.x()), float(d.y()), bool(ev.isFinish()))
            return
        super().mouseDragEvent(ev, axis)


def _make_preset(window: tuple[float, float]) -> Any:
    """A core ``WindowPreset`` for (centre, width)."""
    from gazex_viewer.core.imaging.radiograph import WindowPreset

    return WindowPreset(center=window[0], width=window[1], name="manual")


class FilmCanvas(pg.GraphicsView):
    """The image canvas.

    Signals
    -------
    pixel_hovered(str)
        The status text for the pixel under the cursor ("" when off the film).
    view_changed()
        Zoom, pan, window or inversion changed (for the status line).
    """

    pixel_hovered = Signal(str)
    view_changed = Signal()

    def __init__(self, selection: SelectionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="k")
        self.setObjectName("filmCanvas")
        # the view paints every pixel of its viewport (an opaque background, then the film): Qt need
        # not paint the styled backgrounds of the canvas and its parents under it on every frame
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.selection = selection
        self.vb = _FilmViewBox(lockAspect=True, invertY=True, enableMenu=False, defaultPadding=0.01)
        self.setCentralItem(self.vb)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(0)
        self.vb.addItem(self.image_item)
        self.heatmap_item = _SmoothImageItem(axisOrder="row-major")
        self.heatmap_item.setZValue(5)
        self.heatmap_item.setLookupTable(HEAT_LUT)
        self.heatmap_item.setVisible(False)
        self.vb.addItem(self.heatmap_item)

        self.radiograph: Any = None
        self.reading: Reading | None = None
        self.playback: TrajectoryPlayback | None = None
        self._preset: Any = None
        self._range_cache: tuple[float, float] | None = None
        self._invert = False
        #: burn in the film's DICOM overlay planes (60xx), as dcmtk shows them by default
        self.dicom_overlays = True
        self._display: np.ndarray | None = None
        self._regions: dict[str, _RegionItems] = {}
        #: review state of each finding ("accepted", "rejected", ...); empty when not under review
        self._review_states: dict[str, str] = {}
        self._styles: dict[str, FindingStyle] = {}
        self.show_regions = True
        self.show_trajectory = True
        self.show_heatmap = False
        self.show_labels = True
        #: quiet by default: only the selected (or playing) finding's regions in full colour, the rest faint;
        #: True draws every region in full colour while nothing is selected (View > Show all regions)
        self.show_all_regions = False
        #: opacity of the regions, their labels and the heatmap (0.1 .. 1.0; the film itself is never faded)
        self.overlay_opacity = 1.0
        self._trail_length = 6
        self._heat_ready_for: int | None = None

        # the regions (z 7: clues, observation areas, labels) and the trajectory (z 10: path, saccades,
        # circles, numbers): pre-created items updated per frame
        self.regions_item = RegionsItem(7)
        self.vb.addItem(self.regions_item, ignoreBounds=True)
        self.trail = TrailItem(10)
        self.vb.addItem(self.trail, ignoreBounds=True)
        self.path_item = self.trail.path_item
        # static layers are cached as device pixmaps: a player frame then only redraws the trail
        for item in (self.image_item, self.heatmap_item):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.current_index: int | None = None
        self._was_running = False

        self.vb.window_drag.connect(self._on_window_drag)
        self.vb.sigRangeChanged.connect(lambda *_: self.view_changed.emit())
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        selection.selection_changed.connect(self._on_selection_changed)
        selection.hover_changed.connect(lambda _fid: self._restyle_regions())
        selection.playing_changed.connect(lambda _fid: self._restyle_regions())

    # -- film ------------------------------------------------------------------------------------
    def set_radiograph(self, radiograph: Any) -> None:
        """Show a radiograph with its default display (header VOI or window), not inverted, fitted."""
        self.radiograph = radiograph
        self._preset = None
        self._invert = False
        self._range_cache = None
        self.set_reading(None)
        self._render()
        self.fit()

    def observe(self, workspace: Workspace) -> None:
        """Follow ``workspace``: its radiograph is the film shown (None clears it).

        The reading drawn over the film is set by whoever decides how it is drawn (the window for a plain
        reading, the review for the reviewed view, trainee mode hides it): :meth:`set_reading`.
        """
        workspace.radiograph_changed.connect(
            lambda rg: self.set_radiograph(rg) if rg is not None else self.clear_film()
        )

    def clear_film(self) -> None:
        self.radiograph = None
        self._display = None
        self.image_item.clear()
        self.set_reading(None)

    @property
    def window(self) -> tuple[float, float] | None:
        """The current (centre, width) in modality units (None without a film)."""
        if self.radiograph is None:
            return None
        preset = self._preset if self._preset is not None else getattr(self.radiograph, "default_preset", None)
        return None if preset is None else (float(preset.center), float(preset.width))

    @property
    def window_name(self) -> str:
        preset = self._preset if self._preset is not None else getattr(self.radiograph, "default_preset", None)
        return "" if preset is None else str(getattr(preset, "name", "") or "")

    @property
    def inverted(self) -> bool:
        return self._invert

    def set_window(self, window: Any) -> None:
        """Set the VOI: a core ``WindowPreset``, a (centre, width) tuple, or None for the film's default."""
        if isinstance(window, tuple):
            window = _make_preset((float(window[0]), float(window[1])))
        self._preset = window
        self._render()

    def set_inverted(self, invert: bool) -> None:
        self._invert = bool(invert)
        self._render()

    def set_dicom_overlays(self, shown: bool) -> None:
        """Show or hide the film's own DICOM overlay planes (60xx)."""
        self.dicom_overlays = bool(shown)
        self._render()

    def _render(self) -> None:
        if self.radiograph is None:
            return
        self._display = self.radiograph.render(
            window=self._preset, invert=self._invert, overlays=self.dicom_overlays
        )
        self.image_item.setImage(self._display, autoLevels=False, levels=(0, 255), lut=GREY_LUT)
        self.view_changed.emit()

    def _modality_range(self) -> tuple[float, float]:
        if self._range_cache is None:
            rg = self.radiograph
            if hasattr(rg, "modality_range"):
                lo, hi = rg.modality_range()
                self._range_cache = (float(lo), float(hi))
            else:
                m = rg.modality
                self._range_cache = (float(np.min(m)), float(np.max(m)))
        return self._range_cache

    def _on_window_drag(self, dx: float, dy: float, _finished: bool) -> None:
        """Right-drag: left/right narrows/widens the window, up/down moves its centre (PACS convention)."""
        if self.radiograph is None:
            return
        from gazex_viewer.core.imaging.window_presets import drag_steps

        lo, hi = self._modality_range()
        span = max(hi - lo, 1.0)
        current = self.window
        centre, width = current if current is not None else ((lo + hi) / 2, span)
        # a drag across the whole view spans the film's whole value range
        step_w, step_c = drag_steps((lo, hi), self.viewport().width(), self.viewport().height())
        width = max(1.0, width + dx * step_w)
        centre = centre + dy * step_c
        self._preset = _make_preset((centre, width))
        self._render()

    # -- view ------------------------------------------------------------------------------------
    def image_rect(self) -> QRectF:
        if self.radiograph is None:
            return QRectF(0, 0, 1, 1)
        return QRectF(0, 0, float(self.radiograph.width), float(self.radiograph.height))

    def fit(self) -> None:
        """Show the whole film."""
        self.vb.setRange(self.image_rect(), padding=0.01)

    def one_to_one(self) -> None:
        """One image pixel per screen pixel, about the current centre."""
        rect = self.vb.viewRect()
        size = self.vb.boundingRect().size()
        dpr = self.devicePixelRatioF() or 1.0
        w, h = size.width() * dpr, size.height() * dpr
        c = rect.center()
        self.vb.setRange(QRectF(c.x() - w / 2, c.y() - h / 2, w, h), padding=0)

    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        px = self.vb.viewPixelSize()[0]
        return 1.0 / px if px > 0 else 1.0

    def zoom_by(self, factor: float) -> None:
        """Zoom about the view centre (factor > 1 zooms in)."""
        self.vb.scaleBy((1.0 / factor, 1.0 / factor))

    def pan_to_finding(self, finding_id: str) -> None:
        """Bring a finding's regions into view: centre them, zooming out only when they do not fit."""
        items = self._regions.get(finding_id)
        if items is None or not items.boxes:
            return
        union = QRectF()
        for b in items.boxes:
            union = union.united(QRectF(b.x_min, b.y_min, b.width, b.height))
        view = self.vb.viewRect()
        if union.width() > view.width() * 0.9 or union.height() > view.height() * 0.9:
            self.vb.setRange(union, padding=0.15)
        elif not view.contains(union):
            c = union.center()
            self.vb.setRange(
                QRectF(c.x() - view.width() / 2, c.y() - view.height() / 2, view.width(), view.height()),
                padding=0,
            )

    # -- reading ---------------------------------------------------------------------------------
    def set_reading(self, reading: Reading | None, playback: TrajectoryPlayback | None = None) -> None:
        """Draw a reading's regions and trajectory (None removes them)."""
        self.regions_item.clear()
        self._regions.clear()
        self.reading = reading
        self.playback = playback
        self._styles = finding_styles(reading)
        self.current_index = None
        if reading is not None:
            for f in reading.findings:
                boxes: list[Box] = []
                kinds: list[str] = []
                if f.observation is not None:
                    boxes.append(f.observation)
                    kinds.append("observation")
                for c in f.clues:
                    boxes.append(c)
                    kinds.append("clue")
                style = self._styles[f.id]
                rects: list[QGraphicsRectItem] = []
                labels: list[QGraphicsTextItem] = []
                clue_no = 0
                for b, kind in zip(boxes, kinds):
                    rects.append(self.regions_item.add_box(b, z=1 if kind == "observation" else 0, kind=kind, cached=True))
                    if kind == "observation":
                        text = f"{style.number}"
                    else:
                        clue_no += 1
                        text = f"{style.number}{chr(ord('a') + (clue_no - 1) % 26)}"
                    lab = screen_text(text, style.colour, (0, 1))
                    self.regions_item.add_label(lab, b.x_min, b.y_min, z=2)
                    labels.append(lab)
                self._regions[f.id] = _RegionItems(
                    f.id, boxes, rects, labels, style, [lab.toPlainText() for lab in labels]
                )
        self._review_states = {k: v for k, v in self._review_states.items() if k in self._regions}
        self._apply_review_marks()
        self._restyle_regions()
        self._heat_ready_for = None
        self.trail.set_path(playback)
        self._update_heatmap()
        self.update_playback()

    def set_layers(
        self,
        *,
        regions: bool | None = None,
        trajectory: bool | None = None,
        heatmap: bool | None = None,
        labels: bool | None = None,
    ) -> None:
        """Show or hide the overlay layers."""
        if regions is not None:
            self.show_regions = regions
        if trajectory is not None:
            self.show_trajectory = trajectory
        if heatmap is not None:
            self.show_heatmap = heatmap
        if labels is not None:
            self.show_labels = labels
        self._restyle_regions()
        self._update_heatmap()
        self.update_playback()

    def set_trail_length(self, n: int) -> None:
        n = max(1, min(MAX_TRAIL, int(n)))
        if n != self._trail_length:
            self._trail_length = n
            self.update_playback()

    @property
    def trail_shown(self) -> int:
        """How many fixation circles the trail shows now."""
        return self.trail.shown

    def _update_heatmap(self) -> None:
        pb = self.playback
        visible = self.show_heatmap and pb is not None and len(pb) > 0 and self.radiograph is not None
        if visible and pb is not None and self._heat_ready_for != id(pb):
            w, h = int(self.radiograph.width), int(self.radiograph.height)
            density = gaze_density(pb.points, w, h, downsample=HEATMAP_DOWNSAMPLE)
            self.heatmap_item.setImage(density, autoLevels=False, levels=(0.0, 1.0))
            rows, cols = density.shape
            self.heatmap_item.setRect(QRectF(0, 0, cols * HEATMAP_DOWNSAMPLE, rows * HEATMAP_DOWNSAMPLE))
            self._heat_ready_for = id(pb)
        self.heatmap_item.setVisible(visible)
        self.heatmap_item.setOpacity(self.overlay_opacity)

    def set_show_all_regions(self, show: bool) -> None:
        """Every region in full colour (True) or only the focused finding's, the rest faint (False)."""
        self.show_all_regions = bool(show)
        self._restyle_regions()

    def set_overlay_opacity(self, opacity: float) -> None:
        """Fade the regions, labels and heatmap (0.1 .. 1.0) so the anatomy under them shows."""
        self.overlay_opacity = max(0.1, min(1.0, float(opacity)))
        self._restyle_regions()
        self.heatmap_item.setOpacity(self.overlay_opacity)

    def region_alpha(self, finding_id: str) -> int:
        """The outline alpha of a finding's first region (255 full colour, less when faint)."""
        return int(self._regions[finding_id].rects[0].pen().color().alpha())

    def _restyle_regions(self) -> None:
        sel = self.selection.selected
        hov = self.selection.hovered
        # while the player runs, the sentence being inspected is emphasised (when nothing is selected)
        playing = self.selection.playing if self.playback is not None and self.playback.playing else None
        focus = sel if sel is not None else playing
        for fid, items in self._regions.items():
            colour = QColor(items.style.colour)
            emphasised = fid == focus or fid == hov
            # quiet: with nothing focused every region is faint unless "show all regions" is on
            dim = not emphasised and (focus is not None or not self.show_all_regions)
            rejected = self._review_states.get(fid) == "rejected"
            for r in items.rects:
                kind = r.data(0)
                c = QColor(colour)
                c.setAlpha(70 if dim or (rejected and not emphasised) else 255)
                width = 3.5 if fid == focus else (2.5 if fid == hov else 1.6)
                pen = QPen(c, width)
                pen.setCosmetic(True)
                if rejected:
                    pen.setStyle(Qt.PenStyle.DotLine)
                elif kind == "clue" or items.style.negative:
                    pen.setStyle(Qt.PenStyle.DashLine)
                r.setPen(pen)
                fill = QColor(colour)
                fill.setAlpha(45 if fid == focus else (25 if fid == hov else 0))
                r.setBrush(QBrush(fill) if fill.alpha() else QBrush(Qt.BrushStyle.NoBrush))
                r.setVisible(self.show_regions)
                r.setOpacity(self.overlay_opacity)
            for lab in items.labels:
                # quiet with nothing focused: the numbers stay (faint) so a region can be named
                lab.setVisible(self.show_regions and self.show_labels and (not dim or focus is None))
                lab.setOpacity(self.overlay_opacity * (0.55 if dim else 1.0))

    def set_region_states(self, states: dict[str, str]) -> None:
        """Mark each finding's regions with its review state: a ✓ ✗ ✎ + after the number, and
        rejected regions dotted and faint. An empty dict removes the marks."""
        if states == self._review_states:
            return
        self._review_states = dict(states)
        self._apply_review_marks()
        self._restyle_regions()

    def region_state(self, finding_id: str) -> str | None:
        """The review state shown on a finding's regions (None when not under review)."""
        return self._review_states.get(finding_id)

    def _apply_review_marks(self) -> None:
        for fid, items in self._regions.items():
            mark = REVIEW_MARKS.get(self._review_states.get(fid, ""), "")
            for k, (lab, base) in enumerate(zip(items.labels, items.label_texts)):
                text = f"{base} {mark}" if mark and k == 0 else base
                if lab.toPlainText() != text:
                    set_screen_text(lab, text)

    def region_rect(self, finding_id: str, index: int = 0) -> QRectF:
        """The rectangle (image pixels) of a finding's region (0 = observation when present)."""
        b = self._regions[finding_id].boxes[index]
        return QRectF(b.x_min, b.y_min, b.width, b.height)

    def region_pen_width(self, finding_id: str) -> float:
        """The drawn outline width of a finding's first region (for tests of the highlight)."""
        return float(self._regions[finding_id].rects[0].pen().widthF())

    def finding_at(self, x: float, y: float) -> str | None:
        """The finding whose region contains image point (x, y); the smallest region wins."""
        if not self.show_regions:
            return None
        best: tuple[float, str] | None = None
        for fid, items in self._regions.items():
            for b in items.boxes:
                if b.x_min <= x <= b.x_max and b.y_min <= y <= b.y_max:
                    area = b.width * b.height
                    if best is None or area < best[0]:
                        best = (area, fid)
        return None if best is None else best[1]

    # -- playback --------------------------------------------------------------------------------
    def update_playback(self) -> None:
        """Redraw the trail for the playback's current time (cheap: updates pre-created items).

        Only items whose state changes are touched: a frame moves the trail's items and hides the
        few that left it, it does not walk all ``MAX_TRAIL`` slots of each kind.
        """
        pb = self.playback
        running = pb is not None and pb.playing
        if running != self._was_running:  # play or pause: the inspected sentence's emphasis follows
            self._was_running = running
            self._restyle_regions()
        show = self.show_trajectory and pb is not None and len(pb) > 0
        if not show:
            self.trail.hide_trail()
            self.current_index = None if pb is None else pb.current_index
            return
        assert pb is not None
        self.current_index = pb.current_index
        self.trail.draw(pb, self._trail_length, self._styles, numbers=self.show_labels)

    def trail_numbers(self) -> list[str]:
        """The fixation numbers shown along the trail, oldest first."""
        pb = self.playback
        if pb is None or not self.show_trajectory:
            return []
        return self.trail.numbers(pb)

    # -- mouse -----------------------------------------------------------------------------------
    def _image_point(self, scene_pos: QPointF) -> tuple[float, float] | None:
        if self.radiograph is None or not self.vb.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.vb.mapSceneToView(scene_pos)
        return float(p.x()), float(p.y())

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        pt = self._image_point(scene_pos)
        if pt is None:
            self.pixel_hovered.emit("")
            return
        x, y = pt
        col, row = int(np.floor(x)), int(np.floor(y))
        rg = self.radiograph
        if 0 <= col < rg.width and 0 <= row < rg.height:
            value = float(rg.modality[row, col])
            shown = int(self._display[row, col]) if self._display is not None else 0
            self.pixel_hovered.emit(f"x {col}  y {row}   value {value:g}   shown {shown}")
        else:
            self.pixel_hovered.emit("")
        self.selection.hover(self.finding_at(x, y))

    def _on_mouse_clicked(self, ev: Any) -> None:
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        pt = self._image_point(ev.scenePos())
        if pt is None:
            return
        fid = self.finding_at(*pt)
        if fid is not None:
            self.selection.select(fid)

    def _on_selection_changed(self, fid: str | None) -> None:
        self._restyle_regions()
        if fid is not None and fid in self._regions:
            self.pan_to_finding(fid)

    def leaveEvent(self, ev: Any) -> None:  # noqa: N802 (Qt name)
        self.selection.hover(None)
        self.pixel_hovered.emit("")
        super().leaveEvent(ev)

    # -- for tests ---------------------------------------------------------------------------------
    def map_image_to_widget(self, x: float, y: float) -> QPointF:
        """Widget coordinates of an image point (for driving the canvas with real mouse events)."""
        scene = self.vb.mapViewToScene(QPointF(x, y))
        return QPointF(self.mapFromScene(scene))
