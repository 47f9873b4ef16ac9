"""The GazeX protocol over a small text-generation interface (no torch here).

Owns the one seam between the app and a model: :class:`TextGenerator` (one streamed answer, a batch of answers,
what the model is) and :class:`ModelDescription`. A backend (:mod:`gazex_viewer.inference.backend`) only has to say
how to get text from a model; everything GazeX-specific happens here, in :func:`run_reading`, the same for every
backend:

1. the model input: the film's 8-bit picture resized as LLaMA-Factory resized the training images;
2. the report prompt (streamed), special tokens stripped, split into sentences;
3. one grounding prompt per readable sentence, sent in batches (a failed batch is retried prompt by prompt, and a
   prompt that still fails becomes a warning on its finding, never a lost reading);
4. assembly into a :class:`~gazex_viewer.core.reading.document.Reading` recording the preset and exact prompts, every
   effective decoding parameter and the model input size, with warnings (a film much smaller than the training
   films, a checkpoint's generation_config that tried to set other penalties, budgets lowered).

The same functions ground any sentence (:func:`ground_sentences`, the authors' "attention extraction") and answer a
question about the film (:func:`ask_question`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from PIL import Image

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.core.reading.document import (
    Finding,
    ImageRef,
    ModelQuery,
    Producer,
    Reading,
)
from gazex_viewer.core.reading.gazex_prompts import PromptSet, strip_special_tokens
from gazex_viewer.core.reading.gazex_protocol import (
    assemble_reading,
    model_finding,
    report_sentences,
    sentences_to_ground,
)
from gazex_viewer.inference.api import CheckpointInfo, GenerationSettings
from gazex_viewer.inference.images import (
    PROCESSOR_MAX_PIXELS,
    PROCESSOR_MIN_PIXELS,
    image_tokens,
    prepare_image,
)
from gazex_viewer.inference.job import JobCancelled, JobControl

#: the most grounding prompts sent to the model in one call
GROUNDING_BATCH: int = 8
#: films whose longer side is below this many pixels are much smaller than GazeX's training films (MIMIC-CXR-JPG
#: at full resolution, about 2500 x 3000): the downscale4 frame then misplaces the boxes
SMALL_FILM_SIDE: int = 1500
#: the longest message kept from a failed generation
_MAX_MESSAGE = 200


@dataclass
class ModelDescription:
    """What a text generator is: the loaded checkpoint and how its output is to be read."""

    info: CheckpointInfo
    name: str
    checkpoint_sha256: str
    adapter_sha256: str | None
    backend: str
    device: str
    dtype: str
    #: the processor's own pixel limits (its smart_resize floors or ceils only past these)
    processor_min_pixels: int = PROCESSOR_MIN_PIXELS
    processor_max_pixels: int = PROCESSOR_MAX_PIXELS
    #: problems found in the checkpoint's own generation_config (overridden, recorded in every reading)
    generation_warnings: list[str] = field(default_factory=list)


class TextGenerator(Protocol):
    """How to get text from a model: what every backend implements."""

    def describe(self) -> ModelDescription:
        """The loaded model."""
        ...

    def generate(
        self,
        image: Image.Image,
        prompt: str,
        settings: GenerationSettings,
        control: JobControl,
        *,
        seed_offset: int = 0,
        stream: bool = True,
        min_new_tokens: int | None = None,
        warnings: list[str] | None = None,
    ) -> tuple[str, dict[str, float]]:
        """One answer to ``prompt`` about ``image`` (pieces streamed through ``control.text``); (text, timings)."""
        ...

    def generate_batch(
        self,
        image: Image.Image,
        prompts: list[str],
        settings: GenerationSettings,
        control: JobControl,
        *,
        seed_offset: int = 0,
        max_new_tokens: int | None = None,
        min_new_tokens: int | None = None,
        warnings: list[str] | None = None,
    ) -> tuple[list[str], dict[str, float]]:
        """One answer per prompt, about the same image; (texts, timings)."""
        ...


def generation_message(exc: BaseException) -> str:
    """A failed generation as one plain line (no exception class, no traceback), at most 200 characters."""
    text = " ".join(str(exc).split()) or "no message"
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def model_image(gen: TextGenerator, picture: np.ndarray, where: str) -> Image.Image:
    """The resized RGB model input for an 8-bit picture; InferenceError naming ``where`` when unusable."""
    d = gen.describe()
    try:
        return prepare_image(
            picture,
            d.info.max_pixels,
            processor_min_pixels=d.processor_min_pixels,
            processor_max_pixels=d.processor_max_pixels,
        )
    except ValueError as exc:
        raise InferenceError(where, f"cannot prepare the image for the model ({exc})") from None


def _ground(
    gen: TextGenerator,
    image: Image.Image,
    prompts: list[str],
    settings: GenerationSettings,
    control: JobControl,
    *,
    max_new_tokens: int | None,
    min_new_tokens: int | None,
    warnings: list[str],
) -> tuple[list[str | None], list[str | None], dict[str, float]]:
    """Answers to the grounding prompts in batches; (answers, per-prompt failure messages, timings)."""
    answers: list[str | None] = []
    failures: list[str | None] = []
    timings: dict[str, float] = {"grounding_s": 0.0, "grounding_tokens": 0.0, "grounding_prompts": float(len(prompts))}
    t0 = time.perf_counter()
    for start in range(0, len(prompts), GROUNDING_BATCH):
        control.check()
        chunk = prompts[start : start + GROUNDING_BATCH]
        control.progress(
            "grounding",
            current=start,
            total=len(prompts),
            message=f"grounding sentences {start + 1}-{start + len(chunk)} of {len(prompts)}",
        )
        try:
            texts, t = gen.generate_batch(
                image, chunk, settings, control, seed_offset=1 + start,
                max_new_tokens=max_new_tokens, min_new_tokens=min_new_tokens, warnings=warnings,
            )
            answers.extend(texts)
            failures.extend([None] * len(texts))
            timings["grounding_tokens"] += t.get("grounding_tokens", 0.0)
            continue
        except (JobCancelled, InferenceError):
            raise
        except Exception:  # noqa: BLE001 - retry prompt by prompt: one bad prompt must not cost the others
            if control.cancelled:
                raise JobCancelled(None, "cancelled") from None
        for k, prompt in enumerate(chunk):
            control.check()
            try:
                texts, t = gen.generate_batch(
                    image, [prompt], settings, control, seed_offset=1 + start + k,
                    max_new_tokens=max_new_tokens, min_new_tokens=min_new_tokens, warnings=warnings,
                )
                answers.append(texts[0])
                failures.append(None)
                timings["grounding_tokens"] += t.get("grounding_tokens", 0.0)
            except (JobCancelled, InferenceError):
                raise
            except Exception as exc:  # noqa: BLE001
                if control.cancelled:
                    raise JobCancelled(None, "cancelled") from None
                answers.append(None)
                failures.append(f"grounding failed: {generation_message(exc)}")
    timings["grounding_s"] = time.perf_counter() - t0
    control.progress("grounding", current=len(prompts), total=len(prompts), message="grounding done")
    return answers, failures, timings


def _producer(d: ModelDescription, settings: GenerationSettings, pil: Image.Image, timings: dict[str, float],
              report_max_new: int | None = None) -> Producer:
    info = d.info
    return Producer(
        kind="model",
        name=d.name,
        checkpoint_sha256=d.checkpoint_sha256,
        adapter_sha256=d.adapter_sha256,
        backend=d.backend,
        device=d.device,
        dtype=d.dtype,
        coordinate_frame=info.coordinate_frame,
        prompts=info.prompts.record(),
        generation={
            **settings.to_dict(),
            "effective": settings.effective(report_max_new),
            "decoding": settings.describe(),
            "model_input": info.model_input,
            "model_input_size": [pil.width, pil.height],
            "image_tokens": image_tokens(pil.height, pil.width),
            "max_pixels": info.max_pixels,
            "grounding_batch": GROUNDING_BATCH,
        },
        timings={k: round(float(v), 4) for k, v in timings.items()},
    )


def film_size_warning(image: ImageRef, frame: str) -> str | None:
    """A warning when the film is much smaller than GazeX's training films and the frame depends on its size."""
    if frame != "downscale4":
        return None
    if max(image.width, image.height) >= SMALL_FILM_SIDE:
        return None
    return (
        f"the film is {image.width} x {image.height} px, much smaller than GazeX's training films (about "
        "2500 x 3000 px): its boxes assume a full-resolution film and are likely misplaced"
    )


def _guard(control: JobControl, where: str, d: ModelDescription, exc: Exception) -> InferenceError:
    """One clear error for a failure inside generation (cancel and out-of-memory named as such)."""
    if control.cancelled:
        return JobCancelled(None, "cancelled")
    text = str(exc)
    if "OutOfMemory" in exc.__class__.__name__ or "out of memory" in text.lower():
        return InferenceError(where, f"out of memory on {d.device} ({generation_message(exc)})")
    return InferenceError(where, f"generation failed: {generation_message(exc)}")


def run_reading(
    gen: TextGenerator,
    picture: np.ndarray,
    image: ImageRef,
    settings: GenerationSettings,
    control: JobControl,
    *,
    forced_lengths: tuple[int, int] | None = None,
) -> Reading:
    """The GazeX protocol on one film's 8-bit model-input picture; the parsed Reading.

    ``forced_lengths`` (benchmarks): generate exactly (report tokens, tokens per grounding answer), end-of-text
    suppressed until then, so a random model does the work of a real reading.
    """
    bad = settings.problems()
    if bad:
        raise InferenceError(None, "bad generation settings: " + "; ".join(bad))
    d = gen.describe()
    prompts: PromptSet = d.info.prompts
    t0 = time.perf_counter()
    control.progress("preparing", message="preparing the image")
    pil = model_image(gen, picture, image.file_name)
    control.check()
    timings: dict[str, float] = {"prepare_s": time.perf_counter() - t0}
    warnings: list[str] = []
    rep_settings, ground_max = settings, None
    rep_min: int | None = None
    ground_min: int | None = None
    if forced_lengths is not None:
        rep_min, ground_min = int(forced_lengths[0]), int(forced_lengths[1])
        rep_settings = replace(settings, max_new_tokens=rep_min)
        ground_max = ground_min
    try:
        control.progress("report", message="writing the report")
        report, t_rep = gen.generate(pil, prompts.report, rep_settings, control, min_new_tokens=rep_min, warnings=warnings)
        timings.update(t_rep)
        sentences = report_sentences(report)
        to_ground = sentences_to_ground(sentences)
        answers: list[str | None] = [None] * len(sentences)
        failures: list[str | None] = [None] * len(sentences)
        if to_ground:
            got, failed, t_gr = _ground(
                gen, pil, [prompts.grounding_for(sentences[i]) for i in to_ground], settings, control,
                max_new_tokens=ground_max, min_new_tokens=ground_min, warnings=warnings,
            )
            for i, a, f in zip(to_ground, got, failed):
                answers[i], failures[i] = a, f
            timings.update(t_gr)
    except (JobCancelled, InferenceError):
        raise
    except Exception as exc:  # noqa: BLE001 - out of memory, CUDA errors: one clear line
        raise _guard(control, image.file_name, d, exc) from None
    timings["total_s"] = time.perf_counter() - t0
    control.progress("parsing", message="parsing the answers")
    reading = assemble_reading(
        image=image,
        producer=_producer(d, settings, pil, timings),
        report_text=report,
        grounding_answers=answers,
        frame=d.info.coordinate_frame,
    )
    for finding, failure in zip(reading.findings, failures):
        if failure:
            finding.warnings = [w for w in finding.warnings if w != "no grounding answer for this sentence"]
            finding.warnings.append(failure)
    small = film_size_warning(image, d.info.coordinate_frame)
    reading.warnings.extend([*([small] if small else []), *d.generation_warnings, *warnings])
    if int(timings.get("report_tokens", 0)) >= rep_settings.max_new_tokens and forced_lengths is None:
        reading.warnings.append(f"the report reached max_new_tokens ({settings.max_new_tokens}) and may be cut short")
    return reading


def ground_sentences(
    gen: TextGenerator,
    picture: np.ndarray,
    image: ImageRef,
    sentences: list[str],
    settings: GenerationSettings,
    control: JobControl,
) -> list[Finding]:
    """Where the model sees the evidence for each sentence (the grounding prompt on any text).

    Returns one finding per sentence (ids ``g-1``, ...), marked as model output by the caller's query.
    """
    bad = settings.problems()
    if bad:
        raise InferenceError(None, "bad generation settings: " + "; ".join(bad))
    d = gen.describe()
    clean = [strip_special_tokens(s) for s in sentences]
    if not any(clean):
        raise InferenceError(None, "nothing to ground: the sentence is empty")
    pil = model_image(gen, picture, image.file_name)
    warnings: list[str] = []
    try:
        answers, failures, _ = _ground(
            gen, pil, [d.info.prompts.grounding_for(s) for s in clean], settings, control,
            max_new_tokens=None, min_new_tokens=None, warnings=warnings,
        )
    except (JobCancelled, InferenceError):
        raise
    except Exception as exc:  # noqa: BLE001
        raise _guard(control, image.file_name, d, exc) from None
    out = []
    for k, (text, answer, failure) in enumerate(zip(clean, answers, failures), start=1):
        f = model_finding(f"g-{k}", f"g-{k}", text, answer, image, d.info.coordinate_frame, unreadable=False)
        f.labels = []  # the radiologist's words: labels stay with the finding it was asked for
        f.warnings.extend([*([failure] if failure else []), *warnings])
        out.append(f)
    return out


def ask_question(
    gen: TextGenerator,
    picture: np.ndarray,
    image: ImageRef,
    question: str,
    settings: GenerationSettings,
    control: JobControl,
) -> ModelQuery:
    """The model's answer to a question about the film (streamed), its sentences grounded like a report's."""
    bad = settings.problems()
    if bad:
        raise InferenceError(None, "bad generation settings: " + "; ".join(bad))
    q = strip_special_tokens(question)
    if not q:
        raise InferenceError(None, "the question is empty")
    d = gen.describe()
    pil = model_image(gen, picture, image.file_name)
    warnings: list[str] = []
    t0 = time.perf_counter()
    try:
        control.progress("answer", message="answering")
        answer, timings = gen.generate(pil, q, settings, control, warnings=warnings)
        sentences = report_sentences(answer)
        to_ground = sentences_to_ground(sentences)
        answers: list[str | None] = [None] * len(sentences)
        if to_ground:
            got, failed, t_gr = _ground(
                gen, pil, [d.info.prompts.grounding_for(sentences[i]) for i in to_ground], settings, control,
                max_new_tokens=None, min_new_tokens=None, warnings=warnings,
            )
            for i, a, f in zip(to_ground, got, failed):
                answers[i] = a
                if f:
                    warnings.append(f"sentence {i + 1}: {f}")
            timings.update(t_gr)
    except (JobCancelled, InferenceError):
        raise
    except Exception as exc:  # noqa: BLE001
        raise _guard(control, image.file_name, d, exc) from None
    timings["total_s"] = time.perf_counter() - t0
    findings = [
        model_finding(f"a-{k}", f"a-{k}", s, answers[k - 1], image, d.info.coordinate_frame)
        for k, s in enumerate(sentences, start=1)
    ]
    producer = _producer(d, settings, pil, timings).to_dict()
    small = film_size_warning(image, d.info.coordinate_frame)
    return ModelQuery(
        kind="question",
        prompt=q,
        answer=answer,
        findings=findings,
        producer=producer,
        warnings=[*([small] if small else []), *warnings],
    )


def describe_dict(d: ModelDescription) -> dict[str, Any]:
    """A model description for a reading's query record (JSON-safe)."""
    return {"name": d.name, "checkpoint_sha256": d.checkpoint_sha256, "backend": d.backend, "device": d.device}
