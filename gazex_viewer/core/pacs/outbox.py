"""Results that could not be sent stay on disk and are retried; what was sent is logged with its time.

Layout of the outbox folder:

- ``pending/<uid>.dcm`` and ``pending/<uid>.json``: one instance waiting for the archive at the URL
  recorded in the JSON (with the number of attempts and the last reason). Both are written
  atomically; an instance is keyed by its SOP Instance UID, so queueing it again replaces it.
- ``sent.jsonl``: one line per stored instance: SOP UID, study, kind, the images it refers to, the
  URL and the time. An instance leaves ``pending`` only after the archive accepted it, so nothing
  is lost; and it is sent by at most one path (the direct send or a retry), so nothing goes twice.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazex_viewer.core.pacs import PacsError
from gazex_viewer.core.pacs.cache import cache_file_name

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

    from gazex_viewer.core.pacs.dicomweb import DicomWebPacs


def default_outbox_dir() -> Path:
    """``$GAZEX_DATA_DIR/pacs-outbox`` or platformdirs' user data dir for gazex-viewer."""
    override = os.environ.get("GAZEX_DATA_DIR")
    if override:
        return Path(override) / "pacs-outbox"
    import platformdirs

    return Path(platformdirs.user_data_dir("gazex-viewer", appauthor=False)) / "pacs-outbox"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def referenced_sops(ds: Dataset) -> list[str]:
    """The image SOP Instance UIDs an SR (evidence) or an Encapsulated PDF (source) refers to."""
    out: list[str] = []
    for study in ds.get("CurrentRequestedProcedureEvidenceSequence", []):
        for series in study.get("ReferencedSeriesSequence", []):
            out += [str(s.ReferencedSOPInstanceUID) for s in series.get("ReferencedSOPSequence", [])]
    out += [str(s.ReferencedSOPInstanceUID) for s in ds.get("SourceInstanceSequence", [])]
    return list(dict.fromkeys(out))


@dataclass
class SendReport:
    """What one send (or retry) did."""

    sent: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)
    #: one line per instance not sent: why
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{len(self.sent)} sent"
        if self.queued:
            text += f", {len(self.queued)} queued for retry ({self.problems[0]})"
        return text


class Outbox:
    """Instances waiting to be stored, and the log of those stored."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_outbox_dir()
        self.pending_dir = self.root / "pending"
        self.log_path = self.root / "sent.jsonl"
        try:
            self.pending_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise PacsError(self.root, f"cannot create the outbox ({err.strerror or err})") from None

    # -- queue ---------------------------------------------------------------------------------
    def _atomic(self, final: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except OSError as err:
            Path(tmp).unlink(missing_ok=True)
            raise PacsError(final, f"cannot write to the outbox ({err.strerror or err})") from None

    def add(self, ds: Dataset, *, url: str, reason: str) -> Path:
        """Queue an instance for ``url`` (replacing an earlier copy of the same SOP instance)."""
        from io import BytesIO

        stem = cache_file_name(str(ds.SOPInstanceUID))[:-4]
        meta_path = self.pending_dir / f"{stem}.json"
        attempts = 0
        if meta_path.exists():
            try:
                attempts = int(json.loads(meta_path.read_text())["attempts"])
            except (OSError, ValueError, KeyError):
                attempts = 0
        buf = BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        dcm = self.pending_dir / f"{stem}.dcm"
        self._atomic(dcm, buf.getvalue())
        meta = {
            "sop_instance_uid": str(ds.SOPInstanceUID),
            "study_instance_uid": str(ds.get("StudyInstanceUID", "")),
            "modality": str(ds.get("Modality", "")),
            "refers_to": referenced_sops(ds),
            "url": url,
            "queued_at": _now(),
            "attempts": attempts + 1,
            "last_error": reason,
        }
        self._atomic(meta_path, json.dumps(meta, indent=1).encode())
        return dcm

    def pending(self, url: str | None = None) -> list[dict[str, Any]]:
        """The queued instances (for ``url`` only, when given), oldest first."""
        items: list[dict[str, Any]] = []
        for meta_path in sorted(self.pending_dir.glob("*.json")):
            try:
                meta = json.loads(meta_path.read_text())
            except (OSError, ValueError):
                continue
            dcm = meta_path.with_suffix(".dcm")
            if not dcm.is_file() or (url is not None and meta.get("url") != url):
                continue
            meta["path"] = str(dcm)
            items.append(meta)
        return sorted(items, key=lambda m: str(m.get("queued_at")))

    def pending_refs(self, url: str | None = None) -> set[str]:
        """Image SOP UIDs that have a result waiting in the queue."""
        return {uid for m in self.pending(url) for uid in m.get("refers_to") or ()}

    # -- log -----------------------------------------------------------------------------------
    def record_sent(self, ds: Dataset, url: str) -> None:
        line = {
            "sop_instance_uid": str(ds.SOPInstanceUID),
            "study_instance_uid": str(ds.get("StudyInstanceUID", "")),
            "modality": str(ds.get("Modality", "")),
            "refers_to": referenced_sops(ds),
            "url": url,
            "sent_at": _now(),
        }
        try:
            with self.log_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(line) + "\n")
        except OSError as err:
            raise PacsError(self.log_path, f"cannot write the sent log ({err.strerror or err})") from None

    def sent(self, study_instance_uid: str | None = None) -> list[dict[str, Any]]:
        """What was stored (for one study, when given), oldest first."""
        if not self.log_path.exists():
            return []
        out = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if study_instance_uid is None or item.get("study_instance_uid") == study_instance_uid:
                out.append(item)
        return out

    # -- sending -------------------------------------------------------------------------------
    def send(self, pacs: DicomWebPacs, datasets: Sequence[Dataset]) -> SendReport:
        """Store each dataset; one the archive does not take is queued (with the reason) instead."""
        report = SendReport()
        for ds in datasets:
            try:
                pacs.store([ds])
            except PacsError as err:
                self.add(ds, url=pacs.url, reason=err.reason)
                report.queued.append(str(ds.SOPInstanceUID))
                report.problems.append(err.reason)
            else:
                self.record_sent(ds, pacs.url)
                report.sent.append(str(ds.SOPInstanceUID))
        return report

    def retry(self, pacs: DicomWebPacs) -> SendReport:
        """Send what waits for ``pacs``; what fails again stays queued."""
        import pydicom

        report = SendReport()
        for meta in self.pending(pacs.url):
            dcm = Path(meta["path"])
            try:
                ds = pydicom.dcmread(dcm)
            except Exception as err:  # noqa: BLE001 - a damaged queued file: say so, keep it for a person
                report.problems.append(f"{dcm}: cannot be read ({err})")
                continue
            try:
                pacs.store([ds])
            except PacsError as err:
                self.add(ds, url=pacs.url, reason=err.reason)
                report.queued.append(str(ds.SOPInstanceUID))
                report.problems.append(err.reason)
                continue
            self.record_sent(ds, pacs.url)
            dcm.unlink(missing_ok=True)
            dcm.with_suffix(".json").unlink(missing_ok=True)
            report.sent.append(str(ds.SOPInstanceUID))
        return report
