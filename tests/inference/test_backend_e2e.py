"""End to end on the tiny model through the transformers backend: known report, boxes and trajectory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gazex_viewer.core.errors import CheckpointError
from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.inference import protocol
from gazex_viewer.inference.api import GenerationSettings, JobEvent, ModelSpec
from gazex_viewer.inference.backend import JobCancelled, JobControl
from gazex_viewer.inference.protocol import film_size_warning
from gazex_viewer.inference.tiny_model import KNOWN_BOXES, KNOWN_REPORT, SAMPLE_IMAGE
from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend
from tests.inference.backend_tools import make_adapter, read_sample

EXPECTED_TRAJECTORY = [
    (188.0, 320.0, 0.0, 1.0, "clue", "f-1"),
    (312.0, 324.0, 1.0, 2.0, "clue", "f-1"),
    (256.0, 324.0, 2.0, 3.0, "observation", "f-1"),
    (256.0, 244.0, 3.0, 4.0, "observation", "f-2"),
]


def test_known_reading(loaded_backend: TransformersGazeXBackend, tiny_model_dir: Path) -> None:
    events: list[JobEvent] = []
    reading = read_sample(loaded_backend, GenerationSettings(), events)
    assert reading.raw_report == KNOWN_REPORT
    assert [s.text for s in reading.sentences] == list(KNOWN_BOXES)
    for finding, (sentence, (clues, obs)) in zip(reading.findings, KNOWN_BOXES.items(), strict=True):
        assert finding.text == sentence
        assert finding.observation == obs
        assert finding.clues == clues
        assert finding.warnings == []
    assert [(p.x, p.y, p.t_start, p.t_end, p.kind, p.finding_id) for p in reading.trajectory] == EXPECTED_TRAJECTORY
    # the sample film is 512 px: a real GazeX checkpoint's downscale4 boxes would be misplaced, and the reading says so
    assert reading.warnings == [film_size_warning(reading.image, "downscale4")]
    assert reading.warnings[0].startswith("the film is 512 x 512 px, much smaller than GazeX's training films")
    from gazex_viewer.core.reading.validation import validate_reading_dict

    assert validate_reading_dict(reading.to_dict()) == []
    # labels from the report sentences
    assert [(lab.observation, lab.status) for lab in reading.findings[0].labels] == [("Cardiomegaly", "positive")]
    assert reading.findings[1].is_pertinent_negative
    # producer filled in
    p = reading.producer
    assert p.kind == "model" and p.name == "tiny-gazex (test model)"
    import hashlib

    assert p.checkpoint_sha256 == hashlib.sha256((tiny_model_dir / "model.safetensors").read_bytes()).hexdigest()
    assert (p.backend, p.device, p.dtype, p.coordinate_frame) == ("transformers", "cpu", "float32", "downscale4")
    # GazeX's own decoding by default, every effective parameter recorded (repetition_penalty passed as 1.0)
    assert p.generation["deterministic"] is False and p.generation["max_new_tokens"] == 1024
    assert p.generation["effective"] == {
        "do_sample": True, "temperature": 1.0, "top_p": 0.9, "top_k": None, "repetition_penalty": 1.0,
        "min_new_tokens": 20, "max_new_tokens": 1024, "seed": 0,
    }
    assert p.generation["decoding"] == "GazeX sampling (T 1, top-p 0.9, seed 0)"
    assert p.generation["model_input"] == "display"
    assert p.generation["model_input_size"] == [112, 112] and p.generation["image_tokens"] == 16
    assert p.timings["report_tokens"] == 38 and p.timings["grounding_prompts"] == 2
    assert p.timings["total_s"] >= p.timings["report_s"] > 0
    from gazex_viewer.core.reading.gazex_prompts import PROMPT_PRESETS

    assert p.prompts == PROMPT_PRESETS["training"].record() and p.prompts["preset"] == "training"
    # the report was streamed, piece by piece, and adds up to the report
    pieces = [e.text for e in events if e.kind == "text"]
    assert len(pieces) >= 4
    assert "".join(pieces).strip() == KNOWN_REPORT
    stages = [e.stage for e in events if e.kind == "progress"]
    assert stages.index("report") < stages.index("grounding") < stages.index("parsing")


def test_sampling_is_seeded(loaded_backend: TransformersGazeXBackend) -> None:
    s = GenerationSettings(deterministic=False, temperature=1.0, top_p=0.9, seed=11)
    a = read_sample(loaded_backend, s)
    b = read_sample(loaded_backend, s)
    assert a.raw_report == b.raw_report
    assert [f.raw_grounding for f in a.findings] == [f.raw_grounding for f in b.findings]
    assert a.producer.generation["deterministic"] is False and a.producer.generation["seed"] == 11


def test_cancel_stops_within_a_token(loaded_backend: TransformersGazeXBackend) -> None:
    rad = load_radiograph(SAMPLE_IMAGE)
    control = JobControl(3)
    texts: list[str] = []

    def emit(event: JobEvent) -> None:
        if event.kind == "text":
            texts.append(event.text)
            control.cancel_event.set()

    control.emit = emit
    with pytest.raises(JobCancelled):
        protocol.run_reading(loaded_backend, rad.render(), rad.image_ref(), GenerationSettings(), control)
    # the flag was set after the first piece; the stopping criterion let at most one more token through
    assert 1 <= len(texts) <= 2


def test_untrained_model_gives_empty_valid_reading_with_warnings(untrained_model_dir: Path) -> None:
    from gazex_viewer.core.reading.document import Reading

    backend = TransformersGazeXBackend()
    backend.load(ModelSpec(untrained_model_dir, device="cpu"))
    reading = read_sample(backend, GenerationSettings(max_new_tokens=40))
    backend.unload()
    assert reading.raw_report and reading.raw_report != KNOWN_REPORT
    assert all(f.observation is None and f.clues == [] for f in reading.findings)
    assert reading.trajectory == []
    assert any("max_new_tokens (40)" in w for w in reading.warnings)
    assert all(f.warnings for f in reading.findings)
    # still a valid document: schema and consistency checks pass, and it round-trips through JSON
    from gazex_viewer.core.reading.validation import validate_reading_dict

    assert validate_reading_dict(reading.to_dict()) == []
    again = Reading.from_json(reading.to_json())
    assert again.to_dict() == reading.to_dict()


def test_lora_adapter_over_base(tiny_model_dir: Path, tmp_path: Path) -> None:
    import hashlib

    adapter = make_adapter(tiny_model_dir, tmp_path / "adapter")
    assert (adapter / "adapter_model.safetensors").is_file()
    backend = TransformersGazeXBackend()
    lm = backend.load(ModelSpec(tiny_model_dir, adapter_dir=adapter, device="cpu"))
    assert lm.adapter_sha256 == hashlib.sha256((adapter / "adapter_model.safetensors").read_bytes()).hexdigest()
    reading = read_sample(backend, GenerationSettings())
    backend.unload()
    assert reading.raw_report == KNOWN_REPORT
    assert reading.findings[0].observation == KNOWN_BOXES["enlarged cardiac silhouette ."][1]
    assert reading.producer.adapter_sha256 == lm.adapter_sha256


def test_lora_adapter_old_key_layout_is_mapped(tiny_model_dir: Path, tmp_path: Path) -> None:
    """LLaMA-Factory adapters saved with transformers < 4.52 name ``model.layers.*``; they must still apply."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    new = make_adapter(tiny_model_dir, tmp_path / "new", zero=False)
    old = tmp_path / "old"
    shutil.copytree(new, old)
    tensors = load_file(str(new / "adapter_model.safetensors"))
    assert all("model.language_model.layers." in k for k in tensors)
    save_file({k.replace("model.language_model.layers.", "model.layers."): v for k, v in tensors.items()},
              str(old / "adapter_model.safetensors"))
    key = "model.language_model.layers.0.self_attn.q_proj.weight"
    weights = {}
    for name, adapter in (("base", None), ("new", new), ("old", old)):
        backend = TransformersGazeXBackend()
        backend.load(ModelSpec(tiny_model_dir, adapter_dir=adapter, device="cpu"))
        weights[name] = backend.model.state_dict()[key].clone()
        backend.unload()
    assert not torch.allclose(weights["new"], weights["base"])  # the adapter was applied ...
    assert torch.equal(weights["new"], weights["old"])  # ... the same way from either key layout


def test_lora_adapter_for_another_base_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    adapter = make_adapter(tiny_model_dir, tmp_path / "adapter")
    tensors = load_file(str(adapter / "adapter_model.safetensors"))
    import torch

    # what an adapter trained on a base with a wider hidden size (128 instead of 64) looks like
    tensors = {k: (torch.zeros(v.shape[0], 128) if ".lora_A." in k else v) for k, v in tensors.items()}
    save_file(tensors, str(adapter / "adapter_model.safetensors"))
    with pytest.raises(CheckpointError) as err:
        TransformersGazeXBackend().load(ModelSpec(tiny_model_dir, adapter_dir=adapter, device="cpu"))
    assert err.value.path == str(adapter)
    assert "LoRA adapter does not fit this base model" in err.value.reason
    assert "adapter size 128, base model 64" in err.value.reason


def test_corrupt_weights_fail_to_load(tiny_model_dir: Path, tmp_path: Path) -> None:
    import json
    import shutil

    d = tmp_path / "ck"
    shutil.copytree(tiny_model_dir, d)
    cfg = json.loads((d / "config.json").read_text())
    cfg["text_config"]["hidden_size"] = 96  # weights no longer match the config
    (d / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError) as err:
        TransformersGazeXBackend().load(ModelSpec(d, device="cpu"))
    assert err.value.path == str(d)
    # one line naming a tensor and both shapes (transformers' own error only says "look at the above report")
    assert re.fullmatch(
        r"the weights do not fit config\.json: \d+ tensor\(s\) of another shape "
        r"\(first \S+: checkpoint \[\d+, 64\], config \[\d+, 96\]\)",
        err.value.reason,
    ), err.value.reason


def test_qwen2vl_1000_frame_with_box_tokens(tmp_path: Path) -> None:
    """A checkpoint whose sidecar names Qwen2-VL's own 0-1000 grid: answers carry <|box_start|> tokens."""
    from gazex_viewer.inference.tiny_model import make_test_model

    result = make_test_model(tmp_path / "q1000", frame="qwen2vl_1000")
    assert result.exact
    backend = TransformersGazeXBackend()
    backend.load(ModelSpec(result.path, device="cpu"))
    reading = read_sample(backend, GenerationSettings())
    backend.unload()
    assert reading.producer.coordinate_frame == "qwen2vl_1000"
    assert reading.raw_report == KNOWN_REPORT
    assert "<|box_start|>" in (reading.findings[0].raw_grounding or "")
    for finding, (clues, obs) in zip(reading.findings, KNOWN_BOXES.values(), strict=True):
        assert finding.observation is not None and len(finding.clues) == len(clues)
        for got, want in zip([finding.observation, *finding.clues], [obs, *clues]):
            # the 0-1000 grid on a 512 px image rounds to within half a grid step (0.26 px)
            assert abs(got.x_min - want.x_min) <= 0.6 and abs(got.y_max - want.y_max) <= 0.6


def test_token_budget_is_checked_before_the_model_is_called(loaded_backend: TransformersGazeXBackend) -> None:
    """A prompt that does not fit the context is an InferenceError naming the budget; a max_new_tokens that does
    not fit is lowered, with a warning in the reading for each prompt kind."""
    from gazex_viewer.core.errors import InferenceError
    from gazex_viewer.core.reading.gazex_protocol import REPORT_PROMPT, grounding_prompt
    from gazex_viewer.core.reading.report_text import split_sentences
    from gazex_viewer.inference.images import prepare_image

    backend = loaded_backend
    extra = backend.loaded.extra
    saved = extra["max_position_embeddings"]
    rg = load_radiograph(SAMPLE_IMAGE)
    pil = prepare_image(rg.render(), backend.loaded.info.max_pixels)
    n_report = int(backend._inputs([backend._chat(REPORT_PROMPT)], pil)["input_ids"].shape[1])
    prompts = [backend._chat(grounding_prompt(s)) for s in split_sentences(KNOWN_REPORT)]
    n_ground = int(backend._inputs(prompts, pil)["input_ids"].shape[1])  # padded batch
    assert n_ground > n_report > 16
    try:
        extra["max_position_embeddings"] = n_report - 3
        with pytest.raises(InferenceError) as err:
            read_sample(backend, GenerationSettings(max_new_tokens=64))
        assert str(err.value) == (
            f"report prompt: token budget exceeded: {n_report} prompt tokens > {n_report - 3} positions"
        )

        limit = n_ground + 200
        asked = limit - n_report + 27  # fits neither prompt kind
        extra["max_position_embeddings"] = limit
        reading = read_sample(backend, GenerationSettings(max_new_tokens=asked))
        assert reading.raw_report == KNOWN_REPORT  # the lowered budgets still hold the whole answers
        assert [f.observation for f in reading.findings] == [obs for _, obs in KNOWN_BOXES.values()]
        assert reading.warnings[1:] == [
            f"report prompt: max_new_tokens lowered from {asked} to {limit - n_report} "
            f"({n_report} prompt tokens, {limit} positions)",
            f"grounding prompt: max_new_tokens lowered from {asked} to 200 ({n_ground} prompt tokens, {limit} positions)",
        ]
    finally:
        extra["max_position_embeddings"] = saved


def test_checkpoint_generation_config_penalties_are_overridden_and_recorded(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    """A Qwen2-VL-Instruct-like generation_config (repetition_penalty 1.05, no_repeat_ngram_size) is not inherited."""
    import json
    import shutil

    from gazex_viewer.inference.api import ModelSpec

    d = tmp_path / "ck"
    shutil.copytree(tiny_model_dir, d)
    cfg = json.loads((d / "generation_config.json").read_text())
    cfg.update(repetition_penalty=1.05, no_repeat_ngram_size=2)
    (d / "generation_config.json").write_text(json.dumps(cfg))
    backend = TransformersGazeXBackend()
    backend.load(ModelSpec(d, device="cpu"))
    try:
        kw = backend._gen_kwargs(GenerationSettings(), 64, None)
        assert kw["repetition_penalty"] == 1.0 and kw["no_repeat_ngram_size"] == 0 and kw["min_new_tokens"] == 20
        reading = read_sample(backend, GenerationSettings())
    finally:
        backend.unload()
    # no_repeat_ngram_size=2 would forbid the repeated digit pairs of the known boxes: the answers are exact
    assert reading.raw_report == KNOWN_REPORT
    assert [f.observation for f in reading.findings] == [obs for _, obs in KNOWN_BOXES.values()]
    assert any("repetition_penalty=1.05" in w and "overridden" in w for w in reading.warnings)
    assert any("no_repeat_ngram_size=2" in w for w in reading.warnings)


def test_hot_sampling_of_the_untrained_model_never_breaks_a_reading(untrained_model_dir: Path) -> None:
    """Temperature 3, top_p 1, seeds 1-12 (benchmarks/hot_sampling.py runs the same with 1024 tokens)."""
    from gazex_viewer.core.reading.gazex_prompts import _SPECIAL
    from gazex_viewer.inference.api import ModelSpec

    backend = TransformersGazeXBackend()
    backend.load(ModelSpec(untrained_model_dir, device="cpu"))
    rad = load_radiograph(SAMPLE_IMAGE)
    try:
        for seed in range(1, 13):
            s = GenerationSettings(temperature=3.0, top_p=1.0, seed=seed, max_new_tokens=96)
            r = protocol.run_reading(backend, rad.render(), rad.image_ref(), s, JobControl(seed))
            for f in r.findings:
                assert not _SPECIAL.search(f.text)
                assert not (f.unreadable and any(lab.status == "positive" for lab in f.labels))
            assert r.raw_report  # the raw answer is kept for audit
        # the grounding path with hot sampling, on sentences that hold special tokens (which used to reach the
        # processor and fail with "Found 1 <|video_pad|> tokens in the text but no videos were passed")
        for seed in range(1, 4):
            s = GenerationSettings(temperature=3.0, top_p=1.0, seed=seed, max_new_tokens=48)
            found = protocol.ground_sentences(
                backend,
                rad.render(), rad.image_ref(), ["no <|video_pad|>pneumothorax .", "heart <|image_pad|>size normal ."],
                s, JobControl(seed),
            )
            assert [f.text for f in found] == ["no pneumothorax .", "heart size normal ."]
            assert all(f.raw_grounding is not None for f in found)
    finally:
        backend.unload()


def test_a_qwen2_5_vl_checkpoint_gives_the_known_reading(tmp_path: Path) -> None:
    """LLaMA-Factory's qwen2_vl template serves Qwen2.5-VL bases too: such a checkpoint loads and reads."""
    from gazex_viewer.cli import main
    from gazex_viewer.core.reading.document import Reading
    from gazex_viewer.inference.api import check_checkpoint

    d = tmp_path / "q25"
    assert main(["make-test-model", str(d), "--arch", "qwen2_5_vl"]) == 0
    assert check_checkpoint(ModelSpec(d)).model_type == "qwen2_5_vl"
    out = tmp_path / "out"
    assert main(["infer", str(SAMPLE_IMAGE), "--model", str(d), "--device", "cpu", "--no-cache", "-o", str(out)]) == 0
    reading = Reading.from_json((out / "00000001_000.reading.json").read_text())
    assert reading.raw_report == KNOWN_REPORT
    assert [f.observation for f in reading.findings] == [obs for _, obs in KNOWN_BOXES.values()]
    assert reading.producer.coordinate_frame == "downscale4"


def test_lora_adapter_with_pre_452_full_module_names_is_remapped(tiny_model_dir: Path, tmp_path: Path) -> None:
    """LLaMA-Factory lists full module names in target_modules; before transformers 4.52 they read model.layers.N."""
    import json
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    new = make_adapter(tiny_model_dir, tmp_path / "new", zero=False)
    names = [f"model.language_model.layers.{i}.self_attn.{p}" for i in range(2) for p in ("q_proj", "v_proj")]
    cfg = json.loads((new / "adapter_config.json").read_text())
    cfg["target_modules"] = names
    (new / "adapter_config.json").write_text(json.dumps(cfg))
    old = tmp_path / "old"
    shutil.copytree(new, old)
    cfg["target_modules"] = [n.replace("model.language_model.layers.", "model.layers.") for n in names]
    (old / "adapter_config.json").write_text(json.dumps(cfg))
    tensors = load_file(str(new / "adapter_model.safetensors"))
    save_file({k.replace("model.language_model.layers.", "model.layers."): v for k, v in tensors.items()},
              str(old / "adapter_model.safetensors"))
    key = "model.language_model.layers.1.self_attn.v_proj.weight"
    weights = {}
    for name, adapter in (("base", None), ("new", new), ("old", old)):
        backend = TransformersGazeXBackend()
        backend.load(ModelSpec(tiny_model_dir, adapter_dir=adapter, device="cpu"))
        weights[name] = backend.model.state_dict()[key].clone()
        backend.unload()
    assert not torch.allclose(weights["new"], weights["base"])
    assert torch.equal(weights["new"], weights["old"])
    # a regular expression in the old layout cannot be remapped safely: refused, saying why
    cfg["target_modules"] = r"^model\.layers\.\d+\.self_attn\.(q_proj|v_proj)$"
    (old / "adapter_config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError) as err:
        TransformersGazeXBackend().load(ModelSpec(tiny_model_dir, adapter_dir=old, device="cpu"))
    assert "layout of transformers before 4.52" in str(err.value) and "cannot be remapped" in str(err.value)
