"""Import real radiologists' eye-tracking recordings as :class:`~gazex_viewer.core.reading.document.Reading` s.

Three sources (layouts in ``../shared/data/gaze/FORMATS.md``):

- **REFLACX** case folders (``main_data/<id>/``): ``fixations.csv``, ``timestamps_transcription.csv``,
  ``transcription.txt``, ``chest_bounding_box.csv``, ``anomaly_location_ellipses.csv``, with
  ``metadata_phase_*.csv`` in the parent folder (dicom_id, image_size_x, image_size_y).
  :func:`import_reflacx` (one case) and :func:`import_reflacx_tree` (a ``main_data`` folder).
- **EGD-CXR**: a folder with ``fixations.csv`` (all cases, one DICOM_ID column), optional
  ``bounding_boxes.csv`` and ``audio_segmentation_transcripts/<dicom_id>/transcript.json``
  (or ``<dicom_id>/transcript.json``, or ``transcript.json`` beside a single-case ``fixations.csv``).
  :func:`import_egd`.
- **GazeSearch** scanpath JSON: :func:`import_gazesearch`.

Every reading has producer kind ``"expert"``, the dataset name and the reader id when the dataset
records one; its sentences are the dictated sentences (REFLACX: split at the words of the word timestamps
that are or end with ``"."``, GazeX style text ``"no pneumothorax ."``; EGD: phrases joined until one holds a period), and
each sentence's finding carries the key-frame clusters of the gaze from 2 s before the sentence
starts to its end: the time-ordered clusters as visual clues (when two or more) and the whole looked-at region
as the observation. Two key-frame methods (:data:`KEYFRAME_METHODS`), recorded in
``producer.generation["key_frames"]["method"]``:

- ``app`` (the default, every dataset): duration-weighted fixations, GazeX's DBSCAN constants on a coarse
  grid (:mod:`gazex_viewer.core.gaze.clustering`); close to, but not the same as, GazeX's training targets
  (smaller boxes, see that module);
- ``gazex`` (REFLACX only): the raw samples of ``gaze_data/<id>/gaze.csv`` through GazeX's own
  ``Bounding_Box_Centroid`` script, reproduced exactly (:mod:`gazex_viewer.core.gaze.keyframes_gazex`). The trajectory is the real
fixations (kind ``"fixation"``, real start and end times, the finding of the first sentence ending after
the fixation starts).

Recording details that the reading model has no field for (REFLACX chest box and anomaly ellipses,
EGD anatomy boxes, case ids, the GazeSearch task and split) go in ``producer.generation["recording"]``.

Assumptions, because only REFLACX records the visual angle:

- "one degree" for EGD-CXR: the image-pixel scale is fitted per case from X_ORIGINAL against FPOGX
  (and Y against FPOGY), with the screen taken to span :data:`EGD_SCREEN_DEGREES` (40 x 22.5 degrees,
  a 1920 x 1080 monitor of about 53 cm at about 70 cm); without a usable fit, the image is taken to
  span :data:`ASSUMED_IMAGE_DEGREES`.
- "one degree" for GazeSearch: the image is taken to span :data:`ASSUMED_IMAGE_DEGREES` (30 degrees)
  across, so 224 / 30 = 7.5 pixels per degree in its 224 x 224 frame.
- EGD-CXR fixation times: start = ``Time (in secs)`` (the clock of the transcript's ``begin_time``), end =
  start + ``FPOGD``; rows with ``FPOGV`` false are skipped.
- GazeSearch keeps only durations: fixations are laid back to back from t = 0.
- Unknown pixel hash: :data:`UNKNOWN_PIXEL_SHA256` (64 zeros); unknown image size (EGD-CXR without
  ``--image-size``): the extent of the fixations and anatomy boxes plus 5 %, with a warning.
- Fixations outside the image (when its size is known) are dropped, with a warning that counts them,
  so every reading is valid against ``resources/reading.schema.json``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gazex_viewer.core.errors import GazeImportError
from gazex_viewer.core.gaze.clustering import (
    FixationArray,
    KeyFrameParams,
    SentenceKeyFrames,
    cluster_key_frames,
)
from gazex_viewer.core.reading.document import (
    CHEXPERT_OBSERVATIONS,
    Finding,
    ImageRef,
    Label,
    Producer,
    Reading,
    Sentence,
    new_id,
)
from gazex_viewer.core.reading.trajectory import (
    attach_to_sentences,
    fixation_trajectory,
)
from gazex_viewer.core.safe_io import MAX_JSON_BYTES, check_input_file, read_bytes, show

__all__ = [
    "FORMATS",
    "KEYFRAME_METHODS",
    "UNKNOWN_PIXEL_SHA256",
    "ASSUMED_IMAGE_DEGREES",
    "EGD_SCREEN_DEGREES",
    "DictatedSentence",
    "reflacx_sentences",
    "egd_sentences",
    "build_expert_reading",
    "import_reflacx",
    "import_reflacx_tree",
    "import_egd",
    "import_gazesearch",
    "gazesearch_sentence",
    "import_gaze",
]

FORMATS: tuple[str, ...] = ("reflacx", "egd", "gazesearch")
#: how expert key frames are built: ``app`` (fixations, the app's grid) or ``gazex`` (raw samples, GazeX's script)
KEYFRAME_METHODS: tuple[str, ...] = ("app", "gazex")
#: pixel_sha256 of an image that is not available (credentialed datasets): 64 zeros, which the reading
#: schema's pattern accepts and no real SHA-256 of pixel data is expected to be
UNKNOWN_PIXEL_SHA256 = "0" * 64
#: degrees of visual angle the whole image is assumed to span when the dataset does not say
ASSUMED_IMAGE_DEGREES = 30.0
#: (horizontal, vertical) degrees the EGD-CXR screen is assumed to span
EGD_SCREEN_DEGREES: tuple[float, float] = (40.0, 22.5)
GAZESEARCH_FRAME = 224

REFLACX_FIXATION_COLUMNS: tuple[str, ...] = (
    "timestamp_start_fixation",
    "timestamp_end_fixation",
    "x_position",
    "y_position",
    "angular_resolution_x_pixels_per_degree",
    "angular_resolution_y_pixels_per_degree",
)
REFLACX_WORD_COLUMNS: tuple[str, ...] = ("word", "timestamp_start_word", "timestamp_end_word")
EGD_FIXATION_COLUMNS: tuple[str, ...] = ("DICOM_ID", "Time (in secs)", "FPOGX", "FPOGY", "FPOGD", "X_ORIGINAL", "Y_ORIGINAL")
GAZESEARCH_KEYS: tuple[str, ...] = ("name", "task", "X", "Y", "T")


# -- small readers ---------------------------------------------------------------------------------
def _read_csv(path: Path, required: Sequence[str]) -> dict[str, list[str]]:
    """A CSV file as columns of strings; header names are stripped of white space."""
    check_input_file(path, error=GazeImportError, what="a CSV file")  # a FIFO or a device: refused, never read
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                raise GazeImportError(path, "empty file (no header row)")
            header = [h.strip() for h in header]
            rows = [r for r in reader if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise GazeImportError(path, f"cannot read CSV: {err}") from err
    missing = [c for c in required if c not in header]
    if missing:
        raise GazeImportError(path, f"missing column(s) {', '.join(missing)}")
    cols: dict[str, list[str]] = {h: [] for h in header}
    for n, row in enumerate(rows, start=2):
        if len(row) < len(header):
            raise GazeImportError(path, f"line {n}: {len(row)} fields, the header has {len(header)}")
        for h, v in zip(header, row):
            cols[h].append(v.strip())
    return cols


def _floats(path: Path, cols: dict[str, list[str]], name: str, *, finite: bool = True) -> np.ndarray:
    out = np.empty(len(cols[name]), dtype=np.float64)
    for i, v in enumerate(cols[name]):
        try:
            out[i] = float(v)
        except ValueError:
            raise GazeImportError(path, f"line {i + 2}: column {name}: {v!r} is not a number") from None
        if finite and not math.isfinite(out[i]):
            raise GazeImportError(path, f"line {i + 2}: column {name}: {v!r} is not a finite number")
    return out


def _truthy(v: str) -> bool:
    return v.strip().lower() in ("true", "1", "1.0", "yes", "t")


# -- sentences -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DictatedSentence:
    """One dictated sentence with the times of its first and last word (seconds)."""

    text: str
    t_start: float
    t_end: float


def reflacx_sentences(path: str | os.PathLike[str]) -> list[DictatedSentence]:
    """Sentences of a REFLACX ``timestamps_transcription.csv``, split where a word is or ends with ``"."``.

    Words are joined with single spaces, with the period as its own word (GazeX's style:
    ``"no pneumothorax ."``, also when the transcript has ``"pneumothorax."`` as one word); words after
    the last period make a final sentence. A period inside a word (``"2.5"``) does not split.
    """
    path = Path(path)
    cols = _read_csv(path, REFLACX_WORD_COLUMNS)
    t0 = _floats(path, cols, "timestamp_start_word")
    t1 = _floats(path, cols, "timestamp_end_word")
    sentences: list[DictatedSentence] = []
    words: list[str] = []
    start = 0.0
    for w, a, b in zip(cols["word"], t0, t1):
        w = w.strip()
        if not w:
            continue
        if not words:
            start = float(a)
        ends = w.endswith(".")
        body = w.rstrip(".").strip()
        if body:
            words.append(body)
        if ends:
            words.append(".")
            sentences.append(DictatedSentence(" ".join(words), start, float(b)))
            words = []
    if words:
        sentences.append(DictatedSentence(" ".join(words), start, float(t1[-1])))
    return sentences


def _read_json(path: Path) -> Any:
    """The parsed JSON of ``path``; a missing, unreadable, special, oversized or too deep file is a GazeImportError."""
    data = read_bytes(path, max_bytes=MAX_JSON_BYTES, error=GazeImportError)  # regular files only, bounded
    try:
        return json.loads(data)
    except RecursionError:
        raise GazeImportError(path, "not a JSON file this importer reads: nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GazeImportError(path, f"not a JSON file: {show(err, 200)}") from None
    except ValueError as err:  # an integer literal over Python's digit limit
        raise GazeImportError(path, f"not a JSON file: {show(err, 200)}") from None


def egd_sentences(path: str | os.PathLike[str]) -> tuple[list[DictatedSentence], str]:
    """Sentences of an EGD-CXR ``transcript.json`` and its full text.

    Phrases of ``time_stamped_text`` (``phrase``, ``begin_time``, ``end_time``) are joined until one holds
    a period; a phrase holding several periods is split evenly in time.
    """
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("time_stamped_text"), list):
        raise GazeImportError(path, "no 'time_stamped_text' list")
    sentences: list[DictatedSentence] = []
    words: list[str] = []
    start: float | None = None
    for i, ph in enumerate(data["time_stamped_text"]):
        try:
            text = str(ph["phrase"]).strip()
            a, b = float(ph["begin_time"]), float(ph["end_time"])
        except (KeyError, TypeError, ValueError):
            raise GazeImportError(path, f"time_stamped_text[{i}]: needs phrase, begin_time and end_time numbers") from None
        if not (math.isfinite(a) and math.isfinite(b)):
            raise GazeImportError(path, f"time_stamped_text[{i}]: non-finite time")
        pieces = [p for p in re.split(r"(?<=\.)\s*", text) if p.strip()]
        step = (b - a) / max(len(pieces), 1)
        for k, piece in enumerate(pieces):
            pa, pb = a + k * step, a + (k + 1) * step
            if start is None:
                start = pa
            words.append(piece.strip())
            if piece.strip().endswith("."):
                sentences.append(DictatedSentence(" ".join(words), start, pb))
                words, start = [], None
    if words and start is not None:
        last = data["time_stamped_text"][-1]
        sentences.append(DictatedSentence(" ".join(words), start, float(last["end_time"])))
    full = data.get("full_text")
    return sentences, str(full) if full is not None else " ".join(s.text for s in sentences)


def _labels_for(text: str) -> list[Label]:
    """CheXpert labels of a sentence, from the reading engineer's labeller when it is available."""
    try:
        from gazex_viewer.core.reading.labels import label_sentence  # type: ignore[import-not-found]
    except ImportError:
        return []
    try:
        labels = label_sentence(text)
    except Exception:  # the labeller must never break an import
        return []
    return [lab if isinstance(lab, Label) else Label(str(lab)) for lab in labels]


def _inside(fix: FixationArray, width: float, height: float, warnings: list[str]) -> FixationArray:
    """The fixations inside the image; a warning counts those dropped."""
    ok = (fix.x >= 0) & (fix.x <= width) & (fix.y >= 0) & (fix.y <= height)
    if not ok.all():
        warnings.append(f"{int((~ok).sum())} of {len(fix)} fixation(s) outside the image dropped")
    return fix.subset(ok)


# -- the reading -------------------------------------------------------------------------------------
def build_expert_reading(
    fixations: FixationArray,
    sentences: Sequence[DictatedSentence],
    *,
    image: ImageRef,
    producer: Producer,
    frame_size: tuple[float, float],
    params: KeyFrameParams | None = None,
    raw_report: str | None = None,
    labels: Callable[[str], list[Label]] = _labels_for,
    warnings: Sequence[str] = (),
    key_frames: Callable[[DictatedSentence], SentenceKeyFrames] | None = None,
) -> Reading:
    """An expert reading from fixations and dictated sentences (see the module notes).

    Parameters
    ----------
    fixations : the recording's fixations, in the coordinates of ``frame_size``.
    sentences : dictated sentences with word times, in report order.
    image, producer : what the reading's image and producer are.
    frame_size : (width, height) of the coordinate frame, for the heat map.
    params : key-frame clustering settings of the app method (its defaults by default).
    raw_report : the full dictation, kept for audit.
    labels : sentence -> CheXpert labels.
    warnings : problems already met, kept on the reading.
    key_frames : sentence -> its key frames, instead of the app's clustering of ``fixations`` (the caller
        then records its method in ``producer.generation["key_frames"]``).
    """
    params = params or KeyFrameParams()
    if key_frames is None:
        producer.generation.setdefault("key_frames", {"method": "app", "source": "fixations", "params": dict(params.__dict__)})
    reading = Reading(image=image, producer=producer, raw_report=raw_report, warnings=list(warnings))
    windows: list[tuple[str, float, float]] = []
    for s in sentences:
        sid, fid = new_id("s"), new_id("f")
        reading.sentences.append(Sentence(sid, s.text))
        kf = (
            key_frames(s)
            if key_frames is not None
            else cluster_key_frames(
                fixations, image_size=frame_size, t0=s.t_start - params.window_before_s, t1=s.t_end, params=params
            )
        )
        finding = Finding(
            id=fid,
            sentence_id=sid,
            text=s.text,
            labels=labels(s.text),
            observation=None if kf.observation is None else kf.observation.box,
            clues=[c.box for c in kf.clues],
        )
        if kf.observation is None:
            finding.warnings.append("no gaze in the sentence's window")
        reading.findings.append(finding)
        windows.append((fid, s.t_start, s.t_end))
    points = fixation_trajectory(
        zip(fixations.x.tolist(), fixations.y.tolist(), fixations.t_start.tolist(), fixations.t_end.tolist())
    )
    reading.trajectory = attach_to_sentences(points, windows) if windows else points
    return reading


def _box_list(path: Path, cols: dict[str, list[str]], rows: Sequence[int], names: tuple[str, str, str, str]) -> list[list[float]]:
    vals = [_floats(path, cols, n) for n in names]
    return [[float(vals[0][i]), float(vals[1][i]), float(vals[2][i]), float(vals[3][i])] for i in rows]


# -- REFLACX -------------------------------------------------------------------------------------------
def _reflacx_metadata(case_dir: Path, metadata: Path | None) -> tuple[dict[str, str] | None, Path | None]:
    candidates = [metadata] if metadata is not None else sorted(case_dir.parent.glob("metadata_phase_*.csv"))
    for meta in candidates:
        assert meta is not None
        cols = _read_csv(meta, ("id", "dicom_id", "image_size_x", "image_size_y"))
        for i, case_id in enumerate(cols["id"]):
            if case_id == case_dir.name:
                return {k: v[i] for k, v in cols.items()}, meta
    return None, None


def import_reflacx(
    case_dir: str | os.PathLike[str],
    *,
    metadata: str | os.PathLike[str] | None = None,
    params: KeyFrameParams | None = None,
    keyframes: str = "app",
) -> Reading:
    """Import one REFLACX case folder.

    Parameters
    ----------
    case_dir : the ``main_data/<id>`` folder.
    metadata : the ``metadata_phase_*.csv`` to look the case up in (default: those beside the folder).
    params : key-frame clustering settings (``app`` method).
    keyframes : ``"app"`` or ``"gazex"`` (:data:`KEYFRAME_METHODS`); ``gazex`` reads
        :func:`~gazex_viewer.core.gaze.keyframes_gazex.reflacx_gaze_path` (``gaze_data/<id>/gaze.csv``).

    Raises
    ------
    GazeImportError
        A missing or malformed file, naming it and the reason.
    """
    case_dir = Path(case_dir)
    _check_keyframes(keyframes, case_dir, "reflacx")
    if not case_dir.is_dir():
        raise GazeImportError(case_dir, "not a REFLACX case folder")
    warnings: list[str] = []
    fpath = case_dir / "fixations.csv"
    cols = _read_csv(fpath, REFLACX_FIXATION_COLUMNS)
    if not cols["x_position"]:
        raise GazeImportError(fpath, "no fixations")
    fix = FixationArray(
        x=_floats(fpath, cols, "x_position"),
        y=_floats(fpath, cols, "y_position"),
        t_start=_floats(fpath, cols, "timestamp_start_fixation"),
        t_end=_floats(fpath, cols, "timestamp_end_fixation"),
        ppd_x=_floats(fpath, cols, "angular_resolution_x_pixels_per_degree"),
        ppd_y=_floats(fpath, cols, "angular_resolution_y_pixels_per_degree"),
    )
    if np.any(fix.t_end < fix.t_start):
        i = int(np.flatnonzero(fix.t_end < fix.t_start)[0])
        raise GazeImportError(fpath, f"line {i + 2}: fixation ends before it starts")
    if np.any(fix.ppd_x <= 0) or np.any(fix.ppd_y <= 0):
        raise GazeImportError(fpath, "angular resolution (pixels per degree) must be positive")
    sentences = reflacx_sentences(case_dir / "timestamps_transcription.csv")
    raw = None
    tpath = case_dir / "transcription.txt"
    if tpath.is_file():
        raw = tpath.read_text(encoding="utf-8", errors="replace").strip()
    else:
        warnings.append("transcription.txt missing: raw report rebuilt from the word timestamps")
        raw = " ".join(s.text for s in sentences)

    meta, meta_path = _reflacx_metadata(case_dir, None if metadata is None else Path(metadata))
    if meta is not None:
        assert meta_path is not None
        try:
            width, height = int(float(meta["image_size_x"])), int(float(meta["image_size_y"]))
        except ValueError:
            raise GazeImportError(meta_path, f"case {case_dir.name}: image_size_x/y are not numbers") from None
        file_name = meta["dicom_id"] or case_dir.name
        if _truthy(meta.get("eye_tracking_data_discarded", "")):
            warnings.append("REFLACX marks this case's eye-tracking data as discarded")
    else:
        warnings.append("no REFLACX metadata row for this case: image size taken from the shown area")
        shown = [c for c in ("xmax_shown_from_image", "ymax_shown_from_image") if c in cols]
        if len(shown) == 2:
            width = int(np.max(_floats(fpath, cols, shown[0])))
            height = int(np.max(_floats(fpath, cols, shown[1])))
        else:
            width, height = int(np.ceil(fix.x.max() + 1)), int(np.ceil(fix.y.max() + 1))
        file_name = case_dir.name

    fix = _inside(fix, width, height, warnings)
    recording: dict[str, Any] = {"case_id": case_dir.name}
    cpath = case_dir / "chest_bounding_box.csv"
    if cpath.is_file():
        ccols = _read_csv(cpath, ("xmin", "ymin", "xmax", "ymax"))
        if ccols["xmin"]:
            recording["chest_box"] = _box_list(cpath, ccols, [0], ("xmin", "ymin", "xmax", "ymax"))[0]
    epath = case_dir / "anomaly_location_ellipses.csv"
    if epath.is_file():
        ecols = _read_csv(epath, ("xmin", "ymin", "xmax", "ymax", "certainty"))
        boxes = _box_list(epath, ecols, range(len(ecols["xmin"])), ("xmin", "ymin", "xmax", "ymax"))
        certainty = _floats(epath, ecols, "certainty")
        label_cols = [c for c in ecols if c not in ("xmin", "ymin", "xmax", "ymax", "certainty", "id", "")]
        recording["anomaly_ellipses"] = [
            {
                "box": boxes[i],
                "certainty": float(certainty[i]),
                "labels": [c for c in label_cols if _truthy(ecols[c][i])],
            }
            for i in range(len(boxes))
        ]
    producer = Producer(kind="expert", name="REFLACX", dataset="REFLACX", reader_id=None, coordinate_frame="original")
    if meta is not None:
        for key in ("radiologist", "reader", "reader_id", "user"):
            if meta.get(key):
                producer.reader_id = meta[key]
                break
        recording.update({k: meta[k] for k in ("subject_id", "split", "image") if k in meta})
    producer.generation = {"recording": recording}
    image = ImageRef(file_name=file_name, width=width, height=height, pixel_sha256=UNKNOWN_PIXEL_SHA256)
    fn = None
    if keyframes == "gazex":
        from gazex_viewer.core.gaze.keyframes_gazex import reflacx_gazex_method

        fn = reflacx_gazex_method(case_dir, (width, height), producer.generation)
    return build_expert_reading(
        fix, sentences, image=image, producer=producer, frame_size=(width, height), params=params,
        raw_report=raw, warnings=warnings, key_frames=fn,
    )


def _check_keyframes(keyframes: str, where: str | os.PathLike[str], fmt: str) -> None:
    if keyframes not in KEYFRAME_METHODS:
        raise GazeImportError(where, f"unknown key-frame method {keyframes!r} (choose one of {', '.join(KEYFRAME_METHODS)})")
    if keyframes == "gazex" and fmt != "reflacx":
        raise GazeImportError(where, "the gazex key-frame method needs raw gaze samples: REFLACX only (gaze_data/<id>/gaze.csv)")


def import_reflacx_tree(
    src: str | os.PathLike[str], *, params: KeyFrameParams | None = None, keyframes: str = "app"
) -> list[Reading]:
    """Import a REFLACX case folder, or every case folder (one holding ``fixations.csv``) under ``src``."""
    src = Path(src)
    _check_keyframes(keyframes, src, "reflacx")
    if (src / "fixations.csv").is_file():
        return [import_reflacx(src, params=params, keyframes=keyframes)]
    cases = sorted(p.parent for p in src.glob("*/fixations.csv"))
    if not cases:
        raise GazeImportError(src, "no REFLACX case folder (a folder with fixations.csv) found")
    return [import_reflacx(c, params=params, keyframes=keyframes) for c in cases]


# -- EGD-CXR --------------------------------------------------------------------------------------------
def _egd_transcript(src: Path, dicom_id: str, single: bool) -> Path | None:
    for p in (
        src / "audio_segmentation_transcripts" / dicom_id / "transcript.json",
        src / dicom_id / "transcript.json",
    ):
        if p.is_file():
            return p
    if single and (src / "transcript.json").is_file():
        return src / "transcript.json"
    return None


def _egd_ppd(img: np.ndarray, screen: np.ndarray, degrees: float) -> float | None:
    """Image pixels per degree from a least-squares fit of image coordinate on screen coordinate (0..1)."""
    if len(img) < 2 or np.ptp(screen) < 1e-3:
        return None
    slope = float(np.polyfit(screen, img, 1)[0])
    if not math.isfinite(slope) or abs(slope) < 1e-6:
        return None
    return abs(slope) / degrees


def import_egd(
    src: str | os.PathLike[str],
    *,
    image_size: tuple[int, int] | None = None,
    params: KeyFrameParams | None = None,
) -> list[Reading]:
    """Import EGD-CXR recordings: one reading per DICOM_ID of ``src/fixations.csv``.

    Parameters
    ----------
    src : the folder holding ``fixations.csv`` (or the CSV itself).
    image_size : (width, height) of the images when known (EGD-CXR does not record it).
    params : key-frame clustering settings.
    """
    src = Path(src)
    fpath = src if src.is_file() else src / "fixations.csv"
    root = fpath.parent
    cols = _read_csv(fpath, EGD_FIXATION_COLUMNS)
    if not cols["DICOM_ID"]:
        raise GazeImportError(fpath, "no fixations")
    t = _floats(fpath, cols, "Time (in secs)")
    dur = _floats(fpath, cols, "FPOGD")
    if np.any(dur < 0):
        raise GazeImportError(fpath, f"line {int(np.flatnonzero(dur < 0)[0]) + 2}: negative FPOGD")
    fx, fy = _floats(fpath, cols, "FPOGX"), _floats(fpath, cols, "FPOGY")
    xo, yo = _floats(fpath, cols, "X_ORIGINAL"), _floats(fpath, cols, "Y_ORIGINAL")
    valid = np.ones(len(t), dtype=bool)
    if "FPOGV" in cols:
        valid = np.array([_truthy(v) for v in cols["FPOGV"]])
    ids = cols["DICOM_ID"]
    order = list(dict.fromkeys(ids))
    boxes_by_id: dict[str, list[dict[str, Any]]] = {}
    bpath = root / "bounding_boxes.csv"
    if bpath.is_file():
        bcols = _read_csv(bpath, ("dicom_id", "bbox_name", "x1", "x2", "y1", "y2"))
        bx = _box_list(bpath, bcols, range(len(bcols["dicom_id"])), ("x1", "y1", "x2", "y2"))
        for i, d in enumerate(bcols["dicom_id"]):
            boxes_by_id.setdefault(d, []).append({"name": bcols["bbox_name"][i], "box": bx[i]})
    readings: list[Reading] = []
    for dicom_id in order:
        sel = np.array([d == dicom_id for d in ids]) & valid
        warnings: list[str] = []
        if not sel.any():
            continue
        n = int(sel.sum())
        ppd_x = _egd_ppd(xo[sel], fx[sel], EGD_SCREEN_DEGREES[0])
        ppd_y = _egd_ppd(yo[sel], fy[sel], EGD_SCREEN_DEGREES[1])
        anatomy = boxes_by_id.get(dicom_id, [])
        if image_size is not None:
            width, height = int(image_size[0]), int(image_size[1])
        else:
            ext_x = [float(xo[sel].max())] + [b["box"][2] for b in anatomy]
            ext_y = [float(yo[sel].max())] + [b["box"][3] for b in anatomy]
            width, height = int(math.ceil(max(ext_x) * 1.05 + 1.0)), int(math.ceil(max(ext_y) * 1.05 + 1.0))
            warnings.append(
                f"image size unknown (EGD-CXR does not record it): {width} x {height} estimated from the fixations "
                "and anatomy boxes; give the real size with --image-size"
            )
        frame = (float(width), float(height))
        if ppd_x is None or ppd_y is None:
            ppd_x = ppd_y = max(frame) / ASSUMED_IMAGE_DEGREES
            warnings.append(f"pixels per degree assumed: image spans {ASSUMED_IMAGE_DEGREES:g} degrees")
        fix = FixationArray(xo[sel], yo[sel], t[sel], t[sel] + dur[sel], np.full(n, ppd_x), np.full(n, ppd_y))
        fix = _inside(fix, width, height, warnings)
        tpath = _egd_transcript(root, dicom_id, single=len(order) == 1)
        if tpath is None:
            sentences: list[DictatedSentence] = []
            raw = None
            warnings.append("no transcript.json found: no sentences")
        else:
            sentences, raw = egd_sentences(tpath)
        recording: dict[str, Any] = {
            "dicom_id": dicom_id,
            "pixels_per_degree": [ppd_x, ppd_y],
            "image_size_estimated": image_size is None,
        }
        if anatomy:
            recording["anatomy_boxes"] = anatomy
            lungs = [b["box"] for b in anatomy if "lung" in b["name"].lower()] or [b["box"] for b in anatomy]
            recording["chest_box"] = [
                min(b[0] for b in lungs), min(b[1] for b in lungs), max(b[2] for b in lungs), max(b[3] for b in lungs)
            ]
        producer = Producer(
            kind="expert", name="EGD-CXR", dataset="EGD-CXR", reader_id=None, coordinate_frame="original",
            generation={"recording": recording},
        )
        image = ImageRef(file_name=dicom_id, width=width, height=height, pixel_sha256=UNKNOWN_PIXEL_SHA256)
        readings.append(
            build_expert_reading(
                fix, sentences, image=image, producer=producer, frame_size=frame, params=params,
                raw_report=raw, warnings=warnings,
            )
        )
    if not readings:
        raise GazeImportError(fpath, "no valid fixation (FPOGV) in the file")
    return readings


# -- GazeSearch -----------------------------------------------------------------------------------------
_CHEXPERT_BY_LOWER = {o.lower(): o for o in CHEXPERT_OBSERVATIONS}


def gazesearch_sentence(task: str) -> str:
    """The one sentence of a GazeSearch reading: the finding searched for, ``"<finding> present"``."""
    return f"{task} present"


def import_gazesearch(
    path: str | os.PathLike[str],
    *,
    image_size: tuple[int, int] | None = None,
    params: KeyFrameParams | None = None,
    key_frames: bool = True,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Reading]:
    """Import GazeSearch scanpaths: one reading per (image, finding) search.

    Parameters
    ----------
    path : the scanpath JSON (a list of objects with name, task, X, Y, T).
    image_size : the original (width, height) of the images when the user knows it; coordinates are
        then scaled from the 224 x 224 frame (x * W / 224). By default readings stay in the 224 frame
        (``ImageRef`` 224 x 224, ``producer.coordinate_frame = "gazesearch-224"``).
    params : key-frame clustering settings (one window spanning the whole scanpath).
    key_frames : cluster each scanpath into key frames (findings' boxes); off for a fast import.
    limit : import only the first ``limit`` scanpaths.
    progress : called with (done, total) after each scanpath.

    Returns
    -------
    list of Reading
        Each with one sentence, ``"<finding> present"``, labelled with the CheXpert observation searched.
        Fixations outside the frame are dropped (their real times are kept for the others), with a
        warning on the reading that counts them.

    Raises
    ------
    GazeImportError
        A malformed file or scanpath, or a scanpath with no fixation inside the frame (naming the file,
        the scanpath index and the reason).
    """
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, list):
        raise GazeImportError(path, "expected a JSON list of scanpaths")
    if not data:
        raise GazeImportError(path, "no scanpaths in the file")
    params = params or KeyFrameParams()
    w = GAZESEARCH_FRAME if image_size is None else int(image_size[0])
    h = GAZESEARCH_FRAME if image_size is None else int(image_size[1])
    sx, sy = w / GAZESEARCH_FRAME, h / GAZESEARCH_FRAME
    readings: list[Reading] = []
    items = data[:limit] if limit is not None else data
    for i, sp in enumerate(items):
        if progress is not None and i:
            progress(i, len(items))
        if not isinstance(sp, dict) or any(k not in sp for k in GAZESEARCH_KEYS):
            raise GazeImportError(path, f"scanpath {i}: needs keys {', '.join(GAZESEARCH_KEYS)}")
        try:
            xs = np.asarray(sp["X"], dtype=np.float64) * sx
            ys = np.asarray(sp["Y"], dtype=np.float64) * sy
            ts = np.asarray(sp["T"], dtype=np.float64)
        except (TypeError, ValueError):
            raise GazeImportError(path, f"scanpath {i}: X, Y and T must be lists of numbers") from None
        if not (xs.ndim == ys.ndim == ts.ndim == 1 and len(xs) == len(ys) == len(ts)) or len(xs) == 0:
            raise GazeImportError(path, f"scanpath {i}: X, Y and T must be non-empty lists of equal length")
        if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(ys)) and np.all(np.isfinite(ts))) or np.any(ts < 0):
            raise GazeImportError(path, f"scanpath {i}: non-finite coordinate or negative duration")
        t_end = np.cumsum(ts)
        t_start = t_end - ts
        warnings: list[str] = []
        inside = (xs >= 0) & (xs <= w) & (ys >= 0) & (ys <= h)
        if not inside.any():
            raise GazeImportError(
                path, f"scanpath {i} ({sp['name']}, {sp['task']}): all {len(xs)} fixation(s) lie outside the {w} x {h} frame"
            )
        if not inside.all():
            # real times kept: a dropped fixation leaves a gap in the back-to-back clock
            warnings.append(f"{int((~inside).sum())} of {len(xs)} fixation(s) outside the image dropped")
            xs, ys, t_start, t_end = xs[inside], ys[inside], t_start[inside], t_end[inside]
        n = len(xs)
        ppd_x, ppd_y = w / ASSUMED_IMAGE_DEGREES, h / ASSUMED_IMAGE_DEGREES
        fix = FixationArray(xs, ys, t_start, t_end, np.full(n, ppd_x), np.full(n, ppd_y))
        task = str(sp["task"])
        text = gazesearch_sentence(task)
        obs = _CHEXPERT_BY_LOWER.get(task.lower())
        producer = Producer(
            kind="expert",
            name="GazeSearch",
            dataset="GazeSearch",
            reader_id=None,
            coordinate_frame="gazesearch-224" if image_size is None else "original",
            generation={
                "recording": {
                    "task": task,
                    "split": sp.get("split"),
                    "index": i,
                    "frame": f"{w}x{h}" + (" (GazeSearch's 224 x 224 resize, aspect not kept)" if image_size is None else ""),
                }
            },
        )
        image = ImageRef(file_name=str(sp["name"]), width=w, height=h, pixel_sha256=UNKNOWN_PIXEL_SHA256)
        sentence = DictatedSentence(text, float(t_start[0]), float(t_end[-1]))
        label_fn: Callable[[str], list[Label]] = (lambda _t, o=obs: [Label(o, "positive")] if o else [])
        if key_frames:
            readings.append(
                build_expert_reading(
                    fix, [sentence], image=image, producer=producer, frame_size=(w, h),
                    params=KeyFrameParams(**{**params.__dict__, "window_before_s": 0.0}), labels=label_fn,
                    warnings=warnings,
                )
            )
        else:
            sid, fid = new_id("s"), new_id("f")
            producer.generation["key_frames"] = {"method": "none"}
            reading = Reading(image=image, producer=producer, sentences=[Sentence(sid, text)], warnings=warnings)
            reading.findings.append(Finding(id=fid, sentence_id=sid, text=text, labels=label_fn(text)))
            reading.trajectory = fixation_trajectory(
                zip(xs.tolist(), ys.tolist(), t_start.tolist(), t_end.tolist()), finding_ids=[fid] * n
            )
            readings.append(reading)
    return readings


def import_gaze(
    fmt: str,
    src: str | os.PathLike[str],
    *,
    image_size: tuple[int, int] | None = None,
    params: KeyFrameParams | None = None,
    key_frames: bool = True,
    progress: Callable[[int, int], None] | None = None,
    keyframes: str = "app",
) -> list[Reading]:
    """Import recordings of one of :data:`FORMATS` (``reflacx``, ``egd``, ``gazesearch``) from ``src``.

    ``keyframes`` is the key-frame method (:data:`KEYFRAME_METHODS`); ``gazex`` is for REFLACX only.

    Raises
    ------
    GazeImportError
        An unknown format, or bad input (naming the file and the reason).
    """
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise GazeImportError(src, f"unknown format {fmt!r} (choose one of {', '.join(FORMATS)})")
    src = Path(src)
    _check_keyframes(keyframes, src, fmt)
    if not src.exists():
        raise GazeImportError(src, "not found")
    if fmt == "reflacx":
        if src.is_file():
            raise GazeImportError(src, "REFLACX input is a case folder (or a folder of case folders), not a file")
        return import_reflacx_tree(src, params=params, keyframes=keyframes)
    if fmt == "egd":
        return import_egd(src, image_size=image_size, params=params)
    if src.is_dir():
        raise GazeImportError(src, "GazeSearch input is a scanpath JSON file, not a folder")
    return import_gazesearch(src, image_size=image_size, params=params, key_frames=key_frames, progress=progress)
