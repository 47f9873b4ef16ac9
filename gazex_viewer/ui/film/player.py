"""The trajectory player: a Qt clock around :class:`~gazex_viewer.core.reading.playback.TrajectoryPlayback` and its bar.

:class:`PlayerController` owns the pure playback state and a timer; :class:`PlayerBar` is the view
(play/pause, step, scrubber with sentence boundaries, speed, loop, trail length, layer toggles).
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.reading.playback import SPEEDS, TrajectoryPlayback
from gazex_viewer.ui.style import FindingStyle

FRAME_MS = 16


class PlayerController(QObject):
    """Drives a :class:`TrajectoryPlayback` from a timer; emits ``time_changed`` per frame."""

    time_changed = Signal(float)
    state_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.playback = TrajectoryPlayback([])
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()

    def set_playback(self, playback: TrajectoryPlayback) -> None:
        """Replace the trajectory (keeps speed, loop and trail settings)."""
        old = self.playback
        self.pause()
        playback.speed = old.speed
        playback.loop = old.loop
        playback.trail_length = old.trail_length
        self.playback = playback
        self.state_changed.emit()
        self.time_changed.emit(playback.time)

    @property
    def playing(self) -> bool:
        return self.playback.playing

    def play(self) -> None:
        self.playback.play()
        if self.playback.playing:
            self._clock.start()
            self._timer.start()
        self.state_changed.emit()
        self.time_changed.emit(self.playback.time)

    def pause(self) -> None:
        self.playback.pause()
        self._timer.stop()
        self.state_changed.emit()

    def toggle(self) -> None:
        if self.playback.playing:
            self.pause()
        else:
            self.play()

    def seek(self, t: float) -> None:
        self.playback.seek(t)
        self.time_changed.emit(self.playback.time)

    def step_next(self) -> None:
        self.playback.step_next()
        self.time_changed.emit(self.playback.time)

    def step_previous(self) -> None:
        self.playback.step_previous()
        self.time_changed.emit(self.playback.time)

    def set_speed(self, speed: float) -> None:
        self.playback.speed = speed
        self.state_changed.emit()

    def faster(self) -> None:
        bigger = [s for s in SPEEDS if s > self.playback.speed + 1e-9]
        self.set_speed(bigger[0] if bigger else SPEEDS[-1])

    def slower(self) -> None:
        smaller = [s for s in SPEEDS if s < self.playback.speed - 1e-9]
        self.set_speed(smaller[-1] if smaller else SPEEDS[0])

    def set_loop(self, loop: bool) -> None:
        self.playback.loop = loop
        self.state_changed.emit()

    def set_trail_length(self, n: int) -> None:
        self.playback.trail_length = n
        self.state_changed.emit()
        self.time_changed.emit(self.playback.time)

    def _tick(self) -> None:
        dt = self._clock.restart() / 1000.0
        self.playback.advance(dt)
        self.time_changed.emit(self.playback.time)
        if not self.playback.playing:
            self._timer.stop()
            self.state_changed.emit()


class Scrubber(QSlider):
    """A time slider (milliseconds) with each sentence's span drawn under the groove."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("scrubber")
        self.setMinimumHeight(26)
        self.setMinimumWidth(120)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.spans: list[tuple[int, int, str]] = []  # (start ms, end ms, colour)
        self.boundaries_ms: list[int] = []
        self._marks_key: tuple[object, ...] | None = None
        self._marks_cache: tuple[list[tuple[int, int, QColor]], list[int]] = ([], [])

    def set_spans(self, spans: list[tuple[int, int, str]]) -> None:
        self.spans = spans
        self.boundaries_ms = [s[0] for s in spans[1:]]
        self._marks_key = None
        self.update()

    def _x_of(self, value: int, groove: QRect, handle: QRect) -> int:
        span = groove.width() - handle.width()
        return groove.x() + handle.width() // 2 + QStyle.sliderPositionFromValue(
            self.minimum(), self.maximum(), value, span
        )

    def _marks(self) -> tuple[list[tuple[int, int, QColor]], list[int]]:
        """The spans' (x, width, colour) and the boundaries' x, recomputed only when the geometry,
        the range or the spans change (the handle moves on every player frame, they do not)."""
        key = (self.width(), self.height(), self.minimum(), self.maximum(), id(self.spans), self.style())
        if self._marks_key != key:
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self)
            handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self)
            rects = []
            for start, end, colour in self.spans:
                x0 = self._x_of(start, groove, handle)
                x1 = self._x_of(end, groove, handle)
                c = QColor(colour)
                c.setAlpha(200)
                rects.append((x0, max(1, x1 - x0 - 1), c))
            self._marks_cache = (rects, [self._x_of(b, groove, handle) for b in self.boundaries_ms])
            self._marks_key = key
        return self._marks_cache

    def value_at(self, x: float) -> int:
        """The slider value under the widget x coordinate (the handle's centre there)."""
        opt = QStyleOptionSlider()
        self.initStyleOption(opt)
        groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self)
        handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self)
        span = max(1, groove.width() - handle.width())
        pos = int(round(x - groove.x() - handle.width() / 2))
        return QStyle.sliderValueFromPosition(self.minimum(), self.maximum(), max(0, min(span, pos)), span)

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 (Qt name)
        """A click on the groove jumps there (and a drag continues from there), not a page step."""
        if ev.button() == Qt.MouseButton.LeftButton:
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            handle = self.style().subControlRect(
                QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self
            )
            if not handle.contains(ev.position().toPoint()):
                self.setValue(self.value_at(ev.position().x()))
        super().mousePressEvent(ev)

    def changeEvent(self, ev: QEvent) -> None:  # noqa: N802 (Qt name)
        if ev.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._marks_key = None
        super().changeEvent(ev)

    def paintEvent(self, ev: QPaintEvent) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(ev)
        if self.spans and self.maximum() > 0:
            rects, boundaries = self._marks()
            p = QPainter(self)
            y = self.height() - 5
            for x0, w, c in rects:
                p.fillRect(x0, y, w, 4, c)
            p.setPen(QPen(QColor("#e0e0e0"), 1))
            for x in boundaries:
                p.drawLine(x, 1, x, 6)
                p.drawLine(x, self.height() - 7, x, self.height() - 1)
            p.end()


class PlayerBar(QWidget):
    """The player's controls; a view over a :class:`PlayerController`."""

    layers_changed = Signal(dict)

    def __init__(self, controller: PlayerController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("playerBar")
        self.controller = controller
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 2, 6, 2)
        outer.setSpacing(2)
        #: transport, scrubber and time; the options (speed, loop, trail, layers) follow on this row
        #: when the bar is wide enough, else on a second row (:meth:`_arrange`)
        self._top = QHBoxLayout()
        self._top.setSpacing(6)
        self._bottom = QHBoxLayout()
        self._bottom.setSpacing(6)
        outer.addLayout(self._top)
        outer.addLayout(self._bottom)
        self._outer = outer
        #: a mode's key to what is drawn on the film (compare's legend), shown as the bar's first row
        self.legend: QWidget | None = None
        row = self._top

        def tool(icon: QStyle.StandardPixmap, tip: str) -> QToolButton:
            b = QToolButton()
            b.setIcon(self.style().standardIcon(icon))
            b.setToolTip(tip)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setMinimumWidth(30)
            row.addWidget(b)
            return b

        self.prev_button = tool(QStyle.StandardPixmap.SP_MediaSkipBackward, "Previous fixation (Left)")
        self.play_button = tool(QStyle.StandardPixmap.SP_MediaPlay, "Play / pause (Space)")
        self.next_button = tool(QStyle.StandardPixmap.SP_MediaSkipForward, "Next fixation (Right)")
        self.prev_button.clicked.connect(controller.step_previous)
        self.play_button.clicked.connect(controller.toggle)
        self.next_button.clicked.connect(controller.step_next)
        self.scrubber = Scrubber()
        self.scrubber.valueChanged.connect(self._on_scrub)
        row.addWidget(self.scrubber, 1)
        self.time_label = QLabel()
        self.time_label.setToolTip("Playback time / duration, and the fixation (key frame) shown of all")
        # wide enough for "888.8 / 888.8 s · fix 888/888" so the bar does not jump while playing
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("888.8 / 888.8 s · fix 888/888") + 4)
        row.addWidget(self.time_label)
        self.options = QWidget()
        self.options.setObjectName("playerOptions")
        row = QHBoxLayout(self.options)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.speed_combo = QComboBox()
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for s in SPEEDS:
            self.speed_combo.addItem(f"{s:g}×", s)
        self.speed_combo.setToolTip("Playback speed ([ slower, ] faster)")
        self.speed_combo.currentIndexChanged.connect(
            lambda i: controller.set_speed(float(self.speed_combo.itemData(i)))
        )
        row.addWidget(self.speed_combo)
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setToolTip("Loop playback (L)")
        self.loop_box.toggled.connect(controller.set_loop)
        row.addWidget(self.loop_box)
        self.trail_spin = QSpinBox()
        self.trail_spin.setPrefix("Trail ")
        self.trail_spin.setRange(1, 40)
        self.trail_spin.setValue(controller.playback.trail_length)
        self.trail_spin.setToolTip("How many fixations the fading trail shows")
        self.trail_spin.valueChanged.connect(controller.set_trail_length)
        row.addWidget(self.trail_spin)
        self.layer_boxes: dict[str, QCheckBox] = {}
        for key, text, tip in (
            ("trajectory", "Trajectory", "Show the inspection trajectory (T)"),
            ("regions", "Regions", "Show observation and clue regions (G)"),
            ("heatmap", "Heatmap", "Show the gaze heatmap (H)"),
            ("labels", "Labels", "Show numbers on regions and fixations (B)"),
        ):
            box = QCheckBox(text)
            box.setToolTip(tip)
            box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            box.toggled.connect(self._emit_layers)
            row.addWidget(box)
            self.layer_boxes[key] = box
        for w in (self.loop_box, self.trail_spin):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.two_rows = False
        self._top.addWidget(self.options)
        m = outer.contentsMargins()
        #: the narrowest the bar gets (options on the second row, the scrubber at its minimum)
        self._narrow_width = max(self._top.minimumSize().width() - self.options.minimumSizeHint().width() - 6,
                                 self.options.minimumSizeHint().width()) + m.left() + m.right()
        #: below this width the options go to the second row (the scrubber keeps at least 240 px)
        self._wide_width = self._top.minimumSize().width() + 120 + m.left() + m.right()
        self.setMinimumWidth(self._narrow_width)
        self._arrange(0)  # start on two rows: a bar first shown narrow does not change height under the film
        self._updating = False
        controller.time_changed.connect(self._on_time)
        controller.state_changed.connect(self._on_state)
        self._on_state()

    # -- layout ------------------------------------------------------------------------------
    def resizeEvent(self, ev: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(ev)
        self._arrange(ev.size().width())

    def _arrange(self, width: int) -> None:
        """One row when it fits with a usable scrubber, else the options on a second row."""
        two = width < self._wide_width
        if two == self.two_rows:
            return
        self.two_rows = two
        (self._top if two else self._bottom).removeWidget(self.options)
        if two:
            self._bottom.addWidget(self.options)
            self._bottom.addStretch(1)
        else:
            while self._bottom.count():
                self._bottom.takeAt(0)
            self._top.addWidget(self.options)
        self.options.show()

    def set_legend(self, legend: QWidget | None) -> None:
        """Show ``legend`` as the bar's first row: below the film, never over it. None takes it out (not deleted)."""
        if self.legend is legend:
            return
        if self.legend is not None:
            self._outer.removeWidget(self.legend)
            self.legend.hide()
            self.legend.setParent(None)
        self.legend = legend
        if legend is not None:
            self._outer.insertWidget(0, legend)

    # -- layers ------------------------------------------------------------------------------
    def layers(self) -> dict[str, bool]:
        return {k: b.isChecked() for k, b in self.layer_boxes.items()}

    def set_layers(self, **layers: bool) -> None:
        for k, v in layers.items():
            self.layer_boxes[k].setChecked(bool(v))

    def toggle_layer(self, key: str) -> None:
        box = self.layer_boxes[key]
        box.setChecked(not box.isChecked())

    def _emit_layers(self) -> None:
        self.layers_changed.emit(self.layers())

    # -- trajectory ------------------------------------------------------------------------------
    def set_sentence_spans(self, styles: dict[str, FindingStyle]) -> None:
        pb = self.controller.playback
        spans = []
        for s in pb.spans:
            colour = styles[s.finding_id].colour if s.finding_id in styles else "#888888"
            spans.append((int(round(s.t_start * 1000)), int(round(s.t_end * 1000)), colour))
        self.scrubber.set_spans(spans)

    def _on_scrub(self, value: int) -> None:
        if not self._updating:
            self.controller.seek(value / 1000.0)

    def _on_time(self, t: float) -> None:
        self._updating = True
        self.scrubber.setValue(int(round(t * 1000)))
        self._updating = False
        pb = self.controller.playback
        if len(pb):
            i = pb.current_index
            self.time_label.setText(
                f"{t:.1f} / {pb.duration:.1f} s · fix {0 if i is None else i + 1}/{len(pb)}"
            )
        else:
            self.time_label.setText("No trajectory")

    def _on_state(self) -> None:
        pb = self.controller.playback
        has = len(pb) > 0
        self._updating = True
        self.scrubber.setRange(0, int(round(pb.duration * 1000)))
        self.scrubber.setValue(int(round(pb.time * 1000)))
        self._updating = False
        for w in (self.prev_button, self.play_button, self.next_button, self.scrubber):
            w.setEnabled(has)
        self.play_button.setIcon(
            self.style().standardIcon(
                QStyle.StandardPixmap.SP_MediaPause if pb.playing else QStyle.StandardPixmap.SP_MediaPlay
            )
        )
        i = self.speed_combo.findData(pb.speed)
        if i >= 0 and i != self.speed_combo.currentIndex():
            self.speed_combo.blockSignals(True)
            self.speed_combo.setCurrentIndex(i)
            self.speed_combo.blockSignals(False)
        if self.loop_box.isChecked() != pb.loop:
            self.loop_box.blockSignals(True)
            self.loop_box.setChecked(pb.loop)
            self.loop_box.blockSignals(False)
        if self.trail_spin.value() != pb.trail_length:
            self.trail_spin.blockSignals(True)
            self.trail_spin.setValue(pb.trail_length)
            self.trail_spin.blockSignals(False)
        self._on_time(pb.time)
