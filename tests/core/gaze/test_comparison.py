"""The comparison of two readings, headless: names and formats of the metrics, the pair on a film, the background task.

Reading B is a real radiologist's GazeSearch fixation sequence (a search for cardiomegaly, 224 x 224 frame,
unknown pixel hash); reading A is a trainee's reading made of clicks on the real 512 x 512 NIH film.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gazex_viewer.core.gaze.agreement import (
    COUNT_KEYS,
    METRIC_KEYS,
    agreement,
    sentence_agreement,
)
from gazex_viewer.core.gaze.comparison import (
    METRIC_INFO,
    METRIC_NAMES,
    SENTENCE_METRICS,
    WHOLE_ROWS,
    Comparison,
    Interrupted,
    compare_readings,
    describe_reading,
    format_number,
    format_value,
    metric_range,
    pair_agreement,
    run,
)
from gazex_viewer.core.gaze.importers import import_gazesearch
from gazex_viewer.core.gaze.trainee import Click, trainee_reading
from gazex_viewer.core.imaging.radiograph import Radiograph
from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Reading
from tests.conftest import shared_file

NIH = "images/nih/00000001_000.png"
SCANPATHS = "gaze/gazesearch_scanpaths.json"
#: scanpath 2 of the GazeSearch file: a search for cardiomegaly, 6 fixations
CARDIO_INDEX = 2


@pytest.fixture(scope="module")
def film() -> Radiograph:
    return load_radiograph(shared_file(NIH))


@pytest.fixture(scope="module")
def expert(tmp_path_factory: pytest.TempPathFactory) -> Reading:
    raw = json.loads(shared_file(SCANPATHS).read_text())[: CARDIO_INDEX + 1]
    assert raw[CARDIO_INDEX]["task"] == "cardiomegaly"
    small = tmp_path_factory.mktemp("gazesearch") / "scanpaths.json"
    small.write_text(json.dumps(raw))
    return import_gazesearch(small)[CARDIO_INDEX]


def _trainee(film: Radiograph) -> Reading:
    clicks = [Click(205, 331, 1.5, 0), Click(345, 345, 2.0, 0), Click(260, 300, 3.5, 0), Click(110, 150, 4.0, 1)]
    return trainee_reading(clicks, ["enlarged cardiac silhouette", "right upper zone opacity"], film.image_ref())


class _State:
    """A task state that records the progress and asks to stop after ``stop_after`` reports."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.progress: list[float] = []
        self.stop_after = stop_after

    def set_progress_value(self, percent: float) -> None:
        self.progress.append(percent)

    def is_interruption_requested(self) -> bool:
        return self.stop_after is not None and len(self.progress) >= self.stop_after


def test_every_metric_has_a_name_a_description_and_a_row() -> None:
    assert sorted(WHOLE_ROWS) == sorted((*METRIC_KEYS, *COUNT_KEYS)) and len(WHOLE_ROWS) == len(set(WHOLE_ROWS))
    assert WHOLE_ROWS[:4] == METRIC_KEYS[:4] and WHOLE_ROWS[4:6] == COUNT_KEYS  # ICCs, then how many were paired
    for key in WHOLE_ROWS:
        desc, rng = METRIC_INFO[key]
        assert desc and rng and METRIC_NAMES[key] and METRIC_NAMES[key] != key, key
    assert set(SENTENCE_METRICS) <= set(METRIC_KEYS)
    assert metric_range("cc") == "−1–1 ↑" and metric_range("edit_distance") == "≥0 ↓" and metric_range("n_paired") == "count"


def test_values_read_as_counts_decimals_or_na() -> None:
    assert format_value("n_paired", 4.0) == "4" and format_value("edit_distance", 7.0) == "7"
    assert format_value("cc", 0.12345) == "0.123" and format_value("cc", -1.0) == "-1.000"
    assert format_value("icc_x", math.nan) == "n/a" and format_value("n_matched", math.inf) == "n/a"
    assert format_number(2.0) == "2.000" and format_number(math.nan) == "n/a"


def test_the_pair_on_the_film_is_scaled_and_its_agreement_is_that_of_the_readings_as_loaded(
    film: Radiograph, expert: Reading
) -> None:
    a = _trainee(film)
    cmp = compare_readings(a, expert, film, grid=(12, 10))
    assert cmp.ready and cmp.grid == (12, 10)
    assert cmp.a is a and cmp.b is expert and cmp.a_shown is a  # A is already in the film's pixels
    # B lives in GazeSearch's 224 frame: shown scaled to the 512 film, the loaded reading untouched
    assert cmp.frame_b.scaled and cmp.frame_b.sx == pytest.approx(512 / 224)
    assert cmp.b_shown.trajectory[0].x == pytest.approx(expert.trajectory[0].x * 512 / 224)
    assert expert.trajectory[0].x < 224
    assert any(n.startswith("B: Coordinates scaled from GazeSearch") for n in cmp.notes)
    assert any(n.startswith("B: Image hash unknown") for n in cmp.notes)
    assert not any(n.startswith("A:") for n in cmp.notes)
    # the numbers are those of the readings as loaded (each in its own frame), not of the display copies
    whole = agreement(a, expert, grid=(12, 10))
    assert cmp.whole.keys() == whole.keys()
    for key, v in whole.items():
        assert (math.isnan(v) and math.isnan(cmp.whole[key])) or cmp.whole[key] == pytest.approx(v), key
    per = sentence_agreement(a, expert, grid=(12, 10))
    assert [(s.text, s.finding_a, s.finding_b) for s in cmp.sentences] == [(s.text, s.finding_a, s.finding_b) for s in per]
    assert cmp.sentences, "the trainee's cardiac sentence matches the search for cardiomegaly"
    za, zb = cmp.zones
    assert za and zb and set(za + zb) <= set("ABCDEF")
    assert cmp.different_films is not None and "differ" in cmp.different_films


def test_without_metrics_the_comparison_waits_and_then_takes_the_result(film: Radiograph, expert: Reading) -> None:
    a = _trainee(film)
    cmp = compare_readings(a, expert, film, metrics=False)
    assert not cmp.ready and cmp.whole == {} and cmp.sentences == [] and cmp.zones == ("", "")
    cmp.set_agreement(pair_agreement(a, expert))
    assert cmp.ready and cmp.whole.keys() == set(WHOLE_ROWS) and cmp.sentences


def test_without_a_film_each_reading_is_shown_as_loaded(expert: Reading) -> None:
    cmp = compare_readings(expert, expert, None)
    assert isinstance(cmp, Comparison)
    assert cmp.a_shown is expert and cmp.b_shown is expert and cmp.notes == [] and not cmp.frame_b.scaled
    assert cmp.different_films is None
    assert cmp.whole["density_cosine"] == pytest.approx(1.0) and cmp.whole["cc"] == pytest.approx(1.0)
    assert cmp.zones[0] == cmp.zones[1]


def test_the_background_task_reports_progress_and_returns_the_pair_agreement(film: Radiograph, expert: Reading) -> None:
    a = _trainee(film)
    state = _State()
    whole, per, zones = run(a, expert, (16, 16), state)
    assert state.progress == sorted(state.progress) and state.progress[0] == 0.0 and state.progress[-1] == 100.0
    ref_whole, ref_per, ref_zones = pair_agreement(a, expert, grid=(16, 16))
    assert zones == ref_zones and [s.text for s in per] == [s.text for s in ref_per]
    for key, v in ref_whole.items():
        assert (math.isnan(v) and math.isnan(whole[key])) or whole[key] == pytest.approx(v), key


def test_the_background_task_stops_when_asked(film: Radiograph, expert: Reading) -> None:
    state = _State(stop_after=2)
    with pytest.raises(Interrupted):
        run(_trainee(film), expert, (16, 16), state)
    assert state.progress == [0.0, 10.0]  # stopped before the whole-film agreement was reported done
    with pytest.raises(Interrupted):
        run(_trainee(film), expert, (16, 16), _State(stop_after=0))


def test_a_reading_is_described_in_one_line(film: Radiograph, expert: Reading) -> None:
    assert describe_reading(expert) == f"expert GazeSearch: 6 fixations, {expert.duration:.1f} s"
    a = _trainee(film)
    assert describe_reading(a).startswith("trainee ") and ": 4 fixations, " in describe_reading(a)


def test_the_command_line_prints_the_same_comparison(expert: Reading, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gazex_viewer.cli import main

    path = tmp_path / "expert.reading.json"
    expert.save(path)
    other = Reading.from_json(path.read_text())
    for p in other.trajectory:
        p.x, p.y = p.x + 3.0, p.y - 2.0
    other_path = tmp_path / "moved.reading.json"
    other.save(other_path)
    assert main(["compare", "--json", "--grid", "8x12", str(path), str(other_path)]) == 0
    data = json.loads(capsys.readouterr().out)
    cmp = compare_readings(Reading.from_json(path.read_text()), other, None, grid=(8, 12))
    assert data["zones"] == {"a": cmp.zones[0], "b": cmp.zones[1]}
    for key, v in cmp.whole.items():
        assert data["whole_film"][key] == (None if not math.isfinite(v) else pytest.approx(v)), key
    assert [s["text"] for s in data["sentences"]] == [s.text for s in cmp.sentences]
    assert main(["compare", "--grid", "8x12", str(path), str(other_path)]) == 0
    text = capsys.readouterr().out
    for key in WHOLE_ROWS:
        row = next(line for line in text.splitlines() if line.split()[:1] == [key])
        assert row.split()[1] == format_value(key, cmp.whole[key]), key
