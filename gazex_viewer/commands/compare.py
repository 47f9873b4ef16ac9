"""Print agreement metrics between two readings of one film (model vs expert, expert vs expert, trainee).

``gazex-viewer compare A.json B.json`` prints whole-film agreement (ICC of matched key-frame centroids,
density cosine, fixation-map CC, grid string edit distance, MultiMatch-style similarities, ABCDEF zone
coverage) and, for the sentences both readings share, per-sentence agreement.
``gazex-viewer compare --study SCANPATHS.json --plot OUT.png`` runs the GazeSearch agreement study
(unrelated expert gaze, centre bias, jittered self) and writes its plot.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import Any


def _grid(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*(?:[xX,]\s*(\d+))?\s*", text)
    if not m or int(m.group(1)) <= 0 or (m.group(2) and int(m.group(2)) <= 0):
        raise argparse.ArgumentTypeError(f"expected COLUMNSxROWS such as 16x16, not {text!r}")
    return int(m.group(1)), int(m.group(2) or m.group(1))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("readings", nargs="*", type=Path, metavar="READING", help="two reading JSON files")
    parser.add_argument("--grid", type=_grid, default=(16, 16), help="density grid, COLUMNSxROWS (default 16x16)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--study", type=Path, default=None, metavar="SCANPATHS", help="run the GazeSearch study")
    parser.add_argument("--plot", type=Path, default=None, metavar="PNG", help="study: write the plot here")
    parser.add_argument("--limit", type=int, default=None, help="study: use only the first N scanpaths")


def _load(path: Path) -> Any:
    """A validated reading (schema and consistency); a ReadingError names the file and the first problem."""
    from gazex_viewer.core.validation import load_reading

    return load_reading(path)


def _fmt(v: float) -> str:
    return "nan" if not math.isfinite(v) else f"{v:.3f}"


def _run_study(args: argparse.Namespace) -> int:
    from gazex_viewer.core.gaze.study import format_study, gazesearch_study, plot_study

    def progress(stage: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r\033[K{stage} {done}/{total}")
            sys.stderr.flush()

    res = gazesearch_study(args.study, limit=args.limit, progress=progress)
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[K")
    print(format_study(res))
    if args.plot is not None:
        print(f"plot: {plot_study(res, args.plot)}")
    return 0


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.core.agreement import (
        chest_box_of,
        scanpath_of,
        sentence_agreement,
        zone_agreement,
    )
    from gazex_viewer.core.agreement import agreement as whole

    if args.study is not None:
        return _run_study(args)
    if len(args.readings) != 2:
        print("gazex-viewer compare: give two reading JSON files (or --study SCANPATHS)", file=sys.stderr)
        return 2
    a, b = (_load(p) for p in args.readings)
    if a.image.file_name != b.image.file_name:
        print(f"note: different image names: {a.image.file_name} vs {b.image.file_name}", file=sys.stderr)
    metrics = whole(a, b, grid=args.grid)
    zones = zone_agreement(scanpath_of(a), scanpath_of(b), chest_box_of(a), chest_box_of(b))
    per = sentence_agreement(a, b, grid=args.grid)
    if args.json:
        out = {
            "a": str(args.readings[0]),
            "b": str(args.readings[1]),
            "whole_film": {k: (None if not math.isfinite(v) else v) for k, v in metrics.items()},
            "zones": {"a": zones["zones_a"], "b": zones["zones_b"]},
            "sentences": [
                {"text": s.text, "finding_a": s.finding_a, "finding_b": s.finding_b,
                 "metrics": {k: (None if not math.isfinite(v) else v) for k, v in s.metrics.items()}}
                for s in per
            ],
        }
        print(json.dumps(out, indent=2))
        return 0
    print(f"A: {args.readings[0]} ({a.producer.kind} {a.producer.name}, {len(a.trajectory)} points)")
    print(f"B: {args.readings[1]} ({b.producer.kind} {b.producer.name}, {len(b.trajectory)} points)")
    print("whole film:")
    for k, v in metrics.items():
        print(f"  {k:<22} {_fmt(v)}")
    print(f"  zones visited (first-visit order): A {zones['zones_a'] or '-'}  B {zones['zones_b'] or '-'}")
    if per:
        print("per sentence:")
        keys = ("cc", "density_cosine", "edit_similarity", "mm_position", "icc_x", "icc_y")
        print("  " + " ".join(f"{k:>15}" for k in keys) + "  sentence")
        for s in per:
            print("  " + " ".join(f"{_fmt(s.metrics[k]):>15}" for k in keys) + f"  {s.text}")
    else:
        print("per sentence: no sentence in common")
    return 0
