"""Reading cache keys and the image budget (no torch needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import ImageRef, Producer, Reading
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
    assert _key(settings=GenerationSettings(repetition_penalty=1.05)) != k
    assert _key(settings=GenerationSettings(min_new_tokens=0)) != k
    assert _key(extra={"model_input": "mimic-cxr-jpg"}) != _key(extra={"model_input": "display"})
    # greedy decoding ignores the sampling options, so they do not split the cache
    greedy = _key(settings=GenerationSettings(deterministic=True))
    assert _key(settings=GenerationSettings(deterministic=True, seed=5, top_p=0.5)) == greedy != k


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
        (1955, 1841, 768 * 768, (784, 756)),  # LLaMA-Factory's int() then the nearest multiple of 28: over 768**2
        (2500, 2048, 768 * 768, (840, 700)),  # NOTES-gazex-fidelity 2b: LLaMA-Factory 700 x 840 (the old rule: 672)
        (3056, 2544, 768 * 768, (840, 700)),  # the common MIMIC size
        (512, 512, 112 * 112, (112, 112)),
        (512, 512, 768 * 768, (504, 504)),
    ],
)
def test_fit_to_budget(h: int, w: int, budget: int, want: tuple[int, int]) -> None:
    got = fit_to_budget(h, w, budget)
    assert got == want
    assert got[0] % 28 == 0 and got[1] % 28 == 0


def test_prepare_real_radiograph_fits_gazex_budget() -> None:
    rad = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    img = prepare_image(rad.render(), 768 * 768)
    assert img.mode == "RGB"
    assert (img.width, img.height) == (756, 784)
    assert image_tokens(img.height, img.width) == 28 * 27
    arr = np.asarray(img)
    assert (arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all()  # grey in, grey RGB out


def test_prepare_image_refuses_bad_arrays() -> None:
    with pytest.raises(ValueError, match="uint8"):
        prepare_image(np.zeros((10, 10), dtype=np.float32), 768 * 768)
    with pytest.raises(ValueError, match="rows, cols"):
        prepare_image(np.zeros((10,), dtype=np.uint8), 768 * 768)


def test_cache_key_holds_the_display_the_processor_and_the_dtype_device() -> None:
    k = _key(display_sha256="d" * 64, processor_sha256="t" * 64, dtype="float32", device="cpu")
    assert k != _key()
    assert _key(display_sha256="e" * 64, processor_sha256="t" * 64, dtype="float32", device="cpu") != k
    assert _key(display_sha256="d" * 64, processor_sha256="u" * 64, dtype="float32", device="cpu") != k
    assert _key(display_sha256="d" * 64, processor_sha256="t" * 64, dtype="bfloat16", device="cpu") != k
    assert _key(display_sha256="d" * 64, processor_sha256="t" * 64, dtype="bfloat16", device="cuda") != _key(
        display_sha256="d" * 64, processor_sha256="t" * 64, dtype="bfloat16", device="cpu"
    )
    # the device counts by its class: the same model on another GPU gives the same output
    assert _key(display_sha256="d" * 64, device="cuda:0") == _key(display_sha256="d" * 64, device="cuda:1")


def test_display_hash_follows_what_the_model_sees() -> None:
    from gazex_viewer.inference.cache import display_sha256

    img = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert display_sha256(img) == display_sha256(img.copy())
    assert display_sha256(img) != display_sha256(255 - img)  # same stored pixels, inverted display
    assert display_sha256(img) != display_sha256(img.reshape(4, 3))
    assert len(display_sha256(img[:, ::2])) == 64  # non-contiguous views are hashed by content


def test_processor_hash_changes_with_the_chat_template(tiny_model_dir: Path, tmp_path: Path) -> None:
    import shutil

    from gazex_viewer.inference.api import processor_files_sha256

    d = tmp_path / "ck"
    shutil.copytree(tiny_model_dir, d)
    before = processor_files_sha256(d)
    assert before == processor_files_sha256(tiny_model_dir)
    (d / "chat_template.jinja").write_text((d / "chat_template.jinja").read_text() + "\n")
    assert processor_files_sha256(d) != before


def test_cached_reading_of_another_dicom_instance_is_a_reading_of_that_instance(
    loaded_backend, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    """The same image re-sent as a new instance with corrected patient details: the cache is used, but the
    reading gets a fresh id and the new instance's UIDs, with a note of where it came from."""
    import pydicom
    from pydicom.uid import generate_uid

    from gazex_viewer.inference.api import JobEvent
    from gazex_viewer.inference.worker import Worker

    first = shared_file("dicom/nih_dx_secondary_capture.dcm")
    ds = pydicom.dcmread(first)
    ds.PatientName = "Corrected^Name"
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    second = tmp_path / "resent.dcm"
    ds.save_as(second)

    events: list[JobEvent] = []
    worker = Worker(events.append, cache_dir=tmp_path / "cache")
    worker.backend = loaded_backend
    settings = GenerationSettings(max_new_tokens=32)
    worker.run(1, first, settings)
    worker.run(2, second, settings)
    done = {e.job_id: e.reading for e in events if e.kind == "done"}
    assert sorted(done) == [1, 2], [(e.kind, e.message) for e in events if e.kind != "progress"]
    a, b = done[1], done[2]
    assert "cached" in [e.stage for e in events if e.job_id == 2]
    assert "cached" not in [e.stage for e in events if e.job_id == 1]
    assert a.reading_id != b.reading_id
    assert a.image.pixel_sha256 == b.image.pixel_sha256
    assert b.image.sop_instance_uid == ds.SOPInstanceUID != a.image.sop_instance_uid
    assert b.image.file_name == "resent.dcm"
    assert b.producer.generation["cached_from"]["reading_id"] == a.reading_id
    assert b.producer.generation["cached_from"]["sop_instance_uid"] == a.image.sop_instance_uid
    assert b.raw_report == a.raw_report
