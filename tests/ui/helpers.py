"""What the UI tests share to drive the real widgets (no tests here): the review window, clicks, layout checks,
a compare session. Readings come from :mod:`tests.factories`; fixtures from the conftest files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QTabBar, QWidget

from gazex_viewer.core.gaze.gazesearch import import_gazesearch
from gazex_viewer.core.reading.document import Reading
from tests.conftest import shared_file
from tests.factories import demo_reading
from tests.ui.conftest import Answers

#: the real 512 x 512 NIH film most UI tests open
NIH = "images/nih/00000001_000.png"
SCANPATHS = "gaze/gazesearch_scanpaths.json"
#: scanpath 2 of the GazeSearch file: a search for cardiomegaly, 6 fixations
CARDIO_INDEX = 2


# -- the main window under review ----------------------------------------------------------------------
def review_window(qtbot: Any, answers: Answers) -> Any:
    """A shown, active 1400 x 900 main window whose dialogs (messages, questions, reasons, passphrases) go to ``answers``."""
    from gazex_viewer.ui.shell.main_window import MainWindow

    win = MainWindow()
    win.show_error = answers.error  # type: ignore[method-assign]
    win.ask_yes_no = answers.ask  # type: ignore[method-assign]
    win.ask_text = answers.ask_text  # type: ignore[method-assign]
    win.review_panel.show_error = answers.error  # type: ignore[method-assign]
    win.review_panel.confirm = answers.ask  # type: ignore[method-assign]
    win.review_panel.ask_reason = lambda _t: answers.reason  # type: ignore[method-assign]
    win.review_panel.ask_passphrase = answers.ask_passphrase  # type: ignore[method-assign]
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()  # shortcuts only reach the active window
    qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    return win


def open_review(win: Any, reading: Reading | None = None, name: str | None = "Dr Ada Lovelace") -> Reading:
    """Open the NIH film and a reading; type the reviewer's name when the panel asks for it."""
    assert win.open_image(shared_file(NIH))
    reading = reading or demo_reading(win.radiograph)
    assert win.show_reading(reading)
    panel = win.review_panel
    win.asked_name = panel.name_box.isVisibleTo(win)
    if win.asked_name and name:
        panel.name_edit.setText(name)
        panel.name_button.click()
    return reading


def click_film(qtbot: Any, window: Any, x: float, y: float) -> None:
    """A real left click on the film at image pixel (x, y)."""
    p = window.canvas.map_image_to_widget(x, y)
    qtbot.mouseClick(window.canvas.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(round(p.x()), round(p.y())))


# -- layout ------------------------------------------------------------------------------------------
def clipped_buttons(root: QWidget) -> list[str]:
    """Visible buttons under ``root`` too narrow for their label (Qt cuts such a label off)."""
    out = []
    for b in root.findChildren(QAbstractButton):
        if b.isVisibleTo(root.window()) and b.text() and not isinstance(b.parent(), QTabBar):
            need = b.fontMetrics().horizontalAdvance(b.text().replace("&", ""))
            if b.width() < need + 8:
                out.append(f"{b.text()!r}: {b.width()} px < {need + 8} px")
    return out


def overlapping_widgets(root: QWidget) -> list[str]:
    """Visible sibling widgets in one layout whose rectangles overlap (a layout squeezed below its minimum)."""
    out = []
    for w in [root, *root.findChildren(QWidget)]:
        lay = w.layout()
        if lay is None or not w.isVisibleTo(root.window()):
            continue
        rects: list[tuple[str, QRect]] = []
        for i in range(lay.count()):
            item = lay.itemAt(i)
            c = item.widget() if item is not None else None
            if c is not None and c.isVisibleTo(w) and c.width() > 0 and c.height() > 0:
                rects.append((c.objectName() or type(c).__name__, c.geometry()))
        for i, (na, ra) in enumerate(rects):
            for nb, rb in rects[i + 1:]:
                inter = ra.intersected(rb)
                if inter.width() > 1 and inter.height() > 1:
                    out.append(f"{na} {ra.getRect()} overlaps {nb} {rb.getRect()}")
    return out


# -- compare -----------------------------------------------------------------------------------------
def gazesearch_expert(tmp_path: Path) -> tuple[Reading, Path]:
    """GazeSearch scanpath :data:`CARDIO_INDEX` (a search for cardiomegaly) imported and saved: (reading, its file)."""
    src = shared_file(SCANPATHS)
    raw = json.loads(src.read_text())[: CARDIO_INDEX + 1]
    assert raw[CARDIO_INDEX]["task"] == "cardiomegaly"
    small = tmp_path / "scanpaths.json"
    small.write_text(json.dumps(raw))
    b = import_gazesearch(small)[CARDIO_INDEX]
    path = tmp_path / "expert.reading.json"
    b.save(path)
    return b, path


def compare_session(window: Any, tmp_path: Path) -> tuple[Any, Reading, Reading, Any]:
    """The NIH film with the demo reading (A) compared with :func:`gazesearch_expert` (B): (session, A, B, raw B)."""
    from gazex_viewer.ui.compare.session import CompareSession

    assert window.open_image(shared_file(NIH))
    a = demo_reading(window.radiograph)
    assert window.show_reading(a)
    _b, path = gazesearch_expert(tmp_path)
    session = CompareSession(window.workspace, window.action_registry, window)
    assert session.open_reading_b(path)
    return session, a, Reading.from_json(path.read_text()), raw_scanpath()


def raw_scanpath() -> dict[str, Any]:
    """The raw GazeSearch record of scanpath :data:`CARDIO_INDEX`."""
    return json.loads(shared_file(SCANPATHS).read_text())[CARDIO_INDEX]
