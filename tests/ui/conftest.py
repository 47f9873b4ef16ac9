"""UI test fixtures: a private settings location, a main window whose message boxes never block."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point QSettings (INI, user scope) and the review database (``GAZEX_REVIEW_DB``) at temporary
    places so tests never touch the user's settings or reviews."""
    from PySide6.QtCore import QSettings

    folder = tmp_path_factory.mktemp("settings")
    monkeypatch.setenv("GAZEX_REVIEW_DB", str(folder / "reviews.sqlite3"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


class Recorder:
    """Collects the messages a window would have shown and answers its questions."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.questions: list[tuple[str, str]] = []
        self.answer = True

    def error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def ask(self, title: str, message: str) -> bool:
        self.questions.append((title, message))
        return self.answer


@pytest.fixture
def messages() -> Recorder:
    return Recorder()


class Answers:
    """What the window asks and tells, answered without blocking."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.questions: list[str] = []
        self.texts: list[str] = []
        self.name: str | None = "Dr Ada Lovelace"
        self.reason: str | None = ""

    def error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def ask(self, title: str, message: str) -> bool:
        self.questions.append(message)
        return True

    def ask_text(self, title: str, label: str, default: str = "") -> str | None:
        self.texts.append(label)
        return self.name

    #: the signing-key passphrase typed at sign-off (the key is created in $GAZEX_KEY_DIR the first time)
    passphrase: str | None = "correct horse battery"

    def ask_passphrase(self, title: str, label: str) -> str | None:
        self.texts.append(label)
        return self.passphrase


def build_window(
    qtbot: Any,
    dialogs: Any = None,
    *,
    runner_factory: Any = None,
    size: tuple[int, int] | None = (1400, 900),
    show: bool = True,
    exposed: bool = False,
    active: bool = False,
) -> Any:
    """The one builder of a main window for UI tests.

    ``dialogs`` (a :class:`Recorder` or :class:`Answers`) answers ``show_error`` / ``ask_yes_no`` (and
    ``ask_text`` when it has one) so nothing modal blocks; ``runner_factory`` replaces the model runner;
    ``size`` None keeps the size the window restores; ``exposed`` waits for the first paint, ``active``
    makes it the active window (shortcuts only reach that one).
    """
    from gazex_viewer.ui.shell.main_window import MainWindow

    win = MainWindow(runner_factory=runner_factory)
    if dialogs is not None:
        win.show_error = dialogs.error  # type: ignore[method-assign]
        win.ask_yes_no = dialogs.ask  # type: ignore[method-assign]
        if hasattr(dialogs, "ask_text"):
            win.ask_text = dialogs.ask_text  # type: ignore[method-assign]
        if hasattr(dialogs, "ask_passphrase"):  # Answers: the review panel's own questions too
            panel = win.review_panel
            panel.show_error = dialogs.error  # type: ignore[method-assign]
            panel.confirm = dialogs.ask  # type: ignore[method-assign]
            panel.ask_reason = lambda _t: dialogs.reason  # type: ignore[method-assign]
            panel.ask_passphrase = dialogs.ask_passphrase  # type: ignore[method-assign]
    qtbot.addWidget(win)
    if size is not None:
        win.resize(*size)
    if show:
        win.show()
    if exposed:
        qtbot.waitExposed(win)
    if active:
        win.activateWindow()
        qtbot.waitUntil(win.isActiveWindow, timeout=3000)
    return win


def build_review_window(qtbot: Any, answers: Answers) -> Any:
    """A shown, active 1400 x 900 window whose every question (window and review panel) ``answers`` answers."""
    return build_window(qtbot, answers, exposed=True, active=True)


#: the NIH film the review tests read (512 x 512; :func:`tests.ui.readings.demo_reading` fits it)
NIH = "images/nih/00000001_000.png"


def open_for_review(win: Any, reading: Any = None, name: str | None = "Dr Ada Lovelace") -> Any:
    """Open the NIH film and a reading (default: the demo reading); type the reviewer's name when asked."""
    from tests.conftest import shared_file
    from tests.factories import demo_reading

    assert win.open_image(shared_file(NIH))
    reading = reading or demo_reading(win.radiograph)
    assert win.show_reading(reading)
    panel = win.review_panel
    win.asked_name = panel.name_box.isVisibleTo(win)
    if win.asked_name and name:
        panel.name_edit.setText(name)
        panel.name_button.click()
    return reading


@pytest.fixture
def make_window(qtbot: Any, messages: Recorder) -> Callable[..., Any]:
    """:func:`build_window` with this test's ``qtbot`` and ``messages``: ``make_window(size=(1200, 800))``."""
    return functools.partial(build_window, qtbot, messages)


@pytest.fixture
def window(make_window: Callable[..., Any]) -> Any:
    """A shown 1400 x 900 main window whose show_error / ask_yes_no go to ``messages``."""
    return make_window(exposed=True)


@pytest.fixture
def run_window(
    make_window: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A main window with a real model runner whose cache is in tmp (and not used); the worker stops after."""
    from gazex_viewer.ui.model.runner import ModelRunner

    monkeypatch.setenv("GAZEX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GAZEX_REVIEW_DB", str(tmp_path / "reviews.sqlite3"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    win = make_window(runner_factory=lambda parent: ModelRunner(parent, use_cache=False, cache_dir=tmp_path / "cache"))
    yield win
    if win.runner is not None:
        win.runner.shutdown()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "reviews.sqlite3"
    monkeypatch.setenv("GAZEX_REVIEW_DB", str(path))
    return path


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def rwin(qtbot: Any, db: Path, answers: Answers) -> Any:
    """The main window set up for review (:func:`tests.ui.helpers.review_window`), with ``db`` as the review database."""
    from tests.ui.helpers import review_window

    return review_window(qtbot, answers)
