"""The model seam: a second backend, written here, plugs in by name and reads a film through the worker and the
GazeX protocol without touching the worker, the protocol or the command line; the worker is given the film's model
input (pictures + identity), never a path to decode. No torch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.inference.api import (
    CheckpointInfo,
    GenerationSettings,
    JobEvent,
    JobTask,
    ModelSpec,
)
from gazex_viewer.inference.backend import Backend, JobControl, LoadedModel
from gazex_viewer.inference.film_input import FilmInput, input_modes
from gazex_viewer.inference.protocol import ModelDescription
from gazex_viewer.inference.registry import (
    BACKENDS,
    backend_name_for,
    make_backend,
    register_backend,
    unregister_backend,
)
from gazex_viewer.inference.tiny_model import SAMPLE_IMAGE
from gazex_viewer.inference.worker import Worker

REPORT = "enlarged cardiac silhouette . no pneumothorax ."
#: a GazeX grounding answer in the downscale4 frame (x4 on the film)
ANSWER = "visual clues : [(10,10)(20,20)(15,15)] observation : [(5,5)(50,60)(25,30)]"


class FixedBackend:
    """A second backend: "gets text from a model" by answering fixed GazeX-format text."""

    name = "fixed"

    def __init__(self) -> None:
        self._loaded: LoadedModel | None = None
        self.images: list[Any] = []
        self.prompts: list[str] = []

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    def load(self, spec: ModelSpec, control: JobControl) -> LoadedModel:
        info = CheckpointInfo(model_dir=spec.model_dir, model_type="fixed", weight_files=[], name="fixed-gazex")
        self._loaded = LoadedModel(
            info=info, name="fixed-gazex", checkpoint_sha256="f" * 64, adapter_sha256=None, device="nowhere",
            dtype="text", backend=self.name, load_seconds=0.0,
        )
        control.progress("loaded", message="fixed-gazex")
        return self._loaded

    def unload(self) -> None:
        self._loaded = None

    def describe(self) -> ModelDescription:
        if self._loaded is None:
            raise InferenceError(None, "no model loaded")
        lm = self._loaded
        return ModelDescription(
            info=lm.info, name=lm.name, checkpoint_sha256=lm.checkpoint_sha256, adapter_sha256=None,
            backend=self.name, device=lm.device, dtype=lm.dtype,
        )

    def generate(self, image: Any, prompt: str, settings: GenerationSettings, control: JobControl, **kw: Any
                 ) -> tuple[str, dict[str, float]]:
        self.images.append(image)
        self.prompts.append(prompt)
        for piece in REPORT.split(" "):
            control.text(piece + " ")
        return REPORT, {"report_tokens": 6.0}

    def generate_batch(self, image: Any, prompts: list[str], settings: GenerationSettings, control: JobControl,
                       **kw: Any) -> tuple[list[str], dict[str, float]]:
        self.images.append(image)
        self.prompts.extend(prompts)
        return [ANSWER] * len(prompts), {"grounding_tokens": 9.0 * len(prompts)}


@pytest.fixture
def fixed() -> Iterator[list[FixedBackend]]:
    """The fixed backend registered for one test (every backend made is kept, to look at)."""
    made: list[FixedBackend] = []

    def factory() -> Backend:
        made.append(FixedBackend())
        return made[-1]

    register_backend("fixed", factory)
    try:
        yield made
    finally:
        unregister_backend("fixed")
    assert "fixed" not in BACKENDS


def _no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """From here on, decoding a film file fails: the worker must work from the model input alone."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the worker decoded a film file")

    monkeypatch.setattr("gazex_viewer.core.imaging.files.load_radiograph", refuse)


def test_a_second_backend_reads_a_film_through_the_worker(
    fixed: list[FixedBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    film = FilmInput.of(load_radiograph(SAMPLE_IMAGE))
    _no_decoding(monkeypatch)
    events: list[JobEvent] = []
    worker = Worker(events.append, cache_dir=tmp_path / "cache")
    worker.load(ModelSpec(tmp_path, backend="fixed"))
    assert worker.load_error is None
    assert len(fixed) == 1 and worker.backend is fixed[0]
    assert [e.stage for e in events] == ["loaded"]

    worker.run(1, film, GenerationSettings())
    done = [e for e in events if e.job_id == 1 and e.kind in ("done", "error", "cancelled")]
    assert [e.kind for e in done] == ["done"], [e.message for e in done]
    reading = done[0].reading
    assert reading is not None
    # the protocol ran over the fixed text: the report streamed, split, each sentence grounded and assembled
    assert "".join(e.text for e in events if e.kind == "text").strip() == REPORT
    assert [s.text for s in reading.sentences] == ["enlarged cardiac silhouette .", "no pneumothorax ."]
    assert len(fixed[0].prompts) == 3 and "'no pneumothorax .'" in fixed[0].prompts[2]
    first = reading.findings[0]
    assert first.observation is not None
    assert (first.observation.x_min, first.observation.y_min, first.observation.x_max, first.observation.y_max) == (
        20.0, 20.0, 200.0, 240.0,
    )
    assert len(first.clues) == 1
    # the reading is of the film the job was given, recorded as made by this backend
    assert reading.image == film.image and reading.image.file_name == "00000001_000.png"
    assert reading.producer.backend == "fixed" and reading.producer.name == "fixed-gazex"
    # the model was given the film's display picture, resized for the model
    side = fixed[0].images[0].size
    assert 0 < side[0] * side[1] <= 768 * 768 and fixed[0].images[0].mode == "RGB"

    # the same film again comes from the reading cache, keyed on the model input: the backend is not asked again
    asked = len(fixed[0].prompts)
    worker.run(2, film, GenerationSettings())
    again = [e for e in events if e.job_id == 2]
    assert "cached" in [e.stage for e in again] and again[-1].kind == "done"
    assert len(fixed[0].prompts) == asked


def test_ask_and_ground_jobs_run_on_the_second_backend(fixed: list[FixedBackend], tmp_path: Path) -> None:
    film = FilmInput.of(load_radiograph(SAMPLE_IMAGE), ("display",))
    events: list[JobEvent] = []
    worker = Worker(events.append, use_cache=False)
    worker.load(ModelSpec(tmp_path, backend="fixed"))
    worker.run(1, film, GenerationSettings(), JobTask("ground", sentences=["heart is big ."], finding_id="f-1"))
    worker.run(2, film, GenerationSettings(), JobTask("ask", question="Is the heart enlarged?"))
    answers = {e.job_id: e.query for e in events if e.kind == "done"}
    assert sorted(answers) == [1, 2], [e.message for e in events if e.kind == "error"]
    ground, ask = answers[1], answers[2]
    assert ground is not None and ground.kind == "grounding" and ground.finding_id == "f-1"
    assert ground.findings[0].observation is not None and ground.producer["backend"] == "fixed"
    assert ask is not None and ask.kind == "question" and ask.answer == REPORT and len(ask.findings) == 2


def test_a_film_prepared_for_another_rendering_is_one_error_naming_it(fixed: list[FixedBackend], tmp_path: Path) -> None:
    radiograph = load_radiograph(SAMPLE_IMAGE)
    film = FilmInput(radiograph.image_ref(), {"mimic-cxr-jpg": radiograph.render()})
    events: list[JobEvent] = []
    worker = Worker(events.append, use_cache=False)
    worker.load(ModelSpec(tmp_path, backend="fixed"))  # asks for the default rendering, "display"
    worker.run(1, film, GenerationSettings())
    final = events[-1]
    assert final.kind == "error"
    assert final.message == (
        "00000001_000.png: the film was prepared for the model as mimic-cxr-jpg, but the model asks for display"
    )
    assert fixed[0].prompts == []


def test_unknown_backend_is_a_load_error_naming_the_known_ones(tmp_path: Path) -> None:
    events: list[JobEvent] = []
    worker = Worker(events.append, use_cache=False)
    worker.load(ModelSpec(tmp_path, backend="vllm-someday"))
    assert worker.backend is None
    assert worker.load_error == "unknown backend 'vllm-someday' (known: openai, transformers)"
    assert [(e.kind, e.stage) for e in events] == [("error", "loading")]
    with pytest.raises(InferenceError, match="unknown backend"):
        make_backend("")
    with pytest.raises(ValueError):
        register_backend(" ", FixedBackend)


def test_the_spec_names_its_backend(tmp_path: Path) -> None:
    assert backend_name_for(ModelSpec(tmp_path)) == "transformers"
    assert backend_name_for(ModelSpec(tmp_path / "model-info.json")) == "openai"
    assert backend_name_for(ModelSpec(Path(""), endpoint="https://gpu:8000", served_model="gazex")) == "openai"
    assert backend_name_for(ModelSpec(tmp_path, backend="fixed")) == "fixed"
    spec = ModelSpec(Path(""), endpoint="https://gpu:8000")
    assert spec.server == spec.endpoint == "https://gpu:8000"


def test_film_input_pictures(tiny_model_dir: Path, tmp_path: Path) -> None:
    radiograph = load_radiograph(SAMPLE_IMAGE)
    film = FilmInput.of(radiograph)
    assert sorted(film.pictures) == ["display", "mimic-cxr-jpg"]
    # a PNG film is given as displayed in both renderings: one array, sent once
    assert film.pictures["display"] is film.pictures["mimic-cxr-jpg"]
    assert np.array_equal(film.picture("display"), radiograph.render())
    assert film.image == radiograph.image_ref() and film.name == "00000001_000.png"
    # only the rendering the model asks for is prepared when the model is known
    assert input_modes(ModelSpec(tiny_model_dir, device="cpu")) == ("display",)
    assert input_modes(ModelSpec(tmp_path / "missing")) == ("display", "mimic-cxr-jpg")  # the load says why
    assert input_modes(None) == ("display", "mimic-cxr-jpg")
