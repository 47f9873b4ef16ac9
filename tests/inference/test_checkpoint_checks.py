"""Bad checkpoints are refused with a CheckpointError / InferenceError naming the folder and the reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gazex_viewer.core.errors import CheckpointError, InferenceError
from gazex_viewer.inference.api import (
    CheckpointInfo,
    ModelSpec,
    check_checkpoint,
    file_sha256,
    weights_sha256,
)


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_good_checkpoint_passes(tiny_model_dir: Path) -> None:
    info = check_checkpoint(ModelSpec(tiny_model_dir))
    assert isinstance(info, CheckpointInfo)
    assert info.model_type == "qwen2_vl"
    assert [p.name for p in info.weight_files] == ["model.safetensors"]
    assert info.coordinate_frame == "downscale4"
    assert info.max_pixels == 112 * 112
    assert info.name == "tiny-gazex (test model)"


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(ModelSpec(tmp_path / "nope"))
    assert str(err.value) == f"{tmp_path / 'nope'}: checkpoint folder not found"


def test_file_instead_of_folder(tiny_model_dir: Path) -> None:
    with pytest.raises(CheckpointError, match="not a folder"):
        check_checkpoint(ModelSpec(tiny_model_dir / "config.json"))


def test_missing_safetensors(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    (d / "model.safetensors").unlink()
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(ModelSpec(d))
    assert err.value.path == str(d)
    assert "no safetensors weights" in err.value.reason


def test_truncated_safetensors(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    w = d / "model.safetensors"
    data = w.read_bytes()
    w.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(ModelSpec(d))
    assert err.value.path == str(w)
    assert "corrupt safetensors file (truncated" in err.value.reason


def test_garbage_safetensors(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    (d / "model.safetensors").write_bytes(b"\xff" * 64)
    with pytest.raises(CheckpointError, match="corrupt safetensors file"):
        check_checkpoint(ModelSpec(d))


def test_pickle_only_checkpoint_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    (d / "model.safetensors").unlink()
    (d / "pytorch_model.bin").write_bytes(b"PK\x03\x04 not loaded")
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(ModelSpec(d))
    assert "only pickle weights (pytorch_model.bin)" in err.value.reason
    assert "unpickling can run arbitrary code" in err.value.reason


def test_config_not_qwen2vl(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    cfg = json.loads((d / "config.json").read_text())
    cfg["model_type"] = "llama"
    cfg["architectures"] = ["LlamaForCausalLM"]
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(ModelSpec(d))
    assert err.value.path == str(d / "config.json")
    assert "model_type 'llama' (architectures: LlamaForCausalLM) is not Qwen2-VL-compatible" in err.value.reason


def test_config_not_json(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    (d / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="the model configuration is not valid JSON"):
        check_checkpoint(ModelSpec(d))


def test_missing_shard_named_in_index(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    index = {"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
    (d / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(CheckpointError, match="missing weight shard"):
        check_checkpoint(ModelSpec(d))


def test_adapter_folder_given_as_model(tmp_path: Path) -> None:
    d = tmp_path / "adapter"
    d.mkdir()
    (d / "adapter_config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="LoRA adapter folder: pass the base model"):
        check_checkpoint(ModelSpec(d))


def test_adapter_without_safetensors(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "adapter"
    d.mkdir()
    (d / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    (d / "adapter_model.bin").write_bytes(b"pickle")
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(ModelSpec(tiny_model_dir, adapter_dir=d))
    assert err.value.path == str(d)
    assert "LoRA adapter has only pickle weights" in err.value.reason


def test_unknown_frame_in_sidecar(tiny_model_dir: Path, tmp_path: Path) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    (d / "gazex.json").write_text(json.dumps({"coordinate_frame": "percent"}))
    with pytest.raises(CheckpointError, match="unknown coordinate_frame 'percent'"):
        check_checkpoint(ModelSpec(d))


def test_cuda_requested_but_absent(tiny_model_dir: Path) -> None:
    import torch

    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend, resolve_device

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(InferenceError) as err:
        resolve_device("cuda", tiny_model_dir)
    assert err.value.path == str(tiny_model_dir)
    assert "CUDA is not available" in err.value.reason
    with pytest.raises(InferenceError, match="CUDA is not available"):
        TransformersGazeXBackend().load(ModelSpec(tiny_model_dir, device="cuda"))
    assert resolve_device("auto", tiny_model_dir) == ("cpu", "float32")


def test_weight_hash_is_sha256_and_cached(tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from gazex_viewer.inference import api

    monkeypatch.setenv("GAZEX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(api, "_HASH_MEMO", {})
    w = tiny_model_dir / "model.safetensors"
    want = hashlib.sha256(w.read_bytes()).hexdigest()
    assert weights_sha256([w]) == want
    assert file_sha256(w) == want
    stored = json.loads((tmp_path / "cache" / "weight-hashes.json").read_text())
    assert want in stored.values()


def _tiny_adapter(folder: Path, sidecar: dict | None = None) -> Path:
    """A structurally valid LoRA adapter folder (enough for the quick checks)."""
    import numpy as np
    from safetensors.numpy import save_file

    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 2}))
    save_file({"base_model.model.x.lora_A.weight": np.zeros((2, 4), np.float32)}, str(folder / "adapter_model.safetensors"))
    if sidecar is not None:
        (folder / "gazex.json").write_text(json.dumps(sidecar))
    return folder


BAD_SIDECARS = [
    ({"max_pixels": "abc"}, "max_pixels 'abc' is not an integer (pixels, e.g. 589824)"),
    ({"max_pixels": "600000"}, "max_pixels '600000' is not an integer (pixels, e.g. 589824)"),
    ({"max_pixels": 3.5e5}, "max_pixels 350000.0 is not an integer (pixels, e.g. 589824)"),
    ({"max_pixels": True}, "max_pixels True is not an integer (pixels, e.g. 589824)"),
    ({"max_pixels": 10}, "max_pixels 10 is out of range: it must be between 3136 and 12845056"),
    ({"max_pixels": 10**9}, "max_pixels 1000000000 is out of range: it must be between 3136 and 12845056"),
    ({"coordinate_frame": "percent"}, "unknown coordinate_frame 'percent'; expected one of downscale4, qwen2vl_1000"),
    ({"coordinate_frame": 4}, "unknown coordinate_frame 4; expected one of downscale4, qwen2vl_1000"),
    ({"name": ["x"]}, "name ['x'] is not a string"),
    ({"prompts": {"grounding": "Where is it?"}},
     "the grounding prompt must hold the {sentence} slot exactly once (found 0)"),
    ({"prompt_preset": "eye-tracking"}, "unknown prompt_preset 'eye-tracking'; expected one of training, inference-json"),
    ({"model_input": "raw"}, "unknown model_input 'raw'; expected one of display, mimic-cxr-jpg"),
]


@pytest.mark.parametrize(("sidecar", "reason"), BAD_SIDECARS)
def test_bad_sidecar_of_the_model_is_refused(tiny_model_dir: Path, tmp_path: Path, sidecar: dict, reason: str) -> None:
    d = _copy(tiny_model_dir, tmp_path / "ck")
    (d / "gazex.json").write_text(json.dumps(sidecar))
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(ModelSpec(d))
    assert str(err.value) == f"{d / 'gazex.json'}: {reason}"


@pytest.mark.parametrize(("sidecar", "reason"), BAD_SIDECARS)
def test_bad_sidecar_of_the_adapter_is_refused(tiny_model_dir: Path, tmp_path: Path, sidecar: dict, reason: str) -> None:
    adapter = _tiny_adapter(tmp_path / "adapter", sidecar)
    with pytest.raises(CheckpointError) as err:
        check_checkpoint(ModelSpec(tiny_model_dir, adapter_dir=adapter))
    assert str(err.value) == f"{adapter / 'gazex.json'}: {reason}"


def test_good_adapter_sidecar_overrides_the_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    adapter = _tiny_adapter(
        tmp_path / "adapter", {"coordinate_frame": "qwen2vl_1000", "max_pixels": 28 * 28 * 64, "name": "ft"}
    )
    info = check_checkpoint(ModelSpec(tiny_model_dir, adapter_dir=adapter))
    assert (info.coordinate_frame, info.max_pixels, info.name) == ("qwen2vl_1000", 50176, "ft")


def test_infer_with_a_bad_adapter_sidecar_is_one_line(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gazex_viewer.cli import main
    from gazex_viewer.inference.tiny_model import SAMPLE_IMAGE

    adapter = _tiny_adapter(tmp_path / "adapter", {"max_pixels": "abc"})
    rc = main(["infer", str(SAMPLE_IMAGE), "--model", str(tiny_model_dir), "--adapter", str(adapter),
               "--device", "cpu", "-o", str(tmp_path / "out")])
    assert rc == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"gazex-viewer infer: {adapter / 'gazex.json'}: max_pixels 'abc' is not an integer (pixels, e.g. 589824)"
    ]


def test_sidecar_chooses_prompts_and_model_input(tiny_model_dir: Path, tmp_path: Path) -> None:
    from gazex_viewer.core.reading.gazex_prompts import PROMPT_PRESETS

    d = _copy(tiny_model_dir, tmp_path / "ck")
    info = check_checkpoint(ModelSpec(d))
    assert info.prompts is PROMPT_PRESETS["training"] and info.model_input == "display"
    side = json.loads((d / "gazex.json").read_text())
    side.update(prompt_preset="inference-json", model_input="mimic-cxr-jpg")
    (d / "gazex.json").write_text(json.dumps(side))
    info = check_checkpoint(ModelSpec(d))
    assert info.prompts is PROMPT_PRESETS["inference-json"] and info.model_input == "mimic-cxr-jpg"
    adapter = _tiny_adapter(tmp_path / "adapter", {"prompts": {"grounding": "Find '{sentence}'."}})
    info = check_checkpoint(ModelSpec(d, adapter_dir=adapter))
    assert info.prompts.preset == "custom" and info.prompts.grounding == "Find '{sentence}'."
