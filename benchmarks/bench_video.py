"""Teaching-video export speed: seconds of video written per second of export, for a 30-second reading of RG1.

    .venv/bin/python benchmarks/bench_video.py [--fps 10]

The reading is synthetic (30 key frames over 30 s on RG1_UNCR.dcm, one finding per 5 s with a box); the film is
rendered once, as the viewer and the File menu do.
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
    ap.add_argument("--fps", type=float, default=10.0)
    args = ap.parse_args()
    from gazex_viewer.core.export.teaching_video import write_inspection_video
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.reading.document import Box, Finding, Producer, Reading, Sentence, TrajectoryPoint

    film_path = Path(__file__).resolve().parents[2] / "shared" / "data" / "dicom" / "RG1_UNCR.dcm"
    if not film_path.is_file():
        print(f"skipped: {film_path} is absent")
        return 0
    rad = load_radiograph(film_path)
    w, h = rad.width, rad.height
    findings, sentences, points = [], [], []
    for k in range(6):
        fid, sid = f"f-{k}", f"s-{k}"
        sentences.append(Sentence(sid, f"finding number {k} in the left lower zone ."))
        findings.append(Finding(fid, sid, sentences[-1].text, observation=Box.from_corners(w * 0.2, h * 0.3, w * 0.6, h * 0.7)))
        for j in range(5):
            t = k * 5 + j
            points.append(TrajectoryPoint(w * (0.2 + 0.1 * j), h * (0.3 + 0.05 * k), t, t + 1, fid, "clue"))
    reading = Reading(image=rad.image_ref(), producer=Producer(kind="model", name="bench"), sentences=sentences,
                      findings=findings, trajectory=points)
    film = rad.render()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = write_inspection_video(film, reading, Path(tmp) / "v.mp4", fps=args.fps)
        dt = time.perf_counter() - t0
    print(f"RG1 ({w}x{h}), {reading.duration:.0f} s reading at {args.fps:g} fps -> {result.width}x{result.height}, "
          f"{result.frames} frames in {dt:.2f} s: {result.seconds / dt:.1f} s of video per second of export")
    return 0


if __name__ == "__main__":
    sys.exit(main())
