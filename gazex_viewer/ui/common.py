"""Small shared pieces of the views: finding colours and numbers, the shared selection model."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Finding, Reading

#: region / sentence colours, chosen to stay readable on a dark film
PALETTE: tuple[str, ...] = (
    "#4fc3f7",
    "#ffb74d",
    "#81c784",
    "#f06292",
    "#ba68c8",
    "#fff176",
    "#4db6ac",
    "#e57373",
    "#9575cd",
    "#aed581",
)
#: colour of pertinent negatives ("no pneumothorax"): nothing to hunt for on the film
NEGATIVE_COLOUR = "#9e9e9e"


@dataclass(frozen=True)
class FindingStyle:
    """How one finding is shown everywhere: its sentence number and colour."""

    number: int
    colour: str
    negative: bool


def finding_styles(reading: Reading | None) -> dict[str, FindingStyle]:
    """Sentence number (1-based, report order) and colour for every finding of a reading."""
    styles: dict[str, FindingStyle] = {}
    if reading is None:
        return styles
    order: list[Finding] = []
    seen: set[str] = set()
    for s in reading.sentences:
        f = reading.finding_for_sentence(s.id)
        if f is not None and f.id not in seen:
            order.append(f)
            seen.add(f.id)
    order += [f for f in reading.findings if f.id not in seen]
    colour_index = 0
    for number, f in enumerate(order, start=1):
        if f.is_pertinent_negative:
            colour = NEGATIVE_COLOUR
        else:
            colour = PALETTE[colour_index % len(PALETTE)]
            colour_index += 1
        styles[f.id] = FindingStyle(number, colour, f.is_pertinent_negative)
    return styles


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


def read_reading_file(
    path: str | os.PathLike[str], show_error: Callable[[str, str], None], title: str
) -> Reading | None:
    """Load and validate a reading JSON; on any failure show ``title`` with the file and the reason, return None.

    The same rules as ``validate`` and ``export`` (:func:`~gazex_viewer.core.reading.limits.load_reading_file`:
    regular files only, the size and field limits, Unicode text; the signature is checked when the review opens).
    """
    from gazex_viewer.core.reading.limits import load_reading_file

    try:
        return load_reading_file(Path(path))
    except GazeXError as err:
        show_error(title, str(err))
    except Exception as err:  # never a traceback to the user
        show_error(title, f"{path}: {err.__class__.__name__}: {err}")
    return None
