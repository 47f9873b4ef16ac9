"""GazeSearch agreement study on all real scanpaths: distributions per metric, plot per finding type, timings.

Usage: .venv/bin/python benchmarks/gazesearch_agreement.py [SCANPATHS.json] [--plot OUT.png] [--limit N]
       [--write-baselines [OUT.json]]

Prints the three distributions (unrelated expert gaze on the same image, centre-bias scanpath, jittered
self) per metric, writes the PNG (matplotlib Agg), and prints the time of each stage as a ratio to a
reference measured in the same run: importing the scanpaths without clustering (JSON parse + readings).
With ``--write-baselines`` it also writes the reference scale shown beside every agreement figure
(``resources/agreement_baselines.json`` by default; refused with ``--limit``, a slice is no reference).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gazex_viewer.core.gaze.baselines import BASELINES_PATH  # noqa: E402
from gazex_viewer.core.gaze.importers import import_gazesearch  # noqa: E402
from gazex_viewer.core.gaze.study import format_study, gazesearch_study, plot_study, study_baselines  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "gaze" / "gazesearch_scanpaths.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scanpaths", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--plot", type=Path, default=ROOT / "test-artifacts" / "gazesearch_agreement.png")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-baselines", nargs="?", type=Path, const=BASELINES_PATH, default=None, metavar="JSON")
    args = parser.parse_args()
    if args.write_baselines is not None and args.limit is not None:
        print("--write-baselines needs the whole study (no --limit)", file=sys.stderr)
        return 2
    if not args.scanpaths.is_file():
        print(f"{args.scanpaths}: not found (../shared/data is absent)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    plain = import_gazesearch(args.scanpaths, key_frames=False, limit=args.limit)
    reference = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = gazesearch_study(args.scanpaths, limit=args.limit, seed=args.seed)
    total = time.perf_counter() - t0
    print(format_study(res))
    png = plot_study(res, args.plot)
    print(f"plot: {png}")
    if args.write_baselines is not None:
        made_by = "benchmarks/gazesearch_agreement.py --write-baselines" + (f" --seed {args.seed}" if args.seed else "")
        base = study_baselines(res, made_by=made_by)
        base["source"]["file"] = f"../shared/data/gaze/{args.scanpaths.name}" if args.scanpaths == DEFAULT else args.scanpaths.name
        args.write_baselines.write_text(json.dumps(base, indent=1) + "\n", encoding="utf-8")
        print(f"baselines: {args.write_baselines}")
    print(f"\nreference: import of {len(plain)} scanpaths without clustering {reference:.2f} s")
    for stage, sec in res.seconds.items():
        print(f"  {stage:<12} {sec:8.2f} s  = {sec / reference:7.1f} x reference")
    print(f"  {'study total':<12} {total:8.2f} s  = {total / reference:7.1f} x reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
