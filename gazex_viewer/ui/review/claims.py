"""The claim on the study under review: "being read by Dr X since 10:42", for everyone else.

:class:`StudyClaim` claims the reading a reviewer opens for review (``ReviewStore.claim``), renews the claim every
:data:`RENEW_MS` while it stays open (a SQLite claim lasts ten minutes unless renewed; a PostgreSQL claim lasts
as long as the station's connection) and releases it when the review closes or another reading replaces it.
When someone else holds the study, :meth:`StudyClaim.take` returns their claim instead: the review then opens
read-only, saying who reads it and since when (the controller asks whether to open it so).
A store that refuses the claim (a read-only database role) claims nothing: that session is read-only anyway.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel

from gazex_viewer.core.errors import GazeXError

if TYPE_CHECKING:
    from gazex_viewer.core.review.store import ReviewStore
    from gazex_viewer.core.review.store_records import Claim

log = logging.getLogger(__name__)

#: how often a held claim is renewed (ms): well inside the SQLite store's ten-minute timeout
RENEW_MS = 60_000


class StudyClaim(QObject):
    """The one claim a review window holds (see the module docstring)."""

    def __init__(self, store: ReviewStore, parent: QObject | None = None, *, renew_ms: int = RENEW_MS) -> None:
        super().__init__(parent)
        self.store = store
        #: (reading id, holder) of the claim this window holds, or None
        self.held: tuple[str, str] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(renew_ms)
        self._timer.timeout.connect(self.renew)

    def take(self, reading_id: str, holder: str) -> Claim | None:
        """Claim ``reading_id`` for ``holder`` (giving back the claim held before); someone else's claim, or None.

        None means this window holds the study now (or the store would not let anyone claim it here).
        """
        if self.held is not None and self.held != (reading_id, holder.strip()):
            self.release()
        try:
            claim = self.store.claim(reading_id, holder)
        except GazeXError as err:
            log.info("review %s: not claimed: %s", reading_id, err)
            return None
        if claim.holder != holder.strip():
            return claim
        self.held = (reading_id, claim.holder)
        self._timer.start()
        return None

    def renew(self) -> None:
        """Claim the held study again (the timer does this); a failure is left to the claim's timeout."""
        if self.held is None:
            return
        try:
            self.store.claim(*self.held)
        except GazeXError as err:
            log.warning("review %s: claim not renewed: %s", self.held[0], err)

    def release(self) -> None:
        """Give back the held claim (nothing when none is held)."""
        self._timer.stop()
        held, self.held = self.held, None
        if held is None:
            return
        try:
            self.store.release(*held)
        except GazeXError as err:
            log.warning("review %s: claim not released (it times out): %s", held[0], err)


def claim_banner_html(claim: Claim) -> str:
    """The Review tab's line for a study someone else reads: who, since when, and that it is open read-only."""
    import html

    text = claim.describe()
    return (f"<b>{html.escape(text[:1].upper() + text[1:])}</b>: opened read-only here, so nothing you do "
            "can collide with their review.")


def read_only_html(reason: str) -> str:
    """The Review tab's banner of a review open read-only: why, and what can still be done."""
    import html

    return (f"<b>Read-only</b>: {html.escape(reason)}. Nothing can be decided or signed here; the review updates "
            "by itself when it changes.")


def read_only_banner() -> QLabel:
    """The (hidden) label the review panel shows :func:`read_only_html` in."""
    label = QLabel()
    label.setObjectName("readOnlyBanner")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setStyleSheet("background:#3b3350; color:#e0d6ff; border:1px solid #7a68b0; border-radius:4px; padding:6px;")
    label.hide()
    return label
