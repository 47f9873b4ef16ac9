"""EGD-CXR recordings as expert readings (layout in ``../shared/data/gaze/FORMATS.md``).

Owns the EGD-CXR side of :mod:`gazex_viewer.core.gaze.importers`: transcript sentences
(:func:`egd_sentences`), the fitted pixels-per-degree, and :func:`import_egd`.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from gazex_viewer.core.errors import GazeImportError
from gazex_viewer.core.gaze.clustering import (
    FixationArray,
    KeyFrameParams,
)
from gazex_viewer.core.gaze.recordings import (
    ASSUMED_IMAGE_DEGREES,
    EGD_FIXATION_COLUMNS,
    EGD_SCREEN_DEGREES,
    DictatedSentence,
    _box_list,
    _floats,
    _inside,
    _read_csv,
    _read_json,
    _truthy,
    build_expert_reading,
)
from gazex_viewer.core.reading.document import (
    ImageRef,
    Producer,
    Reading,
)
from gazex_viewer.core.reading.identity import UNKNOWN_PIXEL_SHA256


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
            width, height = math.ceil(max(ext_x) * 1.05 + 1.0), math.ceil(max(ext_y) * 1.05 + 1.0)
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

