"""Shared test helpers: the real data in ../shared/data, external tools, an artifacts folder."""

from __future__ import annotations

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
