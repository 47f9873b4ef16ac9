"""Start-up: nothing heavy is imported, the real app starts (offscreen and under Xvfb) and shows a film."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tests.conftest import ROOT, require_tool, shared_file
from tests.factories import demo_reading

HEAVY = ("torch", "transformers", "highdicom", "sklearn", "matplotlib", "reportlab", "peft")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # the app's QSettings go here, not to the user's
    env["HOME"] = str(tmp_path / "home")
    env.update(extra)
    return env


def test_importing_the_ui_pulls_in_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "import gazex_viewer.ui.shell.main_window, gazex_viewer.ui.shell.app, gazex_viewer.commands.gui\n"
        f"print(','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
        "print('PySide6' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    heavy, qt = proc.stdout.split("\n")[:2]
    assert heavy == "", f"the UI imported {heavy} at start-up"
    assert qt == "True"


def _demo_files(tmp_path: Path) -> tuple[Path, Path]:
    from gazex_viewer.core.imaging.files import load_radiograph

    film = tmp_path / "00000001_000.png"
    shutil.copy(shared_file("images/nih/00000001_000.png"), film)
    reading = tmp_path / "00000001_000.reading.json"
    demo_reading(load_radiograph(film), warnings=["shown by test_startup"]).save(reading)
    return film, reading


def test_main_py_opens_a_film_and_reading_offscreen(tmp_path: Path) -> None:
    film, reading = _demo_files(tmp_path)
    env = _env(tmp_path, QT_QPA_PLATFORM="offscreen", GAZEX_STARTUP_PROBE="1", GAZEX_T0=str(time.time()))
    proc = subprocess.run(
        [sys.executable, "main.py", str(film), str(reading)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = dict(line.split(" ", 1) if " " in line else (line, "") for line in proc.stdout.splitlines())
    assert "shown" in lines, proc.stdout
    assert lines.get("heavy", "") == "", f"heavy modules at start-up: {lines.get('heavy')}"
    assert "Traceback" not in proc.stderr


def test_gui_command_help_names_its_options(tmp_path: Path) -> None:
    env = _env(tmp_path, QT_QPA_PLATFORM="offscreen", GAZEX_STARTUP_PROBE="1")
    proc = subprocess.run(
        [sys.executable, "-m", "gazex_viewer", "gui", "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "--reading" in proc.stdout


def _free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return n
    raise RuntimeError("no free X display number")


def test_real_window_under_xvfb(tmp_path: Path, artifacts_dir: Path) -> None:
    xvfb = require_tool("Xvfb")
    film, reading = _demo_files(tmp_path)
    n = _free_display()
    server = subprocess.Popen(
        [xvfb, f":{n}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{n}").exists():
                break
            time.sleep(0.05)
        shot = artifacts_dir / "viewer-xvfb-window.png"
        if shot.exists():
            shot.unlink()
        env = _env(
            tmp_path,
            QT_QPA_PLATFORM="xcb",
            DISPLAY=f":{n}",
            GAZEX_STARTUP_PROBE="1",
            GAZEX_STARTUP_SCREENSHOT=str(shot),
            GAZEX_SCREENSHOT_DELAY_MS="300",
        )
        proc = subprocess.run(
            [sys.executable, "main.py", str(film), str(reading)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert "shown" in proc.stdout and f"screenshot {shot}" in proc.stdout, proc.stdout + proc.stderr[-2000:]
        from PIL import Image

        img = np.asarray(Image.open(shot).convert("L"))
        assert img.shape[0] > 500 and img.shape[1] > 800
        assert img.std() > 20  # a film and panels, not a blank window
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
