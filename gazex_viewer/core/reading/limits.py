"""Size limits of a reading, checked by every command before any work, and bounded loading of reading files.

A reading is a report of one film: a few dozen findings of a sentence or two each. A document far outside
that (a 50 MB finding text, a million findings) is hostile or broken; without limits it runs an export for
minutes and gigabytes, or breaks the PDF layout (a table cell taller than a page). :func:`limit_problems`
names the first field over a limit; :func:`load_reading_file` refuses a file that is not a regular file or
is over :data:`~gazex_viewer.core.safe_io.MAX_JSON_BYTES` before parsing it, then applies these limits and
checks that its text is valid Unicode (no lone surrogates), so ``validate``, ``compare`` and ``export``
accept and refuse the same documents.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazex_viewer.core.errors import ReadingError
from gazex_viewer.core.safe_io import MAX_JSON_BYTES, check_input_file, show, show_path

if TYPE_CHECKING:
    from gazex_viewer.core.reading.document import Reading

__all__ = [
    "MAX_ITEMS",
    "MAX_LONG_TEXT",
    "MAX_SHORT_TEXT",
    "limit_problems",
    "load_reading_file",
    "written_reading_problems",
]

#: a finding's or sentence's text, a decision's reason (one table cell of the PDF: must fit a page)
MAX_SHORT_TEXT = 2_000
#: any other text (impression, raw model report, warnings, producer details)
MAX_LONG_TEXT = 20_000
#: the most entries of a list, by the list's key; other lists: ``MAX_ITEMS["*"]``
MAX_ITEMS: dict[str, int] = {
    "findings": 500,
    "sentences": 500,
    "additions": 500,
    "decisions": 1_000,
    "events": 100_000,
    "trajectory": 200_000,
    "*": 10_000,
}
_SHORT_KEYS = frozenset({"text", "reason"})


def _walk(value: Any, where: str, key: str, out: list[str]) -> None:
    if out:
        return
    if isinstance(value, str):
        limit = MAX_SHORT_TEXT if key in _SHORT_KEYS else MAX_LONG_TEXT
        if len(value) > limit:
            out.append(f"{where}: text of {len(value):,} characters, over the limit of {limit:,}")
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, f"{where}.{k}" if where else str(k), str(k), out)
            if out:
                return
        return
    if isinstance(value, list | tuple):
        limit = MAX_ITEMS.get(key, MAX_ITEMS["*"])
        if len(value) > limit:
            out.append(f"{where}: {len(value):,} entries, over the limit of {limit:,}")
            return
        if key == "trajectory":  # numbers and a few short labels per point: not walked point by point
            return
        for i, v in enumerate(value):
            _walk(v, f"{where}[{i}]", key, out)
            if out:
                return


def limit_problems(data: dict[str, Any] | Reading) -> list[str]:
    """The first field of a reading (document or object) over a size limit, as ``["where: why"]``; else ``[]``."""
    doc = data if isinstance(data, dict) else data.to_dict()
    out: list[str] = []
    _walk(doc, "", "", out)
    return out


def _first_bad_text(value: Any, where: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as err:
            return where, value[err.start : err.end]
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for k, v in items:
        if isinstance(k, str) and (bad := _first_bad_text(k, where)) is not None:
            return bad
        found = _first_bad_text(v, (f"{where}.{k}" if where else k) if isinstance(k, str) else f"{where}[{k}]")
        if found is not None:
            return found
    return None


def _unicode_problem(reading: Reading) -> str | None:
    """Where a lone surrogate (``"\\ud800"`` in the JSON) sits: such text cannot be written as UTF-8."""
    try:
        reading.to_json(indent=None).encode("utf-8")
    except (UnicodeError, TypeError, ValueError) as err:
        found = _first_bad_text(reading.to_dict(), "")
        if found is None:
            return f"holds text that cannot be written as UTF-8: {show(err, 120)}"
        where, chars = found
        code = ", ".join(f"\\u{ord(c):04x}" for c in chars)
        return f"{where or 'a key'}: text holds a lone surrogate ({code}), not valid Unicode"
    return None


def written_reading_problems(reading: Reading) -> list[str]:
    """Why ``reading`` must not be written (text not Unicode, a field over a limit, the validator's problems).

    What a command writes must be what ``validate`` accepts: this runs the same checks, in the same order.
    """
    from gazex_viewer.core.reading.validation import validate_reading

    problem = _unicode_problem(reading)
    if problem is not None:
        return [problem]
    return limit_problems(reading) or validate_reading(reading)


def load_reading_file(path: str | os.PathLike[str]) -> Reading:
    """The validated reading in ``path``, refused early when the file or the document is out of bounds.

    Raises
    ------
    ReadingError
        One line naming the file and the reason: not a regular file (a FIFO, a device, a folder), over
        the size limit, unreadable, not a valid reading, a field over a limit, text that is not Unicode.
    """
    from gazex_viewer.core.reading.validation import load_reading

    p = Path(path)
    check_input_file(p, max_bytes=MAX_JSON_BYTES, error=ReadingError, what="a reading JSON file")
    try:
        reading = load_reading(p)
    except ReadingError as err:
        raise ReadingError(show_path(p), show(err.reason, 300)) from None
    except RecursionError:
        raise ReadingError(show_path(p), "not a reading: the JSON is nested too deeply") from None
    except MemoryError:
        raise ReadingError(show_path(p), "not enough memory to read it") from None
    problems = limit_problems(reading)
    if problems:
        raise ReadingError(show_path(p), problems[0])
    problem = _unicode_problem(reading)
    if problem is not None:
        raise ReadingError(show_path(p), problem)
    return reading
