"""Human names and units of the agreement metrics, for plots, tables and the command line.

The internal keys (``cc``, ``mm_position``, ...) are those of :data:`gazex_viewer.core.gaze.agreement.METRIC_KEYS`
and :data:`~gazex_viewer.core.gaze.agreement.COUNT_KEYS`; a reader sees :func:`metric_label` instead.
"""

from __future__ import annotations

#: key -> (human name, unit or range with its direction)
METRIC_INFO: dict[str, tuple[str, str]] = {
    "icc_x": ("ICC x of cluster centroids", "≤1, higher = closer"),
    "icc_y": ("ICC y of cluster centroids", "≤1, higher = closer"),
    "icc_x_matched": ("ICC x, nearest-partner matched", "≤1, biased upwards"),
    "icc_y_matched": ("ICC y, nearest-partner matched", "≤1, biased upwards"),
    "n_paired": ("Key frames paired by order", "count"),
    "n_matched": ("Key frames matched", "count"),
    "density_cosine": ("Gaze density similarity (cosine)", "0–1, higher = closer"),
    "cc": ("Fixation-map correlation (CC)", "−1–1, higher = closer"),
    "edit_distance": ("Scanpath edit distance (5×5 grid)", "edits, lower = closer"),
    "edit_similarity": ("Scanpath similarity (1 − edit distance)", "0–1, higher = closer"),
    "mm_vector": ("MultiMatch shape", "0–1, higher = closer"),
    "mm_direction": ("MultiMatch direction", "0–1, higher = closer"),
    "mm_length": ("MultiMatch saccade length", "0–1, higher = closer"),
    "mm_position": ("MultiMatch position", "0–1, higher = closer"),
    "mm_duration": ("MultiMatch duration", "0–1, higher = closer"),
    "zone_jaccard": ("Zones visited by both (Jaccard)", "0–1, higher = closer"),
    "zone_order_similarity": ("Zone visit order similarity", "0–1, higher = closer"),
}


def metric_name(key: str) -> str:
    """The human name of a metric key (the key itself when unknown)."""
    return METRIC_INFO.get(key, (key, ""))[0]


def metric_unit(key: str) -> str:
    """The unit or range of a metric key ("" when unknown)."""
    return METRIC_INFO.get(key, (key, ""))[1]


def metric_label(key: str) -> str:
    """Name and unit for a legend or axis, e.g. ``"MultiMatch position [0–1, higher = closer]"``."""
    unit = metric_unit(key)
    return f"{metric_name(key)} [{unit}]" if unit else metric_name(key)
