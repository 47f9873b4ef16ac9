"""The tiny checkpoint loaded in-process (the checkpoints themselves come from tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


@pytest.fixture(scope="session")
def loaded_backend(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    """The trained tiny model loaded in-process through the transformers backend."""
    from gazex_viewer.inference.api import ModelSpec
    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend

    backend = TransformersGazeXBackend()
    backend.load(ModelSpec(tiny_model_dir, device="cpu"))
    yield backend
    backend.unload()
