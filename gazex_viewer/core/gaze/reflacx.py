"""REFLACX case folders as expert readings (layout in ``../shared/data/gaze/FORMATS.md``).

Owns the REFLACX side of :mod:`gazex_viewer.core.gaze.importers`: the dictated sentences of
``timestamps_transcription.csv`` (:func:`reflacx_sentences`), one case (:func:`import_reflacx`) and a
``main_data`` folder of cases (:func:`import_reflacx_tree`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from gazex_viewer.core.errors import GazeImportError
from gazex_viewer.core.gaze.clustering import (
    FixationArray,
    KeyFrameParams,
)
from gazex_viewer.core.gaze.recordings import (
    REFLACX_FIXATION_COLUMNS,
    REFLACX_WORD_COLUMNS,
    DictatedSentence,
    _box_list,
    _check_keyframes,
    _floats,
    _inside,
    _read_csv,
    _truthy,
    build_expert_reading,
)
from gazex_viewer.core.reading.document import (
    ImageRef,
    Producer,
    Reading,
)
from gazex_viewer.core.reading.identity import UNKNOWN_PIXEL_SHA256


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

