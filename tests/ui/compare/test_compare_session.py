"""Compare mode's wiring on a real window: the agreement of long recordings off the UI thread, side by side, the runner.

Reading A is the UI tests' demo model reading on the real 512 x 512 NIH film; reading B a real radiologist's
GazeSearch fixations (a search for cardiomegaly), laid end to end until A x B is above
:data:`~gazex_viewer.core.gaze.comparison.BACKGROUND_WORK`, so the agreement is computed by
:func:`gazex_viewer.core.gaze.comparison.run` in a worker thread.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.core.gaze.comparison import (
    BACKGROUND_WORK,
    WHOLE_ROWS,
    format_value,
    pair_agreement,
)
from gazex_viewer.core.reading.document import Reading
from tests.conftest import shared_file
from tests.factories import demo_reading
from tests.ui.helpers import NIH, gazesearch_expert


def _expert(tmp_path: Path) -> Reading:
    return gazesearch_expert(tmp_path)[0]


def _long(b: Reading, n: int) -> Reading:
    """``b``'s fixations repeated (each pass 2 px further right) until it holds ``n`` points, one after another."""
    pts, t, k = [], 0.0, 0
    while len(pts) < n:
        for p in b.trajectory:
            d = p.t_end - p.t_start
            pts.append(replace(p, x=min(223.0, p.x + 2.0 * (k % 20)), t_start=t, t_end=t + d))
            t += d
        k += 1
    out = Reading.from_json(b.to_json())
    out.trajectory = pts[:n]
    return out


def _open(window: Any) -> Reading:
    assert window.open_image(shared_file(NIH))
    a = demo_reading(window.radiograph)
    assert window.show_reading(a)
    return a


def test_a_long_recording_is_compared_off_the_ui_thread(window: Any, qtbot: Any, tmp_path: Path) -> None:
    a = _open(window)
    b = _long(_expert(tmp_path), BACKGROUND_WORK // len(a.trajectory) + 1)
    assert len(a.trajectory) * len(b.trajectory) > BACKGROUND_WORK
    session = window.comparisons.start()
    threads: list[str] = []
    session.agreement_ready.connect(lambda _cmp: threads.append(threading.current_thread().name))
    progress: list[float] = []
    session.tasks.progress.connect(progress.append)
    with qtbot.waitSignal(session.agreement_ready, timeout=60_000) as got:
        assert session.set_reading_b(b)
        # the film and both readings are shown at once; the numbers follow
        assert session.comparison is not None and not session.comparison.ready
        assert "computing agreement" in session.panel.whole_title.text()
        assert set(session.panel.shown_whole().values()) == {"…"}
        assert session.overlay_b.reading is session.comparison.b_shown
    cmp = got.args[0]
    assert cmp is session.comparison and cmp.ready
    assert threads == [threading.main_thread().name]  # the result is handed over in the UI thread
    assert progress and progress[-1] == 100.0 and progress == sorted(progress)
    assert session.panel.whole_title.text() == "<b>Whole film</b>"
    whole, per, zones = pair_agreement(a, b)
    shown = session.panel.shown_whole()
    for key in WHOLE_ROWS:
        assert shown[key] == format_value(key, whole[key]), key
    assert [s.text for s in cmp.sentences] == [s.text for s in per] and cmp.zones == zones
    assert not session.tasks.running


def test_a_new_reading_b_discards_the_agreement_still_being_computed(window: Any, qtbot: Any, tmp_path: Path) -> None:
    a = _open(window)
    expert = _expert(tmp_path)
    long_b = _long(expert, BACKGROUND_WORK // len(a.trajectory) + 1)
    session = window.comparisons.start()
    ready: list[Any] = []
    session.agreement_ready.connect(ready.append)
    assert session.set_reading_b(long_b)
    first = session.tasks.state
    assert first is not None and session.tasks.running
    # a short B, compared at once: the long one's task is asked to stop and its result (if any) dropped
    assert session.set_reading_b(expert)
    assert first.is_interruption_requested() and not session.tasks.running
    assert len(ready) == 1 and ready[0].b is expert and ready[0].ready
    assert session.panel.whole_title.text() == "<b>Whole film</b>"
    qtbot.wait(300)
    assert len(ready) == 1 and session.comparison is not None and session.comparison.b is expert
    # ending the comparison while a long one computes: nothing arrives afterwards
    assert session.set_reading_b(long_b)
    state = session.tasks.state
    session.end()
    assert state is not None and state.is_interruption_requested() and session.comparison is None
    assert window.compare_session is None
    qtbot.wait(300)
    assert len(ready) == 1


def test_side_by_side_takes_the_film_area_and_gives_it_back(
    window: Any, qtbot: Any, tmp_path: Path, artifacts_dir: Path
) -> None:
    _open(window)
    window.resize(1280, 800)
    path = tmp_path / "expert.reading.json"
    _expert(tmp_path).save(path)
    session = window.compare_with_reading(path)
    assert session is window.compare_session and session.comparison is not None
    film_area = window.stack
    session.panel.side_radio.setChecked(True)
    qtbot.wait(50)
    assert film_area.parentWidget() is not window.centralWidget() and film_area.isVisible()
    assert session.side_split.isVisible() and session.side_split.parentWidget() is window.centralWidget()
    assert all(h > 200 for h in session.side_split.sizes())  # film A | film B
    shot = artifacts_dir / "compare-side-by-side.png"
    assert window.grab().save(str(shot))
    with pytest.raises(RuntimeError):
        window.take_film_area(session.side_split)  # taken once at a time
    session.end()
    assert film_area.parentWidget() is window.centralWidget() and film_area.isVisible()
    assert not session.side_split.isVisible() or session.side_split.parentWidget() is None
    assert window.compare_session is None


def test_the_runner_hands_over_the_last_result_only(qtbot: Any) -> None:
    from gazex_viewer.ui.compare.tasks import TaskRunner

    runner = TaskRunner()
    gate = threading.Event()
    done: list[object] = []
    failed: list[str] = []
    runner.done.connect(done.append)
    runner.failed.connect(failed.append)

    def slow(x: int, state: Any) -> int:
        gate.wait(5)
        state.set_progress_value(50.0)
        return x

    def quick(x: int, state: Any) -> int:
        state.set_progress_value(100.0)
        return x * 10

    def broken(_x: int, _state: Any) -> int:
        raise ValueError("no agreement here")

    first = runner.start(slow, 1)
    with qtbot.waitSignal(runner.done, timeout=5000):
        runner.start(quick, 2)  # replaces the slow one, which is asked to stop
    assert first.is_interruption_requested() and done == [20]
    gate.set()
    qtbot.wait(200)
    assert done == [20]  # the slow one's 1 never arrives
    with qtbot.waitSignal(runner.failed, timeout=5000):
        runner.start(broken, 3)
    assert failed == ["ValueError: no agreement here"] and not runner.running
    runner.start(quick, 4)
    runner.cancel()
    qtbot.wait(200)
    assert done == [20] and not runner.running


def test_a_runner_deleted_mid_task_is_not_signalled(qtbot: Any) -> None:
    """A window (and its runner) closed while a comparison still runs: the task ends quietly, nothing is called on
    the deleted runner (the task signals its own state, which Qt disconnects from a destroyed receiver)."""
    import shiboken6

    from gazex_viewer.ui.compare.tasks import TaskRunner

    runner = TaskRunner()
    gate = threading.Event()
    ended = threading.Event()

    def slow(x: int, state: Any) -> int:
        gate.wait(5)
        ended.set()
        return x

    state = runner.start(slow, 1)
    seen: list[object] = []
    state.finished.connect(lambda _s, r: seen.append(r))  # the state itself still reports (it outlives the runner)
    shiboken6.delete(runner)
    assert not shiboken6.isValid(runner)
    gate.set()
    assert ended.wait(5)
    qtbot.waitUntil(lambda: seen == [1], timeout=5000)
