"""Agreement between two readings of one film: model vs expert, expert vs expert, trainee vs either.

Every metric works on a :class:`Scanpath` (points with start and end times) in coordinates normalised to
the reading's own image frame (x / width, y / height), so a GazeSearch reading in its 224 x 224 frame and a
reading in original pixels compare directly. For an expert reading the scanpath is its fixations; for a
model reading (no fixations) it is its key frames, 1 s each. Key frames proper (cluster centroids: for each
finding its clue centroids, then its observation centroid) are :func:`key_frames_of`.

Metrics (each its own function, formula in its docstring):

==========================  ==========================================================  ===============
key                         what                                                        range / better
==========================  ==========================================================  ===============
icc_x, icc_y                ICC(2,1) of key-frame centroids paired by order (k with k)  <=1, higher
icc_x_matched, icc_y_ma...  ICC(2,1) after nearest-partner (Hungarian) matching:        <=1, higher
                            biased upwards, a secondary figure only
density_cosine              cosine of duration-weighted, 1-degree-smoothed gaze         0..1, higher
                            density grids
cc                          Pearson correlation of Gaussian fixation maps               -1..1, higher
edit_distance               Levenshtein distance of 5 x 5 grid strings (GazeSearch)     >=0, lower
edit_similarity             1 - edit_distance / longer string length                    0..1, higher
mm_vector ... mm_duration   MultiMatch-style shape similarities                         0..1, higher
zone_jaccard                Jaccard index of the ABCDEF zones visited                   0..1, higher
zone_order_similarity       1 - Levenshtein(first-visit orders) / longer length         0..1, higher
==========================  ==========================================================  ===============

A metric that cannot be computed (too few points, a reader whose key frames do not vary) is ``nan``;
:func:`why_undefined` says why.

Reading the ICC
---------------
The primary ICC pairs key frame k of A with key frame k of B (GazeX's key frames are time-ordered
clusters, so the k-th of each are "the k-th place looked at"). The matched ICC first pairs every centroid
with its nearest partner (:func:`match_points`) and then asks how well the pairs agree: that pairing
chooses the pairs that agree best, so it scores high even for unrelated gaze on one film (GazeSearch:
searches for *different* findings on the same image pool to ICC x 0.73 / y 0.55 after matching).
The metrics live by kind in :mod:`~gazex_viewer.core.gaze.scanpath` (what is compared),
:mod:`~gazex_viewer.core.gaze.icc` and :mod:`~gazex_viewer.core.gaze.scanpath_metrics`; this module
combines them (:func:`agreement`, :func:`sentence_agreement`), says what a number means and whether two
readings are of one film, and re-exports their names.

Neither ICC says anything when the two readings are of different films (:func:`film_mismatch`). Read
every figure against the reference scale of real radiologists' gaze (``resources/agreement_baselines.json``,
:mod:`gazex_viewer.core.gaze.baselines`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gazex_viewer.core.gaze.icc import (
    centroid_icc,
    icc_2_1,
    icc_undefined_reason,
    match_points,
    matched_icc,
    ordered_icc,
)
from gazex_viewer.core.gaze.scanpath import (
    Scanpath,
    chest_box_of,
    frame_size,
    key_frames_of,
    scanpath_of,
)
from gazex_viewer.core.gaze.scanpath_metrics import (
    DENSITY_SIGMA,
    density_cosine,
    density_grid,
    fixation_map,
    fixation_map_cc,
    levenshtein,
    multimatch,
    scanpath_string,
    string_edit_distance,
    zone_agreement,
)
from gazex_viewer.core.gaze.zones import ChestBox, default_chest_box
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.identity import known_pixel_hash, pixel_match

__all__ = [
    "COUNT_KEYS",
    "DENSITY_SIGMA",
    "METRIC_KEYS",
    "Scanpath",
    "SentenceAgreement",
    "agreement",
    "centroid_icc",
    "chest_box_of",
    "density_cosine",
    "density_grid",
    "film_mismatch",
    "fixation_map",
    "fixation_map_cc",
    "frame_size",
    "icc_2_1",
    "icc_undefined_reason",
    "key_frames_of",
    "keyframe_method",
    "levenshtein",
    "match_points",
    "matched_icc",
    "multimatch",
    "ordered_icc",
    "scanpath_agreement",
    "scanpath_of",
    "scanpath_string",
    "sentence_agreement",
    "string_edit_distance",
    "why_undefined",
    "zone_agreement",
]

METRIC_KEYS: tuple[str, ...] = (
    "icc_x",
    "icc_y",
    "icc_x_matched",
    "icc_y_matched",
    "density_cosine",
    "cc",
    "edit_distance",
    "edit_similarity",
    "mm_vector",
    "mm_direction",
    "mm_length",
    "mm_position",
    "mm_duration",
    "zone_jaccard",
    "zone_order_similarity",
)
#: the counts that come with the metrics: key frames paired by order, and matched one to one
COUNT_KEYS: tuple[str, ...] = ("n_paired", "n_matched")
_NAN = float("nan")


# -- everything ---------------------------------------------------------------------------------------------------
def scanpath_agreement(
    a: Scanpath,
    b: Scanpath,
    *,
    key_a: np.ndarray | None = None,
    key_b: np.ndarray | None = None,
    chest_a: ChestBox | None = None,
    chest_b: ChestBox | None = None,
    grid: tuple[int, int] = (16, 16),
    string_grid: int = 5,
) -> dict[str, float]:
    """All metrics of two normalised scanpaths (key frames for the ICC default to the scanpath points).

    ``icc_x``/``icc_y`` pair key frames by order (:func:`ordered_icc`, with ``n_paired``);
    ``icc_x_matched``/``icc_y_matched`` after nearest-partner matching (:func:`centroid_icc`, biased
    upwards, with ``n_matched``).
    """
    ka = a.xy if key_a is None else key_a
    kb = b.xy if key_b is None else key_b
    icc_x, icc_y, n_paired = ordered_icc(ka, kb)
    mx, my, n = centroid_icc(ka, kb)
    dist, sim = string_edit_distance(a, b, string_grid)
    zones = zone_agreement(a, b, chest_a or default_chest_box(1.0, 1.0), chest_b or default_chest_box(1.0, 1.0))
    out: dict[str, float] = {
        "icc_x": icc_x,
        "icc_y": icc_y,
        "n_paired": float(n_paired),
        "icc_x_matched": mx,
        "icc_y_matched": my,
        "n_matched": float(n),
        "density_cosine": density_cosine(a, b, grid),
        "cc": fixation_map_cc(a, b),
        "edit_distance": float(dist) if (len(a) or len(b)) else _NAN,
        "edit_similarity": sim,
    }
    out.update(multimatch(a, b))
    out["zone_jaccard"] = float(zones["zone_jaccard"])
    out["zone_order_similarity"] = float(zones["zone_order_similarity"])
    return out


def agreement(a: Reading, b: Reading, *, grid: tuple[int, int] = (16, 16)) -> dict[str, float]:
    """Whole-film agreement of two readings: every metric of the module table, plus ``n_paired`` and ``n_matched``.

    The numbers mean nothing about agreement on a film when the readings are of different films: check
    :func:`film_mismatch` first.
    """
    return scanpath_agreement(
        scanpath_of(a),
        scanpath_of(b),
        key_a=key_frames_of(a),
        key_b=key_frames_of(b),
        chest_a=chest_box_of(a),
        chest_b=chest_box_of(b),
        grid=grid,
    )


@dataclass
class SentenceAgreement:
    """Agreement on one sentence both readings share."""

    text: str
    finding_a: str
    finding_b: str
    metrics: dict[str, float] = field(default_factory=dict)


def _sentence_key(text: str) -> str:
    from gazex_viewer.core.reading.report_text import normalise_sentence

    return normalise_sentence(text).lower()


def sentence_agreement(a: Reading, b: Reading, *, grid: tuple[int, int] = (16, 16)) -> list[SentenceAgreement]:
    """Per-sentence agreement for the sentences that match.

    Two findings match when their normalised texts are equal (case, final period and spacing ignored), or,
    failing that, when their sets of positive CheXpert labels are equal and non-empty; each finding is
    matched at most once, in report order of A.
    """
    used: set[str] = set()
    out: list[SentenceAgreement] = []
    chest_a, chest_b = chest_box_of(a), chest_box_of(b)

    def labels(f: object) -> frozenset[str]:
        return frozenset(lab.observation for lab in f.labels if lab.status == "positive")  # type: ignore[attr-defined]

    for fa in a.findings:
        match = next((fb for fb in b.findings if fb.id not in used and _sentence_key(fb.text) == _sentence_key(fa.text)), None)
        if match is None and labels(fa):
            match = next((fb for fb in b.findings if fb.id not in used and labels(fb) == labels(fa)), None)
        if match is None:
            continue
        used.add(match.id)
        metrics = scanpath_agreement(
            scanpath_of(a, finding_id=fa.id),
            scanpath_of(b, finding_id=match.id),
            key_a=key_frames_of(a, finding_id=fa.id),
            key_b=key_frames_of(b, finding_id=match.id),
            chest_a=chest_a,
            chest_b=chest_b,
            grid=grid,
        )
        out.append(SentenceAgreement(fa.text, fa.id, match.id, metrics))
    return out


# -- what a number means -------------------------------------------------------------------------------------------
def why_undefined(key: str, metrics: dict[str, float]) -> str:
    """Why ``metrics[key]`` is nan, in a few words (empty when it is a number).

    ``metrics`` is a dictionary returned by :func:`scanpath_agreement` (or :func:`agreement`).
    """
    v = metrics.get(key, _NAN)
    if math.isfinite(v):
        return ""
    if key in ("icc_x", "icc_y", "icc_x_matched", "icc_y_matched"):
        n = metrics.get("n_matched" if key.endswith("_matched") else "n_paired", _NAN)
        if not math.isfinite(n) or n < 2:
            return f"{0 if not math.isfinite(n) else int(n)} key frame pair(s): ICC needs at least 2"
        axis = key[4]
        return f"one reading's key frames do not vary in {axis} (a single place): ICC measures nothing"
    if key in ("density_cosine", "cc", "edit_distance", "edit_similarity"):
        return "a reading has no gaze points (or a constant map)"
    if key.startswith("mm_"):
        return "needs at least 2 points in each reading"
    if key.startswith("zone_"):
        return "neither reading visits a chest zone"
    return "cannot be computed"


def _image_stem(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().lower()
    for ext in (".dcm", ".dicom", ".png", ".jpg", ".jpeg", ".tif", ".tiff"):
        if base.endswith(ext):
            return base[: -len(ext)]
    return base


def film_mismatch(a: Reading, b: Reading) -> str | None:
    """Why ``a`` and ``b`` are readings of different films, or None when nothing says they differ.

    Different when both pixel hashes are known (not empty, not 64 zeros) and differ; when a hash is
    unknown, when both SOP Instance UIDs are known and differ, or else when the image file names differ
    (compared without folder, case or image extension, so a GazeSearch ``<dicom_id>.jpg`` and a REFLACX
    ``<dicom_id>`` are the same film). Agreement between readings of different films measures nothing
    about agreement on a film.
    """
    same = pixel_match(a.image.pixel_sha256, b.image.pixel_sha256)
    if same == "differs":
        ha, hb = (known_pixel_hash(r.image.pixel_sha256) or "" for r in (a, b))
        return f"the pixel hashes differ ({ha[:12]}… vs {hb[:12]}…)"
    if same == "match":
        return None
    ua, ub = a.image.sop_instance_uid, b.image.sop_instance_uid
    if ua and ub:
        return None if ua == ub else f"the SOP Instance UIDs differ ({ua} vs {ub})"
    if _image_stem(a.image.file_name) != _image_stem(b.image.file_name):
        return f"the image names differ ({a.image.file_name} vs {b.image.file_name}; pixel hash unknown)"
    return None


#: what ``producer.generation["key_frames"]["method"]`` of an expert reading may say, in words for ``compare``
KEYFRAME_METHOD_NAMES: dict[str, str] = {
    "app": "app (fixations, the app's clustering)",
    "gazex": "gazex (raw samples, GazeX's script)",
    "none": "none (no key frames)",
}


def keyframe_method(reading: Reading) -> str:
    """How the reading's key frames (clue and observation boxes) were made, for ``compare``.

    ``"model (GazeX answers)"`` for a model reading; for a trainee, ``"trainee clicks"``; otherwise the method the
    importer recorded (``app``, ``gazex``, ``none``: see :data:`KEYFRAME_METHOD_NAMES`), or ``"unknown"`` for a
    reading made before methods were recorded. Readings whose key frames were made differently are not measured
    on the same ruler: ``app`` expert boxes are smaller than GazeX's training targets.
    """
    kind = reading.producer.kind
    if kind == "model":
        return "model (GazeX answers)"
    if kind == "trainee":
        return "trainee clicks"
    kf = reading.producer.generation.get("key_frames")
    method = kf.get("method") if isinstance(kf, dict) else None
    return method if isinstance(method, str) and method in KEYFRAME_METHOD_NAMES else "unknown"
