"""``import-gaze --keyframes gazex`` on a synthetic REFLACX folder with raw samples, and ``compare`` naming methods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.errors import GazeImportError
from gazex_viewer.core.gaze.importers import import_gaze, import_reflacx
from gazex_viewer.core.gaze.keyframes_gazex import gazex_key_frames, read_reflacx_gaze
from gazex_viewer.core.reading.document import Reading
from tests.factories import CASE, make_reflacx, make_reflacx_with_samples


def test_import_gaze_gazex_records_the_method_validates_and_uses_the_raw_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case, gaze, complete = make_reflacx_with_samples(tmp_path)
    out = tmp_path / "out"
    assert main(["import-gaze", "--format", "reflacx", str(tmp_path / "main_data"), "-o", str(out), "--keyframes", "gazex"]) == 0
    assert "imported 1 reading(s), 2 sentence(s), 10 fixation(s)" in capsys.readouterr().out
    written = out / f"{CASE}.reading.json"
    assert main(["validate", str(written)]) == 0
    r = Reading.from_json(written.read_text())
    kf = r.producer.generation["key_frames"]
    assert kf["method"] == "gazex" and kf["source"] == "gaze.csv" and kf["samples"] == complete
    assert kf["params"]["cluster_sigma_degrees"] == 1.5 and kf["params"]["render_sigma_degrees"] == 1.25
    # each finding holds the boxes of the script run on that sentence's window (start - 2 s .. end)
    samples = read_reflacx_gaze(gaze)
    assert len(samples) == complete
    for finding, (t0, t1) in zip(r.findings, [(0.5 - 2.0, 2.0), (3.0 - 2.0, 4.0)]):
        want = gazex_key_frames(samples, image_size=(2000, 2500), t0=t0, t1=t1)
        assert want.observation is not None and finding.observation == want.observation.box
        assert finding.clues == [c.box for c in want.clues]
    # the trajectory is still the real fixations
    assert len(r.trajectory) == 10
    # GazeX's observation boxes are larger than the app method's on the same recording
    app = import_reflacx(case)
    assert app.producer.generation["key_frames"]["method"] == "app"
    for fg, fa in zip(r.findings, app.findings):
        assert fg.observation is not None and fa.observation is not None
        assert fg.observation.width * fg.observation.height > fa.observation.width * fa.observation.height


def test_gazex_without_gaze_csv_is_one_line_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = make_reflacx(tmp_path)
    assert main(["import-gaze", "--format", "reflacx", str(case), "-o", str(tmp_path / "o"), "--keyframes", "gazex"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert str(Path("gaze_data") / CASE / "gaze.csv") in err and "file not found" in err and "raw gaze samples" in err
    # the default method does not need it
    assert main(["import-gaze", "--format", "reflacx", str(case), "-o", str(tmp_path / "o")]) == 0


def test_gaze_csv_beside_the_fixations_is_found_and_a_bad_one_is_named(tmp_path: Path) -> None:
    case, gaze, complete = make_reflacx_with_samples(tmp_path)
    (case / "gaze.csv").write_text(gaze.read_text())
    gaze.unlink()
    r = import_reflacx(case, keyframes="gazex")
    assert r.producer.generation["key_frames"]["samples"] == complete
    (case / "gaze.csv").write_text("timestamp_sample,x_position\n0.1,5\n")
    with pytest.raises(GazeImportError, match=r"gaze\.csv: missing column\(s\) y_position"):
        import_reflacx(case, keyframes="gazex")


def test_gazex_is_refused_for_datasets_without_raw_samples(tmp_path: Path) -> None:
    src = tmp_path / "sp.json"
    src.write_text("[]")
    with pytest.raises(GazeImportError, match="REFLACX only"):
        import_gaze("gazesearch", src, keyframes="gazex")
    with pytest.raises(GazeImportError, match="unknown key-frame method 'best'"):
        import_gaze("reflacx", tmp_path, keyframes="best")


def test_compare_names_each_readings_key_frame_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_reflacx_with_samples(tmp_path)
    main_data = str(tmp_path / "main_data")
    assert main(["import-gaze", "--format", "reflacx", main_data, "-o", str(tmp_path / "g"), "--keyframes", "gazex"]) == 0
    assert main(["import-gaze", "--format", "reflacx", main_data, "-o", str(tmp_path / "a")]) == 0
    capsys.readouterr()
    gazex, app = tmp_path / "g" / f"{CASE}.reading.json", tmp_path / "a" / f"{CASE}.reading.json"
    assert main(["compare", str(app), str(gazex)]) == 0
    text = capsys.readouterr().out
    assert "key frames: app (fixations, the app's clustering)" in text.splitlines()[0]
    assert "key frames: gazex (raw samples, GazeX's script)" in text.splitlines()[1]
    assert "--keyframes gazex" in text
    # a reading made before methods were recorded, against a model reading
    old = Reading.from_json(app.read_text())
    del old.producer.generation["key_frames"]
    old.save(tmp_path / "old.json")
    sample = Path(__file__).resolve().parents[3] / "resources" / "examples" / "sample_reading.json"
    assert main(["compare", "--json", str(sample), str(tmp_path / "old.json")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["key_frames"] == {"a": "model (GazeX answers)", "b": "unknown"}
    assert main(["compare", "--json", str(gazex), str(app)]) == 0
    assert json.loads(capsys.readouterr().out)["key_frames"] == {"a": "gazex", "b": "app"}
    assert main(["compare", str(sample), str(gazex)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert "key frames: model (GazeX answers)" in first
