"""Trainee mode's view: the steps, the trainee's sentences and marks, the reference to be scored against, and the score.

:class:`TraineePanel` shows a :class:`~gazex_viewer.core.gaze.trainee.TraineeRecorder`'s state and, after the
reveal, the rows of :func:`~gazex_viewer.core.gaze.trainee.score_rows`; it says what the trainee asked for
through its signals. The work is done by :class:`~gazex_viewer.ui.trainee.mode.TraineeMode`.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
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

from gazex_viewer.core.gaze.trainee import TraineeRecorder, TraineeScore, score_rows
from gazex_viewer.core.reading.document import Reading

__all__ = ["TRAINEE_COLOUR", "TraineePanel"]

#: the trainee's marks: a yellow-green that reads on a grey film and differs from A/B's cyan/magenta
TRAINEE_COLOUR = "#c6ff00"


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
        def text(r: int, c: int) -> str:
            item = self.score_table.item(r, c)
            return "" if item is None else item.text()

        return {text(r, 0): text(r, 1) for r in range(self.score_table.rowCount())}
