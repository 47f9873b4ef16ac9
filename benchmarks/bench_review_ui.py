"""Benchmark review decisions through the UI against the bare core session, in the same run.

For a reading of N findings over the real NIH film it measures the median time of one decision:

- ``core``: ``ReviewSession.accept/reject`` alone (SQLite commit, synchronous=FULL): the reference;
- ``panel``: the review panel's Accept/Reject (core + refreshing every row and the counter);
- ``window``: the main window's A/R shortcut (panel + report badges + film regions), when the
  window has the review workflow wired in.

and prints each with its ratio to ``core``. Usage (offscreen)::

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_review_ui.py [--n 40] [--rounds 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

NIH = ROOT.parent / "shared" / "data" / "images" / "nih" / "00000001_000.png"


def _reading(rg: object, n: int) -> object:
    from tests.factories import long_reading  # a grid of 40 px boxes over the film

    return long_reading(rg, n)


def _median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40, help="findings in the reading")
    ap.add_argument("--rounds", type=int, default=60, help="decisions timed per variant")
    args = ap.parse_args()

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.review.session import ReviewSession
    from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
    from gazex_viewer.ui.selection import SelectionModel
    from gazex_viewer.ui.review.panel import ReviewPanel

    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="bench-review-ui-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp / "settings"))
    rg = load_radiograph(NIH)

    def run_core() -> list[float]:
        store = SqliteReviewStore(tmp / "core.sqlite3")
        s = ReviewSession.open(store, _reading(rg, args.n), "bench")
        ids = s.finding_ids
        out = []
        for i in range(args.rounds):
            fid = ids[i % len(ids)]
            t0 = time.perf_counter()
            if s.status(fid) == "accepted":
                s.reject(fid, "r")
            else:
                s.accept(fid)
            out.append(time.perf_counter() - t0)
        store.close()
        return out

    def run_panel() -> list[float]:
        store = SqliteReviewStore(tmp / "panel.sqlite3")
        sel = SelectionModel()
        panel = ReviewPanel(sel)
        panel.ask_reason = lambda _t: "r"  # type: ignore[method-assign]
        panel.resize(420, 900)
        panel.show()
        panel.set_session(ReviewSession.open(store, _reading(rg, args.n), "bench"))
        s = panel.session
        assert s is not None
        ids = s.finding_ids
        out = []
        for i in range(args.rounds):
            fid = ids[i % len(ids)]
            sel.select(fid)
            app.processEvents()
            t0 = time.perf_counter()
            if s.status(fid) == "accepted":
                panel.reject_current()
            else:
                panel.accept_current()
            app.processEvents()
            out.append(time.perf_counter() - t0)
        panel.close()
        store.close()
        return out

    def run_window() -> list[float] | None:
        os.environ["GAZEX_REVIEW_DB"] = str(tmp / "window.sqlite3")
        from gazex_viewer.ui import settings as S
        from gazex_viewer.ui.shell.main_window import MainWindow

        S.set_value("review/reviewer", "bench")
        win = MainWindow()
        if not hasattr(win, "review_panel"):
            return None
        win.review_panel.ask_reason = lambda _t: "r"  # type: ignore[method-assign]
        win.resize(1400, 900)
        win.show()
        QTest.qWaitForWindowExposed(win)
        win.open_image(NIH)
        win.show_reading(_reading(win.radiograph, args.n))
        s = win.review_panel.session
        ids = s.finding_ids
        out = []
        for i in range(args.rounds):
            fid = ids[i % len(ids)]
            win.selection.select(fid)
            app.processEvents()
            key = Qt.Key.Key_R if s.status(fid) == "accepted" else Qt.Key.Key_A
            t0 = time.perf_counter()
            QTest.keyClick(win, key)
            app.processEvents()
            out.append(time.perf_counter() - t0)
        win.close()
        return out

    core = _median_ms(run_core())
    panel = _median_ms(run_panel())
    window_t = run_window()
    print(f"findings {args.n}, decisions timed per variant {args.rounds}")
    print(f"core session decision   {core:7.2f} ms  (reference, ratio 1.00)")
    print(f"review panel decision   {panel:7.2f} ms  ratio {panel / core:5.2f}")
    if window_t is None:
        print("main window decision       n/a  (review not wired into the main window)")
    else:
        w = _median_ms(window_t)
        print(f"main window A/R key     {w:7.2f} ms  ratio {w / core:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
