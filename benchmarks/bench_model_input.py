"""Cost of preparing the model input, against a whole reading with the tiny model in the same run.

    .venv/bin/python benchmarks/bench_model_input.py

Prints, for a 3000 x 3000 16-bit film: LLaMA-Factory's resize chain (int() into 768*768, bicubic, RGB, smart_resize
to multiples of 28), the MIMIC-CXR-JPG rendering (min-max to 8 bit + OpenCV equalizeHist) and the default display
render, each in ms and as a fraction of one tiny-model reading of the sample film (CPU) measured here.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import best_of  # noqa: E402


def main() -> int:
    from gazex_viewer.core.imaging.files import FileSource
    from gazex_viewer.core.imaging.model_input import model_input
    from gazex_viewer.core.imaging.radiograph import (
        Radiograph,
        RadiographMetadata,
        WindowPreset,
    )
    from gazex_viewer.inference.images import prepare_image

    rng = np.random.default_rng(0)
    stored = (rng.normal(2000, 600, size=(3000, 3000)).clip(0, 4095)).astype(np.uint16)
    rad = Radiograph(
        source=FileSource(Path("synthetic.dcm")),
        metadata=RadiographMetadata(source_format="DICOM", bits_stored=12, rows=3000, columns=3000),
        pixel_sha256="0" * 64,
        presets=[WindowPreset(2048.0, 4096.0, "full range")],
        stored=stored,
    )
    display = rad.render()
    t_display = best_of(lambda: rad.render(), 5)
    t_mimic = best_of(lambda: model_input(rad, "mimic-cxr-jpg"), 5)
    t_resize = best_of(lambda: prepare_image(display, 768 * 768), 5)

    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.inference import protocol
    from gazex_viewer.inference.api import GenerationSettings, ModelSpec
    from gazex_viewer.inference.backend import JobControl
    from gazex_viewer.inference.tiny_model import SAMPLE_IMAGE, make_test_model
    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend

    with tempfile.TemporaryDirectory() as tmp:
        model = make_test_model(Path(tmp) / "tiny").path
        backend = TransformersGazeXBackend()
        backend.load(ModelSpec(model, device="cpu"))
        sample = load_radiograph(SAMPLE_IMAGE)
        pic = sample.render()
        protocol.run_reading(backend, pic, sample.image_ref(), GenerationSettings(), JobControl(0))  # warm-up
        t_reading = best_of(lambda: protocol.run_reading(backend, pic, sample.image_ref(), GenerationSettings(), JobControl(1)), 3)
        backend.unload()
    print(f"tiny-model reading of the sample film (CPU, best of 3): {t_reading * 1000:.0f} ms")
    for name, t in (
        ("default display render, 3000x3000", t_display),
        ("MIMIC-CXR-JPG rendering (min-max + equalizeHist), 3000x3000", t_mimic),
        ("LLaMA-Factory resize chain to 840x840 (from 3000x3000)", t_resize),
    ):
        print(f"{name}: {t * 1000:.1f} ms = {t / t_reading:.3f} of the tiny reading")
    return 0


if __name__ == "__main__":
    sys.exit(main())
