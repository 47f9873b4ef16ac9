"""Trainee mode: read the film yourself, then reveal the expert's (or the model's) reading and see the score.

While trainee mode is on, the model's and the expert's layers are hidden (the film canvas shows no
reading, the report, the player and any comparison are put away). The trainee marks where they look
(left clicks on the film, timed from the start) and writes what they see (sentences); the marks made
since the last sentence belong to the next sentence written, or to the sentence selected in the list.
**Reveal & score** builds the trainee's reading (:func:`gazex_viewer.core.gaze.trainee.trainee_reading`),
scores it against the chosen reference (:func:`~gazex_viewer.core.gaze.trainee.score_trainee`), shows the
score, then reveals the reference with the trainee's marks drawn over it.

:class:`TraineeRecorder` is the Qt-free state; :class:`TraineePanel` the view; :class:`TraineeMode` the
wiring on a main window.
"""

from __future__ import annotations

import html
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.gaze.agreement import film_mismatch
from gazex_viewer.core.gaze.trainee import (
    Click,
    TraineeScore,
    score_trainee,
    trainee_reading,
)
from gazex_viewer.core.reading.document import ImageRef, Reading
from gazex_viewer.ui.common import read_reading_file
from gazex_viewer.ui.film.overlay import ReadingOverlay, reading_for_film

__all__ = ["TRAINEE_COLOUR", "TraineeRecorder", "score_rows", "TraineePanel", "TraineeMode"]

#: the trainee's marks: a yellow-green that reads on a grey film and differs from A/B's cyan/magenta
TRAINEE_COLOUR = "#c6ff00"


# -- state --------------------------------------------------------------------------------------------
@dataclass
class TraineeRecorder:
    """The trainee's marks and sentences, in the order made.

    ``active`` is the sentence new marks belong to; ``None`` means "the next sentence written".
    """

    clock: Callable[[], float] = time.monotonic
    clicks: list[Click] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    active: int | None = None
    started: float = 0.0

    def start(self) -> None:
        """Forget everything and start the clock."""
        self.clicks.clear()
        self.sentences.clear()
        self.active = None
        self.started = self.clock()

    def elapsed(self) -> float:
        return max(0.0, self.clock() - self.started)

    def add_click(self, x: float, y: float) -> Click:
        """A mark at image pixel (x, y) now, for the active sentence (or pending)."""
        c = Click(float(x), float(y), self.elapsed(), self.active)
        self.clicks.append(c)
        return c

    def undo_click(self) -> Click | None:
        """Remove the last mark (None when there is none)."""
        return self.clicks.pop() if self.clicks else None

    def add_sentence(self, text: str) -> int:
        """Add a sentence; the pending marks (made since the last sentence) become its marks."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("empty sentence")
        self.sentences.append(text)
        k = len(self.sentences) - 1
        self.clicks = [Click(c.x, c.y, c.t, k) if c.sentence is None else c for c in self.clicks]
        self.active = None
        return k

    def remove_sentence(self, k: int) -> None:
        """Remove sentence ``k``; its marks become pending again, later sentences move up."""
        if not 0 <= k < len(self.sentences):
            return
        del self.sentences[k]

        def shift(s: int | None) -> int | None:
            if s is None or s == k:
                return None
            return s - 1 if s > k else s

        self.clicks = [Click(c.x, c.y, c.t, shift(c.sentence)) for c in self.clicks]
        self.active = shift(self.active)

    def marks_of(self, k: int | None) -> list[Click]:
        return [c for c in self.clicks if c.sentence == k]

    def reading(self, image: ImageRef, *, trainee: str | None = None) -> Reading:
        """The trainee's reading (:func:`~gazex_viewer.core.gaze.trainee.trainee_reading`)."""
        return trainee_reading(self.clicks, self.sentences, image, trainee=trainee)


def _pct(v: float) -> str:
    return "—" if not math.isfinite(v) else f"{100 * v:.0f} %"


def _num(v: float) -> str:
    return "—" if not math.isfinite(v) else f"{v:.3f}"


def score_rows(score: TraineeScore) -> list[tuple[str, str, str]]:
    """The score as (name, shown value, what it means) rows, in the order the panel shows them."""
    ag = score.agreement
    return [
        ("Regions found", _pct(score.regions_found), "reference regions holding at least one of your marks"),
        ("Marks on target", _pct(score.clicks_on_target), "your marks inside a reference region"),
        ("Finding recall", _pct(score.finding_recall), "reference findings you named"),
        ("Finding precision", _pct(score.finding_precision), "your findings the reference also names"),
        ("Agreed", ", ".join(score.findings_agreed) or "—", "findings both named"),
        ("Missed", ", ".join(score.findings_missed) or "—", "named by the reference only"),
        ("Extra", ", ".join(score.findings_extra) or "—", "named by you only"),
        ("Gaze map CC", _num(ag.get("cc", math.nan)), "correlation of fixation maps, −1–1"),
        ("Density cosine", _num(ag.get("density_cosine", math.nan)), "0–1, higher = closer"),
        ("Scanpath similarity", _num(ag.get("edit_similarity", math.nan)), "order of 5×5 grid cells, 0–1"),
        ("Position (MultiMatch)", _num(ag.get("mm_position", math.nan)), "0–1, higher = closer"),
        ("Zones both visited", _num(ag.get("zone_jaccard", math.nan)), "ABCDEF zones, Jaccard 0–1"),
    ]


# -- the view -------------------------------------------------------------------------------------------
class TraineePanel(QWidget):
    """Trainee mode's controls: sentences, marks, the reference, Reveal & score, and the score.

    Signals
    -------
    reveal_requested() : score and reveal.
    choose_reference_requested() : load a reference reading from a file (kept hidden until the reveal).
    undo_requested() : remove the last mark.
    leave_requested() : end trainee mode.
    compare_requested() : open the full comparison (after the reveal).
    save_requested() : save the trainee's reading (after the reveal).
    """

    reveal_requested = Signal()
    choose_reference_requested = Signal()
    undo_requested = Signal()
    leave_requested = Signal()
    compare_requested = Signal()
    save_requested = Signal()
    sentence_added = Signal(str)
    sentence_removed = Signal(int)
    active_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("traineePanel")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.setSpacing(5)
        self.intro = QLabel(
            "<b>Trainee mode</b>: the model's and the expert's readings are hidden.<br>"
            "1. <b>Click</b> the film where you look (each mark is timed).<br>"
            "2. <b>Write</b> what you see; your marks since the last sentence belong to it "
            "(select a sentence to add marks to it).<br>"
            "3. <b>Reveal &amp; score</b> when done."
        )
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.intro)
        row = QHBoxLayout()
        row.addWidget(QLabel("Trainee"))
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("your name (kept in the reading)")
        row.addWidget(self.name_edit, 1)
        lay.addLayout(row)
        row = QHBoxLayout()
        self.sentence_edit = QLineEdit()
        self.sentence_edit.setObjectName("traineeSentence")
        self.sentence_edit.setPlaceholderText("what you see, e.g. enlarged cardiac silhouette")
        self.sentence_edit.returnPressed.connect(self._add_sentence)
        row.addWidget(self.sentence_edit, 1)
        self.add_button = QPushButton("Add")
        self.add_button.clicked.connect(self._add_sentence)
        row.addWidget(self.add_button)
        lay.addLayout(row)
        self.sentence_list = QListWidget()
        self.sentence_list.setObjectName("traineeSentences")
        self.sentence_list.currentRowChanged.connect(self._on_current_row)
        lay.addWidget(self.sentence_list, 1)
        row = QHBoxLayout()
        self.marks_label = QLabel("No marks yet")
        row.addWidget(self.marks_label, 1)
        self.undo_button = QPushButton("Undo mark")
        self.undo_button.setToolTip("Remove the last mark")
        self.undo_button.clicked.connect(self.undo_requested)
        row.addWidget(self.undo_button)
        self.remove_button = QPushButton("Remove sentence")
        self.remove_button.clicked.connect(self._remove_sentence)
        row.addWidget(self.remove_button)
        lay.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Score against"))
        self.reference_combo = QComboBox()
        self.reference_combo.setObjectName("traineeReference")
        row.addWidget(self.reference_combo, 1)
        self.choose_reference_button = QPushButton("From file…")
        self.choose_reference_button.setToolTip("A saved reading of this film (expert recording or model run), kept hidden")
        self.choose_reference_button.clicked.connect(self.choose_reference_requested)
        row.addWidget(self.choose_reference_button)
        lay.addLayout(row)
        self.reveal_button = QPushButton("Reveal && score")
        self.reveal_button.setObjectName("revealButton")
        self.reveal_button.setStyleSheet("font-weight:bold; padding:6px;")
        self.reveal_button.clicked.connect(self.reveal_requested)
        lay.addWidget(self.reveal_button)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color:#ffcc66;")
        self.message.hide()
        lay.addWidget(self.message)
        self.score_title = QLabel()
        self.score_title.setWordWrap(True)
        self.score_title.setTextFormat(Qt.TextFormat.RichText)
        self.score_title.hide()
        lay.addWidget(self.score_title)
        self.score_table = QTableWidget(0, 2)
        self.score_table.setObjectName("traineeScore")
        self.score_table.setHorizontalHeaderLabels(["Score", "Value"])
        self.score_table.verticalHeader().hide()
        self.score_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.score_table.setWordWrap(True)
        self.score_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.score_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.score_table.verticalHeader().setDefaultSectionSize(20)
        self.score_table.hide()
        lay.addWidget(self.score_table, 2)
        row = QHBoxLayout()
        self.compare_button = QPushButton("Compare in detail")
        self.compare_button.clicked.connect(self.compare_requested)
        self.save_button = QPushButton("Save my reading…")
        self.save_button.clicked.connect(self.save_requested)
        self.leave_button = QPushButton("Leave trainee mode")
        self.leave_button.clicked.connect(self.leave_requested)
        for b in (self.compare_button, self.save_button):
            b.hide()
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.leave_button)
        lay.addLayout(row)
        self._marks: list[int] = []

    # -- sentences and marks ------------------------------------------------------------------
    def _add_sentence(self) -> None:
        text = self.sentence_edit.text().strip()
        if text:
            self.sentence_added.emit(text)
            self.sentence_edit.clear()

    def _remove_sentence(self) -> None:
        k = self.sentence_list.currentRow()
        if k >= 0:
            self.sentence_removed.emit(k)

    def _on_current_row(self, k: int) -> None:
        self.active_changed.emit(None if k < 0 else k)

    def show_state(self, recorder: TraineeRecorder) -> None:
        """Refresh the sentence list and the marks line from the recorder."""
        self.sentence_list.blockSignals(True)
        self.sentence_list.clear()
        for k, text in enumerate(recorder.sentences):
            n = len(recorder.marks_of(k))
            self.sentence_list.addItem(QListWidgetItem(f"{k + 1}. {text}   ({n} mark{'s' if n != 1 else ''})"))
        if recorder.active is not None:
            self.sentence_list.setCurrentRow(recorder.active)
        else:
            self.sentence_list.setCurrentRow(-1)
            self.sentence_list.clearSelection()
        self.sentence_list.blockSignals(False)
        pending = len(recorder.marks_of(None))
        total = len(recorder.clicks)
        if total == 0:
            self.marks_label.setText("No marks yet: click the film where you look")
        else:
            where = (
                f"marks go to sentence {recorder.active + 1}"
                if recorder.active is not None
                else f"{pending} waiting for your next sentence"
            )
            self.marks_label.setText(f"{total} mark{'s' if total != 1 else ''}; {where}")

    def set_references(self, refs: list[tuple[str, Reading]], current: int = 0) -> None:
        """The readings the trainee can be scored against (label, reading)."""
        self.reference_combo.clear()
        for label, r in refs:
            self.reference_combo.addItem(label, r)
        if refs:
            self.reference_combo.setCurrentIndex(max(0, min(current, len(refs) - 1)))
        else:
            self.reference_combo.addItem("no reference: choose a reading file", None)

    @property
    def reference(self) -> Reading | None:
        r = self.reference_combo.currentData()
        return r if isinstance(r, Reading) else None

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def show_score(self, score: TraineeScore, reference: Reading, *, other_film: str | None = None) -> None:
        """Show the score (after the reveal); recording controls are locked.

        ``other_film``: why the reference is a reading of another film (the user chose to score anyway).
        """
        p = reference.producer
        warning = (
            "<br><span style='color:#ff8a80'><b>⚠ Scored against a reading of ANOTHER film</b> "
            f"({html.escape(other_film)}): these numbers say nothing about your reading of this film.</span>"
            if other_film else ""
        )
        self.score_title.setText(
            f"<b>Your score</b> against the {html.escape(p.kind)} reading "
            f"({html.escape(p.dataset or p.name)}): your marks in <span style='color:{TRAINEE_COLOUR}'>■</span>, "
            "the reference's regions and trajectory in its colours." + warning
        )
        self.score_title.show()
        rows = score_rows(score)
        self.score_table.setRowCount(len(rows))
        for r, (name, value, tip) in enumerate(rows):
            a = QTableWidgetItem(name)
            a.setToolTip(tip)
            b = QTableWidgetItem(value)
            b.setToolTip(tip)
            self.score_table.setItem(r, 0, a)
            self.score_table.setItem(r, 1, b)
        self.score_table.show()
        for w in (self.sentence_edit, self.add_button, self.undo_button, self.remove_button, self.reveal_button,
                  self.reference_combo, self.choose_reference_button):
            w.setEnabled(False)
        for i in range(self.reference_combo.count()):
            self.reference_combo.setItemText(i, self.reference_combo.itemText(i).replace(" (hidden)", ""))
        self.compare_button.show()
        self.save_button.show()
        self.intro.setText("<b>Revealed.</b> Play the reference (Space) to see the order it was read in.")
        self.sentence_list.setMaximumHeight(72)
        self.score_table.setMinimumHeight(self.score_table.horizontalHeader().sizeHint().height() + 20 * len(rows) + 6)

    def shown_score(self) -> dict[str, str]:
        """Score name -> shown value (for tests and screenshots)."""
        return {self.score_table.item(r, 0).text(): self.score_table.item(r, 1).text() for r in range(self.score_table.rowCount())}


# -- the wiring -----------------------------------------------------------------------------------------------
class TraineeMode(QObject):
    """Trainee mode on a main window (``radiograph``, ``reading``, ``canvas``, ``controller``, ``player_bar``,
    ``report_dock``, ``show_reading``, ``show_error``, ``addDockWidget``).

    Parameters
    ----------
    window : the main window.
    clock : seconds, monotonic (tests pass a fake one).
    """

    ended = Signal()
    revealed = Signal(object)

    def __init__(self, window: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(window)
        self.window = window
        self.recorder = TraineeRecorder(clock=clock)
        self.score: TraineeScore | None = None
        self.trainee: Reading | None = None
        self.reference: Reading | None = None
        self.active = False
        self.revealed_state = False
        self.panel = TraineePanel()
        self.dock = QDockWidget("Trainee", window)
        self.dock.setObjectName("traineeDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.dock.hide()
        self._hidden: list[QWidget] = []
        self._marks_item = pg.ScatterPlotItem(pxMode=True)
        self._marks_item.setZValue(30)
        self._mark_labels: list[pg.TextItem] = []
        self._overlay: ReadingOverlay | None = None
        self._extra_refs: list[tuple[str, Reading]] = []
        #: the film's own reading (and so its review), shown again exactly when trainee mode ends
        self._own_reading: Reading | None = None
        self._disabled_actions: list[Any] = []
        self.panel.sentence_added.connect(self.add_sentence)
        self.panel.sentence_removed.connect(self.remove_sentence)
        self.panel.active_changed.connect(self._on_active)
        self.panel.undo_requested.connect(self.undo_click)
        self.panel.reveal_requested.connect(self.reveal)
        self.panel.choose_reference_requested.connect(self.choose_reference)
        self.panel.leave_requested.connect(self.leave)
        self.panel.compare_requested.connect(self.compare)
        self.panel.save_requested.connect(self.save_dialog)

    # -- on and off ----------------------------------------------------------------------------
    def references(self) -> list[tuple[str, Reading]]:
        """What the trainee can be scored against: the open reading, the one being compared, files chosen."""
        out: list[tuple[str, Reading]] = []
        seen: set[int] = set()
        win = self.window
        cands: list[Reading | None] = [win.reading]
        cmp = getattr(getattr(win, "compare_session", None), "comparison", None)
        if cmp is not None:
            cands += [cmp.a, cmp.b]
        for r in cands:
            if r is not None and id(r) not in seen and r.producer.kind != "trainee":
                seen.add(id(r))
                out.append((self._ref_label(r), r))
        for label, r in self._extra_refs:
            if id(r) not in seen:
                seen.add(id(r))
                out.append((label, r))
        # the expert first: it is what a trainee is usually scored against
        out.sort(key=lambda lr: 0 if lr[1].producer.kind == "expert" else 1)
        return out

    @staticmethod
    def _ref_label(r: Reading) -> str:
        p = r.producer
        return f"{'Expert' if p.kind == 'expert' else p.kind.capitalize()}: {p.dataset or p.name} (hidden)"

    def start(self) -> bool:
        """Hide the model's and the expert's layers and start recording."""
        win = self.window
        if self.active:
            return True
        if win.radiograph is None:
            win.show_error("No film open", "Open a film first, then start trainee mode.")
            return False
        self.active = True
        self.revealed_state = False
        self._own_reading = win.reading
        refs = self.references()
        session = getattr(win, "compare_session", None)
        if session is not None and getattr(session, "comparison", None) is not None:
            session.end()
        win.controller.pause()
        win.selection.clear()
        win.canvas.set_reading(None)
        self._hidden = [w for w in (win.report_dock, win.player_bar) if w.isVisible()]
        for w in self._hidden:
            w.hide()
        for d in win.findChildren(QDockWidget):
            if d is not self.dock and d.isVisible() and d.objectName() not in ("",):
                if d not in self._hidden:
                    self._hidden.append(d)
                d.hide()
        # the review's keys (accept, reject, ...) would act on the hidden draft: off while recording
        self._disabled_actions = []
        for top in win.menuBar().actions():
            if top.text().replace("&", "").lower() == "review" and top.menu() is not None:
                for act in top.menu().actions():
                    if act.isEnabled() and not act.isSeparator():
                        act.setEnabled(False)
                        self._disabled_actions.append(act)
        win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        report_dock = getattr(win, "report_dock", None)
        if report_dock is not None:
            win.tabifyDockWidget(report_dock, self.dock)  # where the report was; a tab beside it once revealed
        self.dock.setTitleBarWidget(None)  # alone while recording: its own title says "Trainee"
        self.dock.show()
        self.panel.set_references(refs)
        self.recorder.start()
        self.panel.show_state(self.recorder)
        win.canvas.vb.addItem(self._marks_item)
        win.canvas.scene().sigMouseClicked.connect(self._on_canvas_clicked)
        win.controller.time_changed.connect(self._keep_hidden)
        self.panel.sentence_edit.setFocus()
        win.statusBar().showMessage("Trainee mode: the model's and the expert's readings are hidden", 8000)
        return True

    def _keep_hidden(self, _t: float) -> None:
        """Anything that draws a reading while recording (another reading opened) is taken off again."""
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self._hide_now)

    def _hide_now(self) -> None:
        if self.active and not self.revealed_state and self.window.canvas.reading is not None:
            self.window.canvas.set_reading(None)
            for w in (self.window.report_dock, self.window.player_bar):
                if w.isVisible():
                    w.hide()
                    if w not in self._hidden:
                        self._hidden.append(w)

    def leave(self) -> None:
        """End trainee mode: the window is as before (the revealed reference stays open)."""
        if not self.active:
            return
        win = self.window
        self.active = False
        try:
            win.canvas.scene().sigMouseClicked.disconnect(self._on_canvas_clicked)
            win.controller.time_changed.disconnect(self._keep_hidden)
        except (RuntimeError, TypeError):
            pass
        if self._overlay is not None:
            try:
                win.controller.time_changed.disconnect(self._on_time)
            except (RuntimeError, TypeError):
                pass
            self._overlay.remove()
            self._overlay = None
        self._clear_marks()
        win.canvas.vb.removeItem(self._marks_item)
        for w in self._hidden:
            w.show()
        self._hidden = []
        for act in self._disabled_actions:
            act.setEnabled(True)
        self._disabled_actions = []
        self.dock.hide()
        win.removeDockWidget(self.dock)
        self.dock.setTitleBarWidget(None)
        review = getattr(win, "review", None)
        if review is not None:  # the film's own reading and review, exactly as before
            review.restore(self._own_reading)
        elif not self.revealed_state and win.reading is not None:
            win.canvas.set_reading(win.reading, win.controller.playback)
            win.canvas.set_layers(**win.player_bar.layers())
        self.ended.emit()

    # -- recording -----------------------------------------------------------------------------
    def _on_canvas_clicked(self, ev: Any) -> None:
        if not self.active or self.revealed_state:
            return
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        canvas = self.window.canvas
        if not canvas.vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = canvas.vb.mapSceneToView(ev.scenePos())
        self.record_click(float(p.x()), float(p.y()))

    def record_click(self, x: float, y: float) -> Click | None:
        """A mark at image pixel (x, y); ignored outside the film."""
        rg = self.window.radiograph
        if rg is None or not (0 <= x <= rg.width and 0 <= y <= rg.height):
            return None
        c = self.recorder.add_click(x, y)
        self._draw_marks()
        self.panel.show_state(self.recorder)
        return c

    def undo_click(self) -> None:
        self.recorder.undo_click()
        self._draw_marks()
        self.panel.show_state(self.recorder)

    def add_sentence(self, text: str) -> None:
        try:
            self.recorder.add_sentence(text)
        except ValueError:
            return
        self._draw_marks()
        self.panel.show_state(self.recorder)

    def remove_sentence(self, k: int) -> None:
        self.recorder.remove_sentence(k)
        self._draw_marks()
        self.panel.show_state(self.recorder)

    def _on_active(self, k: object) -> None:
        self.recorder.active = k if isinstance(k, int) else None
        self.panel.show_state(self.recorder)

    def _clear_marks(self) -> None:
        for t in self._mark_labels:
            self.window.canvas.vb.removeItem(t)
        self._mark_labels = []
        self._marks_item.setData([], [])

    def _draw_marks(self) -> None:
        self._clear_marks()
        clicks = self.recorder.clicks
        if not clicks:
            return
        c = QColor(TRAINEE_COLOUR)
        fill = QColor(c)
        fill.setAlpha(90)
        self._marks_item.setData(
            x=[k.x for k in clicks], y=[k.y for k in clicks], size=18, symbol="t",
            brush=pg.mkBrush(fill), pen=pg.mkPen(c, width=2),
        )
        font = QFont()
        font.setPointSize(9)
        font.setBold(True)
        for i, k in enumerate(clicks):
            label = f"{i + 1}" + ("" if k.sentence is None else f"·S{k.sentence + 1}")
            t = pg.TextItem(label, color=c, anchor=(0, 1))
            t.setFont(font)
            t.setPos(QPointF(k.x + 6, k.y - 6))
            t.setZValue(31)
            self.window.canvas.vb.addItem(t)
            self._mark_labels.append(t)

    # -- reference and reveal ------------------------------------------------------------------
    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.panel, "Reference reading (kept hidden)", "", "Readings (*.json)")
        if path:
            self.add_reference_file(path)

    def add_reference_file(self, path: str | os.PathLike[str]) -> bool:
        """Load a reference reading from a file without showing it; a bad file is reported."""
        r = read_reading_file(path, self.window.show_error, "Cannot use this reference")
        if r is None:
            return False
        self._extra_refs.append((self._ref_label(r), r))
        refs = self.references()
        self.panel.set_references(refs, current=[i for i, (_l, x) in enumerate(refs) if x is r][0])
        return True

    def reveal(self) -> TraineeScore | None:
        """Score the trainee against the chosen reference, show the score, then show the reference."""
        win = self.window
        ref = self.panel.reference
        if ref is None:
            self.panel.say("Choose a reference reading to be scored against (From file…).")
            return None
        if not self.recorder.clicks and not self.recorder.sentences:
            self.panel.say("Nothing to score yet: click where you look and write what you see.")
            return None
        trainee = self.recorder.reading(win.radiograph.image_ref(), trainee=self.panel.name_edit.text().strip() or None)
        other_film = film_mismatch(trainee, ref)
        if other_film and not win.ask_yes_no(
            "Score against another film's reading?",
            f"The reference is a reading of another film: {other_film}. A score against it says nothing "
            "about your reading of this film.\n\nScore against it anyway?",
        ):
            self.panel.say(f"Not scored: the reference is a reading of another film ({other_film}).")
            return None
        try:
            self.trainee = trainee
            self.score = score_trainee(self.trainee, ref)
        except ValueError as err:
            self.panel.say(f"Cannot score: {err}")
            return None
        self.reference = ref
        self.revealed_state = True
        self.panel.say("")
        self.panel.show_score(self.score, ref, other_film=other_film)
        # reveal: the reference on the film (scaled to it when recorded in another frame), your marks over it
        shown, _frame = reading_for_film(ref, win.radiograph)
        review_dock = getattr(getattr(win, "review", None), "dock", None)
        keep_hidden = [w for w in self._hidden if w is review_dock]
        for w in self._hidden:
            if w is not review_dock:
                w.show()
        if review_dock is not None and review_dock.isVisible():
            review_dock.hide()  # it follows the report; the review's keys stay off in trainee mode
            if review_dock not in keep_hidden:
                keep_hidden.append(review_dock)
        self._hidden = keep_hidden
        if win.reading is not ref and win.reading is not shown:
            win.show_reading(shown)
        else:
            win.canvas.set_reading(win.reading, win.controller.playback)
        win.canvas.set_layers(**win.player_bar.layers())
        self._clear_marks()
        trainee_shown, _ = reading_for_film(self.trainee, win.radiograph)
        self._overlay = ReadingOverlay(win.canvas, TRAINEE_COLOUR, tag="T", symbol="t", parent=self)
        self._overlay.set_reading(trainee_shown)
        self._overlay.set_layers(regions=False)  # your marks and their order; the boxes around them add only clutter
        self._overlay.set_trail_length(max(1, len(trainee_shown.trajectory)))
        self._overlay.set_time(trainee_shown.duration)
        win.controller.time_changed.connect(self._on_time)
        if win.report_dock.isVisible():
            self.dock.setTitleBarWidget(QWidget())  # a tab beside the reference's report now
        self.dock.raise_()
        win.statusBar().showMessage("Revealed: your marks in yellow-green over the reference", 8000)
        self.revealed.emit(self.score)
        return self.score

    def _on_time(self, _t: float) -> None:
        if self._overlay is not None and self._overlay.reading is not None:
            self._overlay.set_time(self._overlay.reading.duration)  # all your marks stay shown

    def compare(self) -> Any:
        """Open the full comparison: the reference (A) against the trainee's reading (B)."""
        win = self.window
        if self.trainee is None:
            return None
        from gazex_viewer.ui.compare.panel import CompareSession

        if self._overlay is not None:
            try:
                win.controller.time_changed.disconnect(self._on_time)
            except (RuntimeError, TypeError):
                pass
            self._overlay.remove()
            self._overlay = None
        old = getattr(win, "compare_session", None)
        if old is not None:
            old.end()
        session = CompareSession(win)
        session.panel.set_colours(session.panel.colour_a, TRAINEE_COLOUR)
        session.set_reading_b(self.trainee)
        if hasattr(win, "compare_session"):
            win.compare_session = session
            session.ended.connect(lambda: setattr(win, "compare_session", None))
        return session

    def save_dialog(self) -> None:
        if self.trainee is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.panel, "Save your reading", "trainee.reading.json", "Readings (*.json)")
        if path:
            try:
                self.trainee.save(path)
            except OSError as err:
                self.window.show_error("Cannot save", f"{path}: {err.strerror or err}")
