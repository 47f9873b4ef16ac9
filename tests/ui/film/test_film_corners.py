"""Film corners and orientation markers as a PACS viewer shows them; one key hides every overlay."""

from __future__ import annotations

from typing import Any

import pytest

from gazex_viewer.core.imaging.film_annotations import orientation_markers
from gazex_viewer.core.resources import resource_path
from tests.conftest import SAMPLE_STUDY, shared_file


def test_orientation_from_patient_orientation_and_from_a_frontal_view() -> None:
    m = orientation_markers(["L", "F"], "PA")
    assert (m.left, m.right, m.top, m.bottom, m.source) == ("R", "L", "H", "F", "PatientOrientation")
    m = orientation_markers(["P", "FL"], None)  # a lateral: row towards the back, column down and left
    assert (m.left, m.right, m.top, m.bottom) == ("A", "P", "HR", "FL")
    m = orientation_markers(None, "AP")
    assert (m.left, m.right, m.source) == ("R", "L", "AP view position")
    assert orientation_markers(None, "LL") is None and orientation_markers(["X", "Y"], None) is None


@pytest.fixture
def win(make_window: Any) -> Any:
    return make_window()


def test_rg1_corners_and_markers(win: Any, artifacts_dir: Any) -> None:
    assert win.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    if not win.corners.visible:
        win.toggle_corners()
    t = win.corners.texts()
    assert t["top_left"][0] == "CompressedSamples, RG1" and "born 1940-03-05 Female" in t["top_left"]
    assert t["top_right"][0] == "2004-08-26 18:50" and "PA CR" in t["top_right"]
    assert t["bottom_left"][0].startswith("C 15000  W 30000")
    assert t["bottom_right"][0] == "spacing unknown"  # RG1's PixelSpacing is 0\0: never shown as a length
    assert {k: lab.text() for k, lab in win.corners.markers.items()} == {"left": "R", "right": "L", "top": "H",
                                                                          "bottom": "F"}
    assert all(lab.isVisible() for lab in win.corners.markers.values())
    # the window follows
    win.canvas.set_window((12000.0, 8000.0))
    assert win.corners.labels["bottom_left"].text().startswith("C 12000  W 8000")
    win.grab().save(str(artifacts_dir / "viewer-rg1-corners.png"))
    # C hides them; O hides every overlay and brings them back as they were
    win.toggle_corners()
    assert not any(lab.isVisible() for lab in win.corners.labels.values())
    win.toggle_corners()
    assert win.corners.labels["top_left"].isVisible()


def test_one_key_hides_every_overlay_and_back(win: Any) -> None:
    assert win.open_paths([SAMPLE_STUDY / "00000001_000.png", resource_path("examples", "sample_reading.json")])
    before = win.player_bar.layers()
    win.toggle_all_overlays()
    assert not any(win.player_bar.layers()[k] for k in ("regions", "trajectory", "heatmap", "labels"))
    assert not win.corners.labels["top_left"].isVisible()
    win.toggle_all_overlays()
    assert win.player_bar.layers() == before
    assert win.corners.labels["top_left"].text() == "Patient unknown (not DICOM)"
