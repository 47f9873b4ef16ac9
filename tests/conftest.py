"""Shared test helpers: the real data in ../shared/data, external tools, an artifacts folder."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("GAZEX_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE_STUDY = ROOT / "resources" / "sample_study"
#: screenshots and other files a person can open after the run
ARTIFACTS = Path(os.environ.get("GAZEX_TEST_ARTIFACTS", ROOT / "test-artifacts"))


def shared_file(relative: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real test data not found: {path} (../shared/data is absent)")
    return path


def require_tool(name: str) -> str:
    """The path of an external program; skip without it, but fail under CI where .ci/run installs it."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed; .ci/run must install it")
        pytest.skip(f"{name} is not installed (apt-get install the package that provides it)")
    return found


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _tiny_checkpoint(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, *, train: bool) -> Path:
    """Build a tiny GazeX checkpoint once, kept in pytest's cache between runs (keyed by the builder's source)."""
    from gazex_viewer.inference import tiny_model

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    key = hashlib.sha256(Path(tiny_model.__file__).read_bytes()).hexdigest()[:16]
    name = "tiny-gazex" if train else "tiny-gazex-untrained"
    cache = getattr(request.config, "cache", None)
    base = Path(cache.mkdir(f"{name}-{key}")) if cache is not None else tmp_path_factory.mktemp("models")
    out = base / name
    done = base / "built"
    if not done.exists():
        shutil.rmtree(out, ignore_errors=True)
        result = tiny_model.make_test_model(out, train=train)
        if train:
            assert result.exact, "the tiny model did not memorise its known answers"
        done.touch()
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained tiny checkpoint: answers the known report and boxes for the bundled sample image."""
    return _tiny_checkpoint(request, tmp_path_factory, train=True)


@pytest.fixture(scope="session")
def untrained_model_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same architecture with random weights: garbage output."""
    return _tiny_checkpoint(request, tmp_path_factory, train=False)


@pytest.fixture(autouse=True)
def _private_keys_and_review_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Signing keys and the default review database (the key registry) in a folder of the test's own."""
    home = tmp_path_factory.mktemp("gazex-user")
    monkeypatch.setenv("GAZEX_KEY_DIR", str(home / "keys"))
    monkeypatch.setenv("GAZEX_REVIEW_DB", str(home / "reviews.sqlite3"))


# the real Orthanc (module-scoped: each module that asks for ``orthanc`` gets its own server); imported last,
# because tests.servers.orthanc_fixtures reads SHARED_DATA from this module
from tests.servers.orthanc_fixtures import orthanc  # noqa: F401
