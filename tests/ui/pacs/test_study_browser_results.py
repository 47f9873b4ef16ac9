"""The study browser: earlier GazeX results offered and read back, network calls off the UI thread, Cancel."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.dicomweb import DicomWebPacs, DicomWebSource
from tests.factories import signed_reading_for
from tests.servers.orthanc_fixtures import (
    RG1_STUDY,
    RG1_UNCR_SOP,
    clear_results,
    orthanc_profile,
)


def _dialog(window: Any, qtbot: Any, orthanc: Any, tmp_path: Path) -> Any:
    from gazex_viewer.ui.pacs.study_browser import StudyBrowserDialog

    dialog = StudyBrowserDialog(window, profiles=[orthanc_profile(orthanc)], cache=RetrieveCache(tmp_path / "cache"))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_open_an_earlier_gazex_result(window: Any, qtbot: Any, orthanc: Any, tmp_path: Path,
                                      artifacts_dir: Path) -> None:
    from gazex_viewer.core.pacs.documents import result_documents
    from gazex_viewer.core.review.final_report import build_final_report

    clear_results(orthanc)
    pacs = DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "store-cache"))
    hit = next(i for i in pacs.search_instances(RG1_STUDY) if i.sop_instance_uid == RG1_UNCR_SOP)
    film = DicomWebSource(pacs, hit).path()
    draft = signed_reading_for(film, sign=False)
    signed = signed_reading_for(film)
    pacs.store([result_documents(draft, film, pdf=False).sr, result_documents(signed, film, pdf=False).sr])
    try:
        dialog = _dialog(window, qtbot, orthanc, tmp_path)
        assert dialog.search() and dialog.table.rowCount() == 2
        rows = {dialog.table.item(r, 2).text(): r for r in range(2)}
        dialog.table.selectRow(rows["Covid0000"])
        assert dialog.selected_status() == "no AI result" and not dialog.result_button.isEnabled()
        dialog.table.selectRow(rows["9RG1"])
        assert dialog.selected_status() == "signed" and dialog.result_button.isEnabled()
        dialog.grab().save(str(artifacts_dir / "pacs-study-browser-results.png"))
        assert dialog.open_result()
        got = dialog.gazex_result
        assert got is not None and got.signed and dialog.film_path is not None
        assert dialog.film_path.name == f"{RG1_UNCR_SOP}.dcm"
        assert [f.text for f in got.reading.findings] == [rf.text for rf in build_final_report(signed).numbered()]
        assert "signed by Lovelace^Ada" in dialog.message.text()
        assert window.open_image(dialog.film_path)
        assert window.show_reading(got.reading)
        assert window.reading is not None and [f.text for f in window.reading.findings] == [
            f.text for f in got.reading.findings
        ]
    finally:
        clear_results(orthanc)


def test_network_calls_run_off_the_ui_thread(window: Any, qtbot: Any, orthanc: Any, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    real = DicomWebPacs.search_studies

    def slow_search(self: DicomWebPacs, query: Any = None) -> Any:
        threads.append(threading.get_ident())
        time.sleep(0.5)
        return real(self, query)

    monkeypatch.setattr(DicomWebPacs, "search_studies", slow_search)
    dialog = _dialog(window, qtbot, orthanc, tmp_path)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    assert dialog.search()
    timer.stop()
    assert threads and threads[0] != threading.get_ident()
    assert len(ticks) >= 10  # the UI thread kept running its event loop while the search ran
    assert dialog.table.rowCount() == 2


def test_cancel_returns_at_once_and_drops_the_late_answer(window: Any, qtbot: Any, orthanc: Any,
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gazex_viewer.ui.pacs.study_browser import Cancelled

    dialog = _dialog(window, qtbot, orthanc, tmp_path)
    release = threading.Event()
    stopped: list[bool] = []

    def work(step: Any, cancelled: threading.Event) -> str:
        step(0, "waiting…")
        release.wait(10)
        stopped.append(cancelled.is_set())
        return "late answer"

    QTimer.singleShot(400, lambda: dialog.progress.canceled.emit())
    start = time.monotonic()
    with pytest.raises(Cancelled):
        dialog.run_in_background("Slow archive…", work)
    assert time.monotonic() - start < 5 and dialog.progress is None
    release.set()
    qtbot.waitUntil(lambda: stopped == [True], timeout=5000)
    qtbot.wait(50)  # the late answer arrives and goes nowhere
    # a search after Cancel works; a cancelled open says so in one line, opens nothing, and the dialog stays
    assert dialog.search()
    dialog.table.selectRow(0)
    gate = threading.Event()
    real = DicomWebPacs.search_instances

    def blocked(self: DicomWebPacs, *a: Any, **kw: Any) -> Any:
        gate.wait(10)
        return real(self, *a, **kw)

    monkeypatch.setattr(DicomWebPacs, "search_instances", blocked)
    QTimer.singleShot(300, lambda: dialog.progress.canceled.emit())
    assert not dialog.open_selected()
    gate.set()
    assert dialog.message.text() == "cancelled" and dialog.film_path is None and dialog.isVisible()
