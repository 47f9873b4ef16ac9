"""The PA + lateral hanging: the frontal film of a study on the left, its lateral film on the right.

Owns :class:`PaLateralHanging` (View > Hanging > PA + lateral, Ctrl+Shift+H, and two films of one study
opened together). The frontal film is the workspace's radiograph: the reading, the overlays, the player, the
presets and the review belong to it (GazeX reads frontal films). The lateral film is shown beside it on a
second canvas with its own corner text and orientation markers; window/level is per film (each film starts
with its own header window; right-drag on a film changes that film's window; View > Window presets act on the
frontal film). The film area is lent through the shell (``take_film_area`` / ``restore_film_area``) the way
compare's side by side lends it; closing the hanging, or opening another film, returns to one film. Which films
hang together is :func:`gazex_viewer.core.imaging.hanging.pa_lateral_order`.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMenu,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.imaging.hanging import pa_lateral_order
from gazex_viewer.ui.film.canvas import FilmCanvas
from gazex_viewer.ui.film.corners import FilmCorners
from gazex_viewer.ui.selection import SelectionModel

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.ui.actions import ActionRegistry
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["PaLateralHanging"]


def _load(path: Path) -> Radiograph:
    from gazex_viewer.core.imaging.files import load_radiograph

    return load_radiograph(path)


def _title(kind: str, radiograph: Radiograph) -> str:
    view = radiograph.metadata.view_position or "?"
    return f"<b>{kind}</b> {html.escape(view)} &nbsp;<span style='color:#a9b6c2'>{html.escape(radiograph.name)}</span>"


class PaLateralHanging(QObject):
    """Frontal film left, lateral film right, while both films of one study are open.

    Parameters
    ----------
    workspace : the frontal film is its radiograph; another film there closes the hanging.
    actions : View > Hanging > PA + lateral (Ctrl+Shift+H) is added to ``menu`` through it.
    shell : status line, errors, file dialogs' parent and the film area it lends (``take_film_area``).
    corners : the frontal film's corners; the lateral film's corners are shown or hidden with them.
    open_film : opens a film into the workspace (:meth:`~gazex_viewer.ui.shell.documents.Documents.open_image`).
    menu : the View menu (None: the action is only a key).
    load : reads a film without opening it (tests may pass their own).

    Signals
    -------
    changed(bool) : the hanging was opened (True) or closed (False).
    """

    changed = Signal(bool)

    def __init__(
        self,
        workspace: Workspace,
        actions: ActionRegistry,
        shell: Shell,
        corners: FilmCorners,
        open_film: Callable[[Path], bool],
        menu: QMenu | None = None,
        *,
        load: Callable[[Path], Radiograph] = _load,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace, self.shell, self.frontal_corners = workspace, shell, corners
        self._open_film, self._load = open_film, load
        self.frontal: Radiograph | None = None
        self.lateral: Radiograph | None = None
        self.split: QSplitter | None = None
        self.lateral_canvas: FilmCanvas | None = None
        self.lateral_corners: FilmCorners | None = None
        self.frontal_title = QLabel()
        self.lateral_title = QLabel()
        self._left: QVBoxLayout | None = None
        sub = menu.addMenu("&Hanging") if menu is not None else None
        self.action = actions.add(
            sub, "View", "&PA + lateral (frontal left)…", "Ctrl+Shift+H", self._on_action, name="PA + lateral"
        )
        self.action.setToolTip("Hang the lateral film of this study beside the frontal one; again: one film")
        workspace.radiograph_changed.connect(self._on_radiograph_changed)
        corners.visibility_changed.connect(self._follow_corners)

    @property
    def active(self) -> bool:
        return self.lateral is not None

    # -- what the user does ------------------------------------------------------------------------------
    def _on_action(self) -> None:
        """View > Hanging > PA + lateral: close the hanging, or choose the study's other film and hang both."""
        if self.active:
            self.close()
            return
        rg = self.workspace.radiograph
        if rg is None:
            self.shell.show_status("Open the frontal (or lateral) film of a study first", 6000)
            return
        start = str(Path(rg.path).parent) if rg.path is not None else ""
        path, _ = QFileDialog.getOpenFileName(
            self.shell.dialog_parent(), "The other film of this study (PA + lateral)", start, "DICOM (*.dcm *.dicom);;All files (*)"
        )
        if path:
            self.hang_with(path)

    def hang_with(self, path: str | os.PathLike[str]) -> bool:
        """Hang the film at ``path`` with the open one: whichever is frontal goes left (and holds the reading)."""
        rg = self.workspace.radiograph
        if rg is None:
            self.shell.show_status("Open the frontal (or lateral) film of a study first", 6000)
            return False
        other = self._read(Path(path))
        if other is None:
            return False
        order = pa_lateral_order(rg.metadata, other.metadata, (rg.name, other.name))
        if not order.ok:
            self.shell.show_status(order.refused[0].upper() + order.refused[1:], 10000)
            return False
        if order.frontal == 0:
            return self.hang(other)
        # the open film is the lateral: the frontal becomes the workspace's film (the reading is made on it)
        return self._open_film(Path(path)) and self.hang(rg)

    def open_pair(self, paths: Sequence[str | os.PathLike[str]]) -> bool:
        """Open two films together (File > Open with two selected, two dropped): one study's PA and lateral are
        hung, frontal left; any other pair opens the first film alone and says why in the status line."""
        first, second = (Path(p) for p in paths)
        films = [self._read(first), self._read(second)]
        a, b = films
        if a is None or b is None:
            return a is not None and self._open_film(first)
        order = pa_lateral_order(a.metadata, b.metadata, (a.name, b.name))
        if not order.ok:
            ok = self._open_film(first)
            self.shell.show_status(order.refused[0].upper() + order.refused[1:], 10000)
            return ok
        frontal_path = (first, second)[order.frontal]
        if not self._open_film(frontal_path):
            return False
        lateral = films[order.lateral]
        assert lateral is not None
        return self.hang(lateral)

    def _read(self, path: Path) -> Radiograph | None:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return self._load(path)
        except Exception as err:  # noqa: BLE001 (a GazeXError names the file; anything else: never a crash)
            text = str(err) if isinstance(err, GazeXError) else f"{path}: {err.__class__.__name__}: {err}"
            self.shell.show_error("Cannot open film", text)
            return None
        finally:
            QApplication.restoreOverrideCursor()

    # -- the layout ----------------------------------------------------------------------------------------
    def hang(self, lateral: Radiograph) -> bool:
        """Show ``lateral`` to the right of the workspace's (frontal) film; refused, with a status line, when
        they are not the PA and lateral of one study."""
        frontal = self.workspace.radiograph
        if frontal is None:
            self.shell.show_status("Open the frontal film first", 6000)
            return False
        order = pa_lateral_order(frontal.metadata, lateral.metadata, (frontal.name, lateral.name))
        if not order.ok or order.frontal != 0:
            why = order.refused or f"not hung: {frontal.name} is the lateral film; open the frontal film first"
            self.shell.show_status(why[0].upper() + why[1:], 10000)
            return False
        if self.split is None:
            self._build()
        assert self.split is not None and self._left is not None
        if not self.active:
            try:
                film_area = self.shell.take_film_area(self.split)
            except RuntimeError:
                self.shell.show_status("The film area is in use (side-by-side comparison): end it first", 8000)
                return False
            self._left.addWidget(film_area, 1)
            self.split.show()
        self.frontal, self.lateral = frontal, lateral
        canvas, corners = self.lateral_canvas, self.lateral_corners
        assert canvas is not None and corners is not None
        canvas.set_radiograph(lateral)
        corners.visible = self.frontal_corners.visible
        corners.set_radiograph(lateral)
        self.frontal_title.setText(_title("Frontal", frontal))
        self.lateral_title.setText(_title("Lateral", lateral))
        QApplication.processEvents()  # lay the halves out before fitting
        total = max(2, self.split.width())
        self.split.setSizes([total // 2, total - total // 2])
        QApplication.processEvents()
        self.shell.canvas.fit()
        canvas.fit()
        self.action.setText("Close &PA + lateral hanging")
        self.shell.show_status(
            f"PA + lateral: {frontal.name} (frontal, left; the reading is on it) | {lateral.name} (lateral, right)", 8000
        )
        self.changed.emit(True)
        return True

    def _build(self) -> None:
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.setObjectName("hangingSplit")
        self.split.setChildrenCollapsible(False)
        self.lateral_canvas = FilmCanvas(SelectionModel(self))
        self.lateral_canvas.setObjectName("lateralCanvas")
        self.lateral_corners = FilmCorners(self.lateral_canvas)
        for title, half in ((self.frontal_title, 0), (self.lateral_title, 1)):
            box = QWidget()
            v = QVBoxLayout(box)
            v.setContentsMargins(0, 0, 0, 0)
            v.setSpacing(0)
            title.setObjectName("metadataStrip")
            title.setTextFormat(Qt.TextFormat.RichText)
            v.addWidget(title)
            if half == 0:
                self._left = v
            else:
                v.addWidget(self.lateral_canvas, 1)
            self.split.addWidget(box)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 1)

    def close(self) -> None:
        """Back to one film: the frontal film alone, where it was."""
        if not self.active:
            return
        self.lateral = self.frontal = None
        self.shell.restore_film_area()
        if self.lateral_canvas is not None:
            self.lateral_canvas.clear_film()
        if self.lateral_corners is not None:
            self.lateral_corners.set_radiograph(None)
        self.shell.canvas.fit()
        self.action.setText("&PA + lateral (frontal left)…")
        self.changed.emit(False)

    def _on_radiograph_changed(self, radiograph: Radiograph | None) -> None:
        if self.active and radiograph is not self.frontal:
            self.close()  # another film was opened: the hanging no longer applies

    def _follow_corners(self, visible: bool) -> None:
        if self.lateral_corners is not None:
            self.lateral_corners.set_visible(visible)
