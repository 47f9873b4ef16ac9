"""Speed and memory of loading and rendering a radiograph, as ratios measured in one run.

Run from the project root::

    .venv/bin/python benchmarks/bench_render.py [--repeat 5] [FILE]

Prints:

1. ``gazex-viewer render FILE`` as a whole process vs ``dcmj2pnm --write-png --use-window 1`` on the
   same file (median wall time of alternating runs; goal ratio <= 1.0).
2. In-process load-to-display-array time (``load_radiograph`` + ``render()``), and one window
   change (``render(other window)``), against pydicom's plain ``dcmread(...).pixel_array`` of the file.
3. Peak traced memory of loading and rendering vs the raw pixel bytes (rows x cols x bytes; goal < 4x).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "dicom" / "RG1_UNCR.dcm"


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, cwd=ROOT)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}")
    return elapsed


def bench_process(path: Path, repeat: int) -> None:
    dcmj2pnm = shutil.which("dcmj2pnm")
    with tempfile.TemporaryDirectory() as tmp:
        ours_cmd = [sys.executable, "-m", "gazex_viewer", "render", str(path), "-o", f"{tmp}/ours.png", "-q"]
        ref_cmd = [dcmj2pnm or "dcmj2pnm", "--write-png", "--use-window", "1", str(path), f"{tmp}/ref.png"]
        _wall(ours_cmd)  # warm the file cache and .pyc files once
        if dcmj2pnm is None:
            ours = [_wall(ours_cmd) for _ in range(repeat)]
            print(f"process: gazex-viewer render {statistics.median(ours):.3f} s (dcmj2pnm not installed: no ratio)")
            return
        _wall(ref_cmd)
        ours, ref = [], []
        for _ in range(repeat):
            ours.append(_wall(ours_cmd))
            ref.append(_wall(ref_cmd))
    o, r = statistics.median(ours), statistics.median(ref)
    print(f"process: gazex-viewer render {o:.3f} s, dcmj2pnm {r:.3f} s, ratio {o / r:.2f} (goal <= 1.0)")


def bench_in_process(path: Path, repeat: int) -> None:
    import pydicom

    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.imaging.radiograph import WindowPreset

    def plain() -> None:
        _ = pydicom.dcmread(path).pixel_array  # the decode is what is timed

    def ours() -> None:
        load_radiograph(path).render()

    plain()
    ours()
    t_plain = statistics.median(_timeit(plain) for _ in range(repeat))
    t_ours = statistics.median(_timeit(ours) for _ in range(repeat))
    print(
        f"in-process: load+render {t_ours * 1000:.1f} ms, pydicom dcmread+pixel_array {t_plain * 1000:.1f} ms, "
        f"ratio {t_ours / t_plain:.2f}"
    )
    r = load_radiograph(path)
    r.render()
    times = []
    for i in range(max(repeat, 5)):
        preset = WindowPreset(10000.0 + 100 * i, 20000.0 - 50 * i, "drag")
        times.append(_timeit(lambda p=preset: r.render(p)))
    drag = statistics.median(times)
    print(f"window change ({r.width}x{r.height}): {drag * 1000:.1f} ms per render, {drag / t_plain:.3f} of a plain decode")


def _timeit(fn: object) -> float:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t0


def bench_memory(path: Path) -> None:
    from gazex_viewer.core.imaging.files import load_radiograph

    def measure() -> tuple[int, int, int]:
        tracemalloc.start()
        r = load_radiograph(path)
        _, peak_load = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        r.render()
        _, peak_render = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return r.stored.nbytes, peak_load, peak_render

    raw, cold_load, _ = measure()  # the first load in a process also imports decoders and tables
    raw, peak_load, peak_render = measure()
    print(
        f"memory: raw pixel bytes {raw / 1e6:.1f} MB; peak while loading {peak_load / 1e6:.1f} MB "
        f"(ratio {peak_load / raw:.2f}, goal < 4; first load in the process incl. lazy imports "
        f"{cold_load / 1e6:.1f} MB, ratio {cold_load / raw:.2f}); extra peak of the first render "
        f"{peak_render / 1e6:.1f} MB (ratio {peak_render / raw:.2f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path = Path(args.file)
    if not path.exists():
        print(f"{path}: not found (../shared/data is absent)", file=sys.stderr)
        return 2
    print(f"file: {path}")
    bench_memory(path)  # first, in a clean process, so nothing cached inflates or hides the peak
    bench_in_process(path, args.repeat)
    bench_process(path, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
