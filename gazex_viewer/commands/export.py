"""Export a reading (signed, or a draft marked as such) as DICOM SR, PDF and/or reading JSON.

READING.json is a reading document; with --store the review recorded in the review database for
that reading (its newest version) is exported instead of the review in the file. INPUT is the
reading's image: a DICOM source is referenced by its UIDs in the SR; a PNG/JPEG or a missing file
gives an SR with new UIDs that says the source was not DICOM (a warning is printed). The PDF
needs the image to show the film.

Every input is checked before anything is written (the reading, its sign-off, the image's identity
and, for the SR, its UIDs and size); each output is written to a temporary beside it and the outputs
are renamed into place together, so a failed export leaves no partial or half-updated files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gazex_viewer.core.reading import Reading


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
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing but warnings")


def _load_reading(path: Path) -> Reading:
    """The validated reading in ``path`` (schema and consistency); a ReadingError otherwise."""
    from gazex_viewer.core.validation import load_reading

    return load_reading(path)


def _check_stored(reading: Reading, db: Path) -> None:
    """The review taken from the database must be a valid reading too (the file was edited?)."""
    from gazex_viewer.core.errors import ReadingError
    from gazex_viewer.core.validation import validate_reading

    problems = validate_reading(reading)
    if problems:
        extra = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ReadingError(db, f"stored reading {reading.reading_id}: {problems[0]}{extra}")


def run(args: argparse.Namespace) -> int:
    """Write the requested exports; bad input raises a GazeXError (one line, exit 2)."""
    from gazex_viewer.core.errors import ExportError, GazeXError

    if not (args.sr or args.pdf or args.json):
        print("gazex-viewer export: nothing to do: give --sr, --pdf and/or --json", file=sys.stderr)
        return 2
    from gazex_viewer.core.validation import check_integrity, key_registry

    reading_path = Path(args.reading)
    reading = _load_reading(reading_path)
    if args.store is not None:
        from gazex_viewer.core.review_store import ReviewStore

        with ReviewStore(args.store or None) as store:
            if store.warning is not None:
                print(f"warning: {store.warning}", file=sys.stderr)
            if not store.has_reading(reading.reading_id):
                raise ExportError(store.path, f"has no review of reading {reading.reading_id}")
            reading = store.load_reading(store.latest_version_id(reading.reading_id))
            _check_stored(reading, store.path)
            for problem in store.log_problems(reading.reading_id):
                raise ExportError(store.path, f"refusing to export: {problem}")
            registry = key_registry(store.path)
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
    image = Path(args.image)
    from gazex_viewer.core.export_files import StagedOutputs, check_distinct_outputs
    from gazex_viewer.core.export_sr import check_same_image, check_sr_source, pixel_hash_known
    from gazex_viewer.core.radiograph import load_radiograph

    # every input is checked before anything is written
    outputs = {k: Path(v) for k, v in (("json", args.json), ("sr", args.sr), ("pdf", args.pdf)) if v}
    check_distinct_outputs(list(outputs.values()))
    # the film under the report must be the reading's own film: its pixels, not only its size
    radiograph = None
    if args.pdf or (image.is_file() and pixel_hash_known(reading.image.pixel_sha256)):
        radiograph = load_radiograph(image)
        check_same_image(reading, radiograph.pixel_sha256, image)
    image_sha256 = None if radiograph is None else str(radiograph.pixel_sha256)
    if args.sr:
        check_sr_source(reading, image, image_sha256=image_sha256)
    film = radiograph.render() if args.pdf and radiograph is not None else None
    signed = reading.review is not None and reading.review.signoff is not None
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
                raise ExportError(out, f"cannot write the reading JSON: {err}") from None
            done.append(f"{out}: reading JSON, {state}")
        if args.sr:
            from gazex_viewer.core.export_sr import export_sr

            out = outputs["sr"]
            sr = export_sr(reading, staged.temp_for(out), image_path=image, institution_name=args.institution,
                           image_sha256=image_sha256)
            warnings += sr.warnings
            src = "references the source DICOM image" if sr.source_is_dicom else "source not DICOM, new UIDs"
            done.append(f"{out}: DICOM SR, {sr.n_findings} finding(s), {state}, {src}")
        if args.pdf:
            from gazex_viewer.core.export_pdf import export_pdf

            out = outputs["pdf"]
            assert film is not None
            pdf = export_pdf(reading, film, staged.temp_for(out), image_sha256=image_sha256)
            warnings += [w for w in pdf.warnings if w not in warnings and "not signed" not in w]
            done.append(f"{out}: PDF, {pdf.n_pages} page(s), {state}")
        staged.commit()
    for w in dict.fromkeys(warnings):
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        for line in done:
            print(line)
        if signed:
            print(f"{reading_path}: {check.signature.message}")
    return 0
