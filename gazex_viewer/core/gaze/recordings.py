"""What the eye-tracking importers share: readers of the datasets' CSV and JSON files, the dictated
sentence, and :func:`build_expert_reading` (fixations and sentences -> an expert
:class:`~gazex_viewer.core.reading.document.Reading`, see :mod:`gazex_viewer.core.gaze.importers`).

The dataset constants (columns, assumed visual angles, key-frame methods) live here too, so each
dataset module (:mod:`~gazex_viewer.core.gaze.reflacx`, :mod:`~gazex_viewer.core.gaze.egd`,
:mod:`~gazex_viewer.core.gaze.gazesearch`) reads them from one place.
"""

from __future__ import annotations

import csv
import json
import math
import os
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

#: how expert key frames are built: ``app`` (fixations, the app's grid) or ``gazex`` (raw samples, GazeX's script)
KEYFRAME_METHODS: tuple[str, ...] = ("app", "gazex")
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


def _labels_for(text: str) -> list[Label]:
    """CheXpert labels of a sentence, from the reading engineer's labeller when it is available."""
    try:
        from gazex_viewer.core.reading.labels import label_sentence  # type: ignore[import-not-found]
    except ImportError:
        return []
    try:
        labels = label_sentence(text)
    except Exception:  # noqa: BLE001 - the labeller must never break an import
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


def _check_keyframes(keyframes: str, where: str | os.PathLike[str], fmt: str) -> None:
    if keyframes not in KEYFRAME_METHODS:
        raise GazeImportError(where, f"unknown key-frame method {keyframes!r} (choose one of {', '.join(KEYFRAME_METHODS)})")
    if keyframes == "gazex" and fmt != "reflacx":
        raise GazeImportError(where, "the gazex key-frame method needs raw gaze samples: REFLACX only (gaze_data/<id>/gaze.csv)")

