"""The fast load path (orjson, compiled schema, numpy trajectory columns) against the reference.

The reference is what loading did before the fast path: ``json.loads``, jsonschema on the whole
document, the consistency loop, one ``TrajectoryPoint.from_dict`` a point. The fast path may only
ever say "valid" when the reference says so, and must give the same Reading; users take it for every
valid document, so it is checked to be taken.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazex_viewer.core.errors import ReadingError
from gazex_viewer.core.reading.document import (
    POINT_FIELDS,
    Reading,
    TrajectoryPoint,
    decode_json,
    trajectory_columns,
)
from gazex_viewer.core.reading.validation import (
    _certainly_valid,
    _full_problems,
    load_reading,
    parse_reading,
    validate_reading_dict,
)

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "examples" / "sample_reading.json"


def _sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text())


def _reviewed() -> dict[str, Any]:
    """The sample with a review: an addition the trajectory points to, decisions, an edit, a sign-off."""
    d = _sample()
    added = copy.deepcopy(d["findings"][0])
    added.update(id="f-added", sentence_id="")
    edited = copy.deepcopy(d["findings"][1])
    edited["observation"] = {"x_min": 10, "y_min": 20, "x_max": 30, "y_max": 40, "centroid_x": 20, "centroid_y": 30}
    d["review"] = {
        "reviewer": "dr x",
        "decisions": [
            {"finding_id": "f-1", "status": "accepted", "reason": None, "edited": None},
            {"finding_id": d["findings"][1]["id"], "status": "edited", "reason": "box", "edited": edited},
        ],
        "additions": [added],
        "impression": "ok",
        "own_impression": None,
        "events": [{"id": "e-1", "at": "2024", "reviewer": "dr x", "action": "accept", "finding_id": "f-1",
                    "before": None, "after": {"status": "accepted"}}],
        "signoff": {"reviewer": "dr x", "at": "2024", "content_sha256": "ab" * 32},
    }
    d["trajectory"][-1]["finding_id"] = "f-added"
    return d


def _long(points: int = 400) -> dict[str, Any]:
    """The sample with a long expert-like trajectory (ints and floats, weights, no finding)."""
    d = _sample()
    d["trajectory"] = [
        {"x": (i * 37) % 512 if i % 3 else (i * 37) % 512 + 0.5, "y": (i * 91) % 512, "t_start": i * 0.25,
         "t_end": i * 0.25 + (0.25 if i % 5 else 0), "finding_id": ["f-1", None][i % 2], "kind": "fixation",
         "weight": [None, 0.5, 3][i % 3]}
        for i in range(points)
    ]
    return d


BASES = {"sample": _sample(), "reviewed": _reviewed(), "long": _long()}


def _fast_says_valid(d: Any) -> bool:
    cols = trajectory_columns(d.get("trajectory")) if type(d) is dict else None
    return _certainly_valid(d, cols)


@pytest.mark.parametrize("name", sorted(BASES))
def test_fast_path_is_taken_for_valid_documents(name: str) -> None:
    d = copy.deepcopy(BASES[name])
    assert _full_problems(d) == []
    assert _fast_says_valid(d)
    assert validate_reading_dict(d) == []


def test_point_fields_are_the_dataclass_fields_in_order() -> None:
    assert list(POINT_FIELDS) == [f.name for f in fields(TrajectoryPoint)]
    assert {k: v for k, v in POINT_FIELDS.items() if k in ("finding_id", "kind", "weight")} == {
        f.name: f.default for f in fields(TrajectoryPoint) if f.name in ("finding_id", "kind", "weight")
    }


# -- mutations ------------------------------------------------------------------------------------

def _containers(node: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    out = []
    if isinstance(node, dict):
        out.append((path, node))
        for k, v in node.items():
            out += _containers(v, path + (k,))
    elif isinstance(node, list):
        out.append((path, node))
        for i, v in enumerate(node):
            out += _containers(v, path + (i,))
    return out


_VALUES = st.one_of(
    st.sampled_from([
        None, True, False, 0, -0.0, 1, -1, 0.5, 511.5, 512, 512.0, 512.0001, 513, 1e-300, -1e-300,
        2**53, 2**53 + 1, 2**63, 2**64 + 1, 10**30, 1e308, math.inf, -math.inf, math.nan,
        "", "x", "f-1", "f-2", "f-added", "s-1", "clue", "observation", "fixation", "positive", "negative",
        "Cardiomegaly", "1.0", "2.0", "ab" * 32, "AB" * 32, [], {}, [1], {"x": 1},
    ]),
    st.integers(-3, 515),
    st.floats(-2, 514),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
)
_KEYS = st.sampled_from([
    "x", "y", "t_start", "t_end", "finding_id", "kind", "weight", "id", "width", "height", "extra",
    "observation", "status", "x_min", "x_max", "centroid_y", "review", "frame", "schema_version",
])


def _edge(draw: st.DrawFn, points: list[Any]) -> None:
    """Move one point's coordinate or time onto, or just past, a limit (image edge, its neighbour's time)."""
    i = draw(st.integers(0, len(points) - 1))
    p, prev = points[i], points[i - 1] if i else {}
    if not isinstance(p, dict) or not isinstance(prev, dict):
        return
    key = draw(st.sampled_from(["x", "y", "t_start", "t_end"]))
    eps = draw(st.sampled_from([0, 1e-9, -1e-9, 1e-9, -1e-9, 1, -1]))
    if key in ("x", "y"):
        base = draw(st.sampled_from([0, 512, 512.0, 512]))
    elif key == "t_start":
        base = draw(st.sampled_from([prev.get("t_start", 0), p.get("t_end", 0), 0]))
    else:
        base = p.get("t_start", 0)
    if isinstance(base, (int, float)) and not isinstance(base, bool):
        p[key] = base + eps


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    d = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        conts = _containers(d)
        _, node = draw(st.sampled_from(conts))
        op = draw(st.sampled_from(["set", "set", "set", "delete", "add", "copy", "edge", "edge", "edge"]))
        if op == "edge" and d.get("trajectory") and isinstance(d["trajectory"], list):
            _edge(draw, d["trajectory"])
        elif isinstance(node, dict):
            if op == "add" or not node:
                node[draw(_KEYS)] = draw(_VALUES)
            elif op == "delete":
                del node[draw(st.sampled_from(sorted(node)))]
            else:
                node[draw(st.sampled_from(sorted(node)))] = draw(_VALUES)
        else:
            if op == "delete" and node:
                del node[draw(st.integers(0, len(node) - 1))]
            elif op == "copy" and node:  # duplicate an item elsewhere (ids twice, times backwards)
                node.insert(draw(st.integers(0, len(node))), copy.deepcopy(node[draw(st.integers(0, len(node) - 1))]))
            elif node:
                node[draw(st.integers(0, len(node) - 1))] = draw(_VALUES)
            else:
                node.append(draw(_VALUES))
    return d


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_fast_path_never_accepts_what_the_full_check_refuses(d: dict[str, Any]) -> None:
    reference = _full_problems(copy.deepcopy(d))
    if _fast_says_valid(d):
        assert reference == []
    assert validate_reading_dict(d) == reference


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_parse_reading_agrees_with_the_reference_loader(d: dict[str, Any]) -> None:
    text = json.dumps(d)  # NaN and Infinity written as the json module writes them
    ref_data = json.loads(text)
    problems = _full_problems(ref_data)
    if problems:
        with pytest.raises(ReadingError) as err:
            parse_reading(text, source="m.json")
        assert str(err.value).startswith("m.json: " + problems[0])
    else:
        got = parse_reading(text, source="m.json")
        # json.dumps also compares NaN weights and tells 1 from 1.0
        reference_points = [TrajectoryPoint.from_dict(p).to_dict() for p in ref_data["trajectory"]]
        assert json.dumps([p.to_dict() for p in got.trajectory]) == json.dumps(reference_points)
        assert _stamped(got.to_dict()) == _stamped(Reading.from_dict(ref_data).to_dict())
        assert _stamped(Reading.from_json(text).to_dict()) == _stamped(got.to_dict())


def _stamped(d: Any) -> str:
    """``d`` as JSON with every ``created``/``at`` time stamp blanked: a mutation that drops one makes each loader
    fill in "now", which may differ by a millisecond between the two loads (the comparison flaked on that)."""
    def walk(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: ("<time>" if k in ("created", "at") and isinstance(x, str) else walk(x)) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v
    return json.dumps(walk(d))


def test_unhashable_point_kind_in_a_long_trajectory_is_a_schema_problem() -> None:
    d = _long(40)
    d["trajectory"][3]["kind"] = []  # used to raise TypeError from the hand-written point check
    assert validate_reading_dict(d)[0] == "schema: trajectory[3].kind: [] is not one of ['clue', 'observation', 'fixation']"


# -- decoding ------------------------------------------------------------------------------------

_JSON = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.text(max_size=4),
        st.integers(), st.integers(min_value=2**62, max_value=2**66), st.integers(min_value=-(2**66), max_value=-(2**62)),
        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e19, -1e19, 2.0**63, 2.0**64, 1e300]),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(list(POINT_FIELDS) + ["a"]), inner, max_size=7)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_JSON, st.builds(lambda t: {"trajectory": t}, st.lists(st.dictionaries(st.sampled_from(list(POINT_FIELDS)), _JSON, max_size=7), max_size=5))))
def test_decode_json_gives_exactly_what_json_loads_gives(value: Any) -> None:
    text = json.dumps(value)
    data, _ = decode_json(text)
    # json.dumps tells 1 from 1.0 and writes NaN as NaN, so equal texts mean the same values and types
    assert json.dumps(data) == json.dumps(json.loads(text))


def test_decode_json_falls_back_for_what_orjson_reads_differently() -> None:
    big = '{"trajectory": [{"x": 18446744073709551617, "t_start": -9223372036854775809}], "n": [NaN, 1e400]}'
    data, _ = decode_json(big)
    assert data["trajectory"][0]["x"] == 18446744073709551617 and type(data["trajectory"][0]["x"]) is int
    assert data["trajectory"][0]["t_start"] == -9223372036854775809
    assert math.isnan(data["n"][0]) and data["n"][1] == math.inf
    with pytest.raises(json.JSONDecodeError) as err:
        decode_json('{"a": }')
    assert (err.value.msg, err.value.lineno, err.value.colno) == ("Expecting value", 1, 7)


def test_integers_beyond_64_bits_are_compared_exactly(tmp_path: Path) -> None:
    d = _sample()
    d["image"]["width"] = 2**64 + 1  # image sides are bounded (at most 100,000 pixels)
    d["trajectory"][0].update(x=2**64 + 1)
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ReadingError, match=r"image: size an integer of 20 digits x 512 is not a radiograph"):
        load_reading(path)
    d = _sample()
    d["trajectory"][0].update(x=2**64 + 2)  # beyond 64 bits, outside the image
    path.write_text(json.dumps(d))
    with pytest.raises(ReadingError, match=r"trajectory\[0\]: x 1.84467e\+19 is outside the image"):
        load_reading(path)
    d = _sample()
    d["trajectory"] = d["trajectory"][:1]
    d["trajectory"][0].update(t_start=2**64 + 1, t_end=2**64)
    path.write_text(json.dumps(d))
    with pytest.raises(ReadingError, match=r"trajectory\[0\]: ends at .* before it starts"):
        load_reading(path)


def test_from_json_points_match_the_per_point_constructor() -> None:
    d = _long(50)
    for p in d["trajectory"][::7]:  # optional keys left out: their defaults
        del p["kind"], p["weight"], p["finding_id"]
    text = json.dumps(d)
    reading = Reading.from_json(text)
    assert reading.trajectory == [TrajectoryPoint.from_dict(p) for p in json.loads(text)["trajectory"]]
    assert reading.trajectory[0] == TrajectoryPoint(0.5, 0, 0.0, 0.0, None, "observation", None)
    assert reading.trajectory[1] == TrajectoryPoint(37, 91, 0.25, 0.5, None, "fixation", 0.5)
    d["trajectory"][3]["speed"] = 1.0  # an unknown key is refused as before
    with pytest.raises(TypeError, match="speed"):
        Reading.from_json(json.dumps(d))
    del d["trajectory"][3]["speed"], d["trajectory"][3]["x"]
    with pytest.raises(TypeError, match="'x'"):
        Reading.from_json(json.dumps(d))
