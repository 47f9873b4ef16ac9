"""Check reading JSON files against the schema and their own consistency.

Exit code 0 when every FILE is a valid reading; 2 otherwise, with the first problem of the first
invalid file named on one line ("FILE: trajectory[3]: time goes backwards ..."). --all lists every
problem of every file. The integrity rules that load and export apply too (core.integrity): a
signature that does not verify or whose key is not registered in the review database (--store), a
broken event-log chain, or decisions that disagree with the log make a file invalid; a valid file's
line says who signed it ("signed by ...", "draft (not signed)" or "unsigned (legacy hash only)"). A FILE
that is not a regular file (a FIFO, a device, a folder), is over the size limit, or holds a field over the
limits that ``export`` applies is invalid too (one line, at once).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``gazex-viewer validate``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="reading JSON file(s)")
    parser.add_argument("--all", action="store_true", help="list every problem, not only the first")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing for valid files")
    parser.add_argument("--store", metavar="DB", help="review database whose registered keys verify signatures "
                        "(default: the viewer's own)")


def run(args: argparse.Namespace) -> int:
    """Validate each file; raise ReadingError for the first invalid one (exit code 2)."""
    import json
    from pathlib import Path

    from gazex_viewer.core.errors import ReadingError
    from gazex_viewer.core.reading.limits import load_reading_file
    from gazex_viewer.core.reading.validation import validate_reading_dict
    from gazex_viewer.core.review.integrity import (
        check_integrity,
        check_reading,
        key_registry,
    )
    from gazex_viewer.core.safe_io import read_bytes, show, show_path

    registry = key_registry(args.store)
    first_error: ReadingError | None = None
    for name in args.files:
        path = Path(name)
        try:
            reading = load_reading_file(path)
            check = check_integrity(reading, path, registry)
        except ReadingError as err:
            if not args.all:
                raise
            first_error = first_error or err
            print(f"{show_path(path)}: INVALID", file=sys.stderr)
            try:
                problems = validate_reading_dict(json.loads(read_bytes(path, error=ReadingError)))
                problems = problems or check_reading(load_reading_file(path), registry).problems
            except (ReadingError, ValueError, RecursionError, MemoryError):
                problems = [err.reason]
            for problem in problems or [err.reason]:
                print(f"  {show(problem)}", file=sys.stderr)
            continue
        if not args.quiet:
            print(
                f"{show_path(path)}: valid reading (schema {reading.schema_version}; {len(reading.sentences)} sentences, "
                f"{len(reading.findings)} findings, {len(reading.trajectory)} trajectory points); "
                f"{show(check.signature.message)}"
                + (f"; {show(check.countersign.message)}" if check.countersign.countersigned else "")
            )
    if first_error is not None:
        raise first_error
    return 0
