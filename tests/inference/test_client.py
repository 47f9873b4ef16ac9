"""The worker process and its client: load, stream, done, cache, cancel (cooperative and by kill), crash."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import pytest

from gazex_viewer.inference.api import GenerationSettings, JobEvent, ModelSpec
from gazex_viewer.inference.client import InferenceClient
from gazex_viewer.inference.tiny_model import KNOWN_BOXES, KNOWN_REPORT, SAMPLE_IMAGE


class _Events:
    def __init__(self) -> None:
        self.q: queue.Queue[JobEvent] = queue.Queue()
        self.all: list[JobEvent] = []

    def __call__(self, event: JobEvent) -> None:
        self.q.put(event)

    def wait_for(self, pred, timeout: float = 90.0) -> JobEvent:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching event in {timeout} s; got {[(e.kind, e.stage, e.message) for e in self.all]}")
            try:
                ev = self.q.get(timeout=left)
            except queue.Empty:
                continue
            self.all.append(ev)
            if pred(ev):
                return ev


def test_client_reading_cache_and_cancel(tiny_model_dir: Path, tmp_path: Path) -> None:
    events = _Events()
    with InferenceClient(events, cache_dir=tmp_path / "cache") as client:
        client.load(ModelSpec(tiny_model_dir, device="cpu"))
        loaded = events.wait_for(lambda e: e.job_id == 0 and (e.stage == "loaded" or e.kind == "error"))
        assert loaded.kind == "progress" and loaded.message == "tiny-gazex (test model)"

        job = client.run(SAMPLE_IMAGE, GenerationSettings())
        done = events.wait_for(lambda e: e.job_id == job and e.kind in ("done", "error", "cancelled"))
        assert done.kind == "done", done.message
        reading = done.reading
        assert reading is not None and reading.raw_report == KNOWN_REPORT
        assert [f.observation for f in reading.findings] == [obs for _, obs in KNOWN_BOXES.values()]
        job_events = [e for e in events.all if e.job_id == job]
        assert "".join(e.text for e in job_events if e.kind == "text").strip() == KNOWN_REPORT
        assert "cached" not in [e.stage for e in job_events]

        # reopening the same film with the same model and settings comes from the cache
        job2 = client.run(SAMPLE_IMAGE, GenerationSettings())
        done2 = events.wait_for(lambda e: e.job_id == job2 and e.kind in ("done", "error", "cancelled"))
        assert done2.kind == "done"
        assert "cached" in [e.stage for e in events.all if e.job_id == job2]
        # ... as a reading of its own: a fresh id, and a note of the reading it was copied from
        assert done2.reading.reading_id != reading.reading_id
        assert done2.reading.producer.generation["cached_from"]["reading_id"] == reading.reading_id
        assert done2.reading.raw_report == reading.raw_report
        assert not any(e.kind == "text" for e in events.all if e.job_id == job2)

        # a bad input becomes an error event naming the file; the worker keeps running
        bad = tmp_path / "broken.png"
        bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
        job3 = client.run(bad, GenerationSettings())
        err = events.wait_for(lambda e: e.job_id == job3 and e.kind in ("done", "error", "cancelled"))
        assert err.kind == "error" and str(bad) in err.message

        # cancel: the worker answers (cooperatively) before the kill timeout, so no restart
        job4 = client.run(SAMPLE_IMAGE, GenerationSettings(max_new_tokens=64, seed=1, deterministic=False))
        client.cancel(job4)
        end4 = events.wait_for(lambda e: e.job_id == job4 and e.kind in ("done", "error", "cancelled"))
        assert end4.kind == "cancelled"
        assert client.restarts == 0
        assert client.active_job is None


def test_cancel_kills_and_restarts_an_unresponsive_worker(tiny_model_dir: Path, tmp_path: Path) -> None:
    events = _Events()
    with InferenceClient(events, cache_dir=tmp_path / "cache", use_cache=False, cancel_timeout_s=1.0) as client:
        client.load(ModelSpec(tiny_model_dir, device="cpu"))
        events.wait_for(lambda e: e.job_id == 0 and e.stage == "loaded")
        pid = client.worker_pid
        client._send(("stall", 60.0))  # the next job gets stuck, as in a long prefill that cannot be interrupted
        job = client.run(SAMPLE_IMAGE, GenerationSettings())
        events.wait_for(lambda e: e.job_id == job and e.stage == "opening")  # the job is running
        t0 = time.monotonic()
        client.cancel(job)
        end = events.wait_for(lambda e: e.job_id == job and e.kind in ("done", "error", "cancelled"))
        assert end.kind == "cancelled"
        assert 0.9 < time.monotonic() - t0 < 20.0
        assert client.restarts == 1
        # the new worker reloads the model and runs the next job
        events.wait_for(lambda e: e.job_id == 0 and e.stage == "loaded")
        assert client.worker_pid not in (None, pid)
        job2 = client.run(SAMPLE_IMAGE, GenerationSettings())
        done = events.wait_for(lambda e: e.job_id == job2 and e.kind in ("done", "error", "cancelled"))
        assert done.kind == "done" and done.reading.raw_report == KNOWN_REPORT


def test_cancel_of_a_job_waiting_behind_a_load_restarts_nothing(tiny_model_dir: Path, tmp_path: Path) -> None:
    """A job queued while the worker is busy loading is answered ``cancelled`` at once: the busy worker is not
    taken for a hung one, so it is neither killed nor made to load again."""
    events = _Events()
    with InferenceClient(events, cache_dir=tmp_path / "cache", use_cache=False, cancel_timeout_s=1.0) as client:
        client.load(ModelSpec(tiny_model_dir, device="cpu"))
        events.wait_for(lambda e: e.job_id == 0 and e.stage == "loaded")
        pid = client.worker_pid
        client._send(("sleep", 4.0))  # the worker busy outside any job, as in a long model load
        job = client.run(SAMPLE_IMAGE, GenerationSettings())
        client.cancel(job)
        end = events.wait_for(lambda e: e.job_id == job and e.kind in ("done", "error", "cancelled"))
        assert end.kind == "cancelled"
        assert client.active_job is None
        time.sleep(2.0)  # well past the 1 s cancel timeout
        assert client.restarts == 0 and client.worker_pid == pid
        # once the worker is free, the next job runs on the model it already has (no second load)
        job2 = client.run(SAMPLE_IMAGE, GenerationSettings())
        done = events.wait_for(lambda e: e.job_id == job2 and e.kind in ("done", "error", "cancelled"))
        assert done.kind == "done" and done.reading.raw_report == KNOWN_REPORT
        assert [e.stage for e in events.all if e.job_id == 0].count("loaded") == 1
        assert [e.kind for e in events.all if e.job_id == job] == ["cancelled"]  # answered once, never run


def test_worker_crash_becomes_an_error_event(tiny_model_dir: Path, tmp_path: Path) -> None:
    import os
    import signal

    events = _Events()
    with InferenceClient(events, cache_dir=tmp_path / "cache") as client:
        client.load(ModelSpec(tiny_model_dir, device="cpu"))
        events.wait_for(lambda e: e.job_id == 0 and e.stage == "loaded")
        pid = client.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)  # what the kernel's OOM killer does
        crash = events.wait_for(lambda e: e.kind == "error" and e.stage == "crashed")
        assert "stopped unexpectedly (killed (out of memory?))" in crash.message
        # the next request starts a new worker, reloads the model and runs
        job = client.run(SAMPLE_IMAGE, GenerationSettings())
        done = events.wait_for(lambda e: e.job_id == job and e.kind in ("done", "error", "cancelled"))
        assert done.kind == "done" and done.reading.raw_report == KNOWN_REPORT


def test_bad_checkpoint_is_an_error_event(tmp_path: Path) -> None:
    events = _Events()
    with InferenceClient(events, cache_dir=tmp_path / "cache") as client:
        client.load(ModelSpec(tmp_path / "missing"))
        err = events.wait_for(lambda e: e.job_id == 0 and e.kind == "error")
        assert err.message == f"{tmp_path / 'missing'}: checkpoint folder not found"


def test_run_without_model(tmp_path: Path) -> None:
    got: list[JobEvent] = []
    client = InferenceClient(got.append, cache_dir=tmp_path)
    job = client.run(SAMPLE_IMAGE)
    client.close()
    assert [(e.kind, e.job_id, e.message) for e in got] == [("error", job, "no model is loaded")]
    with pytest.raises(RuntimeError):
        client.run(SAMPLE_IMAGE)


def test_a_job_is_sent_the_films_model_input_not_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The open film (or a file, decoded here) becomes its model input in the caller: the worker never decodes."""
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.inference.film_input import FilmInput

    got: list[JobEvent] = []
    client = InferenceClient(got.append, cache_dir=tmp_path)
    sent: list[tuple[object, ...]] = []
    client._spec = ModelSpec(tmp_path / "no-checkpoint")  # unreadable now: every rendering is prepared
    monkeypatch.setattr(client, "_ensure_worker", lambda send_load: None)
    monkeypatch.setattr(client, "_send", sent.append)
    radiograph = load_radiograph(SAMPLE_IMAGE)
    job = client.run(radiograph, GenerationSettings())
    job2 = client.run(SAMPLE_IMAGE, GenerationSettings())
    runs = [m for m in sent if m[0] == "run"]
    assert [m[1] for m in runs] == [job, job2]
    for m in runs:
        film = m[2]
        assert isinstance(film, FilmInput) and film.image == radiograph.image_ref()
        assert sorted(film.pictures) == ["display", "mimic-cxr-jpg"]
    # a film that cannot be read is one error event naming it; nothing is sent
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    job3 = client.run(bad, GenerationSettings())
    assert len([m for m in sent if m[0] == "run"]) == 2
    assert [(e.kind, e.job_id) for e in got if e.job_id == job3] == [("error", job3)]
    assert str(bad) in got[-1].message
    client.close()
