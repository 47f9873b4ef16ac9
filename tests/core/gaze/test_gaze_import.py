"""Import of REFLACX and EGD-CXR (synthetic folders with the real column layouts) and GazeSearch (real file)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from gazex_viewer.core.errors import GazeImportError, GazeXError
from gazex_viewer.core.gaze.egd import egd_sentences, import_egd
from gazex_viewer.core.gaze.gazesearch import import_gazesearch
from gazex_viewer.core.gaze.importers import import_gaze
from gazex_viewer.core.gaze.reflacx import (
    import_reflacx,
    import_reflacx_tree,
    reflacx_sentences,
)
from gazex_viewer.core.reading.identity import UNKNOWN_PIXEL_SHA256
from gazex_viewer.core.reading.validation import validate_reading
from tests.conftest import shared_file
from tests.factories import (
    APEX,
    CASE,
    DICOM,
    HEART,
    REFLACX_FIX_COLS,
    make_reflacx,
    write_csv,
)

EGD_COLS = (
    "SESSION_ID, MEDIA_ID, DICOM_ID, CNT, Time (in secs), TIMETICK(f=10000000), FPOGX, FPOGY, FPOGS, FPOGD, FPOGID, "
    "FPOGV, BPOGX, BPOGY, BPOGV, LPCX, LPCY, LPD, LPS, LPV, RPCX, RPCY, RPD, RPS, RPV, BKID, BKDUR, BKPMIN, LPMM, "
    "LPMMV, RPMM, RPMMV, SACCADE_MAG, SACCADE_DIR, VID_FRAME, X_ORIGINAL, Y_ORIGINAL"
).split(", ")

def test_reflacx_sentences_from_word_timestamps(tmp_path: Path) -> None:
    case = make_reflacx(tmp_path)
    s = reflacx_sentences(case / "timestamps_transcription.csv")
    assert [(x.text, x.t_start, x.t_end) for x in s] == [("heart is enlarged .", 0.5, 2.0), ("no pneumothorax .", 3.0, 4.0)]


def test_reflacx_sentences_split_at_a_period_attached_to_a_word(tmp_path: Path) -> None:
    words = [("heart", 0.5, 0.9), ("is", 0.9, 1.1), ("enlarged.", 1.1, 1.8), ("small", 3.0, 3.3),
             ("left", 3.3, 3.5), ("effusion.", 3.5, 4.0), ("size", 4.2, 4.4), ("2.5", 4.4, 4.6), ("cm", 4.6, 4.8)]
    path = write_csv(tmp_path / "t.csv", ["word", "timestamp_start_word", "timestamp_end_word"], [list(w) for w in words])
    s = reflacx_sentences(path)
    assert [(x.text, x.t_start, x.t_end) for x in s] == [
        ("heart is enlarged .", 0.5, 1.8),
        ("small left effusion .", 3.0, 4.0),
        ("size 2.5 cm", 4.2, 4.8),  # a decimal point does not end a sentence; trailing words are one more
    ]


def test_import_reflacx_case(tmp_path: Path) -> None:
    r = import_reflacx(make_reflacx(tmp_path))
    assert r.producer.kind == "expert" and r.producer.dataset == "REFLACX"
    assert (r.image.file_name, r.image.width, r.image.height) == (DICOM, 2000, 2500)
    assert r.image.pixel_sha256 == UNKNOWN_PIXEL_SHA256 == "0" * 64
    assert validate_reading(r) == []
    assert [s.text for s in r.sentences] == ["heart is enlarged .", "no pneumothorax ."]
    assert r.raw_report == "heart is enlarged. no pneumothorax."
    f1, f2 = r.findings
    assert [(lab.observation, lab.status) for lab in f1.labels] == [("Cardiomegaly", "positive")]
    assert [(lab.observation, lab.status) for lab in f2.labels] == [("Pneumothorax", "negative")]
    assert f2.is_pertinent_negative
    # sentence 1 window [-1.5, 2.0]: the heart only -> one observation, no clues
    assert f1.clues == [] and f1.observation is not None
    assert f1.observation.centroid_x == pytest.approx(1001, abs=20) and f1.observation.centroid_y == pytest.approx(1202, abs=20)
    # sentence 2 window [1.0, 4.0] (2 s before it starts): the heart's last fixations, then the apex
    assert len(f2.clues) == 2
    assert f2.clues[0].centroid_x == pytest.approx(1000, abs=25) and f2.clues[1].centroid_x == pytest.approx(601, abs=25)
    # the real fixations, times kept, linked to the sentence they precede or accompany
    assert [(p.x, p.y, p.t_start, p.t_end) for p in r.trajectory] == [tuple(map(float, f)) for f in HEART + APEX]
    assert all(p.kind == "fixation" for p in r.trajectory)
    assert [p.finding_id for p in r.trajectory] == [f1.id] * 5 + [f2.id] * 5
    rec = r.producer.generation["recording"]
    assert rec["case_id"] == CASE and rec["chest_box"] == [150, 250, 1850, 2300]
    assert rec["anomaly_ellipses"] == [{"box": [800, 1000, 1300, 1500], "certainty": 5.0, "labels": ["Cardiomegaly"]}]
    assert r.warnings == []
    # round trip through JSON keeps it all
    again = type(r).from_json(r.to_json())
    assert again.to_dict() == r.to_dict()


def test_import_reflacx_tree_finds_cases(tmp_path: Path) -> None:
    make_reflacx(tmp_path)
    readings = import_gaze("reflacx", tmp_path / "main_data")
    assert len(readings) == 1 and readings[0].image.file_name == DICOM
    assert len(import_reflacx_tree(tmp_path / "main_data" / CASE)) == 1


def test_reflacx_without_metadata_warns_and_uses_shown_area(tmp_path: Path) -> None:
    case = make_reflacx(tmp_path)
    (case.parent / "metadata_phase_1.csv").unlink()
    r = import_reflacx(case)
    assert (r.image.file_name, r.image.width, r.image.height) == (CASE, 2000, 2500)
    assert any("metadata" in w for w in r.warnings)


@pytest.mark.parametrize(
    ("mutate", "file", "reason"),
    [
        (lambda c: write_csv(c / "fixations.csv", ["timestamp_start_fixation", "x_position"], [[0, 1]]), "fixations.csv", "missing column"),
        (lambda c: (c / "fixations.csv").write_text(""), "fixations.csv", "empty file"),
        (lambda c: (c / "fixations.csv").write_text((c / "fixations.csv").read_text().replace("1000", "abc", 1)), "fixations.csv", "'abc' is not a number"),
        (lambda c: (c / "timestamps_transcription.csv").unlink(), "timestamps_transcription.csv", "file not found"),
        (lambda c: write_csv(c / "timestamps_transcription.csv", ["word", "timestamp_start_word", "timestamp_end_word"], [["a", "x", 1]]), "timestamps_transcription.csv", "not a number"),
        (lambda c: write_csv(c / "fixations.csv", REFLACX_FIX_COLS, []), "fixations.csv", "no fixations"),
    ],
)
def test_reflacx_bad_input_names_file_and_reason(tmp_path: Path, mutate, file: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    case = make_reflacx(tmp_path)
    mutate(case)
    with pytest.raises(GazeImportError) as err:
        import_reflacx(case)
    assert isinstance(err.value, GazeXError)
    assert err.value.path is not None and err.value.path.endswith(file)
    assert reason in err.value.reason
    assert str(err.value).startswith(str(case / file))


def make_egd(root: Path) -> Path:
    rows = []
    for d, pts in ((DICOM, HEART + APEX), ("other-dicom", HEART)):
        for k, (x, y, t0, t1) in enumerate(pts):
            row = {c: 0 for c in EGD_COLS}
            # screen -> image: X = 2000 * FPOGX - 100, Y = 1000 * FPOGY (so 50 and 44.4 px per degree)
            row.update({"DICOM_ID": d, "Time (in secs)": t0, "FPOGD": round(t1 - t0, 6), "FPOGV": 1,
                        "FPOGX": (x + 100) / 2000, "FPOGY": y / 1000, "X_ORIGINAL": x, "Y_ORIGINAL": y, "CNT": k})
            rows.append([row[c] for c in EGD_COLS])
    write_csv(root / "fixations.csv", EGD_COLS, rows)
    write_csv(root / "bounding_boxes.csv", ["dicom_id", "bbox_name", "x1", "x2", "y1", "y2"],
           [[DICOM, "right lung", 200, 900, 300, 2000], [DICOM, "left lung", 1000, 1800, 300, 2100], [DICOM, "cardiac silhouette", 800, 1400, 1000, 1700]])
    tdir = root / "audio_segmentation_transcripts" / DICOM
    tdir.mkdir(parents=True)
    (tdir / "transcript.json").write_text(json.dumps({
        "full_text": "Heart is enlarged. No pneumothorax.",
        "time_stamped_text": [
            {"phrase": "Heart is", "begin_time": 0.5, "end_time": 1.1},
            {"phrase": "enlarged.", "begin_time": 1.1, "end_time": 2.0},
            {"phrase": "No pneumothorax.", "begin_time": 3.0, "end_time": 4.0},
        ],
    }))
    return root


def test_egd_sentences(tmp_path: Path) -> None:
    root = make_egd(tmp_path)
    s, full = egd_sentences(root / "audio_segmentation_transcripts" / DICOM / "transcript.json")
    assert [(x.text, x.t_start, x.t_end) for x in s] == [("Heart is enlarged.", 0.5, 2.0), ("No pneumothorax.", 3.0, 4.0)]
    assert full == "Heart is enlarged. No pneumothorax."


def test_import_egd(tmp_path: Path) -> None:
    readings = import_egd(make_egd(tmp_path))
    assert [r.image.file_name for r in readings] == [DICOM, "other-dicom"]
    r, other = readings
    assert r.producer.kind == "expert" and r.producer.dataset == "EGD-CXR"
    rec = r.producer.generation["recording"]
    assert rec["pixels_per_degree"] == pytest.approx([2000 / 40, 1000 / 22.5])
    assert rec["chest_box"] == [200, 300, 1800, 2100]  # union of the lung boxes
    # size unknown: the extent of fixations and boxes (max x 1800, max y 2100) plus 5 % and 1 px
    assert (r.image.width, r.image.height) == (1891, 2206) and any("image size unknown" in w for w in r.warnings)
    assert rec["image_size_estimated"] is True
    assert validate_reading(r) == [] and validate_reading(other) == []
    assert [s.text for s in r.sentences] == ["Heart is enlarged.", "No pneumothorax."]
    assert len(r.trajectory) == 10 and r.trajectory[5].t_start == pytest.approx(2.5)
    assert r.trajectory[5].t_end == pytest.approx(2.7)
    assert len(r.findings[1].clues) == 2 and r.findings[1].clues[1].centroid_x == pytest.approx(601, abs=25)
    assert other.sentences == [] and any("no transcript" in w for w in other.warnings)
    sized = import_egd(tmp_path, image_size=(2000, 2500))[0]
    assert (sized.image.width, sized.image.height) == (2000, 2500)
    # a smaller image: the fixations beyond it are dropped, with a warning
    small = import_egd(tmp_path, image_size=(800, 2500))[0]
    assert len(small.trajectory) == 5 and "5 of 10 fixation(s) outside the image dropped" in small.warnings
    assert validate_reading(small) == []


def test_egd_bad_input(tmp_path: Path) -> None:
    make_egd(tmp_path)
    text = (tmp_path / "fixations.csv").read_text().replace("FPOGD", "FPOG_D")
    (tmp_path / "fixations.csv").write_text(text)
    with pytest.raises(GazeImportError, match=r"fixations\.csv: missing column\(s\) FPOGD"):
        import_egd(tmp_path)
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(GazeImportError, match="not a JSON file"):
        egd_sentences(tmp_path / "broken.json")


def test_wrong_format_flag_and_wrong_kind_of_source(tmp_path: Path) -> None:
    with pytest.raises(GazeImportError, match="unknown format 'mimic'"):
        import_gaze("mimic", tmp_path)
    with pytest.raises(GazeImportError, match="not found"):
        import_gaze("egd", tmp_path / "absent")
    with pytest.raises(GazeImportError, match="no REFLACX case folder"):
        import_gaze("reflacx", tmp_path)
    with pytest.raises(GazeImportError, match="not a folder"):
        import_gaze("gazesearch", tmp_path)


def test_gazesearch_bad_json(tmp_path: Path) -> None:
    p = tmp_path / "g.json"
    for text, reason in (("", "not a JSON file"), ("{}", "expected a JSON list"), ("[]", "no scanpaths"),
                         ('[{"name": "a.jpg", "task": "edema", "X": [1, "b"], "Y": [1, 2], "T": [0.1, 0.2]}]', "lists of numbers"),
                         ('[{"name": "a.jpg", "task": "edema", "X": [1], "Y": [1, 2], "T": [0.1, 0.2]}]', "equal length"),
                         ('[{"name": "a.jpg", "X": [1], "Y": [1], "T": [0.1]}]', "needs keys")):
        p.write_text(text)
        with pytest.raises(GazeImportError, match=reason) as err:
            import_gazesearch(p)
        assert err.value.path == str(p)


def test_import_all_real_gazesearch_scanpaths() -> None:
    path = shared_file("gaze/gazesearch_scanpaths.json")
    raw = json.loads(path.read_text())
    readings = import_gazesearch(path, key_frames=False)
    assert len(readings) == 4875
    images = Counter(r.image.file_name for r in readings)
    assert len(images) == 2328
    assert sum(1 for n in images.values() if n >= 2) == 1463
    assert len({(r.image.file_name, r.sentences[0].text) for r in readings}) == 4875  # each (image, finding) once
    r = readings[0]
    assert (r.image.file_name, r.image.width, r.image.height) == ("a3e1945f-24798491-79bf0265-7ae43733-d98951d4.jpg", 224, 224)
    assert r.producer.coordinate_frame == "gazesearch-224" and r.producer.kind == "expert"
    assert r.sentences[0].text == "lung opacity present"
    assert [(lab.observation, lab.status) for lab in r.findings[0].labels] == [("Lung Opacity", "positive")]
    assert [p.x for p in r.trajectory] == [18, 12, 12, 12, 18, 9]
    assert [p.y for p in r.trajectory] == [182, 144, 160, 112, 153, 134]
    assert r.trajectory[1].t_start == pytest.approx(0.76343) and r.trajectory[-1].t_end == pytest.approx(sum(raw[0]["T"]))
    assert all(p.finding_id == r.findings[0].id for p in r.trajectory)
    labelled = Counter(r.findings[0].labels[0].observation for r in readings if r.findings[0].labels)
    assert sum(labelled.values()) == 4875 and labelled["Cardiomegaly"] == 783


def test_gazesearch_key_frames_and_original_size() -> None:
    path = shared_file("gaze/gazesearch_scanpaths.json")
    readings = import_gazesearch(path, limit=40)
    assert len(readings) == 40
    assert all(r.findings[0].observation is not None for r in readings)
    assert all(validate_reading(r) == [] for r in readings)
    assert all(len(r.findings[0].clues) != 1 for r in readings)  # one cluster means observation only
    scaled = import_gazesearch(path, limit=1, image_size=(2000, 1000), key_frames=False)[0]
    assert (scaled.image.width, scaled.image.height) == (2000, 1000)
    assert scaled.trajectory[0].x == pytest.approx(18 * 2000 / 224) and scaled.trajectory[0].y == pytest.approx(182 * 1000 / 224)
    assert scaled.producer.coordinate_frame == "original"


def test_gazesearch_fixations_outside_the_frame_dropped_with_a_count(tmp_path: Path) -> None:
    raw = json.loads(shared_file("gaze/gazesearch_scanpaths.json").read_text())[2]
    n = len(raw["X"])
    bad = dict(raw, X=[*raw["X"], 250.0, 100.0], Y=[*raw["Y"], 100.0, -3.0], T=[*raw["T"], 0.3, 0.2])
    src = tmp_path / "sp.json"
    src.write_text(json.dumps([bad]))
    for key_frames in (True, False):
        (r,) = import_gazesearch(src, key_frames=key_frames)
        assert len(r.trajectory) == n
        assert [p.x for p in r.trajectory] == pytest.approx(raw["X"])
        assert f"2 of {n + 2} fixation(s) outside the image dropped" in r.warnings
        assert validate_reading(r) == []
    # every fixation outside: a typed error naming the file and the scanpath
    src.write_text(json.dumps([dict(raw, X=[300.0], Y=[10.0], T=[0.4])]))
    with pytest.raises(GazeImportError) as err:
        import_gazesearch(src)
    assert str(err.value).startswith(f"{src}: scanpath 0 (") and "outside the 224 x 224 frame" in str(err.value)
