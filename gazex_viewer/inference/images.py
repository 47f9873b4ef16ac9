"""What the model sees: the 8-bit model input, as RGB, resized as GazeX's training resized it (no torch).

GazeX was trained with LLaMA-Factory (0.9.4.dev0 at 1639e4b), whose image step is (``mm_plugin.py:216-233``,
``_preprocess_image``; the ``Qwen2VLPlugin`` override adds the 28-pixel floor and the 200:1 guard)::

    if w * h > image_max_pixels:                        # 768 * 768
        f = sqrt(image_max_pixels / (w * h))
        image = image.resize((int(w * f), int(h * f)))   # PIL's default filter: bicubic, still mode L
    if w * h < image_min_pixels:                        # 32 * 32
        f = sqrt(image_min_pixels / (w * h))
        image = image.resize((int(w * f), int(h * f)))
    image = image.convert("RGB")

and then Qwen2-VL's image processor resizes (bicubic) to ``smart_resize``: each side rounded to the *nearest*
multiple of 28, floored or ceiled only when the processor's own pixel limits are passed. Both steps are done here
with PIL, as the transformers 4.52 (PIL) processor did, so the processor leaves the image alone and a model server
gets exactly the same pixels.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

#: Qwen2-VL sides are multiples of patch 14 * merge 2
FACTOR: int = 28
#: LLaMA-Factory's image_min_pixels default (model_args.py)
LF_MIN_PIXELS: int = 32 * 32
#: Qwen2-VL's image processor limits (hub preprocessor_config.json: min 56*56, max 28*28*16384)
PROCESSOR_MIN_PIXELS: int = 56 * 56
PROCESSOR_MAX_PIXELS: int = 28 * 28 * 16384
#: kept for callers of the old name: the smallest image the processor accepts
MIN_PIXELS: int = PROCESSOR_MIN_PIXELS


def llamafactory_size(width: int, height: int, max_pixels: int, min_pixels: int = LF_MIN_PIXELS) -> tuple[int, int]:
    """(width, height) after LLaMA-Factory's budget step (``int()`` of the scaled sides; see the module doc)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"empty image {width} x {height}")
    if width * height > max_pixels:
        f = math.sqrt(max_pixels / (width * height))
        width, height = int(width * f), int(height * f)
    if width * height < min_pixels:
        f = math.sqrt(min_pixels / max(1, width * height))
        width, height = int(width * f), int(height * f)
    if min(width, height) < FACTOR:
        width, height = max(width, FACTOR), max(height, FACTOR)
    return width, height


def smart_resize(
    height: int,
    width: int,
    *,
    factor: int = FACTOR,
    min_pixels: int = PROCESSOR_MIN_PIXELS,
    max_pixels: int = PROCESSOR_MAX_PIXELS,
) -> tuple[int, int]:
    """(height, width) as Qwen2-VL's ``smart_resize`` gives them (nearest multiple of ``factor``)."""
    if height <= 0 or width <= 0:
        raise ValueError(f"empty image {width} x {height}")
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"aspect ratio {width} x {height} is too extreme")
    h = round(height / factor) * factor
    w = round(width / factor) * factor
    if h * w > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


def fit_to_budget(
    height: int,
    width: int,
    max_pixels: int,
    *,
    processor_min_pixels: int = PROCESSOR_MIN_PIXELS,
    processor_max_pixels: int = PROCESSOR_MAX_PIXELS,
) -> tuple[int, int]:
    """(height, width) of the model input for a film of ``height`` x ``width`` and a ``max_pixels`` budget.

    LLaMA-Factory's step, then ``smart_resize``; the result may exceed ``max_pixels`` slightly (for 1955 x 1841
    and 768*768 it is 784 x 756), as it did in training.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"empty image {width} x {height}")
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"aspect ratio {width} x {height} is too extreme")
    w1, h1 = llamafactory_size(width, height, max_pixels)
    return smart_resize(h1, w1, min_pixels=processor_min_pixels, max_pixels=processor_max_pixels)


def image_tokens(height: int, width: int) -> int:
    """Number of image tokens Qwen2-VL spends on an image already fitted to multiples of 28."""
    return (height // FACTOR) * (width // FACTOR)


def prepare_image(
    display: np.ndarray,
    max_pixels: int,
    *,
    processor_min_pixels: int = PROCESSOR_MIN_PIXELS,
    processor_max_pixels: int = PROCESSOR_MAX_PIXELS,
) -> Image.Image:
    """The RGB PIL image the model is given for an 8-bit film (rows x cols, or rows x cols x 3).

    Grey films are resized in mode L and then converted, as LLaMA-Factory did with MIMIC-CXR-JPG's grey JPEGs.
    """
    arr = np.asarray(display)
    if arr.dtype != np.uint8:
        raise ValueError(f"display must be uint8, got {arr.dtype}")
    if arr.ndim == 2:
        img = Image.fromarray(arr, mode="L")
    elif arr.ndim == 3 and arr.shape[2] in (3, 4):
        img = Image.fromarray(np.ascontiguousarray(arr[..., :3]), mode="RGB")
    else:
        raise ValueError(f"display must be (rows, cols) or (rows, cols, 3), got {arr.shape}")
    if max(img.height, img.width) / min(img.height, img.width) > 200:
        raise ValueError(f"aspect ratio {img.width} x {img.height} is too extreme")
    w1, h1 = llamafactory_size(img.width, img.height, max_pixels)
    if (w1, h1) != (img.width, img.height):
        img = img.resize((w1, h1), Image.Resampling.BICUBIC)
    img = img.convert("RGB")
    h2, w2 = smart_resize(h1, w1, min_pixels=processor_min_pixels, max_pixels=processor_max_pixels)
    if (w2, h2) != (img.width, img.height):
        img = img.resize((w2, h2), Image.Resampling.BICUBIC)
    return img
