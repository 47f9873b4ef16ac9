"""Model > Generation settings: decoding options and device of the next model run, remembered between runs.

Deterministic (greedy) decoding is the default, so the same film and checkpoint always give the same draft;
GazeX's own sampling (temperature 1, top_p 0.9, as in training) is one click away, with a seed.
"""

from __future__ import annotations

from typing import Any

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

DEVICES = ("auto", "cpu", "cuda")


def load_generation_settings() -> Any:
    """The stored :class:`~gazex_viewer.inference.api.GenerationSettings` (defaults where unset or invalid)."""
    from gazex_viewer.inference.api import GenerationSettings

    g = GenerationSettings(
        deterministic=S.get_bool("model/deterministic", True),
        temperature=S.get_float("model/temperature", 1.0),
        top_p=S.get_float("model/top_p", 0.9),
        max_new_tokens=S.get_int("model/max_new_tokens", 1024),
        seed=S.get_int("model/seed", 0),
    )
    return g if not g.problems() else GenerationSettings()


def load_device() -> str:
    """The stored device choice: ``auto`` (CUDA when present, else CPU), ``cpu`` or ``cuda``."""
    value = str(S.settings().value("model/device", "auto"))
    return value if value in DEVICES else "auto"


def save_generation_settings(g: Any, device: str) -> None:
    S.set_value("model/deterministic", bool(g.deterministic))
    S.set_value("model/temperature", float(g.temperature))
    S.set_value("model/top_p", float(g.top_p))
    S.set_value("model/max_new_tokens", int(g.max_new_tokens))
    S.set_value("model/seed", int(g.seed))
    S.set_value("model/device", device if device in DEVICES else "auto")


class GenerationDialog(QDialog):
    """Edit the decoding options and device; ``accept`` stores them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generation settings")
        g = load_generation_settings()
        lay = QVBoxLayout(self)
        intro = QLabel(
            "Options of the next model run. Deterministic decoding gives the same draft every time for the "
            "same film and checkpoint; GazeX sampling (as in its training) varies with the seed."
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.deterministic = QRadioButton("Deterministic (greedy)")
        self.sampling = QRadioButton("GazeX sampling")
        (self.deterministic if g.deterministic else self.sampling).setChecked(True)
        form = QFormLayout()
        form.addRow("Decoding", self.deterministic)
        form.addRow("", self.sampling)
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
        self.max_new_tokens = QSpinBox()
        self.max_new_tokens.setRange(1, 8192)
        self.max_new_tokens.setValue(g.max_new_tokens)
        self.device = QComboBox()
        self.device.addItems(["auto (GPU when present)", "cpu", "cuda"])
        self.device.setCurrentIndex(DEVICES.index(load_device()))
        form.addRow("Temperature", self.temperature)
        form.addRow("top_p", self.top_p)
        form.addRow("Seed", self.seed)
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
        for w in (self.temperature, self.top_p, self.seed):
            w.setEnabled(sampling)

    def settings(self) -> Any:
        """The settings as shown in the dialog."""
        from gazex_viewer.inference.api import GenerationSettings

        return GenerationSettings(
            deterministic=self.deterministic.isChecked(),
            temperature=self.temperature.value(),
            top_p=self.top_p.value(),
            max_new_tokens=self.max_new_tokens.value(),
            seed=self.seed.value(),
        )

    def chosen_device(self) -> str:
        return DEVICES[self.device.currentIndex()]

    def accept(self) -> None:
        save_generation_settings(self.settings(), self.chosen_device())
        super().accept()
