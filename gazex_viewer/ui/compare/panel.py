"""The comparison's view: who A and B are, their colours, overlay or side by side, the clock, and the agreement tables.

:class:`ComparePanel` shows a :class:`~gazex_viewer.core.gaze.comparison.Comparison` (the whole-film table
beside the reference scale of real gaze, the per-sentence table, notes on frames and hashes, the
different-films banner) and says what the user asked for through its signals; the work is done by
:class:`~gazex_viewer.ui.compare.session.CompareSession`.
"""

from __future__ import annotations

import html
import math
from typing import Literal

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.gaze.agreement import COUNT_KEYS, why_undefined
from gazex_viewer.core.gaze.baselines import (
    REFERENCE_CONDITIONS,
    AgreementBaselines,
    load_baselines,
)
from gazex_viewer.core.gaze.comparison import (
    METRIC_INFO,
    METRIC_NAMES,
    SENTENCE_METRICS,
    WHOLE_ROWS,
    Comparison,
    describe_reading,
    format_value,
)
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.report_display import display_sentence
from gazex_viewer.ui.film.overlay import COLOUR_A, COLOUR_B

__all__ = ["SENTENCE_HEADERS", "WHOLE_COLUMNS", "ComparePanel", "Mode", "Sync"]

Mode = Literal["overlay", "side"]
Sync = Literal["seconds", "stretch"]

#: short column titles of the per-sentence table
SENTENCE_HEADERS: dict[str, str] = {
    "cc": "Map CC",
    "density_cosine": "Density",
    "edit_similarity": "Scanpath",
    "mm_position": "Position",
}
#: the whole-film table's columns: metric, value, one per reference condition (the range and direction
#: of each metric are in its tooltip: the reference columns show its scale on real gaze)
WHOLE_COLUMNS: tuple[str, ...] = ("Metric", "A vs B", "Unrelated", "Same ±1°")
#: what a cell keeps of its width around the text (the item view's margins and the grid line)
METRIC_TEXT_MARGIN = 10


def _swatch(button: QToolButton, colour: str) -> None:
    button.setStyleSheet(f"background:{colour}; border:1px solid #dde4ea; border-radius:3px; min-width:22px;")
    button.setToolTip(f"Colour {colour} (click to change)")


def _header(table: QTableWidget, column: int) -> QTableWidgetItem:
    item = table.horizontalHeaderItem(column)
    assert item is not None, "the header labels are set before"
    return item


def _text(table: QTableWidget, row: int, column: int) -> str:
    item = table.item(row, column)
    return "" if item is None else item.text()


class ComparePanel(QWidget):
    """The comparison's controls and tables (a view; :class:`CompareSession` does the work).

    Signals
    -------
    choose_reading_requested() : the user wants to choose reading B.
    mode_changed(str) : ``"overlay"`` or ``"side"``.
    sync_changed(str) : ``"seconds"`` or ``"stretch"``.
    colours_changed(str, str) : A's and B's colours.
    plot_requested() : show the agreement-per-finding plot.
    close_requested() : end the comparison.
    sentence_selected(str) : a per-sentence row was clicked (reading A's finding id).
    """

    choose_reading_requested = Signal()
    mode_changed = Signal(str)
    sync_changed = Signal(str)
    colours_changed = Signal(str, str)
    plot_requested = Signal()
    close_requested = Signal()
    sentence_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self.colour_a = COLOUR_A
        self.colour_b = COLOUR_B
        self.comparison: Comparison | None = None
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        root.addWidget(self.scroll_area)
        body = QWidget()
        self.scroll_area.setWidget(body)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(6)

        def who_row(tag: str, colour: str) -> tuple[QToolButton, QLabel]:
            row = QHBoxLayout()
            b = QToolButton()
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            _swatch(b, colour)
            row.addWidget(b)
            lab = QLabel(f"<b>{tag}</b> —")
            lab.setTextFormat(Qt.TextFormat.RichText)
            lab.setWordWrap(True)
            row.addWidget(lab, 1)
            lay.addLayout(row)
            return b, lab

        self.colour_a_button, self.a_label = who_row("A", self.colour_a)
        self.colour_b_button, self.b_label = who_row("B", self.colour_b)
        self.colour_a_button.clicked.connect(lambda: self._pick_colour("a"))
        self.colour_b_button.clicked.connect(lambda: self._pick_colour("b"))

        self.film_banner = QLabel()
        self.film_banner.setObjectName("differentFilmsBanner")
        self.film_banner.setWordWrap(True)
        self.film_banner.setTextFormat(Qt.TextFormat.RichText)
        self.film_banner.setStyleSheet(
            "background:#7a1f1f; color:#ffffff; border:1px solid #ff8080; border-radius:3px; padding:6px;"
        )
        self.film_banner.hide()
        lay.addWidget(self.film_banner)

        row = QHBoxLayout()
        self.choose_button = QPushButton("Choose reading B…")
        self.choose_button.setToolTip("A saved reading of this film: an expert recording (import-gaze), a model run, a trainee's")
        self.choose_button.clicked.connect(self.choose_reading_requested)
        row.addWidget(self.choose_button)
        self.plot_button = QPushButton("Agreement plot…")
        self.plot_button.setToolTip("Agreement per finding type (PNG)")
        self.plot_button.clicked.connect(self.plot_requested)
        row.addWidget(self.plot_button)
        self.close_button = QPushButton("End comparison")
        self.close_button.clicked.connect(self.close_requested)
        row.addWidget(self.close_button)
        lay.addLayout(row)

        row = QHBoxLayout()
        self.overlay_radio = QRadioButton("Overlay, one clock")
        self.side_radio = QRadioButton("Side by side")
        self.overlay_radio.setChecked(True)
        self._mode_group = QButtonGroup(self)
        for rb in (self.overlay_radio, self.side_radio):
            rb.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self._mode_group.addButton(rb)
            row.addWidget(rb)
        self.overlay_radio.toggled.connect(lambda on: self._mode_toggled("overlay", on))
        self.side_radio.toggled.connect(lambda on: self._mode_toggled("side", on))
        row.addStretch(1)
        lay.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(QLabel("Clock"))
        self.sync_combo = QComboBox()
        self.sync_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.sync_combo.addItem("Same seconds", "seconds")
        self.sync_combo.addItem("Stretch B to A's length", "stretch")
        self.sync_combo.setToolTip(
            "Same seconds: real gaze time against the model's 1 s key frames. Stretch: both start and end together."
        )
        self.sync_combo.currentIndexChanged.connect(lambda i: self.sync_changed.emit(str(self.sync_combo.itemData(i))))
        row.addWidget(self.sync_combo, 1)
        lay.addLayout(row)

        self.notes_label = QLabel()
        self.notes_label.setObjectName("compareNotes")
        self.notes_label.setWordWrap(True)
        self.notes_label.setTextFormat(Qt.TextFormat.RichText)
        self.notes_label.setStyleSheet("color:#ffcc66;")
        self.notes_label.hide()
        lay.addWidget(self.notes_label)

        self.whole_title = QLabel("<b>Whole film</b>")
        lay.addWidget(self.whole_title)
        try:
            self.baselines: AgreementBaselines | None = load_baselines()
            self.baselines_error: str | None = None if self.baselines is not None else "reference scale not found"
        except GazeXError as err:
            self.baselines, self.baselines_error = None, str(err)
        self.whole_table = QTableWidget(len(WHOLE_ROWS), len(WHOLE_COLUMNS))
        self.whole_table.setObjectName("wholeFilmAgreement")
        self.whole_table.setHorizontalHeaderLabels(list(WHOLE_COLUMNS))
        ref_about = (
            self.baselines.provenance() if self.baselines is not None else f"unavailable: {self.baselines_error}"
        )
        for c, (_cond, name) in enumerate(REFERENCE_CONDITIONS, start=2):
            what = (
                "two radiologists searching this kind of film for different findings (gaze not about the same thing)"
                if _cond == "unrelated" else "a radiologist's scanpath against itself moved by about one degree (the same gaze)"
            )
            _header(self.whole_table, c).setToolTip(f"Reference: median for {name}: {what}. {ref_about}")
        self.whole_table.verticalHeader().hide()
        self.whole_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.whole_table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.whole_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        hh = self.whole_table.horizontalHeader()
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(WHOLE_COLUMNS)):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        row_h = self.whole_table.fontMetrics().height() + 6
        self.whole_table.verticalHeader().setDefaultSectionSize(row_h)
        self.whole_table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        # a metric's name wraps onto a second line in a narrow panel (1280 px) instead of being cut off
        self.whole_table.setWordWrap(True)
        self.whole_table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self._row_h = row_h
        # refitted once the header has settled its stretched column (after a resize, not during it)
        self._refit = QTimer(self)
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._fit_whole_table)
        hh.sectionResized.connect(lambda c, _old, _new: self._refit.start() if c == 0 else None)
        self._whole_cells: dict[str, QTableWidgetItem] = {}
        self._reference_cells: dict[str, tuple[QTableWidgetItem, ...]] = {}
        for r, key in enumerate(WHOLE_ROWS):
            desc, rng = METRIC_INFO[key]
            item = QTableWidgetItem(METRIC_NAMES.get(key, key))
            item.setToolTip(f"{key}: {desc} ({rng})")
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.whole_table.setItem(r, 0, item)
            value = QTableWidgetItem("")
            value.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.whole_table.setItem(r, 1, value)
            self._whole_cells[key] = value
            refs = []
            for c, (cond, name) in enumerate(REFERENCE_CONDITIONS, start=2):
                v = math.nan if self.baselines is None or key in COUNT_KEYS else self.baselines.median(key, cond)
                ref = QTableWidgetItem("" if key in COUNT_KEYS else format_value(key, v))
                ref.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                ref.setForeground(QColor("#8a96a3"))
                ref.setData(Qt.ItemDataRole.UserRole, v)
                if key not in COUNT_KEYS:
                    ref.setToolTip(f"{name}: median {format_value(key, v)} ({ref_about})")
                self.whole_table.setItem(r, c, ref)
                refs.append(ref)
            self._reference_cells[key] = tuple(refs)
        self._fit_whole_table()
        self.whole_table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.whole_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay.addWidget(self.whole_table)
        hint = QLabel("Unrelated / Same ±1°: medians on real radiologists' gaze (GazeSearch): a search of the same "
                      "film for a different finding, and the same gaze moved by one degree. Agreement means something "
                      "only well beyond Unrelated, towards Same. n/a = not a measurement here (hover it for why). "
                      "Hover a metric for its definition, range and direction.")
        hint.setObjectName("metricsHint")
        hint.setWordWrap(True)
        hint.setStyleSheet("color:#8a96a3;")
        lay.addWidget(hint)
        self.zones_label = QLabel()
        self.zones_label.setWordWrap(True)
        lay.addWidget(self.zones_label)

        self.sentence_title = QLabel("<b>Per sentence</b>")
        lay.addWidget(self.sentence_title)
        self.sentence_table = QTableWidget(0, 1 + len(SENTENCE_METRICS))
        self.sentence_table.setObjectName("sentenceAgreement")
        self.sentence_table.setHorizontalHeaderLabels(["Sentence (A)", *SENTENCE_METRICS])
        self.sentence_table.verticalHeader().hide()
        self.sentence_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.sentence_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        sh = self.sentence_table.horizontalHeader()
        sh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, 1 + len(SENTENCE_METRICS)):
            sh.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.sentence_table.setWordWrap(True)
        self.sentence_table.setHorizontalHeaderLabels(
            ["Sentence (A)", *(SENTENCE_HEADERS.get(k, k) for k in SENTENCE_METRICS)]
        )
        for c, key in enumerate(SENTENCE_METRICS, start=1):
            _header(self.sentence_table, c).setToolTip(
                f"{METRIC_NAMES.get(key, key)} — {key}: {METRIC_INFO[key][0]} ({METRIC_INFO[key][1]})"
            )
        self.sentence_table.setMinimumHeight(140)
        self.sentence_table.cellClicked.connect(self._on_sentence_clicked)
        lay.addWidget(self.sentence_table, 1)
        self.no_sentence_label = QLabel("No sentence in common (matched by text, then by CheXpert label).")
        self.no_sentence_label.setStyleSheet("color:#8a96a3;")
        self.no_sentence_label.hide()
        lay.addWidget(self.no_sentence_label)
        self.set_comparison(None)

    def _fit_whole_table(self) -> None:
        """Exactly as tall as its rows (a wrapped metric name makes its row taller): never squeezed under the
        text below it (the panel scrolls instead)."""
        t = self.whole_table
        fm, vh = t.fontMetrics(), t.verticalHeader()
        room = max(20, t.columnWidth(0) - METRIC_TEXT_MARGIN)
        for r in range(t.rowCount()):
            name = _text(t, r, 0)
            high = fm.boundingRect(QRect(0, 0, room, 10_000), Qt.TextFlag.TextWordWrap, name).height()
            vh.resizeSection(r, max(self._row_h, high + 6))
        t.horizontalHeader().ensurePolished()
        head = max(t.horizontalHeader().sizeHint().height(), t.horizontalHeader().height() if t.isVisible() else 0)
        t.setFixedHeight(head + t.verticalHeader().length() + 2 * t.frameWidth() + 2)
        body = self.scroll_area.widget()
        lay = body.layout() if body is not None else None
        if lay is not None:
            lay.activate()  # the text below moves down now, not on a later pass

    def resizeEvent(self, ev: QResizeEvent) -> None:
        """The panel got wider or narrower: the whole-film table's metric names wrap anew."""
        super().resizeEvent(ev)
        if ev.oldSize().width() != ev.size().width():
            self._refit.start()

    def showEvent(self, ev: QShowEvent) -> None:
        super().showEvent(ev)
        self._fit_whole_table()  # the window's style sheet may have changed the header's height

    def _mode_toggled(self, mode: Mode, on: bool) -> None:
        if on:
            self.mode_changed.emit(mode)

    # -- content ---------------------------------------------------------------------------------
    def set_comparison(self, cmp: Comparison | None) -> None:
        """Fill the panel from a comparison (None: only reading A is known, waiting for B)."""
        self.comparison = cmp
        has = cmp is not None
        for w in (self.plot_button, self.overlay_radio, self.side_radio, self.sync_combo):
            w.setEnabled(has)
        if cmp is None:
            self.b_label.setText("<b>B</b> — choose a reading to compare")
            for item in self._whole_cells.values():
                item.setText("")
            self.sentence_table.setRowCount(0)
            self.zones_label.setText("")
            self.notes_label.hide()
            self.film_banner.hide()
            return
        self.a_label.setText(f"<b>A</b> — {html.escape(describe_reading(cmp.a))}")
        self.b_label.setText(f"<b>B</b> — {html.escape(describe_reading(cmp.b))}")
        if cmp.different_films:
            self.film_banner.setText(
                f"<b>⚠ Different films:</b> {html.escape(cmp.different_films)}. These numbers measure nothing "
                "about agreement on a film."
            )
        self.film_banner.setVisible(bool(cmp.different_films))
        notes = cmp.notes
        self.notes_label.setText("<br>".join(f"⚠ {html.escape(n)}" for n in notes))
        self.notes_label.setVisible(bool(notes))
        self.plot_button.setEnabled(cmp.ready)
        if not cmp.ready:
            for item in self._whole_cells.values():
                item.setText("…")
                item.setData(Qt.ItemDataRole.UserRole, None)
            self.sentence_table.setRowCount(0)
            self.zones_label.setText("")
            return
        for key in WHOLE_ROWS:
            v = float(cmp.whole.get(key, math.nan))
            item = self._whole_cells[key]
            item.setText(format_value(key, v))
            item.setData(Qt.ItemDataRole.UserRole, v)
            item.setToolTip(METRIC_INFO[key][0] if math.isfinite(v) else f"n/a: {why_undefined(key, cmp.whole)}")
        za, zb = cmp.zones
        self.zones_label.setText(f"Zones visited, in first-visit order: A {za or '—'}   B {zb or '—'}")
        self.sentence_table.setRowCount(len(cmp.sentences))
        for r, s in enumerate(cmp.sentences):
            t = QTableWidgetItem(display_sentence(s.text))
            t.setData(Qt.ItemDataRole.UserRole, s.finding_a)
            t.setToolTip(f"A finding {s.finding_a} ↔ B finding {s.finding_b}")
            self.sentence_table.setItem(r, 0, t)
            for c, key in enumerate(SENTENCE_METRICS, start=1):
                v = float(s.metrics.get(key, math.nan))
                item = QTableWidgetItem(format_value(key, v))
                item.setData(Qt.ItemDataRole.UserRole, v)
                if not math.isfinite(v):
                    item.setToolTip(f"n/a: {why_undefined(key, s.metrics)}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.sentence_table.setItem(r, c, item)
        self.no_sentence_label.setVisible(not cmp.sentences)

    def set_busy(self, busy: bool, *, error: str | None = None) -> None:
        """Say that the agreement is being computed (long recordings), or why it could not be."""
        if busy:
            self.whole_title.setText("<b>Whole film</b> <span style='color:#8a96a3'>computing agreement…</span>")
        elif error:
            self.whole_title.setText(f"<b>Whole film</b> <span style='color:#ffb0b0'>{html.escape(error)}</span>")
        else:
            self.whole_title.setText("<b>Whole film</b>")

    def set_reading_a(self, reading: Reading | None) -> None:
        self.a_label.setText("<b>A</b> — " + ("no reading open" if reading is None else html.escape(describe_reading(reading))))

    def shown_whole(self) -> dict[str, str]:
        """Metric -> the text shown in the whole-film table (for tests and screenshots)."""
        return {key: item.text() for key, item in self._whole_cells.items()}

    def shown_reference(self) -> dict[str, tuple[str, ...]]:
        """Metric -> the reference medians shown beside it (unrelated gaze, same gaze ±1°)."""
        return {key: tuple(item.text() for item in items) for key, items in self._reference_cells.items()}

    def shown_whole_value(self, key: str) -> float:
        """The exact value behind a whole-film cell (nan when not computable or not yet compared)."""
        v = self._whole_cells[key].data(Qt.ItemDataRole.UserRole)
        return math.nan if v is None else float(v)

    def shown_sentences(self) -> list[tuple[str, dict[str, str]]]:
        """(sentence, metric -> shown text) per row of the per-sentence table."""
        out = []
        for r in range(self.sentence_table.rowCount()):
            vals = {key: _text(self.sentence_table, r, c) for c, key in enumerate(SENTENCE_METRICS, start=1)}
            out.append((_text(self.sentence_table, r, 0), vals))
        return out

    # -- controls --------------------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        return "side" if self.side_radio.isChecked() else "overlay"

    def set_mode(self, mode: Mode) -> None:
        (self.side_radio if mode == "side" else self.overlay_radio).setChecked(True)

    @property
    def sync(self) -> Sync:
        return "stretch" if self.sync_combo.currentData() == "stretch" else "seconds"

    def set_sync(self, sync: Sync) -> None:
        self.sync_combo.setCurrentIndex(max(0, self.sync_combo.findData(sync)))

    def set_colours(self, colour_a: str, colour_b: str) -> None:
        """Set both colours (``"#rrggbb"``) and tell the session."""
        self.colour_a, self.colour_b = QColor(colour_a).name(), QColor(colour_b).name()
        _swatch(self.colour_a_button, self.colour_a)
        _swatch(self.colour_b_button, self.colour_b)
        self.colours_changed.emit(self.colour_a, self.colour_b)

    def _pick_colour(self, which: str) -> None:
        current = QColor(self.colour_a if which == "a" else self.colour_b)
        c = QColorDialog.getColor(current, self, f"Colour of reading {which.upper()}")
        if c.isValid():
            if which == "a":
                self.set_colours(c.name(), self.colour_b)
            else:
                self.set_colours(self.colour_a, c.name())

    def _on_sentence_clicked(self, row: int, _col: int) -> None:
        item = self.sentence_table.item(row, 0)
        if item is not None:
            self.sentence_selected.emit(str(item.data(Qt.ItemDataRole.UserRole)))
