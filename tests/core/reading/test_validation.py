"""Validation: schema and consistency problems, load_reading errors, the validate command."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.errors import GazeXError, ReadingError
from gazex_viewer.core.reading.validation import load_reading, validate_reading_dict

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "resources" / "examples" / "sample_reading.json"


def _sample() -> dict:
    return json.loads(SAMPLE.read_text())


def test_sample_is_valid() -> None:
    assert validate_reading_dict(_sample()) == []


def _mutate(fn) -> list[str]:  # noqa: ANN001
    d = copy.deepcopy(_sample())
    fn(d)
    return validate_reading_dict(d)


def test_schema_errors_named() -> None:
    problems = _mutate(lambda d: d["image"].pop("width"))
    assert problems[0] == "schema: image: 'width' is a required property"
    problems = _mutate(lambda d: d["findings"][0]["labels"][0].update(status="maybe"))
    assert problems[0].startswith("schema: findings[0].labels[0].status: 'maybe' is not one of")
    assert _mutate(lambda d: d.update(extra=1))[0].startswith("schema: document: Additional properties")
    assert validate_reading_dict([1, 2])[0].startswith("schema: document: [1, 2] is not of type 'object'")


def test_coordinates_outside_image() -> None:
    problems = _mutate(lambda d: d["findings"][1]["clues"][0].update(x_max=600.0))
    assert problems == ["findings[1].clues[0]: x_max 600 is outside the image (width 512)"]
    problems = _mutate(lambda d: d["trajectory"][2].update(y=-1))
    assert problems == ["trajectory[2]: y -1 is outside the image (height 512)"]


def test_swapped_corners() -> None:
    problems = _mutate(lambda d: d["findings"][0]["observation"].update(x_min=500.0))
    assert problems[0] == "findings[0].observation: x_min 500 is greater than x_max 420"


def test_time_going_backwards() -> None:
    problems = _mutate(lambda d: d["trajectory"][5].update(t_start=1.5, t_end=2.0))
    assert problems == ["trajectory[5]: time goes backwards (starts at 1.5 s, after a point that started at 4 s)"]
    problems = _mutate(lambda d: d["trajectory"][0].update(t_end=0.25, t_start=0.5))
    assert problems[0] == "trajectory[0]: ends at 0.25 s before it starts at 0.5 s"


def test_missing_finding_and_sentence_ids() -> None:
    assert _mutate(lambda d: d["trajectory"][3].update(finding_id="f-404")) == [
        "trajectory[3]: finding id 'f-404' does not exist"
    ]
    assert _mutate(lambda d: d["findings"][2].update(sentence_id="s-404")) == [
        "findings[2]: sentence id 's-404' does not exist"
    ]
    assert _mutate(lambda d: d["findings"][2].update(id="f-1"))[0] == "findings[2]: duplicate finding id 'f-1'"

    def add_decision(d: dict) -> None:
        d["review"] = {"decisions": [{"finding_id": "f-77", "status": "accepted"}]}

    assert _mutate(add_decision) == ["review.decisions[0]: finding id 'f-77' does not exist"]


def test_nan_is_rejected() -> None:
    problems = _mutate(lambda d: d["trajectory"][0].update(x=float("nan")))
    assert problems == ["trajectory[0]: x is not a finite number (nan)"]


def test_load_reading_errors(tmp_path: Path) -> None:
    with pytest.raises(ReadingError) as err:
        load_reading(tmp_path / "missing.json")
    assert str(err.value) == f"{tmp_path / 'missing.json'}: file not found"
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": ')
    with pytest.raises(ReadingError, match=r"bad.json: not valid JSON: Expecting value at line 1 column 20"):
        load_reading(bad)
    d = _sample()
    d["trajectory"][3]["finding_id"] = "f-404"
    d["trajectory"][4]["finding_id"] = "f-405"
    bad.write_text(json.dumps(d))
    with pytest.raises(ReadingError) as err:
        load_reading(bad)
    assert isinstance(err.value, GazeXError)
    assert err.value.reason == "trajectory[3]: finding id 'f-404' does not exist (and 1 more)"
    with pytest.raises(ReadingError, match="is a folder"):
        load_reading(tmp_path)


def test_validate_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SAMPLE)]) == 0
    assert "valid reading (schema 1.0; 4 sentences, 4 findings, 12 trajectory points)" in capsys.readouterr().out
    d = _sample()
    d["trajectory"][5]["t_start"] = 0.5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(d))
    assert main(["validate", str(SAMPLE), str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"gazex-viewer validate: {bad}: trajectory[5]: time goes backwards (starts at 0.5 s, after a point that started at 4 s)"
    assert main(["validate", "--all", str(bad)]) == 2
    assert "INVALID" in capsys.readouterr().err


def test_validate_command_as_a_process(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("not json")
    proc = subprocess.run([sys.executable, "-m", "gazex_viewer", "validate", str(bad)], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"gazex-viewer validate: {bad}: not valid JSON: Expecting value at line 1 column 1"
    assert "Traceback" not in proc.stderr


def _run_validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gazex_viewer", "validate", str(path)], capture_output=True, text=True, check=False)


def test_huge_and_deeply_nested_json_are_one_line_errors(tmp_path: Path) -> None:
    text = SAMPLE.read_text()
    x0 = f'"x": {_sample()["trajectory"][0]["x"]}'
    assert x0 in text
    huge = tmp_path / "huge.json"
    huge.write_text(text.replace(x0, '"x": 1' + "0" * 400, 1))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    digits = tmp_path / "digits.json"
    digits.write_text("1" * 5000)
    expected = {
        huge: "trajectory[0]: x is not a finite number (an integer of 401 digits)",
        deep: "not a reading: the JSON is nested too deeply",
        digits: "not valid JSON: Exceeds the limit (4300 digits) for integer string conversion",
    }
    for path, reason in expected.items():
        proc = _run_validate(path)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert proc.stderr.startswith(f"gazex-viewer validate: {path}: {reason}"), proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    # --all lists every problem, and must not crash on the nesting either
    proc = subprocess.run(
        [sys.executable, "-m", "gazex_viewer", "validate", "--all", str(deep)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "nested too deeply" in proc.stdout + proc.stderr


def test_image_size_is_bounded() -> None:
    assert _mutate(lambda d: d["image"].update(width=10**30)) == [
        "image: size an integer of 31 digits x 512 is not a radiograph (at most 100000 pixels a side)"
    ]
    assert _mutate(lambda d: d["image"].update(width=100_000, height=100_000)) == [
        "image: 100000 x 100000 = 10000000000 pixels, over the limit of 100000000"
    ]
    assert _mutate(lambda d: d["image"].update(width=10_000, height=10_000)) == []


def test_image_pixel_limit_is_the_radiograph_loaders() -> None:
    from gazex_viewer.core.imaging import radiograph
    from gazex_viewer.core.reading import validation

    assert validation.MAX_IMAGE_PIXELS == radiograph.MAX_PIXELS


def _event(i: int, fid: str | None, after: object = None) -> dict:
    return {"id": f"e-{i}", "at": "2024-01-01T00:00:00Z", "reviewer": "dr", "action": "add", "finding_id": fid, "before": None, "after": after}


def test_review_event_finding_ids_are_checked() -> None:
    def events(*evs: dict):  # noqa: ANN202
        return lambda d: d.update(review={"events": list(evs)})

    assert _mutate(events(_event(0, "f-404"))) == ["review.events[0]: finding id 'f-404' does not exist"]
    assert _mutate(events(_event(0, "f-1"), _event(1, None))) == []
    # an addition that was added, then removed, is known from the log itself
    added = {"id": "f-9", "sentence_id": "s-9", "text": "x"}
    assert _mutate(events(_event(0, "f-9", added), _event(1, "f-9"))) == []
