"""Compare two readings of the open film: overlaid in two colours on one clock, or side by side.

- :func:`compare_readings` (Qt-free apart from this module's imports): the pair shown on a film, with
  whole-film agreement (:func:`gazex_viewer.core.gaze.agreement.agreement`) and per-sentence agreement
  (:func:`~gazex_viewer.core.gaze.agreement.sentence_agreement`) computed on the readings as loaded.
- :class:`ComparePanel`: the view: who A and B are, their colours, overlay / side by side, clock mode,
  the whole-film table, the per-sentence table, notes on frames and hashes, the plot button.
- :class:`CompareSession`: the wiring on a main window: B drawn over A's film (:class:`ReadingOverlay`)
  or on a second film canvas beside it, both driven by the window's player clock.

Reading A is the reading open in the viewer (the model's draft or an expert recording); B is chosen here.
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from PySide6.QtCore import QObject, QRectF, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.gaze.agreement import (
    COUNT_KEYS,
    METRIC_KEYS,
    SentenceAgreement,
    agreement,
    chest_box_of,
    film_mismatch,
    scanpath_of,
    sentence_agreement,
    why_undefined,
    zone_agreement,
)
from gazex_viewer.core.gaze.baselines import (
    REFERENCE_CONDITIONS,
    AgreementBaselines,
    load_baselines,
)
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.core.reading.report_display import display_sentence
from gazex_viewer.ui.common import read_reading_file
from gazex_viewer.ui.film.overlay import (
    COLOUR_A,
    COLOUR_B,
    ClockMap,
    FilmFrame,
    ReadingOverlay,
    SharedClockPlayback,
    reading_for_film,
)

__all__ = [
    "METRIC_INFO",
    "METRIC_NAMES",
    "SENTENCE_METRICS",
    "metric_range",
    "Comparison",
    "compare_readings",
    "pair_agreement",
    "describe_reading",
    "format_value",
    "WHOLE_COLUMNS",
    "ComparePanel",
    "CompareSession",
]

Mode = Literal["overlay", "side"]
Sync = Literal["seconds", "stretch"]

#: metric -> (what it is, range and direction), for the table and its tooltips
METRIC_INFO: dict[str, tuple[str, str]] = {
    "icc_x": ("ICC(2,1) of key-frame x, key frame k of A paired with key frame k of B", "≤1, higher"),
    "icc_y": ("ICC(2,1) of key-frame y, key frame k of A paired with key frame k of B", "≤1, higher"),
    "icc_x_matched": (
        "ICC(2,1) of key-frame x after pairing each with its nearest partner: that pairing picks the pairs "
        "that agree best, so it is biased upwards (unrelated gaze scores high)", "≤1, higher"),
    "icc_y_matched": (
        "ICC(2,1) of key-frame y after pairing each with its nearest partner: that pairing picks the pairs "
        "that agree best, so it is biased upwards (unrelated gaze scores high)", "≤1, higher"),
    "n_paired": ("key frames paired by order (for the ICC)", "count"),
    "n_matched": ("key frames matched to nearest partners (for the matched ICC)", "count"),
    "density_cosine": ("cosine of gaze density grids smoothed by a 1° Gaussian", "0–1, higher"),
    "cc": ("correlation of fixation maps (CC)", "−1–1, higher"),
    "edit_distance": ("edit distance of 5×5 grid strings", "≥0, lower"),
    "edit_similarity": ("1 − edit distance / length", "0–1, higher"),
    "mm_vector": ("MultiMatch vector (shape)", "0–1, higher"),
    "mm_direction": ("MultiMatch direction", "0–1, higher"),
    "mm_length": ("MultiMatch saccade length", "0–1, higher"),
    "mm_position": ("MultiMatch position", "0–1, higher"),
    "mm_duration": ("MultiMatch duration", "0–1, higher"),
    "zone_jaccard": ("ABCDEF zones visited by both (Jaccard)", "0–1, higher"),
    "zone_order_similarity": ("order of first zone visits", "0–1, higher"),
}
#: metric -> the name a trainee reads in the tables (the raw key stays in the tooltip)
METRIC_NAMES: dict[str, str] = {
    "icc_x": "ICC x (cluster centroids)",
    "icc_y": "ICC y (cluster centroids)",
    "icc_x_matched": "ICC x, matched (biased ↑)",
    "icc_y_matched": "ICC y, matched (biased ↑)",
    "n_paired": "Key frames paired (for ICC)",
    "n_matched": "Key frames matched",
    "density_cosine": "Gaze density similarity (cosine)",
    "cc": "Fixation-map correlation (CC)",
    "edit_distance": "Scanpath edit distance (5×5 grid)",
    "edit_similarity": "Scanpath similarity (1 − edit)",
    "mm_vector": "MultiMatch: shape",
    "mm_direction": "MultiMatch: direction",
    "mm_length": "MultiMatch: saccade length",
    "mm_position": "MultiMatch: position",
    "mm_duration": "MultiMatch: duration",
    "zone_jaccard": "Zones visited by both (Jaccard)",
    "zone_order_similarity": "Zone visit order similarity",
}
#: short column titles of the per-sentence table
SENTENCE_HEADERS: dict[str, str] = {
    "cc": "Map CC",
    "density_cosine": "Density",
    "edit_similarity": "Scanpath",
    "mm_position": "Position",
}
#: the per-sentence table's metric columns
SENTENCE_METRICS: tuple[str, ...] = ("cc", "density_cosine", "edit_similarity", "mm_position")
WHOLE_ROWS: tuple[str, ...] = (*METRIC_KEYS[:4], *COUNT_KEYS, *METRIC_KEYS[4:])
#: the whole-film table's columns: metric, value, one per reference condition (the range and direction
#: of each metric are in its tooltip: the reference columns show its scale on real gaze)
WHOLE_COLUMNS: tuple[str, ...] = ("Metric", "A vs B", "Unrelated", "Same ±1°")


def metric_range(key: str) -> str:
    """A metric's range and which way is better, in a few characters ("0–1 ↑", "≥0 ↓", "count")."""
    rng = METRIC_INFO[key][1]
    return rng.replace(", higher", " ↑").replace(", lower", " ↓")


def format_value(key: str, v: float) -> str:
    """How a metric value is shown: 3 decimals, counts as integers, ``n/a`` when it cannot be computed."""
    if not math.isfinite(v):
        return "n/a"
    if key in (*COUNT_KEYS, "edit_distance"):
        return f"{int(round(v))}"
    return f"{v:.3f}"


def describe_reading(reading: Reading) -> str:
    """One line: producer kind and name, points, duration (for the legend and the panel)."""
    p = reading.producer
    who = {"model": "model", "expert": "expert", "trainee": "trainee", "radiologist": "radiologist"}.get(p.kind, p.kind)
    name = p.dataset or p.name
    n = len(reading.trajectory)
    kind = "fixations" if any(q.kind == "fixation" for q in reading.trajectory) else "key frames"
    return f"{who} {name}: {n} {kind}, {reading.duration:.1f} s"


@dataclass
class Comparison:
    """Two readings of one film, as loaded and as shown, with their agreement."""

    a: Reading
    b: Reading
    a_shown: Reading
    b_shown: Reading
    frame_a: FilmFrame
    frame_b: FilmFrame
    whole: dict[str, float] = field(default_factory=dict)
    sentences: list[SentenceAgreement] = field(default_factory=list)
    zones: tuple[str, str] = ("", "")
    grid: tuple[int, int] = (16, 16)
    #: False while the agreement is still being computed
    ready: bool = False
    #: why A and B are readings of different films (:func:`~gazex_viewer.core.gaze.agreement.film_mismatch`), or None
    different_films: str | None = None

    @property
    def notes(self) -> list[str]:
        return [*(f"A: {n}" for n in self.frame_a.notes), *(f"B: {n}" for n in self.frame_b.notes)]


def pair_agreement(
    a: Reading, b: Reading, *, grid: tuple[int, int] = (16, 16)
) -> tuple[dict[str, float], list[SentenceAgreement], tuple[str, str]]:
    """Whole-film agreement, per-sentence agreement and the zone orders of ``a`` and ``b`` (no Qt: runs in a thread)."""
    z = zone_agreement(scanpath_of(a), scanpath_of(b), chest_box_of(a), chest_box_of(b))
    return agreement(a, b, grid=grid), sentence_agreement(a, b, grid=grid), (str(z["zones_a"]), str(z["zones_b"]))


def compare_readings(
    a: Reading, b: Reading, film: Any, *, grid: tuple[int, int] = (16, 16), metrics: bool = True
) -> Comparison:
    """The pair on ``film`` (a ``Radiograph``): display copies and (with ``metrics``) agreement.

    Agreement is computed on ``a`` and ``b`` as given (each normalised to its own frame), so the numbers
    equal ``agreement(a, b, grid=grid)`` and ``sentence_agreement(a, b, grid=grid)``.
    """
    a_shown, fa = reading_for_film(a, film)
    b_shown, fb = reading_for_film(b, film)
    cmp = Comparison(
        a=a, b=b, a_shown=a_shown, b_shown=b_shown, frame_a=fa, frame_b=fb, grid=grid, different_films=film_mismatch(a, b)
    )
    if metrics:
        cmp.whole, cmp.sentences, cmp.zones = pair_agreement(a, b, grid=grid)
        cmp.ready = True
    return cmp


#: above this many (A points x B points) the agreement is computed off the UI thread
BACKGROUND_WORK = 20_000


class _AgreementSink(QObject):
    """Receives a worker thread's result in the UI thread (queued signal)."""

    done = Signal(int, object)
    failed = Signal(int, str)


class _AgreementJob(QRunnable):
    def __init__(self, token: int, a: Reading, b: Reading, grid: tuple[int, int], sink: _AgreementSink) -> None:
        super().__init__()
        self.token, self.a, self.b, self.grid, self.sink = token, a, b, grid, sink

    def run(self) -> None:
        try:
            result = pair_agreement(self.a, self.b, grid=self.grid)
        except Exception as err:  # reported in the panel, never a traceback
            self.sink.failed.emit(self.token, f"{err.__class__.__name__}: {err}")
        else:
            self.sink.done.emit(self.token, result)


# -- the view -------------------------------------------------------------------------------------------
def _swatch(button: QToolButton, colour: str) -> None:
    button.setStyleSheet(f"background:{colour}; border:1px solid #dde4ea; border-radius:3px; min-width:22px;")
    button.setToolTip(f"Colour {colour} (click to change)")


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
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        root.addWidget(self.scroll)
        body = QWidget()
        self.scroll.setWidget(body)
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
        self.overlay_radio.toggled.connect(lambda on: on and self.mode_changed.emit("overlay"))
        self.side_radio.toggled.connect(lambda on: on and self.mode_changed.emit("side"))
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
            self.whole_table.horizontalHeaderItem(c).setToolTip(f"Reference: median for {name}: {what}. {ref_about}")
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
            self.sentence_table.horizontalHeaderItem(c).setToolTip(
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
        """Exactly as tall as its rows: never squeezed under the text below it (the panel scrolls instead)."""
        t = self.whole_table
        t.horizontalHeader().ensurePolished()
        head = max(t.horizontalHeader().sizeHint().height(), t.horizontalHeader().height() if t.isVisible() else 0)
        t.setFixedHeight(head + t.verticalHeader().length() + 2 * t.frameWidth() + 2)

    def showEvent(self, ev: Any) -> None:  # noqa: N802 (Qt name)
        super().showEvent(ev)
        self._fit_whole_table()  # the window's style sheet may have changed the header's height

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
            vals = {key: self.sentence_table.item(r, c).text() for c, key in enumerate(SENTENCE_METRICS, start=1)}
            out.append((self.sentence_table.item(r, 0).text(), vals))
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


# -- the wiring ------------------------------------------------------------------------------------------------
class CompareSession(QObject):
    """A comparison on a main window: reading A (open) against reading B, on the window's player clock.

    ``window`` needs the main window's public parts: ``radiograph``, ``reading``, ``canvas``,
    ``controller``, ``player_bar``, ``selection``, ``addDockWidget``, ``show_error``.
    """

    ended = Signal()
    #: the comparison's agreement is computed and shown
    agreement_ready = Signal(object)

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self._token = 0
        self._sink = _AgreementSink(self)
        self._sink.done.connect(self._on_agreement)
        self._sink.failed.connect(self._on_agreement_failed)
        self.comparison: Comparison | None = None
        self.b_source: Path | None = None
        self.clock = ClockMap(0.0, 0.0)
        self.mode: Mode = "overlay"
        self.panel = ComparePanel()
        self.dock = QDockWidget("Compare", window)
        self.dock.setObjectName("compareDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        report_dock = getattr(window, "report_dock", None)
        if report_dock is not None:
            # a third tab beside Report and Review: each panel gets the whole height
            self.dock.setTitleBarWidget(QWidget())
            window.tabifyDockWidget(report_dock, self.dock)
        self.overlay_a = ReadingOverlay(window.canvas, COLOUR_A, tag="A", symbol="o", parent=self)
        self.overlay_b = ReadingOverlay(window.canvas, COLOUR_B, tag="B", symbol="s", parent=self)
        self.overlay_a.set_visible(False)
        self.overlay_b.set_visible(False)
        self._hidden_canvas = False
        self.side_canvas: Any = None
        self.legend = QLabel(window.canvas)
        self.legend.setObjectName("compareLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setStyleSheet("background:rgba(10,14,18,200); color:#e6edf3; padding:4px 8px; border-radius:4px;")
        self.legend.hide()
        # kept in place when the window is resized (it was left where it was first put)
        window.canvas.view_changed.connect(self._place_legend)
        self.plot_dialog: Any = None
        self.plot_png: Path | None = None
        self.reading_a: Reading | None = None
        self._ending = False
        self._syncing = False
        self._views_linked = False
        self._side_open = False
        self._b_size: Any = None

        self.panel.set_reading_a(window.reading)
        self.panel.choose_reading_requested.connect(self.choose_reading_b)
        self.panel.mode_changed.connect(self.set_mode)
        self.panel.sync_changed.connect(self.set_sync)
        self.panel.colours_changed.connect(self._on_colours)
        self.panel.plot_requested.connect(self.show_plot)
        self.panel.close_requested.connect(self.end)
        self.panel.sentence_selected.connect(lambda fid: window.selection.select(fid))
        window.selection.selection_changed.connect(self._on_selection)
        window.controller.time_changed.connect(self._on_time)
        window.player_bar.layers_changed.connect(self._on_layers)
        self.dock.show()
        self.dock.raise_()

    # -- choosing B ----------------------------------------------------------------------------
    def choose_reading_b(self) -> None:
        """Ask for reading B's file and compare."""
        start = str(Path(self.window.reading_path).parent) if getattr(self.window, "reading_path", None) else ""
        path, _ = QFileDialog.getOpenFileName(self.panel, "Reading B to compare", start, "Readings (*.json);;All files (*)")
        if path:
            self.open_reading_b(path)

    def open_reading_b(self, path: str | os.PathLike[str]) -> bool:
        """Load and validate reading B from ``path`` and compare; a bad file is reported, nothing changes."""
        b = read_reading_file(path, self.window.show_error, "Cannot compare with this reading")
        if b is None:
            return False
        return self.set_reading_b(b, source=Path(path))

    def set_reading_b(self, b: Reading, *, source: Path | None = None) -> bool:
        """Compare the open reading (A) with ``b``."""
        win = self.window
        if win.radiograph is None or win.reading is None:
            win.show_error("Nothing to compare", "Open a film and a reading (or run the model) first; it becomes reading A.")
            return False
        a = win.reading
        other_film = film_mismatch(a, b)
        if other_film and not win.ask_yes_no(
            "Compare readings of different films?",
            f"{source or 'Reading B'} is a reading of another film: {other_film}. Agreement between readings "
            "of different films measures nothing.\n\nCompare anyway?",
        ):
            return False
        background = len(a.trajectory) * len(b.trajectory) > BACKGROUND_WORK
        try:
            cmp = compare_readings(a, b, win.radiograph, metrics=not background)
        except Exception as err:  # agreement never raises on valid readings; stay safe on odd ones
            win.show_error("Cannot compare", f"{source or 'reading B'}: {err.__class__.__name__}: {err}")
            return False
        self._token += 1
        self.comparison = cmp
        self.reading_a = a
        self.b_source = source
        self.panel.set_comparison(cmp)
        self.clock = ClockMap(cmp.a_shown.duration, cmp.b_shown.duration, self.panel.sync)
        self._apply()
        if background:
            self.panel.set_busy(True)
            QThreadPool.globalInstance().start(_AgreementJob(self._token, a, b, cmp.grid, self._sink))
        else:
            self.agreement_ready.emit(cmp)
        return True

    def _on_agreement(self, token: int, result: object) -> None:
        cmp = self.comparison
        if token != self._token or cmp is None or self._ending:
            return  # a stale job (B changed or the comparison ended)
        cmp.whole, cmp.sentences, cmp.zones = result  # type: ignore[misc]
        cmp.ready = True
        self.panel.set_busy(False)
        self.panel.set_comparison(cmp)
        self.agreement_ready.emit(cmp)

    def _on_agreement_failed(self, token: int, message: str) -> None:
        if token == self._token and not self._ending:
            self.panel.set_busy(False, error=f"Agreement could not be computed: {message}")

    # -- modes ---------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """``"overlay"`` (B over A's film in a second colour) or ``"side"`` (B on a second canvas)."""
        self.mode = "side" if mode == "side" else "overlay"
        if self.panel.mode != self.mode:
            self.panel.set_mode(self.mode)
        self._apply()

    def set_sync(self, sync: str) -> None:
        """``"seconds"`` or ``"stretch"`` (B's duration mapped onto A's)."""
        self.clock.mode = "stretch" if sync == "stretch" else "seconds"
        if self.panel.sync != self.clock.mode:
            self.panel.set_sync(self.clock.mode)
        self._apply()

    def _on_colours(self, a: str, b: str) -> None:
        self.overlay_a.set_colour(a)
        self.overlay_b.set_colour(b)
        self._update_legend()

    def _apply(self) -> None:
        """Lay out the comparison for the current mode and clock."""
        cmp = self.comparison
        if cmp is None:
            return
        win = self.window
        was = win.controller.playback.time
        pb = SharedClockPlayback(cmp.a_shown.trajectory, duration=self.clock.clock_duration)
        win.controller.set_playback(pb)
        win.canvas.set_reading(cmp.a_shown, win.controller.playback)
        from gazex_viewer.ui.common import finding_styles

        win.player_bar.set_sentence_spans(finding_styles(cmp.a_shown))
        layers = win.player_bar.layers()
        if self.mode == "overlay":
            self._close_side()
            self.overlay_a.set_reading(cmp.a_shown)
            self.overlay_b.set_reading(cmp.b_shown)
            self.overlay_a.set_visible(True)
            self.overlay_b.set_visible(True)
            self._hide_canvas_layers(True)
        else:
            self.overlay_a.set_visible(False)
            self.overlay_b.set_visible(False)
            self._hide_canvas_layers(False)
            self._open_side(cmp)
        self._on_layers(layers)
        self._update_legend()
        win.controller.seek(min(was, pb.duration))

    def _hide_canvas_layers(self, hide: bool) -> None:
        """In overlay mode A is drawn by its own overlay in colour A; the canvas's own layers step aside."""
        self._hidden_canvas = hide
        if hide:
            self.window.canvas.set_layers(regions=False, trajectory=False)
        else:
            self.window.canvas.set_layers(**self.window.player_bar.layers())

    def _open_side(self, cmp: Comparison) -> None:
        """Film A | film B in the window's central area, above the one player bar."""
        from gazex_viewer.ui.common import SelectionModel
        from gazex_viewer.ui.film.canvas import FilmCanvas

        win = self.window
        if self.side_canvas is None:
            self.side_selection = SelectionModel(self)
            self.side_canvas = FilmCanvas(self.side_selection)
            self.side_canvas.setObjectName("compareCanvasB")
            self.side_split = QSplitter(Qt.Orientation.Horizontal)
            self.side_split.setObjectName("compareSplit")
            self.side_split.setChildrenCollapsible(False)
            boxes = []
            for _ in range(2):
                box = QWidget()
                v = QVBoxLayout(box)
                v.setContentsMargins(0, 0, 0, 0)
                v.setSpacing(0)
                title = QLabel()
                title.setObjectName("metadataStrip")
                title.setTextFormat(Qt.TextFormat.RichText)
                v.addWidget(title)
                boxes.append((box, v, title))
            (box_a, v_a, self.side_title_a), (box_b, v_b, self.side_title) = boxes
            v_b.addWidget(self.side_canvas, 1)
            self.side_split.addWidget(box_a)
            self.side_split.addWidget(box_b)
            self.side_split.setStretchFactor(0, 1)
            self.side_split.setStretchFactor(1, 1)
            self._side_box_a = (box_a, v_a)
            self.side_canvas.vb.sigRangeChanged.connect(self._sync_from_b)
            win.canvas.vb.sigRangeChanged.connect(self._sync_from_a)
            self._views_linked = True
        if not self._side_open:
            # the stack holding film A moves into the splitter's left half; _close_side puts it back
            central = win.stack.parentWidget().layout()
            central.replaceWidget(win.stack, self.side_split)
            box_a, v_a = self._side_box_a
            v_a.addWidget(win.stack, 1)
            self.side_split.show()
            self._side_open = True
        sc = self.side_canvas
        sc.set_radiograph(win.radiograph)
        if win.canvas.window_name == "manual" and win.canvas.window is not None:
            sc.set_window(win.canvas.window)
        sc.set_inverted(win.canvas.inverted)
        sc.set_reading(cmp.b_shown, TrajectoryPlayback(cmp.b_shown.trajectory))
        self.side_title_a.setText(
            f"<b>A</b> {html.escape(describe_reading(cmp.a))}"
        )
        self.side_title.setText(
            f"<b>B</b> {html.escape(describe_reading(cmp.b))}"
            + ("" if not cmp.frame_b.scaled else " <span style='color:#ffcc66'>(scaled from its 224 × 224 frame)</span>")
        )
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()  # lay the halves out before fitting
        total = max(2, self.side_split.width())
        self.side_split.setSizes([total // 2, total - total // 2])
        QApplication.processEvents()
        win.canvas.fit()
        self._b_size = None
        self._sync_view(win.canvas, sc)

    def _close_side(self) -> None:
        if not self._side_open:
            return
        win = self.window
        central = self.side_split.parentWidget().layout()
        self._side_box_a[1].removeWidget(win.stack)
        central.replaceWidget(self.side_split, win.stack)
        win.stack.show()
        self.side_split.hide()
        self._side_open = False
        win.canvas.fit()

    def _sync_view(self, src: Any, dst: Any) -> None:
        """Give ``dst`` the centre and the zoom (image pixels per screen pixel) of ``src``."""
        if self._syncing or dst is None or not dst.isVisible():
            return
        self._syncing = True
        try:
            rect = src.vb.viewRect()
            px, py = src.vb.viewPixelSize()
            size = dst.vb.boundingRect().size()
            c = rect.center()
            w, h = size.width() * px, size.height() * py
            if w > 0 and h > 0:
                dst.vb.setRange(QRectF(c.x() - w / 2, c.y() - h / 2, w, h), padding=0)
        finally:
            self._syncing = False

    def _sync_from_a(self, *_: Any) -> None:
        if self.mode == "side" and self.side_canvas is not None:
            self._sync_view(self.window.canvas, self.side_canvas)

    def _sync_from_b(self, *_: Any) -> None:
        if self.mode != "side" or self.side_canvas is None:
            return
        size = self.side_canvas.vb.boundingRect().size()
        if size != self._b_size:
            # B was resized (laid out), not zoomed or panned by the user: A stays the master
            self._b_size = size
            self._sync_view(self.window.canvas, self.side_canvas)
        else:
            self._sync_view(self.side_canvas, self.window.canvas)

    # -- clock and layers ----------------------------------------------------------------------
    def _on_time(self, t: float) -> None:
        if self.comparison is None or self._ending:
            return
        if self.window.reading is not self.reading_a:
            self.end()  # another film or reading was opened: the comparison no longer applies
            return
        tb = self.clock.b_time(t)
        n = self.window.controller.playback.trail_length
        if self.mode == "overlay":
            for ov, tt in ((self.overlay_a, t), (self.overlay_b, tb)):
                ov.trail_length = n
                ov.set_time(tt)
        elif self.side_canvas is not None:
            pb = self.side_canvas.playback
            if pb is not None:
                pb.seek(tb)
            self.side_canvas.set_trail_length(n)
            self.side_canvas.update_playback()

    def _on_selection(self, fid: object) -> None:
        """A's selected finding, and B's finding matched to it (same sentence), are emphasised."""
        cmp = self.comparison
        if cmp is None or self._ending:
            return
        fa = fid if isinstance(fid, str) else None
        fb = next((s.finding_b for s in cmp.sentences if s.finding_a == fa), None)
        self.overlay_a.set_highlight(fa)
        self.overlay_b.set_highlight(fb if fa is not None else None)
        if self.side_canvas is not None:
            self.side_selection.select(fb)

    def _on_layers(self, layers: dict[str, bool]) -> None:
        if self.comparison is None:
            return
        if self.mode == "overlay":
            self.overlay_a.set_layers(**layers)
            self.overlay_b.set_layers(**layers)
            self.window.canvas.set_layers(regions=False, trajectory=False)
        elif self.side_canvas is not None:
            self.side_canvas.set_layers(**layers)

    def _update_legend(self) -> None:
        cmp = self.comparison
        if cmp is None or self.mode != "overlay":
            self.legend.hide()
            return
        ca, cb = self.panel.colour_a, self.panel.colour_b
        lines = [
            f"<span style='color:{ca}'>■</span> A {html.escape(describe_reading(cmp.a))}",
            f"<span style='color:{cb}'>■</span> B {html.escape(describe_reading(cmp.b))}",
        ]
        if self.clock.mode == "stretch":
            lines.append("<span style='color:#a9b6c2'>clock: B stretched to A's length</span>")
        lines += [f"<span style='color:#ffcc66'>{html.escape(n)}</span>" for n in cmp.notes if "scaled" in n]
        if cmp.different_films:
            lines.append(f"<span style='color:#ff8080'><b>⚠ Different films</b>: {html.escape(cmp.different_films)}</span>")
        self.legend.setText("<br>".join(lines))
        self.legend.adjustSize()
        self._place_legend()
        self.legend.show()
        self.legend.raise_()

    def _place_legend(self) -> None:
        """Bottom left of the canvas, above the film corner text there when it is shown."""
        if self._ending:
            return
        canvas = self.window.canvas
        bottom = canvas.height() - 8
        corners = getattr(self.window, "corners", None)
        if corners is not None and corners.visible:
            bl = corners.labels["bottom_left"]
            if bl.text():
                bottom = canvas.height() - 6 - bl.height() - 6
        self.legend.move(8, max(8, bottom - self.legend.height()))

    # -- plot ----------------------------------------------------------------------------------
    def write_plot(self, png: str | os.PathLike[str] | None = None) -> Path:
        """Write the agreement-per-finding plot of the pair (to a temporary file by default)."""
        from gazex_viewer.ui.compare.plot_dialog import plot_pair_agreement

        cmp = self.comparison
        if cmp is None or not cmp.ready:
            raise GazeXError(None, "choose reading B first" if cmp is None else "the agreement is still being computed")
        if png is None:
            png = Path(tempfile.mkdtemp(prefix="gazex-plot-")) / "agreement-per-finding.png"
        self.plot_png = plot_pair_agreement(
            cmp.a, cmp.b, cmp.sentences, png, whole=cmp.whole
        )
        return self.plot_png

    def show_plot(self) -> Any:
        """Make the pair's plot and show it in a dialog (returned)."""
        from gazex_viewer.ui.compare.plot_dialog import PlotDialog

        try:
            png = self.write_plot()
        except GazeXError as err:
            self.window.show_error("Cannot make the plot", str(err))
            return None
        self.plot_dialog = PlotDialog(png, self.window, title="Agreement per finding type (this pair) — GazeX Viewer")
        self.plot_dialog.show()
        return self.plot_dialog

    # -- end -----------------------------------------------------------------------------------
    def end(self) -> None:
        """Remove B and its overlays; A is shown alone again on its normal clock."""
        if self._ending:
            return
        self._ending = True
        win = self.window
        try:
            win.canvas.view_changed.disconnect(self._place_legend)
        except (RuntimeError, TypeError):
            pass
        for ov in (self.overlay_a, self.overlay_b):
            ov.remove()
        self.legend.hide()
        self.legend.deleteLater()
        if self._views_linked:
            try:
                win.canvas.vb.sigRangeChanged.disconnect(self._sync_from_a)
            except (RuntimeError, TypeError):
                pass
        if self.side_canvas is not None:
            self._close_side()
            self.side_split.deleteLater()
            self.side_canvas = None
        if self.comparison is not None and win.reading is not None and win.reading is self.reading_a:
            pb = TrajectoryPlayback(self.comparison.a_shown.trajectory)
            win.controller.set_playback(pb)
            win.canvas.set_reading(self.comparison.a_shown, win.controller.playback)
            if getattr(win, "review", None) is not None:
                win.review.restore(win.reading)  # A as its review leaves it, not as the AI wrote it
        win.canvas.set_layers(**win.player_bar.layers())
        try:
            win.selection.selection_changed.disconnect(self._on_selection)
        except (RuntimeError, TypeError):
            pass
        try:
            win.controller.time_changed.disconnect(self._on_time)
            win.player_bar.layers_changed.disconnect(self._on_layers)
        except (RuntimeError, TypeError):
            pass
        win.removeDockWidget(self.dock)
        self.dock.deleteLater()
        self.comparison = None
        self.ended.emit()
