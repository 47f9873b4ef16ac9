"""Hot sampling of the untrained tiny checkpoint: does every reading finish, with clean sentences?

    .venv/bin/python benchmarks/hot_sampling.py [--seeds 1-12] [--temperature 3] [--top-p 1] [--max-new-tokens 1024]

The untrained model emits any token, special tokens included (``<|video_pad|>``, ``<|image_pad|>``, ...). For each
seed it runs a whole reading of the sample film through the app's reading path and prints one line; the summary
counts readings that finished, sentences holding a special token, and unreadable sentences labelled positive
(goal: all finish, 0, 0).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="1-12")
    ap.add_argument("--temperature", type=float, default=3.0)
    ap.add_argument("--top-p", type=float, default=1.0)
    ap.add_argument("--max-new-tokens", type=int, default=1024)
    ap.add_argument("--model", type=Path, default=None, help="an untrained tiny checkpoint (built when absent)")
    args = ap.parse_args()
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))

    from gazex_viewer.core.errors import GazeXError
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.reading.gazex_prompts import _SPECIAL
    from gazex_viewer.inference import protocol
    from gazex_viewer.inference.api import GenerationSettings, ModelSpec
    from gazex_viewer.inference.backend import JobControl
    from gazex_viewer.inference.tiny_model import SAMPLE_IMAGE, make_test_model
    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend

    with tempfile.TemporaryDirectory() as tmp:
        model = args.model or make_test_model(Path(tmp) / "untrained", train=False).path
        backend = TransformersGazeXBackend()
        backend.load(ModelSpec(model, device="cpu"))
        rad = load_radiograph(SAMPLE_IMAGE)
        finished = special = bad_positive = unreadable = sentences = 0
        for seed in seeds:
            s = GenerationSettings(
                deterministic=False, temperature=args.temperature, top_p=args.top_p, seed=seed,
                max_new_tokens=args.max_new_tokens,
            )
            t0 = time.perf_counter()
            try:
                r = protocol.run_reading(backend, rad.render(), rad.image_ref(), s, JobControl(seed))
            except GazeXError as err:
                print(f"seed {seed:2d}: ERROR {err}")
                continue
            finished += 1
            texts = [x.text for x in r.sentences] + [f.text for f in r.findings]
            sp = sum(1 for t in texts if _SPECIAL.search(t))
            bp = sum(1 for f in r.findings if f.unreadable and any(lab.status == "positive" for lab in f.labels))
            special += sp
            bad_positive += bp
            unreadable += sum(f.unreadable for f in r.findings)
            sentences += len(r.findings)
            print(
                f"seed {seed:2d}: finished in {time.perf_counter() - t0:5.1f} s, {len(r.findings)} sentences "
                f"({sum(f.unreadable for f in r.findings)} unreadable), special tokens in sentences: {sp}, "
                f"unreadable labelled positive: {bp}"
            )
        backend.unload()
    print(
        f"hot sampling T={args.temperature} top_p={args.top_p}: {finished} of {len(seeds)} readings finished; "
        f"{sentences} sentences, {unreadable} unreadable; sentences with a special token: {special}; "
        f"unreadable sentences labelled positive: {bad_positive}"
    )
    return 0 if finished == len(seeds) and special == 0 and bad_positive == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
