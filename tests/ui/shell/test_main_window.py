"""The viewer driven through its real widgets (pytest-qt, offscreen) on real films."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtWidgets import QLabel

from gazex_viewer.core.imaging.files import load_radiograph
from tests.conftest import SAMPLE_STUDY, shared_file
from tests.factories import demo_reading
from tests.ui.conftest import build_window

NIH = "images/nih/00000001_000.png"


def _open_with_reading(window: Any, **kw: Any) -> Any:
    path = shared_file(NIH)
    assert window.open_image(path)
    reading = demo_reading(window.radiograph, **kw)
    assert window.show_reading(reading)
    # the keys below are the film's: as after a click on it (the reviewer's name box holds the
    # focus until then, and a single-key shortcut never fires while a text field has the focus)
    window.canvas.setFocus()
    return reading


def _centre(window: Any, rect: QRectF) -> QPoint:
    p = window.canvas.map_image_to_widget(rect.center().x(), rect.center().y())
    return QPoint(int(round(p.x())), int(round(p.y())))


# -- empty state ------------------------------------------------------------------------------------
def test_empty_window_says_what_to_do(window: Any) -> None:
    assert "GazeX" in window.windowTitle()
    assert window.stack.currentWidget() is window.empty_page
    texts = " ".join(w.text() for w in window.empty_page.findChildren(QLabel))
    assert "Open a film" in texts
    assert "No report yet" in " ".join(
        w.text() for w in window.report_panel.findChildren(QLabel)
    )
    # no checkpoint configured: the model panel explains how to get one and offers a saved reading
    assert window.model_panel.empty_page.isVisible()
    assert "make-test-model" in window.model_panel.empty_label.text()
    assert window.model_panel.open_reading_button.isVisible()


# -- film -----------------------------------------------------------------------------------------------
def test_open_rg1_shows_header_window_and_metadata(window: Any, qtbot: Any) -> None:
    path = shared_file("dicom/RG1_UNCR.dcm")
    assert window.open_image(path)
    assert window.stack.currentWidget() is window.canvas
    assert window.canvas.window == (15000.0, 30000.0)
    img = window.canvas.image_item.image
    assert img.shape == (1955, 1841) and img.dtype == np.uint8
    assert np.array_equal(img, window.radiograph.render())
    meta = window.metadata_label.text()
    assert "RG1" in meta and "2004-08-26" in meta and "PA" in meta
    assert "RG1_UNCR.dcm" in window.windowTitle()
    # invert flips the display; 0 goes back to the header window
    qtbot.keyClick(window, Qt.Key.Key_I)
    assert window.canvas.inverted
    assert np.array_equal(window.canvas.image_item.image, 255 - window.radiograph.render())
    qtbot.keyClick(window, Qt.Key.Key_I)
    assert not window.canvas.inverted


def test_right_drag_changes_window(window: Any, qtbot: Any) -> None:
    assert window.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    before = window.canvas.window
    vp = window.canvas.viewport()
    start = QPoint(vp.width() // 2, vp.height() // 2)
    qtbot.mousePress(vp, Qt.MouseButton.RightButton, pos=start)
    for k in range(1, 6):
        qtbot.mouseMove(vp, QPoint(start.x() + 20 * k, start.y() + 10 * k))
    qtbot.mouseRelease(vp, Qt.MouseButton.RightButton, pos=QPoint(start.x() + 100, start.y() + 50))
    centre, width = window.canvas.window
    assert width > before[1] and centre > before[0]
    assert "manual" in window.view_label.text()
    qtbot.keyClick(window, Qt.Key.Key_0)
    assert window.canvas.window == before


def test_status_line_shows_pixel_and_value(window: Any, qtbot: Any) -> None:
    assert window.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    qtbot.wait(20)  # let the layout settle before mapping image points to the screen
    p = window.canvas.map_image_to_widget(900.5, 1000.5)
    qtbot.mouseMove(window.canvas.viewport(), QPoint(int(p.x()), int(p.y())))
    text = window.pixel_label.text()
    x, y = (int(v) for v in text.split()[1:4:2])
    assert abs(x - 900) <= 2 and abs(y - 1000) <= 2
    assert f"value {window.radiograph.modality[y, x]:g}" in text


def test_fit_and_one_to_one(window: Any, qtbot: Any) -> None:
    assert window.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    qtbot.keyClick(window, Qt.Key.Key_1)
    assert window.canvas.zoom() == pytest.approx(1.0, rel=0.02)
    qtbot.keyClick(window, Qt.Key.Key_F)
    view = window.canvas.vb.viewRect()
    assert view.contains(QRectF(1, 1, 1839, 1953))
    assert window.canvas.zoom() < 0.6


def test_next_and_previous_image_in_folder(window: Any, qtbot: Any) -> None:
    folder = shared_file("images/hannover")
    assert window.open_paths([folder])
    assert len(window.documents.folder_images) >= 12 and window.documents.folder_index == 0
    first = window.radiograph.path
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.documents.folder_index == 1 and window.radiograph.path != first
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert window.documents.folder_index == 0 and window.radiograph.path == first


def test_bad_film_keeps_the_open_one(window: Any, messages: Any, tmp_path: Path) -> None:
    assert window.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    good = window.radiograph
    bad = tmp_path / "broken.dcm"
    bad.write_bytes(b"DICM" * 10)
    assert not window.open_image(bad)
    assert not window.open_image(tmp_path / "missing.png")
    assert len(messages.errors) == 2
    assert str(bad) in messages.errors[0][1]
    assert "missing.png" in messages.errors[1][1] and "not found" in messages.errors[1][1]
    assert window.radiograph is good and window.canvas.radiograph is good


# -- linked report and film ----------------------------------------------------------------------------
def test_click_sentence_selects_its_regions_and_pans(window: Any, qtbot: Any) -> None:
    _open_with_reading(window)
    # zoom in on the top left so that the cardiac regions are out of view
    window.canvas.vb.setRange(QRectF(0, 0, 120, 120), padding=0)
    row = window.report_panel.rows["f-cardio"]
    assert not window.canvas.vb.viewRect().contains(window.canvas.region_rect("f-cardio"))
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    assert window.selection.selected == "f-cardio"
    assert row.selected and not window.report_panel.rows["f-device"].selected
    assert window.canvas.region_pen_width("f-cardio") > window.canvas.region_pen_width("f-device")
    # the view panned so that the observation region's centre is in view
    assert window.canvas.vb.viewRect().contains(window.canvas.region_rect("f-cardio").center())


def test_click_region_selects_its_sentence(window: Any, qtbot: Any) -> None:
    _open_with_reading(window)
    qtbot.wait(20)  # let the layout settle before mapping image points to the screen
    vp = window.canvas.viewport()
    pos = _centre(window, window.canvas.region_rect("f-device"))
    qtbot.mouseMove(vp, pos)
    assert window.selection.hovered == "f-device"
    assert window.report_panel.rows["f-device"].hover_on
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=pos)
    assert window.selection.selected == "f-device"
    assert window.report_panel.rows["f-device"].selected
    # a clue inside the observation area selects the same finding (smallest region wins)
    clue = window.canvas.region_rect("f-cardio", 1)
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=_centre(window, clue))
    assert window.selection.selected == "f-cardio"


def test_findings_above_pertinent_negatives_with_warnings(window: Any) -> None:
    _open_with_reading(window, warnings=["report truncated at 1024 new tokens"])
    panel = window.report_panel
    assert panel.ordered_keys() == ["f-cardio", "f-device", "f-ptx"]
    assert all(row.isVisible() for row in panel.rows.values())
    assert panel.rows["f-ptx"].style_info.negative
    assert not panel.rows["f-cardio"].style_info.negative
    assert panel.warnings_label.isVisibleTo(panel)
    assert "report truncated at 1024 new tokens" in panel.warnings_label.text()
    assert panel.rows["f-cardio"].warning_label.isVisibleTo(panel.rows["f-cardio"])
    assert "third clue box unreadable" in panel.rows["f-cardio"].warning_label.text()
    assert not panel.rows["f-device"].warning_label.isVisibleTo(panel.rows["f-device"])


def test_keyboard_steps_sentences(window: Any, qtbot: Any) -> None:
    _open_with_reading(window)
    qtbot.keyClick(window, Qt.Key.Key_J)
    assert window.selection.selected == "f-cardio"
    qtbot.keyClick(window, Qt.Key.Key_J)
    assert window.selection.selected == "f-device"
    qtbot.keyClick(window, Qt.Key.Key_K)
    assert window.selection.selected == "f-cardio"
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.selection.selected is None


# -- player -----------------------------------------------------------------------------------------------
def test_scrub_sets_current_fixation_and_sentence(window: Any) -> None:
    _open_with_reading(window)
    bar = window.player_bar
    assert bar.scrubber.maximum() == 5000
    assert bar.scrubber.boundaries_ms == [3000, 4000]
    bar.scrubber.setValue(2500)
    assert window.canvas.current_index == 2
    assert window.selection.playing == "f-cardio"
    assert window.report_panel.rows["f-cardio"].playing
    bar.scrubber.setValue(3500)
    assert window.canvas.current_index == 3
    assert window.selection.playing == "f-device"
    assert window.report_panel.rows["f-device"].playing and not window.report_panel.rows["f-cardio"].playing
    # the trail shows the last points up to the current one, numbered
    n = window.canvas.trail_shown
    assert n == min(4, window.controller.playback.trail_length)
    assert window.canvas.trail_numbers() == ["1", "2", "3", "4"][-n:]


def test_keys_play_step_speed_loop(window: Any, qtbot: Any) -> None:
    _open_with_reading(window)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert window.controller.playback.current_index == 2
    qtbot.keyClick(window, Qt.Key.Key_Left)
    assert window.controller.playback.current_index == 1
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.controller.playback.speed == 1.5
    assert window.player_bar.speed_combo.currentText() == "1.5×"
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert window.controller.playback.loop and window.player_bar.loop_box.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.controller.playing
    qtbot.waitUntil(lambda: window.controller.playback.time > 1.3, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.controller.playing


def test_layer_toggles(window: Any, qtbot: Any) -> None:
    _open_with_reading(window)
    qtbot.keyClick(window, Qt.Key.Key_H)
    assert window.canvas.heatmap_item.isVisible()
    heat = window.canvas.heatmap_item.image
    assert heat.shape == (64, 64) and heat.max() == pytest.approx(1.0)
    qtbot.keyClick(window, Qt.Key.Key_G)
    assert not window.canvas.show_regions
    assert window.canvas.finding_at(275, 130) is None
    qtbot.keyClick(window, Qt.Key.Key_T)
    assert not window.canvas.path_item.isVisible()


# -- readings ----------------------------------------------------------------------------------------------
def test_reading_for_another_image_asks_first(window: Any, messages: Any) -> None:
    assert window.open_image(shared_file(NIH))
    reading = demo_reading(window.radiograph)
    reading.image.pixel_sha256 = "f" * 64
    messages.answer = False
    assert not window.show_reading(reading)
    assert window.reading is None and len(messages.questions) == 1
    assert "Show it anyway" in messages.questions[0][1]
    messages.answer = True
    assert window.show_reading(reading)
    assert window.reading is reading
    assert "differ" in window.report_panel.warnings_label.text()


def test_expert_reading_with_unknown_hash_is_checked_by_size(window: Any, messages: Any) -> None:
    assert window.open_image(shared_file(NIH))
    reading = demo_reading(window.radiograph)
    reading.image.pixel_sha256 = "0" * 64  # imported expert gaze: image hash unknown
    assert window.show_reading(reading)
    assert messages.questions == []
    other = demo_reading(window.radiograph)
    other.image.pixel_sha256 = "0" * 64
    other.image.width, other.image.height = 2544, 3056
    messages.answer = False
    assert not window.show_reading(other)
    assert "2544 × 3056" in messages.questions[0][1]
    assert window.reading is reading


def test_open_saved_reading_next_to_its_film(window: Any, tmp_path: Path) -> None:
    pytest.importorskip("gazex_viewer.core.reading.validation", reason="core.validation (load_reading) not written yet")
    film = tmp_path / "00000001_000.png"
    shutil.copy(shared_file(NIH), film)
    reading = demo_reading(load_radiograph(film))
    reading.save(tmp_path / "reading.json")
    assert window.open_paths([tmp_path / "reading.json"])
    assert window.radiograph.path.name == "00000001_000.png"
    assert window.report_panel.ordered_keys() == ["f-cardio", "f-device", "f-ptx"]


def test_bad_reading_json_is_a_message(window: Any, messages: Any, tmp_path: Path) -> None:
    pytest.importorskip("gazex_viewer.core.reading.validation", reason="core.validation (load_reading) not written yet")
    assert window.open_image(shared_file(NIH))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert not window.open_reading(bad)
    assert messages.errors and str(bad) in messages.errors[0][1]
    assert window.radiograph is not None


# -- settings, help ---------------------------------------------------------------------------------------------
def test_settings_persist(window: Any, qtbot: Any) -> None:
    from gazex_viewer.ui import settings as S

    window.player_bar.set_layers(heatmap=True, labels=False)
    window.controller.set_speed(2.0)
    S.set_value("model/checkpoint", SAMPLE_STUDY)
    window.save_settings()
    again = build_window(qtbot, size=None, show=False)
    assert again.player_bar.layers()["heatmap"] and not again.player_bar.layers()["labels"]
    assert again.controller.playback.speed == 2.0
    assert again.model_panel.checkpoint == SAMPLE_STUDY
    assert not again.model_panel.empty_page.isVisibleTo(again.model_panel)


def test_shortcuts_sheet_lists_the_keys(window: Any, qtbot: Any) -> None:
    dlg = window.show_shortcuts()
    qtbot.addWidget(dlg)
    rows = {dlg.table.item(r, 1).text(): dlg.table.item(r, 2).text() for r in range(dlg.table.rowCount())}
    assert rows["Play / pause"] == "Space"
    assert rows["Run model on this film"] == "F5"
    assert "Ctrl+O" in rows["Open file"]
    assert rows["Show gaze heatmap"] == "H"
    assert len(rows) >= 25


# -- screenshots ----------------------------------------------------------------------------------------------
def test_screenshots(window: Any, qtbot: Any, artifacts_dir: Path) -> None:
    _open_with_reading(window, warnings=["example warning: report truncated at 1024 new tokens"])
    window.player_bar.set_layers(heatmap=True)
    window.selection.select("f-cardio")
    window.player_bar.scrubber.setValue(2400)
    window.report_dock.raise_()  # the review tab came forward to ask the reviewer's name; this shot is the report
    qtbot.wait(50)
    shot = artifacts_dir / "viewer-reading-midplayback.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 50_000
    assert window.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    qtbot.wait(50)
    shot2 = artifacts_dir / "viewer-rg1-film.png"
    assert window.grab().save(str(shot2))
    # the film is not inverted: the canvas centre column (mediastinum) is brighter than the lung fields
    img = window.canvas.image_item.image
    assert img[900:1100, 880:960].mean() > img[700:900, 400:600].mean()


def test_drop_a_film_opens_it(window: Any) -> None:
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(shared_file("dicom/RG1_UNCR.dcm")))])
    ev = QDropEvent(
        QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    window.dropEvent(ev)
    assert window.radiograph is not None and window.radiograph.path.name == "RG1_UNCR.dcm"
    assert window.canvas.image_item.image.shape == (1955, 1841)


def test_the_viewer_refuses_what_validate_refuses(qtbot: Any, messages: Any, tmp_path: Path) -> None:
    """One validator: a reading over the size limits that validate and export refuse is refused on open too."""
    import json

    from gazex_viewer.core.resources import resource_path

    data = json.loads(resource_path("examples", "sample_reading.json").read_text(encoding="utf-8"))
    data["findings"][0]["text"] = "x" * 50_000
    big = tmp_path / "big.reading.json"
    big.write_text(json.dumps(data), encoding="utf-8")
    win = build_window(qtbot, messages, size=None, show=False)
    assert not win.open_reading(big)
    assert messages.errors and "big.reading.json" in messages.errors[-1][1]
