"""The client side of the model worker: what the UI (through ``ui.model.runner``) and tools talk to.

:class:`InferenceClient` owns one worker process (``multiprocessing`` "spawn"; torch is imported only there).
Events arrive through ``on_event``, called from a client reader thread. Cancel sets the job's stop flag in the
worker (generation stops within one token); if the worker does not answer within ``cancel_timeout_s`` (it may be
inside the vision encoder or the prefill), the process is killed and restarted, and the model is loaded again.
A job still waiting in the worker (behind a model load) is answered ``cancelled`` by the worker at once, so a busy
worker is never mistaken for a hung one.
A worker that dies (crash, out of memory) becomes an ``"error"`` event; the next call starts a new one.
A job is sent the film's model input (:class:`~gazex_viewer.inference.film_input.FilmInput`), never a path.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.inference.api import GenerationSettings, JobEvent, JobTask, ModelSpec
from gazex_viewer.inference.film_input import (
    FilmInput,
    FilmLike,
    film_input,
    film_name,
    input_modes,
)

FINAL_KINDS = frozenset({"done", "error", "cancelled"})


class InferenceClient:
    """Talks to one model worker process.

    Parameters
    ----------
    on_event
        Called with every :class:`JobEvent`, from a client thread (not the caller's thread).
    cache_dir
        Folder of cached readings (default: platformdirs' user cache dir, or ``$GAZEX_CACHE_DIR``).
    use_cache
        Reuse readings cached by (pixel hash, checkpoint hash, adapter hash, frame, settings).
    cancel_timeout_s
        How long a cancel waits for the worker before killing and restarting it.
    """

    def __init__(
        self,
        on_event: Callable[[JobEvent], None],
        *,
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
        cancel_timeout_s: float = 2.0,
    ) -> None:
        self._on_event = on_event
        self._cache_dir = None if cache_dir is None else str(cache_dir)
        self._use_cache = use_cache
        self.cancel_timeout_s = cancel_timeout_s
        self._ctx = mp.get_context("spawn")
        self._lock = threading.RLock()
        self._proc: Any = None
        self._conn: Any = None
        self._generation = 0
        self._spec: ModelSpec | None = None
        self._ids = itertools.count(1)
        self._active: int | None = None
        self._jobs: dict[int, tuple[FilmInput, GenerationSettings, JobTask | None]] = {}
        self._cancelling: dict[int, threading.Timer] = {}
        self._closed = False
        #: restarts after a cancel timeout or a crash (for tests and diagnostics)
        self.restarts = 0

    # -- public API ----------------------------------------------------------------------------
    @property
    def active_job(self) -> int | None:
        """The job the worker is running or about to run, or None."""
        return self._active

    @property
    def spec(self) -> ModelSpec | None:
        return self._spec

    def load(self, spec: ModelSpec) -> None:
        """Load a checkpoint in the worker (asynchronous). Events: progress, then stage ``"loaded"`` or an error."""
        with self._lock:
            self._check_open()
            if self._active is not None:
                self._cancel_locked(self._active)
            self._spec = spec
            self._ensure_worker(send_load=False)
            self._send(("load", spec))

    def run(self, film: FilmLike, settings: GenerationSettings | None = None, task: JobTask | None = None) -> int:
        """Start a job on one film; returns its job id. Any running job is cancelled first.

        ``film`` is the model input (:class:`~gazex_viewer.inference.film_input.FilmInput`), or an open Radiograph
        or a film file made into one here, in the caller's process (the worker never decodes a film): a file that
        cannot be read is an ``error`` event naming it. ``task`` is None for a reading (report + grounding), else
        :class:`JobTask` (ground sentences, or ask a question); its ``done`` event carries ``query`` instead of
        ``reading``.
        """
        settings = settings or GenerationSettings()
        with self._lock:
            self._check_open()
            if self._active is not None:
                self._cancel_locked(self._active)
            job_id = next(self._ids)
            self._active = job_id
            if self._spec is None:
                self._finish(job_id)
                self._deliver(JobEvent(kind="error", job_id=job_id, stage="error", message="no model is loaded"))
                return job_id
            try:
                prepared = film_input(film, input_modes(self._spec))
            except Exception as exc:  # noqa: BLE001 - a bad film is one error event, like any failed job
                self._finish(job_id)
                message = str(exc) if isinstance(exc, GazeXError) else f"{film_name(film)}: cannot read the film ({exc})"
                self._deliver(JobEvent(kind="error", job_id=job_id, stage="error", message=message))
                return job_id
            self._jobs[job_id] = (prepared, settings, task)
            self._ensure_worker(send_load=True)
            self._send(("run", job_id, prepared, settings, task))
            return job_id

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel a job (default: the active one). Kills and restarts the worker if it does not answer in time."""
        with self._lock:
            target = self._active if job_id is None else job_id
            if target is None or target not in self._jobs:
                return
            self._cancel_locked(target)

    def unload(self) -> None:
        """Free the model in the worker (the process stays up)."""
        with self._lock:
            if self._active is not None:
                self._cancel_locked(self._active)
            self._spec = None
            if self._alive():
                self._send(("unload",))

    def close(self) -> None:
        """Stop the worker process and the client threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for t in self._cancelling.values():
                t.cancel()
            self._cancelling.clear()
            proc, conn = self._proc, self._conn
            self._generation += 1
            self._proc = self._conn = None
        if proc is not None:
            try:
                conn.send(("cancel", None))  # stop a running job so the worker can read "quit"
                conn.send(("quit",))
            except (OSError, EOFError, BrokenPipeError, AttributeError):
                pass
            proc.join(3.0)
            if proc.is_alive():
                proc.kill()
                proc.join(2.0)
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass

    def __enter__(self) -> InferenceClient:  # noqa: PYI034 - a final class in practice
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def worker_pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    # -- internals -----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("InferenceClient is closed")

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def _send(self, msg: tuple[Any, ...]) -> None:
        try:
            self._conn.send(msg)
        except (OSError, EOFError, BrokenPipeError, AttributeError):
            pass  # the reader thread reports the dead worker

    def _ensure_worker(self, *, send_load: bool) -> None:
        if self._alive():
            return
        self._start_worker()
        if send_load and self._spec is not None:
            self._send(("load", self._spec))

    def _start_worker(self) -> None:
        from gazex_viewer.inference.worker import worker_main

        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=worker_main, args=(child, self._cache_dir, self._use_cache), name="gazex-model-worker", daemon=True
        )
        proc.start()
        child.close()
        self._generation += 1
        self._proc, self._conn = proc, parent
        threading.Thread(
            target=self._reader, args=(parent, proc, self._generation), name="gazex-client-reader", daemon=True
        ).start()

    def _reader(self, conn: Any, proc: Any, generation: int) -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                break
            except Exception:  # noqa: BLE001, S112 - an unpicklable message: skip it
                continue
            if msg and msg[0] == "event":
                self._on_worker_event(msg[1], generation)
        proc.join(1.0)
        with self._lock:
            if generation != self._generation or self._closed:
                return  # an intentional kill or close
            code = proc.exitcode
            self._proc = self._conn = None
            self.restarts += 1
            job = self._active
            if job is not None:
                self._finish(job)
        why = "killed (out of memory?)" if code is not None and code < 0 else f"exit code {code}"
        self._deliver(
            JobEvent(
                kind="error",
                job_id=job if job is not None else 0,
                stage="crashed",
                message=f"the model worker stopped unexpectedly ({why}); it restarts on the next request",
            )
        )

    def _on_worker_event(self, event: JobEvent, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            if event.kind in FINAL_KINDS and event.job_id != 0:
                self._finish(event.job_id)
        self._deliver(event)

    def _finish(self, job_id: int) -> None:
        timer = self._cancelling.pop(job_id, None)
        if timer is not None:
            timer.cancel()
        self._jobs.pop(job_id, None)
        if self._active == job_id:
            self._active = None

    def _deliver(self, event: JobEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # noqa: BLE001 - a failing callback must not kill the reader
            import traceback

            traceback.print_exc()

    def _cancel_locked(self, job_id: int) -> None:
        if job_id in self._cancelling:
            return
        if self._active == job_id:
            self._active = None
        self._send(("cancel", job_id))
        timer = threading.Timer(self.cancel_timeout_s, self._cancel_timeout, args=(job_id, self._generation))
        timer.daemon = True
        self._cancelling[job_id] = timer
        timer.start()

    def _cancel_timeout(self, job_id: int, generation: int) -> None:
        with self._lock:
            if job_id not in self._cancelling or generation != self._generation or self._closed:
                return
            # the worker did not answer: kill it, restart it, reload the model, resend the active job
            proc = self._proc
            self._generation += 1
            self._proc = self._conn = None
            if proc is not None:
                proc.kill()
                proc.join(2.0)
            self.restarts += 1
            stale = [j for j in self._cancelling if j != self._active]
            for j in stale:
                self._finish(j)
            active = self._active
            if self._spec is not None:
                self._start_worker()
                self._send(("load", self._spec))
                if active is not None and active in self._jobs:
                    prepared, settings, task = self._jobs[active]
                    self._send(("run", active, prepared, settings, task))
        for j in stale:
            self._deliver(
                JobEvent(kind="cancelled", job_id=j, stage="cancelled", message="cancelled (the worker was restarted)")
            )
