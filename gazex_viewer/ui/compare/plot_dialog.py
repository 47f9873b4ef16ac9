"""The agreement-per-finding plot: a PNG written by ``gazex-viewer compare --study --plot`` or made here.

:func:`pair_finding_agreement` groups the per-sentence agreement of the open pair of readings by finding
type (the positive CheXpert observations of reading A's sentence; a sentence without one is grouped under
its own text); :func:`plot_pair_agreement` draws it as a PNG with matplotlib's Agg backend (imported only
when called). :class:`PlotDialog` shows any such PNG, scaled to fit, and saves a copy.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.gaze.agreement import SentenceAgreement
from gazex_viewer.core.reading.document import Reading

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PLOT_METRICS", "PlotDialog", "pair_figure", "pair_finding_agreement", "plot_pair_agreement"]

#: the metrics the pair plot shows (all 0..1, higher = closer), as in ``plot_study``
PLOT_METRICS: tuple[str, ...] = ("cc", "density_cosine", "edit_similarity", "mm_position")


def _finding_types(reading: Reading, finding_id: str, text: str) -> list[str]:
    try:
        f = reading.finding(finding_id)
    except KeyError:
        return [text]
    pos = [lab.observation for lab in f.labels if lab.status == "positive"]
    return pos or [text]


def pair_finding_agreement(
    a: Reading, sentences: Sequence[SentenceAgreement], metrics: Sequence[str] = PLOT_METRICS
) -> dict[str, dict[str, list[float]]]:
    """Per finding type, per metric, the values of the matched sentences (``SentenceAgreement`` s).

    A sentence naming two observations counts for both; non-finite values are kept (the plot skips them).
    """
    out: dict[str, dict[str, list[float]]] = {}
    for s in sentences:
        for kind in _finding_types(a, s.finding_a, s.text):
            slot = out.setdefault(kind, {m: [] for m in metrics})
            for m in metrics:
                slot[m].append(float(s.metrics.get(m, math.nan)))
    return out


def plot_pair_agreement(
    a: Reading,
    b: Reading,
    sentences: Sequence[SentenceAgreement],
    png: str | os.PathLike[str],
    *,
    whole: dict[str, float] | None = None,
    metrics: Sequence[str] = PLOT_METRICS,
) -> Path:
    """Write a PNG of agreement per finding type for readings ``a`` and ``b`` (:func:`pair_figure`).

    Returns the path written.

    Raises
    ------
    GazeXError
        The PNG cannot be written.
    """
    png = Path(png)
    fig = pair_figure(a, b, sentences, whole=whole, metrics=metrics)
    try:
        png.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(png)
    except OSError as err:
        raise GazeXError(png, f"cannot write the plot: {err.strerror or err}") from err
    return png


def pair_figure(
    a: Reading,
    b: Reading,
    sentences: Sequence[SentenceAgreement],
    *,
    whole: dict[str, float] | None = None,
    metrics: Sequence[str] = PLOT_METRICS,
) -> Figure:
    """The pair plot's matplotlib ``Figure`` (Agg canvas).

    One group of bars per finding type (mean over its sentences), one bar per metric; the whole-film
    value of each metric, when given, is a dashed line; the legend sits above the axes.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = pair_finding_agreement(a, sentences, metrics)
    kinds = sorted(groups)
    fig = Figure(figsize=(8.5, 4.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    from gazex_viewer.core.gaze.metric_names import metric_label
    from gazex_viewer.core.gaze.plot_style import (
        MUTED,
        PALETTE,
        WARNING,
        apply_dark_theme,
    )

    palette = PALETTE
    width = 0.8 / max(len(metrics), 1)
    for m, metric in enumerate(metrics):
        means = []
        for k in kinds:
            vals = [v for v in groups[k][metric] if math.isfinite(v)]
            means.append(sum(vals) / len(vals) if vals else math.nan)
        xs = [i + (m - (len(metrics) - 1) / 2) * width for i in range(len(kinds))]
        colour = palette[m % len(palette)]
        ax.bar(xs, [0.0 if math.isnan(v) else v for v in means], width, color=colour, label=metric_label(metric))
        for x, v in zip(xs, means):
            ax.text(x, (0.0 if math.isnan(v) else max(v, 0.0)) + 0.02, "n/a" if math.isnan(v) else f"{v:.2f}",
                    ha="center", va="bottom", fontsize=7, rotation=90)
        if whole is not None and math.isfinite(whole.get(metric, math.nan)):
            ax.axhline(whole[metric], color=colour, linestyle="--", linewidth=1, alpha=0.8)
    ax.set_xticks(range(len(kinds)))
    ax.set_xticklabels(kinds if kinds else [], rotation=20, ha="right", fontsize=8)
    ax.set_ylim(min(0.0, ax.get_ylim()[0]), 1.15)
    ax.set_ylabel("agreement (1 = same)")
    ax.grid(axis="y", alpha=0.3)
    who_a = f"{a.producer.kind} {a.producer.dataset or a.producer.name}"
    who_b = f"{b.producer.kind} {b.producer.dataset or b.producer.name}"
    # the legend goes above the axes, under the title: inside them it covered the bars
    ax.legend(ncol=2, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    ax.set_title(f"Agreement per finding type: A {who_a} vs B {who_b}", fontsize=10, pad=36)
    if not kinds:
        ax.text(0.5, 0.5, "no sentence in common", transform=ax.transAxes, ha="center", va="center", fontsize=12)
    else:
        fig.text(0.01, 0.01, "bars: mean over the matched sentences; dashed: whole film", fontsize=7, color=MUTED)
    from gazex_viewer.core.gaze.agreement import film_mismatch

    if film_mismatch(a, b):
        fig.text(0.99, 0.01, "DIFFERENT FILMS: these numbers measure nothing about agreement on a film",
                 fontsize=8, color=WARNING, ha="right", weight="bold")
    fig.tight_layout()
    apply_dark_theme(fig)
    return fig


class PlotDialog(QDialog):
    """Shows an agreement plot PNG (study or pair), scaled to fit; Save a copy, Open another."""

    def __init__(self, png: str | os.PathLike[str] | None = None, parent: QWidget | None = None, *, title: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title or "Agreement per finding type — GazeX Viewer")
        self.setObjectName("agreementPlotDialog")
        self.resize(900, 560)
        self.png: Path | None = None
        self.pixmap = QPixmap()
        lay = QVBoxLayout(self)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.image_label = QLabel()
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setStyleSheet("background:#1e252c;")
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setWidget(self.image_label)
        lay.addWidget(self.scroll_area, 1)
        row = QHBoxLayout()
        self.open_button = QPushButton("Open plot PNG…")
        self.open_button.setToolTip("Open a plot written by: gazex-viewer compare --study SCANPATHS --plot OUT.png")
        self.open_button.clicked.connect(self._open_dialog)
        self.save_button = QPushButton("Save a copy…")
        self.save_button.clicked.connect(self._save_dialog)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addWidget(self.open_button)
        row.addWidget(self.save_button)
        row.addStretch(1)
        row.addWidget(close)
        lay.addLayout(row)
        self.error: str | None = None
        if png is not None:
            self.load(png)
        else:
            self.caption.setText("No plot yet: open a PNG written by <code>gazex-viewer compare --study … --plot</code>.")
            self.save_button.setEnabled(False)

    def load(self, png: str | os.PathLike[str]) -> bool:
        """Show ``png``; on failure the caption says why (file and reason) and False is returned."""
        path = Path(png)
        pix = QPixmap(str(path))
        if pix.isNull():
            self.error = f"{path}: {'not found' if not path.exists() else 'not a readable PNG image'}"
            self.caption.setText(f"<span style='color:#ffb0b0'>Cannot show the plot: {self.error}</span>")
            return False
        self.error = None
        self.png = path
        self.pixmap = pix
        self.caption.setText(f"{path.name} ({pix.width()} × {pix.height()} px)")
        self.save_button.setEnabled(True)
        self._rescale()
        return True

    def _rescale(self) -> None:
        if self.pixmap.isNull():
            return
        vp = self.scroll_area.viewport().size()
        scaled = self.pixmap
        if self.pixmap.width() > vp.width() or self.pixmap.height() > vp.height():
            scaled = self.pixmap.scaled(vp, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.image_label.setPixmap(scaled)

    def resizeEvent(self, ev: QResizeEvent) -> None:
        super().resizeEvent(ev)
        self._rescale()

    def save_copy(self, dest: str | os.PathLike[str]) -> Path:
        """Copy the shown PNG to ``dest`` (a GazeXError names the file and the reason on failure)."""
        if self.png is None:
            raise GazeXError(dest, "no plot is shown")
        dest = Path(dest)
        try:
            shutil.copyfile(self.png, dest)
        except OSError as err:
            raise GazeXError(dest, f"cannot save the plot: {err.strerror or err}") from err
        return dest

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open agreement plot", "", "PNG images (*.png)")
        if path:
            self.load(path)

    def _save_dialog(self) -> None:
        if self.png is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the plot", self.png.name, "PNG images (*.png)")
        if path:
            try:
                self.save_copy(path)
            except GazeXError as err:
                self.caption.setText(f"<span style='color:#ffb0b0'>{err}</span>")
