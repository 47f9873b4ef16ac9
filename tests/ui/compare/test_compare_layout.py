"""Compare mode at 1280 x 800, 1920 x 1080 and 3840 x 2160, measured on the real widgets: the A/B titles never
run into the film corners, the legend never lies over the film, and every metric name fits its cell."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtWidgets import QWidget

from gazex_viewer.ui.compare.panel import METRIC_TEXT_MARGIN
from tests.conftest import shared_file
from tests.factories import demo_reading

RG1 = "dicom/RG1_UNCR.dcm"
SIZES = ((1280, 800), (1920, 1080), (3840, 2160))


def _in_window(widget: QWidget) -> QRect:
    """``widget``'s rectangle in its window's coordinates."""
    return QRect(widget.mapTo(QWidget.window(widget), QPoint(0, 0)), widget.size())


def _film_drawn(canvas: Any) -> QRect:
    """The part of the viewport the film image is drawn on, in the window's coordinates."""
    r = canvas.image_rect()
    a = canvas.map_image_to_widget(r.left(), r.top())
    b = canvas.map_image_to_widget(r.right(), r.bottom())
    image = QRectF(a, b).normalized().toAlignedRect()
    vp = canvas.viewport()  # the canvas maps image points to its viewport's coordinates
    drawn = image.intersected(QRect(QPoint(0, 0), vp.size()))
    return drawn.translated(vp.mapTo(QWidget.window(vp), QPoint(0, 0)))


def _apart(a: QRect, b: QRect) -> bool:
    inter = a.intersected(b)
    return inter.isEmpty() or inter.width() <= 1 or inter.height() <= 1


@pytest.fixture
def compared(window: Any, tmp_path: Path) -> Any:
    assert window.open_image(shared_file(RG1))
    assert window.show_reading(demo_reading(window.radiograph))
    if not window.corners.visible:
        window.toggle_corners()
    b = demo_reading(window.radiograph)
    b.trajectory = [replace(p, x=p.x + 40.0, y=p.y - 25.0) for p in b.trajectory]
    path = tmp_path / "b.reading.json"
    b.save(path)
    session = window.compare_with_reading(path)
    assert session is not None and session.comparison is not None and session.comparison.ready, window.last_error
    return session


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_the_legend_never_lies_over_the_film(window: Any, compared: Any, qtbot: Any, w: int, h: int) -> None:
    window.resize(w, h)
    qtbot.wait(50)
    legend = compared.legend
    assert legend.isVisible() and "A " in legend.text() and "B " in legend.text()
    film = _film_drawn(window.canvas)
    assert film.width() > 200 and film.height() > 200
    assert _apart(_in_window(legend), film), f"legend {_in_window(legend).getRect()} over the film {film.getRect()}"
    # zoomed in until the film fills the view: still not over it
    window.canvas.zoom_by(3.0)
    qtbot.wait(20)
    assert _apart(_in_window(legend), _film_drawn(window.canvas))
    # nor over the corner text
    for lab in [*window.corners.labels.values(), *window.corners.markers.values()]:
        if lab.isVisible():
            assert _apart(_in_window(legend), _in_window(lab)), lab.text()


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_side_by_side_titles_never_run_into_the_corners(
    window: Any, compared: Any, qtbot: Any, artifacts_dir: Path, w: int, h: int
) -> None:
    compared.set_mode("side")
    window.resize(w, h)
    qtbot.wait(50)
    titles = [compared.side_title_a, compared.side_title]
    assert all(t.isVisible() and t.text() for t in titles)
    corners = [lab for lab in [*window.corners.labels.values(), *window.corners.markers.values()] if lab.isVisible()]
    assert len(corners) >= 8
    for t in titles:
        for lab in corners:
            assert _apart(_in_window(t), _in_window(lab)), f"{t.text()!r} runs into {lab.text()!r}"
        # nor over either film
        assert _apart(_in_window(t), _film_drawn(window.canvas))
        assert _apart(_in_window(t), _film_drawn(compared.side_canvas))
    assert not compared.legend.isVisible()  # side by side: the titles say who is who
    assert window.grab().save(str(artifacts_dir / f"issue17-rg1-compare-side-{w}x{h}.png"))


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_every_metric_name_fits_its_cell(window: Any, compared: Any, qtbot: Any, w: int, h: int) -> None:
    window.resize(w, h)
    qtbot.wait(50)
    t = compared.panel.whole_table
    fm = t.fontMetrics()
    col = t.columnWidth(0)
    room = col - METRIC_TEXT_MARGIN
    assert room > 60
    for r in range(t.rowCount()):
        name = t.item(r, 0).text()
        words = max(fm.horizontalAdvance(word) for word in name.split())
        assert words <= room, f"{name!r}: a word is wider than the column ({col} px)"
        wrapped = fm.boundingRect(QRect(0, 0, room, 10_000), Qt.TextFlag.TextWordWrap, name)
        assert wrapped.width() <= col, f"{name!r}: {wrapped.width()} px > column {col} px"
        assert wrapped.height() <= t.rowHeight(r), f"{name!r}: {wrapped.height()} px of text in a {t.rowHeight(r)} px row"
        if fm.horizontalAdvance(name) <= room:
            assert t.rowHeight(r) < 2 * fm.lineSpacing() + 6  # a name that fits on one line keeps a one-line row
    # the table is as tall as its rows: no row hidden under the text below
    assert t.verticalHeader().length() <= t.viewport().height()
