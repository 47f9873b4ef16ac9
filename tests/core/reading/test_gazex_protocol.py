"""The GazeX grounding parser, its inverse, and reading assembly."""

from __future__ import annotations

import pytest

from gazex_viewer.core.reading.document import Box, ImageRef, Producer
from gazex_viewer.core.reading.gazex_protocol import (
    COORDINATE_FRAMES,
    DEFAULT_FRAME,
    REPORT_PROMPT,
    CoordinateFrame,
    assemble_reading,
    format_grounding,
    grounding_prompt,
    parse_grounding,
    register_frame,
)
from gazex_viewer.core.reading.validation import validate_reading

EXAMPLE = (
    "visual clues : [(128,78)(406,191)(276,134),(162,295)(472,451)(357,377)] "
    "observation : [(163,145)(527,491)(351,333)]"
)
W, H = 2544, 3056  # a REFLACX-sized film: the downscale-4 frame is 636 x 764


def _corners(b: Box) -> tuple[float, ...]:
    return (b.x_min, b.y_min, b.x_max, b.y_max, b.centroid_x, b.centroid_y)


def test_prompts() -> None:
    # the training prompt (Create_Training_Data.py:140), with the space after <image> the training text has
    assert REPORT_PROMPT == (
        " Given an X-ray image, using the radiologist's interpretation pattern, generate a detailed description or "
        "diagnosis for the image."
    )
    p = grounding_prompt("no pneumothorax")
    assert p.startswith("Given an X-ray image and a radiologist's description 'no pneumothorax', mimic")
    assert p.endswith("observation: [(xmin, ymin)(xmax, ymax)(centroidx, centroidy)]'.")
    assert DEFAULT_FRAME == "downscale4" and {"downscale4", "qwen2vl_1000"} <= COORDINATE_FRAMES.keys()


def test_design_example_downscale4() -> None:
    r = parse_grounding(EXAMPLE, width=W, height=H)
    assert r.warnings == []
    assert [_corners(b) for b in r.clues] == [(512, 312, 1624, 764, 1104, 536), (648, 1180, 1888, 1804, 1428, 1508)]
    assert r.observation is not None and _corners(r.observation) == (652, 580, 2108, 1964, 1404, 1332)


def test_observation_only_spacing_and_prose() -> None:
    text = "Sure! observation:[ ( 10 , 20 ) ( 30 , 40 ) ( 20 , 30 ) ] hope this helps."
    r = parse_grounding(text, width=400, height=400)
    assert r.clues == [] and r.warnings == []
    assert _corners(r.observation) == (40, 80, 120, 160, 80, 120)  # type: ignore[arg-type]


def test_swapped_corners_and_floats() -> None:
    r = parse_grounding("observation : [(30.5,40)(10,20.25)(20,30)]", width=400, height=400)
    assert _corners(r.observation) == (40, 81, 122, 160, 80, 120)  # type: ignore[arg-type]


def test_clamped_to_image() -> None:
    r = parse_grounding("observation : [(-5,10)(200,90)(150,50)]", width=512, height=512)
    assert _corners(r.observation) == (0, 40, 512, 360, 512, 200)  # type: ignore[arg-type]
    assert any("clamped" in w for w in r.warnings)


def test_truncated_output_keeps_complete_boxes() -> None:
    text = "visual clues : [(128,78)(406,191)(276,134),(162,295)(472,451)(357,377),(1,2)(3"
    r = parse_grounding(text, width=W, height=H)
    assert len(r.clues) == 2 and r.observation is None
    assert "1 of 3 clue boxes unreadable (truncated)" in r.warnings
    assert any("no observation area" in w for w in r.warnings)


def test_unreadable_clue_boxes_counted() -> None:
    text = "visual clues : [(a,b)(c,d)(e,f),(1,2)(3,4)(2,3),(7)(8)] observation : [(1,1)(9,9)(5,5)]"
    r = parse_grounding(text, width=100, height=100)
    assert len(r.clues) == 1 and r.observation is not None
    assert "2 of 3 clue boxes unreadable" in r.warnings


def test_missing_commas_between_boxes() -> None:
    r = parse_grounding("visual clues: [(1,2)(3,4)(2,3)(5,6)(7,8)(6,7)] observation: [(1,1)(9,9)(5,5)]", width=100, height=100)
    assert len(r.clues) == 2 and r.warnings == []


def test_box_without_centroid_uses_centre() -> None:
    r = parse_grounding("observation : [(10,10)(20,30)]", width=400, height=400)
    assert _corners(r.observation) == (40, 40, 80, 120, 60, 80)  # type: ignore[arg-type]


def test_no_labels_takes_last_box_as_observation() -> None:
    r = parse_grounding("[(1,2)(3,4)(2,3),(5,6)(7,8)(6,7)]", width=100, height=100)
    assert len(r.clues) == 1 and _corners(r.observation)[:4] == (20, 24, 28, 32)  # type: ignore[arg-type]
    assert any("took the last box" in w for w in r.warnings)


@pytest.mark.parametrize("text", ["", "   ", "I cannot see an image.", "observation : [", "visual clues : []"])
def test_garbage_gives_warnings_not_errors(text: str) -> None:
    r = parse_grounding(text, width=100, height=100)
    assert r.observation is None and r.clues == [] and r.warnings


def test_unknown_frame_falls_back_with_warning() -> None:
    r = parse_grounding("observation : [(1,1)(2,2)(1,1)]", width=100, height=100, frame="nonsense")
    assert r.observation is not None and "unknown coordinate frame" in r.warnings[0]


def test_qwen2vl_frame_box_tokens() -> None:
    text = (
        "visual clues : [<|box_start|>(100,200),(300,400)<|box_end|>,<|box_start|>(500,500),(600,700)<|box_end|>] "
        "observation : [<|box_start|>(100,100),(900,800)<|box_end|>]<|im_end|>"
    )
    r = parse_grounding(text, width=2000, height=1000, frame="qwen2vl_1000")
    assert r.warnings == []
    assert [_corners(b) for b in r.clues] == [(200, 200, 600, 400, 400, 300), (1000, 500, 1200, 700, 1100, 600)]
    assert _corners(r.observation) == (200, 100, 1800, 800, 1000, 450)  # type: ignore[arg-type]


def test_qwen2vl_native_grounding_with_object_refs_and_truncation() -> None:
    text = (
        "<|object_ref_start|>visual clues<|object_ref_end|><|box_start|>(0,0),(500,500)<|box_end|>"
        "<|object_ref_start|>observation<|object_ref_end|><|box_start|>(100,100),(90"
    )
    r = parse_grounding(text, width=1000, height=1000, frame="qwen2vl_1000")
    assert len(r.clues) == 1 and r.observation is None
    assert any("observation box unreadable" in w for w in r.warnings)


@pytest.mark.parametrize("frame", ["downscale4", "qwen2vl_1000"])
def test_format_then_parse_round_trip(frame: str) -> None:
    clues = [Box(100, 120, 400, 380, 250, 250), Box(800, 900, 1200, 1500, 1000, 1200)]
    obs = Box(50, 60, 1600, 1900, 820, 980)
    text = format_grounding(clues, obs, width=W, height=H, frame=frame)
    r = parse_grounding(text, width=W, height=H, frame=frame)
    assert r.warnings == []
    tol = 2.0 if frame == "downscale4" else max(W, H) / 2000 + 1e-9
    for got, want in zip([*r.clues, r.observation], [*clues, obs]):
        assert got is not None
        assert all(abs(a - b) <= tol for a, b in zip(_corners(got)[:4], _corners(want)[:4]))
    if frame == "downscale4":
        assert text.startswith("visual clues : [(25,30)(100,95)(62,62),")


def test_format_observation_only() -> None:
    text = format_grounding([], Box(40, 80, 120, 160, 80, 120), width=400, height=400)
    assert text == "observation : [(10,20)(30,40)(20,30)]"


def test_register_frame() -> None:
    register_frame(CoordinateFrame("half", lambda x, y, w, h: (x * 2, y * 2), lambda x, y, w, h: (x / 2, y / 2)))
    try:
        r = parse_grounding("observation : [(1,2)(3,4)(2,3)]", width=100, height=100, frame="half")
        assert _corners(r.observation) == (2, 4, 6, 8, 4, 6)  # type: ignore[arg-type]
    finally:
        del COORDINATE_FRAMES["half"]


def _image() -> ImageRef:
    return ImageRef(file_name="x.png", width=W, height=H, pixel_sha256="0" * 64)


def test_assemble_reading() -> None:
    report = "support apparatus . no pneumothorax . enlarged cardiac silhouette ."
    answers = [EXAMPLE, "observation : [(10,10)(50,50)(30,30)]"]
    r = assemble_reading(image=_image(), producer=Producer(kind="model", name="t"), report_text=report, grounding_answers=answers)
    assert [s.text for s in r.sentences] == ["support apparatus .", "no pneumothorax .", "enlarged cardiac silhouette ."]
    assert [f.id for f in r.findings] == ["f-1", "f-2", "f-3"]
    assert [(lab.observation, lab.status) for lab in r.findings[1].labels] == [("Pneumothorax", "negative")]
    assert r.findings[0].raw_grounding == EXAMPLE and len(r.findings[0].clues) == 2
    assert r.findings[2].observation is None and r.findings[2].warnings == ["no grounding answer for this sentence"]
    assert "1 of 3 sentences have no grounding answer" in r.warnings
    # trajectory: clues then observation of sentence 1, then sentence 2's observation, 1 s each
    assert [(p.finding_id, p.kind, p.t_start, p.t_end) for p in r.trajectory] == [
        ("f-1", "clue", 0.0, 1.0), ("f-1", "clue", 1.0, 2.0), ("f-1", "observation", 2.0, 3.0), ("f-2", "observation", 3.0, 4.0)
    ]
    assert (r.trajectory[0].x, r.trajectory[0].y) == (1104, 536)
    assert validate_reading(r) == []


def test_assemble_reading_never_raises_on_junk() -> None:
    r = assemble_reading(image=_image(), producer=Producer(kind="model", name="t"), report_text="",
                         grounding_answers=["((((", "observation : [(1e9,2)"])
    assert r.sentences == [] and r.trajectory == []
    assert r.warnings


def test_commas_between_the_points_of_a_box() -> None:
    with_commas = (
        "visual clues : [(128,78),(406,191),(276,134),(162,295),(472,451),(357,377)] "
        "observation : [(163,145),(527,491),(351,333)]"
    )
    want = parse_grounding(EXAMPLE, width=W, height=H)
    got = parse_grounding(with_commas, width=W, height=H)
    assert got.warnings == []
    assert [_corners(b) for b in got.clues] == [_corners(b) for b in want.clues]
    assert got.observation is not None and _corners(got.observation) == (652.0, 580.0, 2108.0, 1964.0, 1404.0, 1332.0)
    # mixed: one box written without commas, one with
    mixed = parse_grounding("visual clues : [(128,78)(406,191)(276,134),(162,295),(472,451),(357,377)] observation : [(1,1)(2,2)(1,1)]", width=W, height=H)
    assert [_corners(b) for b in mixed.clues] == [_corners(b) for b in want.clues]
    # the qwen2vl frame: corners in pairs
    q = parse_grounding("observation : [(100,100),(500,500)]", width=3000, height=3000, frame="qwen2vl_1000")
    assert q.observation is not None and _corners(q.observation) == (300.0, 300.0, 1500.0, 1500.0, 900.0, 900.0)
