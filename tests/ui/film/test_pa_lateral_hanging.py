"""The PA + lateral hanging on the real window: one study's frontal film left (with the reading), its lateral right,
each with its own corners; films of different studies are not hung; closing returns to one film; by keyboard too.

There is no real lateral film in the shared data: :func:`_lateral` makes one from RG1 (ViewPosition LL,
PatientOrientation A\\F, a new SOPInstanceUID in the same study, the pixels flipped left-right).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget

from gazex_viewer.core.imaging.hanging import pa_lateral_order, view_kind
from gazex_viewer.core.imaging.radiograph import RadiographMetadata
from tests.conftest import shared_file
from tests.factories import demo_reading

RG1 = "dicom/RG1_UNCR.dcm"


def _lateral(folder: Path, *, same_study: bool = True) -> Path:
    """RG1 as a lateral film of its study (or of another study)."""
    pydicom = pytest.importorskip("pydicom")
    from pydicom.uid import generate_uid

    ds = pydicom.dcmread(shared_file(RG1))
    pixels = ds.pixel_array
    ds.PixelData = np.ascontiguousarray(pixels[:, ::-1]).tobytes()
    ds.ViewPosition = "LL"
    ds.PatientOrientation = ["A", "F"]
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    if not same_study:
        ds.StudyInstanceUID = generate_uid()
    out = folder / ("RG1_LL.dcm" if same_study else "RG1_LL_other_study.dcm")
    ds.save_as(out)
    return out


def _x(widget: QWidget) -> int:
    return widget.mapTo(QWidget.window(widget), QPoint(0, 0)).x()


def _assert_hung(win: Any) -> None:
    h = win.hanging
    assert h.active and h.split is not None and h.split.isVisible()
    assert win.radiograph is h.frontal and win.radiograph.metadata.view_position == "PA"
    assert h.lateral is not None and h.lateral.metadata.view_position == "LL"
    lat = h.lateral_canvas
    assert lat is not None and lat.isVisible() and lat.radiograph is h.lateral
    assert win.canvas.isVisible() and _x(win.canvas) + win.canvas.width() <= _x(lat) + 2  # frontal left
    assert lat.width() > 200 and win.canvas.width() > 200
    # the two halves show different films: the lateral is RG1 flipped left-right
    front, side = win.canvas.image_item.image, lat.image_item.image
    assert front is not None and side is not None and front.shape == side.shape
    assert np.array_equal(side, front[:, ::-1]) and not np.array_equal(side, front)
    # each film its own corners and orientation markers
    fm = {k: m.text() for k, m in win.corners.markers.items() if m.isVisible()}
    lm = {k: m.text() for k, m in h.lateral_corners.markers.items() if m.isVisible()}
    assert fm == {"left": "R", "right": "L", "top": "H", "bottom": "F"}
    assert lm == {"left": "P", "right": "A", "top": "H", "bottom": "F"}
    assert "LL" in "\n".join(h.lateral_corners.texts()["top_right"])
    assert all(lab.parent() is lat.viewport() for lab in h.lateral_corners.labels.values())


def test_the_rule_of_which_films_hang_together() -> None:
    pa = RadiographMetadata("DICOM", view_position="PA", study_instance_uid="1.2.3")
    ll = RadiographMetadata("DICOM", view_position="LL", study_instance_uid="1.2.3")
    assert (view_kind("ap"), view_kind(" RL "), view_kind("LATERAL"), view_kind(None)) == ("frontal", "lateral", "lateral", None)
    assert pa_lateral_order(pa, ll).ok and pa_lateral_order(pa, ll).frontal == 0
    order = pa_lateral_order(ll, pa)
    assert order.ok and (order.frontal, order.lateral) == (1, 0)
    other = RadiographMetadata("DICOM", view_position="LL", study_instance_uid="9.9")
    assert "different studies" in pa_lateral_order(pa, other, ("a.dcm", "b.dcm")).refused
    assert "one frontal" in pa_lateral_order(pa, pa).refused
    assert "no StudyInstanceUID" in pa_lateral_order(RadiographMetadata("PNG"), ll, ("x.png", "y")).refused


@pytest.mark.parametrize("lateral_first", [False, True])
def test_two_films_of_one_study_opened_together_hang_frontal_left(
    window: Any, qtbot: Any, tmp_path: Path, lateral_first: bool
) -> None:
    lateral = _lateral(tmp_path)
    pa = shared_file(RG1)
    window.resize(1600, 900)
    assert window.open_paths([lateral, pa] if lateral_first else [pa, lateral]), window.last_error
    qtbot.wait(50)
    _assert_hung(window)
    assert "PA + lateral" in window.statusBar().currentMessage()
    # the reading and its overlays belong to the frontal film
    reading = demo_reading(window.radiograph)
    assert window.show_reading(reading)
    assert window.canvas.reading is not None and window.hanging.lateral_canvas.reading is None
    # the corners of both films go with the one key
    window.toggle_corners()
    assert not any(lab.isVisible() for lab in window.hanging.lateral_corners.labels.values())
    window.toggle_corners()
    assert any(lab.isVisible() for lab in window.hanging.lateral_corners.labels.values())
    # closing the hanging: one film again, where it was
    window.hanging.action.trigger()
    assert not window.hanging.active and not window.hanging.split.isVisible()
    assert window.stack.parentWidget() is window.centralWidget() and window.canvas.isVisible()
    assert window.reading is reading


def test_films_of_different_studies_are_not_hung(window: Any, messages: Any, qtbot: Any, tmp_path: Path) -> None:
    other = _lateral(tmp_path, same_study=False)
    assert window.open_paths([shared_file(RG1), other])
    assert not window.hanging.active and window.radiograph.metadata.view_position == "PA"
    message = window.statusBar().currentMessage()
    assert "different studies" in message and "Not hung together" in message
    assert window.stack.parentWidget() is window.centralWidget()
    # nor through the menu
    assert not window.hanging.hang_with(other)
    assert "different studies" in window.statusBar().currentMessage() and not window.hanging.active
    # a film without a study (PNG) is not hung either; a broken file is told in one line, nothing changes
    assert not window.hanging.hang_with(shared_file("images/nih/00000001_000.png"))
    assert "no StudyInstanceUID" in window.statusBar().currentMessage()
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(b"DICM but not really")
    assert not window.hanging.hang_with(broken)
    assert messages.errors and messages.errors[-1][0] == "Cannot open film" and "\n" not in messages.errors[-1][1]
    assert not window.hanging.active and window.radiograph.metadata.view_position == "PA"
    assert not window.open_paths([broken, other]) and window.radiograph.metadata.view_position == "PA"


def test_the_hanging_by_keyboard_and_another_film_ends_it(
    window: Any, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gazex_viewer.ui.film import hanging as hanging_module

    lateral = _lateral(tmp_path)
    # the lateral open first: the PA chosen in the dialog becomes the workspace's film, the lateral goes right
    assert window.open_image(lateral)
    asked: list[str] = []

    def chosen(_parent: Any, title: str, *_a: Any) -> tuple[str, str]:
        asked.append(title)
        return str(shared_file(RG1)), ""

    monkeypatch.setattr(hanging_module.QFileDialog, "getOpenFileName", chosen)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.canvas.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.wait(50)
    assert asked and window.hanging.active
    _assert_hung(window)
    assert ("View", "PA + lateral (frontal left)", "Ctrl+Shift+H") in window.shortcut_rows
    # the same key closes it
    qtbot.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert not window.hanging.active and window.stack.parentWidget() is window.centralWidget()
    # hung again, then another film opened: back to one film
    assert window.hanging.hang_with(lateral)
    assert window.open_image(shared_file("images/nih/00000001_000.png"))
    assert not window.hanging.active and window.stack.parentWidget() is window.centralWidget()
    # a comparison takes the film area: the hanging steps aside first
    assert window.open_paths([shared_file(RG1), lateral]) and window.hanging.active
    assert window.show_reading(demo_reading(window.radiograph))
    b = tmp_path / "b.reading.json"
    demo_reading(window.radiograph).save(b)
    session = window.compare_with_reading(b)
    assert session is not None and not window.hanging.active
    session.set_mode("side")
    assert session.side_split.isVisible()
    session.end()


def test_screenshot_pa_lateral_1920x1080(window: Any, qtbot: Any, tmp_path: Path, artifacts_dir: Path) -> None:
    lateral = _lateral(tmp_path)
    window.resize(1920, 1080)
    assert window.open_paths([shared_file(RG1), lateral])
    assert window.show_reading(demo_reading(window.radiograph))
    if not window.corners.visible:
        window.toggle_corners()
    window.report_dock.raise_()
    qtbot.wait(100)
    assert (window.width(), window.height()) == (1920, 1080)
    _assert_hung(window)
    shot = artifacts_dir / "issue17-rg1-pa-lateral-1920x1080.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 30_000
