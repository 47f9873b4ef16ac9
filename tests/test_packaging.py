"""A regular (non-editable) install carries the resources and the licence, and finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (whl,) = out.glob("gazex_viewer-*.whl")
    return whl


def test_wheel_ships_resources_and_licences(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    data = "gazex_viewer-0.1.0.data/data/share/gazex-viewer/resources/"
    for rel in (
        "reading.schema.json",
        "agreement_baselines.json",
        "examples/sample_reading.json",
        "sample_study/00000001_000.png",
        "sample_study/nih_dx_secondary_capture.dcm",
        "sample_study/LICENSE.md",
        "sample_study/LICENSE.nhsx",
    ):
        assert data + rel in names, rel
    assert any(n.endswith("dist-info/licenses/LICENSE") for n in names)
    assert "gazex_viewer/core/resources.py" in names


def test_installed_layout_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gazex_viewer.core import resources

    assert resources.resource_path("reading.schema.json").is_file()  # this checkout
    installed = tmp_path / "share" / "gazex-viewer" / "resources"
    installed.mkdir(parents=True)
    monkeypatch.setattr(resources, "_CHECKOUT", tmp_path / "no-checkout")
    monkeypatch.setattr(resources, "_INSTALLED", installed)
    assert resources.resources_dir() == installed
    monkeypatch.setenv("GAZEX_RESOURCES", str(tmp_path))
    assert resources.resources_dir() == tmp_path
