"""The GazeX protocol over the text-generation interface, driven by a scripted generator (no torch).

The generator answers like a model would (special tokens, garbage, an exception on one prompt), so these tests pin
what the protocol does with such text: strip, flag, retry prompt by prompt, and never lose the reading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.core.reading.document import ImageRef
from gazex_viewer.core.reading.gazex_prompts import PROMPT_PRESETS
from gazex_viewer.inference.api import CheckpointInfo, GenerationSettings
from gazex_viewer.inference.backend import JobCancelled, JobControl
from gazex_viewer.inference.protocol import (
    ModelDescription,
    ask_question,
    film_size_warning,
    ground_sentences,
    run_reading,
)

ANSWER = "visual clues : [(10,10)(20,20)(15,15),(30,30)(40,40)(35,35)] observation : [(5,5)(50,50)(25,25)]"


class ScriptedGenerator:
    """A text generator that answers from a script: report text, and a grounding answer per sentence."""

    def __init__(self, report: str, *, fail_on: str | None = None, batch_fails: bool = False) -> None:
        self.report = report
        self.fail_on = fail_on
        self.batch_fails = batch_fails
        self.prompts: list[str] = []
        self.batches: list[int] = []
        info = CheckpointInfo(model_dir=Path("/nowhere"), model_type="qwen2_vl", weight_files=[])
        self.desc = ModelDescription(
            info=info, name="scripted", checkpoint_sha256="0" * 64, adapter_sha256=None,
            backend="scripted", device="cpu", dtype="float32",
            generation_warnings=["the checkpoint's generation_config.json sets repetition_penalty=1.05; (overridden)"],
        )

    def describe(self) -> ModelDescription:
        return self.desc

    def generate(self, image: Any, prompt: str, settings: GenerationSettings, control: JobControl, **kw: Any
                 ) -> tuple[str, dict[str, float]]:
        self.prompts.append(prompt)
        control.text(self.report)
        return self.report, {"report_tokens": 10.0}

    def generate_batch(self, image: Any, prompts: list[str], settings: GenerationSettings, control: JobControl,
                       **kw: Any) -> tuple[list[str], dict[str, float]]:
        self.batches.append(len(prompts))
        self.prompts.extend(prompts)
        if self.batch_fails and len(prompts) > 1:
            raise ValueError("Found 1 <|video_pad|> tokens in the text but no videos were passed")
        for p in prompts:
            if self.fail_on and self.fail_on in p:
                raise RuntimeError("Image features and image tokens do not match:\n tokens: 16, features 20")
        return [ANSWER] * len(prompts), {"grounding_tokens": 5.0 * len(prompts)}


FILM = ImageRef(file_name="film.png", width=2544, height=3056, pixel_sha256="a" * 64)
PICTURE = np.full((300, 250), 128, dtype=np.uint8)


def test_reading_with_special_tokens_and_garbage() -> None:
    gen = ScriptedGenerator("enlarged <|video_pad|>heart . ))((12,,(3 . no pneumothorax .<|im_end|>")
    reading = run_reading(gen, PICTURE, FILM, GenerationSettings(), JobControl(1))
    assert [s.text for s in reading.sentences] == ["enlarged heart .", "))((12,,(3 .", "no pneumothorax ."]
    # no special token and no unreadable sentence ever reaches a grounding prompt
    grounding_prompts = gen.prompts[1:]
    assert len(grounding_prompts) == 2 and all("<|" not in p for p in grounding_prompts)
    assert "'enlarged heart .'" in grounding_prompts[0] and "'no pneumothorax .'" in grounding_prompts[1]
    junk = reading.findings[1]
    assert junk.unreadable and junk.labels == [] and junk.observation is None
    assert reading.findings[0].observation is not None and len(reading.findings[0].clues) == 2
    # the prompts sent are the training preset, recorded; the checkpoint's own penalty is a recorded warning
    assert gen.prompts[0] == PROMPT_PRESETS["training"].report
    assert reading.producer.prompts["preset"] == "training"
    assert any("repetition_penalty=1.05" in w for w in reading.warnings)
    assert reading.producer.generation["effective"]["repetition_penalty"] == 1.0


def test_a_failing_batch_is_retried_prompt_by_prompt_and_one_failure_stays_on_its_finding() -> None:
    gen = ScriptedGenerator("heart is big . ribs intact . heart size normal . no effusion .", fail_on="'heart size normal .'",
                            batch_fails=True)
    reading = run_reading(gen, PICTURE, FILM, GenerationSettings(), JobControl(1))
    assert gen.batches[0] == 4 and gen.batches[1:] == [1, 1, 1, 1]
    by_text = {f.text: f for f in reading.findings}
    bad = by_text["heart size normal ."]
    assert bad.observation is None
    assert bad.warnings[-1] == (
        "grounding failed: Image features and image tokens do not match: tokens: 16, features 20"
    )
    assert by_text["no effusion ."].observation is not None and by_text["ribs intact ."].observation is not None


def test_generation_errors_are_one_plain_line() -> None:
    class Broken(ScriptedGenerator):
        def generate(self, *a: Any, **kw: Any) -> tuple[str, dict[str, float]]:
            raise ValueError("Found 1 <|video_pad|> tokens in the text\nbut no videos were passed")

    with pytest.raises(InferenceError) as err:
        run_reading(Broken("x"), PICTURE, FILM, GenerationSettings(), JobControl(1))
    msg = str(err.value)
    assert msg == "film.png: generation failed: Found 1 <|video_pad|> tokens in the text but no videos were passed"
    assert "ValueError" not in msg and "\n" not in msg


def test_cancel_is_not_an_error() -> None:
    control = JobControl(1)
    control.cancel_event.set()
    with pytest.raises(JobCancelled):
        run_reading(ScriptedGenerator("a ."), PICTURE, FILM, GenerationSettings(), control)


def test_small_film_warning() -> None:
    small = ImageRef(file_name="s.png", width=512, height=512, pixel_sha256="b" * 64)
    w = film_size_warning(small, "downscale4")
    assert w is not None and w.startswith("the film is 512 x 512 px, much smaller than GazeX's training films")
    assert film_size_warning(FILM, "downscale4") is None
    assert film_size_warning(small, "qwen2vl_1000") is None  # a frame relative to the film is not affected
    reading = run_reading(ScriptedGenerator("no effusion ."), PICTURE, small, GenerationSettings(), JobControl(1))
    assert reading.warnings[0] == w


def test_ground_any_sentence_and_ask_a_question() -> None:
    gen = ScriptedGenerator("there is a small left pneumothorax . no effusion .")
    found = ground_sentences(gen, PICTURE, FILM, ["Minimal left basal <|image_pad|>atelectasis."], GenerationSettings(),
                             JobControl(1))
    assert len(found) == 1 and found[0].observation is not None and found[0].labels == []
    assert "'Minimal left basal atelectasis.'" in gen.prompts[-1]
    q = ask_question(gen, PICTURE, FILM, "Is there a pneumothorax? Where?", GenerationSettings(), JobControl(2))
    assert q.kind == "question" and q.prompt == "Is there a pneumothorax? Where?"
    assert [f.text for f in q.findings] == ["there is a small left pneumothorax .", "no effusion ."]
    assert all(f.observation is not None for f in q.findings)
    assert q.producer["prompts"]["preset"] == "training"
    with pytest.raises(InferenceError, match="the question is empty"):
        ask_question(gen, PICTURE, FILM, " <|im_end|> ", GenerationSettings(), JobControl(3))
