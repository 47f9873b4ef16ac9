"""What a review window shares with the department's other stations: live refresh, claims, countersigning.

:class:`SharedReview` belongs to the :class:`~gazex_viewer.ui.review.controller.ReviewController` and works over its
review database (SQLite or PostgreSQL, through the ``ReviewStore`` seam only):

- **live refresh**: a :class:`~gazex_viewer.ui.review.live.StoreWatcher` reports the readings other stations
  changed; the open review reloads (:func:`~gazex_viewer.ui.review.live.refresh_if_changed`) and the panel, film
  and report redraw, within a second of the other station's decision or sign-off;
- **the claim**: opening a study for review claims it (:class:`~gazex_viewer.ui.review.claims.StudyClaim`);
  when another reviewer holds it the user is told who and since when, and may open it read-only; the claim is
  given back when the review closes or another reading replaces it;
- **the connection**: when the database cannot be reached the Review tab says so; decisions made meanwhile stay
  on screen marked NOT YET SAVED (the session keeps them) and are sent, in order, as soon as it answers again;
- **countersigning** (Review > Countersign report (attending)…, :data:`~gazex_viewer.ui.review.countersign.SHORTCUT`):
  :func:`~gazex_viewer.ui.review.countersign.countersign_review` on the open, signed review.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject

from gazex_viewer.ui.review.claims import StudyClaim
from gazex_viewer.ui.review.countersign import countersign_review, countersigned_text
from gazex_viewer.ui.review.live import StoreWatcher, refresh_if_changed

if TYPE_CHECKING:
    from gazex_viewer.core.reading.document import SignOff
    from gazex_viewer.core.review.session import ReviewSession
    from gazex_viewer.core.review.store import ReviewStore
    from gazex_viewer.ui.review.panel import ReviewPanel
    from gazex_viewer.ui.review.views import FilmReview
    from gazex_viewer.ui.services import Shell

log = logging.getLogger(__name__)

CLAIMED_TITLE = "Study being read"


class ReviewHost(Protocol):
    """What :class:`SharedReview` uses of the review controller that owns it (the controller implements it; naming
    the controller class here would make the two modules import each other)."""

    panel: ReviewPanel
    shell: Shell
    film_view: FilmReview
    store: ReviewStore | None
    store_message: str | None

    @property
    def session(self) -> ReviewSession | None: ...

    def refresh_views(self) -> None: ...


class SharedReview(QObject):
    """Live refresh, the study claim, the connection state and countersigning of one review window."""

    def __init__(self, controller: ReviewHost, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        store = controller.store
        self.watcher = None if store is None else StoreWatcher(store, self)
        self.claim = None if store is None else StudyClaim(store, self)
        #: the last "cannot reach the review database" message, while it stands
        self.connection_problem: str | None = None
        if self.watcher is not None:
            self.watcher.changed.connect(self._on_changed)
            self.watcher.lost.connect(self._on_lost)
            self.watcher.restored.connect(self._on_restored)
            self.watcher.start()

    # -- the claim -------------------------------------------------------------------------------------------
    def opened(self, session: ReviewSession) -> None:
        """A review was opened: claim its study, or (held by someone else) offer to open it read-only."""
        if self.claim is None:
            return
        if session.read_only:
            self.claim.release()
            return
        other = self.claim.take(session.reading_id, session.reviewer)
        if other is None:
            return
        c = self.controller
        if c.shell.ask_yes_no(CLAIMED_TITLE, f"This study is {other.describe()}.\n\nOpen it read-only? (No: review "
                              "it as well; if you both decide the same finding, the second decision is refused "
                              "and shows the first.)"):
            session.read_only_reason = other.describe()

    def session_set(self, session: ReviewSession | None) -> None:
        """The review under way changed (None: none): a claim on another study is given back."""
        if self.claim is None or self.claim.held is None:
            return
        if session is None or session.read_only or self.claim.held[0] != session.reading_id:
            self.claim.release()
            if session is not None and not session.read_only:  # a new version of the study: claimed in turn
                self.opened(session)

    def close(self) -> None:
        """Stop watching and give back the claim (before the database closes)."""
        if self.watcher is not None:
            self.watcher.stop()
        if self.claim is not None:
            self.claim.release()

    # -- live refresh and the connection -----------------------------------------------------------------------
    def _on_changed(self, reading_ids: Sequence[str] | None) -> None:
        c = self.controller
        s = c.session
        if s is None or c.panel.editing is not None or c.panel.adding:
            return  # never under the reviewer's hands: their next change is refused if it collides, and reloads
        if refresh_if_changed(s, reading_ids):
            p = c.panel
            if not p.impression_edit.hasFocus():
                p.impression_edit.setPlainText(s.review.impression or "")
            p.refresh()
            c.film_view.redraw()
            c.refresh_views()
            last = s.review.events[-1] if s.review.events else None
            if last is not None:
                c.shell.show_status(f"Updated: {last.reviewer} changed this review at another station", 6000)

    def _on_lost(self, why: str) -> None:
        self.connection_problem = why
        self.controller.panel.set_store_warning(
            f"The review database cannot be reached ({why}). Decisions you make now are kept on screen, NOT YET "
            "SAVED, and sent in order when it answers again; do not close the viewer")

    def _on_restored(self) -> None:
        self.connection_problem = None
        c = self.controller
        c.panel.set_store_warning(c.store_message)
        s = c.session
        if s is not None and s.unsaved:
            c.panel._retry_unsaved()
        c.shell.show_status("The review database answers again", 6000)

    # -- countersigning --------------------------------------------------------------------------------------
    def countersign(self) -> SignOff | None:
        """Countersign the open, signed review as the reviewer (the attending)."""
        c = self.controller
        s = c.session
        if s is None:
            c.shell.show_status("No reading under review", 5000)
            return None
        cs = countersign_review(s, s.reviewer, confirm=c.shell.ask_yes_no, ask_passphrase=c.panel.ask_passphrase,
                                show_error=c.shell.show_error)
        c.panel.focus_list()
        if cs is None:
            return None
        c.panel.refresh()
        c.refresh_views()
        c.shell.show_status(countersigned_text(cs), 8000)
        return cs
