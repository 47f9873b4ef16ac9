"""Measuring on the film: the ruler and the cardiothoracic-ratio tool, the measurements drawn, and their list.

:class:`MeasureTools` works on a :class:`~gazex_viewer.ui.film.canvas.FilmCanvas` (its pyqtgraph ``ViewBox``,
whose coordinates are the film's pixels) and the :class:`~gazex_viewer.ui.workspace.Workspace`:

- **ruler** (:meth:`MeasureTools.start_ruler`): a left-drag on the film from one end to the other; the length in mm
  (``PixelSpacing``, or ``ImagerPixelSpacing`` labelled "at detector") is drawn at the line. A film without a
  usable spacing (none, zero as RG1's ``0\\0``, absurd) refuses the tool with a message naming the reason;
- **cardiothoracic ratio** (:meth:`MeasureTools.start_ctr`): drag across the heart at its widest, then across the
  thorax at its widest inner margins; each span is levelled (:func:`~gazex_viewer.core.reading.measurements.
  cardiothoracic_ratio`) and the ratio is drawn beside the thorax span. It needs no spacing (the spans in mm are
  added when there is one).

A finished measurement is saved through the review session when a review is open
(:meth:`~gazex_viewer.core.review.session.ReviewSession.add_measurement`: one ``measure`` event, undoable); without
a review it is shown but not saved, and the message says so. A bad gesture (a click without a drag, a span off the
film, a heart wider than the thorax) is one message line and nothing is saved. Escape or the same action again
cancels a tool. Everything works by keyboard too: while a tool is armed and the film has the focus, the arrows move
a cross over the film (Shift: ten times faster) and Enter fixes each end of a span. :class:`MeasurementList` lists the measurements with Delete (the key, or its button).
:func:`install_measuring` gives a window the Measure menu (every action with a key) and the list as a dock under
the side tabs, shown while there is something to list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QDockWidget,
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsSimpleTextItem,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.measurements import (
    Measurement,
    MeasurementError,
    Spacing,
    cardiothoracic_ratio,
    ruler,
    spacing_of,
)

if TYPE_CHECKING:
    from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent, MouseDragEvent

    from gazex_viewer.ui.actions import ActionRegistry
    from gazex_viewer.ui.film.canvas import FilmCanvas
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

#: a ruler's line and label
RULER_COLOUR = "#4dd0e1"
#: a CTR's heart span; its thorax span and the ratio are drawn in :data:`RULER_COLOUR`
HEART_COLOUR = "#ff8a65"
#: how the measurements are named in the list and the messages
KIND_NAMES = {"length": "Length", "ctr": "Cardiothoracic ratio"}
#: what the status line says while a tool waits for a drag
_KEYS_HINT = " (or arrows to move the cross, Enter at each end; Esc cancels)"
PROMPTS = {
    "ruler": "Ruler: drag on the film from one end to the other" + _KEYS_HINT,
    "heart": "Cardiothoracic ratio: drag across the heart at its widest" + _KEYS_HINT,
    "thorax": "Cardiothoracic ratio: now drag across the thorax between the inner rib margins" + _KEYS_HINT,
}
#: the keys that move the keyboard cross: (dx, dy) in steps
_ARROWS = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def _what(m: Measurement) -> str:
    """What was measured, in one phrase: "Length 48.2 mm (at detector)", "CTR 0.52"."""
    return f"Length {m.text}" if m.kind == "length" else m.text


class _Label(QGraphicsSimpleTextItem):
    """Text a fixed size on screen on a dark plate, so it reads over bright bone and dark lung alike."""

    def __init__(self, text: str, colour: str) -> None:
        super().__init__(text)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        font = QFont()
        font.setPointSize(10)
        font.setBold(True)
        self.setFont(font)
        self.setBrush(QBrush(QColor(colour)))
        self.setZValue(72)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        p.fillRect(self.boundingRect().adjusted(-3, -1, 3, 1), QColor(0, 0, 0, 170))
        super().paint(p, option, widget)  # type: ignore[arg-type]  # Qt takes a null widget; PySide6's stubs say no


class _DragCatcher(pg.GraphicsObject):
    """An invisible item over the film that turns a left-drag into a segment (while a tool is active)."""

    def __init__(self, tools: MeasureTools) -> None:
        super().__init__()
        self._tools = tools
        self._rect = QRectF(0, 0, 1, 1)
        self.setZValue(70)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def set_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self._rect = QRectF(rect)

    def boundingRect(self) -> QRectF:
        return QRectF(self._rect)

    def paint(self, p: QPainter, *args: object) -> None:
        pass

    def mouseClickEvent(self, ev: MouseClickEvent) -> None:
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()  # a click is not a span: said once the drag would have finished
            self._tools._finish_drag(ev.pos(), ev.pos())

    def mouseDragEvent(self, ev: MouseDragEvent) -> None:
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        ev.accept()
        start, end = QPointF(ev.buttonDownPos()), QPointF(ev.pos())
        self._tools._preview(start, end)
        if ev.isFinish():
            self._tools._finish_drag(start, end)


def _pen(colour: str, width: float = 2.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    pen = QPen(QColor(colour), width, style)
    pen.setCosmetic(True)
    return pen


class MeasureTools(QObject):
    """The ruler and CTR tools on one canvas, and the measurements shown over the film.

    Signals
    -------
    message(str)
        One line for the status bar: the tool's prompt, a refusal with its reason, what was measured and whether
        it was saved.
    measurements_changed()
        The measurements shown changed (a new one, a deletion, another film or review).
    mode_changed(str)
        ``""`` (no tool), ``"ruler"``, ``"heart"`` or ``"thorax"`` (the CTR's two drags).
    """

    message = Signal(str)
    measurements_changed = Signal()
    mode_changed = Signal(str)

    def __init__(self, canvas: FilmCanvas, workspace: Workspace, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas = canvas
        self.workspace = workspace
        self.mode = ""
        self._heart: tuple[tuple[float, float], tuple[float, float]] | None = None
        #: measurements made without a review: shown, never saved (cleared with the film)
        self._unsaved: list[Measurement] = []
        self._items: list[QGraphicsItem] = []
        #: the list and its dock, when :func:`install_measuring` built them
        self.panel: MeasurementList | None = None
        self.dock: QDockWidget | None = None
        self._catcher = _DragCatcher(self)
        self._catcher.setVisible(False)
        canvas.vb.addItem(self._catcher, ignoreBounds=True)
        self.preview = QGraphicsLineItem()
        self.preview.setPen(_pen("#ffffff", 1.5, Qt.PenStyle.DashLine))
        self.preview.setZValue(71)
        self.preview.setVisible(False)
        canvas.vb.addItem(self.preview, ignoreBounds=True)
        #: measuring by keyboard: a cross the arrows move (film pixels) and the end fixed with Enter
        self.cross = QGraphicsEllipseItem(-7.0, -7.0, 14.0, 14.0)
        self.cross.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.cross.setPen(_pen("#ffffff", 2.0))
        self.cross.setZValue(73)
        self.cross.setVisible(False)
        canvas.vb.addItem(self.cross, ignoreBounds=True)
        self._kb_start: QPointF | None = None
        #: View > Hide all overlays hides the measurements too (the tools' cross and preview stay)
        self.hidden = False
        canvas.installEventFilter(self)
        workspace.radiograph_changed.connect(self._on_film)
        # bound slots, not lambdas: Qt disconnects them when these tools are destroyed with their window
        workspace.reading_changed.connect(self._on_document_changed)
        workspace.review_changed.connect(self._on_document_changed)

    # -- what is shown ----------------------------------------------------------------------------------------
    @property
    def saving(self) -> bool:
        """True when a review is open: measurements are saved with it."""
        return self.workspace.session is not None and self.workspace.radiograph is not None

    def measurements(self) -> list[Measurement]:
        """The measurements shown: the review's when a review is open, else the unsaved ones of this film."""
        session = self.workspace.session
        return session.measurements if session is not None else list(self._unsaved)

    def label_texts(self) -> list[str]:
        """The labels drawn on the film, in order (for tests and the screen reader)."""
        return [it.text() for it in self._items if isinstance(it, _Label)]

    def _on_film(self, _radiograph: object) -> None:
        self._unsaved.clear()
        self.cancel(quiet=True)
        self._redraw()

    def _on_document_changed(self, _value: object) -> None:
        self._redraw()

    def _redraw(self) -> None:
        vb = self.canvas.vb
        for it in self._items:
            vb.removeItem(it)
        self._items.clear()
        if self.workspace.radiograph is not None:
            for n, m in enumerate(self.measurements(), start=1):
                self._draw(n, m)
        self.measurements_changed.emit()

    def _draw(self, n: int, m: Measurement) -> None:
        spans = [(m.points[0], m.points[1], RULER_COLOUR)] if m.kind == "length" else [
            (m.points[0], m.points[1], HEART_COLOUR), (m.points[2], m.points[3], RULER_COLOUR)]
        for (x0, y0), (x1, y1), colour in spans:
            line = QGraphicsLineItem(x0, y0, x1, y1)
            line.setPen(_pen(colour))
            line.setZValue(70)
            self._add_item(line)
        if m.kind == "length":
            (x0, y0), (x1, y1) = m.points
            at, text = QPointF((x0 + x1) / 2, (y0 + y1) / 2), f"M{n} {m.text}"
        else:
            (x0, y0), (x1, _y) = m.points[2], m.points[3]
            at, text = QPointF(x1, y0), f"M{n} CTR {m.ratio or 0:.2f}"
            heart = _Label("heart", HEART_COLOUR)
            heart.setPos(QPointF(m.points[1][0], m.points[1][1]))
            self._add_item(heart)
        label = _Label(text, RULER_COLOUR)
        label.setPos(at)
        self._add_item(label)

    def _add_item(self, item: QGraphicsItem) -> None:
        item.setVisible(not self.hidden)
        self.canvas.vb.addItem(item, ignoreBounds=True)
        self._items.append(item)

    def set_visible(self, shown: bool) -> None:
        """Show or hide the measurements drawn on the film (they stay in the list and the review)."""
        self.hidden = not shown
        for it in self._items:
            it.setVisible(shown)

    def shown_labels(self) -> list[str]:
        """The labels visible on the film now."""
        return [it.text() for it in self._items if isinstance(it, _Label) and it.isVisible()]

    # -- tools ------------------------------------------------------------------------------------------------
    def _spacing(self) -> Spacing:
        """The film's spacing for a length in mm; MeasurementError naming why there is none (the header's note)."""
        rg = self.workspace.radiograph
        assert rg is not None
        meta = rg.metadata
        if meta.pixel_spacing_mm is None:
            said = next((n for n in rg.notes if n.startswith(("PixelSpacing", "ImagerPixelSpacing"))), None)
            if said is not None:  # e.g. RG1: "PixelSpacing [0.0, 0.0] is not valid: lengths cannot be measured"
                raise MeasurementError(None, f"this film's {said}")
        return spacing_of(meta.pixel_spacing_mm, meta.spacing_kind, source=None)

    def start_ruler(self) -> bool:
        """Arm the ruler (True), or refuse with a message naming the reason (no film, no usable spacing)."""
        if self.mode == "ruler":
            self.cancel()
            return False
        if self.workspace.radiograph is None:
            self.message.emit("Ruler: open a film first")
            return False
        try:
            self._spacing()
        except MeasurementError as err:
            self.cancel(quiet=True)
            self.message.emit(f"Ruler refused: {err.reason}")
            return False
        self._set_mode("ruler")
        return True

    def start_ctr(self) -> bool:
        """Arm the cardiothoracic-ratio tool (True): a drag across the heart, then one across the thorax."""
        if self.mode in ("heart", "thorax"):
            self.cancel()
            return False
        if self.workspace.radiograph is None:
            self.message.emit("Cardiothoracic ratio: open a film first")
            return False
        self._set_mode("heart")
        return True

    def cancel(self, *, quiet: bool = False) -> None:
        """Leave the tool without measuring."""
        was = self.mode
        self._heart = None
        self._set_mode("")
        if was and not quiet:
            self.message.emit("Measuring cancelled")

    def _set_mode(self, mode: str) -> None:
        rg = self.workspace.radiograph
        if mode and rg is not None:
            self._catcher.set_rect(QRectF(0, 0, rg.width, rg.height))
        self._catcher.setVisible(bool(mode))
        self.preview.setVisible(False)
        self._kb_start = None
        if mode and rg is not None and not self.cross.isVisible():  # the cross starts at the film's centre
            self.cross.setPos(QPointF(rg.width / 2, rg.height / 2))
        self.cross.setVisible(bool(mode))
        if mode:
            self.message.emit(PROMPTS[mode])
        if mode != self.mode:
            self.mode = mode
            self.mode_changed.emit(mode)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """While a tool is armed and the film has the focus: Esc cancels, arrows move the cross, Enter fixes an end.

        Those keys are the window's shortcuts otherwise (clear the selection, step the player or the report): the
        tool takes them first (ShortcutOverride) only while it is armed.
        """
        if not (self.mode and isinstance(event, QKeyEvent)):
            return super().eventFilter(obj, event)
        key = Qt.Key(event.key())
        if key != Qt.Key.Key_Escape and key not in _ARROWS and key not in _ENTER:
            return super().eventFilter(obj, event)
        if event.type() == QEvent.Type.ShortcutOverride:
            event.accept()
            return True
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(obj, event)
        if key == Qt.Key.Key_Escape:
            self.cancel()
        elif key in _ARROWS:
            fast = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.move_cross(*_ARROWS[key], fast=fast)
        else:
            self.press_enter()
        return True

    def move_cross(self, dx: int, dy: int, *, fast: bool = False) -> None:
        """Move the keyboard cross by ``dx``, ``dy`` steps (a step is 1/200 of the film's width; ten with Shift)."""
        rg = self.workspace.radiograph
        if rg is None or not self.mode:
            return
        step = max(1.0, round(rg.width / 200)) * (10 if fast else 1)
        p = self.cross.pos()
        x = min(max(p.x() + dx * step, 0.0), float(rg.width))
        y = min(max(p.y() + dy * step, 0.0), float(rg.height))
        self.cross.setPos(QPointF(x, y))
        if self._kb_start is not None:
            self._preview(self._kb_start, self.cross.pos())

    def press_enter(self) -> None:
        """Fix the span's first end at the cross, or (the second time) finish the span there."""
        if not self.mode:
            return
        if self._kb_start is None:
            self._kb_start = QPointF(self.cross.pos())
            self.message.emit("Now move the cross to the other end and press Enter")
            return
        start, self._kb_start = self._kb_start, None
        self._finish_drag(start, QPointF(self.cross.pos()))

    def _preview(self, start: QPointF, end: QPointF) -> None:
        if self.mode in ("heart", "thorax"):
            end = QPointF(end.x(), start.y())  # a CTR span is horizontal
        self.preview.setLine(start.x(), start.y(), end.x(), end.y())
        self.preview.setVisible(True)

    def _finish_drag(self, start: QPointF, end: QPointF) -> None:
        rg = self.workspace.radiograph
        if rg is None or not self.mode:
            return
        size = (rg.width, rg.height)
        a, b = (float(start.x()), float(start.y())), (float(end.x()), float(end.y()))
        try:
            if self.mode == "ruler":
                m = ruler(a, b, self._spacing(), size=size)
            elif self.mode == "heart":
                if abs(b[0] - a[0]) < 2:
                    raise MeasurementError(None, "the heart span is shorter than 2 pixels: drag across the heart")
                self._heart = (a, b)
                self._set_mode("thorax")
                return
            else:
                assert self._heart is not None
                try:
                    spacing: Spacing | None = self._spacing()
                except MeasurementError:
                    spacing = None  # a ratio needs none
                m = cardiothoracic_ratio(self._heart, (a, b), spacing, size=size)
        except MeasurementError as err:
            self.preview.setVisible(False)
            self.message.emit(f"Not measured: {err.reason}")
            if self.mode == "thorax":  # start the CTR again from the heart
                self._heart = None
                self._set_mode("heart")
            return
        self._set_mode("")
        self._heart = None
        self.add(m)

    # -- saving -----------------------------------------------------------------------------------------------
    def add(self, m: Measurement) -> bool:
        """Keep a finished measurement: saved with the review when one is open, else shown unsaved; True if kept."""
        name = KIND_NAMES[m.kind]
        session = self.workspace.session
        if session is not None:
            try:
                session.add_measurement(m)
            except GazeXError as err:
                self.message.emit(f"{name} not saved: {err.reason.removeprefix('measurement not saved: ')}")
                self._redraw()
                return False
            self.message.emit(f"{_what(m)}: saved with the review")
        else:
            self._unsaved.append(m)
            self.message.emit(f"{_what(m)}: shown but NOT saved (no review is open)")
        self._redraw()
        return True

    def remove(self, measurement_id: str) -> bool:
        """Delete a measurement (a review event when a review is open); True when it was deleted."""
        session = self.workspace.session
        if session is not None:
            try:
                session.remove_measurement(measurement_id)
            except GazeXError as err:
                self.message.emit(f"Measurement not deleted: {err.reason}")
                return False
        else:
            before = len(self._unsaved)
            self._unsaved = [m for m in self._unsaved if m.id != measurement_id]
            if len(self._unsaved) == before:
                return False
        self.message.emit("Measurement deleted")
        self._redraw()
        return True


class MeasurementList(QWidget):
    """The measurements shown on the film, one a row ("M1  Length: 48.2 mm (at detector)"), with Delete.

    The Delete key (or the button) deletes the selected row; a note under the list says when measurements are not
    saved (no review open).
    """

    def __init__(self, tools: MeasureTools, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tools = tools
        self.setObjectName("measurementList")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.list = QListWidget()
        self.list.setAccessibleName("Measurements")
        self.list.installEventFilter(self)
        # a few rows at most: the list sits under the side tabs and leaves them the height
        self.list.setMaximumHeight(5 * (self.list.fontMetrics().height() + 4) + 8)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#ffb74d;")
        row.addWidget(self.note, 1)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected measurement (Del)")
        self.delete_button.clicked.connect(self.delete_selected)
        row.addWidget(self.delete_button)
        lay.addLayout(row)
        tools.measurements_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        current = self.selected_id()
        self.list.clear()
        for n, m in enumerate(self.tools.measurements(), start=1):
            item = QListWidgetItem(f"M{n}  {KIND_NAMES[m.kind]}: {m.text}")
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            self.list.addItem(item)
            if m.id == current:
                self.list.setCurrentItem(item)
        if self.list.currentItem() is None and self.list.count():
            self.list.setCurrentRow(self.list.count() - 1)
        shown = bool(self.list.count())
        self.delete_button.setEnabled(shown)
        self.note.setText("" if self.tools.saving or not shown else "Not saved: open a review to save measurements")
        self.note.setVisible(bool(self.note.text()))

    def rows(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def selected_id(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def delete_selected(self) -> bool:
        """Delete the selected measurement (the last one when none is selected)."""
        mid = self.selected_id()
        if mid is None:
            shown = self.tools.measurements()
            if not shown:
                self.tools.message.emit("No measurement to delete")
                return False
            mid = shown[-1].id
        return self.tools.remove(mid)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if (obj is self.list and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)):
            self.delete_selected()
            return True
        return super().eventFilter(obj, event)


def install_measuring(shell: Shell, workspace: Workspace, actions: ActionRegistry, canvas: FilmCanvas) -> MeasureTools:
    """Give the window the tools: the Measure menu, the Measurements dock, the tools' messages in the status bar.

    Keys: M the ruler, Shift+M the cardiothoracic ratio (each again, or Esc on the film, cancels; arrows and Enter
    draw the spans without a mouse), Shift+Del deletes
    the selected measurement (the last one when none is selected), Alt+Shift+M goes to the list (Del there deletes).
    The dock sits under the side tabs and is shown only while there are measurements or a tool is armed, so a window
    that measures nothing looks as it always did.
    """
    tools = MeasureTools(canvas, workspace, parent=actions)
    panel = MeasurementList(tools)
    tools.panel = panel
    dock = QDockWidget("Measurements", shell.dialog_parent())
    dock.setObjectName("measurementsDock")
    dock.setWidget(panel)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
    shell.add_tab(dock, beside_report=False)
    dock.hide()
    tools.dock = dock

    def follow() -> None:
        dock.setVisible(bool(tools.measurements()) or bool(tools.mode))

    def go_to_list() -> None:
        dock.show()
        panel.list.setFocus()

    tools.measurements_changed.connect(follow)
    tools.mode_changed.connect(lambda _m: follow())
    tools.message.connect(lambda text: shell.show_status(text, 10000))
    hide_all = actions.get("Hide all overlays / show them again")
    if hide_all is not None:  # one key hides every overlay: the measurements too
        hide_all.triggered.connect(lambda _checked=False: tools.set_visible(tools.hidden))
    m = actions.menu("M&easure")
    actions.add(m, "Measure", "&Ruler", "M", tools.start_ruler)
    actions.add(m, "Measure", "&Cardiothoracic ratio", "Shift+M", tools.start_ctr)
    actions.add(m, "Measure", "Ca&ncel measuring", None, tools.cancel)
    m.addSeparator()
    actions.add(m, "Measure", "&Delete selected measurement", "Shift+Del", panel.delete_selected)
    actions.add(m, "Measure", "Go to the measurements &list", "Alt+Shift+M", go_to_list)
    return tools
