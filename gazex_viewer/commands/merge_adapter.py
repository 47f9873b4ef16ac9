"""Merge a LoRA adapter into its base: ``gazex-viewer merge-adapter BASE ADAPTER -o OUT``.

OUT (new or empty) is one checkpoint folder to serve with vLLM or SGLang (models/README.md, "Serving a
checkpoint"); it gives the same reading as ``infer --model BASE --adapter ADAPTER``. Needs the ``local`` extra.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("base", type=Path, metavar="BASE", help="the base checkpoint folder")
    parser.add_argument("adapter", type=Path, metavar="ADAPTER", help="the LoRA adapter folder (finetune's output)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="folder to write (new or empty)")
    parser.add_argument("--device", default="cpu", help="cpu (float32, default) or cuda (bfloat16) for the merge")


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.commands.make_test_model import check_target
    from gazex_viewer.inference.transformers_backend import require_local_extra

    require_local_extra(args.base)
    check_target(args.output, force=False)
    from gazex_viewer.inference.merge_adapter import merge_adapter

    result = merge_adapter(args.base, args.adapter, args.output, device=args.device)
    print(f"wrote {result.path}: {args.base.name} + {args.adapter.name} merged in {result.seconds:.1f} s", file=sys.stderr)
    print(result.path)
    return 0
