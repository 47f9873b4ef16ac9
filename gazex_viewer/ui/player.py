"""The trajectory player: a Qt clock around :class:`~gazex_viewer.core.playback.TrajectoryPlayback` and its bar.

:class:`PlayerController` owns the pure playback state and a timer; :class:`PlayerBar` is the view
(play/pause, step, scrubber with sentence boundaries, speed, loop, trail length, layer toggles).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QElapsedTimer, QObject, QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen
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
    QWidget,
)

from gazex_viewer.core.playback import SPEEDS, TrajectoryPlayback
from gazex_viewer.ui.common import FindingStyle

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
        self.setMinimumWidth(220)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.spans: list[tuple[int, int, str]] = []  # (start ms, end ms, colour)
        self.boundaries_ms: list[int] = []

    def set_spans(self, spans: list[tuple[int, int, str]]) -> None:
        self.spans = spans
        self.boundaries_ms = [s[0] for s in spans[1:]]
        self.update()

    def _x_of(self, value: int, opt: QStyleOptionSlider, groove: QRect, handle: QRect) -> int:
        span = groove.width() - handle.width()
        return groove.x() + handle.width() // 2 + QStyle.sliderPositionFromValue(
            self.minimum(), self.maximum(), value, span
        )

    def paintEvent(self, ev: Any) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(ev)
        if self.spans and self.maximum() > 0:
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            groove = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderGroove, self)
            handle = self.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt, QStyle.SubControl.SC_SliderHandle, self)
            p = QPainter(self)
            y = self.height() - 5
            for start, end, colour in self.spans:
                x0 = self._x_of(start, opt, groove, handle)
                x1 = self._x_of(end, opt, groove, handle)
                c = QColor(colour)
                c.setAlpha(200)
                p.fillRect(x0, y, max(1, x1 - x0 - 1), 4, c)
            p.setPen(QPen(QColor("#e0e0e0"), 1))
            for b in self.boundaries_ms:
                x = self._x_of(b, opt, groove, handle)
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
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        row.setSpacing(6)

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
        self.time_label.setMinimumWidth(150)
        row.addWidget(self.time_label)
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
        row.addWidget(QLabel("Trail"))
        self.trail_spin = QSpinBox()
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
        self._updating = False
        controller.time_changed.connect(self._on_time)
        controller.state_changed.connect(self._on_state)
        self._on_state()

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
                f"{t:5.1f} / {pb.duration:.1f} s   fix {0 if i is None else i + 1}/{len(pb)}"
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
