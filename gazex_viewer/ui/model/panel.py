"""The model panel: checkpoint choice, Run / Cancel, progress and the report text streaming in.

A view only: it emits ``*_requested`` signals, which :class:`~gazex_viewer.ui.model.jobs.ModelJobs` answers, and
follows the workspace (compact once a reading is shown).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from gazex_viewer.ui.workspace import Workspace

NO_CHECKPOINT_TEXT = (
    "<b>No model checkpoint chosen.</b><br>"
    "Place a GazeX / Qwen2-VL checkpoint folder on this computer (see <i>models/README.md</i>; "
    "nothing is downloaded), or build a tiny test one with "
    "<code>gazex-viewer make-test-model models/tiny-gazex</code>, then choose it here. "
    "You can also open a saved reading instead."
)

#: human words for the worker's stages
STAGE_WORDS = {
    "loading": "Loading the model",
    "load": "Loading the model",
    "loaded": "Model loaded",
    "preparing": "Preparing the image",
    "prepare": "Preparing the image",
    "report": "Writing the report",
    "grounding": "Finding regions",
    "ground": "Finding regions",
    "parsing": "Reading the answer",
    "done": "Done",
}


class ModelPanel(QWidget):
    """Run the model from the UI.

    Three looks: with no checkpoint and no reading shown, the full how-to (:attr:`empty_page`);
    otherwise one compact line (:attr:`ready_page`): the checkpoint's name, Run / Cancel and
    Choose…, with the progress bar, the stage and the streaming text shown only while a job runs
    and the last job's outcome in one line after it.
    """

    run_requested = Signal()
    cancel_requested = Signal()
    choose_checkpoint_requested = Signal()
    open_reading_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPanel")
        self.checkpoint: Path | None = None
        self.busy = False
        #: read-first mode during a run: the draft's text (and its sentence count) is never shown
        self.hide_draft = False
        self.compact = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 6, 8, 6)
        outer.setSpacing(4)

        # page 0: no checkpoint and nothing shown yet: how to get one
        empty = QWidget()
        ev = QVBoxLayout(empty)
        ev.setContentsMargins(0, 0, 0, 0)
        self.empty_label = QLabel(NO_CHECKPOINT_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        ev.addWidget(self.empty_label)
        eb = QHBoxLayout()
        self.choose_button = QPushButton("Choose checkpoint…")
        self.choose_button.setToolTip("Choose a GazeX / Qwen2-VL checkpoint folder on this computer (Ctrl+Shift+M)")
        self.choose_button.clicked.connect(self.choose_checkpoint_requested)
        self.open_reading_button = QPushButton("Open saved reading…")
        self.open_reading_button.setToolTip("Open a reading saved earlier (Ctrl+R)")
        self.open_reading_button.clicked.connect(self.open_reading_requested)
        eb.addWidget(self.choose_button)
        eb.addWidget(self.open_reading_button)
        eb.addStretch(1)
        ev.addLayout(eb)
        self.empty_page = empty
        outer.addWidget(empty)

        # page 1: one line (checkpoint, Run / Cancel, Change…), the job's progress while it runs
        ready = QWidget()
        rv = QVBoxLayout(ready)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.setSpacing(4)
        top = QHBoxLayout()
        top.setSpacing(6)
        self.checkpoint_label = QLabel()
        self.checkpoint_label.setObjectName("checkpointLabel")
        self.checkpoint_label.setTextFormat(Qt.TextFormat.RichText)
        self.checkpoint_label.setMinimumWidth(60)
        self.checkpoint_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        top.addWidget(self.checkpoint_label, 1)
        self.run_button = QPushButton("▶ Run model (F5)")
        self.run_button.setObjectName("runButton")
        self.run_button.setToolTip("Run the checkpoint on the open film (F5)")
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button = QPushButton("■ Cancel (Shift+F5)")
        self.cancel_button.setToolTip("Stop the running job (Shift+F5)")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.setEnabled(False)
        self.change_button = QPushButton("Change…")
        self.change_button.clicked.connect(self.choose_checkpoint_requested)
        top.addWidget(self.run_button)
        top.addWidget(self.cancel_button)
        top.addWidget(self.change_button)
        rv.addLayout(top)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Idle")
        rv.addWidget(self.progress)
        self.status_label = QLabel("")
        self.status_label.setObjectName("modelStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        rv.addWidget(self.status_label)
        self.stream = QPlainTextEdit()
        self.stream.setReadOnly(True)
        self.stream.setPlaceholderText("The report streams in here while the model writes it.")
        self.stream.setMaximumHeight(72)
        self.stream.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        rv.addWidget(self.stream)
        self.ready_page = ready
        outer.addWidget(ready)
        for b in (self.choose_button, self.open_reading_button, self.change_button, self.run_button, self.cancel_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.set_checkpoint(None)

    def observe(self, workspace: Workspace) -> None:
        """Follow ``workspace``: the full how-to for a new film without a checkpoint, one line once a reading shows."""
        workspace.radiograph_changed.connect(lambda _rg: self.set_compact(False))
        workspace.reading_changed.connect(lambda r: self.set_compact(True) if r is not None else None)

    # -- look ------------------------------------------------------------------------------------
    def set_compact(self, compact: bool) -> None:
        """Compact (a reading is shown): one line even without a checkpoint; else the how-to when none."""
        self.compact = bool(compact)
        self._update_view()

    def _update_view(self) -> None:
        ckpt = self.checkpoint
        how_to = ckpt is None and not self.compact and not self.busy
        self.empty_page.setVisible(how_to)
        self.ready_page.setVisible(not how_to)
        if ckpt is not None:
            self.checkpoint_label.setText(
                f"<span style='color:#8a96a3'>Model</span> <b>{html.escape(ckpt.name)}</b>"
            )
            self.checkpoint_label.setToolTip(f"Checkpoint folder: {ckpt}")
            self.change_button.setText("Change…")
            self.change_button.setToolTip(f"Choose another checkpoint folder (Ctrl+Shift+M)\nNow: {ckpt}")
        else:
            self.checkpoint_label.setText("<span style='color:#8a96a3'>No model checkpoint chosen</span>")
            self.checkpoint_label.setToolTip(re.sub(r"<[^>]+>", "", NO_CHECKPOINT_TEXT.replace("<br>", "\n")))
            self.change_button.setText("Choose checkpoint…")
            self.change_button.setToolTip("Choose a GazeX / Qwen2-VL checkpoint folder (Ctrl+Shift+M)")
        self.run_button.setVisible(ckpt is not None and not self.busy)
        self.cancel_button.setVisible(self.busy)
        self.progress.setVisible(self.busy)
        self.stream.setVisible(self.busy and not self.hide_draft)
        self.status_label.setVisible(bool(self.status_label.text()))

    def set_checkpoint(self, path: Path | None) -> None:
        """Show the chosen checkpoint folder (None: the how-to-get-one state, or one line when compact)."""
        self.checkpoint = None if path is None else Path(path)
        self._update_view()

    # -- jobs ------------------------------------------------------------------------------------
    def set_busy(self, busy: bool) -> None:
        """Running: Cancel instead of Run, the progress bar and the streaming text shown."""
        self.busy = busy
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.change_button.setEnabled(not busy)
        if busy:
            self.progress.setRange(0, 0)  # busy indicator until the first progress report
            self.progress.setFormat("Starting…")
        self._update_view()

    def start_job(self, film_name: str, *, hide_draft: bool = False) -> None:
        """A job starts; with ``hide_draft`` (read first) only its progress is shown, never its text."""
        self.stream.clear()
        self.hide_draft = bool(hide_draft)
        self.stream.setPlaceholderText(
            "The report streams in here while the model writes it." if not self.hide_draft else ""
        )
        suffix = " (read first: the AI draft stays hidden)" if self.hide_draft else ""
        self.status_label.setText(f"Running on {html.escape(film_name)}…{suffix}")
        self.set_busy(True)

    def set_progress(self, stage: str, current: int, total: int, message: str) -> None:
        """Show the worker's stage and, for sentences, "k of n"."""
        words = STAGE_WORDS.get(stage, stage.replace("_", " ").capitalize() if stage else "Working")
        if self.hide_draft:
            # read first: a stage, never "sentence k of n" or the worker's message (they tell the draft)
            if total > 0:
                self.progress.setRange(0, total)
                self.progress.setValue(min(current, total))
                self.progress.setFormat(f"{words}: %p%")
            else:
                self.progress.setRange(0, 0)
                self.progress.setFormat(words)
            return
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(current, total))
            unit = "sentence " if stage.startswith("ground") else ""
            self.progress.setFormat(f"{words}: {unit}{current} of {total}")
        else:
            self.progress.setRange(0, 0)
            self.progress.setFormat(words)
        if message:
            self.status_label.setText(html.escape(message))
            self.status_label.setVisible(True)

    def append_text(self, text: str) -> None:
        """Add streamed report text (dropped in read-first mode: the draft stays hidden)."""
        if self.hide_draft:
            return
        self.stream.moveCursor(self.stream.textCursor().MoveOperation.End)
        self.stream.insertPlainText(text)
        self.stream.ensureCursorVisible()

    def finish(self, message: str, *, error: bool = False) -> None:
        """Back to idle with a final one-line message (red for an error)."""
        self.progress.setRange(0, 1)
        self.progress.setValue(0 if error else 1)
        self.progress.setFormat("Failed" if error else message.split(":")[0][:40])
        colour = "#ff8a80" if error else "#9fb0c0"
        self.status_label.setText(f"<span style='color:{colour}'>{html.escape(message)}</span>")
        self.set_busy(False)
        self.hide_draft = False
