"""What a mode may ask of the window it runs in: dialogs, the status line, the title, tabs, the film area.

Owns the two Protocols a mode (review, compare, trainee) is handed in place of the main window:

- :class:`Dialogs`: tell the user something failed, ask yes/no, ask for a line of text. Tests replace these
  three methods to answer without a modal dialog.
- :class:`Shell`: :class:`Dialogs` plus the window's status line and title, its side tabs (docks), its film
  area (which compare mode splits in two), and the film views every mode draws on (canvas, player, player
  bar, selection).

A mode is built as ``Mode(workspace, actions, shell)``:

- ``workspace`` (:class:`~gazex_viewer.ui.workspace.Workspace`) is the state: the open radiograph, the
  reading, the review session, the playback clock and the mode, with ``*_changed`` signals. Read state from it
  and subscribe to it; never keep a copy of the film or the reading.
- ``actions`` (:class:`~gazex_viewer.ui.actions.ActionRegistry`) builds the mode's menu entries and keys and
  finds the window's by name.
- ``shell`` (:class:`Shell`, below) is everything else the mode may legitimately do to the window.

:class:`~gazex_viewer.ui.shell.main_window.MainWindow` implements :class:`Shell` (checked by a test); a mode
must not reach past it (no ``window.report_panel``, no private ``_`` members).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget, QWidget

    from gazex_viewer.core.reading.document import Reading
    from gazex_viewer.ui.film.canvas import FilmCanvas
    from gazex_viewer.ui.film.player import PlayerBar, PlayerController
    from gazex_viewer.ui.selection import SelectionModel

__all__ = ["Dialogs", "Shell"]


@runtime_checkable
class Dialogs(Protocol):
    """Modal questions and errors, parented on the window (tests monkeypatch these three)."""

    def show_error(self, title: str, message: str) -> None:
        """Tell the user something failed (also put in the status line); the open film and reading stay."""
        ...

    def ask_yes_no(self, title: str, message: str) -> bool:
        """Ask a question; True for Yes."""
        ...

    def ask_text(self, title: str, label: str, default: str = "") -> str | None:
        """Ask for one line of text; None when cancelled."""
        ...


@runtime_checkable
class Shell(Dialogs, Protocol):
    """The window as a mode sees it.

    Attributes (read-only for a mode)
    ---------------------------------
    canvas : FilmCanvas
        The film (pyqtgraph view); a mode may add items to ``canvas.vb`` and call its drawing setters.
    controller : PlayerController
        The trajectory player (its ``time_changed`` signal, ``pause``, ``seek``, ``set_playback``).
    player_bar : PlayerBar
        The player's controls and the layer switches (``layers()``, ``layers_changed``).
    selection : SelectionModel
        The selected / hovered / playing finding, shared by every view.
    report_dock : QDockWidget
        The Report tab; a mode's tab goes beside it (:meth:`add_tab`).
    reading_path : Path | None
        The file the shown reading was opened from (None: made by the model or a mode).
    """

    @property
    def canvas(self) -> FilmCanvas: ...

    @property
    def controller(self) -> PlayerController: ...

    @property
    def player_bar(self) -> PlayerBar: ...

    @property
    def selection(self) -> SelectionModel: ...

    @property
    def report_dock(self) -> QDockWidget: ...

    @property
    def reading_path(self) -> Path | None: ...

    # -- the window ------------------------------------------------------------------------------------------
    def dialog_parent(self) -> QWidget:
        """The widget to parent a mode's own dialogs and file choosers on (the main window)."""
        ...

    def style_sheet(self) -> str:
        """The window's style sheet, for a mode's own top-level dialogs (``dialog.setStyleSheet(...)``)."""
        ...

    def show_status(self, message: str, msecs: int = 0) -> None:
        """Show ``message`` in the status line for ``msecs`` ms (0: until replaced)."""
        ...

    def clear_status(self) -> None:
        """Remove the status line's temporary message."""
        ...

    def set_title(self, title: str) -> None:
        """Set the window title ("name — GazeX Viewer"; :data:`~gazex_viewer.ui.style.APP_TITLE`)."""
        ...

    # -- tabs (docks) ----------------------------------------------------------------------------------------
    def add_tab(self, dock: QDockWidget, *, beside_report: bool = True) -> None:
        """Put ``dock`` in the right-hand area; with ``beside_report`` as a tab beside the Report tab."""
        ...

    def remove_tab(self, dock: QDockWidget) -> None:
        """Take ``dock`` out of the window (the caller deletes or keeps it)."""
        ...

    def side_docks(self) -> list[QDockWidget]:
        """Every dock of the window (Report, Review, Compare, Trainee... as built so far)."""
        ...

    def raise_report(self) -> None:
        """Bring the Report tab to the front."""
        ...

    # -- the film area ---------------------------------------------------------------------------------------
    def take_film_area(self, replacement: QWidget) -> QWidget:
        """Put ``replacement`` where the film area (film or empty page) is, and hand the film area over.

        The caller places the returned widget inside ``replacement`` (compare's left half). Call
        :meth:`restore_film_area` to put it back; a second call before that raises RuntimeError.
        """
        ...

    def restore_film_area(self) -> None:
        """Put the film area back where :meth:`take_film_area` took it from (no-op when it was not taken).

        The replacement is hidden and stays the caller's.
        """
        ...

    # -- readings --------------------------------------------------------------------------------------------
    def show_reading(self, reading: Reading, *, source: Path | None = None) -> bool:
        """Show ``reading`` over the open film (asking first when it was made on another image); True if shown.

        It becomes ``workspace.reading``; the views and the review follow through the workspace's signals.
        """
        ...

    def restore_reading(self, reading: Reading | None) -> None:
        """Show exactly ``reading`` with its own review again (leaving trainee or compare mode); None: no reading."""
        ...
