"""UI test fixtures: a private settings location, a main window whose message boxes never block."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture
def window(qtbot: Any, messages: Recorder, private_settings: Path) -> Any:
    """A shown 1400 x 900 main window whose show_error / ask_yes_no go to ``messages``."""
    from gazex_viewer.ui.shell.main_window import MainWindow

    win = MainWindow()
    win.show_error = messages.error  # type: ignore[method-assign]
    win.ask_yes_no = messages.ask  # type: ignore[method-assign]
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    return win


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
