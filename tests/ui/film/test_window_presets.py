"""Chest window presets from the film's histogram, user presets, and drag sensitivity scaled to the value range."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.imaging.window_presets import chest_presets, drag_steps
from tests.conftest import SAMPLE_STUDY, shared_file


def test_chest_presets_follow_displayed_brightness() -> None:
    png = chest_presets(load_radiograph(SAMPLE_STUDY / "00000001_000.png"))  # MONOCHROME2: high values bright
    by = {p.name: p for p in png}
    assert list(by) == ["Lung", "Mediastinum", "Bone", "Soft tissue"]
    assert by["Lung"].center < by["Mediastinum"].center < by["Bone"].center
    rg1 = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))  # MONOCHROME1: high values dark
    by1 = {p.name: p for p in chest_presets(rg1)}
    assert by1["Lung"].center > by1["Mediastinum"].center > by1["Bone"].center
    lo, hi = np.percentile(rg1.modality, [1, 99])
    assert all(lo <= p.center <= hi for p in by1.values())
    # rendered: more contrast than the header's wide window; the bone window blacks out the aerated lung
    default_std = rg1.render().std()
    assert rg1.render(window=by1["Lung"]).std() > 1.5 * default_std
    assert (rg1.render(window=by1["Bone"]) < 40).mean() > 0.5 > (rg1.render(window=by1["Lung"]) < 40).mean()
    assert "histogram" in (by1["Lung"].explanation or "")


def test_a_drag_across_the_whole_view_spans_the_whole_range() -> None:
    assert drag_steps((874.0, 26479.0), 800, 640) == (25605.0 / 800, 25605.0 / 640)


@pytest.fixture
def win(make_window: Any) -> Any:
    return make_window()


def test_drag_on_rg1_is_proportionate(win: Any) -> None:
    assert win.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    c0, w0 = win.canvas.window
    lo, hi = win.canvas._modality_range()
    h = win.canvas.viewport().height()
    win.canvas._on_window_drag(0.0, 100.0, False)  # 100 px down
    c1, w1 = win.canvas.window
    assert w1 == w0 and c1 - c0 == pytest.approx((hi - lo) * 100 / h)


def test_chest_and_user_presets_in_the_menu(win: Any) -> None:
    assert win.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    texts = [a.text() for a in win.presets_menu.actions()]
    assert texts[0] == "Chest (from this film's histogram):" and texts[1].startswith("Lung  (C ")
    lung = next(a for a in win.presets_menu.actions() if a.text().startswith("Lung"))
    lung.trigger()
    assert win.canvas.window_name == "Lung"
    win.canvas.set_window((12345.0, 6789.0))
    assert win.presets.save_user_preset("My chest")
    assert win.presets.user_presets() == {"My chest": (12345.0, 6789.0)}
    mine = next(a for a in win.presets_menu.actions() if a.text().startswith("My chest"))
    win.presets.reset()
    mine.trigger()
    assert win.canvas.window == (12345.0, 6789.0)


def test_heatmap_colour_map_keeps_the_anatomy_visible() -> None:
    from gazex_viewer.ui.film.canvas import HEAT_LUT

    assert HEAT_LUT.shape == (256, 4) and HEAT_LUT[0, 3] == 0
    assert HEAT_LUT[:, 3].max() <= int(0.4 * 255) + 1  # never more than 40% opaque
    assert np.all(np.diff(HEAT_LUT[:, 3].astype(int)) >= 0)  # more gaze, more colour
