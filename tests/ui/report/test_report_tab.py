"""The Report tab renders the final report, also for a reading whose sentences or labels are missing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gazex_viewer.core.review.final_report import build_final_report
from gazex_viewer.ui.report.rows import SentenceRow
from tests.conftest import shared_file
from tests.factories import demo_reading, sign
from tests.ui.conftest import Answers
from tests.ui.helpers import NIH, open_review, review_window


def _heads(rp: Any) -> list[str]:
    return [w.text() for w in rp.findChildren(type(rp.header_label)) if w.objectName() == "groupHeader"]


def test_reading_without_sentences_or_labels_lists_every_finding(qtbot: Any, db: Path, answers: Answers) -> None:
    win = review_window(qtbot, answers)
    assert win.open_image(shared_file(NIH))
    reading = demo_reading(win.radiograph)
    reading.sentences = []
    for f in reading.findings:
        f.labels = []
    open_review(win, reading)
    s = win.review_panel.session
    assert s is not None
    rp = win.report_panel
    assert set(rp.ordered_keys()) == {"f-cardio", "f-device", "f-ptx"}
    report = build_final_report(s.reading)
    assert [f.finding_id for f in report.undecided] == ["f-cardio", "f-device", "f-ptx"]
    s.accept("f-cardio")
    s.accept("f-ptx")
    s.reject("f-device", "outside the chest")
    s.set_impression("cardiomegaly")
    sign(s, account="ada")
    heads = _heads(rp)
    # labels derived from the words: "no pneumothorax" is a pertinent negative
    assert "Findings (1)" in heads and "Pertinent negatives (1)" in heads
    assert heads[-1] == "AI draft and decisions (audit trail): rejected (1)"
    assert rp.ordered_keys() == ["f-cardio", "f-ptx", "f-device"]
    assert "Final report, signed by Dr Ada Lovelace (OS account ada) at " in rp.header_label.text()
    row = rp.rows["f-cardio"]
    assert isinstance(row, SentenceRow) and row.text_label.text() == "Enlarged cardiac silhouette."
