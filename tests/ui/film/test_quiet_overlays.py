"""Quiet overlays (issue 17): only the focused finding's regions in full colour, the rest faint unless
View > Show all regions is on; an overlay opacity control fades regions, labels and heatmap, never the film."""

from __future__ import annotations

from typing import Any

from gazex_viewer.core.resources import resource_path
from gazex_viewer.ui import settings as S
from tests.conftest import SAMPLE_STUDY


def _open(window: Any) -> Any:
    assert window.open_paths([SAMPLE_STUDY / "00000001_000.png", resource_path("examples", "sample_reading.json")])
    return window


def test_regions_are_faint_until_a_finding_is_selected(window: Any) -> None:
    win = _open(window)
    ids = list(win.canvas._regions)
    assert len(ids) >= 2
    win.selection.clear()
    assert not win.overlay_controls.show_all_action.isChecked()  # quiet is the default
    assert all(win.canvas.region_alpha(f) < 128 for f in ids)
    win.selection.select(ids[0])
    assert win.canvas.region_alpha(ids[0]) == 255
    assert all(win.canvas.region_alpha(f) < 128 for f in ids[1:])


def test_show_all_regions_draws_every_region_in_full_colour_and_is_remembered(window: Any) -> None:
    win = _open(window)
    ids = list(win.canvas._regions)
    win.selection.clear()
    win.overlay_controls.show_all_action.trigger()
    assert all(win.canvas.region_alpha(f) == 255 for f in ids)
    assert S.get_bool("layers/show_all_regions", False) is True
    # a selection still quiets the others
    win.selection.select(ids[0])
    assert win.canvas.region_alpha(ids[1]) < 128
    win.overlay_controls.show_all_action.trigger()
    win.selection.clear()
    assert all(win.canvas.region_alpha(f) < 128 for f in ids)


def test_overlay_opacity_fades_regions_labels_and_heatmap_not_the_film(window: Any) -> None:
    win = _open(window)
    fid = next(iter(win.canvas._regions))
    win.player_bar.set_layers(heatmap=True)
    win.overlay_controls.slider.setValue(40)
    rect = win.canvas._regions[fid].rects[0]
    label = win.canvas._regions[fid].labels[0]
    assert abs(rect.opacity() - 0.4) < 1e-6
    assert label.opacity() <= 0.4 + 1e-6
    assert abs(win.canvas.heatmap_item.opacity() - 0.4) < 1e-6
    assert win.canvas.image_item.opacity() == 1.0
    assert abs(S.get_float("layers/overlay_opacity", 1.0) - 0.4) < 1e-6
    win.overlay_controls.step_opacity(-1)
    win.overlay_controls.step_opacity(-1)
    win.overlay_controls.step_opacity(-1)  # clamps at 10 %: O hides overlays, the slider only fades them
    assert abs(win.canvas.overlay_opacity - 0.1) < 1e-6
    win.overlay_controls.step_opacity(1)
    assert abs(rect.opacity() - 0.2) < 1e-6
