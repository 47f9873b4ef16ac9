"""The review panel on its own (no main window): its fixtures and builder, shared by the panel tests.

Import the fixtures by name into a test module (``from tests.ui.review.panel_fixtures import db, prompts,
reading``): ``db`` here is a plain database path that does not change ``$GAZEX_REVIEW_DB``, unlike the
``db`` fixture of tests/ui/conftest.py, so it is only used where imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.review.panel import ReviewPanel
from tests.conftest import shared_file
from tests.factories import demo_reading
from tests.ui.helpers import NIH

__all__ = ["Prompts", "db", "make_panel", "prompts", "reading"]


class Prompts:
    """The review panel's dialogs, recorded and answered without blocking."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.reasons: list[str] = []
        self.reason_answer: str | None = ""
        self.confirms: list[str] = []
        self.confirm_answer = True
        self.passphrases: list[str] = []

    def error(self, title: str, message: str) -> None:
        self.errors.append((title, message))

    def reason(self, text: str) -> str | None:
        self.reasons.append(text)
        return self.reason_answer

    def confirm(self, title: str, message: str) -> bool:
        self.confirms.append(message)
        return self.confirm_answer

    def passphrase(self, title: str, label: str) -> str | None:
        self.passphrases.append(label)
        return "correct horse battery"


@pytest.fixture
def reading() -> Any:
    return demo_reading(load_radiograph(shared_file(NIH)))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "reviews.sqlite3"


@pytest.fixture
def prompts() -> Prompts:
    return Prompts()


def make_panel(qtbot: Any, prompts: Prompts) -> tuple[ReviewPanel, SelectionModel]:
    """A shown review panel on its own selection, its dialogs answered by ``prompts``."""
    sel = SelectionModel()
    panel = ReviewPanel(sel)
    panel.show_error = prompts.error  # type: ignore[method-assign]
    panel.ask_passphrase = prompts.passphrase  # type: ignore[method-assign]
    panel.ask_reason = prompts.reason  # type: ignore[method-assign]
    panel.confirm = prompts.confirm  # type: ignore[method-assign]
    qtbot.addWidget(panel)
    panel.resize(420, 800)
    panel.show()
    return panel, sel
