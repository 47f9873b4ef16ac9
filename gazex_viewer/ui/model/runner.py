"""Qt wrapper of the inference client: worker events become signals delivered on the GUI thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from gazex_viewer.inference.api import GenerationSettings, JobEvent, ModelSpec
from gazex_viewer.inference.client import InferenceClient
from gazex_viewer.inference.film_input import FilmLike


class ModelRunner(QObject):
    """Owns one :class:`InferenceClient` (one worker process) and re-emits its events as Qt signals.

    Only events of the current job (and of model loading) reach the signals: a job replaced by a newer
    one stays silent.

    Signals
    -------
    progress_changed(stage, current, total, message)
    text_streamed(piece)
        A piece of the report as it is generated.
    reading_ready(reading)
        The finished :class:`~gazex_viewer.core.reading.document.Reading`.
    failed(message)
        One line naming the file and the reason (bad checkpoint, bad image, worker crash, out of memory).
    cancelled()
    loaded(name)
        The model is ready; ``name`` is its display name.
    load_failed(message)
        The model did not load: one line naming the checkpoint folder and the reason (``failed`` follows too).
    """

    progress_changed = Signal(str, int, int, str)
    text_streamed = Signal(str)
    reading_ready = Signal(object)
    #: the answer of a ground / ask job (a ModelQuery)
    query_ready = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    loaded = Signal(str)
    load_failed = Signal(str)

    #: internal: carries a JobEvent from the client thread to the GUI thread
    _event_received = Signal(object)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        cache_dir: str | Path | None = None,
        use_cache: bool = True,
        cancel_timeout_s: float = 2.0,
    ) -> None:
        super().__init__(parent)
        self._event_received.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self._client = InferenceClient(
            self._event_received.emit, cache_dir=cache_dir, use_cache=use_cache, cancel_timeout_s=cancel_timeout_s
        )
        self._job: int | None = None
        self.model_name: str | None = None
        #: the last tokens/s figure the worker reported (None before any)
        self.tokens_per_s: float | None = None

    @property
    def client(self) -> InferenceClient:
        return self._client

    @property
    def current_job(self) -> int | None:
        return self._job

    @property
    def busy(self) -> bool:
        return self._job is not None

    @Slot(object)
    def load(self, spec: ModelSpec) -> None:
        """Load a checkpoint (asynchronous; ``loaded`` or ``failed`` follows)."""
        self._job = None
        self.model_name = None
        self._client.load(spec)

    def run(self, film: FilmLike, settings: GenerationSettings | None = None) -> int:
        """Start a reading of one film (any running job is cancelled); returns the job id.

        ``film`` is the open Radiograph (its model input is sent to the worker, which never decodes the film again),
        a prepared :class:`~gazex_viewer.inference.film_input.FilmInput`, or a film file.
        """
        self._job = self._client.run(film, settings or GenerationSettings())
        return self._job

    def run_task(self, film: FilmLike, task: Any, settings: GenerationSettings | None = None) -> int:
        """Start a ground or ask job (a :class:`~gazex_viewer.inference.api.JobTask`); ``query_ready`` follows."""
        self._job = self._client.run(film, settings or GenerationSettings(), task)
        return self._job

    @Slot()
    def cancel(self) -> None:
        """Cancel the current job; ``cancelled`` follows."""
        if self._job is not None:
            self._client.cancel(self._job)

    @Slot()
    def unload(self) -> None:
        """Free the model in the worker (the process stays up)."""
        self._job = None
        self.model_name = None
        self._client.unload()

    @Slot()
    def shutdown(self) -> None:
        """Stop the worker process (call before the application quits)."""
        self._job = None
        self._client.close()

    @Slot(object)
    def _dispatch(self, event: JobEvent) -> None:
        if event.job_id == 0:
            if event.kind == "error":
                if event.stage == "loading":
                    self.model_name = None
                    self.load_failed.emit(event.message)
                self.failed.emit(event.message)
            elif event.kind == "progress":
                if event.stage == "loaded":
                    self.model_name = event.message
                    self.loaded.emit(event.message)
                elif event.stage not in ("pong", "started"):
                    self.progress_changed.emit(event.stage, event.current, event.total, event.message)
            return
        if event.job_id != self._job:
            return
        if event.tokens_per_s is not None:
            self.tokens_per_s = event.tokens_per_s
        if event.kind == "progress":
            self.progress_changed.emit(event.stage, event.current, event.total, event.message)
        elif event.kind == "text":
            self.text_streamed.emit(event.text)
        elif event.kind == "done":
            self._job = None
            if event.query is not None:
                self.query_ready.emit(event.query)
            else:
                self.reading_ready.emit(event.reading)
        elif event.kind == "error":
            self._job = None
            self.failed.emit(event.message)
        elif event.kind == "cancelled":
            self._job = None
            self.cancelled.emit()
