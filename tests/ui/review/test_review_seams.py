"""The review mode's seams: it is handed a Workspace, an ActionRegistry and a Shell (never the window), and its views
observe the workspace, so a second shell and a second view plug in without touching the controller."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    Label,
    Producer,
    Reading,
    Sentence,
    TrajectoryPoint,
)
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.actions import ActionRegistry
from gazex_viewer.ui.film.canvas import FilmCanvas
from gazex_viewer.ui.film.player import PlayerBar, PlayerController
from gazex_viewer.ui.report.panel import ReportPanel
from gazex_viewer.ui.review import controller as controller_module
from gazex_viewer.ui.review import stored as stored_module
from gazex_viewer.ui.review import views as views_module
from gazex_viewer.ui.review.controller import REVIEWER_KEY, ReviewController
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.services import Shell
from gazex_viewer.ui.workspace import Workspace
from tests.conftest import shared_file

NIH = "images/nih/00000001_000.png"


def three_findings(radiograph: Any) -> Reading:
    """An AI draft of the film: cardiomegaly, a device, a pertinent negative; one key frame per box (1 s each)."""
    findings = [
        Finding("f-cardio", "s-1", "enlarged cardiac silhouette", [Label("Cardiomegaly")],
                Box.from_corners(150, 250, 400, 420), [Box.from_corners(160, 262, 250, 400)]),
        Finding("f-device", "s-2", "support apparatus", [Label("Support Devices")], Box.from_corners(220, 60, 300, 200)),
        Finding("f-ptx", "s-3", "no pneumothorax", [Label("Pneumothorax", "negative")], Box.from_corners(40, 40, 200, 230)),
    ]
    boxes = [(f.id, b) for f in findings for b in [*f.clues, f.observation] if b is not None]
    return Reading(
        image=radiograph.image_ref(),
        producer=Producer("model", "tiny-gazex", backend="transformers", device="cpu"),
        sentences=[Sentence(f.sentence_id, f.text) for f in findings],
        findings=findings,
        trajectory=[
            TrajectoryPoint(b.centroid_x, b.centroid_y, float(i), i + 1.0, fid, "observation")
            for i, (fid, b) in enumerate(boxes)
        ],
        raw_report=" . ".join(f.text for f in findings) + " .",
    )


class TinyShell:
    """A second Shell: a bare QMainWindow with the film views, recording what the review says and titles."""

    def __init__(self) -> None:
        self.window = QMainWindow()
        self.selection = SelectionModel()
        self.canvas = FilmCanvas(self.selection)
        self.controller = PlayerController()
        self.player_bar = PlayerBar(self.controller)
        self.report_dock = QDockWidget("Report", self.window)
        self.window.setCentralWidget(self.canvas)
        self.reading_path: Path | None = None
        self.statuses: list[str] = []
        self.titles: list[str] = []
        self.errors: list[tuple[str, str]] = []
        self.shown: list[Any] = []

    def show_error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def ask_yes_no(self, title: str, message: str) -> bool:
        return True

    def ask_text(self, title: str, label: str, default: str = "") -> str | None:
        return "Dr Tiny"

    def dialog_parent(self) -> QWidget:
        return self.window

    def style_sheet(self) -> str:
        return ""

    def show_status(self, message: str, msecs: int = 0) -> None:
        self.statuses.append(message)

    def clear_status(self) -> None:
        pass

    def set_title(self, title: str) -> None:
        self.titles.append(title)

    def add_tab(self, dock: QDockWidget, *, beside_report: bool = True) -> None:
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

    def remove_tab(self, dock: QDockWidget) -> None:
        self.window.removeDockWidget(dock)

    def side_docks(self) -> list[QDockWidget]:
        return self.window.findChildren(QDockWidget)

    def raise_report(self) -> None:
        self.report_dock.raise_()

    def take_film_area(self, replacement: QWidget) -> QWidget:
        raise RuntimeError("not used by the review")

    def restore_film_area(self) -> None:
        pass

    def show_reading(self, reading: Any, *, source: Path | None = None) -> bool:
        self.shown.append(reading)
        return True

    def restore_reading(self, reading: Any) -> None:
        pass


def test_the_review_modules_never_reach_into_a_window() -> None:
    for module in (controller_module, stored_module, views_module):
        source = inspect.getsource(module)
        assert "self.win" not in source and "MainWindow" not in source, module.__name__
        assert "window: Any" not in source


def test_a_second_shell_and_a_second_view_plug_in(qtbot: Any, db: Path) -> None:
    path = shared_file(NIH)
    shell = TinyShell()
    assert isinstance(shell, Shell)
    qtbot.addWidget(shell.window)
    workspace = Workspace()
    actions = ActionRegistry(shell.window)
    report = ReportPanel(shell.selection)
    review = ReviewController(workspace, actions, shell, report)
    review.build_actions(shell.window.menuBar().addMenu("&File"), actions.add(None, "File", "&Quit", None, lambda: None))
    assert "Accept finding" in actions and actions["Accept finding"].shortcut().toString() == "A"
    assert review.dock in shell.side_docks()

    # a view nobody told the controller about: it observes the workspace
    seen: list[tuple[ReviewSession | None, dict[str, int] | None]] = []
    workspace.review_changed.connect(lambda s: seen.append((s, None if s is None else dict(s.counts()))))

    rg = load_radiograph(path)
    workspace.set_radiograph(rg)
    shell.canvas.set_radiograph(rg)
    reading = three_findings(rg)
    workspace.set_reading(reading)
    report.set_reading(reading)
    S.set_value(REVIEWER_KEY, "Dr Tiny")
    review.reading_shown(reading)
    s = review.session
    assert s is not None and s is workspace.session and s.reviewer == "Dr Tiny"
    assert seen and seen[-1][0] is s
    assert shell.titles[-1] == f"{Path(rg.path).name} — reviewing, 3 undecided — GazeX Viewer"

    shell.selection.select("f-cardio")
    assert review.panel.accept_current()
    assert seen[-1][1] is not None and seen[-1][1]["accepted"] == 1
    assert shell.titles[-1].endswith("— reviewing, 2 undecided — GazeX Viewer")
    # the film and the report followed through their own observers
    assert shell.canvas._review_states["f-cardio"] == "accepted"
    assert "Accepted" in report.rows["f-cardio"].badge.text()
    assert review.undo_action.isEnabled()
    assert any(m.startswith("Accepted finding") for m in shell.statuses)
    assert not shell.errors

    review.close()
    assert review.store is None


def test_read_first_hides_the_draft_in_every_view(qtbot: Any, db: Path) -> None:
    shell = TinyShell()
    qtbot.addWidget(shell.window)
    workspace = Workspace()
    actions = ActionRegistry(shell.window)
    report = ReportPanel(shell.selection)
    review = ReviewController(workspace, actions, shell, report)
    review.build_actions(shell.window.menuBar().addMenu("&File"), actions.add(None, "File", "&Quit", None, lambda: None))
    review.read_first_action.setChecked(True)
    shell.window.show()
    rg = load_radiograph(shared_file(NIH))
    workspace.set_radiograph(rg)
    reading = three_findings(rg)
    workspace.set_reading(reading)
    report.set_reading(reading)
    shell.canvas.set_reading(reading, shell.controller.playback)
    S.set_value(REVIEWER_KEY, "Dr Tiny")
    review.reading_shown(reading)
    assert review.session is not None and review.session.ai_hidden
    assert report.isHidden() and not shell.canvas._regions
    assert shell.titles[-1].endswith("— read first — GazeX Viewer")
    review.panel.own_impression_edit.setPlainText("Enlarged heart.")
    assert review.panel.reveal_ai()
    assert not report.isHidden() and shell.canvas._regions
    review.close()
