"""The app's dark theme for matplotlib figures (agreement plots), applied after a figure is drawn.

No matplotlib import here: the functions take a ``Figure`` made by the caller (Agg backend).
"""

from __future__ import annotations

from typing import Any

#: the viewer's colours (gazex_viewer.ui.shell.main_window.STYLE)
BACKGROUND = "#1e252c"
AXES_BACKGROUND = "#141a20"
TEXT = "#dde4ea"
MUTED = "#a9b6c2"
GRID = "#3a4652"
WARNING = "#ff8a80"
#: bar colours readable on the dark background (colour-blind-safe Okabe–Ito hues)
PALETTE: tuple[str, ...] = ("#56b4e9", "#e69f00", "#009e73", "#cc79a7", "#f0e442", "#d55e00")


def apply_dark_theme(fig: Any) -> Any:
    """Recolour a drawn figure: dark backgrounds, light text, ticks, spines, grid and legends."""
    fig.set_facecolor(BACKGROUND)
    for ax in fig.axes:
        ax.set_facecolor(AXES_BACKGROUND)
        ax.set_axisbelow(True)  # the grid behind the bars
        for spine in ax.spines.values():
            spine.set_color(GRID)
        ax.tick_params(colors=TEXT, which="both")
        ax.xaxis.label.set_color(TEXT)
        ax.yaxis.label.set_color(TEXT)
        ax.title.set_color(TEXT)
        for line in ax.get_ygridlines() + ax.get_xgridlines():
            line.set_color(GRID)
        for t in ax.texts:
            t.set_color(TEXT)
        leg = ax.get_legend()
        if leg is not None:
            _legend(leg)
    for leg in fig.legends:
        _legend(leg)
    if fig._suptitle is not None:
        fig._suptitle.set_color(TEXT)
    return fig


def _legend(leg: Any) -> None:
    leg.get_frame().set_facecolor(BACKGROUND)
    leg.get_frame().set_edgecolor(GRID)
    for t in leg.get_texts():
        t.set_color(TEXT)
