"""The reviewed view in words (core/review/reviewed_view.py): what a session leaves of the draft, headless."""

from __future__ import annotations

import pytest

from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Label,
    Producer,
    Reading,
    Sentence,
)
from gazex_viewer.core.review.reviewed_view import (
    NOTHING_UNDER_REVIEW,
    counter_text,
    decision_notes,
    display_reading,
    title_state,
)
from gazex_viewer.core.review.session import ReviewSession


def _reading() -> Reading:
    texts = ["enlarged cardiac silhouette", "right basal opacity", "no pneumothorax"]
    sentences = [Sentence(f"s-{i}", t) for i, t in enumerate(texts)]
    findings = [
        Finding(f"f-{i}", f"s-{i}", t, [Label("Lung Opacity")], Box.from_corners(10 + i, 20, 200, 220))
        for i, t in enumerate(texts)
    ]
    return Reading(
        image=ImageRef(file_name="image.dcm", width=1024, height=1024, pixel_sha256="0" * 64),
        producer=Producer(kind="model", name="gazex-test", backend="none"),
        sentences=sentences,
        findings=findings,
        raw_report=" . ".join(texts) + " .",
    )


@pytest.fixture
def session() -> ReviewSession:
    return ReviewSession(_reading(), "Dr Ada")


def test_nothing_under_review() -> None:
    assert display_reading(None) is None
    assert counter_text(None) == NOTHING_UNDER_REVIEW
    assert title_state(None) == ""


def test_counter_and_title_follow_the_decisions(session: ReviewSession) -> None:
    assert counter_text(session) == "3 of 3 AI finding(s) undecided"
    assert title_state(session) == " — reviewing, 3 undecided"
    session.accept("f-0")
    session.reject("f-1", reason="old scar")
    assert counter_text(session) == "1 of 3 AI finding(s) undecided · 1 accepted, 1 rejected"
    session.edit("f-2", text="small apical pneumothorax")
    session.add_finding("small left effusion", Box.from_corners(300, 300, 400, 400), [])
    assert counter_text(session) == "All 3 AI finding(s) decided · 1 accepted, 1 edited, 1 rejected, 1 added"
    assert title_state(session) == " — reviewed, not signed"


def test_decision_notes_give_the_reason_and_the_ai_words(session: ReviewSession) -> None:
    session.accept("f-0")
    session.reject("f-1", reason="old scar")
    session.edit("f-2", text="small apical pneumothorax")
    assert decision_notes(session, "f-0") == (None, None)
    assert decision_notes(session, "f-1") == ("old scar", None)
    assert decision_notes(session, "f-2") == (None, "no pneumothorax")


def test_display_reading_is_the_draft_as_the_review_leaves_it(session: ReviewSession) -> None:
    box = Box.from_corners(50, 60, 150, 160)
    session.edit("f-0", text="mild cardiomegaly", observation=box)
    added = session.add_finding("small left effusion", Box.from_corners(300, 300, 400, 400), [])
    view = display_reading(session)
    assert view is not None and view is not session.reading
    assert [f.id for f in view.findings] == ["f-0", "f-1", "f-2", added]
    assert view.findings[0].text == "mild cardiomegaly" and view.findings[0].observation == box
    # the session's own reading is untouched: the AI's words stay
    assert session.reading.findings[0].text == "enlarged cardiac silhouette"
    assert len(session.reading.findings) == 3


def test_read_first_hides_the_count_until_the_own_impression(session: ReviewSession) -> None:
    hidden = ReviewSession(_reading(), "Dr Ada", read_first=True)
    assert counter_text(hidden) == "Read first: 3 AI finding(s) hidden until you write your impression"
    assert title_state(hidden) == " — read first"
    hidden.set_own_impression("Cardiomegaly.")
    assert title_state(hidden) == " — reviewing, 3 undecided"
