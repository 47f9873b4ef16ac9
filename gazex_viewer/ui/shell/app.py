"""Start-up of the viewer application (QApplication, style, main window)."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import cast

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from gazex_viewer.ui.settings import APPLICATION, ORGANISATION
from gazex_viewer.ui.shell.main_window import MainWindow, create_window


def application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication (created once)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv or [sys.argv[0]]))
        app.setOrganizationName(ORGANISATION)
        app.setApplicationName(APPLICATION)
        app.setStyle("Fusion")
    return cast(QApplication, app)  # QApplication.instance() is typed as the core application


def run_app(paths: Sequence[str] = (), *, reading: str | None = None) -> int:
    """Show the main window and run the event loop.

    With ``GAZEX_STARTUP_PROBE=1`` in the environment the app prints ``shown <seconds>`` (time since
    the interpreter started, measured with ``GAZEX_T0`` when given) after the first paint and quits:
    the start-up benchmark and tests use it.
    """
    app = application()
    win: MainWindow = create_window(paths, reading)
    if os.environ.get("GAZEX_STARTUP_PROBE"):
        t0 = float(os.environ.get("GAZEX_T0", "0") or 0)

        def probe() -> None:
            app.processEvents()
            print(f"shown {time.time() - t0:.3f}" if t0 else "shown", flush=True)
            bad = sorted(
                m for m in ("torch", "transformers", "highdicom", "sklearn", "matplotlib", "reportlab") if m in sys.modules
            )
            print("heavy " + ",".join(bad), flush=True)
            shot = os.environ.get("GAZEX_STARTUP_SCREENSHOT")
            if shot:
                QTimer.singleShot(int(os.environ.get("GAZEX_SCREENSHOT_DELAY_MS", "0")), lambda: _shoot(win, shot, app))
            else:
                win.close()
                app.quit()

        QTimer.singleShot(0, probe)
    return int(app.exec())


def _shoot(win: MainWindow, path: str, app: QApplication) -> None:
    app.processEvents()
    win.grab().save(path)
    screen = app.primaryScreen()
    if screen is not None:
        screen.grabWindow(0).save(path.replace(".png", "-screen.png"))
    print(f"screenshot {path}", flush=True)
    win.close()
    app.quit()
