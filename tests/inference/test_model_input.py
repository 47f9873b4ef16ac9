"""The model input: LLaMA-Factory's resize against an independent implementation, and MIMIC-CXR-JPG rendering."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.imaging.model_input import MODEL_INPUT_MODES, minmax_uint8, model_input
from gazex_viewer.inference.images import fit_to_budget, prepare_image
from tests.conftest import shared_file


class _Size:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height

    def resize(self, size: tuple[int, int]) -> _Size:
        return _Size(*size)


def _lf_reference(width: int, height: int, max_pixels: int = 768 * 768, min_pixels: int = 32 * 32) -> tuple[int, int]:
    """LLaMA-Factory 1639e4b mm_plugin.py:216-233 as written there, on a PIL image, then transformers' smart_resize."""
    from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

    image = _Size(width, height)  # PIL's resize gives exactly the size asked for; no pixels needed here
    if (image.width * image.height) > max_pixels:
        resize_factor = math.sqrt(max_pixels / (image.width * image.height))
        w, h = int(image.width * resize_factor), int(image.height * resize_factor)
        image = image.resize((w, h))
    if (image.width * image.height) < min_pixels:
        resize_factor = math.sqrt(min_pixels / (image.width * image.height))
        w, h = int(image.width * resize_factor), int(image.height * resize_factor)
        image = image.resize((w, h))
    return smart_resize(image.height, image.width, factor=28, min_pixels=56 * 56, max_pixels=28 * 28 * 16384)


def test_resize_matches_llamafactory_on_a_sweep_of_sizes() -> None:
    rng = np.random.default_rng(7)
    sizes = [(int(w), int(h)) for w, h in rng.integers(200, 4000, size=(400, 2))]
    sizes += [(w, h) for w in range(1800, 3601, 97) for h in range(1800, 3601, 89)]
    sizes += [(2048, 2500), (2544, 3056), (3056, 2544), (2539, 3050), (512, 512), (60, 40)]
    mismatches = [(w, h) for w, h in sizes if fit_to_budget(h, w, 768 * 768) != _lf_reference(w, h)]
    assert mismatches == [], mismatches[:5]
    assert fit_to_budget(2500, 2048, 768 * 768) == (840, 700)


def test_prepared_image_is_left_alone_by_the_qwen2vl_processor() -> None:
    from transformers import Qwen2VLImageProcessor

    rad = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    img = prepare_image(rad.render(), 768 * 768)
    proc = Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=28 * 28 * 16384)
    out = proc(images=[img], return_tensors="np")
    t, gh, gw = (int(v) for v in out["image_grid_thw"][0])
    assert (gh * 14, gw * 14) == (img.height, img.width)  # no further resize: the server sees these pixels too


def test_grey_film_is_resized_in_mode_l_then_made_rgb() -> None:
    arr = (np.arange(900 * 1100, dtype=np.uint32) % 251).astype(np.uint8).reshape(1100, 900)
    got = prepare_image(arr, 300 * 300)
    ref = Image.fromarray(arr, "L")
    f = math.sqrt(300 * 300 / (900 * 1100))
    ref = ref.resize((int(900 * f), int(1100 * f)), Image.Resampling.BICUBIC).convert("RGB")
    h, w = fit_to_budget(1100, 900, 300 * 300)
    ref = ref.resize((w, h), Image.Resampling.BICUBIC)
    assert got.mode == "RGB" and got.size == ref.size
    assert np.array_equal(np.asarray(got), np.asarray(ref))


def test_mimic_cxr_jpg_rendering_of_a_dicom_film() -> None:
    import cv2

    rad = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    got = model_input(rad, "mimic-cxr-jpg")
    v = rad.modality.astype(np.float64)
    scaled = np.clip(np.rint((v - v.min()) * 255.0 / (v.max() - v.min())), 0, 255).astype(np.uint8)
    if rad.monochrome1:
        scaled = 255 - scaled
    want = cv2.equalizeHist(scaled)
    assert got.dtype == np.uint8 and got.shape == (rad.height, rad.width)
    assert np.array_equal(got, want)
    # equalised: the histogram is spread (close to uniform cumulative distribution)
    cdf = np.cumsum(np.bincount(got.ravel(), minlength=256)) / got.size
    assert abs(cdf[127] - 0.5) < 0.1
    assert not np.array_equal(got, model_input(rad, "display"))


def test_mimic_mode_leaves_png_films_as_stored_and_unknown_modes_are_refused() -> None:
    from gazex_viewer.inference.tiny_model import SAMPLE_IMAGE

    rad = load_radiograph(SAMPLE_IMAGE)
    assert np.array_equal(model_input(rad, "mimic-cxr-jpg"), rad.render())
    with pytest.raises(ValueError, match="unknown model_input 'raw'"):
        model_input(rad, "raw")
    assert MODEL_INPUT_MODES == ("display", "mimic-cxr-jpg")


def test_minmax_of_a_constant_image_is_black() -> None:
    assert not minmax_uint8(np.full((4, 4), 7.0)).any()
    assert minmax_uint8(np.array([[-5.0, 5.0]])).tolist() == [[0, 255]]
