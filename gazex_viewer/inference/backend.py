"""The backend interface every model backend implements, and the per-job control object.

A backend lives inside the worker process. It is driven by plain calls: :meth:`Backend.load`,
:meth:`Backend.run_reading` (which reports through a :class:`JobControl` and checks its cancel flag),
:meth:`Backend.unload`. Nothing here imports torch.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.core.reading import ImageRef, Reading
from gazex_viewer.inference.api import CheckpointInfo, GenerationSettings, JobEvent, ModelSpec


class JobCancelled(InferenceError):
    """Raised inside a job when its cancel flag was set."""


@dataclass
class JobControl:
    """How a running job reports and learns that it should stop.

    Parameters
    ----------
    job_id
        The client's job number, copied into every event.
    emit
        Called with each :class:`JobEvent` (from the thread running the job).
    cancel_event
        Set by anyone to stop the job; generation checks it once per token.
    """

    job_id: int
    emit: Callable[[JobEvent], None] = lambda event: None
    cancel_event: threading.Event = field(default_factory=threading.Event)

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        """Raise :class:`JobCancelled` when the job was cancelled."""
        if self.cancel_event.is_set():
            raise JobCancelled(None, "cancelled")

    def progress(
        self,
        stage: str,
        *,
        current: int = 0,
        total: int = 0,
        message: str = "",
        tokens_per_s: float | None = None,
    ) -> None:
        self.emit(
            JobEvent(
                kind="progress",
                job_id=self.job_id,
                stage=stage,
                current=current,
                total=total,
                message=message,
                tokens_per_s=tokens_per_s,
            )
        )

    def text(self, piece: str, *, tokens_per_s: float | None = None) -> None:
        self.emit(JobEvent(kind="text", job_id=self.job_id, stage="report", text=piece, tokens_per_s=tokens_per_s))


@dataclass
class LoadedModel:
    """What a backend reports after loading."""

    info: CheckpointInfo
    name: str
    checkpoint_sha256: str
    adapter_sha256: str | None
    device: str
    dtype: str
    backend: str
    load_seconds: float
    extra: dict[str, Any] = field(default_factory=dict)
    #: sha256 of the tokenizer / chat template / processor files (part of the reading cache key)
    processor_sha256: str | None = None


class Backend(ABC):
    """A model backend: load a checkpoint, run the GazeX protocol on one radiograph, unload."""

    name: str = "abstract"

    @abstractmethod
    def load(self, spec: ModelSpec, control: JobControl) -> LoadedModel:
        """Load weights; raise CheckpointError / InferenceError naming the folder and the reason."""

    @abstractmethod
    def run_reading(
        self,
        display: np.ndarray,
        image: ImageRef,
        settings: GenerationSettings,
        control: JobControl,
    ) -> Reading:
        """Run the report prompt (streamed), then the batched grounding prompts; return the parsed Reading."""

    @abstractmethod
    def unload(self) -> None:
        """Free the model (and GPU memory)."""

    @property
    @abstractmethod
    def loaded(self) -> LoadedModel | None:
        """The loaded model, or None."""
