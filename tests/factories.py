"""Shared builders for the tests: readings, signatures, synthetic gaze recordings (no tests here).

Every test module that needs one of these imports it from here, never from another test module
(tests/test_architecture.py checks that). Nothing here imports Qt: the UI readings take the
radiograph they are drawn on.

- review and export: :func:`make_reading`, :func:`key_for`, :func:`sign`, :func:`signed_reading_for`;
- gaze: the synthetic REFLACX case (:data:`CASE`, :data:`DICOM`, :data:`HEART`, :data:`APEX`,
  :func:`make_reflacx`, :func:`make_reflacx_with_samples`) and :func:`write_csv`;
- UI readings over the 512 x 512 NIH film: :func:`demo_reading`, :func:`five_finding_reading`,
  :func:`long_reading`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gazex_viewer.core.reading.document import (
    Box,
    Finding,
    ImageRef,
    Label,
    PointKind,
    Producer,
    Reading,
    Sentence,
    SignOff,
    TrajectoryPoint,
)
from gazex_viewer.core.reading.identity import UNKNOWN_PIXEL_SHA256
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.signing import SigningKey, generate_key
from gazex_viewer.core.review.store import open_store

# -- review and export --------------------------------------------------------------------------------
SENTENCES: list[tuple[str, list[Label], tuple[float, float, float, float] | None]] = [
    ("support apparatus", [Label("Support Devices", "positive")], (300.0, 120.0, 700.0, 520.0)),
    ("no pneumothorax", [Label("Pneumothorax", "negative")], None),
    ("enlarged cardiac silhouette", [Label("Cardiomegaly", "positive")], (380.0, 500.0, 820.0, 860.0)),
    ("left basilar opacity", [Label("Lung Opacity", "positive")], (560.0, 640.0, 900.0, 920.0)),
]


def make_reading(
    *,
    n: int | None = None,
    width: int = 1024,
    height: int = 1024,
    file_name: str = "image.dcm",
    sop_instance_uid: str | None = None,
    study_instance_uid: str | None = None,
    sop_class_uid: str | None = None,
    series_instance_uid: str | None = None,
    pixel_sha256: str = UNKNOWN_PIXEL_SHA256,
) -> Reading:
    """A model reading with the four sentences above (or ``n`` generated ones)."""
    specs = list(SENTENCES)
    if n is not None:
        specs = [
            (
                f"finding number {i}",
                [Label("Lung Opacity", "positive")],
                (10.0 + i, 20.0 + i, 200.0 + i, 220.0 + i),
            )
            for i in range(n)
        ]
    sentences: list[Sentence] = []
    findings: list[Finding] = []
    for i, (text, labels, box) in enumerate(specs):
        sid = f"s-{i:03d}"
        sentences.append(Sentence(sid, text))
        findings.append(
            Finding(
                id=f"f-{i:03d}",
                sentence_id=sid,
                text=text,
                labels=list(labels),
                observation=None if box is None else Box.from_corners(*box),
                clues=[] if box is None else [Box.from_corners(box[0], box[1], box[0] + 50, box[1] + 40)],
            )
        )
    return Reading(
        image=ImageRef(
            file_name=file_name,
            width=width,
            height=height,
            pixel_sha256=pixel_sha256,
            sop_instance_uid=sop_instance_uid,
            study_instance_uid=study_instance_uid,
            series_instance_uid=series_instance_uid,
            sop_class_uid=sop_class_uid,
        ),
        producer=Producer(kind="model", name="gazex-test", backend="none"),
        sentences=sentences,
        findings=findings,
        raw_report=" . ".join(s.text for s in sentences) + " .",
    )


_KEYS: dict[str, SigningKey] = {}


def key_for(reviewer: str) -> SigningKey:
    """One Ed25519 key per reviewer name for the test session (in memory, never on disk)."""
    if reviewer not in _KEYS:
        _KEYS[reviewer] = generate_key(reviewer)
    return _KEYS[reviewer]


def sign(session: ReviewSession, reviewer: str | None = None, **kw: Any) -> SignOff:
    """Sign with the reviewer's test key, registered first in the session's store and in the default review
    database (``$GAZEX_REVIEW_DB``, the registry ``validate`` and ``export`` use)."""
    who = (reviewer or session.reviewer).strip()
    key = key_for(who)
    if session.store is not None:
        session.store.register_key(key, "test registrar")
    default = open_store()  # a SQLite file or a postgresql:// URL
    try:
        default.register_key(key, "test registrar")
    finally:
        default.close()
    return session.sign(who, key=key, **kw)


_sign_with_test_key = sign  # the parameter ``sign`` of signed_reading_for hides the function


def signed_reading_for(path: Path, *, sign: bool = True) -> Reading:
    """A reviewed :func:`make_reading` of the DICOM film at ``path`` (its UIDs and pixel hash), signed unless ``sign`` is False."""
    import pydicom

    from gazex_viewer.core.imaging.files import load_radiograph

    src = pydicom.dcmread(path, stop_before_pixels=True)
    reading = make_reading(
        width=int(src.Columns), height=int(src.Rows), file_name=path.name,
        sop_instance_uid=str(src.SOPInstanceUID), study_instance_uid=str(src.StudyInstanceUID),
        series_instance_uid=str(src.SeriesInstanceUID), sop_class_uid=str(src.SOPClassUID),
        pixel_sha256=load_radiograph(path).pixel_sha256,
    )
    s = ReviewSession(reading, "Lovelace^Ada")
    s.accept("f-000")
    s.reject("f-001", "not seen")
    s.edit("f-002", text="mild cardiomegaly", observation=Box.from_corners(370, 480, 830, 870))
    s.accept("f-003")
    s.set_impression("mild cardiomegaly")
    if sign:
        _sign_with_test_key(s)
    return reading


# -- gaze recordings --------------------------------------------------------------------------------
REFLACX_FIX_COLS = [
    "timestamp_start_fixation", "timestamp_end_fixation", "x_position", "y_position", "pupil_area_normalized",
    "angular_resolution_x_pixels_per_degree", "angular_resolution_y_pixels_per_degree", "window_width",
    "window_level", "xmin_shown_from_image", "ymin_shown_from_image", "xmax_shown_from_image",
    "ymax_shown_from_image", "xmin_in_screen_coordinates", "ymin_in_screen_coordinates",
    "xmax_in_screen_coordinates", "ymax_in_screen_coordinates",
]
REFLACX_META_COLS = [
    "id", "split", "eye_tracking_data_discarded", "image", "dicom_id", "subject_id", "image_size_x",
    "image_size_y", "Cardiomegaly", "Pneumothorax",
]
CASE = "P102R108387"
DICOM = "a3e1945f-24798491-79bf0265-7ae43733-d98951d4"
# heart fixations while dictating sentence 1 (0.5-2.0 s), apex fixations during sentence 2 (3.0-4.0 s)
HEART = [(1000 + dx, 1200 + dy, t, t + 0.25) for t, (dx, dy) in zip([0.0, 0.4, 0.8, 1.2, 1.6], [(0, 0), (15, 10), (-10, 5), (5, -15), (-5, 10)])]
APEX = [(600 + dx, 500 + dy, t, t + 0.2) for t, (dx, dy) in zip([2.5, 2.8, 3.1, 3.4, 3.7], [(0, 0), (10, 10), (-10, 5), (5, -10), (0, 8)])]
WORDS = [("heart", 0.5, 0.9), ("is", 0.9, 1.1), ("enlarged", 1.1, 1.8), (".", 1.8, 2.0),
         ("no", 3.0, 3.3), ("pneumothorax", 3.3, 3.9), (".", 3.9, 4.0)]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """Write a CSV file (header, then rows), creating its folder; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path

def make_reflacx(root: Path, *, ppd: float = 50.0) -> Path:
    """A synthetic REFLACX ``main_data/<CASE>`` folder with the real column layouts (two sentences, 10 fixations)."""
    main = root / "main_data"
    case = main / CASE
    rows = []
    for x, y, t0, t1 in HEART + APEX:
        rows.append([t0, t1, x, y, 1.0, ppd, ppd, 1.0, 0.5, 0, 0, 2000, 2500, 0, 0, 1920, 1080])
    write_csv(case / "fixations.csv", REFLACX_FIX_COLS, rows)
    write_csv(case / "timestamps_transcription.csv", ["word", "timestamp_start_word", "timestamp_end_word"], [list(w) for w in WORDS])
    (case / "transcription.txt").write_text("heart is enlarged. no pneumothorax.")
    write_csv(case / "chest_bounding_box.csv", ["xmin", "ymin", "xmax", "ymax"], [[150, 250, 1850, 2300]])
    write_csv(case / "anomaly_location_ellipses.csv", ["xmin", "ymin", "xmax", "ymax", "certainty", "Cardiomegaly", "Pneumothorax"],
           [[800, 1000, 1300, 1500, 5, "True", "False"]])
    write_csv(main / "metadata_phase_1.csv", REFLACX_META_COLS,
           [[CASE, "train", "False", f"physionet.org/files/mimic-cxr/2.0.0/files/p1/{DICOM}.dcm", DICOM, 1, 2000, 2500, "True", "False"]])
    return case


# gaze.csv as REFLACX's create_main_table.py writes it (the fixation columns with a per-sample timestamp)
GAZE_COLS = [
    "timestamp_sample", "x_position", "y_position", "pupil_area_normalized",
    "angular_resolution_x_pixels_per_degree", "angular_resolution_y_pixels_per_degree", "window_width",
    "window_level", "xmin_shown_from_image", "ymin_shown_from_image", "xmax_shown_from_image",
    "ymax_shown_from_image", "xmin_in_screen_coordinates", "ymin_in_screen_coordinates",
    "xmax_in_screen_coordinates", "ymax_in_screen_coordinates",
]
HZ = 200

def make_reflacx_with_samples(root: Path, *, ppd: float = 50.0) -> tuple[Path, Path, int]:
    """The :func:`make_reflacx` case plus ``gaze_data/<id>/gaze.csv``: 200 Hz samples jittered around each
    fixation, and a few incomplete rows (a blink) that must be dropped. Returns (case, gaze.csv, complete rows)."""
    case = make_reflacx(root, ppd=ppd)
    rng = np.random.default_rng(7)
    rows: list[list[object]] = []
    for x, y, t0, t1 in HEART + APEX:
        for t in np.arange(t0, t1, 1.0 / HZ):
            rows.append([round(float(t), 3), round(x + rng.normal(0, 4)), round(y + rng.normal(0, 4)), 1.0, ppd, ppd,
                         1.0, 0.5, 0, 0, 2000, 2500, 0, 0, 1920, 1080])
    complete = len(rows)
    blink = [[round(1.3 + k / HZ, 3), "", "", "", ppd, ppd, 1.0, 0.5, 0, 0, 2000, 2500, 0, 0, 1920, 1080] for k in range(3)]
    gaze = write_csv(root / "gaze_data" / CASE / "gaze.csv", GAZE_COLS, rows[:50] + blink + rows[50:])
    return case, gaze, complete


# -- UI readings --------------------------------------------------------------------------------
def demo_reading(radiograph: Any, *, warnings: list[str] | None = None) -> Reading:
    """Three sentences: cardiomegaly (2 clues), support devices, and a pertinent negative.

    Trajectory (1 s per key frame, GazeX style): f-cardio clue, clue, observation (0-3 s),
    f-device observation (3-4 s), f-ptx observation (4-5 s).
    """
    f1 = Finding(
        "f-cardio",
        "s-1",
        "enlarged cardiac silhouette",
        [Label("Cardiomegaly")],
        Box.from_corners(150, 250, 400, 420),
        [Box.from_corners(160, 262, 250, 400), Box.from_corners(300, 280, 390, 410)],
        warnings=["third clue box unreadable: '(12,'"],
    )
    f2 = Finding(
        "f-device",
        "s-2",
        "support apparatus",
        [Label("Support Devices")],
        Box.from_corners(220, 60, 300, 200),
    )
    f3 = Finding(
        "f-ptx",
        "s-3",
        "no pneumothorax",
        [Label("Pneumothorax", "negative")],
        Box.from_corners(40, 40, 200, 230),
    )
    traj: list[TrajectoryPoint] = []
    t = 0.0
    for f in (f1, f2, f3):
        for i, b in enumerate([*f.clues, f.observation]):
            assert b is not None
            kind: PointKind = "clue" if i < len(f.clues) else "observation"
            traj.append(TrajectoryPoint(b.centroid_x, b.centroid_y, t, t + 1.0, f.id, kind))
            t += 1.0
    return Reading(
        image=radiograph.image_ref(),
        producer=Producer("model", "tiny-gazex", backend="transformers", device="cpu"),
        sentences=[Sentence("s-1", f1.text), Sentence("s-2", f2.text), Sentence("s-3", f3.text)],
        findings=[f1, f2, f3],
        trajectory=traj,
        raw_report="enlarged cardiac silhouette . support apparatus . no pneumothorax .",
        warnings=list(warnings or []),
    )


def five_finding_reading(rg: Any) -> Reading:
    """The demo reading plus a right basal opacity and a pertinent negative (no effusion)."""
    r = demo_reading(rg)
    extra = [
        Finding("f-opacity", "s-4", "right basal opacity", [Label("Lung Opacity")],
                Box.from_corners(60, 300, 190, 430), [Box.from_corners(80, 340, 150, 410)]),
        Finding("f-noeff", "s-5", "no pleural effusion", [Label("Pleural Effusion", "negative")],
                Box.from_corners(40, 380, 480, 480)),
    ]
    t = r.duration
    for f in extra:
        r.findings.append(f)
        r.sentences.append(Sentence(f.sentence_id, f.text))
        for i, b in enumerate([*f.clues, f.observation]):
            assert b is not None
            kind: PointKind = "clue" if i < len(f.clues) else "observation"
            r.trajectory.append(TrajectoryPoint(b.centroid_x, b.centroid_y, t, t + 1.0, f.id, kind))
            t += 1.0
    r.raw_report = " . ".join(s.text for s in r.sentences) + " ."
    return r


N_KILL = 90


def long_reading(rg: Any, n: int = N_KILL) -> Reading:
    """``n`` findings, each a 40 px box on a grid over a 512 x 512 film."""
    findings: list[Finding] = []
    sentences: list[Sentence] = []
    traj: list[TrajectoryPoint] = []
    for i in range(n):
        x, y = 20 + (i % 9) * 50, 20 + (i // 9) * 45
        f = Finding(f"f-{i:03d}", f"s-{i:03d}", f"finding number {i}", [Label("Lung Opacity")],
                    Box.from_corners(x, y, x + 40, y + 40))
        findings.append(f)
        sentences.append(Sentence(f.sentence_id, f.text))
        traj.append(TrajectoryPoint(x + 20, y + 20, float(i), i + 1.0, f.id))
    return Reading(image=rg.image_ref(), producer=demo_reading(rg).producer, sentences=sentences,
                   findings=findings, trajectory=traj)
