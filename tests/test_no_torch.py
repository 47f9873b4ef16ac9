"""Without the ``local`` extra (torch, torchvision, transformers, peft), the viewer and every non-local command run.

Each command runs in a subprocess whose import system refuses those packages (tests/no_torch.py). The local-model
commands fail with one line naming the extra. ``infer --server`` without torch: tests/inference/test_openai_backend.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.no_torch import BLOCKED, ROOT, run_without_torch

READING = ROOT / "resources" / "examples" / "sample_reading.json"
FILM = ROOT / "resources" / "sample_study" / "00000001_000.png"
GZ = ["-m", "gazex_viewer"]


def _ok(proc: object) -> None:
    assert proc.returncode == 0, (proc.stdout[-1500:], proc.stderr[-1500:])  # type: ignore[attr-defined]


def test_the_shim_blocks_torch(tmp_path: Path) -> None:
    proc = run_without_torch(["-c", "import torch"], tmp_path)
    assert proc.returncode == 1 and "No module named 'torch'" in proc.stderr


def test_help_validate_render_compare_video(tmp_path: Path) -> None:
    proc = run_without_torch([*GZ, "--help"], tmp_path)
    _ok(proc)
    assert "make-test-model" in proc.stdout
    _ok(run_without_torch([*GZ, "validate", str(READING)], tmp_path))
    png = tmp_path / "film.png"
    _ok(run_without_torch([*GZ, "render", str(FILM), "-o", str(png)], tmp_path))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    proc = run_without_torch([*GZ, "compare", str(READING), str(READING), "--json"], tmp_path)
    _ok(proc)
    assert isinstance(json.loads(proc.stdout), dict)
    mp4 = tmp_path / "teach.mp4"
    _ok(run_without_torch([*GZ, "video", str(READING), "--image", str(FILM), "-o", str(mp4)], tmp_path))
    assert mp4.stat().st_size > 1000


def test_viewer_starts_and_imports_no_torch(tmp_path: Path) -> None:
    proc = run_without_torch(["main.py", str(FILM), str(READING)], tmp_path, env={"GAZEX_STARTUP_PROBE": "1"})
    _ok(proc)
    assert "shown" in proc.stdout
    assert "heavy" in proc.stdout and "torch" not in proc.stdout.split("heavy", 1)[1]


def test_remote_backend_imports_without_torch(tmp_path: Path) -> None:
    code = (
        "import sys; from gazex_viewer.inference.worker import make_backend; b = make_backend('openai'); "
        f"bad = [m for m in {BLOCKED!r} if m in sys.modules]; print(type(b).__name__, bad)"
    )
    proc = run_without_torch(["-c", code], tmp_path)
    _ok(proc)
    assert proc.stdout.strip() == "OpenAIBackend []"


@pytest.mark.parametrize(
    "argv",
    [
        ["make-test-model", "{tmp}/m"],
        ["finetune", "{tmp}/ds", "--base", "{tmp}/base", "-o", "{tmp}/ad"],
        ["infer", str(FILM), "--model", "{tmp}/base", "-o", "{tmp}/out", "--no-cache"],
        ["merge-adapter", "{tmp}/base", "{tmp}/ad", "-o", "{tmp}/merged"],
    ],
    ids=["make-test-model", "finetune", "infer-model", "merge-adapter"],
)
def test_local_commands_say_they_need_the_extra(argv: list[str], tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    proc = run_without_torch([*GZ, *(a.replace("{tmp}", str(tmp_path)) for a in argv)], tmp_path)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "needs the local extra: pip install 'gazex-viewer[local]'" in lines[0]
    assert "Traceback" not in proc.stderr


def test_setup_cfg_keeps_torch_in_the_local_extra() -> None:
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")

    def reqs(text: str) -> list[str]:
        return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]

    core = reqs(cfg["options"]["install_requires"])
    local = reqs(cfg["options.extras_require"]["local"])
    test = reqs(cfg["options.extras_require"]["test"])
    heavy = ("torch", "torchvision", "transformers", "tokenizers", "safetensors", "peft")
    assert not [r for r in core if r.split("=")[0].split(">")[0].split("<")[0] in heavy]
    assert "torch==2.14.1" in local and "torchvision==0.29.1" in local
    assert {r.split("=")[0].split(">")[0] for r in local} == set(heavy)
    assert set(local) <= set(test)
    assert "setup-env.sh local" in (ROOT / "tools" / "start.sh").read_text()
