"""The one selection shared by the film, the report, the review list and the modes (napari-style model with events).

Owns :class:`SelectionModel`: which finding is selected, hovered and playing. Views subscribe to its signals; no
view keeps a selection of its own.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class SelectionModel(QObject):
    """The one selection shared by the film and the report (napari-style model with events).

    ``selected`` is the finding the user chose (click on a sentence or a region), ``hovered`` the
    finding under the mouse on either side, ``playing`` the finding whose key frames the player shows.
    """

    selection_changed = Signal(object)
    hover_changed = Signal(object)
    playing_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._selected: str | None = None
        self._hovered: str | None = None
        self._playing: str | None = None

    @property
    def selected(self) -> str | None:
        return self._selected

    @property
    def hovered(self) -> str | None:
        return self._hovered

    @property
    def playing(self) -> str | None:
        return self._playing

    def select(self, finding_id: str | None) -> None:
        """Make ``finding_id`` the selected finding (None clears)."""
        if finding_id != self._selected:
            self._selected = finding_id
            self.selection_changed.emit(finding_id)

    def hover(self, finding_id: str | None) -> None:
        if finding_id != self._hovered:
            self._hovered = finding_id
            self.hover_changed.emit(finding_id)

    def set_playing(self, finding_id: str | None) -> None:
        if finding_id != self._playing:
            self._playing = finding_id
            self.playing_changed.emit(finding_id)

    def clear(self) -> None:
        """Forget everything (a new film or reading)."""
        self.select(None)
        self.hover(None)
        self.set_playing(None)
