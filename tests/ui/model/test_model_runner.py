"""ModelRunner from a Qt event loop: signals on the GUI thread, the event loop never stalls while a job runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")


from gazex_viewer.inference.api import GenerationSettings, ModelSpec
from gazex_viewer.inference.tiny_model import KNOWN_BOXES, KNOWN_REPORT, SAMPLE_IMAGE


def test_model_runner_streams_and_never_stalls_the_event_loop(qtbot, tiny_model_dir: Path, tmp_path: Path) -> None:
    from PySide6.QtCore import QThread, QTimer

    from gazex_viewer.ui.model.runner import ModelRunner

    runner = ModelRunner(cache_dir=tmp_path / "cache", use_cache=False)
    gui_thread = QThread.currentThread()
    threads: list[object] = []
    pieces: list[str] = []
    stages: list[str] = []
    runner.text_streamed.connect(lambda t: (pieces.append(t), threads.append(QThread.currentThread())))
    runner.progress_changed.connect(lambda s, c, n, m: stages.append(s))
    try:
        with qtbot.waitSignal(runner.loaded, timeout=180_000) as loaded:
            runner.load(ModelSpec(tiny_model_dir, device="cpu"))
        assert loaded.args == ["tiny-gazex (test model)"]

        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        qtbot.wait(50)
        with qtbot.waitSignal(runner.reading_ready, timeout=120_000) as ready:
            job = runner.run(SAMPLE_IMAGE, GenerationSettings())
        qtbot.wait(50)
        timer.stop()
        gaps = [b - a for a, b in zip(ticks, ticks[1:])]
        worst_ms = 1000 * max(gaps)
        print(f"\nlargest event-loop stall while a job ran: {worst_ms:.1f} ms over {len(ticks)} ticks (goal < 50 ms)")
        assert len(ticks) > 10
        # measured 6-21 ms on the 2-core machine; 100 ms leaves room for a busy CI runner, not for a real stall
        assert worst_ms < 100, f"the event loop stalled {worst_ms:.1f} ms while a job ran"

        reading = ready.args[0]
        assert job >= 1 and runner.current_job is None and not runner.busy
        assert reading.raw_report == KNOWN_REPORT
        assert [f.observation for f in reading.findings] == [obs for _, obs in KNOWN_BOXES.values()]
        assert "".join(pieces).strip() == KNOWN_REPORT
        assert threads and all(t is gui_thread for t in threads)
        assert "report" in stages and "grounding" in stages

        # cancel right after starting: cancelled() arrives, reading_ready does not
        got_reading: list[object] = []
        runner.reading_ready.connect(got_reading.append)
        with qtbot.waitSignal(runner.cancelled, timeout=60_000):
            runner.run(SAMPLE_IMAGE, GenerationSettings(max_new_tokens=64))
            runner.cancel()
        qtbot.wait(200)
        assert got_reading == []
        assert runner.client.restarts == 0

        # a bad film: failed() with the file and the reason
        bad = tmp_path / "bad.png"
        bad.write_bytes(b"nothing")
        with qtbot.waitSignal(runner.failed, timeout=60_000) as failed:
            runner.run(bad)
        assert str(bad) in failed.args[0]
    finally:
        runner.shutdown()
