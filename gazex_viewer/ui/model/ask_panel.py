"""Ask the film: a question box under the report, the model's answers, and where the model sees a finding.

The panel is a view: :class:`AskPanel` shows the exchanges and emits ``ask_requested`` / ``exchange_selected``;
:class:`AskController` runs the jobs on the model runner and draws the selected answer's regions on the film in
their own colour. Everything here is model output, labelled as such: nothing enters the report unless the
radiologist adds it as a finding.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.reading.document import ModelQuery, Producer, Reading

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph

#: the colour of the model's answer regions on the film (apart from the report's finding colours)
ANSWER_COLOUR = "#d98cff"


def _display(text: str) -> str:
    from gazex_viewer.core.reading.report_display import display_sentence

    return display_sentence(text)


class AskPanel(QWidget):
    """The question box and the list of exchanges (question or grounding) with the model."""

    ask_requested = Signal(str)
    exchange_selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("askPanel")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 6)
        lay.setSpacing(3)
        row = QHBoxLayout()
        self.question = QLineEdit()
        self.question.setPlaceholderText("Ask the film, e.g. Is there a pneumothorax? Where?")
        self.question.setClearButtonEnabled(True)
        self.question.returnPressed.connect(self._ask)
        self.ask_button = QPushButton("Ask")
        self.ask_button.setToolTip("Ask the model about this film (its answer is model output, not part of the report)")
        self.ask_button.clicked.connect(self._ask)
        row.addWidget(self.question, 1)
        row.addWidget(self.ask_button)
        lay.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setStyleSheet("color:#a9b6c2;")
        self.status.hide()
        lay.addWidget(self.status)
        self.answers = QListWidget()
        self.answers.setObjectName("modelAnswers")
        self.answers.setWordWrap(True)
        self.answers.setMaximumHeight(150)
        self.answers.currentRowChanged.connect(self._on_row)
        self.answers.hide()
        lay.addWidget(self.answers)
        self._queries: list[ModelQuery] = []

    # -- view -------------------------------------------------------------------------------------------
    def _ask(self) -> None:
        text = self.question.text().strip()
        if text:
            self.ask_requested.emit(text)

    def set_busy(self, busy: bool, message: str = "") -> None:
        self.ask_button.setEnabled(not busy)
        self.question.setEnabled(not busy)
        self.show_status(message)

    def show_status(self, message: str, *, error: bool = False) -> None:
        self.status.setText(message)
        self.status.setStyleSheet("color:#ff8a80;" if error else "color:#a9b6c2;")
        self.status.setVisible(bool(message))

    def set_queries(self, queries: list[ModelQuery]) -> None:
        """Show these exchanges (newest first); none hides the list."""
        self._queries = list(reversed(queries))
        self.answers.blockSignals(True)
        self.answers.clear()
        for q in self._queries:
            if q.kind == "question":
                head = f"Q: {q.prompt}"
                readable = [_display(f.text) for f in q.findings if not f.unreadable]
                body = " ".join(readable) or "(no readable answer)"
                if len(readable) < len(q.findings):
                    body += f" [{len(q.findings) - len(readable)} unreadable sentence(s) not shown]"
            else:
                head = f"Where: {_display(q.prompt)}"
                regions = sum((f.observation is not None) + len(f.clues) for f in q.findings)
                body = f"{regions} region(s)" if regions else "no region given"
            item = QListWidgetItem(f"{head}\nModel output: {body}")
            item.setToolTip("\n".join(q.warnings) if q.warnings else "Model output, not part of the report")
            self.answers.addItem(item)
        self.answers.blockSignals(False)
        self.answers.setVisible(bool(self._queries))

    def select_latest(self) -> None:
        if self._queries:
            self.answers.setCurrentRow(0)

    def _on_row(self, row: int) -> None:
        self.exchange_selected.emit(self._queries[row] if 0 <= row < len(self._queries) else None)


class AskController(QObject):
    """Runs ask and ground jobs on the model runner and shows their answers on the panel and the film.

    Parameters
    ----------
    panel, canvas
        The view and the film canvas (answer regions are drawn with a :class:`ReadingOverlay`).
    runner
        Returns the model runner, started and loading the chosen checkpoint (or raises GazeXError saying why not).
    film, reading
        Return the open film's path and the reading on screen (None when there is none).
    busy
        True while a reading job runs (an ask would cancel it).
    radiograph
        Returns the open film (its model input is what a job is sent); without it, the film's path is sent.
    """

    def __init__(
        self,
        panel: AskPanel,
        canvas: Any,
        *,
        runner: Callable[[], Any],
        film: Callable[[], Path | None],
        reading: Callable[[], Reading | None],
        busy: Callable[[], bool],
        settings: Callable[[], Any],
        radiograph: Callable[[], Radiograph | None] | None = None,
    ) -> None:
        super().__init__(panel)
        from gazex_viewer.ui.film.overlay import ReadingOverlay

        self.panel = panel
        self.canvas = canvas
        self._runner = runner
        self._film = film
        self._reading = reading
        self._busy = busy
        self._settings = settings
        self._radiograph = radiograph
        self._job: int | None = None
        self._job_film: Path | None = None
        self._connected: Any = None
        self.overlay = ReadingOverlay(canvas, ANSWER_COLOUR, tag="Q", symbol="t")
        self.overlay.set_layers(trajectory=False)
        panel.ask_requested.connect(self.ask)
        panel.exchange_selected.connect(self.show_exchange)

    @property
    def running(self) -> bool:
        return self._job is not None

    def _start(self, task: Any, what: str) -> bool:
        from gazex_viewer.core.errors import GazeXError

        film = self._film()
        if film is None or self._reading() is None:
            self.panel.show_status("Open a film and run the model first.", error=True)
            return False
        if self._busy() or self._job is not None:
            self.panel.show_status("The model is busy; ask again when it has finished.", error=True)
            return False
        try:
            runner = self._runner()
        except GazeXError as err:
            self.panel.show_status(str(err), error=True)
            return False
        if runner is None or not hasattr(runner, "run_task"):
            self.panel.show_status("No model: choose a checkpoint first (Model menu).", error=True)
            return False
        if self._connected is not runner:
            runner.query_ready.connect(self._on_query)
            runner.failed.connect(self._on_failed)
            runner.cancelled.connect(self._on_cancelled)
            self._connected = runner
        self._job_film = film
        # the open film itself when there is one: its model input is sent, the worker never decodes the file again
        open_film = self._radiograph() if self._radiograph is not None else None
        self._job = runner.run_task(open_film if open_film is not None else film, task, self._settings())
        self.panel.set_busy(True, what)
        return True

    def ask(self, question: str) -> bool:
        """Ask the model a question about the open film."""
        from gazex_viewer.inference.api import JobTask

        return self._start(JobTask("ask", question=question), f"Asking the model: {question}")

    def ground(self, finding_id: str, text: str) -> bool:
        """Ask the model where the evidence for a finding's (radiologist's) text is."""
        from gazex_viewer.inference.api import JobTask

        if not text.strip():
            self.panel.show_status("This finding has no text to ground.", error=True)
            return False
        task = JobTask("ground", sentences=[text], finding_id=finding_id)
        return self._start(task, f"Asking the model where it sees: {_display(text)}")

    def _on_query(self, query: Any) -> None:
        if self._job is None:
            return
        self._job = None
        reading = self._reading()
        if not isinstance(query, ModelQuery) or reading is None or self._film() != self._job_film:
            self.panel.set_busy(False, "The answer was discarded: the film changed.")
            return
        reading.queries.append(query)  # kept in the reading as model output
        self.panel.set_queries(reading.queries)
        self.panel.set_busy(False, "Model output below: not part of the report." + (
            f" {len(query.warnings)} warning(s)." if query.warnings else ""))
        self.panel.question.clear()
        self.panel.select_latest()

    def _on_failed(self, message: str) -> None:
        if self._job is not None:
            self._job = None
            self.panel.set_busy(False)
            self.panel.show_status(message, error=True)

    def _on_cancelled(self) -> None:
        if self._job is not None:
            self._job = None
            self.panel.set_busy(False, "Cancelled.")

    def show_exchange(self, query: ModelQuery | None) -> None:
        """Draw an answer's regions on the film (None removes them)."""
        reading = self._reading()
        if query is None or reading is None or not query.findings:
            self.overlay.set_reading(None)
            return
        shown = Reading(
            image=reading.image,
            producer=Producer(kind="model", name="model answer"),
            findings=list(query.findings),
        )
        self.overlay.set_reading(shown)

    def film_changed(self) -> None:
        """A new film or reading: forget the drawn answer and show that reading's exchanges."""
        self._job = None
        self.overlay.set_reading(None)
        reading = self._reading()
        self.panel.set_queries(reading.queries if reading is not None else [])
        self.panel.set_busy(False)
