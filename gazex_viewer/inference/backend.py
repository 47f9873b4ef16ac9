"""What a model backend is: a text generator with a load / unload lifecycle, and what it reports after loading.

A backend lives inside the worker process (or in-process for the command line). It only says how to get text from
a model: it implements :class:`~gazex_viewer.inference.protocol.TextGenerator` (``describe``, ``generate``,
``generate_batch``) and adds :meth:`Backend.load`, :meth:`Backend.unload` and :attr:`Backend.loaded`. The GazeX
protocol itself (prompts, split, grounding, assembly, warnings) is :mod:`gazex_viewer.inference.protocol`, one
function for every backend; backends are found by name in :mod:`gazex_viewer.inference.registry`.

:class:`JobControl` and :class:`JobCancelled` (:mod:`gazex_viewer.inference.job`) are re-exported here for the
callers that drive a backend. Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from gazex_viewer.inference.api import CheckpointInfo, ModelSpec
from gazex_viewer.inference.job import JobCancelled, JobControl
from gazex_viewer.inference.protocol import TextGenerator

__all__ = ["Backend", "JobCancelled", "JobControl", "LoadedModel"]


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


class Backend(TextGenerator, Protocol):
    """A model backend: a :class:`~gazex_viewer.inference.protocol.TextGenerator` that loads and unloads a model.

    ``name`` is the name it is registered under (:mod:`gazex_viewer.inference.registry`), recorded in every
    reading's producer.
    """

    name: str

    def load(self, spec: ModelSpec, control: JobControl) -> LoadedModel:
        """Load the model ``spec`` names; raise CheckpointError / InferenceError naming the folder and the reason."""
        ...

    def unload(self) -> None:
        """Free the model (and GPU memory)."""
        ...

    @property
    def loaded(self) -> LoadedModel | None:
        """The loaded model, or None."""
        ...
