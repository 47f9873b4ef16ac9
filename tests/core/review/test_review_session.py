"""ReviewSession: decisions, navigation, undo/redo, read-first, sign-off and versions."""

from __future__ import annotations

import pytest

from gazex_viewer.core.reading.document import Box, Label, Reading
from gazex_viewer.core.review.session import (
    ReadingSignedError,
    ReviewError,
    ReviewIncompleteError,
    ReviewSession,
    content_sha256,
    verify_signoff,
)
from tests.factories import make_reading, sign


@pytest.fixture
def session() -> ReviewSession:
    return ReviewSession(make_reading(), "Dr Ada")


def test_accept_reject_status_and_counter(session: ReviewSession) -> None:
    assert session.undecided() == ["f-000", "f-001", "f-002", "f-003"]
    session.accept("f-000")
    ev = session.reject("f-001", reason="  no drain seen ")
    assert ev is not None and ev.action == "reject" and ev.reviewer == "Dr Ada"
    assert ev.before["status"] == "undecided" and ev.after["status"] == "rejected"
    assert session.status("f-000") == "accepted"
    assert session.status("f-001") == "rejected"
    assert session.review.decisions[1].reason == "no drain seen"
    assert session.undecided() == ["f-002", "f-003"]
    assert session.counts() == {"undecided": 2, "accepted": 1, "rejected": 1, "edited": 0, "added": 0}
    # accepting again changes nothing and records nothing
    n = len(session.review.events)
    assert session.accept("f-000") is None
    assert len(session.review.events) == n


def test_unknown_finding_is_a_typed_error(session: ReviewSession) -> None:
    with pytest.raises(ReviewError, match="no finding 'f-999'"):
        session.accept("f-999")


def test_navigation_wraps_and_skips_decided(session: ReviewSession) -> None:
    assert session.next_undecided() == "f-000"
    session.accept("f-001")
    assert session.next_undecided("f-000") == "f-002"
    assert session.previous_undecided("f-002") == "f-000"
    assert session.next_undecided("f-003") == "f-000"  # wraps
    assert session.previous_undecided("f-000") == "f-003"  # wraps back
    for fid in ("f-000", "f-002", "f-003"):
        session.accept(fid)
    assert session.next_undecided("f-000") is None


def test_edit_keeps_original_and_exports_effective(session: ReviewSession) -> None:
    box = Box.from_corners(10, 20, 110, 220)
    session.edit("f-002", text="mildly enlarged cardiac silhouette", observation=box,
                 labels=[Label("Cardiomegaly", "uncertain")])
    assert session.status("f-002") == "edited"
    eff = session.effective_finding("f-002")
    assert eff.text == "mildly enlarged cardiac silhouette"
    assert eff.observation == box
    assert eff.labels[0].status == "uncertain"
    assert len(eff.clues) == 1  # untouched field kept
    assert session.reading.finding("f-002").text == "enlarged cardiac silhouette"
    # accepting an edited finding keeps the edit
    session.accept("f-002")
    assert session.status("f-002") == "edited"
    # region removed explicitly
    session.edit("f-002", observation=None)
    assert session.effective_finding("f-002").observation is None
    with pytest.raises(ReviewError, match="cannot be empty"):
        session.edit("f-002", text="  ")


def test_add_edit_remove_finding_and_reviewed_findings(session: ReviewSession) -> None:
    fid = session.add_finding("right apical pneumothorax", Box.from_corners(100, 50, 300, 250),
                              labels=[Label("Pneumothorax")])
    assert session.status(fid) == "added"
    assert fid in session.finding_ids and fid not in session.undecided()
    assert session.accept(fid) is None  # already part of the report
    session.edit(fid, observation=Box.from_corners(90, 40, 310, 260))
    assert session.effective_finding(fid).observation == Box.from_corners(90, 40, 310, 260)
    session.accept("f-000")
    session.reject("f-001")
    session.edit("f-002", text="cardiomegaly")
    rf = session.reviewed_findings()
    assert [(r.finding.id, r.status) for r in rf] == [("f-000", "accepted"), ("f-002", "edited"), (fid, "added")]
    assert rf[1].finding.text == "cardiomegaly" and rf[1].original is not None
    assert rf[1].original.text == "enlarged cardiac silhouette"
    allf = session.reviewed_findings(include_rejected=True)
    assert [r.status for r in allf] == ["accepted", "rejected", "edited", "undecided", "added"]
    session.reject(fid)  # rejecting an added finding removes it
    assert fid not in session.finding_ids
    with pytest.raises(ReviewError):
        session.status(fid)


def test_undo_redo_every_kind(session: ReviewSession) -> None:
    assert not session.can_undo and session.undo() is None
    session.accept("f-000")
    session.edit("f-002", text="cardiomegaly")
    fid = session.add_finding("rib fracture", Box.from_corners(1, 2, 3, 4))
    session.set_impression("cardiomegaly")
    assert session.undo_text() == "impression"
    session.undo()
    assert session.review.impression is None
    session.undo()
    assert fid not in session.finding_ids
    session.undo()
    assert session.status("f-002") == "undecided"
    assert session.can_redo
    session.redo()
    assert session.effective_finding("f-002").text == "cardiomegaly"
    session.redo()
    assert session.status(fid) == "added"
    # a new change clears the redo stack
    session.reject("f-003")
    assert not session.can_redo and session.redo() is None
    actions = [e.action for e in session.review.events]
    assert actions == ["accept", "edit", "add", "impression", "undo:impression", "undo:add",
                       "undo:edit", "redo:edit", "redo:add", "reject"]


def test_listeners_called_after_each_change(session: ReviewSession) -> None:
    seen: list[str] = []
    unsubscribe = session.subscribe(lambda ev: seen.append(f"{ev.action}:{ev.finding_id}"))
    session.subscribe(lambda ev: 1 / 0)  # a broken listener does not break the review
    session.accept("f-000")
    session.undo()
    unsubscribe()
    session.accept("f-001")
    assert seen == ["accept:f-000", "undo:accept:f-000"]
    assert session.status("f-001") == "accepted"


def test_read_first_hides_until_own_impression() -> None:
    s = ReviewSession(make_reading(), "Dr Ada", read_first=True)
    assert s.ai_hidden
    with pytest.raises(ReviewError, match="read-first"):
        s.accept("f-000")
    s.set_own_impression("cardiomegaly, no pneumothorax")
    assert not s.ai_hidden
    s.accept("f-000")
    assert s.status("f-000") == "accepted"
    with pytest.raises(ReviewError, match="cannot be cleared"):
        s.set_own_impression("")


def test_sign_refused_while_undecided_then_frozen(session: ReviewSession) -> None:
    session.accept("f-000")
    with pytest.raises(ReviewIncompleteError) as info:
        sign(session)
    assert info.value.undecided == ["f-001", "f-002", "f-003"]
    assert "3 finding(s) still undecided" in str(info.value)
    session.reject("f-001", "not seen")
    session.accept("f-002")
    session.edit("f-003", text="left basal atelectasis")
    session.set_impression("cardiomegaly")
    expected_hash = content_sha256(session.reading)
    signoff = sign(session)
    assert session.is_signed and signoff.reviewer == "Dr Ada"
    assert signoff.content_sha256 == expected_hash and len(expected_hash) == 64
    assert verify_signoff(session.reading)
    with pytest.raises(ReadingSignedError, match="frozen"):
        session.accept("f-000")
    with pytest.raises(ReadingSignedError):
        session.undo()
    assert not session.can_undo
    # the hash changes when the content changes
    tampered = Reading.from_dict(session.reading.to_dict())
    assert tampered.review is not None
    tampered.review.impression = "normal"
    assert not verify_signoff(tampered)


def test_new_version_is_linked_and_starts_from_decisions(session: ReviewSession) -> None:
    with pytest.raises(ReviewError, match="not signed"):
        session.new_version()
    for fid in session.undecided():
        session.accept(fid)
    sign(session)
    v2 = session.new_version()
    assert v2.reading.parent_id == session.reading_id
    assert v2.reading_id != session.reading_id
    assert not v2.is_signed and v2.status("f-000") == "accepted"
    v2.reject("f-000", "second look")
    assert session.status("f-000") == "accepted"  # the signed version is untouched
    assert [e.action for e in v2.review.events] == ["new_version", "reject"]


# -- property: undo everything returns to the start, redo everything returns to the end ----------
from hypothesis import given, settings
from hypothesis import strategies as st

_ACTIONS = st.lists(
    st.tuples(st.sampled_from(["accept", "reject", "edit", "add", "remove", "impression", "reset"]),
              st.integers(min_value=0, max_value=3)),
    min_size=1, max_size=25,
)


@settings(max_examples=80, deadline=None)
@given(_ACTIONS)
def test_undo_all_then_redo_all_round_trips(actions: list[tuple[str, int]]) -> None:
    s = ReviewSession(make_reading(), "Dr Ada")
    start = s.review.to_dict()
    for kind, i in actions:
        fid = f"f-{i:03d}"
        if kind == "accept":
            s.accept(fid)
        elif kind == "reject":
            s.reject(fid, f"r{i}")
        elif kind == "edit":
            s.edit(fid, text=f"text {i}", observation=Box.from_corners(i, i, i + 5, i + 5))
        elif kind == "add":
            s.add_finding(f"added {i}", Box.from_corners(0, 0, i + 1, i + 1))
        elif kind == "remove":
            if s.review.additions:
                s.remove_finding(s.review.additions[i % len(s.review.additions)].id)
        elif kind == "impression":
            s.set_impression(f"impression {i}")
        else:
            s.reset(fid)
    end = s.review.to_dict()
    while s.can_undo:
        s.undo()
    now = s.review.to_dict()
    assert {k: v for k, v in now.items() if k != "events"} == {k: v for k, v in start.items() if k != "events"}
    while s.can_redo:
        s.redo()
    now = s.review.to_dict()
    assert {k: v for k, v in now.items() if k != "events"} == {k: v for k, v in end.items() if k != "events"}
