"""How report text and times are shown to a person (pure functions, no Qt).

The reading keeps every sentence exactly as its producer wrote it (GazeX dictation is lower case
with a space before the full stop: ``"enlarged cardiac silhouette ."``). Everything a person reads
(the Report tab, the Review tab, the PDF, the SR's text values) goes through
:func:`display_sentence`, so the same words look the same everywhere:
``"Enlarged cardiac silhouette."``.

Times are stored in UTC (ISO 8601) and shown in the workstation's local time zone with its offset
(:func:`local_time_text`). The signer's operating-system account comes from :func:`os_account`.
"""

from __future__ import annotations

import getpass
import re
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

__all__ = ["display_sentence", "display_text", "local_time_text", "os_account"]

_SPACE_BEFORE = re.compile(r"\s+([.,;:!%)\]])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[])\s+")
_FINAL_QUESTION = re.compile(r"\s+\?$")
#: a run of sentence-ending marks, possibly separated by spaces (". ." or "..")
_REPEATED_END = re.compile(r"([.!?])(?:\s*[.!?])+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def display_text(text: str | None) -> str:
    """Free text (an impression) tidied for reading: each sentence as :func:`display_sentence` shows it."""
    from gazex_viewer.core.reading.report_text import split_sentences

    if not text or not text.strip():
        return ""
    parts = split_sentences(_CONTROL.sub(" ", text))
    return " ".join(s for s in (display_sentence(p) for p in parts) if s)


@lru_cache(maxsize=8192)  # pure; the Report tab shows every sentence again after each decision
def display_sentence(text: str | None) -> str:
    """A model sentence as a person reads it: capitalised, no space before punctuation, one full stop.

    Examples
    --------
    >>> display_sentence("enlarged cardiac silhouette .")
    'Enlarged cardiac silhouette.'
    >>> display_sentence("opacity , ? pneumonia")
    'Opacity, ? pneumonia.'
    >>> display_sentence("Heart size is normal")
    'Heart size is normal.'
    >>> display_sentence("no acute disease . .")
    'No acute disease.'
    """
    if not text:
        return ""
    s = " ".join(_CONTROL.sub(" ", text).split())
    if not s:
        return ""
    s = _SPACE_BEFORE.sub(r"\1", s)
    s = _SPACE_AFTER_OPEN.sub(r"\1", s)
    s = _FINAL_QUESTION.sub("?", s)
    s = _REPEATED_END.sub(r"\1", s)
    if s[-1] not in ".!?":
        s = s.rstrip(",;:") + "."
    for i, ch in enumerate(s):
        if ch.isalpha():
            if ch.islower():
                s = s[:i] + ch.upper() + s[i + 1:]
            break
        if ch.isdigit():
            break
    return s


def _parse_iso(iso: str) -> datetime | None:
    try:
        t = datetime.fromisoformat(iso.strip())
    except (ValueError, AttributeError):
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def local_time_text(iso: str | None, tz: tzinfo | None = None) -> str:
    """A stored UTC time shown in the local time zone with its offset.

    ``"2026-12-06T17:40:12.123+00:00"`` becomes ``"2026-12-06 18:40 CET (UTC+01:00)"`` on a
    workstation in Central Europe. ``tz`` overrides the local zone (tests). A time that cannot be
    read is shown as written, marked.
    """
    if not iso:
        return "(no time recorded)"
    t = _parse_iso(iso)
    if t is None:
        return f"{iso} (unreadable time)"
    local = t.astimezone(tz) if tz is not None else t.astimezone()
    offset = local.strftime("%z") or "+0000"
    offset = f"UTC{offset[:3]}:{offset[3:]}"
    name = local.tzname() or ""
    shown = f"{local:%Y-%m-%d %H:%M}"
    if name and not re.fullmatch(r"[+-]?\d+|UTC[+-]?[\d:]*", name):
        return f"{shown} {name} ({offset})"
    return f"{shown} ({offset})"


def os_account() -> str | None:
    """The workstation's operating-system account name, or None when it cannot be found."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError):
        return None
    name = (name or "").strip()
    return name or None
