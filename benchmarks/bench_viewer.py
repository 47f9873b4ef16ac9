"""Viewer speed: player frame time, open-to-first-paint, and ``python main.py`` to window shown.

Run from the repository root::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_viewer.py

Prints each figure, its ratio to its goal, and a reference measured in the same run:

* frame time of the trajectory player on a 2048 x 2048 film with 500 fixations and the heatmap on
  (goal 4 ms); reference: repainting the same view without moving the player;
* opening ``RG1_UNCR.dcm`` to the first painted frame (goal 1 s, ours); reference: ``load_radiograph``
  plus ``render`` alone;
* ``python main.py`` to the window shown (goal 1.5 s); reference: ``python -c pass``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("GAZEX_SHARED_DATA", ROOT.parent / "shared" / "data"))

FRAME_GOAL_MS = 4.0
OPEN_GOAL_S = 1.0
START_GOAL_S = 1.5


def _synthetic_reading(radiograph, n_points: int = 500, n_findings: int = 10):  # type: ignore[no-untyped-def]
    import numpy as np

    from gazex_viewer.core.reading.document import Box, Finding, Label, Producer, Reading, Sentence, TrajectoryPoint

    rng = np.random.default_rng(0)
    w, h = radiograph.width, radiograph.height
    findings, sentences, points = [], [], []
    t = 0.0
    per = n_points // n_findings
    for k in range(n_findings):
        x0, y0 = rng.uniform(0, w * 0.7), rng.uniform(0, h * 0.7)
        box = Box.from_corners(x0, y0, x0 + w * 0.2, y0 + h * 0.2)
        fid = f"f-{k}"
        sentences.append(Sentence(f"s-{k}", f"finding number {k}"))
        findings.append(Finding(fid, f"s-{k}", f"finding number {k}", [Label("Lung Opacity")], box, [box]))
        for _ in range(per):
            d = float(rng.uniform(0.15, 0.5))
            points.append(
                TrajectoryPoint(float(rng.uniform(0, w)), float(rng.uniform(0, h)), t, t + d, fid, "fixation")
            )
            t += d
    return Reading(radiograph.image_ref(), Producer("expert", "bench"), sentences, findings, points)


def bench_frames(app, tmp: Path) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    import numpy as np
    from PIL import Image

    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.ui.shell.main_window import MainWindow

    src = SHARED / "images" / "nih" / "00000001_000.png"
    film = tmp / "film2048.png"
    Image.open(src).convert("L").resize((2048, 2048), Image.Resampling.BILINEAR).save(film)
    win = MainWindow()
    win.resize(1400, 900)
    win.show()
    app.processEvents()
    assert win.open_image(film)
    reading = _synthetic_reading(load_radiograph(film))
    assert len(reading.trajectory) == 500
    win.show_reading(reading)
    win.player_bar.set_layers(heatmap=True, trajectory=True, regions=True, labels=True)
    win.controller.set_trail_length(12)
    app.processEvents()
    vp = win.canvas.viewport()
    duration = win.controller.playback.duration
    times = np.linspace(0, duration, 400)
    for t in times[:20]:  # warm-up
        win.controller.seek(float(t))
        vp.repaint()
    t0 = time.perf_counter()
    for t in times:
        win.controller.seek(float(t))
        vp.repaint()
    frame_ms = (time.perf_counter() - t0) / len(times) * 1000
    t0 = time.perf_counter()
    for _ in times:
        vp.repaint()
    paint_ms = (time.perf_counter() - t0) / len(times) * 1000
    win.close()
    return frame_ms, paint_ms


def bench_open(app) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.ui.shell.main_window import MainWindow

    path = SHARED / "dicom" / "RG1_UNCR.dcm"
    win = MainWindow()
    win.resize(1400, 900)
    win.show()
    app.processEvents()
    load_radiograph(path).render()  # warm imports and file cache for both measurements
    t0 = time.perf_counter()
    assert win.open_image(path)
    win.canvas.viewport().repaint()
    open_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    load_radiograph(path).render()
    ref_s = time.perf_counter() - t0
    win.close()
    return open_s, ref_s


def bench_start(tmp: Path, runs: int = 3, film: Path | None = None) -> tuple[float, float]:
    """Median seconds from starting ``python main.py [film]`` to its first painted window, and of ``python -c pass``."""
    env = dict(os.environ, GAZEX_STARTUP_PROBE="1", XDG_CONFIG_HOME=str(tmp / "config"))
    shown: list[float] = []
    bare: list[float] = []
    for _ in range(runs):
        env["GAZEX_T0"] = repr(time.time())
        out = subprocess.run(
            [sys.executable, "main.py", *([str(film)] if film else [])],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout
        line = next(line for line in out.splitlines() if line.startswith("shown "))
        shown.append(float(line.split()[1]))
        heavy = next((line for line in out.splitlines() if line.startswith("heavy")), "heavy ")
        if heavy.strip() != "heavy":
            print(f"  WARNING start-up imported: {heavy[6:]}")
        t0 = time.time()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.time() - t0)
    return statistics.median(shown), statistics.median(bare)


def main() -> int:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
        app = QApplication.instance() or QApplication([])
        frame_ms, paint_ms = bench_frames(app, tmp)
        print(
            f"player frame (2048x2048 film, 500 fixations, heatmap on): {frame_ms:.2f} ms"
            f"  = {frame_ms / FRAME_GOAL_MS:.2f} x goal ({FRAME_GOAL_MS:g} ms)"
            f"  = {frame_ms / paint_ms:.2f} x a repaint without moving the player ({paint_ms:.2f} ms)"
        )
        open_s, ref_s = bench_open(app)
        print(
            f"open RG1_UNCR.dcm to first painted frame, warm (decoders imported, file cached): {open_s * 1000:.0f} ms"
            f"  = {open_s / OPEN_GOAL_S:.2f} x goal ({OPEN_GOAL_S:g} s)"
            f"  = {open_s / ref_s:.2f} x load_radiograph + render alone ({ref_s * 1000:.0f} ms)"
        )
        cold_s, _ = bench_start(tmp, film=SHARED / "dicom" / "RG1_UNCR.dcm")
        start_s, bare_s = bench_start(tmp)
        print(
            f"cold: python main.py RG1_UNCR.dcm to the first painted window with the film (median of 3): {cold_s:.2f} s"
            f"  = {cold_s / OPEN_GOAL_S:.2f} x goal ({OPEN_GOAL_S:g} s)"
        )
        print(
            f"python main.py to window shown (median of 3): {start_s:.2f} s"
            f"  = {start_s / START_GOAL_S:.2f} x goal ({START_GOAL_S:g} s)"
            f"  = {start_s / bare_s:.2f} x 'python -c pass' ({bare_s:.2f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
