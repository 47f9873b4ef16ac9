"""Prompt presets, sidecar prompt overrides and model-output hygiene (core.gazex_prompts)."""

from __future__ import annotations

import pytest

from gazex_viewer.core.reading.document import ImageRef, Producer
from gazex_viewer.core.reading.gazex_prompts import (
    DEFAULT_PRESET,
    PROMPT_PRESETS,
    PromptError,
    is_unreadable,
    prompt_set_from_sidecar,
    readability,
    strip_special_tokens,
)
from gazex_viewer.core.reading.gazex_protocol import assemble_reading, parse_grounding

# Create_Training_Data.py:255 (variant A) as quoted in NOTES-gazex-fidelity.md 1c, with S = 'no pneumothorax .'
VARIANT_A = (
    "Given an X-ray image and a radiologist's description 'no pneumothorax .', mimic a radiologist's interpretation "
    "pattern to identify visual clues and an overall observation area. Analyze the image to detect relevant features "
    "(e.g., abnormal opacities, fractures, lesions, or other radiological findings) that correspond to the provided "
    "description. Output as much visual clues to support your observation and generate only one observation area in "
    "the format of bounding boxes and centroids, using the structure: 'visual clues: [(xmin1, ymin1)(xmax1, ymax1)"
    "(centroidx1, centroidy1), (xmin2, ymin2)(xmax2, ymax2)(centroidx2, centroidy2), ...], observation: [(xmin, ymin)"
    "(xmax, ymax)(centroidx, centroidy)]'."
)


def test_training_preset_is_the_default_and_matches_the_training_script() -> None:
    assert DEFAULT_PRESET == "training"
    p = PROMPT_PRESETS["training"]
    assert p.report == (
        " Given an X-ray image, using the radiologist's interpretation pattern, generate a detailed description or "
        "diagnosis for the image."
    )
    assert p.grounding_for("no pneumothorax .") == VARIANT_A
    # variant B (observation-only targets) differs by one phrase
    b = p.grounding_observation_only.replace("{sentence}", "no pneumothorax .")
    assert b == VARIANT_A.replace(
        "Output as much visual clues to support your observation and generate only one observation area",
        "Output visual clues and observation area",
    )


def test_inference_json_preset_keeps_the_published_wording() -> None:
    p = PROMPT_PRESETS["inference-json"]
    assert p.report == (
        "Given an X-ray image, mimic a radiologist's eye-tracking pattern and generate a description of the image."
    )
    assert "Output clues to support your observation" in p.grounding
    assert p.record() == {"preset": "inference-json", "report": p.report, "grounding": p.grounding}


def test_sidecar_chooses_a_preset_or_gives_its_own_prompts() -> None:
    assert prompt_set_from_sidecar({}) is PROMPT_PRESETS["training"]
    assert prompt_set_from_sidecar({"prompt_preset": "inference-json"}) is PROMPT_PRESETS["inference-json"]
    own = prompt_set_from_sidecar({"prompts": {"grounding": "Where is '{sentence}'? Answer with boxes."}})
    assert own.preset == "custom"
    assert own.report == PROMPT_PRESETS["training"].report
    assert own.grounding_for("no effusion .") == "Where is 'no effusion .'? Answer with boxes."


@pytest.mark.parametrize(
    ("sidecar", "message"),
    [
        ({"prompt_preset": "fancy"}, "unknown prompt_preset 'fancy'"),
        ({"prompts": {"grounding": "Where is the finding?"}}, "{sentence} slot exactly once (found 0)"),
        ({"prompts": {"grounding": "{sentence} and {sentence}"}}, "exactly once (found 2)"),
        ({"prompts": {"report": "Describe {sentence}"}}, "must not hold the {sentence} slot"),
        ({"prompts": {"report": ""}}, "non-empty string"),
        ({"prompts": {"reprot": "x"}}, "unknown prompt key(s) 'reprot'"),
        ({"prompts": "Describe"}, "must be an object"),
        ({"prompts": {"report": "Describe <|video_pad|> this"}}, "special token (<|video_pad|>)"),
    ],
)
def test_bad_prompt_overrides_are_refused_with_a_reason(sidecar: dict, message: str) -> None:
    with pytest.raises(PromptError) as err:
        prompt_set_from_sidecar(sidecar)
    assert message in str(err.value)


def test_special_tokens_are_stripped_from_sentences_and_grounding_prompts() -> None:
    assert strip_special_tokens("enlarged <|video_pad|>heart<|image_pad|> .") == "enlarged heart ."
    assert strip_special_tokens("<|im_end|>") == ""
    assert strip_special_tokens("a\x00b <image> c") == "ab c"
    prompt = PROMPT_PRESETS["training"].grounding_for("no <|vision_start|>pneumothorax .")
    assert "<|" not in prompt and "'no pneumothorax .'" in prompt


@pytest.mark.parametrize(
    "text",
    ["enlarged cardiac silhouette .", "no pneumothorax .", "ET tube tip 5 cm above the carina .", "NG tube in place ."],
)
def test_report_sentences_are_readable(text: str) -> None:
    assert not is_unreadable(text), readability(text)


@pytest.mark.parametrize(
    "text",
    ["(12,(3,4)),(((5 .", "ĠĠĠ)(ĠĠ(((1 .", "xqzt kkkrp zzzz .", "121 121 121 434 .", "'''...---''' ."],
)
def test_garbage_is_unreadable(text: str) -> None:
    assert is_unreadable(text), readability(text)


def _image() -> ImageRef:
    return ImageRef(file_name="x.png", width=2544, height=3056, pixel_sha256="0" * 64)


def test_unreadable_sentence_is_kept_unlabelled_and_never_a_positive_finding() -> None:
    reading = assemble_reading(
        image=_image(),
        producer=Producer(kind="model", name="m"),
        report_text="pneumothorax ((12,,3)(((4,5,,((9 . (12,(3,4)),(((5 . large left pleural effusion .",
        grounding_answers=[None, None, "observation : [(10,10)(20,20)(15,15)]"],
    )
    texts = [f.text for f in reading.findings]
    assert len(texts) == 3
    bad = [f for f in reading.findings if f.unreadable]
    # mostly litter is unreadable: "pneumothorax" from such text must not become a positive finding
    assert [f.text for f in bad] == ["pneumothorax ((12,,3)(((4,5,,((9 .", "(12,(3,4)),(((5 ."]
    assert all(f.labels == [] and any("unreadable model output" in w for w in f.warnings) for f in bad)
    assert any("unreadable model output" in w for w in reading.warnings)
    effusion = reading.findings[2]
    assert not effusion.unreadable and effusion.labels and effusion.observation is not None
    # the flag survives the JSON round trip
    from gazex_viewer.core.reading.document import Reading

    again = Reading.from_json(reading.to_json())
    assert [f.unreadable for f in again.findings] == [f.unreadable for f in reading.findings]


def test_special_tokens_in_the_report_never_reach_a_sentence() -> None:
    reading = assemble_reading(
        image=_image(),
        producer=Producer(kind="model", name="m"),
        report_text="no <|video_pad|>pneumothorax . <|image_pad|><|image_pad|>heart size normal .<|im_end|>",
        grounding_answers=[],
    )
    assert [s.text for s in reading.sentences] == ["no pneumothorax .", "heart size normal ."]
    assert reading.raw_report.count("<|image_pad|>") == 2  # the raw text is kept for audit
    assert "special tokens were removed from the report answer" in reading.warnings


def test_an_answer_repeating_observation_takes_the_first() -> None:
    text = (
        "visual clues : [(1,1)(5,5)(3,3),(6,6)(9,9)(7,7)] observation : [(10,10)(20,20)(15,15)] "
        "observation : [(100,100)(200,200)(150,150)] observation : [(1,2)(3,4)(2,3)]"
    )
    r = parse_grounding(text, width=2544, height=3056)
    assert r.observation is not None and (r.observation.x_min, r.observation.x_max) == (40, 80)
    assert len(r.clues) == 2


def test_unreadable_output_is_never_labelled_in_the_final_report_until_the_radiologist_rewrites_it() -> None:
    from gazex_viewer.core.review.final_report import build_final_report
    from gazex_viewer.core.review.session import ReviewSession

    reading = assemble_reading(
        image=_image(),
        producer=Producer(kind="model", name="m"),
        report_text="pneumothorax ((12,,3)(((4,5,,((9 . no effusion .",
        grounding_answers=[None, "observation : [(10,10)(20,20)(15,15)]"],
    )
    junk = reading.findings[0]
    assert junk.unreadable
    from gazex_viewer.core.review.session import ReviewError

    session = ReviewSession(reading, "Dr Test")
    with pytest.raises(ReviewError, match="unreadable model output: it cannot be accepted as written"):
        session.accept(junk.id)
    report = build_final_report(session.reading)  # a draft: the undecided junk is never labelled
    shown = [f for f in report.numbered() if f.finding_id == junk.id]
    assert len(shown) == 1 and shown[0].labels == () and not shown[0].labels_derived
    # rewritten by the radiologist: now words, labelled from them
    session.edit(junk.id, text="Small left apical pneumothorax.")
    edited = session.effective_finding(junk.id)
    assert not edited.unreadable and not any(w.startswith("unreadable") for w in edited.warnings)
    report = build_final_report(session.reading)
    item = next(f for f in report.positives if f.finding_id == junk.id)
    assert any(lab.observation == "Pneumothorax" and lab.status == "positive" for lab in item.labels)
