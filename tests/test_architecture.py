"""The layering rule of DESIGN section 1, made executable.

import-linter checks the static imports (contracts in setup.cfg); a subprocess checks what importing
every core module really pulls in, which also catches imports hidden behind importlib.
"""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("PySide6", "pyqtgraph", "torch", "transformers", "peft")


def test_import_linter_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if lint is None:
        pytest.fail("lint-imports (import-linter) is not installed; it is in the 'test' extra")
    proc = subprocess.run([lint, "setup.cfg", "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    contracts = (ROOT / "setup.cfg").read_text(encoding="utf-8").count("[importlinter:contract:")
    assert contracts >= 7  # layers, core floors, core pure, inference without Qt, ui without torch, the review seam (2)
    assert f"Contracts: {contracts} kept, 0 broken" in proc.stdout, proc.stdout


def _modules(package: str) -> list[str]:
    """Every module of ``package``, sub-packages included (``core.gaze.*`` too)."""
    pkg_dir = ROOT.joinpath(*package.split("."))
    return [m.name for m in pkgutil.walk_packages([str(pkg_dir)], prefix=f"{package}.")]


def _heavy_imports(modules: list[str]) -> str:
    """The heavy top-level packages (Qt, torch, ...) that importing ``modules`` pulls in, comma-separated."""
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(k for k in sys.modules if k.split('.')[0] in {HEAVY!r})\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_importing_core_pulls_in_no_qt_and_no_torch() -> None:
    modules = _modules("gazex_viewer.core")
    assert "gazex_viewer.core.reading.document" in modules and "gazex_viewer.core.gaze.study" in modules
    bad = _heavy_imports(modules)
    assert bad == "", f"core imported: {bad}"


def test_importing_inference_api_pulls_in_no_torch_and_no_qt() -> None:
    modules = _modules("gazex_viewer.inference")
    assert "gazex_viewer.inference.transformers_backend" in modules
    bad = _heavy_imports(modules)
    assert bad == "", f"importing the inference package imported: {bad}"
