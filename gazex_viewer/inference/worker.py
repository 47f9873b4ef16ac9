"""The model worker process: one loaded model, one job at a time, commands and events over a Pipe.

Messages from the client (tuples): ``("load", ModelSpec)``, ``("run", job_id, FilmInput, GenerationSettings, JobTask |
None)`` (None: a reading; the film's model input and identity, :mod:`gazex_viewer.inference.film_input`, never a path
to decode again), ``("cancel", job_id | None)``, ``("unload",)``, ``("quit",)``, and for tests ``("sleep", seconds)``,
which blocks the worker outside any job (like a long load), and ``("stall", seconds)``, which makes the next job block
once started, like an uninterruptible prefill. A job cancelled while queued is answered at once. Messages to
the client: ``("event", JobEvent)``.

A reader thread receives commands while the main thread runs a job, so ``cancel`` sets the running job's flag at
once and generation stops within one token. The backend comes from :mod:`gazex_viewer.inference.registry`; each job
runs the GazeX protocol (:mod:`gazex_viewer.inference.protocol`) over it. torch is imported only in this process, by
the backend.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from gazex_viewer.core.errors import GazeXError, InferenceError
from gazex_viewer.inference import protocol
from gazex_viewer.inference.api import GenerationSettings, JobEvent, JobTask, ModelSpec
from gazex_viewer.inference.backend import Backend
from gazex_viewer.inference.film_input import FilmInput, FilmLike, film_input, film_name
from gazex_viewer.inference.job import JobCancelled, JobControl
from gazex_viewer.inference.registry import backend_name_for, make_backend

__all__ = ["Worker", "backend_name_for", "make_backend", "worker_main"]


class Worker:
    """Runs inside the worker process (or in-process for the command line and tests)."""

    def __init__(self, emit: Any, *, cache_dir: str | Path | None = None, use_cache: bool = True) -> None:
        from gazex_viewer.inference.cache import ReadingCache

        self.emit = emit
        self.backend: Backend | None = None
        self.cache = ReadingCache(cache_dir) if use_cache else None
        self.current: JobControl | None = None
        #: why the last load failed (one line naming the checkpoint folder), None after a successful load
        self.load_error: str | None = None
        #: jobs received but not started (queued behind a load or another job)
        self.queued_ids: set[int] = set()
        #: queued jobs cancelled (and already answered): skipped silently when their turn comes
        self.cancelled_ids: set[int] = set()
        #: tests: the next job blocks this long once started, like a prefill that cannot be interrupted
        self.stall_next_s = 0.0
        self._lock = threading.Lock()

    # -- commands ------------------------------------------------------------------------------
    def queued(self, job_id: int) -> None:
        """Note a job received while another command (a load, a job) still runs."""
        with self._lock:
            self.queued_ids.add(job_id)

    def cancel(self, job_id: int | None) -> None:
        """Set the cancel flag of the running job; a queued job is answered ``cancelled`` at once.

        A job waiting behind a model load is not running: answering it at once means the client never
        mistakes the busy worker for a hung one (and never kills and restarts it, nor the load).
        """
        answer = False
        with self._lock:
            ctl = self.current
            if ctl is not None and (job_id is None or ctl.job_id == job_id):
                ctl.cancel_event.set()
            elif job_id is not None and job_id in self.queued_ids:
                self.queued_ids.discard(job_id)
                self.cancelled_ids.add(job_id)
                answer = True
        if answer:
            self.emit(JobEvent(kind="cancelled", job_id=job_id or 0, stage="cancelled", message="cancelled"))

    def load(self, spec: ModelSpec, backend_name: str | None = None) -> None:
        """Load a checkpoint; on failure emit one ``error`` event (job 0, stage ``"loading"``) naming the folder.

        Without ``backend_name``: the one the spec names (:func:`~gazex_viewer.inference.registry.backend_name_for`).
        """
        control = JobControl(0, emit=self.emit)
        self.load_error = None
        if backend_name is None:
            backend_name = backend_name_for(spec)
        try:
            if self.backend is not None:
                self.backend.unload()
            self.backend = make_backend(backend_name)
            self.backend.load(spec, control)
        except GazeXError as err:
            self.backend = None
            self.load_error = str(err)
        except Exception as exc:  # noqa: BLE001 - never let the worker die on a bad checkpoint
            self.backend = None
            first = (str(exc).strip().splitlines() or [""])[0]
            self.load_error = str(InferenceError(spec.model_dir, f"cannot load ({exc.__class__.__name__}: {first})"))
        if self.load_error is not None:
            self.emit(JobEvent(kind="error", job_id=0, stage="loading", message=self.load_error))

    def unload(self) -> None:
        if self.backend is not None:
            self.backend.unload()
        self.backend = None

    def run(self, job_id: int, film: FilmLike, settings: GenerationSettings, task: JobTask | None = None) -> None:
        """Run one job on ``film`` (a :class:`FilmInput`; an open film or a file, for in-process callers, is made
        into one here) and emit its final event (``done``, ``error`` or ``cancelled``)."""
        control = JobControl(job_id, emit=self.emit)
        with self._lock:
            self.queued_ids.discard(job_id)
            if job_id in self.cancelled_ids:  # cancelled while queued, and answered then
                self.cancelled_ids.discard(job_id)
                return
            self.current = control
        where = film_name(film)
        try:
            backend = self._backend_or_error(where)
            lm = backend.loaded
            assert lm is not None
            control.progress("opening", message=f"opening {Path(where).name}")
            if self.stall_next_s > 0:
                stall, self.stall_next_s = self.stall_next_s, 0.0
                time.sleep(stall)
            film = film_input(film, (lm.info.model_input,))
            control.check()
            if task is not None:
                query = self._run_task(backend, control, film, settings, task)
            else:
                reading = self._run(backend, control, film, settings)
        except JobCancelled:
            self.emit(JobEvent(kind="cancelled", job_id=job_id, stage="cancelled", message="cancelled"))
        except GazeXError as err:
            self.emit(JobEvent(kind="error", job_id=job_id, stage="error", message=str(err)))
        except Exception as exc:  # noqa: BLE001 - an internal error must not kill the worker
            traceback.print_exc()
            self.emit(JobEvent(kind="error", job_id=job_id, stage="error", message=f"{where}: internal error ({exc})"))
        else:
            if task is not None:
                self.emit(JobEvent(kind="done", job_id=job_id, stage="done", query=query))
            else:
                self.emit(JobEvent(kind="done", job_id=job_id, stage="done", reading=reading))
        finally:
            with self._lock:
                self.current = None
                self.cancelled_ids.discard(job_id)

    def _backend_or_error(self, where: str) -> Backend:
        backend = self.backend
        if backend is None or backend.loaded is None:
            if self.load_error is not None:  # say why: the checkpoint, not the film, is the problem
                raise InferenceError(None, self.load_error)
            raise InferenceError(where, "no model is loaded")
        return backend

    def _run_task(
        self, backend: Backend, control: JobControl, film: FilmInput, settings: GenerationSettings, task: JobTask
    ) -> Any:
        """A ``ground`` or ``ask`` job: the answer as a ModelQuery (not cached: it is asked once)."""
        from gazex_viewer.core.reading.document import ModelQuery

        lm = backend.loaded
        assert lm is not None
        picture = film.picture(lm.info.model_input)
        if task.kind == "ask":
            return protocol.ask_question(backend, picture, film.image, task.question, settings, control)
        if task.kind == "ground":
            findings = protocol.ground_sentences(backend, picture, film.image, task.sentences, settings, control)
            return ModelQuery(
                kind="grounding",
                prompt=" ".join(f.text for f in findings),
                answer="\n".join(f.raw_grounding or "" for f in findings),
                findings=findings,
                finding_id=task.finding_id,
                producer={**protocol.describe_dict(backend.describe()), "generation": settings.effective()},
                warnings=[w for f in findings for w in f.warnings],
            )
        raise InferenceError(film.name, f"unknown job kind {task.kind!r}")

    def _run(self, backend: Backend, control: JobControl, film: FilmInput, settings: GenerationSettings) -> Any:
        """A reading: from the cache when this film, model and settings were read before, else the GazeX protocol."""
        from gazex_viewer.inference.cache import (
            display_sha256,
            reading_cache_key,
            reopened,
        )

        lm = backend.loaded
        assert lm is not None
        # the 8-bit input the model is given (its hash is part of the key)
        display = film.picture(lm.info.model_input)
        key = reading_cache_key(
            pixel_sha256=film.image.pixel_sha256,
            display_sha256=display_sha256(display),
            checkpoint_sha256=lm.checkpoint_sha256,
            adapter_sha256=lm.adapter_sha256,
            processor_sha256=lm.processor_sha256,
            frame=lm.info.coordinate_frame,
            max_pixels=lm.info.max_pixels,
            dtype=lm.dtype,
            device=lm.device,
            settings=settings,
            extra={"model_input": lm.info.model_input, "prompts": lm.info.prompts.record()},
        )
        if self.cache is not None:
            cached = self.cache.get(key)
            if cached is not None:
                control.progress("cached", message="reading from the cache")
                # a new reading of this film (a copy, another DICOM instance): its own id and identity
                return reopened(cached, film.image)
        reading = protocol.run_reading(backend, display, film.image, settings, control)
        if self.cache is not None:
            self.cache.put(key, reading)
        return reading


def worker_main(conn: Connection, cache_dir: str | None, use_cache: bool = True) -> None:
    """Entry point of the worker process (``multiprocessing`` spawn target)."""
    from gazex_viewer.inference.local_model import set_offline_env

    set_offline_env()
    send_lock = threading.Lock()

    def emit(event: JobEvent) -> None:
        with send_lock:
            try:
                conn.send(("event", event))
            except (OSError, EOFError, BrokenPipeError):
                pass

    worker = Worker(emit, cache_dir=cache_dir, use_cache=use_cache)
    commands: queue.Queue[tuple[Any, ...]] = queue.Queue()

    def reader() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                commands.put(("quit",))
                return
            if msg[0] == "cancel":
                worker.cancel(msg[1])
            elif msg[0] == "ping":
                emit(JobEvent(kind="progress", job_id=0, stage="pong", message=str(time.time())))
            else:
                if msg[0] == "run":
                    worker.queued(msg[1])
                commands.put(msg)
                if msg[0] == "quit":
                    return

    threading.Thread(target=reader, name="gazex-worker-reader", daemon=True).start()
    emit(JobEvent(kind="progress", job_id=0, stage="started", message="model worker started"))
    while True:
        msg = commands.get()
        op = msg[0]
        if op == "quit":
            break
        if op == "load":
            worker.load(msg[1], msg[2] if len(msg) > 2 else None)
        elif op == "unload":
            worker.unload()
            emit(JobEvent(kind="progress", job_id=0, stage="unloaded", message="model unloaded"))
        elif op == "run":
            worker.run(msg[1], msg[2], msg[3], msg[4] if len(msg) > 4 else None)
        elif op == "sleep":  # tests: the worker busy outside any job (like a long model load)
            time.sleep(float(msg[1]))
        elif op == "stall":  # tests: the next job blocks once started (vision encoder, prefill) ignoring cancel
            worker.stall_next_s = float(msg[1])
    worker.unload()
    try:
        conn.close()
    except OSError:
        pass
