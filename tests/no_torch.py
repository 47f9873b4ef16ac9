"""Run ``python -m gazex_viewer ...`` in a subprocess where torch, torchvision, transformers and peft cannot be imported.

A ``sitecustomize`` on PYTHONPATH puts a finder first on ``sys.meta_path`` that raises ModuleNotFoundError for those
packages (as if the ``local`` extra were not installed); child processes (the worker) inherit it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCKED = ("torch", "torchvision", "transformers", "peft")

_SHIM = f'''
import sys

class _NoLocalExtra:
    blocked = {BLOCKED!r}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: no local extra)", name=name)
        return None

    def find_module(self, name, path=None):
        return None

sys.meta_path.insert(0, _NoLocalExtra())
'''


def run_without_torch(args: list[str], tmp: Path, *, env: dict[str, str] | None = None,
                      timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` (e.g. ``["-m", "gazex_viewer", "validate", F]``) with the local extra blocked."""
    shim = tmp / "no_torch_shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(_SHIM, encoding="utf-8")
    full = dict(os.environ)
    full.update(env or {})
    full["PYTHONPATH"] = os.pathsep.join([str(shim), str(ROOT)])
    full.setdefault("QT_QPA_PLATFORM", "offscreen")
    return subprocess.run([sys.executable, *args], check=False, cwd=ROOT, env=full, capture_output=True, text=True, timeout=timeout)
