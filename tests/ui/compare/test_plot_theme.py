"""The agreement plots in the app's dark theme with human metric names and units (issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gazex_viewer.core.gaze.metric_names import metric_label
from gazex_viewer.core.gaze.plot_style import BACKGROUND, TEXT
from tests.ui.helpers import compare_session


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def test_pair_plot_is_dark_and_names_metrics_in_words(window: Any, tmp_path: Path, artifacts_dir: Path) -> None:
    from matplotlib.colors import to_hex
    from PySide6.QtGui import QImage

    from gazex_viewer.ui.compare.plot_dialog import PLOT_METRICS, pair_figure

    session, a, b, _raw = compare_session(window, tmp_path)
    fig = pair_figure(a, b, session.comparison.sentences, whole=session.comparison.whole)
    fig.canvas.draw()
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_legend().get_texts()]
    assert names == [metric_label(m) for m in PLOT_METRICS]
    assert "cc" not in names and "mm_position" not in names
    assert to_hex(fig.get_facecolor()) == BACKGROUND
    assert all(to_hex(t.get_color()) == TEXT for t in ax.get_xticklabels() + ax.get_legend().get_texts())
    # the legend still covers no bar
    r = fig.canvas.get_renderer()
    box = ax.get_legend().get_window_extent(r)
    assert all(not box.overlaps(bar.get_window_extent(r)) for bar in ax.patches)
    png = session.write_plot(artifacts_dir / "compare-agreement-per-finding-dark.png")
    img = QImage(str(png))
    corner = img.pixelColor(2, 2)
    assert (corner.red(), corner.green(), corner.blue()) == _rgb(BACKGROUND)
