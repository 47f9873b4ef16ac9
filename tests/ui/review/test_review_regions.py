"""Region editing and box drawing on the real film canvas, driven with real mouse drags."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Box, Finding
from gazex_viewer.ui.film.canvas import FilmCanvas
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.film.region_editor import RegionEditor, box_from_rect
from tests.conftest import shared_file

NIH = "images/nih/00000001_000.png"


@pytest.fixture
def canvas(qtbot: Any) -> FilmCanvas:
    c = FilmCanvas(SelectionModel())
    qtbot.addWidget(c)
    c.resize(700, 700)
    c.show()
    qtbot.waitExposed(c)
    c.set_radiograph(load_radiograph(shared_file(NIH)))
    qtbot.wait(20)
    return c


def _pt(canvas: FilmCanvas, x: float, y: float) -> QPoint:
    p = canvas.map_image_to_widget(x, y)
    return QPoint(int(round(p.x())), int(round(p.y())))


def _drag(qtbot: Any, canvas: FilmCanvas, a: QPoint, b: QPoint, steps: int = 8) -> None:
    vp = canvas.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=a)
    for k in range(1, steps + 1):
        qtbot.mouseMove(vp, QPoint(a.x() + (b.x() - a.x()) * k // steps, a.y() + (b.y() - a.y()) * k // steps))
        qtbot.wait(15)  # pyqtgraph drops moves that arrive in the same instant
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=b)


def _finding() -> Finding:
    return Finding(
        "f-1", "s-1", "enlarged cardiac silhouette", [],
        Box.from_corners(150, 250, 400, 420),
        [Box.from_corners(160, 262, 250, 400)],
    )


def test_box_from_rect_clips_and_centres() -> None:
    from PySide6.QtCore import QRectF

    b = box_from_rect(QRectF(500, -10, -100, 50), QRectF(0, 0, 512, 512))
    assert (b.x_min, b.y_min, b.x_max, b.y_max) == (400, 0, 500, 40)
    assert b.centroid == (450, 20)


def test_drag_observation_emits_once_on_finish(qtbot: Any, canvas: FilmCanvas) -> None:
    ed = RegionEditor(canvas.vb)
    ed.set_bounds(canvas.image_rect())
    ed.edit("f-1", _finding())
    assert [(k, i) for k, i, _ in ed.rois] == [("observation", 0), ("clue", 0)]
    got: list[tuple[str, str, int, Box]] = []
    ed.box_edited.connect(lambda *a: got.append(a))
    scale = canvas.zoom()
    # grab the observation box inside its area but outside the clue, move it 40 image px right, 20 down
    a = _pt(canvas, 330, 300)
    b = _pt(canvas, 370, 320)
    _drag(qtbot, canvas, a, b)
    assert len(got) == 1, got  # one event per gesture, not per mouse move
    fid, kind, index, box = got[0]
    assert (fid, kind, index) == ("f-1", "observation", 0)
    tol = 2.0 / scale + 1
    assert box.x_min == pytest.approx(190, abs=tol) and box.y_min == pytest.approx(270, abs=tol)
    assert box.width == pytest.approx(250, abs=0.5) and box.height == pytest.approx(170, abs=0.5)
    assert box.centroid == pytest.approx(((box.x_min + box.x_max) / 2, (box.y_min + box.y_max) / 2))
    # the canvas did not pan while the box was dragged
    assert canvas.vb.viewRect().contains(canvas.image_rect().adjusted(2, 2, -2, -2))


def test_resize_with_corner_handle(qtbot: Any, canvas: FilmCanvas) -> None:
    ed = RegionEditor(canvas.vb)
    ed.set_bounds(canvas.image_rect())
    ed.edit("f-1", _finding())
    got: list[Any] = []
    ed.box_edited.connect(lambda *a: got.append(a))
    # the bottom-right handle of the observation area sits at (400, 420)
    _drag(qtbot, canvas, _pt(canvas, 400, 420), _pt(canvas, 450, 470))
    assert len(got) == 1
    box = got[0][3]
    tol = 2.0 / canvas.zoom() + 1
    assert box.x_min == pytest.approx(150, abs=0.5) and box.y_min == pytest.approx(250, abs=0.5)
    assert box.x_max == pytest.approx(450, abs=tol) and box.y_max == pytest.approx(470, abs=tol)


def test_box_stays_inside_the_film(qtbot: Any, canvas: FilmCanvas) -> None:
    ed = RegionEditor(canvas.vb)
    ed.set_bounds(canvas.image_rect())
    f = _finding()
    f.clues = []
    ed.edit("f-1", f)
    got: list[Any] = []
    ed.box_edited.connect(lambda *a: got.append(a))
    _drag(qtbot, canvas, _pt(canvas, 300, 300), _pt(canvas, 600, 300))  # far past the right edge
    assert got
    box = got[-1][3]
    assert box.x_max <= 512 and box.x_min >= 0
    assert box.width == pytest.approx(250, abs=0.5)


def test_draw_a_new_box(qtbot: Any, canvas: FilmCanvas) -> None:
    ed = RegionEditor(canvas.vb)
    ed.set_bounds(canvas.image_rect())
    drawn: list[Box] = []
    ed.box_drawn.connect(drawn.append)
    before = canvas.vb.viewRect()
    ed.set_drawing(True)
    assert ed.drawing
    _drag(qtbot, canvas, _pt(canvas, 330, 300), _pt(canvas, 460, 470))
    assert len(drawn) == 1
    b = drawn[0]
    tol = 2.0 / canvas.zoom() + 1
    assert (b.x_min, b.y_min) == (pytest.approx(330, abs=tol), pytest.approx(300, abs=tol))
    assert (b.x_max, b.y_max) == (pytest.approx(460, abs=tol), pytest.approx(470, abs=tol))
    assert canvas.vb.viewRect() == before  # drawing did not pan the film
    assert ed.preview_item.isVisible()
    # a click-sized drag is not a box
    _drag(qtbot, canvas, _pt(canvas, 100, 100), _pt(canvas, 101, 101), steps=2)
    assert len(drawn) == 1
    ed.set_drawing(False)
    assert not ed.preview_item.isVisible() and not ed.drawing
    # with drawing off a left-drag pans again
    _drag(qtbot, canvas, _pt(canvas, 250, 250), _pt(canvas, 200, 200))
    assert canvas.vb.viewRect() != before and len(drawn) == 1


def test_edit_none_removes_handles(qtbot: Any, canvas: FilmCanvas) -> None:
    ed = RegionEditor(canvas.vb)
    ed.edit("f-1", _finding())
    n_items = len(canvas.vb.addedItems)
    ed.edit(None)
    assert ed.rois == [] and ed.editing is None
    assert len(canvas.vb.addedItems) == n_items - 2


def test_a_clue_inside_the_observation_area_can_be_dragged(qtbot: Any, canvas: FilmCanvas) -> None:
    ed = RegionEditor(canvas.vb)
    ed.set_bounds(canvas.image_rect())
    ed.edit("f-1", _finding())
    got: list[Any] = []
    ed.box_edited.connect(lambda *a: got.append(a))
    # the clue (160, 262)-(250, 400) lies inside the observation area
    _drag(qtbot, canvas, _pt(canvas, 205, 330), _pt(canvas, 225, 310))
    assert len(got) == 1
    fid, kind, index, box = got[0]
    assert (kind, index) == ("clue", 0)
    tol = 2.0 / canvas.zoom() + 1
    assert box.x_min == pytest.approx(180, abs=tol) and box.y_min == pytest.approx(242, abs=tol)
