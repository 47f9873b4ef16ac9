"""Expert key frames: the ``gazex`` method (raw samples, GazeX's script) against the ``app`` method, same run.

A synthetic REFLACX-like reading of a 2544 x 3056 film: 60 s of 250 ms fixations (1000 Hz samples jittered around
each fixation, 60 px per degree), dictated as 10 sentences of 6 s, each looking at 2-4 regions. Prints the time
per reading of each method, their ratio, the peak memory of the gazex method (tracemalloc, numpy buffers), and the
median ratio of box areas (gazex / app) for clues and observations.
Run: .venv/bin/python benchmarks/bench_keyframes.py
"""

from __future__ import annotations

import tracemalloc

import numpy as np
from _timing import best_of  # benchmarks/ is on sys.path when run as a script

from gazex_viewer.core.gaze.clustering import (
    FixationArray,
    KeyFrameParams,
    SentenceKeyFrames,
    cluster_key_frames,
)
from gazex_viewer.core.gaze.keyframes_gazex import GazeSamples, gazex_key_frames

W, H = 2544, 3056
PPD = 60.0
HZ = 1000
FIX_S = 0.25
SENTENCE_S = 6.0


def recording(seed: int = 0) -> tuple[FixationArray, GazeSamples, list[tuple[float, float]]]:
    rng = np.random.default_rng(seed)
    fx: list[tuple[float, float, float, float]] = []
    windows: list[tuple[float, float]] = []
    t = 0.0
    for _ in range(10):
        regions = rng.uniform([400, 400], [W - 400, H - 400], size=(int(rng.integers(2, 5)), 2))
        start = t
        while t < start + SENTENCE_S:
            cx, cy = regions[int((t - start) / SENTENCE_S * len(regions))]
            fx.append((cx + rng.normal(0, 40), cy + rng.normal(0, 40), t, t + FIX_S))
            t += FIX_S + 0.03
        windows.append((start + 2.0, t))  # the dictation lags the look by 2 s
    arr = np.array(fx)
    n = len(arr)
    fixations = FixationArray(arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3], np.full(n, PPD), np.full(n, PPD))
    ts, xs, ys = [], [], []
    for x, y, t0, t1 in fx:
        k = int((t1 - t0) * HZ)
        ts.append(t0 + np.arange(k) / HZ)
        xs.append(np.round(x + rng.normal(0, 6, k)))
        ys.append(np.round(y + rng.normal(0, 6, k)))
    tt = np.concatenate(ts)
    samples = GazeSamples(tt, np.concatenate(xs), np.concatenate(ys), np.full(len(tt), PPD), np.full(len(tt), PPD))
    return fixations, samples, windows


def main() -> None:
    fixations, samples, windows = recording()
    params = KeyFrameParams()

    def app() -> list[SentenceKeyFrames]:
        return [cluster_key_frames(fixations, image_size=(W, H), t0=a - 2.0, t1=b, params=params) for a, b in windows]

    def gazex() -> list[SentenceKeyFrames]:
        return [gazex_key_frames(samples, image_size=(W, H), t0=a - 2.0, t1=b) for a, b in windows]

    ka, kg = app(), gazex()  # warm (imports)
    ta, tg = best_of(app, 3), best_of(gazex, 3)
    tracemalloc.start()
    gazex()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"recording: {len(samples)} samples, {len(fixations)} fixations, {len(windows)} sentences, film {W} x {H}")
    print(f"app method   (fixations):   {ta * 1000:8.1f} ms per reading")
    print(f"gazex method (raw samples): {tg * 1000:8.1f} ms per reading   ratio gazex/app {tg / ta:.1f}x")
    print(f"gazex peak traced memory: {peak / 2**20:.0f} MiB")

    def area(b) -> float:  # type: ignore[no-untyped-def]
        return float(b.width * b.height)

    clue_r = [area(g.box) / area(a.box) for x, y in zip(ka, kg) for a, g in zip(x.clues, y.clues) if len(x.clues) == len(y.clues)]
    obs_r = [area(y.observation.box) / area(x.observation.box) for x, y in zip(ka, kg) if x.observation and y.observation]
    n_same = sum(len(x.clues) == len(y.clues) for x, y in zip(ka, kg))
    print(
        f"box area gazex/app (median): clues {np.median(clue_r) if clue_r else float('nan'):.2f} "
        f"({len(clue_r)} pairs from the {n_same} of {len(ka)} sentences with as many clues), "
        f"observations {np.median(obs_r):.2f} ({len(obs_r)} pairs)"
    )


if __name__ == "__main__":
    main()
