"""Build a tiny GazeX-layout checkpoint offline, in seconds on CPU, for tests and for trying the app.

The target folder must be new or empty (``--force`` writes into a non-empty one, replacing its weights).

The folder holds a Qwen2-VL config, safetensors weights, a locally trained byte-level BPE tokenizer with the
Qwen2-VL special tokens, image and video processors and the gazex.json sidecar. Unless --untrained is given, the
model is trained briefly to answer GazeX's report and grounding prompts for the bundled sample radiograph
(resources/sample_study/00000001_000.png) with a known report and known boxes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gazex_viewer.core.safe_io import bounded_int

#: the most training steps (about 130 suffice; more only burns CPU)
MAX_STEPS = 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="folder to write the checkpoint into (created; must be empty)")
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that is not empty (its weights and config.json are replaced)",
    )
    parser.add_argument("--untrained", action="store_true", help="keep random weights (its output is garbage)")
    parser.add_argument("--steps", type=bounded_int(1, MAX_STEPS), default=120, help=f"training steps, 1 to {MAX_STEPS} (default 120)")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and training (default 0)")
    parser.add_argument(
        "--arch",
        choices=("qwen2_vl", "qwen2_5_vl"),
        default="qwen2_vl",
        help="model layout: Qwen2-VL (default) or Qwen2.5-VL",
    )
    parser.add_argument(
        "--frame",
        default="downscale4",
        choices=("downscale4", "qwen2vl_1000"),
        help="coordinate frame of the grounding answers (default downscale4, GazeX's)",
    )


def check_target(folder: Path, *, force: bool) -> None:
    """Refuse a path that is a file, or a folder that is not empty unless ``force``.

    Raises
    ------
    CheckpointError
        Naming the folder and what is in it (building would delete its weights and overwrite config.json).
    """
    from gazex_viewer.core.errors import CheckpointError

    if folder.exists() and not folder.is_dir():
        raise CheckpointError(folder, "exists and is not a folder")
    if force or not folder.is_dir():
        return
    try:
        names = sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        raise CheckpointError(folder, f"cannot list the folder ({exc.strerror})") from None
    if names:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise CheckpointError(
            folder,
            f"folder is not empty ({len(names)} entries: {shown}); its weights and config.json would be replaced: "
            "choose an empty or new folder, or pass --force",
        )


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.inference.transformers_backend import (
        require_local_extra,
        set_offline_env,
    )

    require_local_extra()
    check_target(args.dir, force=args.force)
    from gazex_viewer.inference.tiny_model import make_test_model

    set_offline_env()
    result = make_test_model(args.dir, train=not args.untrained, steps=args.steps, seed=args.seed, frame=args.frame,
                             arch=args.arch)
    what = "trained" if result.trained else "untrained"
    extra = ""
    if result.trained:
        extra = f", {result.steps} steps, final loss {result.final_loss:.4f}, known answers exact: {result.exact}"
    print(f"wrote {what} tiny GazeX checkpoint to {result.path} in {result.seconds:.1f} s{extra}", file=sys.stderr)
    return 0 if result.exact in (True, None) else 1
