"""The film area in the middle of the window: metadata strip, the film (or the "Open a film" page), player bar.

Owns :class:`FilmArea`, the window's central widget, and how its views follow the workspace and each other:

- the film canvas, its corner text and the metadata strip show the workspace's radiograph
  (``radiograph_changed``); a new film also resets the player and shows the film page;
- the player's clock drives the trajectory on the film and marks the playing finding in the shared selection;
- selecting a finding moves the player to its first key frame;
- the player bar's layer switches drive the film's layers.

The area can be lent out whole (:meth:`take`, :meth:`give_back`): compare mode puts it in the left half of a
splitter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.film.canvas import FilmCanvas
from gazex_viewer.ui.film.corners import FilmCorners
from gazex_viewer.ui.film.metadata import MetadataStrip
from gazex_viewer.ui.film.player import PlayerBar, PlayerController

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.core.reading.document import Reading
    from gazex_viewer.ui.selection import SelectionModel
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["FilmArea", "build_empty_page"]


def build_empty_page(
    open_file: Callable[[], None], open_folder: Callable[[], None], open_reading: Callable[[], None]
) -> QWidget:
    """The "Open a film" page shown while no film is open, with its three buttons."""
    page = QWidget()
    page.setObjectName("emptyPage")
    v = QVBoxLayout(page)
    v.addStretch(1)
    title = QLabel("Open a film")
    title.setObjectName("emptyTitle")
    title.setAlignment(Qt.AlignmentFlag.AlignCenter)
    v.addWidget(title)
    hint = QLabel(
        "Open a chest radiograph (DICOM, PNG or JPEG) or a folder of them: File > Open (Ctrl+O), "
        "Open folder (Ctrl+Shift+O), or drop files here.<br>Then run the model (F5) or open a saved "
        "reading (Ctrl+R). Press F1 for all shortcuts."
    )
    hint.setWordWrap(True)
    hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
    hint.setStyleSheet("color:#a9b6c2; font-size:11pt;")
    v.addWidget(hint)
    row = QHBoxLayout()
    row.addStretch(1)
    for text, slot in (
        ("Open file…", open_file),
        ("Open folder…", open_folder),
        ("Open saved reading…", open_reading),
    ):
        b = QPushButton(text)
        b.clicked.connect(lambda _checked=False, f=slot: f())
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        row.addWidget(b)
    row.addStretch(1)
    v.addLayout(row)
    v.addStretch(2)
    return page


class FilmArea(QWidget):
    """The central widget: :attr:`metadata_label`, :attr:`stack` (:attr:`empty_page` or :attr:`canvas`), :attr:`player_bar`.

    Parameters
    ----------
    selection
        The window's shared selection (the canvas draws and sets it; the player marks the playing finding).
    empty_page
        What the stack shows while no film is open.
    """

    def __init__(self, selection: SelectionModel, empty_page: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selection = selection
        self.controller = PlayerController(self)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self.metadata_label = MetadataStrip()
        self._layout.addWidget(self.metadata_label)
        self.stack = QStackedWidget()
        self.empty_page = empty_page
        self.stack.addWidget(empty_page)
        self.canvas = FilmCanvas(selection)
        self.corners = FilmCorners(self.canvas)
        self.corners.visible = S.get_bool("view/corners", True)
        self.stack.addWidget(self.canvas)
        self._layout.addWidget(self.stack, 1)
        self.player_bar = PlayerBar(self.controller)
        self._layout.addWidget(self.player_bar)
        self._replacement: QWidget | None = None
        self._hidden_overlays: tuple[dict[str, bool], bool] | None = None

    def observe(self, workspace: Workspace) -> None:
        """Follow ``workspace`` and link the views (called once the window's other views are built).

        A new radiograph resets the player and shows the film page before the canvas fits the film (so the fit
        is for the laid-out page), then the corners and the strip. The player's clock, the selection and the
        layer switches are linked after the report and review panels subscribed to the selection.
        """
        self._workspace = workspace
        self.controller.time_changed.connect(self.on_time_changed)
        self.selection.selection_changed.connect(self._seek_to_finding)
        self.player_bar.layers_changed.connect(self.on_layers_changed)
        workspace.radiograph_changed.connect(self._on_radiograph_changed)
        self.canvas.observe(workspace)
        self.corners.observe(workspace)
        self.metadata_label.observe(workspace)

    def _on_radiograph_changed(self, radiograph: Radiograph | None) -> None:
        self.controller.set_playback(TrajectoryPlayback([]))
        self._workspace.set_playback(self.controller.playback)
        self.player_bar.set_sentence_spans({})
        if radiograph is not None:
            self.stack.setCurrentWidget(self.canvas)
            self.metadata_label.show()
            self.player_bar.show()

    def restore_settings(self) -> None:
        """The layers and the player's speed, loop and trail as the user left them."""
        self.player_bar.set_layers(
            trajectory=S.get_bool("layers/trajectory", True),
            regions=S.get_bool("layers/regions", True),
            heatmap=S.get_bool("layers/heatmap", False),
            labels=S.get_bool("layers/labels", True),
        )
        self.controller.set_speed(S.get_float("player/speed", 1.0))
        self.controller.set_loop(S.get_bool("player/loop", False))
        self.controller.set_trail_length(S.get_int("player/trail", 6))
        self.on_layers_changed(self.player_bar.layers())

    def save_settings(self, s: QSettings) -> None:
        """Write the layers and the player's settings into ``s`` (the caller syncs)."""
        for k, val in self.player_bar.layers().items():
            s.setValue(f"layers/{k}", val)
        pb = self.controller.playback
        s.setValue("player/speed", pb.speed)
        s.setValue("player/loop", pb.loop)
        s.setValue("player/trail", pb.trail_length)

    def show_empty(self) -> None:
        """The "Open a film" page, without strip and player (no film open)."""
        self.stack.setCurrentWidget(self.empty_page)
        self.metadata_label.hide()
        self.player_bar.hide()

    # -- drawing a reading on the player's clock ----------------------------------------------------------
    def draw_reading(self, reading: Reading | None) -> None:
        """Draw ``reading`` over the film on the player's clock, with the player bar's layers."""
        self.canvas.set_reading(reading, self.controller.playback)
        self.on_layers_changed(self.player_bar.layers())
        self.on_time_changed(self.controller.playback.time)

    def on_layers_changed(self, layers: dict[str, bool]) -> None:
        """The player bar's layer switches (trajectory, regions, heatmap, labels) on the film."""
        self.canvas.set_layers(**layers)

    def on_time_changed(self, _t: float) -> None:
        """The player's clock moved: the trail on the film, and the playing finding in the selection."""
        pb = self.controller.playback
        self.canvas.set_trail_length(pb.trail_length)
        self.canvas.update_playback()
        self.selection.set_playing(pb.current_finding_id if len(pb) else None)

    def _seek_to_finding(self, finding_id: str | None) -> None:
        """Clicking a sentence or a region moves the player to that sentence's first key frame."""
        pb = self.controller.playback
        if finding_id is None or not len(pb) or pb.current_finding_id == finding_id:
            return
        span = pb.span_of(finding_id)
        if span is not None:
            self.controller.seek(span.t_start)

    # -- what is drawn over the film -----------------------------------------------------------------------
    def toggle_corners(self) -> None:
        """Film corners and orientation markers on or off (remembered)."""
        self.corners.set_visible(not self.corners.visible)
        S.set_value("view/corners", self.corners.visible)

    def toggle_all_overlays(self, others: Any = None) -> bool:
        """Hide every overlay (regions, trajectory, heatmap, labels, corners, ``others``) or show them again.

        ``others`` has ``set_visible(bool)`` (the model's answers). Returns True when they are now hidden.
        """
        if self._hidden_overlays is None:
            self._hidden_overlays = (self.player_bar.layers(), self.corners.visible)
            self.player_bar.set_layers(regions=False, trajectory=False, heatmap=False, labels=False)
            self.corners.set_visible(False)
            if others is not None:
                others.set_visible(False)
            return True
        layers, corners = self._hidden_overlays
        self._hidden_overlays = None
        self.player_bar.set_layers(**layers)
        self.corners.set_visible(corners)
        if others is not None:
            others.set_visible(True)
        return False

    def view_text(self) -> str:
        """The status line's zoom, window and inversion of the film ("" without a film)."""
        c = self.canvas
        if c.radiograph is None:
            return ""
        w = c.window
        name = c.window_name
        wl = (f"C {w[0]:.6g}  W {w[1]:.6g}" if w is not None else "default") + (f" ({name})" if name else "")
        inv = "   inverted" if c.inverted else ""
        return f"zoom {c.zoom() * 100:.0f}%   window {wl}{inv}"

    # -- lending the film out ------------------------------------------------------------------------------
    def take(self, replacement: QWidget) -> QWidget:
        """Put ``replacement`` where the stack is and return the stack (see ``Shell.take_film_area``)."""
        if self._replacement is not None:
            raise RuntimeError("the film area is already taken")
        self._layout.replaceWidget(self.stack, replacement)
        self._replacement = replacement
        return self.stack

    def give_back(self) -> None:
        """Put the stack back where :meth:`take` took it from; the replacement is hidden."""
        replacement, self._replacement = self._replacement, None
        if replacement is None:
            return
        holder = self.stack.parentWidget()
        lent_to = holder.layout() if holder is not None and holder is not self else None
        if lent_to is not None:
            lent_to.removeWidget(self.stack)
        self._layout.replaceWidget(replacement, self.stack)
        self.stack.show()
        replacement.hide()
