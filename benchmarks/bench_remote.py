"""Remote readings: N workstations sharing one model server, against the local backend in the same run.

Builds the tiny test checkpoint (or takes ``--model DIR``), starts ``transformers serve`` on a free 127.0.0.1 port
(``--continuous-batching`` to pass that flag), and for N = 1, 2, 4, 8 (``--n``) simulated workstations, each with its
own openai backend running ``--readings`` full readings of the sample film (report streamed, grounding prompts in
parallel), prints readings per minute and the p50 / p95 time of one reading. The reference is the local
transformers backend in this process, reading the same film one at a time (one workstation with its own model):
ratios are remote / local. Server and clients share this machine's CPUs, so N > 1 measures contention as much as
batching; on a GPU server the same script measures the server.

Run: .venv/bin/python benchmarks/bench_remote.py [--n 1 2 4 8] [--readings 4] [--continuous-batching] [--model DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's gazex_viewer and tests/ (for the server helper)


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]


def _stations(read: list[Callable[[], object]], readings: int) -> tuple[list[float], list[str], float]:
    """Run ``readings`` readings on each workstation at once; (time of each reading, errors, wall time)."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def station(fn: Callable[[], object]) -> None:
        for _ in range(readings):
            t = time.perf_counter()
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - reported by the caller
                with lock:
                    errors.append(str(exc))
                return
            with lock:
                times.append(time.perf_counter() - t)

    threads = [threading.Thread(target=station, args=(fn,)) for fn in read]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return times, errors, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 2, 4, 8], help="workstations at once (default 1 2 4 8)")
    ap.add_argument("--readings", type=int, default=4, help="readings per workstation (default 4)")
    ap.add_argument("--continuous-batching", action="store_true", help="serve with --continuous-batching")
    ap.add_argument("--model", type=Path, default=None, help="checkpoint folder (default: build the tiny one)")
    ap.add_argument("--sampling", action="store_true", help="GazeX's sampling instead of deterministic decoding")
    args = ap.parse_args()

    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.inference import protocol
    from gazex_viewer.inference.api import GenerationSettings, ModelSpec
    from gazex_viewer.inference.backend import JobControl
    from gazex_viewer.inference.openai_backend import OpenAIBackend
    from gazex_viewer.inference.remote_model import model_info_from_checkpoint
    from gazex_viewer.inference.tiny_model import SAMPLE_IMAGE, make_test_model
    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend
    from tests.servers.model_server import start_transformers_serve, stop_server

    settings = GenerationSettings(deterministic=not args.sampling)
    rad = load_radiograph(SAMPLE_IMAGE)
    display, ref = rad.render(), rad.image_ref()
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if model is None:
            model = make_test_model(Path(tmp) / "tiny").path
        t0 = time.perf_counter()
        proc, url = start_transformers_serve(model, Path(tmp) / "serve.log", continuous_batching=args.continuous_batching)
        start_s = time.perf_counter() - t0
        try:
            info = model_info_from_checkpoint(model, url, str(model))
            info.update(timeout_s=600, concurrency=4)
            info_path = Path(tmp) / "model-info.json"
            info_path.write_text(json.dumps(info))

            local = TransformersGazeXBackend()
            local.load(ModelSpec(model, device="cpu"))
            local_report = protocol.run_reading(local, display, ref, settings, JobControl(0)).raw_report  # warm up

            def local_run() -> list[float]:
                out = []
                for _ in range(max(3, args.readings)):
                    t = time.perf_counter()
                    protocol.run_reading(local, display, ref, settings, JobControl(0))
                    out.append(time.perf_counter() - t)
                return out

            local_times = local_run()
            local_p50 = statistics.median(local_times)
            local_rpm = 60.0 / statistics.mean(local_times)

            warm = OpenAIBackend()
            warm.load(ModelSpec(info_path))
            same = protocol.run_reading(warm, display, ref, settings, JobControl(0)).raw_report == local_report
            warm.unload()

            print(f"server: transformers serve{' --continuous-batching' if args.continuous_batching else ''} on "
                  f"127.0.0.1 (up in {start_s:.1f} s), model {model.name}, "
                  f"{'sampling' if args.sampling else 'deterministic'}; remote report == local: {same}")
            print(f"local reference (in-process, one at a time): {local_rpm:.1f} readings/min, "
                  f"p50 {local_p50:.3f} s, p95 {_pct(local_times, 0.95):.3f} s")
            print(f"{'N':>3} {'readings/min':>13} {'p50 s':>8} {'p95 s':>8} {'rate/local':>11} {'p50/local':>10}")
            for n in args.n:
                backends = []
                for _ in range(n):
                    b = OpenAIBackend()
                    b.load(ModelSpec(info_path))
                    backends.append(b)
                times, errors, wall = _stations(
                    [partial(protocol.run_reading, b, display, ref, settings, JobControl(0)) for b in backends], args.readings
                )
                for b in backends:
                    b.unload()
                if errors:
                    print(f"{n:>3} failed: {errors[0]}")
                    continue
                rpm = 60.0 * len(times) / wall
                p50 = statistics.median(times)
                print(f"{n:>3} {rpm:>13.1f} {p50:>8.3f} {_pct(times, 0.95):>8.3f} {rpm / local_rpm:>11.2f} "
                      f"{p50 / local_p50:>10.2f}")
            again = local_run()  # the machine's load drifts: the reference once more, after the remote rows
            print(f"local reference again: {60.0 / statistics.mean(again):.1f} readings/min, "
                  f"p50 {statistics.median(again):.3f} s")
            local.unload()
        finally:
            stop_server(proc)


if __name__ == "__main__":
    main()
