"""Trainee mode: read the film yourself, then reveal the expert's (or the model's) reading and see the score.

While trainee mode is on, the model's and the expert's layers are hidden (the film canvas shows no
reading, the report, the player and any comparison are put away). The trainee marks where they look
(left clicks on the film, timed from the start) and writes what they see (sentences); the marks made
since the last sentence belong to the next sentence written, or to the sentence selected in the list.
**Reveal & score** builds the trainee's reading (:func:`gazex_viewer.core.gaze.trainee.trainee_reading`),
scores it against the chosen reference (:func:`~gazex_viewer.core.gaze.trainee.score_trainee`), shows the
score, then reveals the reference with the trainee's marks drawn over it.

Owns :class:`TraineeMode`, the wiring: the state is a :class:`~gazex_viewer.core.gaze.trainee.TraineeRecorder`
(Qt-free), the view a :class:`~gazex_viewer.ui.trainee.panel.TraineePanel`. The mode is handed the
:class:`~gazex_viewer.ui.workspace.Workspace`, the :class:`~gazex_viewer.ui.actions.ActionRegistry` (the Review
actions are switched off while recording), the window as a :class:`~gazex_viewer.ui.services.Shell` and the
window's :class:`~gazex_viewer.ui.compare.session.Comparisons`, never the main window itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont
from PySide6.QtWidgets import QDockWidget, QFileDialog, QWidget

from gazex_viewer.core.gaze.agreement import film_mismatch
from gazex_viewer.core.gaze.trainee import (
    Click,
    TraineeRecorder,
    TraineeScore,
    score_trainee,
)
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.frames import reading_for_film
from gazex_viewer.ui.files import read_reading_file
from gazex_viewer.ui.film.overlay import ReadingOverlay
from gazex_viewer.ui.trainee.panel import TRAINEE_COLOUR, TraineePanel

if TYPE_CHECKING:
    from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent

    from gazex_viewer.ui.actions import ActionRegistry
    from gazex_viewer.ui.compare.session import CompareSession, Comparisons
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["REVIEW_DOCK", "REVIEW_GROUP", "TraineeMode"]

#: the action group switched off while the trainee records (its keys would act on the hidden draft)
REVIEW_GROUP = "Review"
#: the object name of the review's tab, kept hidden after the reveal (it follows the report)
REVIEW_DOCK = "reviewDock"


class TraineeMode(QObject):
    """Trainee mode on a window.

    Parameters
    ----------
    workspace : the open film (``workspace.radiograph``) and its own reading (shown again when the mode ends).
    actions : the window's actions; the ``"Review"`` group is off while recording.
    shell : the window as a mode sees it: dialogs, status line, tabs, the film views, showing a reading.
    comparisons : the window's comparison: ended when the mode starts, started by *Compare in detail*.
    clock : seconds, monotonic (tests pass a fake one).

    Signals
    -------
    ended() : the mode ended (the window is as before).
    revealed(TraineeScore) : the score was computed and the reference revealed.
    """

    ended = Signal()
    revealed = Signal(object)

    def __init__(
        self,
        workspace: Workspace,
        actions: ActionRegistry,
        shell: Shell,
        comparisons: Comparisons,
        *,
        clock: Callable[[], float] = time.monotonic,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace, self.actions, self.shell, self.comparisons = workspace, actions, shell, comparisons
        self.recorder = TraineeRecorder(clock=clock)
        self.score: TraineeScore | None = None
        self.trainee: Reading | None = None
        self.reference: Reading | None = None
        self.active = False
        self.revealed_state = False
        self.panel = TraineePanel()
        self.dock = QDockWidget("Trainee")
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
        self._disabled_actions: list[QAction] = []
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
        cands: list[Reading | None] = [self.workspace.reading]
        session = self.comparisons.session
        cmp = None if session is None else session.comparison
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
        sh = self.shell
        if self.active:
            return True
        if self.workspace.radiograph is None:
            sh.show_error("No film open", "Open a film first, then start trainee mode.")
            return False
        self.active = True
        self.revealed_state = False
        self._own_reading = self.workspace.reading
        refs = self.references()
        session = self.comparisons.session
        if session is not None and session.comparison is not None:
            session.end()
        sh.controller.pause()
        sh.selection.clear()
        sh.canvas.set_reading(None)
        self._hidden = [w for w in (sh.report_dock, sh.player_bar) if w.isVisible()]
        for w in self._hidden:
            w.hide()
        for d in sh.side_docks():
            if d is not self.dock and d.isVisible() and d.objectName() not in ("",):
                if d not in self._hidden:
                    self._hidden.append(d)
                d.hide()
        # the review's keys (accept, reject, ...) would act on the hidden draft: off while recording
        self._disabled_actions = self.actions.set_group_enabled(REVIEW_GROUP, False)
        # where the report was; a tab beside it once revealed
        sh.add_tab(self.dock, beside_report=True)
        # alone while recording: its own title says "Trainee" (None: the default title bar; the stub omits None)
        self.dock.setTitleBarWidget(None)  # type: ignore[arg-type]
        self.dock.show()
        self.panel.set_references(refs)
        self.recorder.start()
        self.panel.show_state(self.recorder)
        sh.canvas.vb.addItem(self._marks_item)
        sh.canvas.scene().sigMouseClicked.connect(self._on_canvas_clicked)
        sh.controller.time_changed.connect(self._keep_hidden)
        self.panel.sentence_edit.setFocus()
        sh.show_status("Trainee mode: the model's and the expert's readings are hidden", 8000)
        return True

    def _keep_hidden(self, _t: float) -> None:
        """Anything that draws a reading while recording (another reading opened) is taken off again."""
        QTimer.singleShot(0, self._hide_now)

    def _hide_now(self) -> None:
        sh = self.shell
        if self.active and not self.revealed_state and sh.canvas.reading is not None:
            sh.canvas.set_reading(None)
            for w in (sh.report_dock, sh.player_bar):
                if w.isVisible():
                    w.hide()
                    if w not in self._hidden:
                        self._hidden.append(w)

    def leave(self) -> None:
        """End trainee mode: the window is as before (the revealed reference stays open)."""
        if not self.active:
            return
        sh = self.shell
        self.active = False
        try:
            sh.canvas.scene().sigMouseClicked.disconnect(self._on_canvas_clicked)
            sh.controller.time_changed.disconnect(self._keep_hidden)
        except (RuntimeError, TypeError):
            pass
        if self._overlay is not None:
            try:
                sh.controller.time_changed.disconnect(self._on_time)
            except (RuntimeError, TypeError):
                pass
            self._overlay.remove()
            self._overlay = None
        self._clear_marks()
        sh.canvas.vb.removeItem(self._marks_item)
        for w in self._hidden:
            w.show()
        self._hidden = []
        for act in self._disabled_actions:
            act.setEnabled(True)
        self._disabled_actions = []
        self.dock.hide()
        sh.remove_tab(self.dock)
        self.dock.setTitleBarWidget(None)  # type: ignore[arg-type]
        sh.restore_reading(self._own_reading)  # the film's own reading and review, exactly as before
        self.ended.emit()

    # -- recording -----------------------------------------------------------------------------
    def _on_canvas_clicked(self, ev: MouseClickEvent) -> None:
        if not self.active or self.revealed_state:
            return
        if ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        canvas = self.shell.canvas
        if not canvas.vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = canvas.vb.mapSceneToView(ev.scenePos())
        self.record_click(float(p.x()), float(p.y()))

    def record_click(self, x: float, y: float) -> Click | None:
        """A mark at image pixel (x, y); ignored outside the film."""
        rg = self.workspace.radiograph
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
            self.shell.canvas.vb.removeItem(t)
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
            self.shell.canvas.vb.addItem(t)
            self._mark_labels.append(t)

    # -- reference and reveal ------------------------------------------------------------------
    def choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.panel, "Reference reading (kept hidden)", "", "Readings (*.json)")
        if path:
            self.add_reference_file(path)

    def add_reference_file(self, path: str | os.PathLike[str]) -> bool:
        """Load a reference reading from a file without showing it; a bad file is reported."""
        r = read_reading_file(path, self.shell.show_error, "Cannot use this reference")
        if r is None:
            return False
        self._extra_refs.append((self._ref_label(r), r))
        refs = self.references()
        self.panel.set_references(refs, current=next(i for i, (_l, x) in enumerate(refs) if x is r))
        return True

    def reveal(self) -> TraineeScore | None:
        """Score the trainee against the chosen reference, show the score, then show the reference."""
        sh, film = self.shell, self.workspace.radiograph
        ref = self.panel.reference
        if ref is None:
            self.panel.say("Choose a reference reading to be scored against (From file…).")
            return None
        if not self.recorder.clicks and not self.recorder.sentences:
            self.panel.say("Nothing to score yet: click where you look and write what you see.")
            return None
        if film is None:
            return None  # the film was closed: nothing to score on
        trainee = self.recorder.reading(film.image_ref(), trainee=self.panel.name_edit.text().strip() or None)
        other_film = film_mismatch(trainee, ref)
        if other_film and not sh.ask_yes_no(
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
        shown, _frame = reading_for_film(ref, film)
        review_dock = next((d for d in sh.side_docks() if d.objectName() == REVIEW_DOCK), None)
        keep_hidden: list[QWidget] = [w for w in self._hidden if w is review_dock]
        for w in self._hidden:
            if w is not review_dock:
                w.show()
        if review_dock is not None and review_dock.isVisible():
            review_dock.hide()  # it follows the report; the review's keys stay off in trainee mode
            if review_dock not in keep_hidden:
                keep_hidden.append(review_dock)
        self._hidden = keep_hidden
        now = self.workspace.reading
        if now is not ref and now is not shown:
            sh.show_reading(shown)
        else:
            sh.canvas.set_reading(now, sh.controller.playback)
        sh.canvas.set_layers(**sh.player_bar.layers())
        self._clear_marks()
        trainee_shown, _ = reading_for_film(self.trainee, film)
        self._overlay = ReadingOverlay(sh.canvas, TRAINEE_COLOUR, tag="T", symbol="t", parent=self)
        self._overlay.set_reading(trainee_shown)
        self._overlay.set_layers(regions=False)  # your marks and their order; the boxes around them add only clutter
        self._overlay.set_trail_length(max(1, len(trainee_shown.trajectory)))
        self._overlay.set_time(trainee_shown.duration)
        sh.controller.time_changed.connect(self._on_time)
        if sh.report_dock.isVisible():
            self.dock.setTitleBarWidget(QWidget())  # a tab beside the reference's report now
        self.dock.raise_()
        sh.show_status("Revealed: your marks in yellow-green over the reference", 8000)
        self.revealed.emit(self.score)
        return self.score

    def _on_time(self, _t: float) -> None:
        if self._overlay is not None and self._overlay.reading is not None:
            self._overlay.set_time(self._overlay.reading.duration)  # all your marks stay shown

    def compare(self) -> CompareSession | None:
        """Open the full comparison: the reference (A) against the trainee's reading (B)."""
        if self.trainee is None:
            return None
        if self._overlay is not None:
            try:
                self.shell.controller.time_changed.disconnect(self._on_time)
            except (RuntimeError, TypeError):
                pass
            self._overlay.remove()
            self._overlay = None
        session = self.comparisons.start()  # ends the one running, if any
        session.panel.set_colours(session.panel.colour_a, TRAINEE_COLOUR)
        session.set_reading_b(self.trainee)
        return session

    def save_dialog(self) -> None:
        if self.trainee is None:
            return
        path, _ = QFileDialog.getSaveFileName(self.panel, "Save your reading", "trainee.reading.json", "Readings (*.json)")
        if path:
            try:
                self.trainee.save(path)
            except OSError as err:
                self.shell.show_error("Cannot save", f"{path}: {err.strerror or err}")
