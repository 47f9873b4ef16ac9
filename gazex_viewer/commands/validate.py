"""Check reading JSON files against the schema and their own consistency.

Exit code 0 when every FILE is a valid reading; 2 otherwise, with the first problem of the first
invalid file named on one line ("FILE: trajectory[3]: time goes backwards ..."). --all lists every
problem of every file. A signed reading whose sign-off hash no longer matches its content (changed
after signing) is invalid. A FILE that is not a regular file (a FIFO, a device, a folder), is over the
size limit, or holds a field over the limits that ``export`` applies is invalid too (one line, at once).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``gazex-viewer validate``."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="reading JSON file(s)")
    parser.add_argument("--all", action="store_true", help="list every problem, not only the first")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing for valid files")


def run(args: argparse.Namespace) -> int:
    """Validate each file; raise ReadingError for the first invalid one (exit code 2)."""
    import json
    from pathlib import Path

    from gazex_viewer.core.errors import ReadingError
    from gazex_viewer.core.reading_limits import load_reading_file
    from gazex_viewer.core.review import signature_problem
    from gazex_viewer.core.safe_io import read_bytes, show, show_path
    from gazex_viewer.core.validation import validate_reading_dict

    first_error: ReadingError | None = None
    for name in args.files:
        path = Path(name)
        try:
            reading = load_reading_file(path)
            problem = signature_problem(reading)
            if problem is not None:
                raise ReadingError(path, f"review.signoff: {problem}")
        except ReadingError as err:
            if not args.all:
                raise
            first_error = first_error or err
            print(f"{show_path(path)}: INVALID", file=sys.stderr)
            try:
                problems = validate_reading_dict(json.loads(read_bytes(path, error=ReadingError)))
            except (ReadingError, ValueError, RecursionError, MemoryError):
                problems = [err.reason]
            if err.reason.startswith("review.signoff: ") and err.reason not in problems:
                problems = [*problems, err.reason]
            for problem in problems or [err.reason]:
                print(f"  {show(problem)}", file=sys.stderr)
            continue
        if not args.quiet:
            print(
                f"{show_path(path)}: valid reading (schema {reading.schema_version}; {len(reading.sentences)} sentences, "
                f"{len(reading.findings)} findings, {len(reading.trajectory)} trajectory points)"
            )
    if first_error is not None:
        raise first_error
    return 0
