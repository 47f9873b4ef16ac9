"""Write a LLaMA-Factory training dataset (the two GazeX tasks) from expert readings and their films.

``gazex-viewer export-training READINGS... --images DIR -o OUTDIR [--split train=0.9,val=0.1 --by patient]
[--copy-images]`` writes ``OUTDIR/<name>_<split>.json`` (sharegpt ``messages`` with ``images``), a
``dataset_info.json`` entry per split and ``manifest.json`` (counts, settings, sha256 of every file). The report task
and one grounding task per sentence are built exactly as GazeX's ``Create_Training_Data.py`` builds them (prompt
variant A for targets with two or more clue boxes, variant B otherwise; targets in the downscale4 frame of the film,
each box narrowed and truncated as that script does unless ``--no-narrow``).
A patient (or, without a patient id, a film) never spans two splits. Bad input stops with one line naming the file
and the reason (exit code 2), and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("readings", nargs="+", type=Path, metavar="READING", help="reading JSON files or folders of them")
    parser.add_argument("--images", required=True, type=Path, metavar="DIR", help="folder holding the films (searched recursively)")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR", help="dataset folder to write")
    parser.add_argument("--split", default="train=1", help="NAME=SHARE,... (default train=1; e.g. train=0.9,val=0.1)")
    parser.add_argument("--by", choices=("patient", "film"), default="patient", help="keep each patient (default) or film in one split")
    parser.add_argument("--copy-images", action="store_true", help="copy the films into OUTDIR/images (default: absolute paths)")
    parser.add_argument("--name", default="gazex", help="dataset name prefix in dataset_info.json (default gazex)")
    parser.add_argument("--force", action="store_true", help="replace a non-empty OUTDIR")
    parser.add_argument(
        "--no-narrow", action="store_true",
        help="write boxes as they are (default: narrowed 0.35 %% / 0.15 %% and truncated, as Create_Training_Data.py)",
    )


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.core.export.training_data import ExportOptions, export_training
    from gazex_viewer.core.export.training_splits import parse_split

    opts = ExportOptions(split=parse_split(args.split), by=args.by, copy_images=args.copy_images, name=args.name,
                         narrow=not args.no_narrow)
    manifest = export_training(
        args.readings, args.images, args.output, opts, force=args.force,
        progress=lambda line: print(line, file=sys.stderr),
    )
    for name, c in manifest["splits"].items():
        print(
            f"{name}: {c['samples']} samples ({c['report']} report, {c['grounding_a']} grounding with clues, "
            f"{c['grounding_b']} observation only; {c['skipped_sentences']} sentences without boxes) from "
            f"{c['readings']} readings, {c['films']} films, {c['groups']} {manifest['split_by']} group(s)"
        )
    print(f"dataset: {args.output} ({', '.join(manifest['datasets'])} in {args.output / 'dataset_info.json'})")
    return 0
