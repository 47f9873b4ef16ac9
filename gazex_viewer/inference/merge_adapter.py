"""Merge a LoRA adapter into its base checkpoint and write one folder a model server can serve (vLLM, SGLang).

The adapter is applied exactly as the transformers backend applies it when it loads base + adapter (the same key
mapping and checks, then peft's ``merge_and_unload``), so the merged folder gives the same reading. The folder gets
the weights (safetensors), the processor and tokenizer, and a ``gazex.json`` that is the base's sidecar with the
adapter's own settings over it, plus ``merged_from`` (both hashes). torch, transformers and peft are imported inside.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from gazex_viewer.core.errors import CheckpointError
from gazex_viewer.inference.api import SIDECAR_NAME, ModelSpec, read_sidecar


@dataclass
class MergeResult:
    path: Path
    #: the base's, as its backend reported it (LoadedModel.checkpoint_sha256)
    checkpoint_sha256: str | None
    adapter_sha256: str | None
    seconds: float


def merged_sidecar(base: Path, adapter: Path) -> dict[str, object]:
    """The base's gazex.json with the adapter's over it (its prompts replace the base's prompts entirely)."""
    data = dict(read_sidecar(base))
    over = read_sidecar(adapter)
    if "prompt_preset" in over or "prompts" in over:
        data.pop("prompt_preset", None)
        data.pop("prompts", None)
    data.update(over)
    return data


def merge_adapter(base: str | os.PathLike[str], adapter: str | os.PathLike[str], out: str | os.PathLike[str], *,
                  device: str = "cpu") -> MergeResult:
    """Write ``out`` (new or empty) = ``base`` with ``adapter`` merged in; CheckpointError naming the folder."""
    from gazex_viewer.inference.transformers_backend import (
        TransformersGazeXBackend,
        require_local_extra,
    )

    require_local_extra(base)
    t0 = time.perf_counter()
    base, adapter, out = Path(base), Path(adapter), Path(out)
    backend = TransformersGazeXBackend()
    loaded = backend.load(ModelSpec(base, adapter_dir=adapter, device=device))
    try:
        sidecar = merged_sidecar(base, adapter)
        sidecar["merged_from"] = {
            "base": base.name, "checkpoint_sha256": loaded.checkpoint_sha256,
            "adapter": adapter.name, "adapter_sha256": loaded.adapter_sha256,
        }
        out.mkdir(parents=True, exist_ok=True)
        try:
            backend.model.save_pretrained(out, safe_serialization=True)
            backend.processor.save_pretrained(out)
            (out / SIDECAR_NAME).write_text(json.dumps(sidecar, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise CheckpointError(out, f"cannot write the merged checkpoint ({exc.strerror or exc})") from None
    finally:
        backend.unload()
    return MergeResult(out, loaded.checkpoint_sha256, loaded.adapter_sha256, time.perf_counter() - t0)
