"""Export a reading (signed, or a draft marked as such) as DICOM SR, PDF and/or reading JSON.

READING.json is a reading document; with --store the review recorded in the review database for
that reading (its newest version) is exported instead of the review in the file. INPUT is the
reading's image: a DICOM source is referenced by its UIDs in the SR; a PNG/JPEG or a missing file
gives an SR with new UIDs that says the source was not DICOM (a warning is printed). The PDF
needs the image to show the film.

Every input is checked before anything is written (the reading, its sign-off, the image's identity
and, for the SR, its UIDs and size); each output is written to a temporary beside it, flushed to disk,
and the outputs are renamed into place together, so a failed or interrupted export (Ctrl-C, SIGTERM)
leaves no partial or half-updated files. Inputs must be regular files (a FIFO or a device is refused at
once) and the reading within the size limits; an output that is a special file (``/dev/full``, a FIFO)
or the same file as an input (the film, the reading, the database, or a link to one) is refused.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gazex_viewer.core.reading.document import Reading


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``gazex-viewer export``."""
    parser.add_argument("reading", metavar="READING.json", help="the reading JSON")
    parser.add_argument("--image", required=True, metavar="INPUT", help="the reading's image (DICOM, PNG, JPEG)")
    parser.add_argument("--sr", metavar="OUT.dcm", help="write a DICOM Comprehensive SR (TID 1500) here")
    parser.add_argument("--pdf", metavar="OUT.pdf", help="write a PDF report with the film here")
    parser.add_argument("--json", metavar="OUT.json", help="write the (reviewed) reading JSON here")
    parser.add_argument(
        "--store",
        nargs="?",
        const="",
        metavar="DB",
        help="take the review from the review database (default: the viewer's own database)",
    )
    parser.add_argument("--institution", metavar="NAME", help="institution name recorded in the SR")
    parser.add_argument(
        "--sign-pdf",
        action="store_true",
        help="put a PDF signature on the report with the signer's own key (its passphrase from "
        "$GAZEX_KEY_PASSPHRASE, or asked on the terminal)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings")


def _load_reading(path: Path) -> Reading:
    """The validated reading in ``path`` (schema, consistency, size limits); a ReadingError otherwise."""
    from gazex_viewer.core.reading.limits import load_reading_file

    return load_reading_file(path)


def _check_stored(reading: Reading, db: Path | str) -> None:
    """The review taken from the database must be a valid reading too (the file was edited?)."""
    from gazex_viewer.core.errors import ReadingError
    from gazex_viewer.core.reading.limits import written_reading_problems

    problems = written_reading_problems(reading)
    if problems:
        extra = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ReadingError(db, f"stored reading {reading.reading_id}: {problems[0]}{extra}")


def _input_files(reading: Path, image: Path, store: str | None) -> list[Path]:
    """The files an export reads, each checked to be a regular file; an output may be none of them.

    A missing image is allowed (the SR then says the source was not DICOM); a missing database is created;
    a server database (``postgresql://``) is no file here.
    """
    from gazex_viewer.core.errors import RadiographError, ReviewStoreError
    from gazex_viewer.core.safe_io import check_input_file

    inputs = [reading, image]
    if os.path.lexists(image):
        check_input_file(image, error=RadiographError, what="an image file")
    from gazex_viewer.core.review.store_location import (
        default_store_location,
        is_server_url,
        sqlite_path,
    )

    location = (store or default_store_location()) if store is not None else None
    if location is not None and not is_server_url(location):
        db = sqlite_path(location)
        if os.path.lexists(db):
            check_input_file(db, error=ReviewStoreError, what="a review database file")
        inputs += [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    return inputs


@contextlib.contextmanager
def _named_as(tmp: Path, out: Path) -> Iterator[None]:
    """An ExportError about the temporary ``tmp`` is reported about ``out`` (no ``[Errno 28]``, no temp name)."""
    from gazex_viewer.core.errors import ExportError

    try:
        yield
    except ExportError as err:
        reason = re.sub(r"\[Errno \d+\] ", "", err.reason)
        reason = reason.replace(f": '{tmp}.tmp'", "").replace(f": '{tmp}'", "").replace(str(tmp), str(out))
        raise ExportError(out, reason) from None


def _check_source_class(reading: Reading, source: Any, image: Path) -> None:
    """The film's SOP Class must be a DICOM image storage class, and the reading's when it records one.

    A film whose SOP Class UID was changed (to an SR, to garbage, to nothing) cannot be referenced as
    the SR's evidence: refused with one line rather than failing inside the SR builder.
    """
    from pydicom.uid import UID

    from gazex_viewer.core.errors import ExportError
    from gazex_viewer.core.safe_io import show

    raw = str(source.get("SOPClassUID", "") or "")
    uid = UID(raw)
    if not raw or not uid.is_valid or "Image Storage" not in uid.name:
        what = f"'{show(raw, 80)}'" + (f" ({uid.name})" if uid.name != raw else "")
        raise ExportError(image, f"SOP Class UID {what} is not a DICOM image storage class; the SR cannot reference it")
    recorded = reading.image.sop_class_uid
    if recorded and recorded != raw:
        raise ExportError(
            image,
            f"SOP Class UID {raw} ({uid.name}) is not the reading's {show(recorded, 80)} ({UID(recorded).name}): "
            "not the reading's image",
        )


def _signer_key(reading: Reading, where: Path | str) -> Any:
    """The signer's unlocked key for the PDF signature (ExportError when it cannot be had)."""
    import getpass

    from gazex_viewer.core.errors import ExportError, GazeXError
    from gazex_viewer.core.review.signing import load_key

    so = reading.review.signoff if reading.review is not None else None
    if so is None or not so.public_key:
        raise ExportError(where, "--sign-pdf needs a reading signed with a key")
    passphrase = os.environ.get("GAZEX_KEY_PASSPHRASE")
    if passphrase is None:
        if not sys.stdin.isatty():
            raise ExportError(where, "--sign-pdf: set GAZEX_KEY_PASSPHRASE or run on a terminal to be asked")
        passphrase = getpass.getpass(f"Passphrase of {so.reviewer}'s signing key: ")
    try:
        key = load_key(so.reviewer, passphrase)
    except GazeXError as err:
        raise ExportError(where, f"--sign-pdf: {err.reason}") from None
    if key.public_key != so.public_key:
        raise ExportError(where, f"--sign-pdf: {so.reviewer}'s key on this computer is not the key that signed")
    return key


def run(args: argparse.Namespace) -> int:
    """Write the requested exports; bad input raises a GazeXError (one line, exit 2)."""
    from gazex_viewer.core.errors import ExportError, GazeXError

    if not (args.sr or args.pdf or args.json):
        print("gazex-viewer export: nothing to do: give --sr, --pdf and/or --json", file=sys.stderr)
        return 2
    from gazex_viewer.core.export.files import check_outputs
    from gazex_viewer.core.review.integrity import check_integrity, key_registry
    from gazex_viewer.core.safe_io import show

    reading_path = Path(args.reading)
    image = Path(args.image)
    outputs = {k: Path(v) for k, v in (("json", args.json), ("sr", args.sr), ("pdf", args.pdf)) if v}
    inputs = _input_files(reading_path, image, args.store)
    check_outputs(outputs.values(), inputs)  # before any reading: /dev/full, a FIFO, the film itself
    reading = _load_reading(reading_path)
    if args.store is not None:
        from gazex_viewer.core.review.store import open_store

        store = open_store(args.store or None)  # a SQLite file or a postgresql:// URL ($GAZEX_REVIEW_DB by default)
        try:
            if store.warning is not None:
                print(show(f"warning: {store.warning}"), file=sys.stderr)
            if not store.has_reading(reading.reading_id):
                raise ExportError(store.location, f"has no review of reading {reading.reading_id}")
            reading = store.load_reading(store.latest_version_id(reading.reading_id))
            _check_stored(reading, store.location)
            for problem in store.log_problems(reading.reading_id):
                raise ExportError(store.location, f"refusing to export: {problem}")
        finally:
            store.close()
        registry = key_registry(args.store or None)
    else:
        registry = key_registry()
    # the same integrity rules as validate and load (core.integrity): signature, registered key, event chain
    where = reading_path if args.store is None else f"{reading_path} (review from the database)"
    try:
        check = check_integrity(reading, where, registry)
    except GazeXError as err:
        raise ExportError(where, f"refusing to export: {err.reason}") from None
    if check.signature.state == "legacy":
        raise ExportError(where, f"refusing to export: {check.signature.message}; start a new version and sign it")
    from gazex_viewer.core.export.files import StagedOutputs
    from gazex_viewer.core.export.sr import check_same_image, check_sr_source
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.core.reading.identity import pixel_hash_known

    # every input is checked before anything is written
    # the film under the report must be the reading's own film: its pixels, not only its size
    radiograph = None
    if args.pdf or (image.is_file() and pixel_hash_known(reading.image.pixel_sha256)):
        radiograph = load_radiograph(image)
        check_same_image(reading, radiograph.pixel_sha256, image)
    image_sha256 = None if radiograph is None else str(radiograph.pixel_sha256)
    if args.sr:
        source = check_sr_source(reading, image, image_sha256=image_sha256)
        if source is not None:
            _check_source_class(reading, source, image)
    film = radiograph.render() if args.pdf and radiograph is not None else None
    signed = reading.review is not None and reading.review.signoff is not None
    pdf_key = _signer_key(reading, where) if getattr(args, "sign_pdf", False) and args.pdf else None
    state = "signed" if signed else "DRAFT (not signed)"
    done: list[str] = []
    warnings: list[str] = []

    # each output goes to a temporary beside it; all are renamed into place only when all were written
    with StagedOutputs() as staged:
        if args.json:
            out = outputs["json"]
            tmp = staged.temp_for(out)
            try:
                reading.save(tmp)
            except OSError as err:
                raise ExportError(out, f"cannot write the reading JSON: {err.strerror or err}") from None
            done.append(f"{out}: reading JSON, {state}")
        if args.sr:
            from gazex_viewer.core.export.sr import export_sr

            out = outputs["sr"]
            tmp = staged.temp_for(out)
            with _named_as(tmp, out):
                sr = export_sr(reading, tmp, image_path=image, institution_name=args.institution,
                               image_sha256=image_sha256)
            warnings += sr.warnings
            src = "references the source DICOM image" if sr.source_is_dicom else "source not DICOM, new UIDs"
            done.append(f"{out}: DICOM SR, {sr.n_findings} finding(s), {state}, {src}")
        if args.pdf:
            from gazex_viewer.core.export.pdf import export_pdf

            out = outputs["pdf"]
            assert film is not None
            tmp = staged.temp_for(out)
            with _named_as(tmp, out):
                pdf = export_pdf(reading, film, tmp, image_sha256=image_sha256, image_path=image,
                                 signing_key=pdf_key)
            warnings += [w for w in pdf.warnings if w not in warnings and "not signed" not in w]
            done.append(f"{out}: PDF, {pdf.n_pages} page(s), {state}" + (", PDF signature" if pdf.pdf_signed else ""))
        staged.commit()
    for w in dict.fromkeys(warnings):
        print(show(f"warning: {w}"), file=sys.stderr)
    if not args.quiet:
        for line in done:
            print(show(line))
        if signed:
            print(show(f"{reading_path}: {check.signature.message}"))
    return 0
