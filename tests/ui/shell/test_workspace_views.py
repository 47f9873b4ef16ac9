"""The views follow the one Workspace: nobody pushes the film or the reading to them."""

from __future__ import annotations

from typing import Any

import pytest

from gazex_viewer.core.imaging.files import load_radiograph
from tests.conftest import SAMPLE_STUDY, shared_file
from tests.factories import demo_reading

pytest.importorskip("pytestqt")


def test_a_film_set_on_the_workspace_reaches_every_view(window: Any) -> None:
    rg = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    assert window.stack.currentWidget() is window.empty_page
    window.workspace.set_radiograph(rg)  # not through the window: the views must follow on their own
    assert window.canvas.radiograph is rg and window.canvas._display is not None
    assert window.corners.radiograph is rg and any(window.corners.texts().values())
    assert "RG1_UNCR.dcm" in window.metadata_label.text()
    assert window.stack.currentWidget() is window.canvas and window.player_bar.isVisible()
    assert len(window.presets.chest_presets) == 4  # the presets menu was rebuilt for this film
    assert len(window.controller.playback) == 0 and window.workspace.playback is window.controller.playback
    assert not window.model_panel.compact
    # a second film replaces the first everywhere
    other = load_radiograph(SAMPLE_STUDY / "00000001_000.png")
    window.workspace.set_radiograph(other)
    assert window.canvas.radiograph is other and window.corners.radiograph is other
    assert "00000001_000.png" in window.metadata_label.text()


def test_a_reading_set_on_the_workspace_reaches_the_report_and_panels(window: Any) -> None:
    assert window.open_image(SAMPLE_STUDY / "00000001_000.png")
    reading = demo_reading(window.radiograph)
    window.workspace.set_reading(reading)
    assert window.report_panel.reading is reading
    assert set(window.report_panel.ordered_keys()) == {"f-cardio", "f-device", "f-ptx"}
    assert window.model_panel.compact
    window.workspace.set_reading(None)
    assert window.report_panel.reading is None and window.report_panel.ordered_keys() == []


def test_show_reading_makes_it_the_workspace_reading_and_a_new_film_clears_it(window: Any) -> None:
    assert window.open_image(SAMPLE_STUDY / "00000001_000.png")
    seen: list[Any] = []
    window.workspace.reading_changed.connect(seen.append)
    reading = demo_reading(window.radiograph)
    assert window.show_reading(reading)
    # the review resumes the reading from its database (a stored copy): the workspace holds that one copy
    shown = window.workspace.reading
    assert shown is not None and shown.reading_id == reading.reading_id
    assert window.reading is shown and window.report_panel.reading is shown
    assert window.canvas.reading is not None and set(window.canvas._regions) == {"f-cardio", "f-device", "f-ptx"}
    assert window.workspace.playback is window.controller.playback and len(window.controller.playback) == 5
    assert window.open_image(SAMPLE_STUDY / "00000001_000.png")
    assert window.workspace.reading is None and window.report_panel.reading is None and seen[-1] is None
    assert window.canvas.reading is None and len(window.controller.playback) == 0
