"""What the backend tests share (no tests here): a reading of the sample film, a LoRA adapter over the tiny model.

torch, peft and transformers are imported inside the functions, so importing this module needs none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.inference.api import GenerationSettings, JobEvent
from gazex_viewer.inference import protocol
from gazex_viewer.inference.backend import JobControl
from gazex_viewer.inference.tiny_model import SAMPLE_IMAGE

if TYPE_CHECKING:
    from gazex_viewer.inference.transformers_backend import TransformersGazeXBackend

__all__ = ["make_adapter", "read_sample"]


def read_sample(
    backend: TransformersGazeXBackend, settings: GenerationSettings, events: list[JobEvent] | None = None
) -> Reading:
    """The backend's reading of the tiny model's sample film (job 7), its events appended to ``events``."""
    rad = load_radiograph(SAMPLE_IMAGE)
    control = JobControl(7, emit=(events.append if events is not None else (lambda e: None)))
    return protocol.run_reading(backend, rad.render(), rad.image_ref(), settings, control)


def make_adapter(base: Path, out: Path, *, zero: bool = True) -> Path:
    """A LoRA adapter (r 4, q/v projections) over the checkpoint ``base``, saved to ``out``; ``zero``: it changes nothing."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForImageTextToText

    torch.manual_seed(0)
    model = AutoModelForImageTextToText.from_pretrained(base, local_files_only=True)
    cfg = LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], lora_dropout=0.0, init_lora_weights=zero
    )
    peft_model = get_peft_model(model, cfg)  # zero: lora_B starts at zero and the adapter changes nothing
    peft_model.save_pretrained(str(out), safe_serialization=True)
    return out
