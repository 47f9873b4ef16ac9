"""Trainee mode, headless: the recorder of marks and sentences, the trainee's reading, its score and the rows shown."""

from __future__ import annotations

import math

import pytest

from gazex_viewer.core.gaze.trainee import (
    CLICK_RADIUS_FRACTION,
    Click,
    TraineeRecorder,
    TraineeScore,
    score_rows,
    score_trainee,
    trainee_reading,
)
from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Label,
    Producer,
    Reading,
    Sentence,
)
from gazex_viewer.core.reading.validation import validate_reading

IMAGE = ImageRef("film.png", 1500, 3000, "ab" * 32)


def test_trainee_reading_from_clicks_and_sentences() -> None:
    r = trainee_reading(
        [Click(700, 1500, 2.0, 0), (300, 600, 0.5, 1), (350, 650, 1.0, 1), (1200, 2900, 4.0)],
        ["heart is enlarged .", "right apical pneumothorax ."],
        IMAGE,
        trainee="dr trainee",
    )
    assert r.producer.kind == "trainee" and r.producer.reader_id == "dr trainee"
    assert [s.text for s in r.sentences] == ["heart is enlarged .", "right apical pneumothorax ."]
    f0, f1 = r.findings
    rad = CLICK_RADIUS_FRACTION * 3000  # 100 px
    assert f0.clues == []  # one click: observation only
    assert f0.observation == Box(600, 1400, 800, 1600, 700, 1500)
    assert [(c.centroid_x, c.centroid_y) for c in f1.clues] == [(300, 600), (350, 650)]
    assert f1.observation == Box(300 - rad, 600 - rad, 350 + rad, 650 + rad, 325, 625)
    # trajectory in click-time order, each lasting until the next click, the last 1 s
    assert [(p.x, p.t_start, p.t_end) for p in r.trajectory] == [(300, 0.5, 1.0), (350, 1.0, 2.0), (700, 2.0, 4.0), (1200, 4.0, 5.0)]
    assert [p.finding_id for p in r.trajectory] == [f1.id, f1.id, f0.id, None]
    assert all(p.kind == "fixation" for p in r.trajectory)
    assert validate_reading(r) == []
    edge = trainee_reading([Click(10, 20, 0.0, 0)], ["a ."], IMAGE).findings[0].observation
    assert edge == Box(0, 0, 110, 120, 10, 20)  # clipped to the image


def test_trainee_reading_rejects_bad_clicks() -> None:
    with pytest.raises(ValueError, match="sentence index 3"):
        trainee_reading([Click(1, 1, 0, 3)], ["a ."], IMAGE)
    with pytest.raises(ValueError, match="outside the image"):
        trainee_reading([Click(1600, 1, 0)], ["a ."], IMAGE)
    with pytest.raises(ValueError, match="non-finite"):
        trainee_reading([Click(float("nan"), 1, 0)], ["a ."], IMAGE)


def _reference() -> Reading:
    r = Reading(image=IMAGE, producer=Producer(kind="expert", name="REFLACX", dataset="REFLACX"))
    r.sentences = [Sentence("s0", "enlarged cardiac silhouette ."), Sentence("s1", "left effusion .")]
    r.findings = [
        Finding("f0", "s0", "enlarged cardiac silhouette .", labels=[Label("Cardiomegaly")],
                observation=Box.from_corners(500, 1300, 900, 1800)),
        Finding("f1", "s1", "left effusion .", labels=[Label("Pleural Effusion")],
                clues=[Box.from_corners(1000, 2200, 1300, 2600), Box.from_corners(1100, 2600, 1400, 2900)],
                observation=Box.from_corners(1000, 2200, 1400, 2900)),
    ]
    return r


def test_score_trainee_against_reference() -> None:
    trainee = trainee_reading(
        [Click(700, 1500, 0.0, 0), Click(1200, 2400, 1.0, 1), Click(100, 100, 2.0, 1)],
        ["heart is enlarged .", "pneumothorax ."],
        IMAGE,
    )
    trainee.findings[0].labels = [Label("Cardiomegaly")]
    trainee.findings[1].labels = [Label("Pneumothorax")]
    s = score_trainee(trainee, _reference())
    # reference regions: f0's observation, f1's two clues; the trainee hit the first two
    assert s.regions_found == pytest.approx(2 / 3)
    assert s.clicks_on_target == pytest.approx(2 / 3)  # the click at (100, 100) hits nothing
    assert (s.findings_agreed, s.findings_missed, s.findings_extra) == (["Cardiomegaly"], ["Pleural Effusion"], ["Pneumothorax"])
    assert s.finding_recall == pytest.approx(0.5) and s.finding_precision == pytest.approx(0.5)
    assert set(s.agreement) >= {"cc", "density_cosine", "edit_similarity", "icc_x", "zone_jaccard"}
    empty = score_trainee(trainee_reading([], ["nothing ."], IMAGE), _reference())
    assert math.isnan(empty.regions_found) and math.isnan(empty.finding_precision)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_recorder_sentence_removal_moves_marks() -> None:
    clock = FakeClock()
    rec = TraineeRecorder(clock=clock)
    rec.start()
    clock.now = 101.0
    rec.add_click(10, 10)
    rec.add_sentence("first .")
    rec.add_click(20, 20)
    rec.add_sentence("second .")
    rec.active = 0
    rec.add_click(30, 30)
    assert [c.sentence for c in rec.clicks] == [0, 1, 0]
    rec.remove_sentence(0)
    assert rec.sentences == ["second ."]
    assert [c.sentence for c in rec.clicks] == [None, 0, None]
    assert rec.clicks == [Click(10, 10, 1.0, None), Click(20, 20, 1.0, 0), Click(30, 30, 1.0, None)]


def test_recorder_times_marks_from_the_start_and_builds_the_reading() -> None:
    clock = FakeClock()
    rec = TraineeRecorder(clock=clock)
    rec.add_click(5, 5)
    rec.add_sentence("stale .")
    clock.now = 200.0
    rec.start()  # forgets everything and restarts the clock
    assert rec.clicks == [] and rec.sentences == [] and rec.active is None and rec.elapsed() == 0.0
    clock.now = 201.5
    assert rec.add_click(700, 1500) == Click(700.0, 1500.0, 1.5, None)
    clock.now = 203.0
    rec.add_click(1200, 2400)
    assert rec.undo_click() == Click(1200.0, 2400.0, 3.0, None) and rec.marks_of(None) == [Click(700.0, 1500.0, 1.5, None)]
    with pytest.raises(ValueError, match="empty sentence"):
        rec.add_sentence("   ")
    assert rec.add_sentence("  heart   is enlarged . ") == 0
    assert rec.sentences == ["heart is enlarged ."] and rec.marks_of(0) == [Click(700.0, 1500.0, 1.5, 0)]
    assert rec.undo_click() is not None and rec.undo_click() is None
    rec.add_click(700, 1500)
    rec.remove_sentence(5)  # no such sentence: nothing changes
    r = rec.reading(IMAGE, trainee="dr t")
    assert r.producer.kind == "trainee" and r.producer.reader_id == "dr t"
    assert [s.text for s in r.sentences] == ["heart is enlarged ."] and len(r.trajectory) == 1
    clock.now = 150.0  # a clock that went backwards never gives a negative time
    assert rec.elapsed() == 0.0


def test_score_rows_read_as_percentages_numbers_and_lists() -> None:
    score = TraineeScore(
        agreement={"cc": 0.12345, "density_cosine": float("nan"), "zone_jaccard": 0.5},
        regions_found=2 / 3,
        clicks_on_target=1.0,
        findings_agreed=["Cardiomegaly", "Edema"],
        findings_missed=["Pleural Effusion"],
    )
    rows = score_rows(score)
    assert [name for name, _v, _tip in rows] == [
        "Regions found", "Marks on target", "Finding recall", "Finding precision", "Agreed", "Missed", "Extra",
        "Gaze map CC", "Density cosine", "Scanpath similarity", "Position (MultiMatch)", "Zones both visited",
    ]
    shown = {name: value for name, value, _tip in rows}
    assert shown["Regions found"] == "67 %" and shown["Marks on target"] == "100 %"
    assert shown["Finding recall"] == "67 %" and shown["Finding precision"] == "100 %"
    assert shown["Agreed"] == "Cardiomegaly, Edema" and shown["Missed"] == "Pleural Effusion" and shown["Extra"] == "—"
    assert shown["Gaze map CC"] == "0.123" and shown["Zones both visited"] == "0.500"
    assert shown["Density cosine"] == "—" and shown["Scanpath similarity"] == "—"  # nan and absent alike
    assert all(tip for _n, _v, tip in rows)
    blank = {name: value for name, value, _tip in score_rows(TraineeScore())}
    assert blank["Regions found"] == "—" and blank["Finding recall"] == "—" and blank["Agreed"] == "—"
