"""Reading documents from JSON text, fast: orjson, column-wise trajectories, and the ``json`` fallback.

Owns :func:`decode_json` (orjson where it gives what ``json.loads`` gives, ``json`` where they could
differ) and the trajectory as columns (:func:`trajectory_columns`, :func:`points_from_columns`), which
:meth:`~gazex_viewer.core.reading.document.Reading.from_dict` uses to build long trajectories quickly.
"""

from __future__ import annotations

import json
from itertools import repeat
from typing import Any

import numpy as np
import orjson

from gazex_viewer.core.reading.parts import TrajectoryPoint

__all__ = ["POINT_FIELDS", "decode_json", "points_from_columns", "trajectory_columns", "trajectory_from_dicts"]


#: the TrajectoryPoint fields in constructor order, each with the value a missing key means
#: (``_MISSING`` for the required ones)
_MISSING: Any = object()
POINT_FIELDS: dict[str, Any] = {
    "x": _MISSING, "y": _MISSING, "t_start": _MISSING, "t_end": _MISSING,
    "finding_id": None, "kind": "observation", "weight": None,
}
_POINT_FIELD_SET = frozenset(POINT_FIELDS)


def trajectory_columns(points: Any) -> dict[str, list[Any]] | None:
    """A trajectory's points as columns, one list per TrajectoryPoint field.

    Parameters
    ----------
    points
        The decoded ``"trajectory"`` value of a reading document.

    Returns
    -------
    dict of str to list, or None
        ``{"x": [...], "y": [...], ...}`` in ``POINT_FIELDS`` order, a missing optional key read as
        its default and a missing required key as a sentinel that is neither a number nor ``None``;
        ``None`` when ``points`` is not a list of dicts whose keys are all TrajectoryPoint fields.
    """
    if type(points) is not list:
        return None
    n = len(points)
    if n and (set(map(type, points)) != {dict} or not set().union(*points) <= _POINT_FIELD_SET):
        return None
    return {k: list(map(dict.get, points, repeat(k, n), repeat(default, n))) for k, default in POINT_FIELDS.items()}


def points_from_columns(columns: dict[str, list[Any]]) -> list[TrajectoryPoint]:
    """TrajectoryPoints from :func:`trajectory_columns` output whose required fields are all present."""
    return list(map(TrajectoryPoint, *columns.values()))


def trajectory_from_dicts(points: Any, columns: dict[str, list[Any]] | None) -> list[TrajectoryPoint]:
    """The decoded ``"trajectory"`` as TrajectoryPoints: from its columns when they are complete."""
    if columns is not None and not any(_MISSING in columns[k] for k in ("x", "y", "t_start", "t_end")):
        return points_from_columns(columns)
    return [TrajectoryPoint.from_dict(x) for x in points]


#: orjson decodes integers beyond 64 bits as floats; any float this large sends the text to ``json``
_BIG = 2.0**63


def _holds_big_float(node: Any) -> bool:
    t = type(node)
    if t is float:
        return not -_BIG < node < _BIG
    if t is dict:
        return any(map(_holds_big_float, node.values()))
    if t is list:
        return any(map(_holds_big_float, node))
    return False


_NO_FLOAT_SCALARS = frozenset({int, str, bool, type(None), type(_MISSING)})
_NUMBERS_OR_NONE = frozenset({int, float, type(None)})


def _column_holds_big_float(column: list[Any]) -> bool:
    types = set(map(type, column))
    if types <= _NO_FLOAT_SCALARS:
        return False
    if types <= _NUMBERS_OR_NONE:
        a = np.array(column, dtype=np.float64)  # None -> nan, which compares false below
        return bool((np.abs(a) >= _BIG).any())
    return any(map(_holds_big_float, column))


def _document_holds_big_float(data: Any, columns: dict[str, list[Any]] | None) -> bool:
    if type(data) is not dict:
        return _holds_big_float(data)
    if any(_holds_big_float(v) for k, v in data.items() if k != "trajectory"):
        return True
    if columns is None:
        return _holds_big_float(data.get("trajectory"))
    return any(map(_column_holds_big_float, columns.values()))


def decode_json(text: str | bytes) -> tuple[Any, dict[str, list[Any]] | None]:
    """Decode a reading document: orjson, or the standard ``json`` module where they could differ.

    orjson refuses NaN, Infinity, lone surrogates and out-of-range numbers (``json`` accepts them
    and gives the error messages users see) and reads integers beyond 64 bits as floats; such a
    text is decoded again with ``json``, so the result is always what ``json.loads`` returns.

    Returns
    -------
    tuple
        The decoded document and its :func:`trajectory_columns` (``None`` when not column-shaped).

    Raises
    ------
    json.JSONDecodeError
        The text is not JSON (the standard module's message, line and column).
    """
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        data = json.loads(text)
        return data, trajectory_columns(data.get("trajectory")) if type(data) is dict else None
    columns = trajectory_columns(data.get("trajectory")) if type(data) is dict else None
    if _document_holds_big_float(data, columns):
        data = json.loads(text)
        columns = trajectory_columns(data.get("trajectory")) if type(data) is dict else None
    return data, columns
