"""Model > Generation settings: decoding options and device of the next model run, remembered between runs.

GazeX's own decoding is the default (sampling with temperature 1, top_p 0.9, top_k off, repetition penalty 1.0,
at least 20 new tokens, as the authors ran it), seeded so that a run can be repeated; deterministic (greedy) decoding
is an explicit choice. The dialog also shows which prompts the chosen checkpoint is asked with (its preset).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.ui import settings as S

if TYPE_CHECKING:
    from gazex_viewer.inference.api import GenerationSettings

DEVICES = ("auto", "cpu", "cuda")


def load_generation_settings() -> GenerationSettings:
    """The stored :class:`~gazex_viewer.inference.api.GenerationSettings` (defaults where unset or invalid)."""
    from gazex_viewer.inference.api import GenerationSettings

    g = GenerationSettings(
        deterministic=S.get_bool("model/deterministic", False),
        temperature=S.get_float("model/temperature", 1.0),
        top_p=S.get_float("model/top_p", 0.9),
        max_new_tokens=S.get_int("model/max_new_tokens", 1024),
        seed=S.get_int("model/seed", 0),
        top_k=S.get_int("model/top_k", 0),
        repetition_penalty=S.get_float("model/repetition_penalty", 1.0),
        min_new_tokens=S.get_int("model/min_new_tokens", 20),
    )
    return g if not g.problems() else GenerationSettings()


def load_device() -> str:
    """The stored device choice: ``auto`` (CUDA when present, else CPU), ``cpu`` or ``cuda``."""
    value = str(S.settings().value("model/device", "auto"))
    return value if value in DEVICES else "auto"


def save_generation_settings(g: GenerationSettings, device: str) -> None:
    S.set_value("model/deterministic", bool(g.deterministic))
    S.set_value("model/temperature", float(g.temperature))
    S.set_value("model/top_p", float(g.top_p))
    S.set_value("model/max_new_tokens", int(g.max_new_tokens))
    S.set_value("model/seed", int(g.seed))
    S.set_value("model/top_k", int(g.top_k))
    S.set_value("model/repetition_penalty", float(g.repetition_penalty))
    S.set_value("model/min_new_tokens", int(g.min_new_tokens))
    S.set_value("model/device", device if device in DEVICES else "auto")


def checkpoint_prompts(folder: Path | None) -> str:
    """One line naming the prompt preset a checkpoint folder asks for (from its gazex.json), or why it is unknown."""
    from gazex_viewer.core.errors import CheckpointError
    from gazex_viewer.core.reading.gazex_prompts import (
        PromptError,
        prompt_set_from_sidecar,
    )
    from gazex_viewer.inference.api import read_sidecar

    if folder is None:
        return "no checkpoint chosen (a checkpoint without gazex.json prompts gets the training preset)"
    try:
        prompts = prompt_set_from_sidecar(read_sidecar(folder))
    except (CheckpointError, PromptError) as exc:
        return f"cannot read the checkpoint's gazex.json ({exc})"
    what = {
        "training": "training (the prompts of GazeX's released training data)",
        "inference-json": "inference-json (the authors' published inference wording)",
        "custom": "custom (the checkpoint's gazex.json gives its own prompts)",
    }
    return what.get(prompts.preset, prompts.preset)


class GenerationDialog(QDialog):
    """Edit the decoding options and device; ``accept`` stores them."""

    def __init__(self, parent: QWidget | None = None, *, checkpoint: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generation settings")
        g = load_generation_settings()
        lay = QVBoxLayout(self)
        intro = QLabel(
            "Options of the next model run. GazeX sampling is how the authors ran the model; the seed makes a run "
            "repeatable. Deterministic decoding gives the same draft for the same film and checkpoint, but it is "
            "not GazeX's decoding. Every value is recorded in the draft."
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.sampling = QRadioButton("GazeX sampling (as the authors ran it)")
        self.deterministic = QRadioButton("Deterministic (greedy)")
        (self.deterministic if g.deterministic else self.sampling).setChecked(True)
        form = QFormLayout()
        self.preset = QLabel(checkpoint_prompts(checkpoint))
        self.preset.setWordWrap(True)
        self.preset.setObjectName("promptPreset")
        form.addRow("Prompts", self.preset)
        form.addRow("Decoding", self.sampling)
        form.addRow("", self.deterministic)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.05, 5.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(g.temperature)
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.01, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(g.top_p)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(g.seed)
        self.top_k = QSpinBox()
        self.top_k.setRange(0, 1000)
        self.top_k.setSpecialValueText("off")
        self.top_k.setValue(g.top_k)
        self.repetition_penalty = QDoubleSpinBox()
        self.repetition_penalty.setRange(0.5, 2.0)
        self.repetition_penalty.setSingleStep(0.01)
        self.repetition_penalty.setValue(g.repetition_penalty)
        self.min_new_tokens = QSpinBox()
        self.min_new_tokens.setRange(0, 1024)
        self.min_new_tokens.setValue(g.min_new_tokens)
        self.max_new_tokens = QSpinBox()
        self.max_new_tokens.setRange(1, 8192)
        self.max_new_tokens.setValue(g.max_new_tokens)
        self.device = QComboBox()
        self.device.addItems(["auto (GPU when present)", "cpu", "cuda"])
        self.device.setCurrentIndex(DEVICES.index(load_device()))
        form.addRow("Temperature", self.temperature)
        form.addRow("top_p", self.top_p)
        form.addRow("top_k", self.top_k)
        form.addRow("Seed", self.seed)
        form.addRow("Repetition penalty", self.repetition_penalty)
        form.addRow("Min new tokens", self.min_new_tokens)
        form.addRow("Max new tokens", self.max_new_tokens)
        form.addRow("Device", self.device)
        lay.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.deterministic.toggled.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        sampling = not self.deterministic.isChecked()
        for w in (self.temperature, self.top_p, self.top_k, self.seed):
            w.setEnabled(sampling)

    def settings(self) -> GenerationSettings:
        """The settings as shown in the dialog."""
        from gazex_viewer.inference.api import GenerationSettings

        return GenerationSettings(
            deterministic=self.deterministic.isChecked(),
            temperature=self.temperature.value(),
            top_p=self.top_p.value(),
            max_new_tokens=self.max_new_tokens.value(),
            seed=self.seed.value(),
            top_k=self.top_k.value(),
            repetition_penalty=self.repetition_penalty.value(),
            min_new_tokens=self.min_new_tokens.value(),
        )

    def chosen_device(self) -> str:
        return DEVICES[self.device.currentIndex()]

    def accept(self) -> None:
        save_generation_settings(self.settings(), self.chosen_device())
        super().accept()
