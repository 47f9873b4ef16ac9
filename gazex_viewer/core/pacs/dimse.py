"""A DIMSE archive (pynetdicom), for PACS without DICOMweb: C-ECHO, C-FIND, C-GET, C-STORE.

The same surface as :class:`~gazex_viewer.core.pacs.dicomweb.DicomWebPacs` (search, retrieve into the
:class:`~gazex_viewer.core.pacs.cache.RetrieveCache`, store), so a
:class:`~gazex_viewer.core.pacs.dicomweb.DicomWebSource` works on either (both meet
:class:`~gazex_viewer.core.pacs.query.Archive`; this module imports only the shared hits from ``query``). Retrieval is C-GET on the
same association (no listening port of our own is needed, unlike C-MOVE). A failed association or a
refusal becomes one :class:`~gazex_viewer.core.pacs.PacsError` line.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gazex_viewer.core.pacs import PacsError
from gazex_viewer.core.pacs.cache import RetrieveCache
from gazex_viewer.core.pacs.profile import ServerProfile
from gazex_viewer.core.pacs.query import (
    DEFAULT_MODALITIES,
    InstanceHit,
    StudyHit,
    StudyQuery,
)

if TYPE_CHECKING:
    from pathlib import Path

    from pydicom.dataset import Dataset

_FIND = "1.2.840.10008.5.1.4.1.2.2.1"  # Study Root Query/Retrieve - FIND
_GET = "1.2.840.10008.5.1.4.1.2.2.3"  # Study Root Query/Retrieve - GET


def _str(ds: Dataset, keyword: str) -> str | None:
    value = ds.get(keyword)
    if value is None or value == "":
        return None
    return str(value)


class DimsePacs:
    """One DIMSE archive (AE title, host, port from the profile)."""

    def __init__(self, profile: ServerProfile, cache: RetrieveCache | None = None) -> None:
        if not (profile.ae_title and profile.host and profile.port):
            raise PacsError(profile.where, "the profile has no DIMSE address (AE title, host and port)")
        self.profile = profile
        self.url = f"{profile.ae_title}@{profile.host}:{profile.port}"
        self.cache = cache

    def _associate(self, contexts: Sequence[tuple[str, Sequence[str] | None]], **kw: Any) -> Any:
        from pynetdicom import AE

        ae = AE(ae_title=self.profile.calling_ae)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = self.profile.timeout_s
        ae.connection_timeout = self.profile.timeout_s
        for sop_class, syntaxes in contexts:
            if syntaxes is None:
                ae.add_requested_context(sop_class)
            else:
                ae.add_requested_context(sop_class, list(syntaxes))
        assoc = ae.associate(
            str(self.profile.host), int(self.profile.port or 0), ae_title=str(self.profile.ae_title), **kw
        )
        if not assoc.is_established:
            if assoc.is_rejected:
                why = "the archive rejected the association (check our AE title and its allowed modalities)"
            elif assoc.is_aborted and self._reachable():
                why = "the archive aborted the association"
            else:
                why = "cannot connect (connection refused, or the archive is down or unreachable)"
            raise PacsError(self.url, why)
        return assoc

    def _reachable(self) -> bool:
        import socket

        try:
            socket.create_connection((str(self.profile.host), int(self.profile.port or 0)), self.profile.timeout_s).close()
        except OSError:
            return False
        return True

    def echo(self) -> str:
        """C-ECHO; a one-line summary, PacsError otherwise."""
        t0 = time.perf_counter()
        assoc = self._associate([("1.2.840.10008.1.1", None)])
        try:
            status = assoc.send_c_echo()
        finally:
            assoc.release()
        if not status or int(status.Status) != 0:
            raise PacsError(self.url, "C-ECHO failed")
        return f"{self.url}: C-ECHO answered in {1000 * (time.perf_counter() - t0):.0f} ms"

    test_connection = echo

    def _find(self, identifier: Dataset) -> list[Dataset]:
        assoc = self._associate([(_FIND, None)])
        out: list[Dataset] = []
        try:
            for status, found in assoc.send_c_find(identifier, _FIND):
                if not status:
                    raise PacsError(self.url, "C-FIND: no answer (timed out or aborted)")
                code = int(status.Status)
                if code in (0xFF00, 0xFF01) and found is not None:
                    out.append(found)
                elif code not in (0x0000, 0xFF00, 0xFF01):
                    raise PacsError(self.url, f"C-FIND refused (status 0x{code:04X})")
        finally:
            assoc.release()
        return out

    def search_studies(self, query: StudyQuery | None = None) -> list[StudyHit]:
        from pydicom.dataset import Dataset

        q = query or StudyQuery()
        filters = q.filters()
        found: dict[str, StudyHit] = {}
        for modality in q.modalities or (None,):
            ds = Dataset()
            ds.QueryRetrieveLevel = "STUDY"
            for keyword in ("StudyInstanceUID", "PatientName", "PatientID", "AccessionNumber", "StudyDate",
                            "StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedInstances"):
                setattr(ds, keyword, "")
            for keyword, value in filters.items():
                setattr(ds, keyword, value)
            if modality:
                ds.ModalitiesInStudy = modality
            for item in self._find(ds):
                uid = _str(item, "StudyInstanceUID")
                if uid is None:
                    continue
                mods = item.get("ModalitiesInStudy") or []
                found.setdefault(uid, StudyHit(
                    study_instance_uid=uid,
                    patient_name=_str(item, "PatientName"),
                    patient_id=_str(item, "PatientID"),
                    accession_number=_str(item, "AccessionNumber"),
                    study_date=_str(item, "StudyDate"),
                    study_description=_str(item, "StudyDescription"),
                    modalities=tuple(str(m) for m in (mods if isinstance(mods, list | tuple) else [mods])),
                    n_instances=int(item.NumberOfStudyRelatedInstances)
                    if item.get("NumberOfStudyRelatedInstances") not in (None, "") else None,
                ))
        hits = sorted(found.values(), key=lambda h: (h.study_date or "", h.study_instance_uid), reverse=True)
        return hits[: q.limit] if q.limit else hits

    def search_instances(
        self, study_instance_uid: str, modalities: Sequence[str] | None = DEFAULT_MODALITIES
    ) -> list[InstanceHit]:
        from pydicom.dataset import Dataset

        series = Dataset()
        series.QueryRetrieveLevel = "SERIES"
        series.StudyInstanceUID = study_instance_uid
        series.SeriesInstanceUID = ""
        series.Modality = ""
        series.SeriesDescription = ""
        out: list[InstanceHit] = []
        for s in self._find(series):
            modality = _str(s, "Modality")
            if modalities and modality not in modalities:
                continue
            image = Dataset()
            image.QueryRetrieveLevel = "IMAGE"
            image.StudyInstanceUID = study_instance_uid
            image.SeriesInstanceUID = s.SeriesInstanceUID
            for keyword in ("SOPInstanceUID", "SOPClassUID", "InstanceNumber", "Rows", "Columns", "NumberOfFrames"):
                setattr(image, keyword, None)
            for i in self._find(image):
                out.append(InstanceHit(
                    study_instance_uid=study_instance_uid,
                    series_instance_uid=str(s.SeriesInstanceUID),
                    sop_instance_uid=str(i.SOPInstanceUID),
                    sop_class_uid=_str(i, "SOPClassUID"),
                    modality=modality,
                    series_description=_str(s, "SeriesDescription"),
                    instance_number=int(i.InstanceNumber) if i.get("InstanceNumber") not in (None, "") else None,
                    rows=int(i.Rows) if i.get("Rows") not in (None, "") else None,
                    columns=int(i.Columns) if i.get("Columns") not in (None, "") else None,
                    n_frames=int(i.NumberOfFrames) if i.get("NumberOfFrames") not in (None, "") else 1,
                ))
        return sorted(out, key=lambda h: (h.series_instance_uid, h.instance_number or 0, h.sop_instance_uid))

    def retrieve(self, hit: InstanceHit, *, use_cache: bool = True) -> Path:
        """C-GET of one instance into the cache (its original transfer syntax when we can decode it)."""
        from pydicom.dataset import Dataset
        from pydicom.uid import (
            JPEG2000,
            ExplicitVRLittleEndian,
            ImplicitVRLittleEndian,
            JPEG2000Lossless,
            JPEGBaseline8Bit,
            JPEGLosslessSV1,
            JPEGLSLossless,
            JPEGLSNearLossless,
            RLELossless,
        )
        from pynetdicom import build_role, evt

        cache = self.cache if self.cache is not None else RetrieveCache()
        self.cache = cache
        if use_cache:
            cached = cache.get(hit.sop_instance_uid)
            if cached is not None:
                return cached
        if not hit.sop_class_uid:
            raise PacsError(self.url, f"instance {hit.sop_instance_uid}: its SOP class is unknown (C-FIND it first)")
        syntaxes = [ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless, JPEG2000, JPEGLSLossless,
                    JPEGLSNearLossless, JPEGBaseline8Bit, JPEGLosslessSV1, RLELossless]
        received: list[Path] = []
        problems: list[str] = []

        def on_store(event: Any) -> int:
            ds = event.dataset
            ds.file_meta = event.file_meta
            if str(ds.get("SOPInstanceUID", "")) != hit.sop_instance_uid:
                problems.append(f"the archive sent {ds.get('SOPInstanceUID')} instead")
                return 0xC000
            try:
                received.append(cache.put_dataset(hit.sop_instance_uid, ds))
            except PacsError as err:
                problems.append(err.reason)
                return 0xA700
            return 0x0000

        # one presentation context per transfer syntax: with a single context the archive picks one syntax
        # for it and must transcode into it (Orthanc 1.10 cannot transcode JPEG 2000 and refuses)
        assoc = self._associate(
            [(_GET, None), *((hit.sop_class_uid, [ts]) for ts in syntaxes)],
            ext_neg=[build_role(hit.sop_class_uid, scp_role=True)],
            evt_handlers=[(evt.EVT_C_STORE, on_store)],
        )
        query = Dataset()
        query.QueryRetrieveLevel = "IMAGE"
        query.StudyInstanceUID = hit.study_instance_uid
        query.SeriesInstanceUID = hit.series_instance_uid
        query.SOPInstanceUID = hit.sop_instance_uid
        final = None
        try:
            for status, _ in assoc.send_c_get(query, _GET):
                if status:
                    final = int(status.Status)
        finally:
            assoc.release()
        if problems:
            raise PacsError(self.url, f"C-GET of {hit.sop_instance_uid}: {problems[0]}")
        if not received:
            code = "no answer" if final is None else f"status 0x{final:04X}"
            raise PacsError(self.url, f"C-GET of {hit.sop_instance_uid}: nothing received ({code})")
        return received[-1]

    def store(self, datasets: Sequence[Dataset]) -> list[str]:
        """C-STORE each dataset; PacsError naming the first the archive refuses."""
        if not datasets:
            return []
        contexts: dict[str, list[str]] = {}
        for ds in datasets:
            ts = str(ds.file_meta.TransferSyntaxUID) if "TransferSyntaxUID" in getattr(ds, "file_meta", {}) else None
            contexts.setdefault(str(ds.SOPClassUID), [])
            if ts and ts not in contexts[str(ds.SOPClassUID)]:
                contexts[str(ds.SOPClassUID)].append(ts)
        assoc = self._associate([(cls, ts or None) for cls, ts in contexts.items()])
        try:
            for ds in datasets:
                status = assoc.send_c_store(ds)
                if not status or int(status.Status) not in (0x0000, 0xB000, 0xB007, 0xB006):
                    code = "no answer" if not status else f"status 0x{int(status.Status):04X}"
                    raise PacsError(self.url, f"C-STORE of {ds.SOPInstanceUID} refused ({code})")
        finally:
            assoc.release()
        return [str(ds.SOPInstanceUID) for ds in datasets]

    def __repr__(self) -> str:
        return f"DimsePacs({self.url!r})"
