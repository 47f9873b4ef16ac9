"""Model > Generation settings: the chosen decoding options and device reach the model run, and persist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from tests.conftest import SAMPLE_STUDY


class FakeRunner(QObject):
    """Records what the window asks of the model runner (no worker process)."""

    progress_changed = Signal(str, int, int, str)
    text_streamed = Signal(str)
    reading_ready = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    loaded = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.specs: list[Any] = []
        self.runs: list[tuple[Path, Any]] = []

    def load(self, spec: Any) -> None:
        self.specs.append(spec)

    def run(self, film: Any, settings: Any) -> int:
        self.runs.append((Path(getattr(film, "path", film)), settings))  # the open film (or a path)
        return len(self.runs)

    def cancel(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


def test_generation_settings_reach_the_run_and_persist(make_window: Any, messages: Any, tiny_model_dir: Path) -> None:
    from gazex_viewer.ui.model.generation_dialog import (
        load_device,
        load_generation_settings,
    )

    fake: list[FakeRunner] = []
    win = make_window(runner_factory=lambda parent: fake.append(FakeRunner(parent)) or fake[-1], size=None)
    defaults = load_generation_settings()  # the default: GazeX's own decoding, seeded
    assert (defaults.deterministic, defaults.temperature, defaults.top_p, defaults.top_k) == (False, 1.0, 0.9, 0)
    assert (defaults.repetition_penalty, defaults.min_new_tokens, defaults.seed) == (1.0, 20, 0)
    assert load_device() == "auto"

    dialog = win.jobs.edit_generation_settings()
    assert dialog.sampling.isChecked() and dialog.temperature.isEnabled()
    assert dialog.preset.text().startswith("no checkpoint chosen")
    dialog.deterministic.setChecked(True)
    assert not dialog.temperature.isEnabled()  # sampling options are greyed out while greedy
    dialog.sampling.setChecked(True)
    assert dialog.temperature.isEnabled()
    dialog.temperature.setValue(0.7)
    dialog.top_p.setValue(0.8)
    dialog.seed.setValue(42)
    dialog.max_new_tokens.setValue(256)
    dialog.device.setCurrentIndex(1)  # cpu
    dialog.accept()

    stored = load_generation_settings()
    assert (stored.deterministic, stored.temperature, stored.top_p, stored.seed, stored.max_new_tokens) == (
        False,
        0.7,
        0.8,
        42,
        256,
    )
    assert load_device() == "cpu"

    assert win.open_paths([SAMPLE_STUDY / "00000001_000.png"]), messages.errors
    assert win.set_checkpoint(tiny_model_dir), messages.errors
    win.run_model()
    assert messages.errors == []
    runner = fake[0]
    assert runner.specs[-1].device == "cpu" and runner.specs[-1].model_dir == tiny_model_dir
    path, settings = runner.runs[-1]
    assert path.name == "00000001_000.png"
    assert (settings.deterministic, settings.temperature, settings.top_p, settings.seed) == (False, 0.7, 0.8, 42)
    assert settings.max_new_tokens == 256

    # a new dialog shows what was stored, and the prompts the chosen checkpoint is asked with
    again = win.jobs.edit_generation_settings()
    assert again.sampling.isChecked() and again.seed.value() == 42 and again.device.currentIndex() == 1
    assert again.preset.text().startswith("training (the prompts of GazeX's released training data)")
    again.reject()
