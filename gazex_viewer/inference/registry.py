"""The backend registry: which backend runs a model, by name (``transformers``, ``openai``, and any registered).

A backend is found by the name a :class:`~gazex_viewer.inference.api.ModelSpec` gives (``spec.backend``), or, when
it gives none, by what it names: a model server or a model-info file (``.json``) is ``openai``, a folder is
``transformers``. :func:`register_backend` adds a backend without touching the worker, the client or the command
line. The built-in backends are imported only when made (torch only for ``transformers``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.inference.api import ModelSpec
from gazex_viewer.inference.backend import Backend

#: makes a fresh, unloaded backend
BackendFactory = Callable[[], Backend]


def _transformers() -> Backend:
    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend

    return TransformersGazeXBackend()


def _openai() -> Backend:
    from gazex_viewer.inference.openai_backend import OpenAIBackend

    return OpenAIBackend()


#: backend name -> factory; :func:`register_backend` adds to it
BACKENDS: dict[str, BackendFactory] = {"transformers": _transformers, "openai": _openai}


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``factory`` the backend called ``name`` (a ModelSpec picks it with ``backend=name``)."""
    if not name or not name.strip():
        raise ValueError("a backend needs a name")
    BACKENDS[name] = factory


def unregister_backend(name: str) -> None:
    """Forget the backend called ``name`` (nothing when there is none)."""
    BACKENDS.pop(name, None)


def make_backend(name: str) -> Backend:
    """A fresh backend called ``name``; InferenceError naming the known ones when there is none."""
    factory = BACKENDS.get(name)
    if factory is None:
        known = ", ".join(sorted(BACKENDS))
        raise InferenceError(None, f"unknown backend {name!r} (known: {known})")
    return factory()


def backend_name_for(spec: ModelSpec) -> str:
    """The backend a spec names; without one, ``openai`` for a model server or a model-info file (``.json``), else
    ``transformers``."""
    if spec.backend:
        return spec.backend
    remote = bool(spec.endpoint) or Path(spec.model_dir).suffix.lower() == ".json"
    return "openai" if remote else "transformers"
