"""Reading cache keys and the image budget (no torch needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazex_viewer.core.radiograph import load_radiograph
from gazex_viewer.core.reading import ImageRef, Producer, Reading
from gazex_viewer.inference.api import GenerationSettings
from gazex_viewer.inference.cache import ReadingCache, reading_cache_key
from gazex_viewer.inference.images import fit_to_budget, image_tokens, prepare_image
from tests.conftest import shared_file


def _key(**over: object) -> str:
    base: dict[str, object] = dict(
        pixel_sha256="p" * 64,
        checkpoint_sha256="c" * 64,
        adapter_sha256=None,
        frame="downscale4",
        max_pixels=768 * 768,
        settings=GenerationSettings(),
    )
    base.update(over)
    return reading_cache_key(**base)  # type: ignore[arg-type]


def test_cache_key_separates_what_changes_the_output() -> None:
    k = _key()
    assert len(k) == 64 and k == _key()
    assert _key(pixel_sha256="q" * 64) != k
    assert _key(checkpoint_sha256="d" * 64) != k
    assert _key(adapter_sha256="a" * 64) != k
    assert _key(frame="qwen2vl_1000") != k
    assert _key(settings=GenerationSettings(max_new_tokens=64)) != k
    assert _key(settings=GenerationSettings(deterministic=False, seed=1)) != _key(
        settings=GenerationSettings(deterministic=False, seed=2)
    )
    # greedy decoding ignores the sampling options, so they do not split the cache
    assert _key(settings=GenerationSettings(seed=5, top_p=0.5)) == k


def test_cache_round_trip_and_corrupt_entry(tmp_path: Path) -> None:
    cache = ReadingCache(tmp_path)
    reading = Reading(image=ImageRef("a.png", 10, 20, "p" * 64), producer=Producer(kind="model", name="m"))
    assert cache.get("ab" * 32) is None
    cache.put("ab" * 32, reading)
    assert cache.get("ab" * 32).to_dict() == reading.to_dict()
    cache.path("cd" * 32).parent.mkdir(parents=True, exist_ok=True)
    cache.path("cd" * 32).write_text("{broken")
    assert cache.get("cd" * 32) is None


@pytest.mark.parametrize(
    ("h", "w", "budget", "want"),
    [
        (2048, 2048, 768 * 768, (756, 756)),
        (1955, 1841, 768 * 768, (784, 728)),
        (512, 512, 112 * 112, (112, 112)),
        (512, 512, 768 * 768, (504, 504)),
    ],
)
def test_fit_to_budget(h: int, w: int, budget: int, want: tuple[int, int]) -> None:
    got = fit_to_budget(h, w, budget)
    assert got == want
    assert got[0] % 28 == 0 and got[1] % 28 == 0 and got[0] * got[1] <= budget


def test_prepare_real_radiograph_fits_gazex_budget() -> None:
    rad = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    img = prepare_image(rad.render(), 768 * 768)
    assert img.mode == "RGB"
    assert (img.width, img.height) == (728, 784)
    assert image_tokens(img.height, img.width) == 28 * 26
    arr = np.asarray(img)
    assert (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all()  # grey in, grey RGB out


def test_prepare_image_refuses_bad_arrays() -> None:
    with pytest.raises(ValueError, match="uint8"):
        prepare_image(np.zeros((10, 10), dtype=np.float32), 768 * 768)
    with pytest.raises(ValueError, match="rows, cols"):
        prepare_image(np.zeros((10,), dtype=np.uint8), 768 * 768)
