"""The model input a job carries: a film's 8-bit picture(s) and its identity (:class:`FilmInput`), never a path.

The film is decoded once, where it is opened (the viewer, the command line); the worker is sent the picture the
model is given (:mod:`gazex_viewer.core.imaging.model_input`, one per rendering a checkpoint may ask for) and the
film's :class:`~gazex_viewer.core.reading.document.ImageRef` (name, size, pixel hash, DICOM UIDs), which is all the
GazeX protocol and the reading cache need.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.core.imaging.model_input import MODEL_INPUT_MODES, model_input
from gazex_viewer.core.reading.document import ImageRef

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.inference.api import ModelSpec


@dataclass
class FilmInput:
    """One film as a model job receives it.

    Parameters
    ----------
    image
        The film's identity: what the reading records and the cache keys on (``pixel_sha256``).
    pictures
        The 8-bit rows x cols model input by rendering (``"display"``, ``"mimic-cxr-jpg"``): the ones the model
        may ask for.
    """

    image: ImageRef
    pictures: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The film's name for messages."""
        return self.image.file_name

    def picture(self, mode: str) -> np.ndarray:
        """The model input rendered as ``mode``; InferenceError naming the film when it was not prepared."""
        found = self.pictures.get(mode)
        if found is None:
            have = ", ".join(sorted(self.pictures)) or "none"
            raise InferenceError(
                self.name, f"the film was prepared for the model as {have}, but the model asks for {mode}"
            )
        return found

    @classmethod
    def of(cls, radiograph: Radiograph, modes: Iterable[str] = MODEL_INPUT_MODES) -> FilmInput:
        """The model input of an open film in each of ``modes`` (one array when two renderings are the same)."""
        pictures: dict[str, np.ndarray] = {}
        shown: np.ndarray | None = None
        for mode in dict.fromkeys(modes):
            if mode == "display" or (mode == "mimic-cxr-jpg" and radiograph.metadata.source_format.upper() != "DICOM"):
                shown = radiograph.render() if shown is None else shown  # PNG/JPEG films: given as displayed
                pictures[mode] = shown
            else:
                pictures[mode] = model_input(radiograph, mode)
        return cls(radiograph.image_ref(), pictures)


#: what a job may be given: the model input, an open film, or a film file (decoded by the caller)
FilmLike = Union[FilmInput, "Radiograph", str, "os.PathLike[str]"]


def film_input(film: FilmLike, modes: Iterable[str] = MODEL_INPUT_MODES) -> FilmInput:
    """``film`` as a :class:`FilmInput`: as it is, from an open film, or from a file decoded here (RadiographError
    naming the file when it cannot be read)."""
    if isinstance(film, FilmInput):
        return film
    if isinstance(film, (str, os.PathLike)):
        from gazex_viewer.core.imaging.files import load_radiograph

        return FilmInput.of(load_radiograph(Path(film)), modes)
    return FilmInput.of(film, modes)


def film_name(film: FilmLike) -> str:
    """What messages call ``film``: its file name (the path, for a file not decoded yet)."""
    if isinstance(film, FilmInput):
        return film.name
    if isinstance(film, (str, os.PathLike)):
        return os.fsdecode(film)
    return film.image_ref().file_name


def input_modes(spec: ModelSpec | None) -> tuple[str, ...]:
    """The model-input rendering the model ``spec`` names asks for (its ``gazex.json`` or model-info file); every
    rendering when that cannot be read now (the model's load then says why)."""
    if spec is None:
        return MODEL_INPUT_MODES
    from gazex_viewer.inference.registry import backend_name_for

    try:
        name = backend_name_for(spec)
        if name == "transformers":
            from gazex_viewer.inference.api import check_checkpoint

            return (check_checkpoint(spec).model_input,)
        if name == "openai":
            from gazex_viewer.inference.remote_model import (
                checkpoint_info,
                remote_from_spec,
            )

            return (checkpoint_info(remote_from_spec(spec)).model_input,)
    except Exception:  # noqa: BLE001 - any problem is the load's to report
        return MODEL_INPUT_MODES
    return MODEL_INPUT_MODES
