"""Which split a reading of a training-data export goes to: grouped by patient or film, fixed by a hash.

Owns :func:`parse_split` (``"train=0.9,val=0.1"``), :func:`group_key` (a patient, else the film) and
:func:`split_of` (a hash of the group key, so a patient is never in two splits and a split never changes
when readings are added).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from gazex_viewer.core.export.training_files import (
    _DICOM_SUFFIXES,
    TRAINABLE_SUFFIXES,
    TrainingDataError,
)
from gazex_viewer.core.reading.document import Reading

__all__ = ["group_key", "parse_split", "split_of"]


_SPLIT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,31}$")


def parse_split(text: str) -> dict[str, float]:
    """``"train=0.9,val=0.1"`` -> ``{"train": 0.9, "val": 0.1}`` (shares must be >= 0 and sum to 1).

    Raises
    ------
    TrainingDataError
        One line saying what is wrong with the text.
    """
    out: dict[str, float] = {}
    for part in text.split(","):
        name, eq, value = part.strip().partition("=")
        name = name.strip()
        if not eq or not _SPLIT_NAME.match(name):
            raise TrainingDataError(None, f"--split {text!r}: expected NAME=SHARE,... such as train=0.9,val=0.1")
        try:
            share = float(value)
        except ValueError:
            raise TrainingDataError(None, f"--split {text!r}: {value.strip()!r} is not a number") from None
        if not 0.0 <= share <= 1.0:
            raise TrainingDataError(None, f"--split {text!r}: share {share} is not between 0 and 1")
        if name in out:
            raise TrainingDataError(None, f"--split {text!r}: {name!r} is named twice")
        out[name] = share
    total = sum(out.values())
    if abs(total - 1.0) > 1e-6:
        raise TrainingDataError(None, f"--split {text!r}: the shares sum to {total:g}, not 1")
    return out


def split_of(key: str, split: dict[str, float]) -> str:
    """The split a group key falls in: a fixed hash of the key, so it never changes between exports."""
    u = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2.0**64
    acc = 0.0
    names = list(split)
    for name in names:
        acc += split[name]
        if u < acc:
            return name
    return next((n for n in reversed(names) if split[n] > 0), names[-1])


def _film_key(reading: Reading) -> str:
    name = reading.image.file_name
    stem = Path(name).stem if Path(name).suffix.lower() in (*TRAINABLE_SUFFIXES, *_DICOM_SUFFIXES) else name
    return f"film:{stem}"


def group_key(reading: Reading, by: str) -> str:
    """The key that keeps a patient (or a film) in one split: ``patient:<id>`` or ``film:<name>``."""
    if by == "patient":
        rec = reading.producer.generation.get("recording") if isinstance(reading.producer.generation, dict) else None
        if isinstance(rec, dict):
            for k in ("subject_id", "patient_id"):
                v = rec.get(k)
                if v not in (None, ""):
                    return f"patient:{v}"
        return _film_key(reading)
    if by == "film":
        return _film_key(reading)
    raise TrainingDataError(None, f"--by {by!r}: expected patient or film")
