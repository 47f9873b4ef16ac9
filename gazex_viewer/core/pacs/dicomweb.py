"""A DICOMweb archive (dicomweb-client): QIDO-RS search, WADO-RS retrieve, STOW-RS store.

:class:`DicomWebPacs` wraps one server profile. Every failure of the server or the network becomes
a :class:`~gazex_viewer.core.pacs.PacsError` with one line: the URL and what went wrong (refused,
timed out, wrong credentials, certificate not trusted, truncated answer). Frame requests always
name their media type (Orthanc answers HTTP 400 to ``*/*``). :class:`DicomWebSource` is one
instance behind the :class:`~gazex_viewer.core.imaging.source.ImageSource` seam: retrieved into the
:class:`~gazex_viewer.core.pacs.cache.RetrieveCache`, opened as a radiograph whose identity is its UIDs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from gazex_viewer.core.imaging.radiograph import ImageIdentity
from gazex_viewer.core.pacs import PacsError
from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.profile import ServerProfile
from gazex_viewer.core.pacs.query import (
    DEFAULT_MODALITIES,
    FRAME_MEDIA_TYPES,
    GAZEX_SR_PREFIX,
    Archive,
    GazexSr,
    InstanceHit,
    StudyHit,
    StudyQuery,
    _text,
    non_image_kind,
)

if TYPE_CHECKING:
    from pathlib import Path

    from dicomweb_client.api import DICOMwebClient
    from pydicom.dataset import Dataset

    from gazex_viewer.core.imaging.radiograph import Radiograph

__all__ = [
    "DEFAULT_MODALITIES",
    "FRAME_MEDIA_TYPES",
    "GAZEX_SR_PREFIX",
    "Archive",
    "DicomWebPacs",
    "DicomWebSource",
    "GazexSr",
    "InstanceHit",
    "StudyHit",
    "StudyQuery",
    "non_image_kind",
]


# ------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------
def _describe_failure(exc: BaseException, timeout_s: float) -> str:
    import requests

    if isinstance(exc, requests.exceptions.SSLError):
        return "the server's TLS certificate is not trusted (set the profile's CA bundle, or turn verification off)"
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.ReadTimeout):
        return f"no answer within {timeout_s:g} s (timed out)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut off (truncated transfer)"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "cannot connect (connection refused, or the server is down or unreachable)"
    if isinstance(exc, requests.exceptions.HTTPError):
        response = exc.response
        code = response.status_code if response is not None else 0
        reason = (response.reason if response is not None else "") or ""
        if code == 401:
            return "the server refused the credentials (HTTP 401 Unauthorized)"
        if code == 403:
            return "access denied (HTTP 403 Forbidden)"
        if code == 404:
            return "not found on the server (HTTP 404)"
        return f"the server answered HTTP {code} {reason}".strip()
    if isinstance(exc, ValueError | KeyError | IndexError | EOFError):
        return f"the answer is not valid DICOMweb ({type(exc).__name__}: {exc})"
    return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------------------------------------
# the client
# ------------------------------------------------------------------------------------------------
class DicomWebPacs:
    """One DICOMweb archive: search, retrieve into the cache, store."""

    def __init__(self, profile: ServerProfile | str, cache: RetrieveCache | None = None) -> None:
        self.profile = profile if isinstance(profile, ServerProfile) else ServerProfile(name=profile, url=profile)
        if not self.profile.url:
            raise PacsError(self.profile.where, "the profile has no DICOMweb URL")
        self.url = self.profile.url.rstrip("/")
        self.cache = cache
        self._client: DICOMwebClient | None = None

    @property
    def client(self) -> DICOMwebClient:
        if self._client is None:
            from dicomweb_client.api import DICOMwebClient

            client = DICOMwebClient(self.url, session=self.profile.session(), timeout=self.profile.timeout_s)
            # dicomweb-client retries any failure 5 times with 2-16 s waits (30 s for a refused
            # connection): one quick retry, so a PACS that is down is said at once
            client.set_http_retry_params(retry=True, max_attempts=2, wait_exponential_multiplier=200)
            self._client = client
        return self._client

    @contextmanager
    def _call(self, what: str) -> Iterator[None]:
        try:
            yield
        except PacsError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the server or network: one line
            raise PacsError(self.url, f"{what}: {_describe_failure(exc, self.profile.timeout_s)}") from None

    # -- connection ----------------------------------------------------------------------------
    def test_connection(self) -> str:
        """Ask the server for one study; returns a one-line summary, PacsError with the reason otherwise."""
        t0 = time.perf_counter()
        with self._call("connection test"):
            self.client.search_for_studies(limit=1)
        return f"{self.url}: connected, answered a study search in {1000 * (time.perf_counter() - t0):.0f} ms"

    # -- QIDO-RS -------------------------------------------------------------------------------
    def search_studies(self, query: StudyQuery | None = None) -> list[StudyHit]:
        """Studies matching ``query``, one query per modality (merged by Study Instance UID), newest first."""
        q = query or StudyQuery()
        filters = q.filters()
        fields = ["00081030", "00080061", "00201208", "00080050"]
        found: dict[str, StudyHit] = {}
        for modality in q.modalities or (None,):
            f = dict(filters)
            if modality:
                f["ModalitiesInStudy"] = modality
            with self._call("study search"):
                # no get_remaining: Orthanc ignores offset, and dicomweb-client would page forever
                items = self.client.search_for_studies(search_filters=f, fields=fields, limit=q.limit)
            for item in items:
                hit = StudyHit.from_json(item)
                found.setdefault(hit.study_instance_uid, hit)
        hits = sorted(found.values(), key=lambda h: (h.study_date or "", h.study_instance_uid), reverse=True)
        return hits[: q.limit] if q.limit else hits

    def search_instances(
        self, study_instance_uid: str, modalities: Sequence[str] | None = DEFAULT_MODALITIES
    ) -> list[InstanceHit]:
        """The instances of a study (only ``modalities`` unless None), by series then instance number."""
        fields = ["00080016", "00080060", "0008103E", "00200013", "00280010", "00280011", "00280008"]
        found: dict[str, InstanceHit] = {}
        for modality in modalities or (None,):
            f = {"Modality": modality} if modality else {}
            with self._call(f"instance search in study {study_instance_uid}"):
                items = self.client.search_for_instances(
                    study_instance_uid=study_instance_uid, search_filters=f, fields=fields
                )
            for item in items:
                hit = InstanceHit.from_json(item)
                found.setdefault(hit.sop_instance_uid, hit)
        return sorted(
            found.values(), key=lambda h: (h.series_instance_uid, h.instance_number or 0, h.sop_instance_uid)
        )

    def gazex_srs(self, study_instance_uid: str) -> list[GazexSr]:
        """The GazeX SRs stored in a study (found by QIDO with Modality=SR), with what each refers to."""
        out: list[GazexSr] = []
        for hit in self.search_instances(study_instance_uid, ("SR",)):
            if not (hit.series_description or "").startswith(GAZEX_SR_PREFIX):
                continue
            with self._call(f"SR metadata {hit.sop_instance_uid}"):
                meta = self.client.retrieve_instance_metadata(
                    hit.study_instance_uid, hit.series_instance_uid, hit.sop_instance_uid
                )
            refs: set[str] = set()
            for study_ref in (meta.get("0040A375") or {}).get("Value") or ():  # Current Requested Procedure Evidence
                for series_ref in (study_ref.get("00081115") or {}).get("Value") or ():
                    for sop_ref in (series_ref.get("00081199") or {}).get("Value") or ():
                        uid = _text(sop_ref, "00081155")
                        if uid:
                            refs.add(uid)
            out.append(
                GazexSr(
                    study_instance_uid=hit.study_instance_uid,
                    series_instance_uid=hit.series_instance_uid,
                    sop_instance_uid=hit.sop_instance_uid,
                    series_description=hit.series_description,
                    signed=_text(meta, "0040A493") == "VERIFIED",
                    referenced_sop_instance_uids=frozenset(refs),
                    content_date_time=(_text(meta, "00080023") or "") + (_text(meta, "00080033") or "") or None,
                )
            )
        return out

    # -- WADO-RS -------------------------------------------------------------------------------
    def retrieve(self, hit: InstanceHit, *, use_cache: bool = True) -> Path:
        """The instance as a DICOM file in the cache (retrieved unless already there)."""
        cache = self.cache if self.cache is not None else RetrieveCache()
        self.cache = cache
        if use_cache:
            cached = cache.get(hit.sop_instance_uid)
            if cached is not None:
                return cached
        with self._call(f"retrieve of instance {hit.sop_instance_uid}"):
            ds = self.client.retrieve_instance(
                hit.study_instance_uid, hit.series_instance_uid, hit.sop_instance_uid
            )
        got = str(ds.get("SOPInstanceUID", ""))
        if got != hit.sop_instance_uid:
            raise PacsError(
                self.url, f"asked for instance {hit.sop_instance_uid} but the server sent {got or 'no SOP Instance UID'}"
            )
        return cache.put_dataset(hit.sop_instance_uid, ds)

    def retrieve_frames(self, hit: InstanceHit, frames: Sequence[int] = (1,)) -> list[bytes]:
        """Raw frames (explicit VR little endian, uncompressed), with the explicit media type Orthanc needs."""
        with self._call(f"retrieve of frames {list(frames)} of {hit.sop_instance_uid}"):
            return list(
                self.client.retrieve_instance_frames(
                    hit.study_instance_uid,
                    hit.series_instance_uid,
                    hit.sop_instance_uid,
                    frame_numbers=list(frames),
                    media_types=FRAME_MEDIA_TYPES,
                )
            )

    # -- STOW-RS -------------------------------------------------------------------------------
    def store(self, datasets: Sequence[Dataset]) -> list[str]:
        """Store datasets; returns their SOP Instance UIDs; PacsError when the server refuses any of them."""
        if not datasets:
            return []
        with self._call("store"):
            answer = self.client.store_instances(list(datasets))
        failed = answer.get("FailedSOPSequence") if answer is not None else None
        if failed:
            reasons = ", ".join(
                f"{item.get('ReferencedSOPInstanceUID', '?')} (reason {item.get('FailureReason', '?')})" for item in failed
            )
            raise PacsError(self.url, f"the server refused to store {reasons}")
        return [str(ds.SOPInstanceUID) for ds in datasets]

    def __repr__(self) -> str:
        return f"DicomWebPacs({self.url!r})"


class DicomWebSource:
    """One PACS instance (DICOMweb, or DIMSE through a DimsePacs: any :class:`Archive`) as an :class:`~gazex_viewer.core.imaging.source.ImageSource`."""

    def __init__(
        self, pacs: Archive, hit: InstanceHit, *, progress: Callable[[str], None] | None = None
    ) -> None:
        self.pacs = pacs
        self.hit = hit
        self.progress = progress
        self._header: Dataset | None = None

    @property
    def name(self) -> str:
        return f"{self.hit.sop_instance_uid}.dcm"

    @property
    def identity(self) -> ImageIdentity:
        return self.hit.identity

    def _check_image(self, sop_class_uid: str | None) -> None:
        kind = non_image_kind(sop_class_uid)
        if kind is not None:
            raise PacsError(
                self.pacs.url, f"instance {self.hit.sop_instance_uid} is not a radiograph ({kind}); it has no film to show"
            )

    def path(self) -> Path:
        """The cached DICOM file (retrieved first when needed)."""
        self._check_image(self.hit.sop_class_uid)
        if self.progress is not None:
            self.progress(f"retrieving {self.name}")
        return self.pacs.retrieve(self.hit)

    def header(self) -> Dataset | None:
        if self._header is None:
            import pydicom

            self._header = pydicom.dcmread(self.path(), stop_before_pixels=True)
        return self._header

    def open(self) -> Radiograph:
        from gazex_viewer.core.imaging.files import load_radiograph

        path = self.path()
        header = self.header()
        assert header is not None
        self._check_image(str(header.get("SOPClassUID", "")))
        return load_radiograph(path, source=self)

    def __repr__(self) -> str:
        return f"DicomWebSource({self.pacs.url!r}, {self.hit.sop_instance_uid!r})"
