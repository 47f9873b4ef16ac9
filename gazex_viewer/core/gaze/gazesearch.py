"""GazeSearch scanpath JSON as expert readings (layout in ``../shared/data/gaze/FORMATS.md``).

Owns the GazeSearch side of :mod:`gazex_viewer.core.gaze.importers`: :func:`import_gazesearch` and the
one sentence of such a reading (:func:`gazesearch_sentence`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gazex_viewer.core.errors import GazeImportError
from gazex_viewer.core.gaze.clustering import (
    FixationArray,
    KeyFrameParams,
)
from gazex_viewer.core.gaze.recordings import (
    ASSUMED_IMAGE_DEGREES,
    GAZESEARCH_FRAME,
    GAZESEARCH_KEYS,
    DictatedSentence,
    _read_json,
    build_expert_reading,
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
from gazex_viewer.core.reading.identity import UNKNOWN_PIXEL_SHA256
from gazex_viewer.core.reading.trajectory import (
    fixation_trajectory,
)

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

        def label_fn(_text: str, o: str | None = obs) -> list[Label]:
            return [Label(o, "positive")] if o else []

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
