"""Trainee mode driven through the real widgets on the real NIH film (pytest-qt, offscreen).

The trainee clicks the film with the mouse (real events through the canvas), types a sentence, then
reveals: the score shown must equal core's ``score_trainee`` on the same clicks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt

from gazex_viewer.core.gaze.importers import import_gazesearch
from gazex_viewer.core.gaze.trainee import score_trainee, trainee_reading
from gazex_viewer.core.reading.document import Reading
from tests.conftest import shared_file
from tests.factories import demo_reading
from tests.ui.helpers import click_film

NIH = "images/nih/00000001_000.png"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _start(window: Any, *, with_reading: bool = True) -> tuple[Any, FakeClock, Reading | None]:
    from gazex_viewer.ui.trainee.mode import TraineeMode

    assert window.open_image(shared_file(NIH))
    model = None
    if with_reading:
        model = demo_reading(window.radiograph)
        assert window.show_reading(model)
    clock = FakeClock()
    mode = TraineeMode(window.workspace, window.action_registry, window, window.comparisons, clock=clock)
    assert mode.start()
    return mode, clock, model


def _mark_heart(qtbot: Any, window: Any, mode: Any, clock: FakeClock) -> None:
    clock.now = 101.5
    click_film(qtbot, window, 205, 331)  # inside the model's first cardiac clue box
    clock.now = 102.0
    click_film(qtbot, window, 345, 345)  # inside the second
    qtbot.keyClicks(mode.panel.sentence_edit, "enlarged cardiac silhouette")
    qtbot.keyClick(mode.panel.sentence_edit, Qt.Key.Key_Return)


def test_trainee_mode_hides_the_model_and_records_clicks(window: Any, qtbot: Any) -> None:
    mode, clock, _model = _start(window)
    assert window.canvas.reading is None  # no model regions, no trajectory, no heatmap
    assert not window.report_dock.isVisible() and not window.player_bar.isVisible()
    assert mode.dock.isVisible()
    # the layer keys cannot bring the model back
    for key in (Qt.Key.Key_G, Qt.Key.Key_T, Qt.Key.Key_H):
        qtbot.keyClick(window, key)
    assert window.canvas.reading is None and window.canvas.finding_at(205, 331) is None
    assert not window.canvas.path_item.isVisible()
    _mark_heart(qtbot, window, mode, clock)
    clicks = mode.recorder.clicks
    assert len(clicks) == 2
    assert (clicks[0].x, clicks[0].y) == pytest.approx((205, 331), abs=1.0)
    assert (clicks[1].x, clicks[1].y) == pytest.approx((345, 345), abs=1.0)
    assert [c.t for c in clicks] == [1.5, 2.0]
    assert [c.sentence for c in clicks] == [0, 0]  # the marks made before the sentence belong to it
    assert mode.recorder.sentences == ["enlarged cardiac silhouette"]
    assert mode.panel.sentence_list.item(0).text().endswith("(2 marks)")
    # the trainee's reading holds each click as a fixation of that sentence's finding
    r = mode.recorder.reading(window.radiograph.image_ref())
    fid = r.findings[0].id
    assert [(round(p.x), round(p.y), p.t_start, p.finding_id, p.kind) for p in r.trajectory] == [
        (round(clicks[0].x), round(clicks[0].y), 1.5, fid, "fixation"),
        (round(clicks[1].x), round(clicks[1].y), 2.0, fid, "fixation"),
    ]
    # a click off the film is not a mark; undo removes the last mark
    assert mode.record_click(-5, 10) is None
    clock.now = 103.0
    click_film(qtbot, window, 100, 100)
    assert len(mode.recorder.clicks) == 3 and mode.recorder.clicks[-1].sentence is None
    mode.panel.undo_button.click()
    assert len(mode.recorder.clicks) == 2


def test_reveal_shows_the_score_then_the_reference(window: Any, qtbot: Any) -> None:
    from gazex_viewer.core.gaze.trainee import score_rows

    mode, clock, model = _start(window)
    _mark_heart(qtbot, window, mode, clock)
    assert mode.panel.reference is model
    mode.panel.reveal_button.click()
    expected = score_trainee(
        trainee_reading(mode.recorder.clicks, mode.recorder.sentences, window.radiograph.image_ref()), model
    )
    shown = mode.panel.shown_score()
    assert shown == {name: value for name, value, _tip in score_rows(expected)}
    # the model's regions: 2 cardiac clues, the device box, the pneumothorax box; both marks hit cardiac clues
    assert shown["Regions found"] == "50 %"
    assert shown["Marks on target"] == "100 %"
    assert shown["Agreed"] == "Cardiomegaly" and shown["Missed"] == "Support Devices"
    assert shown["Finding recall"] == "50 %" and shown["Finding precision"] == "100 %"
    # revealed: the model is on the film again, the report and the player are back, the marks stay drawn
    assert window.canvas.reading is model
    assert window.report_dock.isVisible() and window.player_bar.isVisible()
    assert mode._overlay is not None
    assert mode._overlay.trail_positions() == pytest.approx(np.array([[c.x, c.y] for c in mode.recorder.clicks]))
    assert not mode.panel.reveal_button.isEnabled()
    mode.leave()
    assert not mode.dock.isVisible() and window.canvas.reading is model


def test_score_against_an_expert_reading_from_a_file(window: Any, qtbot: Any, messages: Any, tmp_path: Path) -> None:
    mode, clock, _ = _start(window, with_reading=False)
    assert mode.panel.reference is None
    clock.now = 101.0
    click_film(qtbot, window, 300, 350)
    mode.panel.reveal_button.click()
    assert "Choose a reference" in mode.panel.message.text() and mode.score is None
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert not mode.add_reference_file(bad)
    assert str(bad) in messages.errors[-1][1]
    raw = json.loads(shared_file("gaze/gazesearch_scanpaths.json").read_text())[:3]
    src = tmp_path / "sp.json"
    src.write_text(json.dumps(raw))
    expert = import_gazesearch(src)[2]
    path = tmp_path / "expert.reading.json"
    expert.save(path)
    assert mode.add_reference_file(path)
    assert mode.panel.reference_combo.currentText().startswith("Expert: GazeSearch")
    qtbot.keyClicks(mode.panel.sentence_edit, "heart size is enlarged")
    qtbot.keyClick(mode.panel.sentence_edit, Qt.Key.Key_Return)
    score = mode.reveal()
    loaded = Reading.from_json(path.read_text())
    expected = score_trainee(trainee_reading(mode.recorder.clicks, mode.recorder.sentences, window.radiograph.image_ref()), loaded)
    assert score is not None and score.agreement.keys() == expected.agreement.keys()
    assert score.regions_found == expected.regions_found and score.findings_missed == expected.findings_missed
    # the expert's reading is revealed on the film, scaled from its 224 frame to the 512 film
    shown = window.canvas.reading
    assert shown is not None and shown.producer.dataset == "GazeSearch"
    assert shown.trajectory[0].x == pytest.approx(raw[2]["X"][0] * 512 / 224)
    assert any("scaled from GazeSearch" in w for w in shown.warnings)


def test_screenshot_trainee_score_after_reveal(window: Any, qtbot: Any, artifacts_dir: Path) -> None:
    mode, clock, _model = _start(window)
    mode.panel.name_edit.setText("A. Trainee")
    _mark_heart(qtbot, window, mode, clock)
    clock.now = 104.0
    click_film(qtbot, window, 110, 150)
    qtbot.keyClicks(mode.panel.sentence_edit, "right upper zone opacity")
    qtbot.keyClick(mode.panel.sentence_edit, Qt.Key.Key_Return)
    shot0 = artifacts_dir / "trainee-marking.png"
    assert window.grab().save(str(shot0))
    mode.panel.reveal_button.click()
    window.controller.seek(1.5)
    qtbot.wait(50)
    shot = artifacts_dir / "trainee-score-after-reveal.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 20_000


def test_review_keys_are_off_while_recording(window: Any, qtbot: Any) -> None:

    from gazex_viewer.ui.trainee.mode import TraineeMode

    # the review workflow's actions (accept, reject, ...) are the registry's "Review" group
    act = window.action_registry["Accept finding"]
    assert act in window.action_registry.group("Review") and act.isEnabled()
    accepted: list[bool] = []
    act.triggered.connect(lambda: accepted.append(True))
    assert window.open_image(shared_file(NIH))
    assert window.show_reading(demo_reading(window.radiograph))
    mode = TraineeMode(window.workspace, window.action_registry, window, window.comparisons, clock=FakeClock())
    assert mode.start()
    assert not act.isEnabled()
    act.trigger()
    assert accepted == []
    assert not any(a.isEnabled() for a in window.action_registry.group("Review"))
    mode.leave()
    assert act.isEnabled()
    act.trigger()
    assert accepted == [True]
