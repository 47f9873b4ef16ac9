"""The one observed model of the viewer: what is open, and in which mode (napari's ``ViewerModel``, in Qt).

A :class:`Workspace` owns the open radiograph, the reading shown over it, the review session (when the reading is
under review), the trajectory playback clock and the mode. Views and modes are handed the workspace (never the main
window), read its state from it and subscribe to its signals; whoever changes the state does so through its
setters, which emit only when the value really changes. There is one copy of each: nobody keeps the film or the
reading in a field of its own and pushes it to others.

Signals
-------
radiograph_changed(object)
    The open :class:`~gazex_viewer.core.imaging.radiograph.Radiograph`, or None when the film is closed.
reading_changed(object)
    The :class:`~gazex_viewer.core.reading.document.Reading` shown, or None.
review_changed(object)
    The :class:`~gazex_viewer.core.review.session.ReviewSession` of the reading, or None: emitted when a session
    starts or ends, and when it records an event (a decision, an undo, a sign-off).
mode_changed(str)
    One of :data:`MODES`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.core.reading.document import Reading
    from gazex_viewer.core.reading.playback import TrajectoryPlayback
    from gazex_viewer.core.review.session import ReviewSession

Mode = Literal["view", "review", "compare", "trainee"]
MODES: tuple[str, ...] = get_args(Mode)


class Workspace(QObject):
    """The open radiograph, reading, review session, playback clock and mode, with change signals."""

    radiograph_changed = Signal(object)
    reading_changed = Signal(object)
    review_changed = Signal(object)
    mode_changed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._radiograph: Radiograph | None = None
        self._reading: Reading | None = None
        self._session: ReviewSession | None = None
        self._playback: TrajectoryPlayback | None = None
        self._mode: Mode = "view"
        self._unsubscribe: object = None

    # -- state ----------------------------------------------------------------------------------------------
    @property
    def radiograph(self) -> Radiograph | None:
        return self._radiograph

    @property
    def reading(self) -> Reading | None:
        return self._reading

    @property
    def session(self) -> ReviewSession | None:
        return self._session

    @property
    def playback(self) -> TrajectoryPlayback | None:
        return self._playback

    @property
    def mode(self) -> Mode:
        return self._mode

    # -- changes --------------------------------------------------------------------------------------------
    def set_radiograph(self, radiograph: Radiograph | None) -> None:
        """Open ``radiograph`` (None closes the film); emits ``radiograph_changed`` when it is another object."""
        if radiograph is self._radiograph:
            return
        self._radiograph = radiograph
        self.radiograph_changed.emit(radiograph)

    def set_reading(self, reading: Reading | None) -> None:
        """Show ``reading`` (None clears it); emits ``reading_changed`` when it is another object."""
        if reading is self._reading:
            return
        self._reading = reading
        self.reading_changed.emit(reading)

    def set_session(self, session: ReviewSession | None) -> None:
        """Make ``session`` the review of the shown reading (None ends it); emits ``review_changed``."""
        if session is self._session:
            return
        self._session = session
        self.review_changed.emit(session)

    def notify_review_changed(self) -> None:
        """Tell observers that the current session recorded an event (its state changed in place)."""
        self.review_changed.emit(self._session)

    def set_playback(self, playback: TrajectoryPlayback | None) -> None:
        """The playback clock of the shown reading (no signal: the player owns its own time signal)."""
        self._playback = playback

    def set_mode(self, mode: Mode) -> None:
        """Switch to ``mode``; emits ``mode_changed`` when it differs."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
        if mode == self._mode:
            return
        self._mode = mode
        self.mode_changed.emit(mode)
