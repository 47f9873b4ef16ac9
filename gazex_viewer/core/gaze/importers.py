"""Import real radiologists' eye-tracking recordings as :class:`~gazex_viewer.core.reading.document.Reading` s.

This module is the front door (:func:`import_gaze`, :data:`FORMATS`); each dataset lives in its own
module (:mod:`~gazex_viewer.core.gaze.reflacx`, :mod:`~gazex_viewer.core.gaze.egd`,
:mod:`~gazex_viewer.core.gaze.gazesearch`) over the shared readers of
:mod:`~gazex_viewer.core.gaze.recordings`; their public names are re-exported here.

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
- Unknown pixel hash: :data:`~gazex_viewer.core.reading.identity.UNKNOWN_PIXEL_SHA256` (64 zeros); unknown image size (EGD-CXR without
  ``--image-size``): the extent of the fixations and anatomy boxes plus 5 %, with a warning.
- Fixations outside the image (when its size is known) are dropped, with a warning that counts them,
  so every reading is valid against ``resources/reading.schema.json``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from gazex_viewer.core.errors import GazeImportError
from gazex_viewer.core.gaze.clustering import KeyFrameParams
from gazex_viewer.core.gaze.egd import egd_sentences, import_egd
from gazex_viewer.core.gaze.gazesearch import gazesearch_sentence, import_gazesearch
from gazex_viewer.core.gaze.recordings import (
    ASSUMED_IMAGE_DEGREES,
    EGD_SCREEN_DEGREES,
    KEYFRAME_METHODS,
    DictatedSentence,
    _check_keyframes,
    build_expert_reading,
)
from gazex_viewer.core.gaze.reflacx import (
    import_reflacx,
    import_reflacx_tree,
    reflacx_sentences,
)
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.identity import UNKNOWN_PIXEL_SHA256

__all__ = [
    "ASSUMED_IMAGE_DEGREES",
    "EGD_SCREEN_DEGREES",
    "FORMATS",
    "KEYFRAME_METHODS",
    "UNKNOWN_PIXEL_SHA256",
    "DictatedSentence",
    "build_expert_reading",
    "egd_sentences",
    "gazesearch_sentence",
    "import_egd",
    "import_gaze",
    "import_gazesearch",
    "import_reflacx",
    "import_reflacx_tree",
    "reflacx_sentences",
]

FORMATS: tuple[str, ...] = ("reflacx", "egd", "gazesearch")


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
