"""Ask the film and ground a finding from the viewer, with the tiny checkpoint through the real worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.inference.tiny_model import KNOWN_BOXES
from tests.conftest import SAMPLE_STUDY

pytestmark = pytest.mark.slow


def test_ask_and_ground_from_the_viewer(
    run_window: Any, qtbot: Any, tiny_model_dir: Path, messages: Any, artifacts_dir: Path
) -> None:
    win = run_window
    assert win.open_image(SAMPLE_STUDY / "00000001_000.png")
    # no model yet: a clear line on the panel, nothing runs
    assert not win.ask.ask("Is there a pneumothorax?")
    assert win.ask_panel.status.text() == "Open a film and run the model first."
    assert win.set_checkpoint(tiny_model_dir), messages.errors
    with qtbot.waitSignal(win.jobs.ensure_runner().reading_ready, timeout=180_000):
        win.run_model()
    assert win.reading is not None and not win.reading.queries

    # where does the model see the first finding? (the radiologist's words go into the grounding prompt)
    first = win.reading.findings[0]
    win.selection.select(first.id)
    with qtbot.waitSignal(win.runner.query_ready, timeout=120_000):
        assert win.ground_selected_finding()
    q = win.reading.queries[-1]
    assert q.kind == "grounding" and q.finding_id == first.id and q.prompt == first.text
    clues, obs = KNOWN_BOXES[first.text]
    assert q.findings[0].observation == obs and q.findings[0].clues == clues
    assert first.observation == obs  # the report's own finding is untouched: the answer is kept apart
    assert len(win.ask.overlay.region_rects()) == 1 + len(clues)  # drawn on the film in the answer colour
    assert win.ask_panel.answers.count() == 1
    assert win.ask_panel.answers.item(0).text().startswith("Where: Enlarged cardiac silhouette.")
    assert "Model output" in win.ask_panel.answers.item(0).text()

    # a question: the answer is model output, kept in the reading's queries, never a report sentence
    n_sentences = len(win.reading.sentences)
    win.ask_panel.question.setText("Is there a pneumothorax? Where?")
    with qtbot.waitSignal(win.runner.query_ready, timeout=120_000):
        win.ask_panel.ask_button.click()
    q2 = win.reading.queries[-1]
    assert q2.kind == "question" and q2.prompt == "Is there a pneumothorax? Where?"
    assert len(win.reading.sentences) == n_sentences
    assert win.ask_panel.answers.count() == 2
    assert win.ask_panel.answers.item(0).text().startswith("Q: Is there a pneumothorax? Where?")
    assert all(f.text not in win.ask_panel.answers.item(0).text() for f in q2.findings if f.unreadable)
    assert win.ask_panel.status.text().startswith("Model output below: not part of the report.")
    assert messages.errors == []
    win.grab().save(str(artifacts_dir / "viewer-ask-the-film.png"))

    # a new film forgets the drawn answer
    assert win.open_image(SAMPLE_STUDY / "00000001_000.png")
    assert win.ask.overlay.region_rects() == [] and win.ask_panel.answers.count() == 0


def test_export_video_from_the_viewer(make_window: Any, messages: Any, tmp_path: Path) -> None:
    import cv2

    from gazex_viewer.core.resources import resource_path

    win = make_window(size=None, show=False)
    assert not win.documents.export_video(tmp_path / "none.mp4")  # nothing open: a message, no file
    assert messages.errors and not (tmp_path / "none.mp4").exists()
    messages.errors.clear()
    assert win.open_paths([SAMPLE_STUDY / "00000001_000.png", resource_path("examples", "sample_reading.json")])
    win.controller.set_speed(2.0)
    out = tmp_path / "teach.mp4"
    assert win.documents.export_video(out), messages.errors
    cap = cv2.VideoCapture(str(out))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    cap.release()
    import math

    assert n == math.ceil(win.reading.duration / 2.0 * 10) + 1  # at the player's speed
