"""The import-gaze and compare commands, end to end through the CLI dispatcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.reading.document import Reading
from tests.conftest import shared_file
from tests.factories import CASE, DICOM, make_reflacx


def test_import_gaze_reflacx_then_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_reflacx(tmp_path / "a")
    out = tmp_path / "out"
    assert main(["import-gaze", "--format", "reflacx", str(tmp_path / "a" / "main_data"), "-o", str(out)]) == 0
    assert "imported 1 reading(s), 2 sentence(s), 10 fixation(s)" in capsys.readouterr().out
    written = out / f"{CASE}.reading.json"
    r = Reading.from_json(written.read_text())
    assert r.image.file_name == DICOM and len(r.findings) == 2
    # a second reader who looked at the same places a little later
    other = Reading.from_json(written.read_text())
    for p in other.trajectory:
        p.x += 30
        p.t_start += 0.1
        p.t_end += 0.1
    other.producer.reader_id = "2"
    other.save(tmp_path / "other.json")
    assert main(["compare", str(written), str(tmp_path / "other.json")]) == 0
    text = capsys.readouterr().out
    assert "whole film:" in text and "per sentence:" in text
    assert "heart is enlarged ." in text and "no pneumothorax ." in text
    assert "DIFFERENT FILMS" not in text  # the same film (same dicom id, hashes unknown)
    assert main(["compare", "--json", str(written), str(tmp_path / "other.json")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["whole_film"]["icc_x"] == pytest.approx(1.0)  # same key frames
    assert data["whole_film"]["icc_x_matched"] == pytest.approx(1.0) and data["different_films"] is None
    assert 0.5 < data["whole_film"]["cc"] < 1.0  # fixations 30 px apart
    assert data["whole_film"]["edit_distance"] == 0.0
    assert [s["text"] for s in data["sentences"]] == ["heart is enlarged .", "no pneumothorax ."]


def test_import_gaze_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = make_reflacx(tmp_path)
    (case / "fixations.csv").write_text("x_position,y_position\n1,2\n")
    assert main(["import-gaze", "--format", "reflacx", str(case), "-o", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "fixations.csv: missing column(s) timestamp_start_fixation" in err
    (tmp_path / "bad.json").write_text("{}")
    assert main(["compare", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")]) == 2
    assert "bad.json: " in (err2 := capsys.readouterr().err) and err2.count("\n") == 1


def test_import_gaze_gazesearch_and_study(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = shared_file("gaze/gazesearch_scanpaths.json")
    assert main(["import-gaze", "--format", "gazesearch", str(src), "-o", str(tmp_path), "--no-key-frames"]) == 0
    assert "imported 4875 reading(s)" in capsys.readouterr().out
    assert len(list(tmp_path.glob("*.reading.json"))) == 4875
    assert (tmp_path / "a3e1945f-24798491-79bf0265-7ae43733-d98951d4__lung_opacity.reading.json").is_file()
    png = tmp_path / "study.png"
    assert main(["compare", "--study", str(src), "--limit", "120", "--plot", str(png)]) == 0
    text = capsys.readouterr().out
    assert "120 scanpaths" in text and "pooled ICC(2,1) by order jitter" in text and "pooled ICC(2,1) matched  jitter" in text
    from PIL import Image

    with Image.open(png) as im:
        assert im.format == "PNG" and im.size[0] >= 800


def test_compare_readings_of_different_films_says_so_and_shows_the_reference_scale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gazex_viewer.core.gaze.baselines import load_baselines
    from gazex_viewer.core.gaze.importers import import_gazesearch

    raw = json.loads(shared_file("gaze/gazesearch_scanpaths.json").read_text())[:3]
    (tmp_path / "sp.json").write_text(json.dumps(raw))
    expert = tmp_path / "expert.json"
    import_gazesearch(tmp_path / "sp.json")[2].save(expert)  # a film other than the sample's
    sample = Path(__file__).resolve().parents[2] / "resources" / "examples" / "sample_reading.json"
    assert main(["compare", str(sample), str(expert)]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    # the warning is in the main output, before the numbers, and repeated at the end
    warn = next(i for i, line in enumerate(lines) if "DIFFERENT FILMS: the image names differ (00000001_000.png vs 570e2641" in line)
    assert warn < next(i for i, line in enumerate(lines) if line.startswith("whole film:"))
    assert "measure nothing about agreement on a film" in out.out and lines[-1].startswith("DIFFERENT FILMS")
    # every metric row carries the reference medians shipped in resources/agreement_baselines.json
    base = load_baselines()
    assert base is not None and base.source["scanpaths"] == 4875
    header = next(line for line in lines if line.startswith("whole film:"))
    assert "unrelated gaze" in header and "same gaze ±1°" in header
    row = next(line for line in lines if line.split()[:1] == ["cc"])
    assert row.split()[2:4] == [f"{base.median('cc', 'unrelated'):.3f}", f"{base.median('cc', 'jitter'):.3f}"]
    icc_row = next(line for line in lines if line.split()[:1] == ["icc_x_matched"])
    assert "biased upwards" in icc_row
    assert "inflates the ICC" in out.out
    assert main(["compare", "--json", str(sample), str(expert)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "image names differ" in data["different_films"]
    assert data["reference"]["medians"]["cc"]["jitter"] == pytest.approx(base.median("cc", "jitter"))
    assert data["whole_film"]["n_paired"] == 4.0


def test_compare_says_why_an_icc_is_not_a_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_reflacx(tmp_path / "a")
    out = tmp_path / "out"
    assert main(["import-gaze", "--format", "reflacx", str(tmp_path / "a" / "main_data"), "-o", str(out)]) == 0
    capsys.readouterr()
    r = Reading.from_json((out / f"{CASE}.reading.json").read_text())
    # one key frame each: the first sentence's observation only
    r.findings = r.findings[:1]
    r.sentences = r.sentences[:1]
    r.trajectory = [p for p in r.trajectory if p.finding_id == r.findings[0].id]
    r.save(tmp_path / "one.json")
    assert main(["compare", str(tmp_path / "one.json"), str(tmp_path / "one.json")]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.split()[:1] == ["icc_x"])
    assert row.split()[1] == "n/a" and "1 key frame pair(s): ICC needs at least 2" in row
