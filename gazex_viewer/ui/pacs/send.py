"""File > Send results to PACS: the reading's SR and PDF (Encapsulated PDF) stored in the film's study.

The archive is the one the film was retrieved from (File > Open from PACS… remembers it), else the
first saved server profile. A send the archive does not take is queued in the outbox and retried by
the next send or ``gazex-viewer batch``; the status bar says what was sent, where and when.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.pacs.profile import ServerProfile, load_profiles
from gazex_viewer.ui.services import Dialogs

if TYPE_CHECKING:
    from PySide6.QtWidgets import QStatusBar

    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.core.pacs.outbox import SendReport
    from gazex_viewer.core.reading.document import Reading

#: the server profile each retrieved film came from (its cache path -> the profile)
_ORIGIN: dict[str, ServerProfile] = {}


def remember_origin(path: str | os.PathLike[str], profile: ServerProfile) -> None:
    """Note that the film at ``path`` was retrieved from ``profile``'s archive."""
    _ORIGIN[str(Path(path).resolve())] = profile


def origin_of(film: Radiograph | str | os.PathLike[str]) -> ServerProfile | None:
    """The archive a film was retrieved from: a PACS source's own profile, else the one remembered for its
    retrieved file; None for a film from disk."""
    if isinstance(film, (str, os.PathLike)):
        return _ORIGIN.get(str(Path(film).resolve()))
    pacs = getattr(film.source, "pacs", None)
    profile = getattr(pacs, "profile", None)
    if isinstance(profile, ServerProfile):
        return profile
    return None if film.path is None else _ORIGIN.get(str(Path(film.path).resolve()))


class SendHost(Dialogs, Protocol):
    """What a send asks of the window: the film and reading shown, the review's session, the status bar."""

    @property
    def radiograph(self) -> Radiograph | None: ...

    @property
    def reading(self) -> Reading | None: ...

    @property
    def review(self) -> object: ...  # its ``session`` (when one is open) holds the reading under review

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 (Qt name)


def send_results(win: SendHost, reading: Reading | None = None) -> SendReport | None:
    """Send the reading under review (signed, or a DRAFT) to the PACS; None when nothing could be sent."""
    from gazex_viewer.core.pacs.dicomweb import DicomWebPacs
    from gazex_viewer.core.pacs.documents import result_documents
    from gazex_viewer.core.pacs.outbox import Outbox

    if reading is None:
        session = getattr(win.review, "session", None)
        reading = session.reading if session is not None else win.reading
    rg = win.radiograph
    if reading is None or rg is None:
        win.show_error("Nothing to send", "Open a film from the PACS and its reading (or run the model) first.")
        return None
    try:
        profile = origin_of(rg)
        if profile is None:
            saved = [p for p in load_profiles() if p.url]
            if not saved:
                raise GazeXError(rg.name, "was not opened from a PACS and no server profile is saved")
            profile = saved[0]
        pacs = DicomWebPacs(profile)
        docs = result_documents(reading, rg)
        outbox = Outbox()
        report = outbox.send(pacs, docs.datasets)
        delivered = outbox.retry(pacs).sent
    except GazeXError as err:
        win.show_error("Cannot send the results to the PACS", str(err))
        return None
    state = "signed" if docs.signed else "DRAFT"
    message = f"{state} SR and PDF: {report.summary()} to {profile.where} at {datetime.now():%H:%M:%S}"
    if delivered:
        message += f"; {len(delivered)} earlier sends delivered"
    win.statusBar().showMessage(message, 15000)
    if report.queued:
        win.show_error("Results queued for the PACS", message)
    return report
