"""Kill-test driver: the REAL viewer window making review decisions through its keyboard shortcuts.

Usage (offscreen)::

    GAZEX_REVIEW_DB=/tmp/r.sqlite3 QT_QPA_PLATFORM=offscreen \\
        python -m tests.ui.review.review_kill_driver SETTINGS_DIR IMAGE READING.json

It starts the application as ``main.py IMAGE --reading READING.json`` does (``create_window``),
with the viewer's settings in SETTINGS_DIR (where the reviewer name is already stored), then, one
finding after another, presses N (next undecided) and A (accept), R (reject; the reason prompt is
answered "reason <i>") or E (edit: types a new sentence, Enter, then Done). After each decision it
prints ``ack <finding id> <status>``; a decision is acknowledged only after the window's shortcut
handler returned, i.e. after the review session reported the durable write. It never finishes on its
own: the test kills it (SIGKILL) in the middle.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    settings_dir, image, reading_json = argv
    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtTest import QTest

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_dir)

    from gazex_viewer.ui.shell.app import application
    from gazex_viewer.ui.shell.main_window import create_window

    app = application([sys.argv[0]])
    win = create_window([image], reading_json)
    step = {"i": 0}

    def ready() -> bool:
        return win.review_panel.session is not None and bool(win.review_panel.rows)

    def decide() -> None:
        panel = win.review_panel
        session = panel.session
        assert session is not None
        i = step["i"]
        step["i"] += 1
        QTest.keyClick(win, Qt.Key.Key_N)
        fid = win.selection.selected
        if fid is None or session.status(fid) != "undecided":
            print("done", flush=True)
            return
        if i % 3 == 0:
            QTest.keyClick(win, Qt.Key.Key_A)
        elif i % 3 == 1:
            panel.ask_reason = lambda _text, i=i: f"reason {i}"  # the prompt a radiologist would answer
            QTest.keyClick(win, Qt.Key.Key_R)
        else:
            QTest.keyClick(win, Qt.Key.Key_E)
            panel.edit_text.setText(f"edited sentence {i}")
            QTest.keyClick(panel.edit_text, Qt.Key.Key_Return)
            QTest.mouseClick(panel.done_edit_button, Qt.MouseButton.LeftButton)
        print(f"ack {fid} {session.status(fid)}", flush=True)
        QTimer.singleShot(0, decide)

    def start() -> None:
        if not ready():
            QTimer.singleShot(20, start)
            return
        win.activateWindow()
        print(f"ready {len(win.review_panel.rows)}", flush=True)
        QTimer.singleShot(0, decide)

    QTimer.singleShot(0, start)
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
