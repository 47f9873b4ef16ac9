"""What the model sees: the default display, as RGB, resized to the checkpoint's pixel budget (no torch)."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

#: Qwen2-VL sides are multiples of patch 14 * merge 2
FACTOR: int = 28
MIN_PIXELS: int = 28 * 28 * 4


def fit_to_budget(height: int, width: int, max_pixels: int, *, factor: int = FACTOR) -> tuple[int, int]:
    """(height, width) rounded to multiples of ``factor`` with at most ``max_pixels`` pixels.

    The same rule as Qwen2-VL's ``smart_resize``, so the processor leaves an image of this size alone.
    """
    if height <= 0 or width <= 0:
        raise ValueError(f"empty image {width} x {height}")
    if max(height, width) / min(height, width) > 200:
        raise ValueError(f"aspect ratio {width} x {height} is too extreme")
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < MIN_PIXELS:
        beta = math.sqrt(MIN_PIXELS / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


def image_tokens(height: int, width: int) -> int:
    """Number of image tokens Qwen2-VL spends on an image already fitted to multiples of 28."""
    return (height // FACTOR) * (width // FACTOR)


def prepare_image(display: np.ndarray, max_pixels: int) -> Image.Image:
    """An RGB PIL image of the default display (uint8 rows x cols, or rows x cols x 3), fitted to the budget."""
    arr = np.asarray(display)
    if arr.dtype != np.uint8:
        raise ValueError(f"display must be uint8, got {arr.dtype}")
    if arr.ndim == 2:
        img = Image.fromarray(arr, mode="L").convert("RGB")
    elif arr.ndim == 3 and arr.shape[2] in (3, 4):
        img = Image.fromarray(arr[..., :3], mode="RGB")
    else:
        raise ValueError(f"display must be (rows, cols) or (rows, cols, 3), got {arr.shape}")
    h, w = fit_to_budget(img.height, img.width, max_pixels)
    if (h, w) != (img.height, img.width):
        img = img.resize((w, h), Image.Resampling.BICUBIC)
    return img
