"""The Orthanc the PACS tests share: the module-scoped ``orthanc`` fixture, its profile and clean-up helpers.

Import the fixture by name into a test module (``from tests.servers.orthanc_fixtures import orthanc``);
it is module-scoped, so each module gets its own server, loaded with the shared DICOM files by STOW-RS and
stopped by PID at the end (see :mod:`tests.servers.orthanc_server`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gazex_viewer.core.pacs.dicomweb import DicomWebPacs
from gazex_viewer.core.pacs.profile import ServerProfile
from tests.conftest import SHARED_DATA
from tests.servers.orthanc_server import PASSWORD, USER, OrthancServer, start_orthanc

__all__ = [
    "RG1_STUDY",
    "RG1_UNCR_SOP",
    "SECRET_ENV",
    "all_gazex_refs",
    "clear_results",
    "orthanc",
    "orthanc_profile",
]

RG1_STUDY = "1.3.6.1.4.1.5962.1.2.9.20040826185059.5457"
RG1_UNCR_SOP = "1.3.6.1.4.1.5962.1.1.9.1.1.20040826185059.5457"
SECRET_ENV = "GAZEX_TEST_PACS_PASSWORD"


def _shared_dicoms() -> list[Path]:
    files = sorted((SHARED_DATA / "dicom").glob("*.dcm"))
    if not files:
        pytest.skip(f"real test data not found: {SHARED_DATA / 'dicom'} (../shared/data is absent)")
    return files


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrthancServer]:
    """Orthanc loaded with the shared DICOM files by STOW-RS; stopped by PID at the end."""
    files = _shared_dicoms()
    server, ns = start_orthanc(tmp_path_factory.mktemp("orthanc"))
    os.environ[SECRET_ENV] = PASSWORD
    try:
        import pydicom

        pacs = DicomWebPacs(orthanc_profile(server))
        pacs.store([pydicom.dcmread(f) for f in files])
        yield server
    finally:
        server.stop()
        ns.leave()
        os.environ.pop(SECRET_ENV, None)


def orthanc_profile(server: OrthancServer, **kw: object) -> ServerProfile:
    """The test Orthanc's server profile (basic auth, the password in ``$GAZEX_TEST_PACS_PASSWORD``), ``kw`` changed."""
    base: dict[str, object] = {
        "name": "test-orthanc", "url": server.url, "auth": "basic", "username": USER, "secret_env": SECRET_ENV,
        "timeout_s": 10.0,
    }
    base.update(kw)
    return ServerProfile(**base)  # type: ignore[arg-type]


def clear_results(server: OrthancServer) -> None:
    """Remove every SR and DOC series from the test Orthanc (its REST API), so a test starts from the images."""
    import requests

    base = f"http://127.0.0.1:{server.http_port}"
    auth = (USER, PASSWORD)
    for modality in ("SR", "DOC"):
        found = requests.post(f"{base}/tools/find", json={"Level": "Series", "Query": {"Modality": modality}},
                              auth=auth, timeout=10)
        found.raise_for_status()
        for series_id in found.json():
            requests.delete(f"{base}/series/{series_id}", auth=auth, timeout=10).raise_for_status()


def all_gazex_refs(pacs: DicomWebPacs) -> list[str]:
    """Every SOP Instance UID a GazeX SR in the archive refers to, sorted."""
    return sorted(
        uid for s in pacs.search_studies() for sr in pacs.gazex_srs(s.study_instance_uid)
        for uid in sr.referenced_sop_instance_uids
    )
