"""``gazex-viewer infer`` and ``make-test-model`` on the command line (in-process through cli.main)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.inference.tiny_model import KNOWN_BOXES, KNOWN_REPORT, SAMPLE_IMAGE
from tests.conftest import shared_file


def test_infer_writes_one_reading_per_input(
    tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dicom = shared_file("dicom/nih_dx_secondary_capture.dcm")
    out = tmp_path / "out"
    rc = main(
        ["infer", str(SAMPLE_IMAGE), str(dicom), "--model", str(tiny_model_dir), "--device", "cpu",
         "-o", str(out), "--cache-dir", str(tmp_path / "cache"), "--max-new-tokens", "64"]
    )
    err = capsys.readouterr().err
    assert rc == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["00000001_000.reading.json", "nih_dx_secondary_capture.reading.json"]
    reading = Reading.from_json((out / "00000001_000.reading.json").read_text())
    assert reading.raw_report == KNOWN_REPORT
    assert [f.observation for f in reading.findings] == [obs for _, obs in KNOWN_BOXES.values()]
    other = Reading.from_json((out / "nih_dx_secondary_capture.reading.json").read_text())
    assert (other.image.width, other.image.height) == (1024, 1024)
    assert other.image.sop_instance_uid  # DICOM UIDs carried into the reading
    # progress lines: image k of n, stage
    assert "[1/2] 00000001_000.png: report" in err
    assert "[2/2] nih_dx_secondary_capture.dcm: grounding" in err or "[2/2] nih_dx_secondary_capture.dcm: report" in err
    assert "[1/2] 00000001_000.png: 2 findings, 1 warnings" in err  # the 512 px film is much smaller than GazeX's


def test_infer_bad_checkpoint_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "ck"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"model_type": "qwen2_vl"}))
    (d / "pytorch_model.bin").write_bytes(b"pickle")
    rc = main(["infer", str(SAMPLE_IMAGE), "--model", str(d), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert len(err) == 1
    assert err[0].startswith(f"gazex-viewer infer: {d}: model has only pickle weights (pytorch_model.bin)")


def test_infer_missing_model_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["infer", str(SAMPLE_IMAGE), "--model", str(tmp_path / "none"), "-o", str(tmp_path / "out")])
    assert rc == 2
    assert capsys.readouterr().err.strip() == f"gazex-viewer infer: {tmp_path / 'none'}: checkpoint folder not found"


def test_infer_bad_input_exit_2(tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.dcm"
    rc = main(
        ["infer", str(missing), str(SAMPLE_IMAGE), "--model", str(tiny_model_dir), "--device", "cpu",
         "-o", str(tmp_path / "out"), "--no-cache"]
    )
    err = capsys.readouterr().err
    assert rc == 2
    lines = [ln for ln in err.splitlines() if "error:" in ln]
    assert len(lines) == 1 and str(missing) in lines[0]
    # the good input was still read
    assert (tmp_path / "out" / "00000001_000.reading.json").is_file()


def test_make_test_model_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "untrained"
    rc = main(["make-test-model", str(out), "--untrained"])
    assert rc == 0
    assert "wrote untrained tiny GazeX checkpoint" in capsys.readouterr().err
    names = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja", "gazex.json"} <= names
    assert "processor_config.json" in names or "preprocessor_config.json" in names
    sidecar = json.loads((out / "gazex.json").read_text())
    assert sidecar["coordinate_frame"] == "downscale4" and sidecar["max_pixels"] == 112 * 112
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["model_type"] == "qwen2_vl"
    assert max(cfg["image_token_id"], cfg["vision_start_token_id"], cfg["video_token_id"]) < cfg["text_config"]["vocab_size"]
    shutil.rmtree(out)


def test_infer_cuda_absent_and_bad_settings(tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    rc = main(["infer", str(SAMPLE_IMAGE), "--model", str(tiny_model_dir), "--device", "cuda", "-o", str(tmp_path)])
    assert rc == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"gazex-viewer infer: {tiny_model_dir}: device 'cuda' requested but CUDA is not available "
        "(no CUDA device is visible)"
    )
    rc = main(["infer", str(SAMPLE_IMAGE), "--model", str(tiny_model_dir), "--sample", "--top-p", "0", "-o", str(tmp_path)])
    assert rc == 2
    assert "bad generation settings: top_p must be in (0, 1] (got 0.0)" in capsys.readouterr().err


def test_infer_a_folder(tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "films"
    folder.mkdir()
    shutil.copy(SAMPLE_IMAGE, folder / "a.png")
    shutil.copy(SAMPLE_IMAGE, folder / "b.png")
    rc = main(["infer", str(folder), "--model", str(tiny_model_dir), "--device", "cpu", "-o", str(tmp_path / "out"),
               "--cache-dir", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.reading.json", "b.reading.json"]
    a = Reading.from_json((tmp_path / "out" / "a.reading.json").read_text())
    b = Reading.from_json((tmp_path / "out" / "b.reading.json").read_text())
    assert a.raw_report == b.raw_report == KNOWN_REPORT
    # same pixels, model and settings: the second came from the cache, but it is a reading of its own file
    # (the review store keys on the reading id: a shared id would record b's review against a)
    assert a.reading_id != b.reading_id
    assert (a.image.file_name, b.image.file_name) == ("a.png", "b.png")
    assert "cached_from" not in a.producer.generation
    assert b.producer.generation["cached_from"] == {
        "reading_id": a.reading_id,
        "file_name": "a.png",
        "sop_instance_uid": None,
        "created": a.producer.created,
    }


def test_make_test_model_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user's checkpoint folder is never overwritten by mistake: one line, exit 2, nothing touched."""
    folder = tmp_path / "my-checkpoint"
    folder.mkdir()
    weights = {"model-00001-of-00002.safetensors": b"precious weights", "pytorch_model.bin": b"old pickle"}
    for name, data in weights.items():
        (folder / name).write_bytes(data)
    (folder / "config.json").write_text('{"model_type": "qwen2_vl", "mine": true}')
    rc = main(["make-test-model", str(folder), "--untrained"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err == [
        f"gazex-viewer make-test-model: {folder}: folder is not empty (3 entries: config.json, "
        "model-00001-of-00002.safetensors, pytorch_model.bin); its weights and config.json would be replaced: "
        "choose an empty or new folder, or pass --force"
    ]
    for name, data in weights.items():
        assert (folder / name).read_bytes() == data
    assert json.loads((folder / "config.json").read_text()) == {"model_type": "qwen2_vl", "mine": True}

    # a file in place of the folder
    afile = tmp_path / "a-file"
    afile.write_text("x")
    assert main(["make-test-model", str(afile), "--untrained"]) == 2
    assert capsys.readouterr().err.strip() == f"gazex-viewer make-test-model: {afile}: exists and is not a folder"

    # --force writes there (an empty folder needs no --force)
    rc = main(["make-test-model", str(folder), "--untrained", "--force"])
    assert rc == 0, capsys.readouterr().err
    assert json.loads((folder / "config.json").read_text())["model_type"] == "qwen2_vl"
    assert "mine" not in json.loads((folder / "config.json").read_text())
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["make-test-model", str(empty), "--untrained"]) == 0
    assert (empty / "model.safetensors").is_file()
