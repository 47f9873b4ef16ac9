"""Running the model from the UI with a tiny offline checkpoint: cancel stops the worker, Run streams a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.inference.tiny_model import KNOWN_REPORT
from tests.conftest import SAMPLE_STUDY, shared_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_checkpoint(tiny_model_dir: Path) -> Path:
    return tiny_model_dir


def test_cancel_stops_the_worker_then_run_streams_a_reading(
    run_window: Any, qtbot: Any, tiny_checkpoint: Path, messages: Any, artifacts_dir: Path
) -> None:
    win = run_window
    film = SAMPLE_STUDY / "00000001_000.png"
    assert win.open_image(film)
    assert win.set_checkpoint(tiny_checkpoint), messages.errors
    assert win.model_panel.checkpoint == tiny_checkpoint

    # Run, then Cancel at once: the job ends with "cancelled", the worker has no active job
    win.run_model()
    assert win.job_running and win.model_panel.cancel_button.isEnabled()
    runner = win.runner
    with qtbot.waitSignal(runner.cancelled, timeout=60_000):
        win.cancel_model()
    assert not win.job_running and not runner.busy
    assert runner.client.active_job is None
    assert "Cancelled" in win.model_panel.status_label.text()
    assert win.model_panel.run_button.isEnabled() and not win.model_panel.cancel_button.isEnabled()
    assert win.reading is None

    # Run to the end: progress, streamed text, then the reading in the report panel
    stages: list[tuple[str, int, int]] = []
    runner.progress_changed.connect(lambda s, c, t, _m: stages.append((s, c, t)))
    with qtbot.waitSignal(runner.reading_ready, timeout=180_000):
        win.run_model()
    assert win.reading is not None, messages.errors
    assert win.reading.image.pixel_sha256 == win.radiograph.pixel_sha256
    assert len(win.report_panel.rows) == len(win.reading.sentences) > 0
    assert all(row.isVisible() for row in win.report_panel.rows.values())
    assert win.model_panel.stream.toPlainText().strip() != ""
    assert any(total > 0 for _s, _c, total in stages), stages
    assert "Done" in win.model_panel.status_label.text()
    win.grab().save(str(artifacts_dir / "viewer-model-run.png"))


def test_opening_another_film_cancels_the_stale_job(run_window: Any, qtbot: Any, tiny_checkpoint: Path) -> None:
    win = run_window
    assert win.open_image(SAMPLE_STUDY / "00000001_000.png")
    assert win.set_checkpoint(tiny_checkpoint)
    win.run_model()
    runner = win.runner
    with qtbot.waitSignal(runner.cancelled, timeout=60_000):
        assert win.open_image(shared_file("images/nih/00027426_000.png"))
    assert not win.job_running and runner.client.active_job is None
    qtbot.wait(300)
    assert win.reading is None  # nothing from the stale job reached the new film


def test_a_checkpoint_that_fails_to_load_is_named_and_run_retries_the_load(
    run_window: Any, qtbot: Any, tiny_checkpoint: Path, messages: Any, tmp_path: Path
) -> None:
    """Weights that pass the quick check but do not fit config.json: the panel names the checkpoint folder and
    the real reason (not the film, not "look at the above report"), and the next Run loads again."""
    import json
    import shutil

    ckpt = tmp_path / "mismatched"
    shutil.copytree(tiny_checkpoint, ckpt)
    good_config = (ckpt / "config.json").read_text()
    cfg = json.loads(good_config)
    cfg["text_config"]["intermediate_size"] *= 2  # every MLP weight now has the wrong shape
    (ckpt / "config.json").write_text(json.dumps(cfg))

    win = run_window
    film = SAMPLE_STUDY / "00000001_000.png"
    assert win.open_image(film)
    assert win.set_checkpoint(ckpt), messages.errors  # the quick check passes: the shapes are only seen on load
    win.run_model()
    runner = win.runner
    with qtbot.waitSignal(runner.load_failed, timeout=120_000) as failed:
        pass
    reason = failed.args[0]
    assert reason.startswith(f"{ckpt}: the weights do not fit config.json: 6 tensor(s) of another shape")
    assert "checkpoint [" in reason and "\n" not in reason
    # the run queued behind the load fails with the same reason, not as a problem of the film
    qtbot.waitUntil(lambda: runner.client.active_job is None and not runner.busy, timeout=60_000)
    qtbot.wait(300)
    status = win.model_panel.status_label.text()
    assert str(ckpt) in status and "do not fit config.json" in status, status
    assert str(film) not in status and "no model is loaded" not in status and "above report" not in status
    assert not win.job_running and win.model_panel.run_button.isEnabled()
    assert win.reading is None

    # the user repairs the checkpoint and presses Run again: the load is retried and the reading arrives
    (ckpt / "config.json").write_text(good_config)
    with qtbot.waitSignal(runner.loaded, timeout=120_000):
        with qtbot.waitSignal(runner.reading_ready, timeout=180_000):
            win.run_model()
    assert win.reading is not None, messages.errors
    assert win.reading.raw_report == KNOWN_REPORT
    assert "Done" in win.model_panel.status_label.text()
