"""Measurements saved with the review: events ``measure`` / ``unmeasure``, undo/redo, both stores, signing.

The tests taking ``store_location`` run on a SQLite file and on a real temporary PostgreSQL database (skipped with
the reason where PostgreSQL is absent).
"""

from __future__ import annotations

import copy
import dataclasses
from contextlib import closing

import pytest

from gazex_viewer.core.reading.document import Reading, Review
from gazex_viewer.core.reading.measurements import (
    Measurement,
    Spacing,
    cardiothoracic_ratio,
    ruler,
)
from gazex_viewer.core.reading.validation import validate_reading, validate_reading_dict
from gazex_viewer.core.review.audit_chain import state_problems
from gazex_viewer.core.review.integrity import check_reading
from gazex_viewer.core.review.review_errors import ReadingSignedError, ReviewError
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.store import open_store
from tests.factories import make_reading, sign

SPACING = Spacing(0.2, 0.2, "ImagerPixelSpacing")
SIZE = (1024, 1024)


def _ruler() -> Measurement:
    return ruler((100.0, 100.0), (400.0, 500.0), SPACING, size=SIZE)


def _ctr() -> Measurement:
    return cardiothoracic_ratio(((380.0, 600.0), (700.0, 610.0)), ((150.0, 520.0), (900.0, 520.0)), None, size=SIZE)


def _decided(s: ReviewSession) -> None:
    for fid in s.undecided():
        s.accept(fid)


def test_measure_unmeasure_undo_redo_in_place() -> None:
    s = ReviewSession(make_reading(), "Dr Ada")
    a, b = _ruler(), _ctr()
    ev = s.add_measurement(a)
    assert ev.action == "measure" and ev.finding_id == a.id and ev.after == a.to_dict() and ev.before is None
    s.add_measurement(b)
    assert [m.id for m in s.measurements] == [a.id, b.id]
    ev = s.remove_measurement(a.id)
    assert ev.action == "unmeasure" and ev.before == a.to_dict() and ev.after is None
    assert [m.id for m in s.measurements] == [b.id]
    s.undo()
    assert [m.id for m in s.measurements] == [a.id, b.id]  # back in its place, not at the end
    assert s.measurements[0] == a
    s.redo()
    assert [m.id for m in s.measurements] == [b.id]
    s.undo()
    s.undo()  # the CTR's measure
    assert [m.id for m in s.measurements] == [a.id]
    assert [e.action for e in s.review.events] == [
        "measure", "measure", "unmeasure", "undo:unmeasure", "redo:unmeasure", "undo:unmeasure", "undo:measure"]
    assert state_problems(s.reading) == []
    assert check_reading(s.reading).problems == []


def test_bad_measurements_are_refused_and_nothing_is_recorded() -> None:
    s = ReviewSession(make_reading(width=1024, height=1024), "Dr Ada")
    off = Measurement("m-off", "length", ((10.0, 10.0), (1500.0, 10.0)), SPACING)
    one_pixel = Measurement("m-1x1", "length", ((10.0, 10.0), (11.0, 11.0)), SPACING)
    no_spacing = Measurement("m-nosp", "length", ((10.0, 10.0), (300.0, 10.0)), None)
    swapped = Measurement("m-swap", "ctr", ((100.0, 5.0), (900.0, 5.0), (300.0, 5.0), (600.0, 5.0)), None)
    for m, words in ((off, "outside the 1024x1024 film"), (one_pixel, "shorter than 2 pixels"),
                     (no_spacing, "no pixel spacing"), (swapped, "wider than the thoracic span")):
        with pytest.raises(ReviewError) as err:
            s.add_measurement(m)
        assert words in str(err.value) and "\n" not in str(err.value)
        assert str(err.value).startswith("measurement not saved:")
    good = _ruler()
    s.add_measurement(good)
    with pytest.raises(ReviewError, match="already has a measurement"):
        s.add_measurement(good)
    with pytest.raises(ReviewError, match="no measurement 'm-none'"):
        s.remove_measurement("m-none")
    assert [e.action for e in s.review.events] == ["measure"]
    assert s.measurements == [good]


def test_measurements_survive_reopen_rebuilt_from_the_log(store_location: str) -> None:
    reading = make_reading()
    a, b = _ruler(), _ctr()
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        s.add_measurement(a)
        s.add_measurement(b)
        s.remove_measurement(a.id)
        s.undo()  # a is back
        s.remove_measurement(b.id)
    fresh = Reading.from_dict(reading.to_dict())
    fresh.review = None  # the store's state wins
    with closing(open_store(store_location)) as store:
        s2 = ReviewSession.open(store, fresh, "Dr Ada")
        assert s2.measurements == [a]
        assert s2.integrity_problems == []
        assert [e.action for e in store.events(reading.reading_id)] == [
            "measure", "measure", "unmeasure", "undo:unmeasure", "unmeasure"]
        # the undo stack is rebuilt from the events: the CTR's removal is undone, in its place
        s2.undo()
        assert [m.id for m in s2.measurements] == [a.id, b.id]
        assert s2.measurements[1].ratio == pytest.approx(320 / 750)
    with closing(open_store(store_location)) as store:
        s3 = ReviewSession.open(store, fresh, "Dr Ada")
        assert [m.id for m in s3.measurements] == [a.id, b.id]
        assert s3.integrity_problems == []


def test_a_measurement_changed_outside_the_review_is_found(store_location: str) -> None:
    reading = make_reading()
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        s.add_measurement(_ctr())
    tampered = copy.deepcopy(s.reading)
    assert tampered.review is not None
    m = tampered.review.measurements[0]
    tampered.review.measurements[0] = dataclasses.replace(m, points=((300.0, 600.0), *m.points[1:]))
    problems = state_problems(tampered)
    assert len(problems) == 1 and f"measurement {m.id} does not match its event log" in problems[0]
    with pytest.raises(ReviewError, match="does not match its event log"):
        ReviewSession(tampered, "Dr Ada").add_measurement(_ruler())


def test_signed_content_includes_measurements_and_signing_freezes_them(store_location: str) -> None:
    reading = make_reading()
    with closing(open_store(store_location)) as store:
        s = ReviewSession.open(store, reading, "Dr Ada")
        _decided(s)
        no_measure = s.content_sha256()
        s.add_measurement(_ruler())
        assert s.content_sha256() != no_measure
        sign(s)
        assert s.is_signed
        with pytest.raises(ReadingSignedError):
            s.add_measurement(_ctr())
        with pytest.raises(ReadingSignedError):
            s.remove_measurement(s.measurements[0].id)
        assert len(s.measurements) == 1
        # a measurement changed after signing breaks the signature
        signed = copy.deepcopy(s.reading)
        assert signed.review is not None
        m = signed.review.measurements[0]
        signed.review.measurements[0] = dataclasses.replace(m, points=(m.points[0], (401.0, 500.0)))
        check = check_reading(signed, store)
        assert check.signature.state == "invalid"
        # a new version starts from the signed measurements
        child = s.new_version()
        assert child.measurements == s.measurements and child.integrity_problems == []
        child.remove_measurement(m.id)
        assert child.measurements == []


def test_json_schema_and_old_shape() -> None:
    reading = make_reading()
    s = ReviewSession(reading, "Dr Ada")
    assert "measurements" not in reading.to_dict()["review"]  # no measurements: the old shape (old hashes hold)
    s.add_measurement(_ruler())
    s.add_measurement(_ctr())
    d = reading.to_dict()
    assert [m["kind"] for m in d["review"]["measurements"]] == ["length", "ctr"]
    assert validate_reading_dict(d) == []
    back = Reading.from_dict(d)
    assert back.review is not None and back.review.measurements == s.measurements
    assert validate_reading(back) == []
    # bad documents: a point off the image, a wrong kind, three points
    bad = copy.deepcopy(d)
    bad["review"]["measurements"][0]["points"][1] = [2000.0, 10.0]
    assert any("outside the 1024 x 1024 image" in p for p in validate_reading_dict(bad))
    bad = copy.deepcopy(d)
    bad["review"]["measurements"][0]["kind"] = "area"
    assert validate_reading_dict(bad)
    bad = copy.deepcopy(d)
    bad["review"]["measurements"][1]["points"] = bad["review"]["measurements"][1]["points"][:3]
    assert any("has 4 points, not 3" in p for p in validate_reading_dict(bad))
    assert Review.from_dict({}).measurements == []
