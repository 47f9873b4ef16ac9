"""Results back to the PACS on sign-off: the SR (TID 1500) and the PDF go into the film's study by themselves.

When the film under review was retrieved from a PACS (File > Open from PACS… remembers its archive,
see :func:`gazex_viewer.ui.pacs.send.origin_of`), signing the report builds its SR and Encapsulated
PDF on the UI thread (the exporters' checks apply) and stores them through the outbox on a worker
thread. An instance the archive does not take is queued and retried every ``retry_interval_ms``
until it is delivered. The review panel says what happened in one line under the sign-off banner:
"SR and PDF sent to <server> at 10:42" or "queued: <reason>, retrying".

With the ``pacs/send_drafts`` setting on (off by default), an AI draft shown over a film from a PACS
is stored too, once, as a DRAFT SR and PDF when it first appears (a draft read back from the PACS is not
sent again).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import (
    QObject,
    QRunnable,
    QThreadPool,
    QTimer,
    Signal,
    SignalInstance,
)
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.pacs.send import origin_of

#: QSettings key: also send AI drafts (not only signed reports) of films from a PACS
SEND_DRAFTS_KEY = "pacs/send_drafts"

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from gazex_viewer.core.pacs.outbox import SendReport
    from gazex_viewer.core.pacs.profile import ServerProfile
    from gazex_viewer.core.reading.document import Reading
    from gazex_viewer.ui.workspace import Workspace


class PacsJob(QRunnable):
    """One network call on the thread pool; its outcome comes back through ``done`` (a queued signal)."""

    def __init__(self, work: Callable[[], object], done: SignalInstance) -> None:
        super().__init__()
        self.work = work
        self.done = done

    def run(self) -> None:
        try:
            result: object = self.work()
        except GazeXError as err:
            result = err
        except Exception as err:  # noqa: BLE001 - a worker must not die silently: the panel says it
            result = GazeXError(None, f"unexpected error while sending ({type(err).__name__}: {err})")
        self.done.emit(result)


class PacsResults(QObject):
    """Sends a signed reading's SR and PDF to the archive its film came from; shows the outcome in the panel."""

    #: the outcome of a send or retry (a SendReport, or a GazeXError), delivered on the UI thread
    finished = Signal(object)
    #: the one line shown in the review panel, each time it changes
    status_changed = Signal(str)

    def __init__(self, win: Workspace, panel: QWidget, *, retry_interval_ms: int = 60_000) -> None:
        super().__init__(panel)
        self.win = win
        self.panel = panel
        #: its own pool: sends never wait behind other background work (and threads start in the caller's context)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.busy = False
        self.profile: ServerProfile | None = None
        self.last_report: SendReport | None = None
        self._what = "SR and PDF"
        #: the reading whose send the label describes (another reading on screen hides the line)
        self.reading_id: str | None = None
        #: drafts already sent (or tried) in this window: each goes once
        self._drafts_seen: set[str] = set()
        self.label = QLabel()
        self.label.setObjectName("pacsResults")
        self.label.setWordWrap(True)
        self.label.hide()
        layout = panel.layout()
        if isinstance(layout, QVBoxLayout):
            anchor = getattr(panel, "signoff_label", None)
            index = layout.indexOf(anchor) + 1 if anchor is not None else layout.count()
            layout.insertWidget(index, self.label)
        self.retry_timer = QTimer(self)
        self.retry_timer.setSingleShot(True)
        self.retry_timer.setInterval(retry_interval_ms)
        self.retry_timer.timeout.connect(self.retry)
        self.finished.connect(self._on_finished)
        signal = getattr(panel, "signed_off", None)
        if signal is not None:
            signal.connect(self.on_signed)
        changed = getattr(panel, "review_changed", None)
        if changed is not None:
            changed.connect(self._on_review_changed)

    def _on_review_changed(self) -> None:
        session = getattr(self.panel, "session", None)
        shown = session.reading.reading_id if session is not None else None
        if session is not None and shown not in self._drafts_seen:
            self._drafts_seen.add(str(shown))
            self._maybe_send_draft(session.reading)
        self.label.setVisible(bool(self.label.text()) and shown is not None and shown == self.reading_id)

    # -- what the panel shows ------------------------------------------------------------------
    def _show(self, text: str, *, problem: bool = False) -> None:
        self.label.setText(text)
        self.label.setStyleSheet("color: #d68910;" if problem else "color: #27ae60;")
        self._on_review_changed()
        self.status_changed.emit(text)

    # -- sending -------------------------------------------------------------------------------
    def film_profile(self) -> ServerProfile | None:
        """The archive the open film was retrieved from; None for a film from disk."""
        rg = getattr(self.win, "radiograph", None)
        return origin_of(rg) if rg is not None else None

    def on_signed(self, reading: Reading) -> bool:
        """Sign-off completed: send its SR and PDF when the film came from a PACS. False when nothing is sent."""
        profile = self.film_profile()
        if profile is None or not profile.url:
            return False
        return self.send(reading, profile)

    def _maybe_send_draft(self, reading: Reading) -> bool:
        """A new AI draft over a film from a PACS: send it when the setting asks for it."""
        if not S.get_bool(SEND_DRAFTS_KEY, False) or reading.producer.kind != "model":
            return False
        if reading.producer.backend == "pacs-sr" or (reading.review is not None and reading.review.signoff):
            return False  # read back from the PACS, or already signed
        return self.on_signed(reading)

    def send(self, reading: Reading, profile: ServerProfile) -> bool:
        """Build the documents here (the exporters' checks), store them on a worker thread."""
        from gazex_viewer.core.pacs.documents import result_documents

        rg = self.win.radiograph
        if rg is None:  # sends follow a film from a PACS (film_profile); the film may have been closed since
            self._show("not sent to the PACS: no film is open", problem=True)
            return False
        try:
            docs = result_documents(reading, rg)
        except GazeXError as err:
            self._show(f"not sent to the PACS: {err}", problem=True)
            return False
        self._what = "SR and PDF" if docs.pdf is not None else "SR"
        if not docs.signed:
            self._what = f"DRAFT {self._what}"
        self.profile = profile
        self.reading_id = reading.reading_id
        self._show(f"sending {self._what} to {profile.where}…")
        self._start(lambda: self._send_work(profile, docs.datasets))
        return True

    def _start(self, work: Callable[[], object]) -> None:
        self.busy = True
        self.pool.start(PacsJob(work, self.finished))

    @staticmethod
    def _send_work(profile: ServerProfile, datasets: Sequence[Dataset]) -> SendReport:
        from gazex_viewer.core.pacs.dicomweb import DicomWebPacs
        from gazex_viewer.core.pacs.outbox import Outbox

        pacs = DicomWebPacs(profile)
        outbox = Outbox()
        report = outbox.send(pacs, datasets)
        if not report.queued:  # the archive takes things again: deliver what waited for it
            earlier = outbox.retry(pacs)
            report.queued += earlier.queued
            report.problems += earlier.problems
        return report

    @staticmethod
    def _retry_work(profile: ServerProfile) -> SendReport:
        from gazex_viewer.core.pacs.dicomweb import DicomWebPacs
        from gazex_viewer.core.pacs.outbox import Outbox

        return Outbox().retry(DicomWebPacs(profile))

    def retry(self) -> None:
        """Send again what is queued for the archive of the last send."""
        if self.profile is None or self.busy:
            return
        profile = self.profile
        self._start(lambda: self._retry_work(profile))

    def _on_finished(self, result: object) -> None:
        self.busy = False
        where = self.profile.where if self.profile is not None else "the PACS"
        if isinstance(result, GazeXError):
            self._show(f"queued: {result.reason}, retrying", problem=True)
            self.retry_timer.start()
            return
        report = cast("SendReport", result)  # a job's outcome: a GazeXError (above) or the send's report
        self.last_report = report
        if report.queued:
            self._show(f"queued: {report.problems[0]}, retrying", problem=True)
            self.retry_timer.start()
            return
        self.retry_timer.stop()
        if not report.sent:  # a retry with nothing waiting: the line stays as it was
            return
        self._show(f"{self._what} sent to {where} at {datetime.now():%H:%M}")
