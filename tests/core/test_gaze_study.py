"""The GazeSearch agreement study on a slice of the real scanpaths."""

from __future__ import annotations

import json
from collections import Counter
from math import comb

import pytest

from gazex_viewer.core.gaze.study import CONDITIONS, format_study, gazesearch_study, summarise
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
    for metric in ("cc", "edit_similarity", "mm_position", "zone_jaccard"):
        m = {c: summarise([d[metric] for d in res.scores[c]])["mean"] for c in CONDITIONS}
        assert m["jitter"] > m["unrelated"] > m["centre_bias"] or metric == "mm_position", (metric, m)
        assert m["jitter"] > m["unrelated"], (metric, m)
    assert res.pooled_icc["jitter"][0] > 0.9 and res.pooled_icc["jitter"][1] > 0.9
    text = format_study(res)
    assert f"{n} scanpaths" in text and text.count("\n") > 40
