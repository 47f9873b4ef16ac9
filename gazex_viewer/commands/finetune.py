"""LoRA fine-tune a GazeX checkpoint on an ``export-training`` dataset (the language model only).

``gazex-viewer finetune DATASET --base DIR -o ADAPTER_DIR [--epochs --lr --rank --device --max-steps --resume]``
trains a peft LoRA adapter with transformers' Trainer on every ``q/k/v/o/gate/up/down_proj`` of the language model
(vision tower frozen, as LLaMA-Factory does), with the loss on the assistant tokens only. Progress and loss go to the
terminal; checkpoints are kept in ``ADAPTER_DIR.partial`` every ``--save-steps`` and ``--resume`` continues from the
last one. The finished folder holds the adapter (load it with ``gazex-viewer infer --model BASE --adapter
ADAPTER_DIR`` or in the viewer), ``gazex.json`` (coordinate frame, prompt preset, max_pixels it was trained with),
``training_log.json`` and ``loss.png``. Bad input stops with one line naming the file and the reason (exit code 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", type=Path, metavar="DATASET", help="an export-training folder (dataset_info.json)")
    parser.add_argument("--base", required=True, type=Path, metavar="DIR", help="base checkpoint folder (Qwen2-VL layout)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="ADAPTER_DIR", help="adapter folder to write")
    parser.add_argument("--epochs", type=float, default=3.0, help="epochs (default 3)")
    parser.add_argument("--lr", type=float, default=1e-4, help="learning rate (default 1e-4)")
    parser.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8; alpha 2 x rank)")
    parser.add_argument("--alpha", type=int, default=None, help="LoRA alpha (default 2 x rank)")
    parser.add_argument("--batch-size", type=int, default=1, help="samples per step (default 1)")
    parser.add_argument("--grad-accum", type=int, default=1, help="gradient accumulation steps (default 1)")
    parser.add_argument("--max-steps", type=int, default=-1, help="stop after this many steps (default: from --epochs)")
    parser.add_argument("--scheduler", default="cosine", help="learning-rate schedule (default cosine)")
    parser.add_argument("--save-steps", type=int, default=50, help="checkpoint every N steps (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (default: torch's choice)")
    parser.add_argument("--max-pixels", type=int, default=None, help="image budget (default: the base's gazex.json)")
    parser.add_argument("--dataset-name", action="append", default=[], help="dataset_info.json entry (default: every *_train)")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in ADAPTER_DIR.partial")
    parser.add_argument("--force", action="store_true", help="replace a non-empty ADAPTER_DIR")


def run(args: argparse.Namespace) -> int:
    import os

    from gazex_viewer.inference.transformers_backend import require_local_extra

    require_local_extra()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from gazex_viewer.inference.finetune import FinetuneConfig, finetune

    cfg = FinetuneConfig(
        epochs=args.epochs, lr=args.lr, rank=args.rank, alpha=args.alpha, batch_size=args.batch_size,
        grad_accum=args.grad_accum, max_steps=args.max_steps, scheduler=args.scheduler, save_steps=args.save_steps,
        seed=args.seed, device=args.device, threads=args.threads, max_pixels=args.max_pixels,
        datasets=list(args.dataset_name), resume=args.resume, force=args.force,
    )
    finetune(args.dataset, args.base, args.output, cfg, say=lambda line: print(line, file=sys.stderr, flush=True))
    print(args.output)
    return 0
