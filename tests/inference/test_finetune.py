"""finetune: a LoRA adapter trained on exported expert gaze makes the tiny model answer the expert's boxes.

The slow test is the issue's proof on CPU: a synthetic expert reading of the bundled sample film whose boxes differ
from the tiny model's known answers -> export-training -> finetune (interrupted and resumed) -> ``infer --adapter
--deterministic`` answers the new boxes, the untouched base still answers the old ones, and ``compare`` between the
new reading and the expert reading reports perfect agreement. The loss curve goes to test-artifacts/.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.errors import CheckpointError
from gazex_viewer.core.reading.document import Box, Finding, Producer, Reading, Sentence
from gazex_viewer.inference.finetune import (
    FinetuneConfig,
    FinetuneError,
    finetune,
    load_dataset,
)
from gazex_viewer.inference.tiny_model import KNOWN_BOXES, KNOWN_REPORT, SAMPLE_IMAGE

#: the expert's boxes: the tiny model's two sentences, other places (multiples of 4: exact in the downscale4 frame);
#: both with two clue boxes, so that training uses prompt variant A, the one the app asks with
EXPERT_BOXES: dict[str, tuple[list[Box], Box]] = {
    "enlarged cardiac silhouette .": (
        [Box(100, 200, 220, 360, 160, 280), Box(280, 220, 420, 380, 348, 300)], Box(96, 196, 424, 392, 260, 296)
    ),
    "no pneumothorax .": (
        [Box(60, 60, 200, 240, 128, 148), Box(312, 60, 452, 240, 380, 152)], Box(52, 52, 460, 256, 256, 152)
    ),
}


def expert_reading(path: Path) -> Path:
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.reading.trajectory import keyframe_trajectory

    assert list(EXPERT_BOXES) == list(KNOWN_BOXES) and " ".join(EXPERT_BOXES) == KNOWN_REPORT
    sentences, findings = [], []
    for i, (text, (clues, obs)) in enumerate(EXPERT_BOXES.items(), 1):
        assert obs != KNOWN_BOXES[text][1]
        sentences.append(Sentence(f"s-{i}", text))
        findings.append(Finding(f"f-{i}", f"s-{i}", text, clues=clues, observation=obs))
    producer = Producer(kind="expert", name="synthetic expert", dataset="synthetic", coordinate_frame="original",
                        generation={"recording": {"subject_id": "p-1"}})
    reading = Reading(image=load_radiograph(SAMPLE_IMAGE).image_ref(), producer=producer, sentences=sentences,
                      findings=findings, trajectory=keyframe_trajectory(findings), raw_report=KNOWN_REPORT)
    reading.save(path)
    return path


def _boxes(reading_path: Path) -> dict[str, tuple[list[Box], Box | None]]:
    from gazex_viewer.core.reading.validation import load_reading

    r = load_reading(reading_path)
    return {f.text: (f.clues, f.observation) for f in r.findings}


def _infer(model: Path, adapter: Path | None, out: Path) -> Path:
    args = ["infer", str(SAMPLE_IMAGE), "--model", str(model), "--device", "cpu", "--deterministic", "--no-cache",
            "-o", str(out)]
    if adapter is not None:
        args += ["--adapter", str(adapter)]
    assert main(args) == 0
    return out / "00000001_000.reading.json"


@pytest.mark.slow
def test_finetune_teaches_the_expert_boxes(tiny_model_dir: Path, tmp_path: Path, artifacts_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    expert = expert_reading(tmp_path / "expert.reading.json")
    dataset = tmp_path / "dataset"
    assert main(["export-training", str(expert), "--images", str(SAMPLE_IMAGE.parent), "-o", str(dataset)]) == 0
    samples, manifest = load_dataset(dataset)
    assert len(samples) == 3 and manifest["splits"]["train"]["grounding_a"] == 2

    adapter = tmp_path / "adapter"
    cfg = FinetuneConfig(lr=1e-2, batch_size=3, max_steps=150, save_steps=50, device="cpu", threads=1)
    lines: list[str] = []

    def stop_at_60(line: str) -> None:  # an interrupted run: the checkpoint at step 50 stays behind
        lines.append(line)
        if line.startswith("step 60/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune(dataset, tiny_model_dir, adapter, cfg, say=stop_at_60)
    assert not adapter.exists() and (tmp_path / "adapter.partial" / "checkpoint-50").is_dir()
    cfg.resume = True
    result = finetune(dataset, tiny_model_dir, adapter, cfg, say=lines.append)
    assert result.resumed_from is not None and result.resumed_from.endswith("checkpoint-50")
    assert result.steps == 150  # continued, not restarted: the resumed run logged steps 51 to 150 only
    assert [ln for ln in lines if ln.startswith("step ")][60].startswith("step 51/150")
    assert [s for s, _ in result.losses] == list(range(1, 151))  # the curve holds the steps before the resume
    assert not (tmp_path / "adapter.partial").exists()
    losses = [v for _, v in result.losses]
    # the floor (~0.09) is the "\n" after <|im_end|>, which the tiny model's untrained output row cannot express
    assert losses[0] > 1.0 and losses[-1] < 0.2, losses[:: len(losses) // 10]
    logged = json.loads((adapter / "training_log.json").read_text())["losses"]
    assert [(e["step"], e["loss"]) for e in logged] == result.losses
    shutil.copyfile(adapter / "loss.png", artifacts_dir / "finetune_tiny_loss.png")

    sidecar = json.loads((adapter / "gazex.json").read_text())
    assert (sidecar["coordinate_frame"], sidecar["prompt_preset"], sidecar["max_pixels"]) == ("downscale4", "training", 112 * 112)
    cfg_saved = json.loads((adapter / "adapter_config.json").read_text())
    targets = sorted(cfg_saved["target_modules"])
    assert len(targets) == 14 and all(t.startswith("model.language_model.layers.") for t in targets)
    assert not any("visual" in t for t in targets)

    new = _infer(tiny_model_dir, adapter, tmp_path / "new")
    old = _infer(tiny_model_dir, None, tmp_path / "old")
    got = _boxes(new)
    # the training targets exactly (GazeX's script narrows each box and truncates it on the /4 grid) ...
    from gazex_viewer.core.reading.gazex_protocol import parse_grounding

    targets = {}
    for text in EXPERT_BOXES:
        answer = next(a for t, a, _ in samples if f"'{text}'" in t)
        parsed = parse_grounding(answer, width=512, height=512)
        targets[text] = (parsed.clues, parsed.observation)
    assert got == targets
    # ... which are the expert's boxes to within one /4 step (4 px), far from the base model's
    for text, (clues, obs) in EXPERT_BOXES.items():
        for want, have in zip([*clues, obs], [*got[text][0], got[text][1]], strict=True):
            assert have is not None and max(abs(a - b) for a, b in zip(want.to_dict().values(), have.to_dict().values())) <= 4
    assert _boxes(old) == {t: (c, o) for t, (c, o) in KNOWN_BOXES.items()}  # the base still answers the old ones
    capsys.readouterr()
    assert main(["compare", str(new), str(expert), "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert compared["different_films"] is None
    metrics = compared["whole_film"]
    assert metrics["icc_x"] > 0.99 and metrics["icc_y"] > 0.99 and metrics["cc"] > 0.99, metrics
    assert main(["compare", str(old), str(expert), "--json"]) == 0
    before = json.loads(capsys.readouterr().out)["whole_film"]
    assert before["cc"] < 0.9, before  # the base model's boxes were elsewhere


def _dataset(tmp_path: Path) -> Path:
    expert = expert_reading(tmp_path / "expert.reading.json")
    out = tmp_path / "dataset"
    assert main(["export-training", str(expert), "--images", str(SAMPLE_IMAGE.parent), "-o", str(out)]) == 0
    return out


def test_bad_dataset_is_one_line(tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    samples, _ = load_dataset(ds)
    assert samples[0][0].startswith(" Given") and samples[0][1] == KNOWN_REPORT and samples[0][2] == SAMPLE_IMAGE.resolve()
    rows = json.loads((ds / "gazex_train.json").read_text())
    rows[1]["images"] = ["/nowhere/film.png"]
    (ds / "gazex_train.json").write_text(json.dumps(rows))
    with pytest.raises(FinetuneError, match="gazex_train.json: sample 1: image /nowhere/film.png not found"):
        load_dataset(ds)
    rows[1]["messages"][0]["content"] = "no image token"
    (ds / "gazex_train.json").write_text(json.dumps(rows))
    with pytest.raises(FinetuneError, match="sample 1: the user message must start with the one <image>"):
        load_dataset(ds)
    (ds / "dataset_info.json").unlink()
    with pytest.raises(FinetuneError, match="no dataset_info.json"):
        load_dataset(ds)
    with pytest.raises(FinetuneError, match="dataset folder not found"):
        load_dataset(tmp_path / "none")


def test_base_of_another_layout_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = _dataset(tmp_path)
    capsys.readouterr()
    other = tmp_path / "llama"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}))
    with pytest.raises(CheckpointError) as err:
        finetune(ds, other, tmp_path / "adapter")
    assert str(other) in str(err.value) and "\n" not in str(err.value)
    # through the command line: one line, exit code 2, nothing written
    assert main(["finetune", str(ds), "--base", str(other), "-o", str(tmp_path / "adapter")]) == 2
    err_text = capsys.readouterr().err.strip()
    assert err_text.startswith("gazex-viewer finetune: ") and len(err_text.splitlines()) == 1
    assert not (tmp_path / "adapter").exists() and not (tmp_path / "adapter.partial").exists()
    # an adapter folder given as the base
    adapter_like = tmp_path / "adapter_like"
    adapter_like.mkdir()
    (adapter_like / "adapter_config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="LoRA adapter folder"):
        finetune(ds, adapter_like, tmp_path / "adapter")


def test_occupied_output_and_resume_without_checkpoint(tiny_model_dir: Path, tmp_path: Path) -> None:
    ds = _dataset(tmp_path)
    out = tmp_path / "adapter"
    out.mkdir()
    (out / "keep").write_text("x")
    with pytest.raises(FinetuneError, match="exists and is not empty"):
        finetune(ds, tiny_model_dir, out)
    with pytest.raises(FinetuneError, match="no checkpoint to resume from"):
        finetune(ds, tiny_model_dir, tmp_path / "fresh", FinetuneConfig(resume=True))


@pytest.mark.slow
def test_held_out_patients_are_evaluated(tiny_model_dir: Path, tmp_path: Path) -> None:
    from gazex_viewer.core.export.training_splits import split_of

    split = {"train": 0.5, "val": 0.5}
    ids = [f"p-{i}" for i in range(50)]
    train_id = next(i for i in ids if split_of(f"patient:{i}", split) == "train")
    val_id = next(i for i in ids if split_of(f"patient:{i}", split) == "val")
    readings = []
    for pid in (train_id, val_id):
        path = expert_reading(tmp_path / f"{pid}.reading.json")
        doc = json.loads(path.read_text())
        doc["producer"]["generation"]["recording"]["subject_id"] = pid
        path.write_text(json.dumps(doc))
        readings.append(str(path))
    ds = tmp_path / "dataset"
    assert main(["export-training", *readings, "--images", str(SAMPLE_IMAGE.parent), "-o", str(ds),
                 "--split", "train=0.5,val=0.5"]) == 0
    lines: list[str] = []
    result = finetune(ds, tiny_model_dir, tmp_path / "adapter",
                      FinetuneConfig(lr=1e-2, batch_size=3, max_steps=2, device="cpu", threads=1), say=lines.append)
    assert result.samples == 3 and result.val_loss is not None and result.val_loss > 0
    assert any(ln.startswith("held-out loss (gazex_val, 3 samples): ") for ln in lines)
    held = json.loads((tmp_path / "adapter" / "gazex.json").read_text())["training"]["held_out"]
    assert held == {"datasets": ["gazex_val"], "samples": 3, "loss": result.val_loss}


def test_failure_before_the_first_checkpoint_leaves_nothing(tiny_model_dir: Path, tmp_path: Path) -> None:
    from gazex_viewer.core.errors import RadiographError

    ds = _dataset(tmp_path)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    rows = json.loads((ds / "gazex_train.json").read_text())
    for row in rows:
        row["images"] = [str(junk)]
    (ds / "gazex_train.json").write_text(json.dumps(rows))
    with pytest.raises(RadiographError) as err:
        finetune(ds, tiny_model_dir, tmp_path / "adapter", FinetuneConfig(device="cpu", threads=1), say=lambda _l: None)
    assert str(junk) in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "adapter").exists() and not (tmp_path / "adapter.partial").exists()
