"""Build a tiny GazeX-layout checkpoint offline, in seconds on CPU, for tests and for trying the app.

The folder holds a Qwen2-VL config, safetensors weights, a locally trained byte-level BPE tokenizer with the
Qwen2-VL special tokens, image and video processors and the gazex.json sidecar. Unless --untrained is given, the
model is trained briefly to answer GazeX's report and grounding prompts for the bundled sample radiograph
(resources/sample_study/00000001_000.png) with a known report and known boxes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="folder to write the checkpoint into (created)")
    parser.add_argument("--untrained", action="store_true", help="keep random weights (its output is garbage)")
    parser.add_argument("--steps", type=int, default=120, help="training steps (default 120)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and training (default 0)")
    parser.add_argument(
        "--frame",
        default="downscale4",
        choices=("downscale4", "qwen2vl_1000"),
        help="coordinate frame of the grounding answers (default downscale4, GazeX's)",
    )


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.inference.tiny_model import make_test_model
    from gazex_viewer.inference.transformers_backend import set_offline_env

    set_offline_env()
    result = make_test_model(args.dir, train=not args.untrained, steps=args.steps, seed=args.seed, frame=args.frame)
    what = "trained" if result.trained else "untrained"
    extra = ""
    if result.trained:
        extra = f", {result.steps} steps, final loss {result.final_loss:.4f}, known answers exact: {result.exact}"
    print(f"wrote {what} tiny GazeX checkpoint to {result.path} in {result.seconds:.1f} s{extra}", file=sys.stderr)
    return 0 if result.exact in (True, None) else 1
