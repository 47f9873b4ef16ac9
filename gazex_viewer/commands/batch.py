"""Pre-compute AI drafts overnight: every radiograph in the PACS without a GazeX result gets a DRAFT SR.

Finds the studies (CR and DX by default, since --since), skips each radiograph that already has a
GazeX SR in the archive (found by QIDO with Modality=SR) or one waiting in the outbox, retrieves the
others (into the retrieve cache), runs the model in this process and stores the reading's DRAFT SR
(TID 1500; --pdf adds the PDF as Encapsulated PDF) by STOW-RS. A send the archive refuses is queued
and retried at the start of the next run. So a run can be stopped at any point (--time-limit, Ctrl+C)
and started again: it resumes where it stopped, and a second run over the same archive stores nothing
new. --store also records each reading in the review database, so the worklist shows it as AI-ready.

Progress goes to stderr, one line per stage; a summary is printed at the end. Exit code 0 when every
radiograph found was done (or left for the next run by --limit / --time-limit), 2 when some failed
(each named in one line) or the archive cannot be used at all.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gazex_viewer.commands.infer import (
    add_decoding_arguments,
    add_server_arguments,
    decoding_settings,
    model_spec,
)

if TYPE_CHECKING:
    from gazex_viewer.core.pacs.profile import ServerProfile


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--dicomweb", metavar="URL", help="DICOMweb root of the archive, e.g. https://pacs/dicom-web")
    where.add_argument("--profile", metavar="NAME", help="a saved server profile (pacs.json in the config folder)")
    parser.add_argument("--user", help="basic authentication: user name (password from --secret-env or the keyring)")
    parser.add_argument("--token", action="store_true", help="bearer authentication (token from --secret-env or the keyring)")
    parser.add_argument("--secret-env", metavar="VAR", help="environment variable holding the password or token")
    parser.add_argument("--ca-bundle", metavar="PEM", help="CA bundle to verify the server's certificate with")
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate")
    parser.add_argument("--model", type=Path, default=None,
                        help="checkpoint folder (merged, or the LoRA base); or --server URL --served-model NAME")
    parser.add_argument("--adapter", type=Path, default=None, help="LoRA adapter folder")
    parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda (default auto)")
    parser.add_argument("--since", metavar="DATE", help="only studies from this date on (YYYY-MM-DD)")
    parser.add_argument("--until", metavar="DATE", help="only studies up to this date (YYYY-MM-DD)")
    parser.add_argument("--modality", default="CR,DX", help="modalities, comma-separated (default CR,DX)")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="at most N studies are worked on")
    parser.add_argument("--time-limit", type=float, default=None, metavar="S",
                        help="start no new radiograph after S seconds (the rest is left for the next run)")
    parser.add_argument("--pdf", action="store_true", help="also store the PDF report (Encapsulated PDF)")
    parser.add_argument("--store", nargs="?", const="", metavar="DB",
                        help="also record each reading in the review database (default: the viewer's own)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="retrieve cache folder")
    parser.add_argument("--outbox", type=Path, default=None, help="outbox folder for sends to retry")
    parser.add_argument("--no-cache", action="store_true", help="do not reuse or store cached readings")
    parser.add_argument("--reading-cache-dir", type=Path, default=None, help="reading cache folder")
    parser.add_argument("--trust-remote-code", action="store_true", help="allow code shipped in the checkpoint")
    add_decoding_arguments(parser)
    add_server_arguments(parser)


def _profile(args: argparse.Namespace) -> ServerProfile:
    from gazex_viewer.core.pacs import PacsError
    from gazex_viewer.core.pacs.profile import ServerProfile, load_profiles

    if args.profile:
        found = [p for p in load_profiles() if p.name == args.profile]
        if not found:
            raise PacsError(None, f"no saved server profile named {args.profile!r}")
        return found[0]
    auth = "bearer" if args.token else "basic" if args.user else "none"
    return ServerProfile(
        name=args.dicomweb, url=args.dicomweb, auth=auth, username=args.user, secret_env=args.secret_env,
        verify_tls=not args.insecure, ca_bundle=args.ca_bundle,
    )


@dataclass
class Summary:
    studies: int = 0
    radiographs: int = 0
    stored: int = 0
    queued: int = 0
    already: int = 0
    failed: list[str] = field(default_factory=list)
    left: int = 0
    retried: int = 0
    stopped: str | None = None

    def line(self, seconds: float) -> str:
        text = (
            f"batch: {self.studies} studies, {self.radiographs} radiographs: {self.stored} SRs stored, "
            f"{self.already} already had a GazeX result, {self.queued} queued for retry, {len(self.failed)} failed"
        )
        if self.retried:
            text += f"; {self.retried} earlier sends delivered"
        if self.stopped:
            text += f"; stopped ({self.stopped}), {self.left} radiographs left for the next run"
        per_min = 60.0 * self.stored / seconds if seconds > 0 else 0.0
        return text + f"; {seconds:.1f} s ({per_min:.1f} per minute)"


def run(args: argparse.Namespace) -> int:
    from gazex_viewer.core.errors import GazeXError
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.pacs.cache import RetrieveCache
    from gazex_viewer.core.pacs.dicomweb import DicomWebPacs, DicomWebSource, StudyQuery
    from gazex_viewer.core.pacs.documents import result_documents
    from gazex_viewer.core.pacs.outbox import Outbox
    from gazex_viewer.inference.api import JobEvent
    from gazex_viewer.inference.film_input import FilmInput

    t0 = time.monotonic()
    spec = model_spec(args)  # a model server or a local checkpoint, as `infer`
    settings = decoding_settings(args)
    modalities = tuple(m.strip().upper() for m in args.modality.split(",") if m.strip())
    pacs = DicomWebPacs(_profile(args), RetrieveCache(args.cache_dir))
    outbox = Outbox(args.outbox)
    print(pacs.test_connection(), file=sys.stderr)  # PacsError -> one line, exit 2
    summary = Summary()
    summary.retried = len(outbox.retry(pacs).sent)
    studies = pacs.search_studies(StudyQuery(date_from=args.since, date_to=args.until, modalities=modalities))
    summary.studies = len(studies)

    worker = None
    backend = None
    finals: list[JobEvent] = []

    def emit(event: JobEvent) -> None:
        if event.kind not in ("progress", "text"):
            finals.append(event)

    def model() -> object:
        nonlocal worker, backend
        if worker is None:
            from gazex_viewer.inference.job import JobControl
            from gazex_viewer.inference.registry import backend_name_for, make_backend
            from gazex_viewer.inference.worker import Worker

            print(f"loading {spec.endpoint or spec.model_dir}", file=sys.stderr)
            worker = Worker(emit, cache_dir=args.reading_cache_dir, use_cache=not args.no_cache)
            backend = make_backend(backend_name_for(spec))
            backend.load(spec, JobControl(0, emit=emit))  # CheckpointError / InferenceError -> exit 2
            worker.backend = backend
        return worker

    store = None
    if args.store is not None:
        from gazex_viewer.core.review.store import open_store

        store = open_store(args.store or None)
    worked_studies = 0
    job = 0
    try:
        for s_index, study in enumerate(studies, start=1):
            label = f"study {s_index}/{len(studies)} {study.study_date or '-'} {study.patient_id or '-'}"
            try:
                srs = pacs.gazex_srs(study.study_instance_uid)
                instances = pacs.search_instances(study.study_instance_uid, modalities)
            except GazeXError as err:  # this study cannot be listed: say so, go on with the others
                summary.failed.append(str(err))
                print(f"[{label}] failed: {err}", file=sys.stderr)
                continue
            done = {uid for sr in srs for uid in sr.referenced_sop_instance_uids}
            done |= outbox.pending_refs(pacs.url)
            todo = [i for i in instances if i.sop_instance_uid not in done]
            summary.radiographs += len(instances)
            summary.already += len(instances) - len(todo)
            if not todo:
                continue
            if summary.stopped or (args.limit is not None and worked_studies >= args.limit):
                summary.stopped = summary.stopped or f"--limit {args.limit}"
                summary.left += len(todo)
                continue
            worked_studies += 1
            for k, hit in enumerate(todo, start=1):
                if args.time_limit is not None and time.monotonic() - t0 > args.time_limit:
                    summary.stopped = f"--time-limit {args.time_limit:g} s"
                    summary.left += len(todo) - k + 1
                    break
                where = f"[{label}, radiograph {k}/{len(todo)}] {hit.sop_instance_uid}"
                try:
                    print(f"{where}: retrieving", file=sys.stderr)
                    path = DicomWebSource(pacs, hit).path()
                    print(f"{where}: running the model", file=sys.stderr)
                    w = model()
                    job += 1
                    finals.clear()
                    assert backend is not None and backend.loaded is not None
                    # decoded here, once: the worker is given the film's model input
                    film = FilmInput.of(load_radiograph(path), (backend.loaded.info.model_input,))
                    w.run(job, film, settings)  # type: ignore[attr-defined]
                    event = finals[-1] if finals else None
                    if event is None or event.kind != "done" or event.reading is None:
                        raise GazeXError(path, event.message if event is not None else "the model gave no result")
                    reading = event.reading
                    docs = result_documents(reading, path, pdf=args.pdf)
                    sent = outbox.send(pacs, docs.datasets)
                    if store is not None:
                        store.add_reading(reading)
                except GazeXError as err:
                    summary.failed.append(str(err))
                    print(f"{where}: failed: {err}", file=sys.stderr)
                    continue
                if sent.queued:
                    summary.queued += 1
                    print(f"{where}: queued for retry ({sent.problems[0]})", file=sys.stderr)
                else:
                    summary.stored += 1
                    print(f"{where}: DRAFT SR stored, {len(reading.findings)} findings", file=sys.stderr)
    except KeyboardInterrupt:
        summary.stopped = "interrupted"
    finally:
        if backend is not None:
            backend.unload()  # type: ignore[attr-defined]
        if store is not None:
            store.close()
    print(summary.line(time.monotonic() - t0))
    return 2 if summary.failed else 0
