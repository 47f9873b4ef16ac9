"""merge-adapter: base + a (non-zero) LoRA adapter merged into one folder gives the same reading as base + adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gazex_viewer.cli import main
from gazex_viewer.inference.api import GenerationSettings, ModelSpec, check_checkpoint
from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend
from tests.inference.backend_tools import make_adapter, read_sample

DET = GenerationSettings(deterministic=True)


def _reading(spec: ModelSpec) -> object:
    backend = TransformersGazeXBackend()
    backend.load(spec)
    try:
        return read_sample(backend, DET)
    finally:
        backend.unload()


def test_merged_folder_gives_the_same_reading(tiny_model_dir: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    adapter = make_adapter(tiny_model_dir, tmp_path / "adapter", zero=False)  # random lora_B: changes the model
    (adapter / "gazex.json").write_text(json.dumps({"name": "tiny+lora"}), encoding="utf-8")
    out = tmp_path / "merged"
    assert main(["merge-adapter", str(tiny_model_dir), str(adapter), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)

    info = check_checkpoint(ModelSpec(out))  # a valid checkpoint folder on its own
    assert info.name == "tiny+lora" and info.adapter_dir is None
    merged_from = json.loads((out / "gazex.json").read_text())["merged_from"]
    assert merged_from["adapter_sha256"] and merged_from["checkpoint_sha256"]

    via_adapter = _reading(ModelSpec(tiny_model_dir, adapter_dir=adapter, device="cpu"))
    merged = _reading(ModelSpec(out, device="cpu"))
    base = _reading(ModelSpec(tiny_model_dir, device="cpu"))
    assert merged.raw_report == via_adapter.raw_report  # type: ignore[attr-defined]
    def grounding(r: object) -> list[object]:
        return [(f.text, f.observation, f.clues, f.raw_grounding) for f in r.findings]  # type: ignore[attr-defined]

    assert grounding(merged) == grounding(via_adapter)
    assert merged.trajectory == via_adapter.trajectory  # type: ignore[attr-defined]
    # the adapter is not a no-op: the merged weights differ from the base's
    from safetensors.numpy import load_file

    a, b = load_file(str(out / "model.safetensors")), load_file(str(tiny_model_dir / "model.safetensors"))
    assert any(k in b and a[k].shape == b[k].shape and (a[k] != b[k]).any() for k in a if "q_proj.weight" in k)
    assert (base.raw_report, grounding(base)) != (merged.raw_report, grounding(merged))  # type: ignore[attr-defined]


def test_merge_refuses_a_non_empty_output(tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert main(["merge-adapter", str(tiny_model_dir), str(tmp_path / "none"), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "folder is not empty" in err and len(err.splitlines()) == 1
