"""The Reading document: exact JSON round trip (examples and hypothesis), the bundled sample reading."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from gazex_viewer.core.reading.document import (
    CHEXPERT_OBSERVATIONS,
    SCHEMA_VERSION,
    Box,
    Decision,
    Finding,
    ImageRef,
    Label,
    Producer,
    Reading,
    Review,
    ReviewEvent,
    Sentence,
    SignOff,
    TrajectoryPoint,
)
from gazex_viewer.core.reading.validation import load_reading, validate_reading

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "examples" / "sample_reading.json"
SAMPLE_PNG = ROOT / "resources" / "sample_study" / "00000001_000.png"


def test_sample_reading_is_valid_and_matches_its_image() -> None:
    reading = load_reading(SAMPLE)
    assert reading.schema_version == SCHEMA_VERSION
    assert reading.producer.kind == "model" and reading.producer.name == "example (hand-written, not model output)"
    assert (reading.image.width, reading.image.height) == (512, 512)
    pixels = np.asarray(Image.open(SAMPLE_PNG).convert("L"))
    assert reading.image.pixel_sha256 == hashlib.sha256(pixels.tobytes()).hexdigest()
    assert reading.image.pixel_sha256 == "fdc4ee87b712cfcd6342c64ba774a49efa12033cd278a0c30bc99da3bc750a18"
    assert [f.text for f in reading.findings] == [
        "enlarged cardiac silhouette .", "no pneumothorax .", "lungs are clear .", "no pleural effusion ."
    ]
    assert [f.is_pertinent_negative for f in reading.findings] == [False, True, True, True]
    assert reading.findings[0].labels == [Label("Cardiomegaly", "positive")]
    assert len(reading.trajectory) == 12 and reading.duration == 12.0
    # the heart box lies on the heart: the middle of the film, lower half of the chest
    heart = reading.findings[0].observation
    assert heart is not None and 150 < heart.centroid_x < 350 and 200 < heart.centroid_y < 320
    assert json.loads(reading.to_json()) == json.loads(SAMPLE.read_text())


def _full_reading() -> Reading:
    box = Box(1.5, 2.25, 100.0, 200.0, 50.125, 60.0)
    f = Finding("f-1", "s-1", "no pneumothorax .", [Label("Pneumothorax", "negative")], box, [box], "raw", ["w"])
    added = Finding("f-9", "", "small left effusion", [Label("Pleural Effusion", "positive")])
    review = Review(
        reviewer="dr-a",
        decisions=[Decision("f-1", "edited", "wording", f)],
        additions=[added],
        impression="Normal.",
        own_impression="normal",
        events=[ReviewEvent("e-1", "2025-01-01T00:00:00Z", "dr-a", "edit", "f-1", {"a": 1}, ["b"])],
        signoff=SignOff("dr-a", "2025-01-01T00:01:00Z", "a" * 64),
    )
    return Reading(
        image=ImageRef("x.dcm", 512, 400, "b" * 64, "1.2.3", "1.2", "1.2.3.4", "1.2.840.10008.5.1.4.1.1.1.1", 1),
        producer=Producer("model", "tiny", "c" * 64, None, "transformers", "cpu", "float32", "downscale4",
                          {"report": "p"}, {"temperature": 1.0, "top_p": 0.9}, {"report_s": 1.25}),
        sentences=[Sentence("s-1", "no pneumothorax .")],
        findings=[f],
        trajectory=[TrajectoryPoint(50.125, 60.0, 0.0, 1.0, "f-1", "observation"), TrajectoryPoint(1, 2, 1.0, 1.5, "f-9", "fixation", 0.5)],
        review=review,
        raw_report="no pneumothorax .",
        warnings=["x"],
        parent_id="r-0",
    )


def test_full_reading_round_trips_exactly_and_validates() -> None:
    r = _full_reading()
    assert validate_reading(r) == []
    text = r.to_json()
    back = Reading.from_json(text)
    assert back == r
    assert back.to_json() == text
    assert back.finding("f-9").text == "small left effusion"


FINITE = st.floats(0, 512, allow_nan=False, allow_infinity=False)
TEXT = st.text(max_size=30)


@st.composite
def readings(draw: st.DrawFn) -> Reading:
    n = draw(st.integers(0, 5))
    sentences = [Sentence(f"s-{i}", draw(TEXT)) for i in range(n)]
    findings = []
    for i in range(n):
        xs = sorted([draw(FINITE), draw(FINITE)])
        ys = sorted([draw(FINITE), draw(FINITE)])
        box = Box(xs[0], ys[0], xs[1], ys[1], draw(FINITE), draw(FINITE))
        labels = [Label(o, draw(st.sampled_from(["positive", "negative", "uncertain"])))
                  for o in draw(st.sets(st.sampled_from(CHEXPERT_OBSERVATIONS), max_size=3))]
        findings.append(Finding(f"f-{i}", f"s-{i}", draw(TEXT), labels, draw(st.none() | st.just(box)),
                                [box] * draw(st.integers(0, 2)), draw(st.none() | TEXT), draw(st.lists(TEXT, max_size=2))))
    times = sorted(draw(st.lists(st.floats(0, 1e4, allow_nan=False), max_size=20)))
    traj = [TrajectoryPoint(draw(FINITE), draw(FINITE), t, t + draw(st.floats(0, 5)),
                            draw(st.sampled_from([None] + [f.id for f in findings])),
                            draw(st.sampled_from(["clue", "observation", "fixation"]))) for t in times]
    return Reading(
        image=ImageRef(draw(TEXT.filter(bool)), 512, 512, "d" * 64),
        producer=Producer(draw(st.sampled_from(["model", "expert", "radiologist", "trainee"])), draw(TEXT.filter(bool))),
        sentences=sentences, findings=findings, trajectory=traj, raw_report=draw(st.none() | TEXT),
    )


@settings(max_examples=150, deadline=None)
@given(readings())
def test_random_readings_round_trip_and_validate(reading: Reading) -> None:
    text = reading.to_json()
    back = Reading.from_json(text)
    assert back == reading
    assert back.to_json() == text
    assert validate_reading(back) == []
