"""View-menu controls for quiet overlays: "Show all regions" and an overlay opacity slider.

Both act on a :class:`~gazex_viewer.ui.film.canvas.FilmCanvas` and are remembered in the settings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QSlider,
    QWidget,
    QWidgetAction,
)

from gazex_viewer.ui import settings as S

if TYPE_CHECKING:
    from gazex_viewer.ui.actions import ActionRegistry
    from gazex_viewer.ui.film.canvas import FilmCanvas

#: the slider's range in percent (an overlay never vanishes entirely: O hides them all)
OPACITY_MIN, OPACITY_MAX, OPACITY_STEP = 10, 100, 10


class OverlayControls:
    """Adds the quiet-overlay controls to a menu and keeps the canvas and the settings in step."""

    def __init__(self, canvas: FilmCanvas, actions: ActionRegistry, menu: QMenu) -> None:
        self.canvas = canvas
        self.show_all_action = actions.add(
            menu, "Layers", "Show all regions in &full colour", "Shift+G", self.set_show_all, checkable=True
        )
        self.show_all_action.setToolTip("Off: only the selected or playing finding's regions in full colour")
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(24, 2, 8, 2)
        row.addWidget(QLabel("Overlay opacity"))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("overlayOpacity")
        self.slider.setRange(OPACITY_MIN, OPACITY_MAX)
        self.slider.setSingleStep(OPACITY_STEP)
        self.slider.setPageStep(OPACITY_STEP)
        self.slider.setMinimumWidth(120)
        self.slider.setAccessibleName("Overlay opacity")
        self.slider.setToolTip("Opacity of regions, labels and heatmap ({ fainter, } stronger)")
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(self.value_label.fontMetrics().horizontalAdvance("100%") + 4)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)
        wa = QWidgetAction(menu)
        wa.setDefaultWidget(holder)
        menu.addAction(wa)
        actions.add(menu, "Layers", "Overlays fainter", "{", lambda: self.step_opacity(-1))
        actions.add(menu, "Layers", "Overlays stronger", "}", lambda: self.step_opacity(1))
        self.slider.valueChanged.connect(self._on_slider)
        self.restore()

    def restore(self) -> None:
        self.show_all_action.setChecked(S.get_bool("layers/show_all_regions", False))
        self.set_show_all(self.show_all_action.isChecked())
        pct = round(S.get_float("layers/overlay_opacity", 1.0) * 100)
        self.slider.setValue(max(OPACITY_MIN, min(OPACITY_MAX, pct)))
        self._on_slider(self.slider.value())

    def set_show_all(self, show: bool) -> None:
        self.canvas.set_show_all_regions(show)
        S.set_value("layers/show_all_regions", bool(show))

    def set_opacity(self, opacity: float) -> None:
        self.slider.setValue(round(max(0.0, min(1.0, opacity)) * 100))

    def step_opacity(self, direction: int) -> None:
        self.slider.setValue(self.slider.value() + direction * OPACITY_STEP)

    def _on_slider(self, value: int) -> None:
        self.canvas.set_overlay_opacity(value / 100.0)
        self.value_label.setText(f"{value}%")
        S.set_value("layers/overlay_opacity", value / 100.0)
