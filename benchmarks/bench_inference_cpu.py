"""CPU, tiny GazeX model: time of a full reading, against references measured in the same run.

Builds the tiny test checkpoint in a temporary folder, loads it through the transformers backend (the code path
the app uses) and prints:
- the full reading (report streamed + sentence split + batched groundings + parsing), best of N;
- reference A: one bare ``model.generate`` of the report prompt (no streamer, no grounding): the ratio says what
  the protocol (streaming, two prompts, parsing) costs on top of the model's own report call;
- batched groundings (one generate, left padding) vs one generate per sentence: the ratio is the batching gain;
- the same reading through the worker process (InferenceClient), from run() to the "done" event (cache off):
  the ratio to the in-process reading is the cost of the process boundary.
Run: .venv/bin/python benchmarks/bench_inference_cpu.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import queue
import tempfile
import time
from pathlib import Path

from _timing import best_of  # benchmarks/ is on sys.path when run as a script


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    import torch

    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.reading.gazex_protocol import REPORT_PROMPT
    from gazex_viewer.inference import protocol
    from gazex_viewer.inference.api import GenerationSettings, JobEvent, ModelSpec
    from gazex_viewer.inference.backend import JobControl
    from gazex_viewer.inference.client import InferenceClient
    from gazex_viewer.inference.images import prepare_image
    from gazex_viewer.inference.tiny_model import (
        KNOWN_BOXES,
        SAMPLE_IMAGE,
        make_test_model,
    )
    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = make_test_model(Path(tmp) / "tiny")
        build_s = time.perf_counter() - t0
        backend = TransformersGazeXBackend()
        lm = backend.load(ModelSpec(result.path, device="cpu"))
        rad = load_radiograph(SAMPLE_IMAGE)
        display, ref = rad.render(), rad.image_ref()
        settings = GenerationSettings()
        sentences = list(KNOWN_BOXES)

        def reading() -> object:
            return protocol.run_reading(backend, display, ref, settings, JobControl(1))

        reading()  # warm up
        t_reading = best_of(reading, args.repeat)

        pil = prepare_image(display, lm.info.max_pixels)
        inputs = backend._inputs([backend._chat(REPORT_PROMPT)], pil)

        def bare_report() -> object:
            with torch.inference_mode():
                return backend.model.generate(**inputs, max_new_tokens=64, do_sample=False)

        t_bare = best_of(bare_report, args.repeat)
        t_batched = best_of(
            lambda: backend.generate_groundings(pil, sentences, settings, JobControl(1), batch_size=8), args.repeat
        )
        t_serial = best_of(
            lambda: backend.generate_groundings(pil, sentences, settings, JobControl(1), batch_size=1), args.repeat
        )
        backend.unload()

        events: queue.Queue[JobEvent] = queue.Queue()
        with InferenceClient(events.put, use_cache=False) as client:
            t_spawn0 = time.perf_counter()
            client.load(ModelSpec(result.path, device="cpu"))
            while not (lambda e: e.job_id == 0 and e.stage in ("loaded",) or e.kind == "error")(ev := events.get()):
                pass
            t_spawn = time.perf_counter() - t_spawn0
            worker_times = []
            for _ in range(args.repeat + 1):
                t1 = time.perf_counter()
                job = client.run(SAMPLE_IMAGE, settings)
                while True:
                    ev = events.get()
                    if ev.job_id == job and ev.kind in ("done", "error", "cancelled"):
                        break
                worker_times.append(time.perf_counter() - t1)
                assert ev.kind == "done", ev.message
            t_worker = min(worker_times[1:])

    print(f"tiny model: built and trained in {build_s:.2f} s (known answers exact: {result.exact})")
    print(f"worker process start + model load: {t_spawn:.2f} s")
    print(f"{'measure':<52}{'seconds':>10}{'ratio':>10}")
    print(f"{'reference A: bare report generate (in-process)':<52}{t_bare:>10.4f}{1.0:>10.2f}")
    print(f"{'full reading, in-process (report + 2 groundings)':<52}{t_reading:>10.4f}{t_reading / t_bare:>10.2f}")
    print(f"{'full reading through the worker process':<52}{t_worker:>10.4f}{t_worker / t_bare:>10.2f}")
    print(f"{'groundings one by one (reference B)':<52}{t_serial:>10.4f}{1.0:>10.2f}")
    print(f"{'groundings batched, left padding':<52}{t_batched:>10.4f}{t_batched / t_serial:>10.2f}")
    print(f"worker / in-process: {t_worker / t_reading:.2f}x; batched groundings are {t_serial / t_batched:.2f}x faster")


if __name__ == "__main__":
    main()
