"""View > Window presets: the film header's presets, chest presets from its histogram, and the user's own.

Owns :class:`WindowPresets`, which fills the presets menu for the workspace's radiograph (it observes
``radiograph_changed``) and applies a preset to the :class:`~gazex_viewer.ui.film.canvas.FilmCanvas`:

- the header's presets (up to 9, Ctrl+1 … Ctrl+9);
- four chest presets computed from the film's histogram (Shift+1 … Shift+4: lung, mediastinum, bone, soft
  tissue);
- the user's own presets, per modality, kept in the settings, and "Save the current window as a preset…".
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu

from gazex_viewer.ui import settings as S

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import WindowPreset
    from gazex_viewer.ui.actions import ActionRegistry
    from gazex_viewer.ui.film.canvas import FilmCanvas
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["WindowPresets"]


class WindowPresets:
    """The presets menu of one window, kept in step with the workspace's film.

    Parameters
    ----------
    menu
        The (sub)menu to fill; it is cleared and rebuilt for every film.
    canvas
        Where a chosen preset is applied.
    workspace
        Whose radiograph the presets are for.
    actions
        The window's registry: preset keys are added to its host (so they work while the menu is closed) and
        listed in F1 through it.
    """

    def __init__(self, menu: QMenu, canvas: FilmCanvas, workspace: Workspace, actions: ActionRegistry) -> None:
        self.menu = menu
        self.canvas = canvas
        self.workspace = workspace
        self.actions = actions
        self.chest_presets: list[WindowPreset] = []
        workspace.radiograph_changed.connect(lambda _rg: self.refresh())
        self.refresh()

    def _add_keyed(self, text: str, key: str | None, preset: WindowPreset | tuple[float, float]) -> QAction:
        act = QAction(text, self.actions.host)
        if key is not None:
            act.setShortcut(QKeySequence(key))
        act.triggered.connect(lambda _c=False, p=preset: self.canvas.set_window(p))
        self.menu.addAction(act)
        if key is not None:
            self.actions.host.addAction(act)
        return act

    def refresh(self) -> None:
        """Rebuild the menu for the open film."""
        rg = self.workspace.radiograph
        self.menu.clear()
        presets = list(getattr(rg, "presets", []) or []) if rg is not None else []
        if rg is not None:
            self._add_extra_presets()
        if not presets:
            a = self.menu.addAction("No window presets in this film's header")
            a.setEnabled(False)
            return
        head = self.menu.addAction("From the film's header:")
        head.setEnabled(False)
        for i, preset in enumerate(presets[:9]):
            name = getattr(preset, "name", "") or f"Preset {i + 1}"
            self._add_keyed(f"{name}  (C {preset.center:g} / W {preset.width:g})", f"Ctrl+{i + 1}", preset)
        self.actions.note("View", "Header window preset 1…9", "Ctrl+1 … Ctrl+9")

    def _add_extra_presets(self) -> None:
        """Chest presets from the film's histogram, the user's own presets, and "save the current window"."""
        from gazex_viewer.core.imaging.window_presets import chest_presets

        head = self.menu.addAction("Chest (from this film's histogram):")
        head.setEnabled(False)
        self.chest_presets = chest_presets(self.workspace.radiograph)
        keys = ("Shift+1", "Shift+2", "Shift+3", "Shift+4")
        for key, preset in zip(keys, self.chest_presets):
            act = self._add_keyed(f"{preset.name}  (C {preset.center:.0f} / W {preset.width:.0f})", key, preset)
            act.setToolTip(preset.explanation or "")
        mine = self.user_presets()
        if mine:
            head = self.menu.addAction("Yours (this modality):")
            head.setEnabled(False)
            for name, (c, w) in mine.items():
                self._add_keyed(f"{name}  (C {c:g} / W {w:g})", None, (c, w))
        save = QAction("Save the current window as a preset…", self.actions.host)
        save.triggered.connect(lambda _c=False: self.save_user_preset())
        self.menu.addAction(save)
        self.menu.addSeparator()
        self.actions.note("View", "Chest window presets: lung, mediastinum, bone, soft tissue", "Shift+1 … Shift+4")

    def _preset_key(self) -> str:
        modality = (getattr(getattr(self.workspace.radiograph, "metadata", None), "modality", None) or "OT").upper()
        return f"view/presets/{''.join(ch for ch in modality if ch.isalnum()) or 'OT'}"

    def user_presets(self) -> dict[str, tuple[float, float]]:
        """The user's own window presets for the open film's modality (settings), name -> (centre, width)."""
        raw = S.settings().value(self._preset_key(), "")
        try:
            data = json.loads(str(raw)) if raw else {}
            return {str(k): (float(v[0]), float(v[1])) for k, v in data.items()}
        except (ValueError, TypeError, IndexError, AttributeError):
            return {}

    def save_user_preset(self, name: str | None = None) -> bool:
        """Save the current window under ``name`` (asked when None) for films of this modality."""
        window = self.canvas.window
        if window is None:
            return False
        if name is None:
            name, ok = QInputDialog.getText(self.actions.host, "Save window preset", "Name of this window preset:")
            if not ok:
                return False
        name = " ".join(str(name).split())[:40]
        if not name:
            return False
        presets = self.user_presets()
        presets[name] = (round(window[0], 3), round(window[1], 3))
        S.set_value(self._preset_key(), json.dumps(presets))
        self.refresh()
        return True

    def apply(self, index: int) -> None:
        """Apply the film's header window preset ``index`` (0-based)."""
        presets = list(getattr(self.workspace.radiograph, "presets", []) or [])
        if 0 <= index < len(presets):
            self.canvas.set_window(presets[index])

    def reset(self) -> None:
        """Back to the film's default display (its header VOI or window)."""
        self.canvas.set_window(None)
