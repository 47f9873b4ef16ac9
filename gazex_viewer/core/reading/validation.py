"""Validation of reading documents: the JSON Schema, then the reading's own consistency.

The schema (``resources/reading.schema.json``) checks shapes and types. The consistency checks
catch what a schema cannot: coordinates outside the image, boxes with swapped corners, trajectory
times going backwards, references to a finding or sentence that does not exist, duplicate ids.
"""

from __future__ import annotations

import copy
import functools
import json
import math
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from gazex_viewer.core.errors import ReadingError
from gazex_viewer.core.reading.document import (
    SCHEMA_VERSION,
    Reading,
    decode_json,
    trajectory_columns,
)
from gazex_viewer.core.resources import resource_path

__all__ = [
    "SCHEMA_PATH",
    "load_reading",
    "parse_reading",
    "reading_schema",
    "validate_reading",
    "validate_reading_dict",
]

#: the JSON Schema of a reading document
SCHEMA_PATH: Path = resource_path("reading.schema.json")


@functools.lru_cache(maxsize=1)
def reading_schema() -> dict[str, Any]:
    """The reading JSON Schema (loaded once)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    schema = reading_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


_POINT_KEYS = frozenset({"x", "y", "t_start", "t_end", "finding_id", "kind", "weight"})
_POINT_KINDS = frozenset({"clue", "observation", "fixation"})
_POINT_KIND_LIST = tuple(sorted(_POINT_KINDS))


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _point_ok(p: Any) -> bool:
    """The trajectory-point schema, checked by hand (jsonschema takes ~0.1 ms a point)."""
    return (
        type(p) is dict
        and p.keys() <= _POINT_KEYS
        and _number(p.get("x"))
        and _number(p.get("y"))
        and _number(p.get("t_start"))
        and p["t_start"] >= 0
        and _number(p.get("t_end"))
        and p["t_end"] >= 0
        and (p.get("finding_id") is None or isinstance(p["finding_id"], str))
        and p.get("kind", "observation") in _POINT_KIND_LIST  # a tuple: an unhashable kind is no TypeError
        and (p.get("weight") is None or _number(p["weight"]))
    )


def _schema_problems(data: Any) -> list[str]:
    from jsonschema.exceptions import best_match, relevance

    # Fast path for long trajectories: the points are checked by hand and the rest by jsonschema;
    # any doubt falls back to jsonschema on the whole document for its messages.
    if (isinstance(data, dict) and isinstance(data.get("trajectory"), list) and len(data["trajectory"]) > 16
            and all(_point_ok(p) for p in data["trajectory"])):
        head = dict(data)
        head["trajectory"] = []
        if _validator().is_valid(head):
            return []
    errors = list(_validator().iter_errors(data))
    if not errors:
        return []
    first = best_match(errors)
    ordered = [first] + sorted((e for e in errors if e is not first), key=relevance)
    return [f"schema: {_where(e.absolute_path)}: {e.message}" for e in ordered]


def _finite(v: Any) -> bool:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer beyond float range (10**400)
        return False


def _show(v: Any) -> str:
    """A value for a message, short even for a 400-digit integer."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**15:
        return f"an integer of {len(str(abs(v)))} digits"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


#: largest image side a reading may name, in pixels
MAX_IMAGE_SIDE = 100_000
#: largest image a reading may name, in pixels (the radiograph loader's limit, core.imaging.radiograph.MAX_PIXELS)
MAX_IMAGE_PIXELS = 100_000_000


def _check_box(box: dict[str, Any], where: str, width: int, height: int, out: list[str]) -> None:
    for key, limit, axis in (
        ("x_min", width, "width"),
        ("x_max", width, "width"),
        ("centroid_x", width, "width"),
        ("y_min", height, "height"),
        ("y_max", height, "height"),
        ("centroid_y", height, "height"),
    ):
        v = box[key]
        if not _finite(v):
            out.append(f"{where}: {key} is not a finite number ({_show(v)})")
        elif v < 0 or v > limit:
            out.append(f"{where}: {key} {v:g} is outside the image ({axis} {limit})")
    if _finite(box["x_min"]) and _finite(box["x_max"]) and box["x_min"] > box["x_max"]:
        out.append(f"{where}: x_min {box['x_min']:g} is greater than x_max {box['x_max']:g}")
    if _finite(box["y_min"]) and _finite(box["y_max"]) and box["y_min"] > box["y_max"]:
        out.append(f"{where}: y_min {box['y_min']:g} is greater than y_max {box['y_max']:g}")


def _consistency_problems(data: dict[str, Any]) -> list[str]:
    out: list[str] = []
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        out.append(f"schema_version {version!r} is not supported (this program reads {SCHEMA_VERSION})")
    width, height = int(data["image"]["width"]), int(data["image"]["height"])
    if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE:
        out.append(f"image: size {_show(width)} x {_show(height)} is not a radiograph (at most {MAX_IMAGE_SIDE} pixels a side)")
    elif width * height > MAX_IMAGE_PIXELS:
        out.append(f"image: {width} x {height} = {width * height} pixels, over the limit of {MAX_IMAGE_PIXELS}")

    sentence_ids: set[str] = set()
    for i, s in enumerate(data["sentences"]):
        if s["id"] in sentence_ids:
            out.append(f"sentences[{i}]: duplicate sentence id {s['id']!r}")
        sentence_ids.add(s["id"])

    review = data.get("review") or {}
    finding_ids: set[str] = set()
    groups = [("findings", data["findings"]), ("review.additions", review.get("additions", []))]
    for group, findings in groups:
        for i, f in enumerate(findings):
            where = f"{group}[{i}]"
            if f["id"] in finding_ids:
                out.append(f"{where}: duplicate finding id {f['id']!r}")
            finding_ids.add(f["id"])
            if group == "findings" and f["sentence_id"] not in sentence_ids:
                out.append(f"{where}: sentence id {f['sentence_id']!r} does not exist")
            if f.get("observation") is not None:
                _check_box(f["observation"], f"{where}.observation", width, height, out)
            for j, box in enumerate(f.get("clues", [])):
                _check_box(box, f"{where}.clues[{j}]", width, height, out)
            seen_obs: set[str] = set()
            for lab in f.get("labels", []):
                if lab["observation"] in seen_obs:
                    out.append(f"{where}: label {lab['observation']!r} given twice")
                seen_obs.add(lab["observation"])

    previous_start = -math.inf
    for i, p in enumerate(data["trajectory"]):
        where = f"trajectory[{i}]"
        for key, limit, axis in (("x", width, "width"), ("y", height, "height")):
            v = p[key]
            if not _finite(v):
                out.append(f"{where}: {key} is not a finite number ({_show(v)})")
            elif v < 0 or v > limit:
                out.append(f"{where}: {key} {v:g} is outside the image ({axis} {limit})")
        t0, t1 = p["t_start"], p["t_end"]
        if not (_finite(t0) and _finite(t1)):
            out.append(f"{where}: times are not finite numbers ({_show(t0)}, {_show(t1)})")
            continue
        if t1 < t0:
            out.append(f"{where}: ends at {t1:g} s before it starts at {t0:g} s")
        if t0 < previous_start:
            out.append(f"{where}: time goes backwards (starts at {t0:g} s, after a point that started at {previous_start:g} s)")
        previous_start = max(previous_start, t0)
        fid = p.get("finding_id")
        if fid is not None and fid not in finding_ids:
            out.append(f"{where}: finding id {fid!r} does not exist")

    # an event names a model finding, a current addition, or an addition the log itself recorded
    # (added, then removed: its content is the event's before/after)
    logged_ids = {
        v["id"]
        for e in review.get("events", [])
        for v in (e.get("before"), e.get("after"))
        if isinstance(v, dict) and isinstance(v.get("id"), str)
    }
    for i, e in enumerate(review.get("events", [])):
        fid = e.get("finding_id")
        if fid is not None and fid not in finding_ids and fid not in logged_ids:
            out.append(f"review.events[{i}]: finding id {fid!r} does not exist")
    for i, d in enumerate(review.get("decisions", [])):
        if d["finding_id"] not in finding_ids:
            out.append(f"review.decisions[{i}]: finding id {d['finding_id']!r} does not exist")
        if d.get("edited") is not None:
            e = d["edited"]
            if e.get("observation") is not None:
                _check_box(e["observation"], f"review.decisions[{i}].edited.observation", width, height, out)
            for j, box in enumerate(e.get("clues", [])):
                _check_box(box, f"review.decisions[{i}].edited.clues[{j}]", width, height, out)
    measurement_ids: set[str] = set()
    for i, m in enumerate(review.get("measurements", [])):
        where = f"review.measurements[{i}]"
        if m["id"] in measurement_ids or m["id"] in finding_ids:
            out.append(f"{where}: duplicate id {m['id']!r}")
        measurement_ids.add(m["id"])
        if len(m["points"]) != (2 if m["kind"] == "length" else 4):
            out.append(f"{where}: a {m['kind']} measurement has {2 if m['kind'] == 'length' else 4} points, "
                       f"not {len(m['points'])}")
        for x, y in m["points"]:
            if not (_finite(x) and _finite(y) and 0 <= x <= width and 0 <= y <= height):
                out.append(f"{where}: point ({_show(x)}, {_show(y)}) is outside the {width} x {height} image")
                break
    return out


# -- the fast path: certain that a document is valid, or hands it to the full check -----------------
#
# The full check (jsonschema on the document, then the consistency loop) takes ~25 ms for 5,000
# trajectory points. The fast path proves the same verdict for a valid document in a few ms: the
# document without its trajectory goes through the same schema compiled by fastjsonschema and the
# same consistency function, and the trajectory is checked as numpy columns. It never produces a
# message: anything it is not sure of goes to the full check, which stays the reference
# (tests/core/reading/test_validation_fast.py checks on mutated documents that it never accepts more).

#: integers up to this size are exact in float64 (the column checks compare as float64)
_EXACT = 2.0**53
_NUMBER_TYPES = frozenset({int, float})
_OPTIONAL_NUMBER_TYPES = frozenset({int, float, type(None)})


@functools.lru_cache(maxsize=1)
def _compiled_schema() -> Callable[[Any], Any]:
    import fastjsonschema

    return fastjsonschema.compile(
        copy.deepcopy(reading_schema()), use_default=False, use_formats=False, detailed_exceptions=False
    )


def _trajectory_certainly_valid(columns: dict[str, list[Any]], width: int, height: int, finding_ids: set[str]) -> bool:
    """The point schema and the trajectory consistency checks, on columns (True: valid for sure)."""
    numbers = [columns["x"], columns["y"], columns["t_start"], columns["t_end"]]
    if not set(map(type, chain.from_iterable(numbers))) <= _NUMBER_TYPES:  # bool, None, str, missing
        return False
    if not set(map(type, columns["weight"])) <= _OPTIONAL_NUMBER_TYPES:
        return False
    if not set(columns["kind"]) <= _POINT_KINDS:
        return False
    fids = set(columns["finding_id"])
    fids.discard(None)
    if not fids <= finding_ids:  # the finding ids are strings, so this also checks the type
        return False
    if not (0 < width < _EXACT and 0 < height < _EXACT):
        return False
    a = np.array(numbers, dtype=np.float64)
    if not (np.isfinite(a).all() and (np.abs(a) < _EXACT).all()):
        return False
    x, y, t0, t1 = a
    return bool(
        (x >= 0).all() and (x <= width).all() and (y >= 0).all() and (y <= height).all()
        and (t0 >= 0).all() and (t1 >= t0).all() and (np.diff(t0) >= 0).all()
    )


def _certainly_valid(data: Any, columns: dict[str, list[Any]] | None) -> bool:
    """True only when ``data`` passes the full check with no problem; False: run the full check."""
    if type(data) is not dict or columns is None or "trajectory" not in data:
        return False
    import fastjsonschema

    head = dict(data)
    head["trajectory"] = []
    try:
        _compiled_schema()(head)
        if _consistency_problems(head):
            return False
        review = head.get("review") or {}
        finding_ids = {f["id"] for f in head["findings"]} | {f["id"] for f in review.get("additions", [])}
        width, height = int(head["image"]["width"]), int(head["image"]["height"])
        return _trajectory_certainly_valid(columns, width, height, finding_ids)
    except (fastjsonschema.JsonSchemaException, KeyError, TypeError, ValueError, OverflowError):
        return False


def _full_problems(data: Any) -> list[str]:
    """The reference check: jsonschema, then consistency (see :func:`validate_reading_dict`)."""
    problems = _schema_problems(data)
    if problems:
        return problems
    try:
        return _consistency_problems(data)
    except (KeyError, TypeError, ValueError) as exc:  # a shape the schema let through
        return [f"inconsistent document ({type(exc).__name__}: {exc})"]


def validate_reading_dict(data: Any) -> list[str]:
    """All problems of a reading document, most telling first; ``[]`` when it is valid.

    Parameters
    ----------
    data
        The decoded JSON document.

    Returns
    -------
    list of str
        Schema problems (when there are any, consistency is not checked) or consistency problems,
        each naming where in the document it is ("trajectory[3]: time goes backwards ...").
    """
    columns = trajectory_columns(data.get("trajectory")) if type(data) is dict else None
    if _certainly_valid(data, columns):
        return []
    return _full_problems(data)


def validate_reading(reading: Reading) -> list[str]:
    """All problems of an in-memory reading (see :func:`validate_reading_dict`)."""
    return validate_reading_dict(json.loads(reading.to_json(indent=None)))


def parse_reading(text: str, *, source: str | Path | None = None) -> Reading:
    """A validated Reading from JSON text; raises ReadingError naming ``source`` and the first problem."""
    try:
        data, columns = decode_json(text)
    except json.JSONDecodeError as exc:
        raise ReadingError(source, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ReadingError(source, "not a reading: the JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal over Python's 4,300-digit limit
        raise ReadingError(source, f"not valid JSON: {exc}") from None
    if _certainly_valid(data, columns):
        return Reading.from_dict(data, columns=columns)
    try:
        problems = _full_problems(data)
    except RecursionError:
        raise ReadingError(source, "not a reading: the JSON is nested too deeply") from None
    if problems:
        extra = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ReadingError(source, problems[0] + extra)
    return Reading.from_dict(data, columns=columns)


def load_reading(path: str | Path) -> Reading:
    """Read, parse and validate a reading JSON file.

    Raises
    ------
    ReadingError
        The file cannot be read, is not JSON, or is not a valid reading; the message names the
        file and the first problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReadingError(path, "file not found") from None
    except IsADirectoryError:
        raise ReadingError(path, "is a folder, not a reading JSON file") from None
    except UnicodeDecodeError:
        raise ReadingError(path, "not a text file (UTF-8 decoding failed)") from None
    except OSError as exc:
        raise ReadingError(path, f"cannot be read ({exc.strerror or exc})") from None
    return parse_reading(text, source=path)
