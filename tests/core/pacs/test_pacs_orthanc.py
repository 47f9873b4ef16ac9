"""Against a real Orthanc with DICOMweb (see orthanc_server.py): search, open, store, batch, failures."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gazex_viewer.core.pacs import PacsError
from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.dicomweb import DicomWebPacs, DicomWebSource, StudyQuery
from gazex_viewer.core.pacs.profile import ServerProfile
from tests.conftest import SHARED_DATA
from tests.dicom_tools import dciodvfy_errors
from tests.factories import signed_reading_for
from tests.servers.orthanc_fixtures import (
    RG1_STUDY,
    RG1_UNCR_SOP,
    SECRET_ENV,
    all_gazex_refs,
    clear_results,
    orthanc_profile,
)
from tests.servers.orthanc_server import PASSWORD, USER, OrthancServer


@pytest.fixture
def pacs(orthanc: OrthancServer, tmp_path: Path) -> DicomWebPacs:
    return DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "cache"))


def test_connection_test_and_search(pacs: DicomWebPacs) -> None:
    assert "connected" in pacs.test_connection()
    studies = pacs.search_studies()
    assert {s.patient_id for s in studies} == {"9RG1", "Covid0000"}
    by_id = pacs.search_studies(StudyQuery(patient_id="9RG1"))
    assert [s.study_instance_uid for s in by_id] == [RG1_STUDY]
    assert pacs.search_studies(StudyQuery(patient_name="RG1"))[0].study_instance_uid == RG1_STUDY
    assert [s.study_instance_uid for s in pacs.search_studies(StudyQuery(accession_number="exam Number"))] == [RG1_STUDY]
    assert [s.patient_id for s in pacs.search_studies(StudyQuery(date_from="2004-08-01", date_to="2004-08-31"))] == [
        "9RG1"
    ]
    assert pacs.search_studies(StudyQuery(date_from="2020-01-01")) == []
    # CR only: the NIH file is DX
    assert [s.patient_id for s in pacs.search_studies(StudyQuery(modalities=("CR",)))] == ["9RG1"]
    instances = pacs.search_instances(RG1_STUDY)
    assert len(instances) == 3 and {i.modality for i in instances} == {"CR"}
    assert {(i.rows, i.columns) for i in instances} == {(1955, 1841)}


def test_open_gives_the_files_pixels_and_uid_identity(pacs: DicomWebPacs) -> None:
    from gazex_viewer.core.imaging.files import FileSource
    from gazex_viewer.core.imaging.source import ImageSource

    hit = next(i for i in pacs.search_instances(RG1_STUDY) if i.sop_instance_uid == RG1_UNCR_SOP)
    source = DicomWebSource(pacs, hit)
    assert isinstance(source, ImageSource)
    film = source.open()
    local = FileSource(SHARED_DATA / "dicom" / "RG1_UNCR.dcm")
    reference = local.open()
    assert np.array_equal(film.stored, reference.stored)
    assert film.pixel_sha256 == reference.pixel_sha256
    assert np.array_equal(film.render(), reference.render())
    assert source.identity == local.identity
    ref = film.image_ref()
    # the identity is the UIDs, and the name is the SOP instance's, never the cache file's
    assert ref.file_name == f"{RG1_UNCR_SOP}.dcm"
    assert ref.sop_instance_uid == RG1_UNCR_SOP and ref.study_instance_uid == RG1_STUDY
    # cached: the second open does not go to the server (the file is the same, and only one is there)
    cached = pacs.cache.get(RG1_UNCR_SOP) if pacs.cache else None
    assert cached is not None and cached.is_file()
    assert [p.name for p in pacs.cache.root.iterdir()] == [cached.name]  # type: ignore[union-attr]
    assert DicomWebSource(pacs, hit).open().pixel_sha256 == reference.pixel_sha256


def test_frame_request_names_its_media_type(pacs: DicomWebPacs) -> None:
    hit = next(i for i in pacs.search_instances(RG1_STUDY) if i.sop_instance_uid == RG1_UNCR_SOP)
    (frame,) = pacs.retrieve_frames(hit)
    from gazex_viewer.core.imaging.files import load_radiograph

    reference = load_radiograph(SHARED_DATA / "dicom" / "RG1_UNCR.dcm")
    pixels = np.frombuffer(frame, dtype="<u2").reshape(1955, 1841)
    assert np.array_equal(pixels, reference.stored)


def test_a_pacs_that_is_down_or_refuses_gives_one_line(orthanc: OrthancServer, tmp_path: Path) -> None:
    from tests.servers.orthanc_server import _free_port

    down = DicomWebPacs(orthanc_profile(orthanc, url=f"http://127.0.0.1:{_free_port()}/dicom-web"), RetrieveCache(tmp_path))
    with pytest.raises(PacsError) as err:
        down.search_studies()
    msg = str(err.value)
    assert "\n" not in msg and "cannot connect" in msg and "127.0.0.1" in msg

    os.environ["GAZEX_TEST_WRONG_PASSWORD"] = "wrong"
    try:
        wrong = DicomWebPacs(orthanc_profile(orthanc, secret_env="GAZEX_TEST_WRONG_PASSWORD"), RetrieveCache(tmp_path))
        with pytest.raises(PacsError, match=r"refused the credentials \(HTTP 401"):
            wrong.test_connection()
    finally:
        del os.environ["GAZEX_TEST_WRONG_PASSWORD"]
    anonymous = DicomWebPacs(orthanc_profile(orthanc, auth="none"), RetrieveCache(tmp_path))
    with pytest.raises(PacsError, match="HTTP 401"):
        anonymous.search_studies()
    no_secret = ServerProfile(name="nobody-knows", url=orthanc.url, auth="bearer", secret_env="GAZEX_TEST_UNSET_TOKEN")
    with pytest.raises(PacsError, match="no token for profile 'nobody-knows'"):
        DicomWebPacs(no_secret).test_connection()


def test_send_sr_and_pdf_then_find_them_again(pacs: DicomWebPacs, tmp_path: Path) -> None:
    import pydicom

    from gazex_viewer.core.pacs.documents import result_documents
    from gazex_viewer.core.pacs.outbox import Outbox

    hit = next(i for i in pacs.search_instances(RG1_STUDY) if i.sop_instance_uid == RG1_UNCR_SOP)
    film_path = DicomWebSource(pacs, hit).path()
    reading = signed_reading_for(film_path)
    docs = result_documents(reading, film_path)
    assert docs.signed and docs.pdf is not None
    pdf_file = tmp_path / "pdf.dcm"
    docs.pdf.save_as(pdf_file, enforce_file_format=True)
    assert dciodvfy_errors(pdf_file) == []
    outbox = Outbox(tmp_path / "outbox")
    report = outbox.send(pacs, docs.datasets)
    assert report.sent == [str(docs.sr.SOPInstanceUID), str(docs.pdf.SOPInstanceUID)] and report.queued == []
    assert [m["sop_instance_uid"] for m in outbox.sent(RG1_STUDY)] == report.sent
    assert outbox.pending() == []

    srs = [s for s in pacs.gazex_srs(RG1_STUDY) if s.sop_instance_uid == str(docs.sr.SOPInstanceUID)]
    assert len(srs) == 1 and srs[0].signed and srs[0].referenced_sop_instance_uids == {RG1_UNCR_SOP}
    (doc,) = [i for i in pacs.search_instances(RG1_STUDY, ("DOC",)) if i.sop_instance_uid == docs.pdf.SOPInstanceUID]
    back = pydicom.dcmread(pacs.retrieve(doc))
    length = int(back.EncapsulatedDocumentLength)
    assert back.EncapsulatedDocument[:length] == docs.pdf.EncapsulatedDocument[:length]
    assert back.EncapsulatedDocument.startswith(b"%PDF") and back.PatientID == "9RG1"

    # an SR is not a film: one clear line, nothing shown
    (sr_hit,) = [i for i in pacs.search_instances(RG1_STUDY, ("SR",)) if i.sop_instance_uid == docs.sr.SOPInstanceUID]
    with pytest.raises(PacsError, match=r"is not a radiograph \(Structured Report\)"):
        DicomWebSource(pacs, sr_hit).open()
    from dataclasses import replace

    with pytest.raises(PacsError, match=r"is not a radiograph \(Encapsulated PDF\)"):  # class unknown before retrieve
        DicomWebSource(pacs, replace(doc, sop_class_uid=None)).open()


def test_a_refused_send_is_queued_and_retried_once(orthanc: OrthancServer, pacs: DicomWebPacs, tmp_path: Path) -> None:
    from gazex_viewer.core.pacs.documents import result_documents
    from gazex_viewer.core.pacs.outbox import Outbox

    nih = "1.3.6.1.4.1.11129.5.5.112507010803284478207522016832191866964708"
    (hit,) = pacs.search_instances(nih)
    film_path = DicomWebSource(pacs, hit).path()
    docs = result_documents(signed_reading_for(film_path, sign=False), film_path, pdf=False)
    assert not docs.signed and docs.pdf is None
    outbox = Outbox(tmp_path / "outbox")
    os.environ["GAZEX_TEST_WRONG_PASSWORD"] = "wrong"
    try:
        refusing = DicomWebPacs(orthanc_profile(orthanc, secret_env="GAZEX_TEST_WRONG_PASSWORD"))
        report = outbox.send(refusing, docs.datasets)
        assert report.sent == [] and report.queued == [str(docs.sr.SOPInstanceUID)]
        assert "HTTP 401" in report.summary()
        again = outbox.retry(refusing)
        assert again.queued == report.queued
    finally:
        del os.environ["GAZEX_TEST_WRONG_PASSWORD"]
    (item,) = outbox.pending(pacs.url)
    assert item["attempts"] == 2 and item["refers_to"] == [hit.sop_instance_uid]
    assert outbox.pending_refs(pacs.url) == {hit.sop_instance_uid}
    assert pacs.gazex_srs(nih) == []
    done = outbox.retry(pacs)
    assert done.sent == [str(docs.sr.SOPInstanceUID)] and outbox.pending() == []
    assert outbox.retry(pacs).sent == []  # nothing is sent twice
    (sr,) = pacs.gazex_srs(nih)
    assert not sr.signed and sr.referenced_sop_instance_uids == {hit.sop_instance_uid}


def test_batch_is_resumable_and_idempotent(
    orthanc: OrthancServer, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gazex_viewer.cli import main
    from gazex_viewer.core.review.sqlite_store import SqliteReviewStore

    clear_results(orthanc)
    pacs = DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "check-cache"))
    images = sorted(i.sop_instance_uid for s in pacs.search_studies() for i in pacs.search_instances(s.study_instance_uid))
    assert len(images) == 4
    db = tmp_path / "reviews.sqlite3"
    argv = [
        "batch", "--dicomweb", orthanc.url, "--user", USER, "--secret-env", SECRET_ENV, "--model", str(tiny_model_dir),
        "--device", "cpu", "--deterministic", "--max-new-tokens", "64", "--cache-dir", str(tmp_path / "cache"),
        "--outbox", str(tmp_path / "outbox"), "--no-cache", "--store", str(db), "--since", "2000-01-01",
    ]
    # no time: nothing is done, everything is left for the next run (and the model is not even loaded)
    assert main([*argv, "--time-limit", "0"]) == 0
    out = capsys.readouterr()
    assert "0 SRs stored" in out.out and "stopped (--time-limit 0 s), 3 radiographs left" in out.out
    assert "loading" not in out.err
    # the RG1 study (2004) only: --since leaves out the NIH study, which has no date
    assert main([*argv, "--limit", "1"]) == 0
    out = capsys.readouterr()
    assert "batch: 1 studies, 3 radiographs: 3 SRs stored, 0 already had" in out.out, out.err
    assert all_gazex_refs(pacs) == sorted(i for i in images if i.startswith("1.3.6.1.4.1.5962"))
    # every study now: only the NIH radiograph is new
    argv.remove("--since")
    argv.remove("2000-01-01")
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "batch: 2 studies, 4 radiographs: 1 SRs stored, 3 already had" in out.out, out.err
    assert all_gazex_refs(pacs) == images
    # a second run stores nothing new
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "4 radiographs: 0 SRs stored, 4 already had" in out.out
    assert all_gazex_refs(pacs) == images
    # the DRAFT SRs are drafts, and the readings are in the review store, named by their SOP UIDs
    assert not any(sr.signed for s in pacs.search_studies() for sr in pacs.gazex_srs(s.study_instance_uid))
    import sqlite3

    with sqlite3.connect(db) as c:
        names = sorted(r[0] for r in c.execute("SELECT file_name FROM readings"))
    assert names == sorted(f"{uid}.dcm" for uid in images)
    assert SqliteReviewStore(db).path == db


def test_batch_against_a_pacs_that_is_down(tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           orthanc: OrthancServer) -> None:
    from gazex_viewer.cli import main
    from tests.servers.orthanc_server import _free_port

    url = f"http://127.0.0.1:{_free_port()}/dicom-web"
    code = main(["batch", "--dicomweb", url, "--model", str(tiny_model_dir), "--cache-dir", str(tmp_path / "c"),
                 "--outbox", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith(f"gazex-viewer batch: {url}: connection test: cannot connect")


def test_multi_frame_instance_opens_frame_one(orthanc: OrthancServer, pacs: DicomWebPacs) -> None:
    """No multi-frame radiograph is in ../shared/data: one is made from the NIH file's real pixels (2 frames)."""
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    src = shared_path = SHARED_DATA / "dicom" / "nih_dx_secondary_capture.dcm"
    if not shared_path.exists():
        pytest.skip(f"real test data not found: {shared_path}")
    ds = pydicom.dcmread(src)
    pixels = ds.pixel_array
    second = np.ascontiguousarray(pixels[::-1])  # frame 2: the film upside down, so frames differ
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID = generate_uid(), generate_uid(), generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.PatientID = "MULTIFRAME"
    ds.NumberOfFrames = 2
    ds.PixelData = np.stack([pixels, second]).tobytes()
    pacs.store([ds])
    try:
        _check_multi_frame(pacs, str(ds.StudyInstanceUID), pixels, second, src)
    finally:
        _delete_study(orthanc, str(ds.StudyInstanceUID))


def _check_multi_frame(pacs: DicomWebPacs, study: str, pixels: np.ndarray, second: np.ndarray, src: Path) -> None:
    from gazex_viewer.core.imaging.files import load_radiograph

    (hit,) = pacs.search_instances(study)
    assert hit.n_frames == 2
    film = DicomWebSource(pacs, hit).open()
    assert film.metadata.n_frames == 2 and np.array_equal(film.stored, pixels)
    assert film.pixel_sha256 == load_radiograph(src).pixel_sha256
    assert any("frame" in n for n in film.notes)
    (frame2,) = pacs.retrieve_frames(hit, (2,))
    assert np.array_equal(np.frombuffer(frame2, dtype=np.uint8).reshape(pixels.shape), second)


def _delete_study(server: OrthancServer, study_uid: str) -> None:
    import requests

    base = f"http://127.0.0.1:{server.http_port}"
    auth = (USER, PASSWORD)
    found = requests.post(f"{base}/tools/find", json={"Level": "Study", "Query": {"StudyInstanceUID": study_uid}},
                          auth=auth, timeout=10)
    for study_id in found.json():
        requests.delete(f"{base}/studies/{study_id}", auth=auth, timeout=10).raise_for_status()


def test_dimse_find_get_store(orthanc: OrthancServer, pacs: DicomWebPacs, tmp_path: Path) -> None:
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.pacs.dimse import DimsePacs

    profile = ServerProfile(name="dimse", ae_title="ORTHANC", host="127.0.0.1", port=orthanc.dicom_port, timeout_s=10)
    dimse = DimsePacs(profile, RetrieveCache(tmp_path / "cache"))
    assert "C-ECHO answered" in dimse.echo()
    assert {s.study_instance_uid for s in dimse.search_studies()} == {
        s.study_instance_uid for s in pacs.search_studies()
    }
    assert [s.patient_id for s in dimse.search_studies(StudyQuery(patient_name="RG1"))] == ["9RG1"]
    hits = dimse.search_instances(RG1_STUDY)
    assert [h.sop_instance_uid for h in hits] == [h.sop_instance_uid for h in pacs.search_instances(RG1_STUDY)]
    j2k = next(h for h in hits if ".1.2." in h.sop_instance_uid.split("5962.1.1.9")[1][:6])
    film = DicomWebSource(dimse, j2k).open()
    assert film.metadata.transfer_syntax == "1.2.840.10008.1.2.4.90"  # the original JPEG 2000 lossless
    assert film.pixel_sha256 == load_radiograph(SHARED_DATA / "dicom" / "RG1_UNCR.dcm").pixel_sha256
    assert film.image_ref().file_name == f"{j2k.sop_instance_uid}.dcm"
    # C-STORE of a draft SR, found again by DICOMweb
    from gazex_viewer.core.pacs.documents import result_documents

    docs = result_documents(signed_reading_for(dimse.retrieve(j2k), sign=False), dimse.retrieve(j2k), pdf=False)
    assert dimse.store(docs.datasets) == [str(docs.sr.SOPInstanceUID)]
    assert any(sr.sop_instance_uid == docs.sr.SOPInstanceUID for sr in pacs.gazex_srs(RG1_STUDY))
    clear_results(orthanc)
    from tests.servers.orthanc_server import _free_port

    down = DimsePacs(ServerProfile(name="down", ae_title="X", host="127.0.0.1", port=_free_port(), timeout_s=2))
    with pytest.raises(PacsError, match="cannot connect"):
        down.echo()


def test_batch_queues_refused_sends_and_delivers_them_next_run(
    orthanc: OrthancServer, tiny_model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gazex_viewer.cli import main

    clear_results(orthanc)
    pacs = DicomWebPacs(orthanc_profile(orthanc), RetrieveCache(tmp_path / "check-cache"))
    argv = [
        "batch", "--dicomweb", orthanc.url, "--user", USER, "--secret-env", SECRET_ENV, "--model", str(tiny_model_dir),
        "--device", "cpu", "--deterministic", "--max-new-tokens", "64", "--cache-dir", str(tmp_path / "cache"),
        "--outbox", str(tmp_path / "outbox"), "--modality", "DX",
    ]
    real_store = DicomWebPacs.store

    def refuse(self: DicomWebPacs, datasets: object) -> list[str]:
        raise PacsError(self.url, "store: the server answered HTTP 503 Service Unavailable")

    monkeypatch.setattr(DicomWebPacs, "store", refuse)  # the archive takes queries but refuses to store
    assert main(argv) == 0
    out = capsys.readouterr()
    assert "1 radiographs: 0 SRs stored, 0 already had a GazeX result, 1 queued for retry" in out.out
    assert "queued for retry (store: the server answered HTTP 503" in out.err
    # still refusing: the queued draft counts as done, the model is not run again
    assert main(argv) == 0
    assert "0 SRs stored, 1 already had a GazeX result, 0 queued" in capsys.readouterr().out
    monkeypatch.setattr(DicomWebPacs, "store", real_store)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "0 SRs stored, 1 already had a GazeX result" in out and "1 earlier sends delivered" in out
    nih = next(s for s in pacs.search_studies() if s.patient_id == "Covid0000")
    assert len(pacs.gazex_srs(nih.study_instance_uid)) == 1
    assert main(argv) == 0
    assert "1 already had" in capsys.readouterr().out and len(pacs.gazex_srs(nih.study_instance_uid)) == 1

