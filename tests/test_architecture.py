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


def _test_module_imports(source: str, module: str) -> list[str]:
    """The test modules (``test_*``) that ``source`` (the text of module ``module``) imports, as dotted names."""
    import ast

    found: list[str] = []
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .test_x import y, from . import test_x
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, base] if base else parts)
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        for name in names:
            if name.startswith("tests.") and any(p.startswith("test_") for p in name.split(".")[1:]):
                found.append(name)
    return sorted(set(found))


def test_the_import_check_catches_every_form() -> None:
    m = "tests.ui.review.test_x"
    assert _test_module_imports("from tests.core.review.test_a import make_reading", m) == [
        "tests.core.review.test_a", "tests.core.review.test_a.make_reading"]
    assert _test_module_imports("import tests.core.test_b", m) == ["tests.core.test_b"]
    assert _test_module_imports("from tests.ui.review import test_c as c", m) == ["tests.ui.review.test_c"]
    assert _test_module_imports("from .test_d import f", m) == ["tests.ui.review.test_d", "tests.ui.review.test_d.f"]
    assert _test_module_imports("def f():\n    from tests.x.test_e import g\n", m) == ["tests.x.test_e", "tests.x.test_e.g"]
    assert _test_module_imports("from tests.factories import make_reading\nfrom tests.conftest import ROOT", m) == []


def test_no_test_module_imports_another_test_module() -> None:
    """Shared builders live in tests/factories.py (and dicom_tools, servers/, ui/helpers ...), never in a test_*.py:
    importing one test module from another runs its tests twice and hides what is shared."""
    offenders = []
    for path in sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]):
        if path.parent.name == "fixtures":
            continue  # scripts that made a fixture, run once against the code of their day (their docstring says which)
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        bad = _test_module_imports(path.read_text(encoding="utf-8"), module)
        if bad:
            offenders.append(f"{path.relative_to(ROOT)}: {', '.join(bad)}")
    assert offenders == [], "test modules imported by other modules:\n" + "\n".join(offenders)
