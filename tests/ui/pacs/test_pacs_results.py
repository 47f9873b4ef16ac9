"""Results back on sign-off: a film opened from a real Orthanc gets its SR and PDF stored when it is signed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.dicomweb import DicomWebPacs, DicomWebSource
from tests.factories import demo_reading
from tests.servers.orthanc_fixtures import (
    RG1_STUDY,
    RG1_UNCR_SOP,
    clear_results,
    orthanc_profile,
)
from tests.servers.orthanc_server import PASSWORD
from tests.ui.conftest import Answers
from tests.ui.helpers import review_window


def _film_from_pacs(pacs: DicomWebPacs) -> Path:
    from gazex_viewer.ui.pacs.send import remember_origin

    hit = next(i for i in pacs.search_instances(RG1_STUDY) if i.sop_instance_uid == RG1_UNCR_SOP)
    path = DicomWebSource(pacs, hit).path()
    remember_origin(path, pacs.profile)
    return path


def _review_and_sign(win: Any) -> None:
    assert win.show_reading(demo_reading(win.radiograph))
    panel = win.review_panel
    if panel.name_box.isVisibleTo(win):
        panel.name_edit.setText("Dr Ada Lovelace")
        panel.name_button.click()
    for fid in list(panel.session.undecided()):
        panel.session.accept(fid)
    assert panel.sign()


def test_signing_a_film_from_the_pacs_stores_sr_and_pdf(qtbot: Any, db: Path, answers: Answers, orthanc: Any,
                                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         artifacts_dir: Path) -> None:
    from gazex_viewer.core.pacs.outbox import Outbox

    monkeypatch.setenv("GAZEX_DATA_DIR", str(tmp_path / "data"))
    clear_results(orthanc)
    pacs = DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "cache"))
    win = review_window(qtbot, answers)
    assert win.open_image(_film_from_pacs(pacs))
    _review_and_sign(win)
    results = win.review.pacs_results
    qtbot.waitUntil(lambda: " sent to " in results.label.text(), timeout=30000)
    assert results.label.text().startswith(f"SR and PDF sent to {orthanc.url} at ")
    assert results.label.isVisibleTo(win.review_panel)
    win.review_panel.grab().save(str(artifacts_dir / "pacs-results-sent.png"))
    (sr,) = pacs.gazex_srs(RG1_STUDY)
    assert sr.signed and sr.referenced_sop_instance_uids == {RG1_UNCR_SOP}
    assert [m["modality"] for m in Outbox().sent(RG1_STUDY)] == ["SR", "DOC"]
    assert len(pacs.search_instances(RG1_STUDY, ("DOC",))) == 1
    assert answers.errors == []
    from tests.conftest import shared_file

    assert win.open_image(shared_file("images/nih/00000001_000.png"))  # another film: no line for it
    assert not results.label.isVisibleTo(win.review_panel)


def test_a_refused_sign_off_send_is_queued_then_delivered(qtbot: Any, db: Path, answers: Answers,
                                                          orthanc: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from gazex_viewer.core.pacs.outbox import Outbox

    monkeypatch.setenv("GAZEX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GAZEX_TEST_CHANGING_PASSWORD", "wrong")
    clear_results(orthanc)
    good = DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "cache"))
    refusing = DicomWebPacs(orthanc_profile(orthanc, secret_env="GAZEX_TEST_CHANGING_PASSWORD"),
                            RetrieveCache(tmp_path / "cache"))
    path = _film_from_pacs(good)
    from gazex_viewer.ui.pacs.send import remember_origin

    remember_origin(path, refusing.profile)
    win = review_window(qtbot, answers)
    assert win.open_image(path)
    _review_and_sign(win)
    results = win.review.pacs_results
    qtbot.waitUntil(lambda: results.label.text().startswith("queued: "), timeout=30000)
    assert "HTTP 401" in results.label.text() and results.label.text().endswith(", retrying")
    assert results.retry_timer.isActive()
    assert len(Outbox().pending(orthanc.url)) == 2 and good.gazex_srs(RG1_STUDY) == []
    os.environ["GAZEX_TEST_CHANGING_PASSWORD"] = PASSWORD  # the archive takes it again
    results.retry()
    qtbot.waitUntil(lambda: " sent to " in results.label.text(), timeout=30000)
    assert Outbox().pending() == [] and not results.retry_timer.isActive()
    (sr,) = good.gazex_srs(RG1_STUDY)
    assert sr.signed
    results.retry()  # nothing left: nothing is sent twice
    qtbot.waitUntil(lambda: not results.busy, timeout=30000)
    assert len(good.gazex_srs(RG1_STUDY)) == 1 and len(Outbox().sent(RG1_STUDY)) == 2


def test_a_film_from_disk_sends_nothing(qtbot: Any, db: Path, answers: Answers, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import shared_file

    monkeypatch.setenv("GAZEX_DATA_DIR", str(tmp_path / "data"))
    win = review_window(qtbot, answers)
    assert win.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    _review_and_sign(win)
    assert not win.review.pacs_results.label.isVisible() and not win.review.pacs_results.busy
    assert not (tmp_path / "data" / "pacs-outbox").exists()


def test_drafts_are_sent_only_when_the_setting_asks(qtbot: Any, db: Path, answers: Answers, orthanc: Any,
                                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gazex_viewer.ui import settings as S
    from gazex_viewer.ui.pacs.results import SEND_DRAFTS_KEY

    monkeypatch.setenv("GAZEX_DATA_DIR", str(tmp_path / "data"))
    clear_results(orthanc)
    S.set_value(SEND_DRAFTS_KEY, True)
    pacs = DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "cache"))
    win = review_window(qtbot, answers)
    assert win.open_image(_film_from_pacs(pacs))
    reading = demo_reading(win.radiograph)
    assert win.show_reading(reading)
    panel = win.review_panel
    if panel.name_box.isVisibleTo(win):
        panel.name_edit.setText("Dr Ada Lovelace")
        panel.name_button.click()
    results = win.review.pacs_results
    qtbot.waitUntil(lambda: " sent to " in results.label.text(), timeout=30000)
    assert results.label.text().startswith(f"DRAFT SR and PDF sent to {orthanc.url} at ")
    (sr,) = pacs.gazex_srs(RG1_STUDY)
    assert not sr.signed
    # deciding a finding is the same draft: nothing is sent again
    win.review_panel.session.accept(win.review_panel.session.undecided()[0])
    win.review_panel.refresh()
    qtbot.wait(300)
    assert not results.busy and len(pacs.gazex_srs(RG1_STUDY)) == 1
    clear_results(orthanc)
