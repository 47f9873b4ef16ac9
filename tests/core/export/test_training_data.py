"""export-training: the GazeX tasks byte for byte, patient-safe splits, manifest, and bad input in one line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gazex_viewer.cli import main
from gazex_viewer.core.errors import ReadingError
from gazex_viewer.core.export.training_data import (
    ExportOptions,
    export_training,
    reading_samples,
)
from gazex_viewer.core.export.training_files import TrainingDataError
from gazex_viewer.core.export.training_splits import parse_split, split_of
from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Producer,
    Reading,
    Sentence,
)
from gazex_viewer.core.reading.gazex_protocol import parse_grounding
from tests.factories import CASE, DICOM, make_reflacx_with_samples

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "training" / "expected_samples.json"
W, H = 2544, 3056  # a MIMIC-CXR film size


def expert_reading(file_name: str = "film.png", *, width: int = W, height: int = H, subject: str | None = None,
                   boxes: bool = True) -> Reading:
    """Sentence 1 gives NOTES 3a's example (two clues), sentence 2 gives 3b (one clue: written observation-only),
    sentence 3 has no gaze box.

    The boxes are what ``import-gaze --keyframes gazex`` stores (/4 indices times 4): in the /4 frame the first clue
    is (128,78)(406,191) with its centroid at (276.6,134.3); GazeX's script narrows it by 0.35 % and truncates to
    (128,78)(405,190)(276,134), the string in NOTES 3a (rounding would give 277 for the centroid).
    """
    obs = Box(652, 580, 2108, 1964, 1404, 1332)  # /4: (163,145)(527,491) -> narrowed 0.15 %: (163,145)(526,490)
    clues = [Box(512, 312, 1624, 764, 1106.4, 537.2), Box(648, 1180, 1888, 1804, 1428, 1508)]
    texts = ["enlarged cardiac silhouette .", "no pneumothorax .", "support apparatus ."]
    sentences = [Sentence(f"s-{i}", t) for i, t in enumerate(texts, 1)]
    findings = [
        Finding("f-1", "s-1", texts[0], observation=obs if boxes else None, clues=clues if boxes else []),
        Finding("f-2", "s-2", texts[1], observation=obs if boxes else None, clues=clues[:1] if boxes else []),
        Finding("f-3", "s-3", texts[2]),
    ]
    producer = Producer(kind="expert", name="REFLACX", dataset="REFLACX", coordinate_frame="original")
    producer.generation = {"recording": {"subject_id": subject} if subject else {}}
    image = ImageRef(file_name=file_name, width=width, height=height, pixel_sha256="0" * 64)
    return Reading(image=image, producer=producer, sentences=sentences, findings=findings)


def write_film(path: Path, width: int = W, height: int = H) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((height, width), np.uint8), "L").save(path)
    return path


@pytest.fixture
def one(tmp_path: Path) -> tuple[Path, Path]:
    images = tmp_path / "images"
    write_film(images / "sub" / "film.png")
    reading = tmp_path / "r1.json"
    expert_reading().save(reading)
    return reading, images


def test_samples_match_the_hand_written_ones(one: tuple[Path, Path], tmp_path: Path) -> None:
    reading, images = one
    manifest = export_training([reading], images, tmp_path / "ds")
    got = json.loads((tmp_path / "ds" / "gazex_train.json").read_text(encoding="utf-8"))
    film = str((images / "sub" / "film.png").resolve())
    want = json.loads(FIXTURE.read_text(encoding="utf-8").replace('"IMAGE"', json.dumps(film)))
    assert got == want
    # the targets read back through the app's own parser, one /4 step inside the reading's boxes at most
    parsed = parse_grounding(got[1]["messages"][1]["content"], width=W, height=H)
    assert parsed.warnings == [] and len(parsed.clues) == 2
    assert parsed.observation == Box(652, 580, 2104, 1960, 1404, 1332)
    # without narrowing: the boxes as they are, rounded to the /4 grid
    plain = reading_samples(expert_reading(), None, narrow=False).samples[1]["messages"][1]["content"]
    assert plain == "visual clues : [(128,78)(406,191)(277,134),(162,295)(472,451)(357,377)] observation : [(163,145)(527,491)(351,333)]"
    info = json.loads((tmp_path / "ds" / "dataset_info.json").read_text())
    assert info == {"gazex_train": {
        "file_name": "gazex_train.json", "formatting": "sharegpt",
        "columns": {"messages": "messages", "images": "images"},
        "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
    }}
    c = manifest["splits"]["train"]
    assert (c["samples"], c["report"], c["grounding_a"], c["grounding_b"], c["skipped_sentences"]) == (3, 1, 1, 1, 1)
    on_disk = json.loads((tmp_path / "ds" / "manifest.json").read_text())
    assert on_disk == manifest
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((tmp_path / "ds" / name).read_bytes()).hexdigest() == entry["sha256"]
    assert set(manifest["files"]) == {"gazex_train.json", "dataset_info.json"}


def test_copy_images_references_relative_copies(one: tuple[Path, Path], tmp_path: Path) -> None:
    reading, images = one
    manifest = export_training([reading], images, tmp_path / "ds", ExportOptions(copy_images=True))
    got = json.loads((tmp_path / "ds" / "gazex_train.json").read_text())
    assert {s["images"][0] for s in got} == {"images/film.png"}
    src = (images / "sub" / "film.png").read_bytes()
    assert (tmp_path / "ds" / "images" / "film.png").read_bytes() == src  # full resolution, byte copy
    assert manifest["files"]["images/film.png"]["sha256"] == hashlib.sha256(src).hexdigest()


def test_split_keeps_each_patient_in_one_split_and_is_stable(tmp_path: Path) -> None:
    images = tmp_path / "images"
    paths = []
    for i in range(40):
        write_film(images / f"f{i}.png", 64, 64)
        r = expert_reading(f"f{i}.png", width=64, height=64, subject=f"p{i // 2}")  # two films per patient
        r.findings[0].observation = Box(4, 4, 40, 40, 20, 20)
        r.findings[0].clues = [Box(4, 4, 20, 20, 12, 12), Box(20, 20, 40, 40, 28, 28)]
        r.findings[1].observation, r.findings[1].clues = Box(8, 8, 48, 48, 28, 28), []
        paths.append(tmp_path / "r" / f"{i}.json")
        paths[-1].parent.mkdir(exist_ok=True)
        r.save(paths[-1])
    opts = ExportOptions(split=parse_split("train=0.7,val=0.3"))
    m = export_training([tmp_path / "r"], images, tmp_path / "ds", opts)
    films = {}
    for split in ("train", "val"):
        for s in json.loads((tmp_path / "ds" / f"gazex_{split}.json").read_text()):
            films.setdefault(Path(s["images"][0]).stem, set()).add(split)
    assert all(len(v) == 1 for v in films.values())
    by_patient: dict[int, set[str]] = {}
    for stem, v in films.items():
        by_patient.setdefault(int(stem[1:]) // 2, set()).update(v)
    assert all(len(v) == 1 for v in by_patient.values())
    assert m["splits"]["train"]["groups"] + m["splits"]["val"]["groups"] == 20
    assert 0 < m["splits"]["val"]["readings"] < 40
    # the split is a function of the patient id only: the same on a second export, with readings in another order
    m2 = export_training(sorted(paths, reverse=True), images, tmp_path / "ds2", opts)
    assert m2["splits"]["val"]["reading_ids"] and sorted(m2["splits"]["val"]["reading_ids"]) == sorted(m["splits"]["val"]["reading_ids"])
    assert split_of("patient:p1", {"train": 0.5, "val": 0.5}) == split_of("patient:p1", {"train": 0.5, "val": 0.5})


def test_parse_split() -> None:
    assert parse_split("train=0.9,val=0.1") == {"train": 0.9, "val": 0.1}
    for bad, why in (("train=0.9", "sum to 0.9"), ("train", "expected NAME=SHARE"), ("train=x", "not a number"),
                     ("train=0.5,train=0.5", "named twice"), ("train=2,val=-1", "not between 0 and 1")):
        with pytest.raises(TrainingDataError, match=why):
            parse_split(bad)


def _nothing_written(tmp_path: Path, out: Path) -> None:
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp")]


def _cli_error(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["export-training", *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("gazex-viewer export-training: ")]
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0]  # one line, the last
    return errors[0]


def test_bad_input_one_line_each_and_nothing_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    images = tmp_path / "images"
    write_film(images / "film.png")
    out = tmp_path / "ds"
    # a reading without gaze boxes
    expert_reading(boxes=False).save(tmp_path / "nobox.json")
    err = _cli_error([str(tmp_path / "nobox.json"), "--images", str(images), "-o", str(out)], capsys)
    assert "nobox.json: no gaze boxes" in err
    _nothing_written(tmp_path, out)
    # a film missing from --images
    expert_reading("other.png").save(tmp_path / "missing.json")
    err = _cli_error([str(tmp_path / "missing.json"), "--images", str(images), "-o", str(out)], capsys)
    assert "missing.json: film 'other.png' not found under" in err
    _nothing_written(tmp_path, out)
    # film size disagrees with the image
    expert_reading().save(tmp_path / "size.json")
    half = write_film(tmp_path / "half" / "film.png", W // 2, H // 2)  # a down-sampled copy of the film
    err = _cli_error([str(tmp_path / "size.json"), "--images", str(half.parent), "-o", str(out)], capsys)
    assert "size.json: film size disagrees: the reading says 2544 x 3056 px" in err and "is 1272 x 1528 px" in err
    _nothing_written(tmp_path, out)
    # an empty split: one patient cannot fill two splits
    expert_reading(subject="p7").save(tmp_path / "ok.json")
    share = "train=0.5,val=0.5"
    err = _cli_error([str(tmp_path / "ok.json"), "--images", str(images), "-o", str(out), "--split", share], capsys)
    assert "is empty: 1 patient(s) in all" in err
    _nothing_written(tmp_path, out)
    # a bad split text, a reading that is not a reading
    err = _cli_error([str(tmp_path / "ok.json"), "--images", str(images), "-o", str(out), "--split", "a=1,b=1"], capsys)
    assert "sum to 2" in err
    (tmp_path / "junk.json").write_text("{", encoding="utf-8")
    err = _cli_error([str(tmp_path / "junk.json"), "--images", str(images), "-o", str(out)], capsys)
    assert "junk.json: not valid JSON" in err
    _nothing_written(tmp_path, out)
    # a DICOM film (LLaMA-Factory reads PNG/JPEG)
    dcm = tmp_path / "dicom"
    dcm.mkdir()
    (dcm / "film.dcm").write_bytes(b"\0" * 200)
    err = _cli_error([str(tmp_path / "ok.json"), "--images", str(dcm), "-o", str(out)], capsys)
    assert "film.dcm: is DICOM" in err
    _nothing_written(tmp_path, out)
    # a non-empty output folder is not overwritten without --force
    out.mkdir()
    (out / "keep.txt").write_text("x")
    err = _cli_error([str(tmp_path / "ok.json"), "--images", str(images), "-o", str(out)], capsys)
    assert "exists and is not empty" in err and (out / "keep.txt").is_file()
    assert main(["export-training", str(tmp_path / "ok.json"), "--images", str(images), "-o", str(out), "--force"]) == 0
    assert not (out / "keep.txt").exists() and (out / "gazex_train.json").is_file()


def test_reading_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ReadingError, match="file not found"):
        export_training([tmp_path / "nope.json"], tmp_path, tmp_path / "ds")


def test_targets_only_for_gazesearch_frame() -> None:
    r = expert_reading("x.jpg", width=224, height=224)
    r.findings[0].observation = Box(20, 20, 200, 200, 100, 100)
    r.findings[0].clues = [Box(20, 20, 100, 100, 60, 60), Box(100, 100, 200, 200, 150, 150)]
    r.findings[1].observation, r.findings[1].clues = Box(0, 0, 224, 224, 112, 112), []
    rs = reading_samples(r, None)
    assert "images" not in rs.samples[0]
    # by hand: /4 -> (5,5,25,25) narrowed by 0.35 % of 20 (0.035 a side) -> (5,5,24,24); centroid int(37.5) = 37
    assert rs.samples[1]["messages"][1]["content"] == (
        "visual clues : [(5,5)(24,24)(15,15),(25,25)(49,49)(37,37)] observation : [(5,5)(49,49)(25,25)]"
    )
    assert rs.samples[2]["messages"][1]["content"] == "observation : [(0,0)(55,55)(28,28)]"


def _upstream_box(b: list[float], percent: float) -> str:
    """Create_Training_Data.py's narrow_bbox_by_percentage + int(), on a bbox of the /4 frame (written out here)."""
    xmin, ymin, xmax, ymax, cx, cy = b
    w, h = (xmax - xmin) * (percent / 100), (ymax - ymin) * (percent / 100)
    p = [int(xmin + w / 2), int(ymin + h / 2), int(xmax - w / 2), int(ymax - h / 2)]
    return f"({p[0]},{p[1]})({p[2]},{p[3]})({int(cx)},{int(cy)})"


def test_reflacx_gazex_import_to_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole chain on a synthetic REFLACX case: import-gaze --keyframes gazex, then export-training."""

    make_reflacx_with_samples(tmp_path)
    readings = tmp_path / "readings"
    assert main(["import-gaze", "--format", "reflacx", str(tmp_path / "main_data"), "-o", str(readings),
                 "--keyframes", "gazex"]) == 0
    reading = Reading.from_json((readings / f"{CASE}.reading.json").read_text())
    assert reading.image.file_name == DICOM and (reading.image.width, reading.image.height) == (2000, 2500)
    # MIMIC-CXR-JPG's layout: files/p1x/p1xxxxxxx/sxxxxxxxx/<dicom_id>.jpg, found by the dicom_id
    film = tmp_path / "mimic-cxr-jpg" / "files" / "p10" / "p10000001" / "s50000001" / f"{DICOM}.jpg"
    film.parent.mkdir(parents=True)
    Image.fromarray(np.zeros((2500, 2000), np.uint8), "L").save(film)
    out = tmp_path / "ds"
    assert main(["export-training", str(readings), "--images", str(tmp_path / "mimic-cxr-jpg"), "-o", str(out)]) == 0
    samples = json.loads((out / "gazex_train.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["splits"]["train"]["groups"] == 1 and {s["images"][0] for s in samples} == {str(film.resolve())}
    assert samples[0]["messages"][1]["content"] == " ".join(s.text for s in reading.sentences)
    grounded = [f for f in reading.findings if f.observation is not None]
    assert len(samples) == 1 + len(grounded) >= 2
    assert sorted(len(f.clues) for f in grounded) == [0, 2]  # both prompt variants are exercised
    for sample, finding in zip(samples[1:], grounded, strict=True):
        quarter = [[v / 4 for v in b.to_dict().values()] for b in [*finding.clues, finding.observation]]
        assert all(float(v).is_integer() for q in quarter for v in q[:4])  # /4 indices times 4, as imported
        obs = "observation : [" + _upstream_box(quarter[-1], 0.15) + "]"
        want = obs if len(finding.clues) < 2 else (
            "visual clues : [" + ",".join(_upstream_box(q, 0.35) for q in quarter[:-1]) + "] " + obs
        )
        assert sample["messages"][1]["content"] == want
        assert ("Output as much visual clues" in sample["messages"][0]["content"]) == (len(finding.clues) >= 2)
        assert f"'{finding.text}'" in sample["messages"][0]["content"]
