"""The GazeSearch agreement study on a slice of the real scanpaths."""

from __future__ import annotations

import json
import math
from collections import Counter
from math import comb

import pytest

from gazex_viewer.core.gaze.study import (
    CONDITIONS,
    format_study,
    gazesearch_study,
    ordering_by_finding,
    study_baselines,
    study_figure,
    summarise,
)
from tests.conftest import shared_file


def test_summarise() -> None:
    s = summarise([1.0, 2.0, 3.0, 4.0, float("nan")])
    assert s == pytest.approx({"n": 4, "mean": 2.5, "sd": 1.2909944, "median": 2.5, "q25": 1.75, "q75": 3.25})
    assert summarise([])["n"] == 0


def test_study_separates_same_gaze_unrelated_gaze_and_centre_bias() -> None:
    path = shared_file("gaze/gazesearch_scanpaths.json")
    n = 300
    res = gazesearch_study(path, limit=n, seed=1)
    names = Counter(sp["name"] for sp in json.loads(path.read_text())[:n])
    assert res.n_scanpaths == n and res.n_images == len(names)
    assert len(res.scores["unrelated"]) == sum(comb(k, 2) for k in names.values())
    assert len(res.scores["jitter"]) == len(res.scores["centre_bias"]) == n
    # every unrelated pair is two different findings on one image
    assert all(len(set(t)) == 2 for t in res.tasks["unrelated"])
    for metric in ("cc", "density_cosine", "edit_similarity", "mm_position", "zone_jaccard"):
        m = {c: summarise([d[metric] for d in res.scores[c]])["mean"] for c in CONDITIONS}
        assert m["jitter"] > m["unrelated"] > m["centre_bias"] or metric == "mm_position", (metric, m)
        assert m["jitter"] > m["unrelated"], (metric, m)
    # density of the same gaze moved 1 degree: well above unrelated gaze (unsmoothed 16 x 16 counts gave 0.41)
    dens = {c: summarise([d["density_cosine"] for d in res.scores[c]])["mean"] for c in CONDITIONS}
    assert dens["jitter"] > 0.75 and dens["jitter"] > dens["unrelated"] + 0.3, dens
    # ICC by order: the same gaze far above unrelated gaze; nearest-partner matching flatters unrelated gaze
    by_order, matched = res.pooled_icc, res.pooled_icc_matched
    for axis in (0, 1):
        assert by_order["jitter"][axis] > by_order["unrelated"][axis] + 0.3, (by_order, axis)
        assert matched["unrelated"][axis] > by_order["unrelated"][axis] + 0.15, (matched, by_order, axis)
    # the centre-bias scanpath has one key frame: its ICC is not a measurement (was printed 0.000)
    assert math.isnan(by_order["centre_bias"][0]) and math.isnan(matched["centre_bias"][1])
    assert "do not vary" in res.pooled_icc_reason[("centre_bias", "ordered")][0]
    text = format_study(res)
    assert f"{n} scanpaths" in text and text.count("\n") > 40
    assert "0.000  y 0.000" not in text
    # the command line names each metric key in words, with its unit (issue 17)
    assert "  mm_position           MultiMatch position [0–1, higher = closer]" in text.splitlines()
    centre_line = next(line for line in text.splitlines() if line.startswith("pooled ICC(2,1) by order centre_bias"))
    assert "x n/a  y n/a" in centre_line and "do not vary" in centre_line
    # per finding type, the main metrics of the well-sampled findings order jitter > unrelated
    order = ordering_by_finding(res)
    for f in ("pleural effusion", "lung opacity", "atelectasis"):
        for m, (j, u, c) in order[f].items():
            assert j > u > c, (f, m, j, u, c)
    base = study_baselines(res)
    assert base["source"]["scanpaths"] == n and base["settings"]["seed"] == 1
    assert base["metrics"]["cc"]["jitter"]["median"] > base["metrics"]["cc"]["unrelated"]["median"]
    assert base["pooled_icc"]["ordered"]["centre_bias"]["x"] is None
    assert "do not vary" in base["pooled_icc"]["ordered"]["centre_bias"]["undefined"]["x"]


def test_study_plot_legend_covers_no_bar() -> None:
    res = gazesearch_study(shared_file("gaze/gazesearch_scanpaths.json"), limit=150, seed=0)
    fig = study_figure(res)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]
    assert len(legends) == 1
    box = legends[0].get_window_extent(renderer)
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent(renderer)), "the legend lies over a panel"
        for bar in ax.patches:
            assert not box.overlaps(bar.get_window_extent(renderer))
