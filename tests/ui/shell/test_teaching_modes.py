"""Trainee and compare modes: another film's reading is refused unless confirmed and said so; leaving
a mode shows exactly the film's own reading and review again (issue 12)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from gazex_viewer.core.reading.document import Box, Reading
from tests.ui.conftest import Answers
from tests.ui.helpers import click_film, open_review, review_window


def _reviewed(win: Any) -> tuple[Reading, Any]:
    """The film's own AI draft, reviewed: one accepted, one edited (text and box), one added."""
    own = open_review(win)
    s = win.review_panel.session
    assert s is not None
    s.accept("f-cardio")
    s.edit("f-device", text="tip of the central line in the SVC", observation=Box.from_corners(230, 70, 290, 180))
    s.add_finding("small left pleural effusion", Box.from_corners(340, 380, 470, 470))
    return own, s


def _other_film(own: Reading, tmp_path: Path) -> Path:
    other = copy.deepcopy(own)
    other.reading_id = "r-otherfilm"
    other.review = None
    other.producer.kind = "expert"
    other.producer.dataset = "REFLACX"
    other.image.pixel_sha256 = "ab" * 32
    other.image.file_name = "some_other_patient.png"
    path = tmp_path / "other.reading.json"
    other.save(path)
    return path


def _shows_the_review(win: Any, own: Reading, session: Any) -> None:
    s = win.review_panel.session
    assert win.reading is not None and win.reading.reading_id == own.reading_id
    assert s is not None and s.reading_id == session.reading_id and s.reading is win.reading
    assert s.status("f-device") == "edited" and len(s.review.additions) == 1
    rp = win.report_panel
    assert rp.rows["f-device"].text_label.text() == "Tip of the central line in the SVC."
    added = s.review.additions[0].id
    assert win.canvas.region_state("f-device") == "edited" and win.canvas.region_state(added) == "added"
    r = win.canvas.region_rect("f-device")
    assert (r.left(), r.top(), r.right(), r.bottom()) == (230, 70, 290, 180)  # the edited box, not the AI's


def test_trainee_scoring_against_another_film_needs_consent_and_leaving_restores_the_review(
    qtbot: Any, db: Path, answers: Answers, tmp_path: Path
) -> None:
    from gazex_viewer.ui.trainee.mode import TraineeMode

    win = review_window(qtbot, answers)
    own, session = _reviewed(win)
    mode = TraineeMode(win.workspace, win.action_registry, win, win.comparisons)
    assert mode.start()
    assert mode.add_reference_file(_other_film(own, tmp_path))
    click_film(qtbot, win, 205, 331)
    qtbot.keyClicks(mode.panel.sentence_edit, "enlarged cardiac silhouette")
    qtbot.keyClick(mode.panel.sentence_edit, Qt.Key.Key_Return)
    asked: list[str] = []
    win.ask_yes_no = lambda t, m: asked.append(m) is not None  # "No"
    assert mode.panel.reference is not None and mode.panel.reference.reading_id == "r-otherfilm"
    assert mode.reveal() is None
    assert asked and "another film" in asked[0] and not mode.revealed_state
    assert "Not scored: the reference is a reading of another film" in mode.panel.message.text()
    win.ask_yes_no = lambda t, m: True
    assert mode.reveal() is not None
    assert "Scored against a reading of ANOTHER film" in mode.panel.score_title.text()
    assert win.reading.reading_id != own.reading_id  # the reference is on the film now
    mode.leave()
    _shows_the_review(win, own, session)


def test_trainee_against_this_films_reading_is_not_warned_and_leaving_redraws_the_review(
    qtbot: Any, db: Path, answers: Answers
) -> None:
    from gazex_viewer.ui.trainee.mode import TraineeMode

    win = review_window(qtbot, answers)
    own, session = _reviewed(win)
    mode = TraineeMode(win.workspace, win.action_registry, win, win.comparisons)
    assert mode.start()
    assert win.canvas.reading is None
    mode.leave()  # without a reveal
    _shows_the_review(win, own, session)


def test_compare_with_another_film_needs_consent_and_ending_restores_the_review(
    qtbot: Any, db: Path, answers: Answers, tmp_path: Path
) -> None:
    win = review_window(qtbot, answers)
    own, session = _reviewed(win)
    other = _other_film(own, tmp_path)
    win.ask_yes_no = lambda t, m: False
    cmp = win.compare_with_reading(other)
    assert cmp is not None and cmp.comparison is None  # refused
    win.ask_yes_no = lambda t, m: True
    cmp = win.compare_with_reading(other)
    assert cmp.comparison is not None and cmp.comparison.different_films
    assert cmp.panel.film_banner.isVisibleTo(cmp.panel)
    cmp.end()
    _shows_the_review(win, own, session)
