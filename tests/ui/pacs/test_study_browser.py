"""File > Open from PACS…: search a real Orthanc, sort, see the AI status, open a study's film."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.profile import ServerProfile
from tests.factories import signed_reading_for
from tests.servers.orthanc_fixtures import RG1_STUDY, clear_results, orthanc_profile


def test_search_sort_and_open_a_study(window: Any, qtbot: Any, orthanc: Any, tmp_path: Path,
                                      artifacts_dir: Path) -> None:
    from gazex_viewer.ui.pacs.study_browser import StudyBrowserDialog

    dialog = StudyBrowserDialog(window, profiles=[orthanc_profile(orthanc)], cache=RetrieveCache(tmp_path / "cache"))
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.search()
    assert dialog.table.rowCount() == 2
    assert {dialog.table.item(r, 6).text() for r in range(2)} == {"no AI result"}
    dialog.table.sortItems(2, Qt.SortOrder.AscendingOrder)  # by patient ID
    assert [dialog.table.item(r, 2).text() for r in range(2)] == ["9RG1", "Covid0000"]
    dialog.table.sortItems(2, Qt.SortOrder.DescendingOrder)
    assert [dialog.table.item(r, 2).text() for r in range(2)] == ["Covid0000", "9RG1"]
    assert dialog.table.item(1, 0).text() == "2004-08-26"
    dialog.grab().save(str(artifacts_dir / "pacs-study-browser.png"))

    dialog.patient_name.setText("rg1")
    assert dialog.search() and dialog.table.rowCount() == 1
    dialog.table.selectRow(0)
    assert dialog.open_selected()
    path = dialog.film_path
    assert path is not None and path.is_file() and path.name.startswith("1.3.6.1.4.1.5962.1.1.9.1.")
    assert window.open_image(path)
    ref = window.radiograph.image_ref()
    assert ref.study_instance_uid == RG1_STUDY and ref.file_name == f"{ref.sop_instance_uid}.dcm"


def test_a_pacs_that_is_down_is_one_line_and_the_dialog_stays(window: Any, qtbot: Any, orthanc: Any,
                                                              tmp_path: Path) -> None:
    from gazex_viewer.ui.pacs.study_browser import StudyBrowserDialog
    from tests.servers.orthanc_server import _free_port

    url = f"http://127.0.0.1:{_free_port()}/dicom-web"
    dialog = StudyBrowserDialog(window, profiles=[ServerProfile(name="down", url=url, timeout_s=2)],
                                cache=RetrieveCache(tmp_path / "cache"))
    qtbot.addWidget(dialog)
    assert not dialog.search()
    assert dialog.last_error is not None and "\n" not in dialog.last_error
    assert dialog.last_error.startswith(f"{url}: study search: cannot connect")
    assert dialog.message.text() == dialog.last_error
    assert not dialog.test_connection()
    assert not dialog.open_selected() and "select a study first" in dialog.message.text()


def test_send_results_to_the_pacs_the_film_came_from(window: Any, qtbot: Any, orthanc: Any,
                                                     tmp_path: Path, monkeypatch: Any, messages: Any) -> None:
    from gazex_viewer.core.pacs.dicomweb import DicomWebPacs
    from gazex_viewer.core.pacs.outbox import Outbox
    from gazex_viewer.ui.pacs.study_browser import StudyBrowserDialog

    monkeypatch.setenv("GAZEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GAZEX_CONFIG_DIR", str(tmp_path / "config"))  # no saved profile
    clear_results(orthanc)
    dialog = StudyBrowserDialog(window, profiles=[orthanc_profile(orthanc)], cache=RetrieveCache(tmp_path / "cache"))
    qtbot.addWidget(dialog)
    dialog.patient_id.setText("9RG1")
    assert dialog.search()
    dialog.table.selectRow(0)
    assert dialog.open_selected() and dialog.film_path is not None
    assert window.open_image(dialog.film_path)
    reading = signed_reading_for(dialog.film_path)
    from gazex_viewer.ui.pacs.send import send_results

    report = send_results(window, reading)
    assert report is not None and len(report.sent) == 2 and report.queued == []
    assert "signed SR and PDF: 2 sent to http://127.0.0.1" in window.statusBar().currentMessage()
    assert [m["modality"] for m in Outbox().sent(RG1_STUDY)] == ["SR", "DOC"]
    pacs = DicomWebPacs(orthanc_profile(orthanc))
    (sr,) = pacs.gazex_srs(RG1_STUDY)
    assert sr.signed and sr.referenced_sop_instance_uids == {reading.image.sop_instance_uid}
    dialog2 = StudyBrowserDialog(window, profiles=[orthanc_profile(orthanc)], cache=RetrieveCache(tmp_path / "cache"))
    qtbot.addWidget(dialog2)
    dialog2.patient_id.setText("9RG1")
    assert dialog2.search() and dialog2.table.item(0, 6).text() == "signed"
    # a film not from a PACS, and no saved profile: one clear message, nothing sent
    from tests.conftest import shared_file

    assert window.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    assert send_results(window, reading) is None
    assert "was not opened from a PACS and no server profile is saved" in messages.errors[-1][1]
    clear_results(orthanc)
