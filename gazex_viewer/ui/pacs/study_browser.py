"""File > Open from PACS…: search the archive, see which studies have an AI result, open a study's film.

Search by patient name or ID, accession number, date range and modality (CR and DX by default) on the
chosen server profile (saved profiles, or a DICOMweb URL typed in). The results are a sortable list with
the AI status of each study (no AI result / AI draft / signed, from the GazeX SRs stored in it).
Opening a study retrieves its first radiograph into the retrieve cache with a progress bar; the window
then opens that file, whose name is the SOP Instance UID. "Open earlier GazeX result" (a study with an
AI draft or a signed result) retrieves the newest GazeX SR (a signed one first) and its film, and
reads the SR back into a reading (:mod:`gazex_viewer.core.pacs.sr_import`) that the window shows.

Every network call runs on the thread pool while a progress dialog with Cancel is up (the window keeps
painting); Cancel returns at once, and what the call brings later is dropped (a retrieved file is
complete in the cache, never partial). A PACS that is down or refuses is said in one line under the
list; the dialog and the viewer keep running.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

from PySide6.QtCore import QEventLoop, QObject, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.dicomweb import (
    DicomWebPacs,
    DicomWebSource,
    StudyHit,
    StudyQuery,
)
from gazex_viewer.core.pacs.profile import ServerProfile, load_profiles
from gazex_viewer.core.pacs.sr_import import ImportedSr
from gazex_viewer.ui.pacs.results import PacsJob
from gazex_viewer.ui.pacs.send import remember_origin

T = TypeVar("T")


class Cancelled(Exception):
    """The user pressed Cancel while a network call ran."""


class _Relay(QObject):
    """Lives on the UI thread: a worker's outcome and progress arrive here as queued signals."""

    done = Signal(object)
    step = Signal(int, str)

COLUMNS = ("Date", "Patient", "Patient ID", "Accession", "Description", "Modalities", "AI result")


def _date(text: str | None) -> str:
    if text and len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return text or ""


class StudyBrowserDialog(QDialog):
    """Search a PACS and pick a study; ``film_path`` is the retrieved film after ``accept``."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        profiles: list[ServerProfile] | None = None,
        cache: RetrieveCache | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open from PACS")
        self.resize(980, 560)
        self.cache = cache
        self.film_path: Path | None = None
        #: the earlier GazeX result read back from the PACS ("Open earlier GazeX result"), shown over the film
        self.gazex_result: ImportedSr | None = None
        #: the progress dialog of the network call under way (None when none runs)
        self.progress: QProgressDialog | None = None
        #: the dialog's own pool (closing the dialog waits for a call still running after Cancel)
        self.pool = QThreadPool(self)
        self.studies: list[StudyHit] = []
        self._pacs: DicomWebPacs | None = None
        self.last_error: str | None = None
        try:
            self.profiles = profiles if profiles is not None else load_profiles()
        except GazeXError as err:
            self.profiles = []
            self.last_error = str(err)

        self.server = QComboBox()
        self.server.setEditable(True)
        for p in self.profiles:
            self.server.addItem(f"{p.name} ({p.where})", p.name)
        self.server.setToolTip("a saved server profile, or a DICOMweb URL (no authentication)")
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server, 1)
        server_row.addWidget(self.test_button)

        self.patient_name = QLineEdit()
        self.patient_id = QLineEdit()
        self.accession = QLineEdit()
        self.date_from = QLineEdit()
        self.date_from.setPlaceholderText("YYYY-MM-DD")
        self.date_to = QLineEdit()
        self.date_to.setPlaceholderText("YYYY-MM-DD")
        self.modalities = QLineEdit("CR,DX")
        form = QFormLayout()
        form.addRow("Server", server_row)
        form.addRow("Patient name", self.patient_name)
        form.addRow("Patient ID", self.patient_id)
        form.addRow("Accession number", self.accession)
        dates = QHBoxLayout()
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("to"))
        dates.addWidget(self.date_to)
        form.addRow("Study date", dates)
        form.addRow("Modalities", self.modalities)
        for edit in (self.patient_name, self.patient_id, self.accession, self.date_from, self.date_to):
            edit.returnPressed.connect(self.search)

        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSortingEnabled(True)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.message = QLabel(self.last_error or "")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.open_button = buttons.addButton("Open study", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.clicked.disconnect()
        self.open_button.clicked.connect(self.open_selected)
        self.result_button = buttons.addButton("Open earlier GazeX result", QDialogButtonBox.ButtonRole.ActionRole)
        self.result_button.setToolTip("the study's newest GazeX SR (a signed one first), read back over its film")
        self.result_button.clicked.disconnect()
        self.result_button.clicked.connect(self.open_result)
        self.result_button.setEnabled(False)
        self.table.itemSelectionChanged.connect(self._on_selection)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.search_button, 0, Qt.AlignmentFlag.AlignRight)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    # -- server --------------------------------------------------------------------------------
    def _profile(self) -> ServerProfile:
        index = self.server.currentIndex()
        text = self.server.currentText().strip()
        if index >= 0 and self.server.itemText(index) == text:
            return self.profiles[index]
        if not text:
            raise GazeXError(None, "choose a server profile or type a DICOMweb URL")
        return ServerProfile(name=text, url=text)

    def pacs(self) -> DicomWebPacs:
        profile = self._profile()
        if self._pacs is None or self._pacs.profile is not profile and self._pacs.profile != profile:
            self._pacs = DicomWebPacs(profile, self.cache)
        return self._pacs

    def _say(self, text: str, *, error: bool = False) -> None:
        self.last_error = text if error else None
        self.message.setText(text)
        self.message.setStyleSheet("color: #c0392b;" if error else "")

    def run_in_background(
        self, label: str, work: Callable[[Callable[[int, str], None], threading.Event], T], steps: int = 0
    ) -> T:
        """Run ``work(step, cancelled)`` on the thread pool under a progress dialog with Cancel.

        ``step(n, text)`` moves the bar (of ``steps``; 0 is a busy bar); ``cancelled`` is set by
        Cancel, for the work to stop between calls. Returns the work's result; raises its GazeXError,
        or Cancelled at once when the user cancels (a late result is dropped).
        """
        relay = _Relay()  # no parent: the worker's closure keeps it alive past a Cancel
        loop = QEventLoop(self)
        cancelled = threading.Event()
        outcome: list[object] = []
        progress = QProgressDialog(label, "Cancel", 0, steps, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        self.progress = progress

        def finish(result: object) -> None:
            outcome.append(result)
            loop.quit()

        def on_step(n: int, text: str) -> None:
            if not cancelled.is_set():
                progress.setValue(n)
                progress.setLabelText(text)

        def cancel() -> None:
            cancelled.set()
            loop.quit()

        relay.done.connect(finish)
        relay.step.connect(on_step)
        progress.canceled.connect(cancel)
        self.pool.start(PacsJob(lambda: work(relay.step.emit, cancelled), relay.done))
        try:
            if not outcome and not cancelled.is_set():
                loop.exec()
        finally:
            self.progress = None
            relay.done.disconnect(finish)  # a late result (after Cancel) goes nowhere
            relay.step.disconnect(on_step)
            progress.canceled.disconnect(cancel)
            progress.close()
            progress.deleteLater()
        if cancelled.is_set() and not outcome:
            raise Cancelled(label)
        result = outcome[0]
        if isinstance(result, GazeXError):
            raise result
        return cast(T, result)  # what work returned (a GazeXError was raised above)

    def _background(self, label: str, work: Callable[[Callable[[int, str], None], threading.Event], T],
                    steps: int = 0) -> T | None:
        """run_in_background; a failure or Cancel is one line under the list and None."""
        try:
            return self.run_in_background(label, work, steps)
        except Cancelled:
            self._say("cancelled", error=True)
        except GazeXError as err:
            self._say(str(err), error=True)
        return None

    def test_connection(self) -> bool:
        try:
            pacs = self.pacs()
        except GazeXError as err:
            self._say(str(err), error=True)
            return False
        answer = self._background("Testing the connection…", lambda _step, _c: pacs.test_connection())
        if answer is None:
            return False
        self._say(answer)
        return True

    # -- search --------------------------------------------------------------------------------
    def query(self) -> StudyQuery:
        mods = tuple(m.strip().upper() for m in self.modalities.text().split(",") if m.strip())
        return StudyQuery(
            patient_name=self.patient_name.text().strip() or None,
            patient_id=self.patient_id.text().strip() or None,
            accession_number=self.accession.text().strip() or None,
            date_from=self.date_from.text().strip() or None,
            date_to=self.date_to.text().strip() or None,
            modalities=mods,
        )

    def search(self) -> bool:
        """Run the search; False (and one line under the list) when it fails."""
        try:
            pacs = self.pacs()
        except GazeXError as err:
            self._say(str(err), error=True)
            return False
        query = self.query()

        def work(step: Callable[[int, str], None], cancelled: threading.Event) -> list[tuple[StudyHit, str]]:
            found = pacs.search_studies(query)
            out: list[tuple[StudyHit, str]] = []
            for n, study in enumerate(found):
                if cancelled.is_set():
                    break
                step(n, f"Looking for GazeX results: study {n + 1} of {len(found)}")
                out.append((study, self._status(pacs, study)))
            return out

        got = self._background("Searching…", work)
        if got is None:
            return False
        studies = [hit for hit, _status in got]
        statuses = [status for _hit, status in got]
        self.studies = studies
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(studies))
        for row, (s, status) in enumerate(zip(studies, statuses, strict=True)):
            values = (_date(s.study_date), s.patient_name or "", s.patient_id or "", s.accession_number or "",
                      s.study_description or "", ",".join(s.modalities), status)
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, s.study_instance_uid)
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        self._on_selection()
        self._say(f"{len(studies)} studies found" if studies else "no study matches")
        return True

    @staticmethod
    def _status(pacs: DicomWebPacs, study: StudyHit) -> str:
        srs = pacs.gazex_srs(study.study_instance_uid)
        if any(sr.signed for sr in srs):
            return "signed"
        return "AI draft" if srs else "no AI result"

    # -- open ----------------------------------------------------------------------------------
    def selected_study(self) -> str | None:
        items = self.table.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    def selected_status(self) -> str | None:
        row = self.table.currentRow()
        if not self.table.selectedItems() or row < 0:
            return None
        item = self.table.item(row, COLUMNS.index("AI result"))
        return item.text() if item is not None else None

    def _on_selection(self) -> None:
        self.result_button.setEnabled(self.selected_status() in ("AI draft", "signed"))

    def open_selected(self) -> bool:
        """Retrieve the selected study's first radiograph (progress bar); accept the dialog when done."""
        study = self.selected_study()
        if study is None:
            self._say("select a study first", error=True)
            return False
        pacs = self.pacs()
        modalities = self.query().modalities

        def work(step: Callable[[int, str], None], cancelled: threading.Event) -> tuple[Path, int] | None:
            hits = pacs.search_instances(study, modalities or None)
            radiographs = [h for h in hits if h.rows]
            if not radiographs:
                raise GazeXError(None, f"study {study} has no {'/'.join(modalities)} radiograph")
            step(1, f"Retrieving {radiographs[0].sop_instance_uid}…")
            if cancelled.is_set():
                return None
            return DicomWebSource(pacs, radiographs[0]).path(), len(radiographs)

        got = self._background("Finding the study's radiographs…", work, steps=2)
        if got is None:
            return False
        self.film_path, n = got
        self.gazex_result = None
        remember_origin(self.film_path, pacs.profile)
        more = f" (1 of {n} radiographs)" if n > 1 else ""
        self._say(f"retrieved {self.film_path.name}{more}")
        self.accept()
        return True

    def open_result(self) -> bool:
        """Retrieve the selected study's newest GazeX SR (a signed one first) and its film; read the SR back."""
        study = self.selected_study()
        if study is None:
            self._say("select a study first", error=True)
            return False
        pacs = self.pacs()

        def work(step: Callable[[int, str], None], cancelled: threading.Event) -> tuple[Path, ImportedSr] | None:
            import pydicom

            from gazex_viewer.core.imaging.files import load_radiograph
            from gazex_viewer.core.pacs.sr_import import import_sr, referenced_image

            srs = pacs.gazex_srs(study)
            if not srs:
                raise GazeXError(None, f"study {study} has no GazeX result")
            best = max(srs, key=lambda sr: (sr.signed, sr.content_date_time or ""))
            (sr_hit,) = [h for h in pacs.search_instances(study, ("SR",)) if h.sop_instance_uid == best.sop_instance_uid]
            step(1, f"Retrieving the {'signed' if best.signed else 'draft'} result {best.sop_instance_uid}…")
            sr_path = pacs.retrieve(sr_hit)
            try:
                sr_ds = pydicom.dcmread(sr_path)
            except Exception as err:  # noqa: BLE001 - a damaged answer: one line
                raise GazeXError(sr_path, f"the SR cannot be read ({err})") from None
            _study, _series, image_sop, _cls = referenced_image(sr_ds)
            images = [h for h in pacs.search_instances(study, None) if h.sop_instance_uid == image_sop]
            if not images:
                raise GazeXError(None, f"the film {image_sop} of GazeX result {best.sop_instance_uid} is not in the study")
            if cancelled.is_set():
                return None
            step(2, f"Retrieving the film {image_sop}…")
            film = DicomWebSource(pacs, images[0]).path()
            return film, import_sr(sr_ds, load_radiograph(film).image_ref())

        got = self._background("Finding the study's GazeX results…", work, steps=3)
        if got is None:
            return False
        self.film_path, self.gazex_result = got
        remember_origin(self.film_path, pacs.profile)
        self._say(self.gazex_result.summary())
        self.accept()
        return True
