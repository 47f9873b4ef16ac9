"""Agreement metrics, each checked against a hand-computed case."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gazex_viewer.core.gaze.agreement import (
    DENSITY_SIGMA,
    Scanpath,
    agreement,
    centroid_icc,
    density_cosine,
    density_grid,
    film_mismatch,
    fixation_map_cc,
    icc_2_1,
    icc_undefined_reason,
    levenshtein,
    multimatch,
    ordered_icc,
    scanpath_agreement,
    scanpath_string,
    sentence_agreement,
    string_edit_distance,
    why_undefined,
    zone_agreement,
)
from gazex_viewer.core.gaze.zones import ChestBox
from gazex_viewer.core.reading.document import Box, Finding, ImageRef, Producer, Reading, Sentence, TrajectoryPoint
from tests.conftest import shared_file


def test_icc_2_1_hand_computed() -> None:
    # rows 1.5, 3.5, 5.5 (grand 3.5): MSR = 2*8/2 = 8; columns 3, 4: MSC = 3*0.5 = 1.5; MSE = 0
    # ICC = 8 / (8 + 0 + 2*1.5/3) = 8/9
    assert icc_2_1(np.array([[1, 2], [3, 4], [5, 6]])) == pytest.approx(8 / 9)
    # MSR = 1.5, MSC = 0, MSE = 0.5: ICC = 1 / (1.5 + 0.5 - 1/3) = 0.6
    assert icc_2_1(np.array([[1, 1], [2, 3], [3, 2]])) == pytest.approx(0.6)
    assert icc_2_1(np.array([[1, 1], [2, 2], [5, 5]])) == pytest.approx(1.0)
    assert math.isnan(icc_2_1(np.array([[1, 2]])))
    assert math.isnan(icc_2_1(np.array([[3, 3], [3, 3]])))


def test_icc_with_a_constant_rater_is_undefined_not_zero() -> None:
    # B rates every target 0.5 (one key frame, as the centre-bias scanpath): the formula gives about 0,
    # which is not a measurement of agreement
    ratings = np.array([[0.2, 0.5], [0.4, 0.5], [0.7, 0.5]])
    assert math.isnan(icc_2_1(ratings))
    assert "B's key frames do not vary" in (icc_undefined_reason(ratings) or "")
    assert icc_undefined_reason(np.array([[1, 2]])) == "1 key frame pair(s): needs at least 2"
    assert icc_undefined_reason(np.array([[1, 2], [3, 5]])) is None


def test_centroid_icc_matches_points_before_rating() -> None:
    a = np.array([[0.1, 0.2], [0.5, 0.5], [0.9, 0.7]])
    b = a[[2, 0, 1]] + np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])  # same points, shuffled
    ix, iy, n = centroid_icc(a, b)
    assert n == 3 and ix == pytest.approx(1.0) and iy == pytest.approx(1.0)
    ix, iy, n = centroid_icc(a[:1], b)
    assert n == 1 and math.isnan(ix) and math.isnan(iy)


def test_ordered_icc_pairs_by_time_and_matched_icc_flatters() -> None:
    a = np.array([[0.2, 0.3], [0.4, 0.6], [0.6, 0.4], [0.8, 0.7]])
    b = a[::-1]  # the same places visited in the opposite order
    # x: A .2 .4 .6 .8, B .8 .6 .4 .2: row means all .5 -> MSR 0; column means equal -> MSC 0;
    # MSE = (.09 + .01 + .01 + .09) * 2 / 3 = .1333: ICC = -MSE / (MSE - 2 MSE / 4) = -2
    ix, iy, n = ordered_icc(a, b)
    assert n == 4 and ix == pytest.approx(-2.0) and iy == pytest.approx(-2.0)
    # nearest-partner matching pairs every point with itself: a perfect score for a reversed reading
    mx, my, m = centroid_icc(a, b)
    assert m == 4 and mx == pytest.approx(1.0) and my == pytest.approx(1.0)
    assert ordered_icc(a[:3], a)[:2] == pytest.approx((1.0, 1.0))  # the first three of each, in order
    met = scanpath_agreement(Scanpath.from_points(a[:, 0], a[:, 1]), Scanpath.from_points(b[:, 0], b[:, 1]))
    assert met["icc_x"] == pytest.approx(-2.0) and met["icc_x_matched"] == pytest.approx(1.0)
    assert met["n_paired"] == 4.0 and met["n_matched"] == 4.0


def test_why_undefined_says_why() -> None:
    one = Scanpath.from_points([0.5], [0.5])
    many = Scanpath.from_points([0.1, 0.4, 0.8], [0.2, 0.6, 0.3])
    m = scanpath_agreement(many, one)
    assert math.isnan(m["icc_x"]) and m["n_paired"] == 1.0
    assert why_undefined("icc_x", m) == "1 key frame pair(s): ICC needs at least 2"
    assert why_undefined("mm_vector", m) == "needs at least 2 points in each reading"
    assert why_undefined("cc", m) == ""  # a number
    flat = Scanpath.from_points([0.5, 0.5, 0.5], [0.2, 0.6, 0.3])  # x never varies
    m = scanpath_agreement(many, flat)
    assert math.isnan(m["icc_x"]) and math.isfinite(m["icc_y"])
    assert "do not vary in x" in why_undefined("icc_x", m)


def test_density_counts_hand_computed() -> None:
    a = Scanpath.from_points([0.25, 0.75], [0.25, 0.25], [1, 1])  # grid [[1, 1], [0, 0]]
    b = Scanpath.from_points([0.25, 0.25], [0.25, 0.75], [2, 1])  # grid [[2, 0], [1, 0]]
    np.testing.assert_allclose(density_grid(a, (2, 2), sigma=0), [[1, 1], [0, 0]])
    np.testing.assert_allclose(density_grid(b, (2, 2), sigma=0), [[2, 0], [1, 0]])
    assert density_cosine(a, b, (2, 2), sigma=0) == pytest.approx(2 / math.sqrt(10))
    assert density_cosine(a, a, (2, 2)) == pytest.approx(1.0)
    assert math.isnan(density_cosine(a, Scanpath.from_points([], []), (2, 2)))


def test_smoothed_density_hand_computed() -> None:
    # 2 columns x 1 row, sigma 0.25: a point at x = 0.25 puts Phi(1) - Phi(-1) = 0.6827 in column 0 and
    # Phi(3) - Phi(1) = 0.1573 in column 1 (row mass Phi(2) - Phi(-2) = 0.9545 for y = 0.5)
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))  # noqa: E731
    c0, c1, row = phi(1) - phi(-1), phi(3) - phi(1), phi(2) - phi(-2)
    a = Scanpath.from_points([0.25], [0.5])
    b = Scanpath.from_points([0.75], [0.5])
    np.testing.assert_allclose(density_grid(a, (2, 1), sigma=0.25), [[c0 * row, c1 * row]])
    assert density_cosine(a, b, (2, 1), sigma=0.25) == pytest.approx(2 * c0 * c1 / (c0**2 + c1**2))
    assert density_cosine(a, b, (2, 1), sigma=0.25) == pytest.approx(0.4376, abs=1e-4)
    assert DENSITY_SIGMA == pytest.approx(1 / 30)


def test_density_cosine_of_the_same_gaze_moved_one_degree_is_high() -> None:
    # scanpath 2 of GazeSearch (cardiomegaly), moved right by one degree (1/30 of the frame): unsmoothed
    # 16 x 16 counts scored it 0.45 (fixations crossing into the next cell count as elsewhere)
    raw = json.loads(shared_file("gaze/gazesearch_scanpaths.json").read_text())[2]
    sp = Scanpath.from_points(np.array(raw["X"]) / 224, np.array(raw["Y"]) / 224, raw["T"])
    moved = Scanpath.from_points(sp.x + 1 / 30, sp.y, raw["T"])
    assert density_cosine(sp, moved, sigma=0) == pytest.approx(0.4545, abs=1e-3)
    assert density_cosine(sp, moved) == pytest.approx(0.8616, abs=1e-3)


def test_fixation_map_cc_hand_computed() -> None:
    # a 1 x 3 map with a very narrow Gaussian is the duration per cell: A = [1, 2, 3], B = [1, 0, 2]
    # centred: [-1, 0, 1] and [0, -1, 1]; CC = 1 / (sqrt 2 * sqrt 2) = 0.5
    xs = [1 / 6, 3 / 6, 5 / 6]
    a = Scanpath.from_points(xs, [0.5] * 3, [1, 2, 3])
    b = Scanpath.from_points([1 / 6, 5 / 6], [0.5, 0.5], [1, 2])
    assert fixation_map_cc(a, b, shape=(1, 3), sigma=0.01) == pytest.approx(0.5)
    assert fixation_map_cc(a, a) == pytest.approx(1.0)
    mirrored = Scanpath.from_points([0.1], [0.5], [1])
    other = Scanpath.from_points([0.9], [0.5], [1])
    assert fixation_map_cc(mirrored, other, shape=(1, 2), sigma=0.01) == pytest.approx(-1.0)


def test_string_edit_distance_hand_computed() -> None:
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("", "abc") == 3
    a = Scanpath.from_points([0.1, 0.5, 0.9], [0.1, 0.1, 0.9])
    b = Scanpath.from_points([0.1, 0.9], [0.1, 0.9])
    assert scanpath_string(a) == "acy"  # 5 x 5 grid: (0,0)=a, (2,0)=c, (4,4)=y
    assert scanpath_string(b) == "ay"
    d, sim = string_edit_distance(a, b)
    assert d == 1 and sim == pytest.approx(1 - 1 / 3)


def test_multimatch_hand_computed() -> None:
    # one saccade each: u = (0.5, 0), v = (0, 0.5); |u - v| = 0.7071 -> vector 1 - 0.7071/(2 sqrt 2) = 0.75
    a = Scanpath.from_points([0.0, 0.5], [0.0, 0.0], [1.0, 1.0])
    b = Scanpath.from_points([0.0, 0.0], [0.0, 0.5], [2.0, 1.0])
    mm = multimatch(a, b)
    assert mm["mm_vector"] == pytest.approx(0.75)
    assert mm["mm_direction"] == pytest.approx(0.5)  # 90 degrees
    assert mm["mm_length"] == pytest.approx(1.0)
    assert mm["mm_position"] == pytest.approx(1.0)  # both start at (0, 0)
    assert mm["mm_duration"] == pytest.approx(0.5)  # |1 - 2| / 2
    assert all(math.isnan(v) for v in multimatch(a, Scanpath.from_points([0.3], [0.3])).values())
    same = multimatch(a, a)
    assert all(v == pytest.approx(1.0) for v in same.values())


def test_multimatch_aligns_sequences_of_different_length() -> None:
    a = Scanpath.from_points([0.1, 0.5, 0.9], [0.5, 0.5, 0.5])
    b = Scanpath.from_points([0.1, 0.3, 0.5, 0.7, 0.9], [0.5] * 5)
    mm = multimatch(a, b)
    assert mm["mm_direction"] == pytest.approx(1.0)  # every saccade goes right
    assert mm["mm_length"] == pytest.approx(1 - 0.2 / math.sqrt(2))  # 0.4 vs 0.2 on every aligned pair


def test_zone_agreement_hand_computed() -> None:
    chest = ChestBox(0.0, 0.0, 1.0, 1.0)
    a = Scanpath.from_points([0.2, 0.5], [0.4, 0.6])  # F then C
    b = Scanpath.from_points([0.2, 0.5, 0.5], [0.4, 0.9, 0.6])  # F, D, C
    z = zone_agreement(a, b, chest, chest)
    assert (z["zones_a"], z["zones_b"]) == ("FC", "FDC")
    assert z["zone_jaccard"] == pytest.approx(2 / 3)
    assert z["zone_order_similarity"] == pytest.approx(1 - 1 / 3)


def _reading(points: list[tuple[float, float, float, float]], kind: str, texts: list[str], boxes: list[list[Box]]) -> Reading:
    r = Reading(
        image=ImageRef("film.png", 1000, 500, ""),
        producer=Producer(kind="expert" if kind == "fixation" else "model", name="t"),  # type: ignore[arg-type]
    )
    for k, (text, bx) in enumerate(zip(texts, boxes)):
        r.sentences.append(Sentence(f"s{k}", text))
        r.findings.append(Finding(f"f{k}", f"s{k}", text, observation=bx[-1], clues=bx[:-1]))
    n = len(points)
    for i, (x, y, t0, t1) in enumerate(points):
        fid = f"f{0 if i < n // 2 else len(texts) - 1}"
        r.trajectory.append(TrajectoryPoint(x, y, t0, t1, fid, kind))  # type: ignore[arg-type]
    return r


def test_agreement_on_readings_normalises_by_frame() -> None:
    boxes = [[Box.from_corners(100, 100, 200, 200), Box.from_corners(700, 300, 800, 400), Box.from_corners(100, 100, 800, 400)],
             [Box.from_corners(400, 100, 600, 300)]]
    pts = [(150, 150, 0, 1), (750, 350, 1, 2), (500, 200, 2, 3), (520, 210, 3, 4)]
    a = _reading(pts, "fixation", ["heart is enlarged .", "no pneumothorax ."], boxes)
    b = _reading(pts, "fixation", ["Heart is enlarged.", "no effusion ."], boxes)
    m = agreement(a, b)
    assert m["cc"] == pytest.approx(1.0) and m["density_cosine"] == pytest.approx(1.0)
    assert m["icc_x"] == pytest.approx(1.0) and m["n_matched"] == 4.0 and m["n_paired"] == 4.0
    assert m["icc_x_matched"] == pytest.approx(1.0)
    assert m["edit_distance"] == 0.0
    per = sentence_agreement(a, b)
    assert [s.text for s in per] == ["heart is enlarged ."]  # "no effusion" does not match
    assert per[0].finding_a == "f0" and per[0].metrics["cc"] == pytest.approx(1.0)
    # the same film in a 224 frame, coordinates scaled: identical after normalisation
    c = _reading([(x * 224 / 1000, y * 224 / 500, t0, t1) for x, y, t0, t1 in pts], "fixation", ["x ."], [[boxes[1][0]]])
    c.image = ImageRef("film.png", 224, 224, "")
    assert agreement(a, c)["cc"] == pytest.approx(1.0)


def test_film_mismatch() -> None:
    def r(name: str, sha: str, uid: str | None = None) -> Reading:
        return Reading(image=ImageRef(name, 10, 10, sha, sop_instance_uid=uid), producer=Producer(kind="expert", name="t"))

    h1, h2, zero = "ab" * 32, "cd" * 32, "0" * 64
    assert film_mismatch(r("a.png", h1), r("b.png", h1)) is None  # same pixels, any names
    assert "pixel hashes differ" in (film_mismatch(r("a.png", h1), r("a.png", h2)) or "")
    # a hash unknown: the names decide (folder, case and image extension ignored)
    assert film_mismatch(r("x/ABC.jpg", zero), r("abc", h1)) is None
    assert "image names differ (00000001_000.png vs 570e.jpg" in (film_mismatch(r("00000001_000.png", h1), r("570e.jpg", zero)) or "")
    assert film_mismatch(r("a.dcm", zero, "1.2.3"), r("b.dcm", "", "1.2.3")) is None  # same SOP instance
    assert "SOP Instance UIDs differ" in (film_mismatch(r("a.dcm", zero, "1.2.3"), r("a.dcm", "", "1.2.4")) or "")
