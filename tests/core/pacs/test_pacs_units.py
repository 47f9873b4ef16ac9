"""PACS pieces without an archive: retrieve cache, server profiles, queries, image sources, broken servers."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pydicom
import pytest

from gazex_viewer.core.imaging.files import FileSource, load_radiograph
from gazex_viewer.core.imaging.radiograph import ImageIdentity
from gazex_viewer.core.imaging.source import ImageSource
from gazex_viewer.core.pacs import PacsError
from gazex_viewer.core.pacs.cache import RetrieveCache, cache_file_name
from gazex_viewer.core.pacs.dicomweb import (
    DicomWebPacs,
    InstanceHit,
    StudyQuery,
    non_image_kind,
)
from gazex_viewer.core.pacs.profile import ServerProfile, load_profiles, save_profiles
from tests.conftest import shared_file


# -- retrieve cache ------------------------------------------------------------------------------
def test_cache_names_files_by_uid_and_hashes_odd_ones() -> None:
    assert cache_file_name("1.2.840.113619.2.5") == "1.2.840.113619.2.5.dcm"
    odd = cache_file_name("../../etc/passwd")
    assert odd.startswith("x-") and odd.endswith(".dcm") and "/" not in odd
    assert cache_file_name("1.2.3 ") == "1.2.3.dcm"
    assert cache_file_name("1." + "2" * 70).startswith("x-")  # longer than a UID may be
    assert cache_file_name("1.2\u00e9") != cache_file_name("1.2e")


def test_cache_evicts_least_recently_used_first(tmp_path: Path) -> None:
    cache = RetrieveCache(tmp_path, max_bytes=2500)
    for i, uid in enumerate(("1.1", "1.2", "1.3")):
        cache.put_bytes(uid, b"x" * 1000)
        os.utime(cache.path_for(uid), (1000 + i, 1000 + i))
    # 3000 > 2500 happened at the third put, which removed the oldest ("1.1")
    assert cache.get("1.1") is None and cache.get("1.2") is not None  # "1.2" touched: now the newest
    cache.put_bytes("1.4", b"y" * 1000)
    names = sorted(p.name for p in cache.root.iterdir())
    assert names == ["1.2.dcm", "1.4.dcm"]
    assert cache.size_bytes() == 2000
    # a single file bigger than the whole cache is still kept (it was just asked for)
    big = cache.put_bytes("1.5", b"z" * 5000)
    assert big.is_file() and [p.name for p in cache.root.iterdir()] == ["1.5.dcm"]


def test_cache_write_failure_leaves_no_partial_file(tmp_path: Path) -> None:
    cache = RetrieveCache(tmp_path)

    class Broken:
        def save_as(self, f: object, enforce_file_format: bool = True) -> None:
            f.write(b"half a file")  # type: ignore[attr-defined]
            raise ValueError("the dataset cannot be written")

    with pytest.raises(ValueError):
        cache.put_dataset("1.2.3", Broken())  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    # a temporary left by a crash long ago is cleaned up when the cache opens
    stale = tmp_path / ".1.2.3.abc.partial"
    stale.write_bytes(b"x")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = tmp_path / ".1.2.4.abc.partial"
    fresh.write_bytes(b"x")
    RetrieveCache(tmp_path)
    assert not stale.exists() and fresh.exists()


# -- profiles ------------------------------------------------------------------------------------
def test_profile_problems_and_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert ServerProfile(name="a", url="https://pacs/dicom-web").problems() == []
    bad = ServerProfile(name="b", url="pacs:8042", auth="digest", ca_bundle=str(tmp_path / "none.pem"))
    problems = " | ".join(bad.problems())
    assert "must start with http" in problems and "unknown authentication 'digest'" in problems
    assert "CA bundle" in problems
    with pytest.raises(PacsError, match="must start with http"):
        bad.session()
    assert "basic authentication needs a username" in ServerProfile(name="c", url="http://x", auth="basic").problems()
    assert ServerProfile(name="d", ae_title="PACS", host="127.0.0.1", port=104).problems() == []

    token = ServerProfile(name="t", url="https://pacs/dicom-web", auth="bearer", secret_env="GAZEX_T_TOKEN")
    monkeypatch.setenv("GAZEX_T_TOKEN", "abc")
    assert token.session().headers["Authorization"] == "Bearer abc"
    monkeypatch.delenv("GAZEX_T_TOKEN")
    with pytest.raises(PacsError, match=r"no token for profile 't': set \$GAZEX_T_TOKEN or the keyring"):
        token.session()
    basic = ServerProfile(name="u", url="https://pacs", auth="basic", username="ada", secret_env="GAZEX_T_PW",
                          ca_bundle=None, verify_tls=False)
    monkeypatch.setenv("GAZEX_T_PW", "pw")
    s = basic.session()
    assert s.auth == ("ada", "pw") and s.verify is False


def test_profiles_are_saved_without_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GAZEX_CONFIG_DIR", str(tmp_path))
    assert load_profiles() == []
    profiles = [ServerProfile(name="main", url="https://pacs/dicom-web", auth="basic", username="ada",
                              secret_env="PW"), ServerProfile(name="dimse", ae_title="PACS", host="10.0.0.1", port=104)]
    path = save_profiles(profiles)
    assert path == tmp_path / "pacs.json"
    assert load_profiles() == profiles
    assert "password" not in path.read_text().lower()
    path.write_text('{"profiles": [{"name": "x", "colour": "red"}]}')
    with pytest.raises(PacsError, match=r"pacs.json: unknown server profile field\(s\): colour"):
        load_profiles()
    path.write_text("{not json")
    with pytest.raises(PacsError, match="cannot read the server profiles"):
        load_profiles()


# -- queries and sources -------------------------------------------------------------------------
def test_study_query_filters() -> None:
    q = StudyQuery(patient_name="Doe^John", patient_id="12 34", accession_number="A1", date_from="2024-01-02")
    assert q.filters() == {
        "PatientName": "*Doe*John*", "PatientID": "12*34", "AccessionNumber": "A1", "StudyDate": "20240102-",
    }
    assert StudyQuery(patient_name="Do?").filters()["PatientName"] == "Do?"
    assert StudyQuery(date_to="20240131").filters() == {"StudyDate": "-20240131"}
    with pytest.raises(PacsError, match="bad date '2024/01/02'"):
        StudyQuery(date_from="2024/01/02").filters()
    assert StudyQuery().modalities == ("CR", "DX")


def test_non_image_classes() -> None:
    assert non_image_kind("1.2.840.10008.5.1.4.1.1.88.33") == "Structured Report"
    assert non_image_kind("1.2.840.10008.5.1.4.1.1.104.1") == "Encapsulated PDF"
    assert non_image_kind("1.2.840.10008.5.1.4.1.1.1") is None  # CR
    assert non_image_kind("1.2.840.10008.5.1.4.1.1.1.1") is None  # DX
    assert non_image_kind(None) is None


class _SopNamed:
    """A source named by its SOP Instance UID whose pixels sit in another source's file."""

    def __init__(self, inner: FileSource) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return f"{self.inner.identity.sop_instance_uid}.dcm"

    @property
    def identity(self) -> ImageIdentity:
        return self.inner.identity

    def header(self) -> pydicom.Dataset | None:
        return self.inner.header()


def test_file_source_identity_is_the_dicom_uids() -> None:
    path = shared_file("dicom/RG1_J2KR.dcm")
    source = FileSource(path)
    assert isinstance(source, ImageSource)
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    assert source.identity == ImageIdentity(
        str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), str(ds.SOPInstanceUID), str(ds.SOPClassUID)
    )
    assert source.identity.is_dicom and source.name == "RG1_J2KR.dcm"
    film = source.open()
    assert film.image_ref().file_name == "RG1_J2KR.dcm" and film.source is source
    # a film whose file's name means nothing (a PACS cache file) is named by its source
    cached = load_radiograph(path, source=_SopNamed(source))
    assert cached.image_ref().file_name == f"{ds.SOPInstanceUID}.dcm" and cached.name == cached.image_ref().file_name
    assert cached.pixel_sha256 == film.pixel_sha256
    png = FileSource(shared_file("images/nih/00000001_000.png"))
    assert png.header() is None and not png.identity.is_dicom and png.open().width == 512


# -- a broken server (a local HTTP server on 127.0.0.1) -------------------------------------------
class _Broken(BaseHTTPRequestHandler):
    mode = "truncated"

    def do_GET(self) -> None:
        if self.mode == "slow":
            time.sleep(1.5)
        boundary = "b0und4ry"
        body = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n").encode() + b"\0" * 128 + b"DICM"
        self.send_response(200)
        self.send_header("Content-Type", f'multipart/related; type="application/dicom"; boundary={boundary}')
        self.send_header("Content-Length", str(len(body) + 100_000))  # promises more than it sends
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def broken_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode, reason", [("truncated", "cut off"), ("slow", "no answer within 0.5 s")])
def test_broken_retrieve_gives_one_line_and_no_cache_file(
    broken_server: ThreadingHTTPServer, tmp_path: Path, mode: str, reason: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Broken, "mode", mode)
    url = f"http://127.0.0.1:{broken_server.server_address[1]}/dicom-web"
    pacs = DicomWebPacs(ServerProfile(name="broken", url=url, timeout_s=0.5), RetrieveCache(tmp_path / "cache"))
    hit = InstanceHit("1.2.3", "1.2.3.4", "1.2.3.4.5", "1.2.840.10008.5.1.4.1.1.1")
    with pytest.raises(PacsError) as err:
        pacs.retrieve(hit)
    msg = str(err.value)
    assert reason in msg and "\n" not in msg and msg.startswith(f"{url}: retrieve of instance 1.2.3.4.5")
    assert list((tmp_path / "cache").iterdir()) == []


# -- TLS: a local HTTPS server (127.0.0.1) with a self-signed certificate made by openssl ---------
class _Qido(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/dicom+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_tls_verification_uses_the_profiles_ca_bundle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Orthanc 1.10.1 (Debian) dies on its first HTTPS connection here, so a Python HTTPS server stands in."""
    import ssl
    import subprocess

    from tests.conftest import require_tool

    openssl = require_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Qido)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # the environment's own CA bundle must not override the profile's (requests does that by default)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    try:
        url = f"https://127.0.0.1:{server.server_address[1]}/dicom-web"
        with pytest.raises(PacsError) as err:
            DicomWebPacs(ServerProfile(name="tls", url=url, timeout_s=5), RetrieveCache(tmp_path / "c")).test_connection()
        assert str(err.value).startswith(f"{url}: connection test: the server's TLS certificate is not trusted")
        trusted = ServerProfile(name="tls", url=url, ca_bundle=str(cert), timeout_s=5)
        assert "connected" in DicomWebPacs(trusted, RetrieveCache(tmp_path / "c")).test_connection()
        unverified = ServerProfile(name="tls", url=url, verify_tls=False, timeout_s=5)
        assert DicomWebPacs(unverified, RetrieveCache(tmp_path / "c")).search_studies() == []
    finally:
        server.shutdown()
        server.server_close()
