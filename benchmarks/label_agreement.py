"""Agreement of the rule-based CheXpert labeller with the hand labels of real Open-i sentences.

Prints the dev split (170 sentences the rules were written against) and the held-out split
(80 sentences labelled afterwards, never used for tuning), and with ``--disagreements`` every
held-out sentence where the labeller and the hand labels differ. The fixture and its provenance:
``tests/fixtures/labelled_sentences.csv`` and ``tests/fixtures/README.md``.

    .venv/bin/python benchmarks/label_agreement.py [--disagreements]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from gazex_viewer.core.reading.labels import LabelAgreement, label_agreement, label_sentence, parse_label_string

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "labelled_sentences.csv"


def _rows() -> list[dict[str, str]]:
    with FIXTURE.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def split_agreement(split: str) -> tuple[LabelAgreement, list[tuple[str, dict[str, str], dict[str, str]]]]:
    """Agreement on one split of the fixture, and its disagreeing (sentence, predicted, reference) rows."""
    rows = [r for r in _rows() if r["split"] == split]
    predicted = [{lab.observation: lab.status for lab in label_sentence(r["sentence"])} for r in rows]
    reference = [parse_label_string(r["labels"]) for r in rows]
    wrong = [(r["sentence"], p, ref) for r, p, ref in zip(rows, predicted, reference) if p != ref]
    return label_agreement(predicted, reference), wrong


def main() -> int:
    """Print dev and held-out agreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--disagreements", action="store_true", help="list the held-out sentences that disagree")
    args = parser.parse_args()
    for split in ("dev", "heldout"):
        agreement, wrong = split_agreement(split)
        print(f"{split:8s} {agreement.summary()}")
        if args.disagreements and split == "heldout":
            for sentence, pred, ref in wrong:
                print(f"  {sentence!r}\n    rules: {pred}\n    hand:  {ref}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
