"""Parse and load speed against one frame at 60 fps (16 ms).

Prints, each as a ratio to 16 ms (below 1.0 fits in a frame; the goal is well below):
- parse time of one GazeX grounding answer;
- split + label + parse + assembly of a 50-sentence report with its 50 grounding answers;
- JSON load (parse + schema + consistency validation, and the bare Reading.from_json) of a reading
  with 5,000 trajectory points.
Run: .venv/bin/python benchmarks/bench_parse.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _timing import best_of  # benchmarks/ is on sys.path when run as a script

from gazex_viewer.core.reading.document import Box, Finding, ImageRef, Producer, Reading, Sentence, TrajectoryPoint
from gazex_viewer.core.reading.gazex_protocol import assemble_reading, parse_grounding
from gazex_viewer.core.reading.validation import load_reading

FRAME_S = 0.016
ANSWER = (
    "visual clues : [(128,78)(406,191)(276,134),(162,295)(472,451)(357,377)] "
    "observation : [(163,145)(527,491)(351,333)]"
)
SENTENCES = [
    "support apparatus .", "no pneumothorax .", "enlarged cardiac silhouette .", "cannot exclude small left effusion .",
    "patchy opacity at the right base may represent atelectasis or pneumonia .",
]




def big_reading(points: int = 5000) -> Reading:
    findings = [Finding(f"f-{i}", f"s-{i}", "x", observation=Box.from_corners(1, 2, 300, 400)) for i in range(50)]
    return Reading(
        image=ImageRef("big.png", 2544, 3056, "0" * 64),
        producer=Producer("expert", "bench"),
        sentences=[Sentence(f"s-{i}", "x") for i in range(50)],
        findings=findings,
        trajectory=[TrajectoryPoint(100.5 + i % 2000, 200.25, i * 0.3, i * 0.3 + 0.25, f"f-{i % 50}", "fixation")
                    for i in range(points)],
    )


def main() -> None:
    image = ImageRef("x.png", 2544, 3056, "0" * 64)
    report = " ".join(SENTENCES[i % len(SENTENCES)] for i in range(50))
    answers = [ANSWER] * 50
    one = best_of(lambda: parse_grounding(ANSWER, width=2544, height=3056), 200)
    whole = best_of(lambda: assemble_reading(image=image, producer=Producer("model", "b"),
                                             report_text=report, grounding_answers=answers), 20)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.json"
        big_reading().save(path)
        text = path.read_text()
        load = best_of(lambda: load_reading(path), 5)
        bare = best_of(lambda: Reading.from_json(text), 5)
    print(f"reference: one frame at 60 fps = {FRAME_S * 1000:.0f} ms")
    for name, t in [
        ("parse one grounding answer", one),
        ("50-sentence report: split + label + parse 50 answers + trajectory", whole),
        ("load_reading, 5,000 trajectory points (JSON + schema + consistency)", load),
        ("Reading.from_json, 5,000 trajectory points (no validation)", bare),
    ]:
        print(f"{name:72s} {t * 1000:9.3f} ms  = {t / FRAME_S:7.4f} x 16 ms")


if __name__ == "__main__":
    main()
