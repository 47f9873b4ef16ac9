"""Tiny GazeX checkpoints built once per test session (trained and untrained), in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


#: built checkpoints, shared by every module that imports these fixtures (tests/ui does), one build per process
_BUILT: dict[str, Path] = {}


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained tiny checkpoint (answers the known report and boxes for the sample image)."""
    from gazex_viewer.inference.tiny_model import make_test_model

    if "trained" not in _BUILT:
        out = tmp_path_factory.mktemp("models") / "tiny-gazex"
        result = make_test_model(out)
        assert result.exact, "the tiny model did not memorise its known answers"
        _BUILT["trained"] = out
    return _BUILT["trained"]


@pytest.fixture(scope="session")
def untrained_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same architecture with random weights: garbage output."""
    from gazex_viewer.inference.tiny_model import make_test_model

    if "untrained" not in _BUILT:
        out = tmp_path_factory.mktemp("models") / "tiny-gazex-untrained"
        make_test_model(out, train=False)
        _BUILT["untrained"] = out
    return _BUILT["untrained"]


@pytest.fixture(scope="session")
def loaded_backend(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    """The trained tiny model loaded in-process through the transformers backend."""
    from gazex_viewer.inference.api import ModelSpec
    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend

    backend = TransformersGazeXBackend()
    backend.load(ModelSpec(tiny_model_dir, device="cpu"))
    yield backend
    backend.unload()
