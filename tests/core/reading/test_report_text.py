"""Sentence splitting on GazeX answers, tricky prose, and the 3,955 real Open-i reports."""

from __future__ import annotations

import re
import tarfile
import xml.etree.ElementTree as ET
from functools import lru_cache

import pytest

from gazex_viewer.core.reading.report_text import normalise_sentence, split_sentence_spans, split_sentences
from tests.conftest import shared_file


def test_gazex_style_answer() -> None:
    text = "support apparatus . no pneumothorax . enlarged cardiac silhouette ."
    assert split_sentences(text) == ["support apparatus .", "no pneumothorax .", "enlarged cardiac silhouette ."]


def test_gazex_style_keeps_decimals() -> None:
    assert split_sentences("a 2.5 cm nodule in the right upper lobe . no effusion .") == [
        "a 2.5 cm nodule in the right upper lobe .",
        "no effusion .",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nodule measures 2.5 cm. No effusion.", ["Nodule measures 2.5 cm.", "No effusion."]),
        ("1. Stable 2.5 cm nodule. 2. No effusion.", ["1. Stable 2.5 cm nodule.", "2. No effusion."]),
        ("Discussed with Dr. Smith at 3 p.m. on the phone. No change.", ["Discussed with Dr. Smith at 3 p.m. on the phone.", "No change."]),
        ("Findings, e.g. small effusions, are stable. Heart normal.", ["Findings, e.g. small effusions, are stable.", "Heart normal."]),
        ("1. Low lung volumes 2. Exam limited by motion.", ["1. Low lung volumes", "2. Exam limited by motion."]),
        ("Lungs are clear. .", ["Lungs are clear. ."]),
        ("No acute abnormality..", ["No acute abnormality.."]),
        ("Vascularity normal.Calcified implants.", ["Vascularity normal.", "Calcified implants."]),
        ("Is this new? Recommend CT!", ["Is this new?", "Recommend CT!"]),
        ("Heart normal\n\nLungs clear", ["Heart normal", "Lungs clear"]),
        ("no trailing period", ["no trailing period"]),
        ("", []),
        ("   ", []),
        (". .", [". ."]),
    ],
)
def test_prose_cases(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_normalise_sentence() -> None:
    assert normalise_sentence("2. No effusion. .") == "No effusion"
    assert normalise_sentence("no  pneumothorax .") == "no pneumothorax"


@lru_cache(maxsize=1)
def _openi_sections() -> list[str]:
    path = shared_file("reports/NLMCXR_reports.tgz")
    texts: list[str] = []
    reports = 0
    with tarfile.open(path) as tf:
        for member in tf:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            reports += 1
            root = ET.fromstring(tf.extractfile(member).read())  # type: ignore[union-attr]
            for node in root.iter("AbstractText"):
                if node.get("Label") in ("FINDINGS", "IMPRESSION") and node.text:
                    texts.append(node.text)
    assert reports == 3955
    return texts


def test_openi_reports_nothing_lost_no_empty_sentences() -> None:
    texts = _openi_sections()
    assert len(texts) == 7346  # FINDINGS + IMPRESSION sections with text
    total = 0
    for text in texts:
        spans = split_sentence_spans(text)
        assert spans, text
        prev = 0
        for s, e in spans:
            assert s < e
            assert text[prev:s].strip() == "", (text, text[prev:s])  # only white space between sentences
            piece = text[s:e]
            assert piece == piece.strip() and re.search(r"[0-9A-Za-z]", piece), (text, piece)
            prev = e
        assert text[prev:].strip() == ""
        joined = " ".join(text[s:e] for s, e in spans)
        assert "".join(joined.split()) == "".join(text.split())  # the joined sentences give back the text
        total += len(spans)
    # regression figure of this splitter on the real corpus (decimals, lists and "Dr." not broken)
    assert total == 22848


def test_openi_no_sentence_is_a_bare_list_number_or_broken_decimal() -> None:
    decimals = 0
    for text in _openi_sections():
        spans = split_sentence_spans(text)

        def inside(i: int, spans: list[tuple[int, int]] = spans) -> bool:
            return any(s <= i and i + 3 <= e for s, e in spans)

        for m in re.finditer(r"\d\.\d", text):
            decimals += 1
            assert inside(m.start()), (text, m.group())
        for s, e in spans:
            sentence = text[s:e]
            assert not re.fullmatch(r"\(?\d{1,2}[.)]", sentence), (text, sentence)
            assert not sentence.endswith(("Dr.", "a.m.", "e.g.")), sentence
    assert decimals > 50


def test_openi_known_reports_sentence_counts() -> None:
    texts = _openi_sections()
    by_text = {t: len(split_sentences(t)) for t in texts}
    first = (
        "The cardiac silhouette and mediastinum size are within normal limits. There is no pulmonary edema. "
        "There is no focal consolidation. There are no XXXX of a pleural effusion. There is no evidence of pneumothorax."
    )
    assert by_text[first] == 5
    listed = (
        "1. Mild stable cardiomegaly and central vascular congestion. 2. Low lung volumes with elevated left hemidiaphragm "
        "and basilar subsegmental atelectasis. 3. Extensive bilateral shoulder degenerative changes with subluxation/dislocation "
        "left shoulder, possibly chronic. Suggest clinical correlation."
    )
    assert by_text[listed] == 4
    decimals = [t for t in texts if "measuring 2.2 x 1.6 cm. Recommend" in t]
    assert decimals and split_sentences(decimals[0])[0] == "Lingular nodule measuring 2.2 x 1.6 cm."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a number at the end of a sentence is not the next sentence's list number
        (
            "A minimally displaced fracture is present on right rib 4. The small amount of pleural fluid is XXXX deep to the fracture.",
            ["A minimally displaced fracture is present on right rib 4.", "The small amount of pleural fluid is XXXX deep to the fracture."],
        ),
        ("Healing fractures of the right ribs 5 and 6. No pneumothorax.", ["Healing fractures of the right ribs 5 and 6.", "No pneumothorax."]),
        # inline items still split when the item before was numbered N-1, or after a short heading / colon
        ("1. Low lung volumes 2. Lungs clear 3. Heart normal", ["1. Low lung volumes", "2. Lungs clear", "3. Heart normal"]),
        ("Chest 1. No acute findings. Hand 1. Fracture. 2. Lucency.", ["Chest", "1. No acute findings.", "Hand", "1. Fracture.", "2. Lucency."]),
        ("Right shoulder: 1. No acute bony abnormality", ["Right shoulder:", "1. No acute bony abnormality"]),
    ],
)
def test_trailing_number_is_not_a_list_item(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_openi_rib_report_keeps_its_rib_number() -> None:
    texts = [t for t in _openi_sections() if "present on right rib 4." in t]
    assert len(texts) == 1
    sentences = split_sentences(texts[0])
    assert sentences[1:3] == [
        "A minimally displaced fracture is present on right rib 4.",
        "The small amount of pleural fluid is XXXX deep to the fracture.",
    ]
    assert len(sentences) == 11


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Opacity in the RLL, ? pneumonia.", ["Opacity in the RLL, ? pneumonia."]),
        ("Opacity (? infection) right base. No effusion.", ["Opacity (? infection) right base.", "No effusion."]),
        ("Is this new? Recommend CT!", ["Is this new?", "Recommend CT!"]),
    ],
)
def test_hedging_question_mark_does_not_end_the_sentence(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected
