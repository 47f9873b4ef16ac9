"""Chest window presets for a projection radiograph, in the film's own modality units (Qt-free).

CR and DX pixel values have no fixed unit (unlike CT's Hounsfield units), so a "lung" window cannot be a pair of
constants. Each preset here is taken from the film's own histogram, in the order of displayed brightness (for
MONOCHROME1 films high values are dark, so the percentiles are mirrored):

- Lung: the darker 2nd-60th percentiles, where aerated lung lies;
- Mediastinum: the 40th-99th, the heart, mediastinum and diaphragm;
- Bone: the brightest 60th-99.8th, ribs, spine and clavicles;
- Soft tissue: the broad 20th-90th.

The menu names them "from this film's histogram" so nobody takes them for calibrated units.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gazex_viewer.core.imaging.radiograph import WindowPreset

#: preset name -> (low, high) percentile of displayed brightness
CHEST_PRESETS: dict[str, tuple[float, float]] = {
    "Lung": (2.0, 60.0),
    "Mediastinum": (40.0, 99.0),
    "Bone": (60.0, 99.8),
    "Soft tissue": (20.0, 90.0),
}
#: at most this many pixels are sampled for the histogram (a regular grid over the film)
_SAMPLE = 250_000


def chest_presets(radiograph: Any) -> list[WindowPreset]:
    """The four chest presets of a film (centre/width in its modality units)."""
    values = np.asarray(radiograph.modality)
    step = max(1, int(np.sqrt(values.size / _SAMPLE)))
    sample = values[::step, ::step].astype(np.float64).ravel()
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return []
    mono1 = bool(getattr(radiograph, "monochrome1", False))
    out = []
    for name, (lo, hi) in CHEST_PRESETS.items():
        a, b = (100.0 - hi, 100.0 - lo) if mono1 else (lo, hi)
        v_lo, v_hi = np.percentile(sample, [a, b])
        width = max(1.0, float(v_hi - v_lo))
        out.append(
            WindowPreset(
                center=float((v_lo + v_hi) / 2.0),
                width=width,
                name=name,
                explanation=f"from this film's histogram ({lo:g}th-{hi:g}th percentile of brightness)",
            )
        )
    return out


def drag_steps(value_range: tuple[float, float], view_width: int, view_height: int) -> tuple[float, float]:
    """(width change per pixel dragged sideways, centre change per pixel dragged up/down): a drag across the whole
    view spans the film's whole value range."""
    span = max(1.0, float(value_range[1] - value_range[0]))
    return span / max(1, view_width), span / max(1, view_height)
