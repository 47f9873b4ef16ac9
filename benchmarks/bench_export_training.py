"""export-training speed on the 4,875 real GazeSearch scanpaths (grounding targets only, no images).

Imports ../shared/data/gaze/gazesearch_scanpaths.json with key frames (the app method, not timed as export), writes
each reading as a JSON file, then times, in the same run:

- reference: loading and validating every reading file (``load_reading``), what any command pays per reading;
- export: the same loading plus building every report and grounding sample (``reading_samples``, the GazeX
  formatter) and writing the samples as JSON, i.e. export-training's per-reading work without the film checks;
- targets only: building the samples from readings already in memory.

Prints readings per second for each and the ratio export / reference.
Run: .venv/bin/python benchmarks/bench_export_training.py [--limit N] (best of 3 interleaved runs each)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from _timing import best_of  # benchmarks/ is on sys.path when run as a script

from gazex_viewer.core.export.training_data import reading_samples
from gazex_viewer.core.gaze.importers import import_gazesearch
from gazex_viewer.core.reading.validation import load_reading

ROOT = Path(__file__).resolve().parents[1]
SCANPATHS = ROOT.parent / "shared" / "data" / "gaze" / "gazesearch_scanpaths.json"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None, help="only the first N scanpaths")
    ap.add_argument("--scanpaths", type=Path, default=SCANPATHS)
    args = ap.parse_args()
    if not args.scanpaths.is_file():
        print(f"scanpaths not found: {args.scanpaths} (../shared/data is absent)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    readings = import_gazesearch(args.scanpaths, limit=args.limit)
    t_import = time.perf_counter() - t0
    n = len(readings)
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, r in enumerate(readings):
            files.append(Path(tmp) / f"{i:05d}.json")
            r.save(files[-1])

        def reference() -> None:
            for f in files:
                load_reading(f)

        samples: list[dict[str, object]] = []

        def export() -> None:
            samples.clear()
            for f in files:
                samples.extend(reading_samples(load_reading(f), None, source=f).samples)
            out = Path(tmp) / "gazex_train.json"
            out.write_text(json.dumps(samples, indent=2, ensure_ascii=False), encoding="utf-8")

        # interleaved, best of 3 each: the machine is shared
        t_ref = t_export = float("inf")
        for _ in range(3):
            t_ref = min(t_ref, best_of(reference, 1))
            t_export = min(t_export, best_of(export, 1))

    t0 = time.perf_counter()
    n_mem = sum(len(reading_samples(r, None).samples) for r in readings)
    t_mem = time.perf_counter() - t0
    assert n_mem == len(samples)
    print(f"{n} GazeSearch readings (import with key frames, not part of export: {t_import:.1f} s), "
          f"{len(samples)} samples ({len(samples) - n} grounding)")
    print(f"reference  load+validate            {n / t_ref:9.0f} readings/s")
    print(f"export     load+validate+targets+JSON {n / t_export:7.0f} readings/s  ({t_export / t_ref:.2f} x the reference time)")
    print(f"targets    from readings in memory  {n / t_mem:9.0f} readings/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
