"""LoRA fine-tuning of a GazeX (Qwen2-VL-layout) checkpoint on an ``export-training`` dataset.

What LLaMA-Factory's ``finetuning_type: lora`` does for Qwen2-VL, with transformers' ``Trainer`` and peft:

- LoRA on the **language model only**: every ``q/k/v/o/gate/up/down_proj`` of ``model.language_model`` listed by
  its full module name (as LLaMA-Factory's ``patch_target_modules`` writes them); the vision tower and the merger
  stay frozen, as do all base weights;
- each sample is the chat the app sends at inference (Qwen2-VL's template, the image first) followed by the target
  and ``<|im_end|>\\n``; the loss counts only the assistant tokens (all of them, the ``\\n`` after ``<|im_end|>``
  included, as LLaMA-Factory's ``qwen2_vl`` template does; the tiny test model cannot learn that last token, whose
  output-embedding row it never trained, so its loss levels off near 0.09 while every answer is exact);
- images are rendered and fitted to the checkpoint's pixel budget exactly as the app does before inference
  (:func:`~gazex_viewer.core.imaging.model_input.model_input`, then :func:`~gazex_viewer.inference.images.prepare_image`).

Training runs in ``ADAPTER_DIR.partial`` (checkpoints every ``save_steps``, resumable with ``resume=True``); at the
end the adapter (``adapter_model.safetensors`` + ``adapter_config.json``), ``gazex.json`` (frame, prompt preset,
max_pixels, model input, and how it was trained), ``training_log.json`` and ``loss.png`` are written there and the
folder is renamed to ``ADAPTER_DIR``. When the dataset has ``*_val`` entries (held-out patients), their mean loss is
printed at the end and recorded in ``gazex.json``. torch, transformers and peft are imported inside the functions.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gazex_viewer.core.errors import CheckpointError, GazeXError
from gazex_viewer.core.export.training_data import (
    DATASET_INFO_NAME,
    IMAGE_TOKEN,
    MANIFEST_NAME,
)

__all__ = ["LORA_PROJECTIONS", "FinetuneConfig", "FinetuneError", "FinetuneResult", "finetune", "load_dataset"]

#: the projections LoRA adapts in every language-model layer (LLaMA-Factory's ``lora_target: all`` for Qwen2-VL)
LORA_PROJECTIONS: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_IM_END = "<|im_end|>"


class FinetuneError(GazeXError):
    """A dataset or setting the fine-tune cannot use (names the file and the reason)."""


@dataclass
class FinetuneConfig:
    """Training settings (LLaMA-Factory's names in brackets)."""

    epochs: float = 3.0  # num_train_epochs
    lr: float = 1e-4  # learning_rate
    rank: int = 8  # lora_rank
    alpha: int | None = None  # lora_alpha (default 2 x rank, as LLaMA-Factory)
    dropout: float = 0.0  # lora_dropout
    batch_size: int = 1  # per_device_train_batch_size
    grad_accum: int = 1  # gradient_accumulation_steps
    max_steps: int = -1  # max_steps (-1: from epochs)
    scheduler: str = "cosine"  # lr_scheduler_type
    warmup_steps: int = 0
    save_steps: int = 50
    seed: int = 0
    device: str = "auto"
    threads: int = 0  # CPU threads (0: torch's default)
    max_pixels: int | None = None  # image budget (default: the base checkpoint's)
    datasets: list[str] = field(default_factory=list)  # dataset_info.json entries (default: every *_train)
    resume: bool = False
    force: bool = False


@dataclass
class FinetuneResult:
    """What :func:`finetune` wrote."""

    adapter_dir: Path
    steps: int
    samples: int
    losses: list[tuple[int, float]]
    seconds: float
    resumed_from: str | None
    #: mean loss on the ``*_val`` entries (held-out patients), None without them
    val_loss: float | None = None


# -- the dataset ------------------------------------------------------------------------------------


def held_out_names(dataset_dir: Path) -> list[str]:
    """The ``dataset_info.json`` entries named ``*_val`` (held-out patients), [] when none or unreadable."""
    try:
        info = json.loads((dataset_dir / DATASET_INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return []
    return [n for n in info if isinstance(n, str) and n.endswith("_val")] if isinstance(info, dict) else []


def load_dataset(dataset_dir: Path, names: list[str] | None = None) -> tuple[list[tuple[str, str, Path]], dict[str, Any]]:
    """(user text after the image, target, image path) per sample, and the manifest ({} when absent).

    Raises
    ------
    FinetuneError
        A missing or malformed ``dataset_info.json``, dataset file or sample, naming the file.
    """
    info_path = dataset_dir / DATASET_INFO_NAME
    if not dataset_dir.is_dir():
        raise FinetuneError(dataset_dir, "dataset folder not found")
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FinetuneError(dataset_dir, f"no {DATASET_INFO_NAME} (write one with gazex-viewer export-training)") from None
    except json.JSONDecodeError as exc:
        raise FinetuneError(info_path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(info, dict) or not info:
        raise FinetuneError(info_path, "no dataset entries")
    chosen = names or [n for n in info if n.endswith("_train")] or list(info)
    samples: list[tuple[str, str, Path]] = []
    for name in chosen:
        entry = info.get(name)
        if not isinstance(entry, dict) or "file_name" not in entry:
            raise FinetuneError(info_path, f"no dataset entry {name!r} (entries: {', '.join(info)})")
        if entry.get("formatting") != "sharegpt":
            raise FinetuneError(info_path, f"{name}: formatting {entry.get('formatting')!r} is not sharegpt")
        path = dataset_dir / str(entry["file_name"])
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FinetuneError(path, "dataset file not found") from None
        except json.JSONDecodeError as exc:
            raise FinetuneError(path, f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(rows, list):
            raise FinetuneError(path, "expected a JSON list of samples")
        for i, row in enumerate(rows):
            samples.append(_sample(row, i, path, dataset_dir))
    if not samples:
        raise FinetuneError(info_path, f"the dataset(s) {', '.join(chosen)} hold no sample")
    manifest: dict[str, Any] = {}
    if (dataset_dir / MANIFEST_NAME).is_file():
        try:
            manifest = json.loads((dataset_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            raise FinetuneError(dataset_dir / MANIFEST_NAME, "not valid JSON") from None
    return samples, manifest


def _sample(row: Any, i: int, path: Path, dataset_dir: Path) -> tuple[str, str, Path]:
    where = f"sample {i}"
    msgs = row.get("messages") if isinstance(row, dict) else None
    images = row.get("images") if isinstance(row, dict) else None
    if (
        not isinstance(msgs, list) or len(msgs) != 2
        or not all(isinstance(m, dict) and isinstance(m.get("content"), str) for m in msgs)
        or [m.get("role") for m in msgs] != ["user", "assistant"]
    ):
        raise FinetuneError(path, f"{where}: expected messages [user, assistant] with string contents")
    user, answer = msgs[0]["content"], msgs[1]["content"]
    if not user.startswith(IMAGE_TOKEN) or user.count(IMAGE_TOKEN) != 1:
        raise FinetuneError(path, f"{where}: the user message must start with the one {IMAGE_TOKEN}")
    if not isinstance(images, list) or len(images) != 1 or not isinstance(images[0], str):
        raise FinetuneError(path, f"{where}: expected one image path in images")
    image = Path(images[0])
    if not image.is_absolute():
        image = dataset_dir / image  # LLaMA-Factory's media_dir defaults to the dataset folder
    if not image.is_file():
        raise FinetuneError(path, f"{where}: image {images[0]} not found")
    return user[len(IMAGE_TOKEN) :], answer, image


# -- helpers ----------------------------------------------------------------------------------------


def lora_target_modules(model: Any) -> list[str]:
    """Full names of the language model's projections (the vision tower excluded)."""
    pattern = re.compile(r"(?:^|\.)(?:language_model\.|model\.)?layers\.\d+\.(?:self_attn|mlp)\.(\w+)$")
    out = []
    for name, _mod in model.named_modules():
        if "visual" in name.split("."):
            continue
        m = pattern.search(name)
        if m and m.group(1) in LORA_PROJECTIONS:
            out.append(name)
    return out


def _device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise FinetuneError(None, f"--device {requested}: no CUDA device is available")
    if requested not in ("cpu",) and not requested.startswith("cuda"):
        raise FinetuneError(None, f"--device {requested!r}: expected auto, cpu or cuda")
    return requested


def _encode(processor: Any, text: str, answer: str, image: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
    prompt = str(processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
    full = processor(text=[prompt + answer + _IM_END + "\n"], images=[image], return_tensors="pt")
    n_prompt = int(processor(text=[prompt], images=[image], return_tensors="pt")["input_ids"].shape[1])
    labels = full["input_ids"].clone()
    labels[:, :n_prompt] = -100
    item = {k: v for k, v in full.items()}
    item["labels"] = labels
    return item


def _collate(pad_id: int) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        n = max(int(it["input_ids"].shape[1]) for it in items)

        def pad(key: str, value: int) -> Any:
            rows = []
            for it in items:
                t = it[key][0]
                rows.append(torch.cat([t, torch.full((n - t.shape[0],), value, dtype=t.dtype)]))
            return torch.stack(rows)

        seq = int(items[0]["input_ids"].shape[1])
        out: dict[str, Any] = {}
        for key in items[0]:
            if key == "pixel_values" or key.endswith("grid_thw"):
                out[key] = torch.cat([it[key] for it in items])  # one image per sample, stacked
            elif items[0][key].dim() == 2 and int(items[0][key].shape[1]) == seq:
                out[key] = pad(key, pad_id if key == "input_ids" else -100 if key == "labels" else 0)
            else:
                out[key] = torch.cat([it[key] for it in items])
        return out

    return collate


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def plot_losses(losses: list[tuple[int, float]], path: Path, title: str) -> Path:
    """A PNG of the training loss per step."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot([s for s, _ in losses], [v for _, v in losses], lw=1.2)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (assistant tokens)")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# -- the fine-tune ----------------------------------------------------------------------------------


def finetune(
    dataset_dir: str | os.PathLike[str],
    base_dir: str | os.PathLike[str],
    adapter_dir: str | os.PathLike[str],
    config: FinetuneConfig | None = None,
    *,
    say: Callable[[str], None] = print,
) -> FinetuneResult:
    """Train a LoRA adapter for ``base_dir`` on the dataset and write it to ``adapter_dir`` (see the module doc).

    Raises
    ------
    FinetuneError, CheckpointError
        One line naming the file and the reason (a bad dataset, a base of another layout, an occupied output).
    """
    t0 = time.perf_counter()
    cfg = config or FinetuneConfig()
    dataset_dir, base_dir, out = Path(dataset_dir), Path(base_dir), Path(adapter_dir)
    from gazex_viewer.inference.api import ModelSpec, check_checkpoint

    info = check_checkpoint(ModelSpec(base_dir, None, "cpu"))  # CheckpointError: not a Qwen2-VL-layout folder
    samples, manifest = load_dataset(dataset_dir, cfg.datasets or None)
    val_names = [] if cfg.datasets else held_out_names(dataset_dir)
    val_samples = load_dataset(dataset_dir, val_names)[0] if val_names else []
    frame = str(manifest.get("coordinate_frame", info.coordinate_frame))
    preset = str(manifest.get("prompt_preset", info.prompts.preset))
    max_pixels = int(cfg.max_pixels or info.max_pixels)
    if cfg.rank < 1 or cfg.lr <= 0 or cfg.batch_size < 1 or cfg.grad_accum < 1 or not cfg.epochs > 0:
        raise FinetuneError(None, "rank, lr, batch size, gradient accumulation and epochs must be positive")
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not cfg.force:
        raise FinetuneError(out, "exists and is not empty (use --force to replace it)")
    work = out.with_name(out.name + ".partial")
    checkpoints = sorted(work.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]) if p.name.split("-")[-1].isdigit() else -1)
    resume_from: str | None = None
    if cfg.resume:
        if not checkpoints:
            raise FinetuneError(work, "no checkpoint to resume from (run without --resume to start)")
        resume_from = str(checkpoints[-1])
    elif work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)

    try:
        return _train(cfg, info, dataset_dir, base_dir, out, work, samples, manifest, val_names, val_samples,
                      frame, preset, max_pixels, resume_from, say, t0)
    except BaseException:
        if not any(work.glob("checkpoint-*")):  # nothing worth resuming: leave nothing behind
            shutil.rmtree(work, ignore_errors=True)
        raise


def _train(
    cfg: FinetuneConfig, info: Any, dataset_dir: Path, base_dir: Path, out: Path, work: Path,
    samples: list[tuple[str, str, Path]], manifest: dict[str, Any], val_names: list[str],
    val_samples: list[tuple[str, str, Path]], frame: str, preset: str, max_pixels: int, resume_from: str | None,
    say: Callable[[str], None], t0: float,
) -> FinetuneResult:
    """The fine-tune itself, in ``work`` (see :func:`finetune`)."""
    import torch
    from transformers import (
        AutoModelForImageTextToText,
        AutoProcessor,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )
    from transformers.utils import logging as hf_logging

    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.imaging.model_input import model_input
    from gazex_viewer.inference.images import prepare_image

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    device = _device(cfg.device)
    if cfg.threads > 0:
        torch.set_num_threads(cfg.threads)
    try:
        processor = AutoProcessor.from_pretrained(base_dir, local_files_only=True)
        model: Any = AutoModelForImageTextToText.from_pretrained(
            base_dir, local_files_only=True, use_safetensors=True,
            dtype=torch.bfloat16 if device.startswith("cuda") else torch.float32,
        )
    except Exception as exc:  # noqa: BLE001 - any load failure is one line about the base
        raise CheckpointError(base_dir, f"cannot load the base checkpoint ({str(exc).splitlines()[0][:200]})") from None
    targets = lora_target_modules(model)
    if not targets:
        raise CheckpointError(base_dir, "base checkpoint of another layout: no language-model q/k/v/o/gate/up/down "
                              "projections found (expected Qwen2-VL's model.language_model.layers.N)")

    say(f"encoding {len(samples)} samples (images fitted to {max_pixels} px, model input {info.model_input})")
    pictures: dict[Path, Any] = {}

    def encode(rows: list[tuple[str, str, Path]]) -> list[dict[str, Any]]:
        out_rows = []
        for text, answer, image_path in rows:
            if image_path not in pictures:
                pictures[image_path] = prepare_image(model_input(load_radiograph(image_path), info.model_input), max_pixels)
            out_rows.append(_encode(processor, text, answer, pictures[image_path]))
        return out_rows

    encoded = encode(samples)
    encoded_val = encode(val_samples)

    from peft import LoraConfig, get_peft_model

    alpha = int(cfg.alpha) if cfg.alpha is not None else 2 * cfg.rank
    lora = LoraConfig(r=cfg.rank, lora_alpha=alpha, lora_dropout=cfg.dropout, target_modules=targets, bias="none",
                      task_type="CAUSAL_LM")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        model = get_peft_model(model, lora)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    say(f"LoRA rank {cfg.rank} alpha {alpha:g} on {len(targets)} language-model projections; "
        f"{trainable:,} of {total:,} parameters trainable (vision tower frozen)")

    losses: list[tuple[int, float]] = []

    class _Log(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None, **kw: Any) -> None:
            if logs and "loss" in logs:
                losses.append((int(state.global_step), float(logs["loss"])))
                rate = (time.perf_counter() - t0) / max(1, state.global_step)
                say(f"step {state.global_step}/{state.max_steps} epoch {logs.get('epoch', 0):.2f} "
                    f"loss {logs['loss']:.4f} lr {logs.get('learning_rate', 0):.2e} ({rate:.2f} s/step)")

    args = TrainingArguments(
        output_dir=str(work),
        num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps,
        learning_rate=cfg.lr,
        lr_scheduler_type=cfg.scheduler,
        warmup_steps=cfg.warmup_steps,
        per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.batch_size,
        gradient_accumulation_steps=cfg.grad_accum,
        weight_decay=0.0,
        logging_steps=1,
        save_steps=cfg.save_steps,
        save_total_limit=2,
        seed=cfg.seed,
        data_seed=cfg.seed,
        report_to=[],
        use_cpu=device == "cpu",
        bf16=device.startswith("cuda"),
        remove_unused_columns=False,
        dataloader_num_workers=0,
        disable_tqdm=True,
        save_only_model=False,
    )
    pad_id = int(processor.tokenizer.pad_token_id if processor.tokenizer.pad_token_id is not None else 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        trainer = Trainer(model=model, args=args, train_dataset=encoded, data_collator=_collate(pad_id),
                          callbacks=[_Log()])
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # our own progress line instead of the raw log dicts
    if resume_from:
        say(f"resuming from {resume_from}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        result = trainer.train(resume_from_checkpoint=resume_from)
    steps = int(result.global_step)
    val_loss: float | None = None
    if encoded_val:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            val_data: Any = encoded_val  # a list of encoded samples serves as a map-style dataset
            val_loss = float(trainer.evaluate(eval_dataset=val_data)["eval_loss"])
        say(f"held-out loss ({', '.join(val_names)}, {len(encoded_val)} samples): {val_loss:.4f}")
    # the whole curve, the steps before a resume included (the checkpoint's trainer state holds them)
    history = {int(e["step"]): float(e["loss"]) for e in trainer.state.log_history if "loss" in e and "step" in e}
    losses = sorted(history.items()) or losses

    # the adapter, its sidecar, the log and the curve, then the folder is renamed into place
    for stale in work.glob("checkpoint-*"):
        shutil.rmtree(stale)
    model.save_pretrained(str(work), safe_serialization=True)
    sidecar = {
        "name": f"{info.name} + LoRA ({dataset_dir.name})",
        "coordinate_frame": frame,
        "prompt_preset": preset,
        "max_pixels": max_pixels,
        "model_input": info.model_input,
        "training": {
            "method": "LoRA (peft) with transformers Trainer; language model only, vision tower frozen; loss on "
                      "assistant tokens",
            "base": str(base_dir.resolve()),
            "base_weights_sha256": {p.name: _sha256(p) for p in info.weight_files},
            "dataset": str(dataset_dir.resolve()),
            "dataset_files_sha256": {k: v.get("sha256") for k, v in manifest.get("files", {}).items()
                                     if not k.startswith("images/")},
            "samples": len(samples),
            "steps": steps,
            "final_loss": losses[-1][1] if losses else None,
            "held_out": {"datasets": val_names, "samples": len(val_samples), "loss": val_loss} if val_names else None,
            "config": {k: v for k, v in asdict(cfg).items() if k not in ("force", "resume")},
            "lora_alpha": alpha,
            "target_modules": len(targets),
            "device": device,
            "versions": _versions(),
        },
    }
    (work / "gazex.json").write_text(json.dumps(sidecar, indent=2) + "\n", encoding="utf-8")
    (work / "training_log.json").write_text(
        json.dumps({"losses": [{"step": s, "loss": v} for s, v in losses]}, indent=1) + "\n", encoding="utf-8"
    )
    if losses and all(math.isfinite(v) and v > 0 for _, v in losses):
        plot_losses(losses, work / "loss.png", f"LoRA r{cfg.rank} on {len(samples)} samples, {steps} steps")
    if out.exists():
        shutil.rmtree(out)
    work.rename(out)
    seconds = time.perf_counter() - t0
    say(f"adapter: {out} ({steps} steps, final loss {losses[-1][1] if losses else float('nan'):.4f}, {seconds:.1f} s)")
    return FinetuneResult(out, steps, len(samples), losses, seconds, resume_from, val_loss)


def _versions() -> dict[str, str]:
    import peft
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__}
