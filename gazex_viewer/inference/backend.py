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
from typing import TYPE_CHECKING, Any

import numpy as np

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.core.reading.document import Finding, ImageRef, ModelQuery, Reading
from gazex_viewer.inference.api import (
    CheckpointInfo,
    GenerationSettings,
    JobEvent,
    ModelSpec,
)

if TYPE_CHECKING:
    from gazex_viewer.inference.protocol import ModelDescription


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
    """A model backend: load a checkpoint, say how to get text from it, unload.

    A backend implements the text-generation interface (:class:`~gazex_viewer.inference.protocol.TextGenerator`:
    ``describe``, ``generate``, ``generate_batch``); the GazeX protocol itself (prompts, split, grounding, assembly)
    is :mod:`gazex_viewer.inference.protocol`, the same for every backend.
    """

    name: str = "abstract"

    @abstractmethod
    def load(self, spec: ModelSpec, control: JobControl) -> LoadedModel:
        """Load weights; raise CheckpointError / InferenceError naming the folder and the reason."""

    def run_reading(
        self,
        display: np.ndarray,
        image: ImageRef,
        settings: GenerationSettings,
        control: JobControl,
        *,
        forced_lengths: tuple[int, int] | None = None,
    ) -> Reading:
        """The GazeX protocol on one film's model-input picture: report (streamed), grounding, the parsed Reading."""
        from gazex_viewer.inference import protocol

        if self.loaded is None:
            raise InferenceError(None, "no model loaded")
        return protocol.run_reading(self, display, image, settings, control, forced_lengths=forced_lengths)

    def ground(
        self, display: np.ndarray, image: ImageRef, sentences: list[str], settings: GenerationSettings, control: JobControl
    ) -> list[Finding]:
        """Where the model sees the evidence for each sentence (any text, e.g. a radiologist's own finding)."""
        from gazex_viewer.inference import protocol

        if self.loaded is None:
            raise InferenceError(None, "no model loaded")
        return protocol.ground_sentences(self, display, image, sentences, settings, control)

    def ask(
        self, display: np.ndarray, image: ImageRef, question: str, settings: GenerationSettings, control: JobControl
    ) -> ModelQuery:
        """The model's answer to a question about the film, its sentences grounded."""
        from gazex_viewer.inference import protocol

        if self.loaded is None:
            raise InferenceError(None, "no model loaded")
        return protocol.ask_question(self, display, image, question, settings, control)

    # -- text generation: the seam (see inference.protocol.TextGenerator) ------------------------------
    @abstractmethod
    def describe(self) -> ModelDescription:
        """The loaded model (InferenceError when none)."""

    @abstractmethod
    def generate(
        self,
        image: Any,
        prompt: str,
        settings: GenerationSettings,
        control: JobControl,
        *,
        seed_offset: int = 0,
        stream: bool = True,
        min_new_tokens: int | None = None,
        warnings: list[str] | None = None,
    ) -> tuple[str, dict[str, float]]:
        """One answer to ``prompt`` about ``image`` (streamed through ``control.text``); (text, timings)."""

    @abstractmethod
    def generate_batch(
        self,
        image: Any,
        prompts: list[str],
        settings: GenerationSettings,
        control: JobControl,
        *,
        seed_offset: int = 0,
        max_new_tokens: int | None = None,
        min_new_tokens: int | None = None,
        warnings: list[str] | None = None,
    ) -> tuple[list[str], dict[str, float]]:
        """One answer per prompt about the same image; (texts, timings)."""

    @abstractmethod
    def unload(self) -> None:
        """Free the model (and GPU memory)."""

    @property
    @abstractmethod
    def loaded(self) -> LoadedModel | None:
        """The loaded model, or None."""
