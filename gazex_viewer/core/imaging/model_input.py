"""The 8-bit picture of a film that a model is given, chosen per checkpoint (``gazex.json`` ``"model_input"``).

- ``display`` (default): what the viewer shows by default (header window or VOI LUT, MONOCHROME1 inverted).
- ``mimic-cxr-jpg``: a DICOM film rendered as MIMIC-CXR-JPG's JPEGs were made, the images GazeX was trained on:
  modality values min-max scaled to 0..255, MONOCHROME1 inverted, then histogram equalisation (OpenCV's
  ``equalizeHist``). PNG and JPEG films are given as stored (they are taken to be such JPEGs already).

opencv (``opencv-python-headless``) is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph

#: model-input renderings a checkpoint may ask for
MODEL_INPUT_MODES: tuple[str, ...] = ("display", "mimic-cxr-jpg")
DEFAULT_MODEL_INPUT = "display"


def minmax_uint8(values: np.ndarray) -> np.ndarray:
    """``values`` scaled linearly so that their minimum is 0 and their maximum 255 (rounded), as uint8.

    A constant image becomes all 0.
    """
    v = np.asarray(values, dtype=np.float64)
    lo, hi = float(v.min()), float(v.max())
    if not hi > lo:
        return np.zeros(v.shape, dtype=np.uint8)
    out = (v - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def equalize(grey: np.ndarray) -> np.ndarray:
    """OpenCV's ``equalizeHist`` of an 8-bit grey image."""
    import cv2

    return np.asarray(cv2.equalizeHist(np.ascontiguousarray(grey, dtype=np.uint8)))


def mimic_cxr_jpg(radiograph: Radiograph) -> np.ndarray:
    """The MIMIC-CXR-JPG-style rendering of a film (see the module doc); PNG/JPEG films as displayed."""
    if radiograph.metadata.source_format.upper() != "DICOM":
        return radiograph.render()
    grey = minmax_uint8(radiograph.modality)
    if radiograph.monochrome1:
        grey = 255 - grey
    return equalize(grey)


def model_input(radiograph: Radiograph, mode: str = DEFAULT_MODEL_INPUT) -> np.ndarray:
    """The 8-bit rows x cols picture given to the model in ``mode`` (one of :data:`MODEL_INPUT_MODES`).

    Raises
    ------
    ValueError
        For a mode the app does not know.
    """
    if mode == "display":
        return radiograph.render()
    if mode == "mimic-cxr-jpg":
        return mimic_cxr_jpg(radiograph)
    raise ValueError(f"unknown model_input {mode!r}; expected one of {', '.join(MODEL_INPUT_MODES)}")
