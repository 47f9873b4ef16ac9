"""The model panel: checkpoint choice, Run / Cancel, progress and the report text streaming in.

A view only: it emits ``*_requested`` signals and the main window talks to the
:class:`~gazex_viewer.ui.model_runner.ModelRunner`.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

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
    """Run the model from the UI."""

    run_requested = Signal()
    cancel_requested = Signal()
    choose_checkpoint_requested = Signal()
    open_reading_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPanel")
        self.checkpoint: Path | None = None
        self.busy = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)

        # page 0: no checkpoint
        empty = QWidget()
        ev = QVBoxLayout(empty)
        ev.setContentsMargins(0, 0, 0, 0)
        self.empty_label = QLabel(NO_CHECKPOINT_TEXT)
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        ev.addWidget(self.empty_label)
        eb = QHBoxLayout()
        self.choose_button = QPushButton("Choose checkpoint folder…")
        self.choose_button.clicked.connect(self.choose_checkpoint_requested)
        self.open_reading_button = QPushButton("Open saved reading…")
        self.open_reading_button.clicked.connect(self.open_reading_requested)
        eb.addWidget(self.choose_button)
        eb.addWidget(self.open_reading_button)
        eb.addStretch(1)
        ev.addLayout(eb)
        self.empty_page = empty
        outer.addWidget(empty)

        # page 1: a checkpoint is configured
        ready = QWidget()
        rv = QVBoxLayout(ready)
        rv.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.checkpoint_label = QLabel()
        self.checkpoint_label.setWordWrap(True)
        top.addWidget(self.checkpoint_label, 1)
        self.change_button = QPushButton("Change…")
        self.change_button.clicked.connect(self.choose_checkpoint_requested)
        top.addWidget(self.change_button)
        rv.addLayout(top)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run model  (F5)")
        self.run_button.setObjectName("runButton")
        self.run_button.clicked.connect(self.run_requested)
        self.cancel_button = QPushButton("Cancel  (Shift+F5)")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        rv.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("Idle")
        rv.addWidget(self.progress)
        self.status_label = QLabel("Ready: open a film and press Run.")
        self.status_label.setWordWrap(True)
        rv.addWidget(self.status_label)
        self.stream = QPlainTextEdit()
        self.stream.setReadOnly(True)
        self.stream.setPlaceholderText("The report streams in here while the model writes it.")
        self.stream.setMaximumHeight(90)
        self.stream.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        rv.addWidget(self.stream)
        self.ready_page = ready
        outer.addWidget(ready)
        for b in (self.choose_button, self.open_reading_button, self.change_button, self.run_button, self.cancel_button):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.set_checkpoint(None)

    def set_checkpoint(self, path: Path | None) -> None:
        """Show the chosen checkpoint folder (None: the how-to-get-one state)."""
        self.checkpoint = None if path is None else Path(path)
        self.empty_page.setVisible(self.checkpoint is None)
        self.ready_page.setVisible(self.checkpoint is not None)
        if self.checkpoint is not None:
            self.checkpoint_label.setText(
                f"<b>Checkpoint:</b> {html.escape(self.checkpoint.name)}<br>"
                f"<span style='color:#8a96a3'>{html.escape(str(self.checkpoint))}</span>"
            )

    def set_busy(self, busy: bool) -> None:
        """Running: Run disabled, Cancel enabled."""
        self.busy = busy
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.change_button.setEnabled(not busy)
        if busy:
            self.progress.setRange(0, 0)  # busy indicator until the first progress report
            self.progress.setFormat("Starting…")

    def start_job(self, film_name: str) -> None:
        self.stream.clear()
        self.set_busy(True)
        self.status_label.setText(f"Running on {film_name}…")

    def set_progress(self, stage: str, current: int, total: int, message: str) -> None:
        """Show the worker's stage and, for sentences, "k of n"."""
        words = STAGE_WORDS.get(stage, stage.replace("_", " ").capitalize() if stage else "Working")
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(current, total))
            unit = "sentence " if stage.startswith("ground") else ""
            self.progress.setFormat(f"{words}: {unit}{current} of {total}")
        else:
            self.progress.setRange(0, 0)
            self.progress.setFormat(words)
        if message:
            self.status_label.setText(message)

    def append_text(self, text: str) -> None:
        self.stream.moveCursor(self.stream.textCursor().MoveOperation.End)
        self.stream.insertPlainText(text)
        self.stream.ensureCursorVisible()

    def finish(self, message: str, *, error: bool = False) -> None:
        """Back to idle with a final message (red for an error)."""
        self.set_busy(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0 if error else 1)
        self.progress.setFormat("Failed" if error else message.split(":")[0][:40])
        colour = "#ff8a80" if error else "#c8d3de"
        self.status_label.setText(f"<span style='color:{colour}'>{html.escape(message)}</span>")
