"""Property-based tests: random and mutated model outputs never raise and never leave the image."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazex_viewer.core.reading.document import Box
from gazex_viewer.core.reading.gazex_protocol import format_grounding, parse_grounding

FALLBACK = "could not be read"

SIZES = st.tuples(st.integers(1, 4000), st.integers(1, 4000))
FRAMES = st.sampled_from(["downscale4", "qwen2vl_1000", "original", "bogus"])
ALPHABET = st.sampled_from(list("()[],:.- 0123456789visualcluesobservation\n") + ["<|box_start|>", "<|box_end|>", "1e9", "nan"])


def _inside(box: Box, w: int, h: int) -> bool:
    return (
        0 <= box.x_min <= box.x_max <= w
        and 0 <= box.y_min <= box.y_max <= h
        and 0 <= box.centroid_x <= w
        and 0 <= box.centroid_y <= h
    )


def _check(text: str, w: int, h: int, frame: str) -> None:
    r = parse_grounding(text, width=w, height=h, frame=frame)
    for box in [*r.clues, *([r.observation] if r.observation else [])]:
        assert _inside(box, w, h), (text, box)
    assert all(isinstance(x, str) and x for x in r.warnings)
    # the internal parser itself never failed: parse_grounding's catch-all fallback did not fire
    assert not any(FALLBACK in x for x in r.warnings), (text, r.warnings)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), SIZES, FRAMES)
def test_random_text_never_raises(text: str, size: tuple[int, int], frame: str) -> None:
    _check(text, *size, frame)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=80).map("".join), SIZES, FRAMES)
def test_protocol_shaped_noise_never_raises(text: str, size: tuple[int, int], frame: str) -> None:
    _check(text, *size, frame)


NUM = st.one_of(st.integers(-5000, 50000), st.floats(-1e6, 1e6, allow_nan=False))
POINT = st.tuples(NUM, NUM).map(lambda p: f"({p[0]},{p[1]})")
BOX = st.lists(POINT, min_size=1, max_size=4).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(BOX, max_size=4),
    BOX,
    st.integers(0, 400),
    st.sampled_from(["", " ", "  ", "\n"]),
    st.booleans(),
    SIZES,
    FRAMES,
)
def test_mutated_answers_never_raise_or_leave_image(
    clues: list[str], obs: str, cut: int, space: str, with_clues: bool, size: tuple[int, int], frame: str
) -> None:
    text = (f"visual clues{space}:{space}[" + ",".join(clues) + "]" if with_clues else "") + f"{space}observation :[{obs}]"
    _check(text, *size, frame)
    _check(text[:cut], *size, frame)  # truncated output
    _check(text.replace(",", "", 1), *size, frame)
    _check("Here you go: " + text + " Hope that helps.", *size, frame)


@settings(max_examples=200, deadline=None)
@given(
    SIZES,
    st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=5),
    st.sampled_from(["downscale4", "qwen2vl_1000"]),
)
def test_format_parse_round_trip(size: tuple[int, int], fractions: list[tuple[float, ...]], frame: str) -> None:
    w, h = size
    boxes = []
    for a, b, c, d in fractions:
        x0, x1 = sorted((a * w, c * w))
        y0, y1 = sorted((b * h, d * h))
        boxes.append(Box.from_corners(x0, y0, x1, y1))
    text = format_grounding(boxes[:-1], boxes[-1], width=w, height=h, frame=frame)
    r = parse_grounding(text, width=w, height=h, frame=frame)
    got = [*r.clues, r.observation]
    assert len(got) == len(boxes) and r.observation is not None
    tol = 2.0 + 1e-6 if frame == "downscale4" else max(w, h) / 2000 + 1e-6
    for g, want in zip(got, boxes):
        assert g is not None and _inside(g, w, h)
        assert abs(g.x_min - want.x_min) <= tol and abs(g.y_max - want.y_max) <= tol


# integer grid points of a downscale4 / qwen2vl_1000 answer, and the boxes they stand for in original pixels
GRID_BOX = st.tuples(*[st.integers(0, 250)] * 6)


def _expected(g: tuple[int, ...], frame: str, w: int, h: int) -> Box:
    sx, sy = (4.0, 4.0) if frame == "downscale4" else (w / 1000.0, h / 1000.0)
    x0, y0, x1, y1, cx, cy = g
    xs = sorted((min(x0 * sx, w), min(x1 * sx, w)))
    ys = sorted((min(y0 * sy, h), min(y1 * sy, h)))
    if frame == "downscale4":
        return Box(xs[0], ys[0], xs[1], ys[1], min(cx * sx, w), min(cy * sy, h))
    return Box.from_corners(xs[0], ys[0], xs[1], ys[1])


def _written(g: tuple[int, ...], frame: str, space: str, sep: str = "") -> str:
    x0, y0, x1, y1, cx, cy = g
    if frame == "downscale4":
        return f"({x0},{space}{y0}){sep}{space}({x1},{y1}){sep}({cx},{cy})"
    return f"<|box_start|>({x0},{y0}),{space}({x1},{y1})<|box_end|>"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(GRID_BOX, max_size=4),
    GRID_BOX,
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["", "Here you go: ", "Sure.\n"]),
    st.tuples(st.integers(1, 4000), st.integers(1, 4000)),
    st.sampled_from(["downscale4", "qwen2vl_1000"]),
    st.sampled_from(["", ","]),
)
def test_well_formed_answers_parse_to_the_generated_boxes(
    clues: list[tuple[int, ...]], obs: tuple[int, ...], space: str, prose: str, size: tuple[int, int], frame: str, sep: str
) -> None:
    """A well-formed answer (any spacing, prose around it) gives back exactly the boxes it was written from."""
    w, h = size
    clue_text = f"visual clues{space}:{space}[" + ",".join(_written(c, frame, space, sep) for c in clues) + "] " if clues else ""
    text = prose + clue_text + f"observation{space}:{space}[{_written(obs, frame, space, sep)}]"
    r = parse_grounding(text, width=w, height=h, frame=frame)
    assert not any(FALLBACK in x for x in r.warnings), r.warnings
    got = [*r.clues, r.observation]
    want = [_expected(c, frame, w, h) for c in clues] + [_expected(obs, frame, w, h)]
    assert len(got) == len(want)
    for g, e in zip(got, want):
        assert g is not None
        assert g.to_dict() == pytest.approx(e.to_dict(), abs=1e-6), (text, g, e)
    assert all("clamped" in x for x in r.warnings), r.warnings  # nothing else to say about a well-formed answer
    # format_grounding of the parsed boxes reads back to the same boxes (the two are inverses, up to rounding)
    again = parse_grounding(format_grounding(r.clues, r.observation, width=w, height=h, frame=frame), width=w, height=h, frame=frame)
    assert len(again.clues) == len(r.clues) and again.observation is not None
    tol = 2.0 + 1e-6 if frame == "downscale4" else max(w, h) / 2000 + 1e-6
    for a, g in zip([*again.clues, again.observation], got):
        assert list(a.to_dict().values()) == pytest.approx(list(g.to_dict().values()), abs=tol)
