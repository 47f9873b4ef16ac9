"""Speed of the comparison and trainee views, as ratios to references measured in the same run.

Prints:
- one playback frame of both overlays (A and B, :class:`ReadingOverlay.set_time`) against one frame of the
  viewer's own trail (``FilmCanvas.update_playback``) for the same reading, and against 16 ms (60 fps);
- ``compare_readings`` (display copies + whole-film + per-sentence agreement, what the panel runs on the UI
  thread when B is chosen) for a real GazeSearch scanpath against the model reading, and for a long expert
  recording (the GazeSearch fixations of 100 scanpaths laid end to end: 500+ fixations, like a REFLACX case)
  against the same 16 ms frame, to see how long the panel can block.
Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_compare_ui.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from _timing import best_of  # benchmarks/ is on sys.path when run as a script

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FRAME_S = 0.016
DATA = Path(os.environ.get("GAZEX_SHARED_DATA", ROOT.parent / "shared" / "data"))




def main() -> int:
    from PySide6.QtWidgets import QApplication

    from gazex_viewer.core.gaze.comparison import compare_readings
    from gazex_viewer.core.gaze.importers import import_gazesearch
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.reading.document import TrajectoryPoint
    from gazex_viewer.core.reading.playback import TrajectoryPlayback
    from gazex_viewer.ui.selection import SelectionModel
    from gazex_viewer.ui.film.canvas import FilmCanvas
    from gazex_viewer.ui.film.overlay import ReadingOverlay, reading_for_film
    from tests.factories import demo_reading

    film = DATA / "images/nih/00000001_000.png"
    scan = DATA / "gaze/gazesearch_scanpaths.json"
    if not film.exists() or not scan.exists():
        print(f"real data not found under {DATA}: nothing measured")
        return 1
    app = QApplication.instance() or QApplication([])
    rg = load_radiograph(film)
    a = demo_reading(rg)
    raw = json.loads(scan.read_text())[:100]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "sp.json"
        src.write_text(json.dumps(raw))
        experts = import_gazesearch(src)
    b = experts[2]
    # a long recording: the fixations of 100 scanpaths laid end to end, in the 224 frame
    long_b = reading_for_film(b, rg)[0]
    t = 0.0
    pts = []
    for r in experts:
        for p in r.trajectory:
            d = p.t_end - p.t_start
            pts.append(TrajectoryPoint(p.x * 512 / 224, p.y * 512 / 224, t, t + d, long_b.findings[0].id, "fixation"))
            t += d
    long_b.trajectory = pts

    canvas = FilmCanvas(SelectionModel())
    canvas.resize(900, 900)
    canvas.set_radiograph(rg)
    canvas.show()
    app.processEvents()
    pb = TrajectoryPlayback(long_b.trajectory)
    canvas.set_reading(long_b, pb)
    ov_a = ReadingOverlay(canvas, tag="A", symbol="o")
    ov_b = ReadingOverlay(canvas, tag="B")
    ov_a.set_reading(a)
    ov_b.set_reading(long_b)
    times = [0.37 * k % pb.duration for k in range(200)]

    def viewer_frames() -> None:
        for tt in times:
            pb.seek(tt)
            canvas.update_playback()

    def overlay_frames() -> None:
        for tt in times:
            ov_a.set_time(tt)
            ov_b.set_time(tt)

    ref = best_of(viewer_frames, 5) / len(times)
    ours = best_of(overlay_frames, 5) / len(times)
    print(f"playback frame, {len(long_b.trajectory)}-fixation B + 5-key-frame A overlays:")
    print(f"  viewer's own trail (reference)   {ref * 1e3:8.3f} ms")
    print(f"  both overlays                     {ours * 1e3:8.3f} ms   ratio to viewer {ours / ref:6.2f}   to 16 ms {ours / FRAME_S:6.3f}")

    t_short = best_of(lambda: compare_readings(a, b, rg), 5)
    print(f"compare_readings, model (5 key frames) vs GazeSearch scanpath ({len(b.trajectory)} fixations):")
    print(f"  {t_short * 1e3:8.2f} ms   ratio to 16 ms {t_short / FRAME_S:6.2f}")
    long_224 = long_b
    t_long = best_of(lambda: compare_readings(long_224, long_224, rg), 1)
    print(f"compare_readings, expert vs expert, {len(long_224.trajectory)} fixations each:")
    print(f"  {t_long * 1e3:8.1f} ms   ratio to 16 ms {t_long / FRAME_S:6.1f}   ratio to the short pair {t_long / t_short:6.1f}")
    canvas.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
