"""File > Open from PACS…: search the archive, see which studies have an AI result, open a study's film.

Search by patient name or ID, accession number, date range and modality (CR and DX by default) on the
chosen server profile (saved profiles, or a DICOMweb URL typed in). The results are a sortable list with
the AI status of each study (no AI result / AI draft / signed, from the GazeX SRs stored in it).
Opening a study retrieves its first radiograph into the retrieve cache with a progress bar; the window
then opens that file, whose name is the SOP Instance UID. A PACS that is down or refuses is said in one
line under the list; the dialog and the viewer keep running.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
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
from gazex_viewer.ui.pacs_send import remember_origin

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

    def test_connection(self) -> bool:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self._say(self.pacs().test_connection())
            return True
        except GazeXError as err:
            self._say(str(err), error=True)
            return False
        finally:
            QApplication.restoreOverrideCursor()

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
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            pacs = self.pacs()
            studies = pacs.search_studies(self.query())
            statuses = [self._status(pacs, s) for s in studies]
        except GazeXError as err:
            self._say(str(err), error=True)
            return False
        finally:
            QApplication.restoreOverrideCursor()
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

    def open_selected(self) -> bool:
        """Retrieve the selected study's first radiograph (progress bar); accept the dialog when done."""
        study = self.selected_study()
        if study is None:
            self._say("select a study first", error=True)
            return False
        pacs = self.pacs()
        progress = QProgressDialog("Finding the study's radiographs…", "Cancel", 0, 2, self)
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        try:
            hits = pacs.search_instances(study, self.query().modalities or None)
            radiographs = [h for h in hits if h.rows]
            if not radiographs:
                self._say(f"study {study} has no {'/'.join(self.query().modalities)} radiograph", error=True)
                return False
            progress.setValue(1)
            progress.setLabelText(f"Retrieving {radiographs[0].sop_instance_uid}…")
            QApplication.processEvents()
            if progress.wasCanceled():
                return False
            self.film_path = DicomWebSource(pacs, radiographs[0]).path()
            remember_origin(self.film_path, pacs.profile)
            progress.setValue(2)
        except GazeXError as err:
            self._say(str(err), error=True)
            return False
        finally:
            progress.close()
        more = f" (1 of {len(radiographs)} radiographs)" if len(radiographs) > 1 else ""
        self._say(f"retrieved {self.film_path.name}{more}")
        self.accept()
        return True
