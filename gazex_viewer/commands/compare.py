"""Print agreement metrics between two readings of one film (model vs expert, expert vs expert, trainee).

``gazex-viewer compare A.json B.json`` prints whole-film agreement (ICC of key-frame centroids paired by
order, and the upward-biased ICC after nearest-partner matching, density cosine, fixation-map CC, grid
string edit distance, MultiMatch-style similarities, ABCDEF zone coverage) next to the reference scale
(the medians of unrelated expert gaze and of the same gaze jittered by 1 degree, from
``resources/agreement_baselines.json``) and, for the sentences both readings share, per-sentence
agreement. When the readings are of different films it says so first, in the main output: the numbers
then measure nothing about agreement on a film. It names how each reading's key frames were made (a model's
answers; an expert import's ``app`` or ``gazex`` method, or ``unknown``), since boxes made by different
methods differ in size.
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

from gazex_viewer.core.safe_io import bounded_int

#: the largest density grid side (a 1024 x 1024 grid of floats is 8 MB per map; more is never meaningful)
MAX_GRID = 1024


def _grid(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{1,9})\s*(?:[xX,]\s*(\d{1,9}))?\s*", text)
    if not m or int(m.group(1)) <= 0 or (m.group(2) and int(m.group(2)) <= 0):
        raise argparse.ArgumentTypeError(f"expected COLUMNSxROWS such as 16x16, not {text[:40]!r}")
    cols, rows = int(m.group(1)), int(m.group(2) or m.group(1))
    if cols > MAX_GRID or rows > MAX_GRID:
        raise argparse.ArgumentTypeError(f"at most {MAX_GRID}x{MAX_GRID} cells, not {cols}x{rows}")
    return cols, rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("readings", nargs="*", type=Path, metavar="READING", help="two reading JSON files")
    parser.add_argument("--grid", type=_grid, default=(16, 16), help="density grid, COLUMNSxROWS (default 16x16)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("--study", type=Path, default=None, metavar="SCANPATHS", help="run the GazeSearch study")
    parser.add_argument("--plot", type=Path, default=None, metavar="PNG", help="study: write the plot here")
    parser.add_argument("--limit", type=bounded_int(1), default=None, help="study: use only the first N scanpaths")


def _load(path: Path) -> Any:
    """A validated reading (schema, consistency, size limits); a ReadingError names the file and the first problem."""
    from gazex_viewer.core.reading.limits import load_reading_file

    return load_reading_file(path)


#: what each whole-film row is, in a few words (the ICC rows say how key frames were paired)
_ROW_NOTES: dict[str, str] = {
    "icc_x": "key frames paired by order",
    "icc_y": "key frames paired by order",
    "icc_x_matched": "nearest-partner matched: biased upwards",
    "icc_y_matched": "nearest-partner matched: biased upwards",
    "n_paired": "key frame pairs, by order",
    "n_matched": "key frame pairs, matched",
    "edit_distance": "lower is closer",
}


def _banner(reason: str) -> list[str]:
    text = f"DIFFERENT FILMS: {reason}."
    body = "These numbers measure nothing about agreement on a film: compare two readings of the same film."
    width = max(len(text), len(body)) + 4
    return ["!" * width, f"! {text:<{width - 4}} !", f"! {body:<{width - 4}} !", "!" * width]


def _run_study(args: argparse.Namespace) -> int:
    from gazex_viewer.core.errors import GazeImportError
    from gazex_viewer.core.gaze.study import format_study, gazesearch_study, plot_study
    from gazex_viewer.core.safe_io import (
        MAX_JSON_BYTES,
        check_input_file,
        check_output_file,
    )

    check_input_file(args.study, max_bytes=MAX_JSON_BYTES, error=GazeImportError, what="a scanpath JSON file")
    if args.plot is not None:
        check_output_file(args.plot, [args.study])

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
    from gazex_viewer.core.gaze.agreement import (
        COUNT_KEYS,
        KEYFRAME_METHOD_NAMES,
        keyframe_method,
        why_undefined,
    )
    from gazex_viewer.core.gaze.baselines import REFERENCE_CONDITIONS, load_baselines
    from gazex_viewer.core.gaze.comparison import (
        WHOLE_ROWS,
        compare_readings,
        format_number,
        format_value,
    )

    if args.study is not None:
        return _run_study(args)
    if len(args.readings) != 2:
        print("gazex-viewer compare: give two reading JSON files (or --study SCANPATHS)", file=sys.stderr)
        return 2
    a, b = (_load(p) for p in args.readings)
    cmp = compare_readings(a, b, None, grid=args.grid)  # the viewer's comparison, without a film
    mismatch, metrics, per = cmp.different_films, cmp.whole, cmp.sentences
    zones = {"zones_a": cmp.zones[0], "zones_b": cmp.zones[1]}
    baselines = load_baselines()
    methods = (keyframe_method(a), keyframe_method(b))
    rows = WHOLE_ROWS
    if args.json:

        def clean(m: dict[str, float]) -> dict[str, float | None]:
            return {k: (None if not math.isfinite(v) else v) for k, v in m.items()}

        out = {
            "a": str(args.readings[0]),
            "b": str(args.readings[1]),
            "different_films": mismatch,
            "key_frames": {"a": methods[0], "b": methods[1]},
            "whole_film": clean(metrics),
            "undefined": {k: why_undefined(k, metrics) for k in metrics if not math.isfinite(metrics[k])},
            "reference": None if baselines is None else {
                "about": baselines.provenance(),
                "medians": {
                    k: {c: (None if not math.isfinite(baselines.median(k, c)) else baselines.median(k, c))
                        for c, _ in REFERENCE_CONDITIONS}
                    for k in rows
                },
            },
            "zones": {"a": zones["zones_a"], "b": zones["zones_b"]},
            "sentences": [
                {"text": s.text, "finding_a": s.finding_a, "finding_b": s.finding_b, "metrics": clean(s.metrics)}
                for s in per
            ],
        }
        print(json.dumps(out, indent=2))
        return 0
    from gazex_viewer.core.safe_io import show_path

    for tag, path, r, m in (("A", args.readings[0], a, methods[0]), ("B", args.readings[1], b, methods[1])):
        print(
            f"{tag}: {show_path(path)} ({r.producer.kind} {r.producer.name}, {len(r.trajectory)} points; "
            f"key frames: {KEYFRAME_METHOD_NAMES.get(m, m)})"
        )
    if "app" in methods and ("gazex" in methods or methods[0].startswith("model") or methods[1].startswith("model")):
        print(
            "note: 'app' expert key frames are smaller than GazeX's training targets (re-import REFLACX with "
            "--keyframes gazex to compare on GazeX's ruler)"
        )
    if mismatch is not None:
        print("\n".join(_banner(mismatch)))
    names = [name for _, name in REFERENCE_CONDITIONS]
    print(f"whole film:{'':<13}{'A vs B':>8}  " + "  ".join(f"{n:>14}" for n in names))
    for k in rows:
        v = metrics[k]
        ref = [
            "" if k in COUNT_KEYS or baselines is None else format_number(baselines.median(k, c))
            for c, _ in REFERENCE_CONDITIONS
        ]
        value = format_value(k, v)
        note = why_undefined(k, metrics) or _ROW_NOTES.get(k, "")
        print(f"  {k:<22}{value:>8}  " + "  ".join(f"{r:>14}" for r in ref) + (f"  ({note})" if note else ""))
    print(f"  zones visited (first-visit order): A {zones['zones_a'] or '-'}  B {zones['zones_b'] or '-'}")
    if baselines is not None:
        print(
            f"reference: medians of {baselines.provenance()}; 'unrelated gaze' = two radiologists searching the "
            "same film for different findings, 'same gaze ±1°' = a scanpath against itself jittered by one degree. "
            "Agreement means something only well above 'unrelated gaze'."
        )
    else:
        print("reference: resources/agreement_baselines.json not found (benchmarks/gazesearch_agreement.py --write-baselines)")
    print(
        "ICC: icc_x/icc_y pair key frame k of A with key frame k of B; icc_*_matched first pairs each key frame "
        "with its nearest partner, which picks the pairs that agree best and so inflates the ICC even for "
        "unrelated gaze."
    )
    if per:
        print("per sentence:")
        keys = ("cc", "density_cosine", "edit_similarity", "mm_position", "icc_x", "icc_y")
        print("  " + " ".join(f"{k:>15}" for k in keys) + "  sentence")
        for s in per:
            print("  " + " ".join(f"{format_number(s.metrics[k]):>15}" for k in keys) + f"  {s.text}")
    else:
        print("per sentence: no sentence in common")
    if mismatch is not None:
        print(f"DIFFERENT FILMS: {mismatch} (see the warning above).")
    return 0
