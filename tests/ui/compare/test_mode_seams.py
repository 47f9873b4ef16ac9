"""Compare and trainee modes are handed a Workspace, an ActionRegistry and a Shell (never the main window), so a second,
tiny shell plugs in: a bare QMainWindow holding the film views, with a film area compare can split in two."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.ui.actions import ActionRegistry
from gazex_viewer.ui.compare import session as session_module
from gazex_viewer.ui.compare.session import Comparisons
from gazex_viewer.ui.film.canvas import FilmCanvas
from gazex_viewer.ui.film.player import PlayerBar, PlayerController
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.services import Shell
from gazex_viewer.ui.trainee import mode as mode_module
from gazex_viewer.ui.trainee.mode import TraineeMode
from gazex_viewer.ui.workspace import Workspace
from tests.conftest import shared_file
from tests.factories import demo_reading
from tests.ui.helpers import NIH, gazesearch_expert


class TinyShell:
    """A second Shell: a bare QMainWindow with the film views in a film area, recording what the modes say."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.window = QMainWindow()
        self.selection = SelectionModel()
        self.canvas = FilmCanvas(self.selection)
        self.controller = PlayerController()
        self.player_bar = PlayerBar(self.controller)
        self.report_dock = QDockWidget("Report", self.window)
        self.report_dock.setObjectName("reportDock")
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.report_dock)
        central = QWidget()
        self.layout = QVBoxLayout(central)
        self.film_area = QStackedWidget()
        self.film_area.addWidget(self.canvas)
        self.layout.addWidget(self.film_area, 1)
        self.layout.addWidget(self.player_bar)
        self.window.setCentralWidget(central)
        self.reading_path: Path | None = None
        self.taken: QWidget | None = None
        self.statuses: list[str] = []
        self.errors: list[tuple[str, str]] = []
        self.restored: list[Reading | None] = []

    def show_error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def ask_yes_no(self, title: str, message: str) -> bool:
        return True

    def ask_text(self, title: str, label: str, default: str = "") -> str | None:
        return None

    def dialog_parent(self) -> QWidget:
        return self.window

    def style_sheet(self) -> str:
        return ""

    def show_status(self, message: str, msecs: int = 0) -> None:
        self.statuses.append(message)

    def clear_status(self) -> None:
        pass

    def set_title(self, title: str) -> None:
        pass

    def add_tab(self, dock: QDockWidget, *, beside_report: bool = True) -> None:
        self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if beside_report:
            self.window.tabifyDockWidget(self.report_dock, dock)

    def remove_tab(self, dock: QDockWidget) -> None:
        self.window.removeDockWidget(dock)

    def side_docks(self) -> list[QDockWidget]:
        return self.window.findChildren(QDockWidget)

    def raise_report(self) -> None:
        self.report_dock.raise_()

    def take_film_area(self, replacement: QWidget) -> QWidget:
        if self.taken is not None:
            raise RuntimeError("taken")
        self.layout.replaceWidget(self.film_area, replacement)
        self.taken = replacement
        return self.film_area

    def restore_film_area(self) -> None:
        if self.taken is None:
            return
        self.layout.replaceWidget(self.taken, self.film_area)
        self.film_area.show()
        self.taken.hide()
        self.taken = None

    def show_reading(self, reading: Reading, *, source: Path | None = None) -> bool:
        self.workspace.set_reading(reading)
        self.canvas.set_reading(reading, self.controller.playback)
        return True

    def restore_reading(self, reading: Reading | None) -> None:
        self.restored.append(reading)
        self.canvas.set_reading(reading, self.controller.playback)


@pytest.fixture
def tiny(qtbot: Any) -> tuple[Workspace, ActionRegistry, TinyShell]:
    workspace = Workspace()
    shell = TinyShell(workspace)
    assert isinstance(shell, Shell)
    qtbot.addWidget(shell.window)
    shell.window.resize(1200, 800)
    shell.window.show()
    qtbot.waitExposed(shell.window)
    film = load_radiograph(shared_file(NIH))
    workspace.set_radiograph(film)
    shell.canvas.set_radiograph(film)
    a = demo_reading(film)
    assert shell.show_reading(a)
    return workspace, ActionRegistry(shell.window), shell


def test_the_modes_never_reach_into_a_window() -> None:
    for module in (session_module, mode_module):
        source = inspect.getsource(module)
        assert "self.window" not in source and "MainWindow" not in source, module.__name__
        assert "window: Any" not in source and "win." not in source, module.__name__


def test_compare_plugs_into_a_second_shell(tiny: Any, qtbot: Any, tmp_path: Path) -> None:
    workspace, actions, shell = tiny
    comparisons = Comparisons(workspace, actions, shell)
    session = comparisons.start()
    assert session.dock in shell.side_docks() and comparisons.session is session
    _b, path = gazesearch_expert(tmp_path)
    assert session.open_reading_b(path) and shell.errors == []
    cmp = session.comparison
    assert cmp is not None and cmp.ready and cmp.a is workspace.reading
    assert shell.canvas.reading is cmp.a_shown and session.overlay_b.reading is cmp.b_shown
    # side by side: the tiny shell's film area becomes the left half, and comes back
    session.panel.side_radio.setChecked(True)
    assert shell.taken is session.side_split and shell.film_area.parentWidget() is not shell.window.centralWidget()
    assert session.side_canvas is not None and session.side_canvas.reading is cmp.b_shown
    session.panel.overlay_radio.setChecked(True)
    assert shell.taken is None and shell.film_area.parentWidget() is shell.window.centralWidget()
    # another reading in the workspace ends the comparison; A is restored through the shell
    session.panel.side_radio.setChecked(True)
    shell.show_reading(demo_reading(workspace.radiograph))
    shell.controller.seek(0.5)
    assert session.comparison is None and comparisons.session is None and shell.taken is None
    assert session.dock not in shell.side_docks() or not session.dock.isVisible()


def test_trainee_plugs_into_a_second_shell(tiny: Any, qtbot: Any) -> None:
    workspace, actions, shell = tiny
    own = workspace.reading
    accepted: list[bool] = []
    accept = actions.add(None, "Review", "&Accept finding", None, lambda: accepted.append(True))
    comparisons = Comparisons(workspace, actions, shell)
    mode = TraineeMode(workspace, actions, shell, comparisons, clock=lambda: 10.0)
    assert mode.start()
    assert not accept.isEnabled() and shell.canvas.reading is None and not shell.report_dock.isVisible()
    assert shell.statuses[-1].startswith("Trainee mode")
    assert mode.record_click(205, 331) is not None and mode.record_click(-5, 3) is None
    mode.add_sentence("enlarged cardiac silhouette")
    score = mode.reveal()
    assert score is not None and mode.reference is own and shell.canvas.reading is own
    session = mode.compare()
    assert session is comparisons.session and session is not None and session.comparison is not None
    assert session.comparison.a is own and session.comparison.b is mode.trainee
    mode.leave()
    assert accept.isEnabled() and shell.restored[-1] is own
    accept.trigger()
    assert accepted == [True]


def test_nothing_to_compare_without_a_reading(tiny: Any) -> None:
    workspace, actions, shell = tiny
    comparisons = Comparisons(workspace, actions, shell)
    workspace.set_reading(None)
    assert comparisons.compare_with(None) is None and comparisons.session is None
    assert shell.errors and shell.errors[-1][0] == "Nothing to compare"
