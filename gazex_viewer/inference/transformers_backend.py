"""The GazeX backend on Hugging Face transformers, for Qwen2-VL-layout checkpoints: how to get text from a local model.

Owns loading (checks, hashes, weights, the optional LoRA adapter via :mod:`~gazex_viewer.inference.lora_adapter`),
and the :class:`~gazex_viewer.inference.protocol.TextGenerator` calls (one streamed answer, a padded batch of
answers, the model's description); the decoding details are :mod:`~gazex_viewer.inference.hf_decoding`, the
surroundings (extra, offline, device) :mod:`~gazex_viewer.inference.local_model`, and the GazeX protocol itself
:mod:`~gazex_viewer.inference.protocol`.

Loads a merged folder, or a base folder plus a LLaMA-Factory / peft LoRA adapter (merged into the weights after
loading). ``device="auto"`` picks CUDA (bf16, SDPA attention) when present, else CPU (fp32). Nothing is downloaded
(``local_files_only``, ``HF_HUB_OFFLINE=1``), weights are read from safetensors only, and ``trust_remote_code`` stays
off unless the :class:`~gazex_viewer.inference.api.ModelSpec` asks for it.

torch, transformers and peft are imported inside the methods.
"""

from __future__ import annotations

import time
from typing import Any

from gazex_viewer.core.errors import CheckpointError, InferenceError
from gazex_viewer.inference.api import (
    CheckpointInfo,
    GenerationSettings,
    ModelSpec,
    check_checkpoint,
    processor_files_sha256,
    weights_sha256,
)
from gazex_viewer.inference.backend import Backend, LoadedModel
from gazex_viewer.inference.hf_decoding import (
    NEUTRAL_GENERATION,
    CancelCriteria,
    ReportStreamer,
    generation_config_warnings,
    processor_pixel_limits,
)
from gazex_viewer.inference.job import JobControl
from gazex_viewer.inference.local_model import (
    first_line,
    loading_problem,
    require_local_extra,
    resolve_device,
    set_offline_env,
)
from gazex_viewer.inference.lora_adapter import apply_adapter
from gazex_viewer.inference.protocol import GROUNDING_BATCH, ModelDescription

__all__ = [
    "GROUNDING_BATCH",
    "TransformersGazeXBackend",
    "generation_config_warnings",
    "require_local_extra",
    "resolve_device",
    "set_offline_env",
]


class TransformersGazeXBackend(Backend):
    """GazeX on transformers: Qwen2-VL-layout merged checkpoints, optionally with a LoRA adapter."""

    name = "transformers"

    def __init__(self) -> None:
        self.model: Any = None
        self.processor: Any = None
        self._loaded: LoadedModel | None = None
        self._stop_ids: set[int] = set()
        self._pad_id: int | None = None

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    # -- loading -----------------------------------------------------------------------------
    def load(self, spec: ModelSpec, control: JobControl | None = None) -> LoadedModel:
        """Load the checkpoint named by ``spec`` (fast checks first, then weights)."""
        control = control or JobControl(0)
        require_local_extra(spec.model_dir)
        t0 = time.perf_counter()
        self.unload()
        set_offline_env()
        control.progress("checking", message=f"checking {spec.model_dir}")
        info = check_checkpoint(spec)
        device, dtype_name = resolve_device(spec.device, spec.model_dir)
        control.progress("hashing", message="hashing weights")
        ckpt_hash = weights_sha256(info.weight_files)
        adapter_hash = weights_sha256(info.adapter_files) if info.adapter_files else None
        processor_hash = processor_files_sha256(spec.model_dir)

        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        dtype = getattr(torch, dtype_name)
        control.progress("loading", message=f"loading {info.name} on {device} ({dtype_name})")
        try:
            processor = AutoProcessor.from_pretrained(
                spec.model_dir, local_files_only=True, trust_remote_code=spec.trust_remote_code
            )
        except Exception as exc:  # noqa: BLE001 - any failure is a bad checkpoint
            raise CheckpointError(spec.model_dir, f"cannot load the tokenizer/processor ({first_line(exc)})") from None
        try:
            # mismatches are collected and reported here in one line: transformers' own error only says
            # "look at the above report", a report the user never sees
            loaded_pair: Any = AutoModelForImageTextToText.from_pretrained(
                spec.model_dir,
                dtype=dtype,
                attn_implementation="sdpa",
                local_files_only=True,
                use_safetensors=True,
                trust_remote_code=spec.trust_remote_code,
                output_loading_info=True,
                ignore_mismatched_sizes=True,
            )  # (model, loading_info) with output_loading_info
        except Exception as exc:  # noqa: BLE001
            raise CheckpointError(spec.model_dir, f"cannot load the weights ({first_line(exc)})") from None
        model, loading_info = loaded_pair
        problem = loading_problem(loading_info)
        if problem:
            raise CheckpointError(spec.model_dir, f"the weights do not fit config.json: {problem}")
        if info.adapter_dir is not None:
            control.progress("loading", message=f"applying LoRA adapter {info.adapter_dir.name}")
            model = apply_adapter(model, info.adapter_dir)
        try:
            model = model.to(device)
        except Exception as exc:  # noqa: BLE001 - CUDA out of memory and friends
            raise InferenceError(spec.model_dir, f"cannot move the model to {device} ({first_line(exc)})") from None
        loaded = self.attach(
            model,
            processor,
            info,
            checkpoint_sha256=ckpt_hash,
            adapter_sha256=adapter_hash,
            processor_sha256=processor_hash,
            device=device,
            dtype=dtype_name,
            load_seconds=time.perf_counter() - t0,
        )
        control.progress("loaded", message=info.name)
        return loaded

    def attach(
        self,
        model: Any,
        processor: Any,
        info: CheckpointInfo,
        *,
        checkpoint_sha256: str,
        device: str,
        dtype: str,
        adapter_sha256: str | None = None,
        processor_sha256: str | None = None,
        load_seconds: float = 0.0,
    ) -> LoadedModel:
        """Use a model and processor already in memory (what :meth:`load` ends with; benchmarks call it directly).

        Sets left padding, the stop tokens (``<|im_end|>``, ``<|endoftext|>``, the generation config's eos) and the
        pad token, and returns the :class:`LoadedModel` record.
        """
        model.eval()
        tok = processor.tokenizer
        tok.padding_side = "left"
        stop = set()
        for t in ("<|im_end|>", "<|endoftext|>"):
            tid = tok.convert_tokens_to_ids(t)
            if isinstance(tid, int) and tid >= 0 and tid != tok.unk_token_id:
                stop.add(tid)
        eos = model.generation_config.eos_token_id
        stop.update([eos] if isinstance(eos, int) else list(eos or []))
        if tok.pad_token_id is None:
            tok.pad_token = "<|endoftext|>"
        self._stop_ids = stop
        self._pad_id = tok.pad_token_id
        self.model, self.processor = model, processor
        self._loaded = LoadedModel(
            info=info,
            name=info.name,
            checkpoint_sha256=checkpoint_sha256,
            adapter_sha256=adapter_sha256,
            device=device,
            dtype=dtype,
            backend=self.name,
            load_seconds=load_seconds,
            extra={
                "max_position_embeddings": self._max_positions(model),
                "generation_warnings": generation_config_warnings(model.generation_config),
            },
            processor_sha256=processor_sha256,
        )
        return self._loaded

    @staticmethod
    def _max_positions(model: Any) -> int:
        cfg = model.config
        text = getattr(cfg, "text_config", cfg)
        return int(getattr(text, "max_position_embeddings", 32768) or 32768)

    def unload(self) -> None:
        """Drop the model and free GPU memory."""
        self.model = None
        self.processor = None
        self._loaded = None
        try:
            import sys

            if "torch" in sys.modules:
                import gc

                import torch

                gc.collect()
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001, S110 - best effort
            pass

    # -- text generation (the protocol lives in inference.protocol) ---------------------------
    def describe(self) -> ModelDescription:
        """The loaded model (InferenceError when none)."""
        if self._loaded is None or self.processor is None:
            raise InferenceError(None, "no model loaded")
        lm = self._loaded
        ip = getattr(self.processor, "image_processor", None)
        lo, hi = processor_pixel_limits(ip)
        return ModelDescription(
            info=lm.info,
            name=lm.name,
            checkpoint_sha256=lm.checkpoint_sha256,
            adapter_sha256=lm.adapter_sha256,
            backend=lm.backend,
            device=lm.device,
            dtype=lm.dtype,
            processor_min_pixels=lo,
            processor_max_pixels=hi,
            generation_warnings=list(lm.extra.get("generation_warnings", [])),
        )

    def _chat(self, prompt: str) -> str:
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": prompt}]}]
        from gazex_viewer.inference.template_guard import render_chat_template

        return render_chat_template(
            lambda: self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        )

    def _gen_kwargs(self, settings: GenerationSettings, max_new_tokens: int, min_new_tokens: int | None) -> dict[str, Any]:
        """Every decoding parameter passed explicitly: nothing is inherited from the checkpoint's generation_config."""
        kw: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": self._pad_id}
        if settings.deterministic:
            kw.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        else:
            kw.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p, top_k=settings.top_k or None)
        kw.update(NEUTRAL_GENERATION)
        kw["repetition_penalty"] = settings.repetition_penalty
        low = settings.min_new_tokens if min_new_tokens is None else min_new_tokens
        if low:
            kw["min_new_tokens"] = min(int(low), max_new_tokens)
        return kw

    def _inputs(self, texts: list[str], image: Any) -> Any:
        batch = self.processor(text=texts, images=[image] * len(texts), padding=True, return_tensors="pt")
        return batch.to(self.model.device)

    def _fit_budget(self, n_prompt: int, max_new_tokens: int, where: str, warnings: list[str]) -> int:
        """The new-token budget that fits the context; InferenceError when the prompt alone does not fit."""
        assert self._loaded is not None
        limit = int(self._loaded.extra["max_position_embeddings"])
        room = limit - n_prompt
        if room < 1:
            raise InferenceError(where, f"token budget exceeded: {n_prompt} prompt tokens > {limit} positions")
        if max_new_tokens > room:
            msg = (
                f"{where}: max_new_tokens lowered from {max_new_tokens} to {room} ({n_prompt} prompt tokens, "
                f"{limit} positions)"
            )
            if msg not in warnings:
                warnings.append(msg)
            return room
        return max_new_tokens

    def _decode_new(self, out: Any, n_prompt: int) -> list[str]:
        texts = []
        for row in out[:, n_prompt:].tolist():
            ids: list[int] = []
            for t in row:
                if t in self._stop_ids:
                    break
                ids.append(t)
            texts.append(self.processor.tokenizer.decode(ids, skip_special_tokens=False).strip())
        return texts

    def generate(
        self,
        image: Any,
        prompt: str,
        settings: GenerationSettings,
        control: JobControl,
        *,
        seed_offset: int = 0,
        stream: bool = True,
        min_new_tokens: int | None = None,
        warnings: list[str] | None = None,
    ) -> tuple[str, dict[str, float]]:
        """One answer (streamed through ``control.text`` when ``stream``); (text, timings)."""
        warnings = [] if warnings is None else warnings
        import torch
        from transformers import StoppingCriteriaList

        inputs = self._inputs([self._chat(prompt)], image)
        n_prompt = int(inputs["input_ids"].shape[1])
        max_new = self._fit_budget(n_prompt, settings.max_new_tokens, "report prompt", warnings)
        streamer = ReportStreamer(self.processor.tokenizer, control, self._stop_ids) if stream else None
        if not settings.deterministic:
            torch.manual_seed(settings.seed + seed_offset)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(
                **inputs,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([CancelCriteria(control)]),
                **self._gen_kwargs(settings, max_new, min_new_tokens),
            )
        control.check()
        t1 = time.perf_counter()
        text = self._decode_new(out, n_prompt)[0]
        n_new = int(out.shape[1] - n_prompt)
        t_first = streamer.t_first if streamer is not None else None
        ttft = (t_first - t0) if t_first is not None else t1 - t0
        return text, {
            "report_s": t1 - t0,
            "time_to_first_token_s": ttft,
            "report_tokens": float(n_new),
            "report_tokens_per_s": (n_new - 1) / (t1 - t0 - ttft) if n_new > 1 and t1 - t0 > ttft else 0.0,
            "prompt_tokens": float(n_prompt),
        }

    def generate_batch(
        self,
        image: Any,
        prompts: list[str],
        settings: GenerationSettings,
        control: JobControl,
        *,
        seed_offset: int = 0,
        max_new_tokens: int | None = None,
        min_new_tokens: int | None = None,
        warnings: list[str] | None = None,
    ) -> tuple[list[str], dict[str, float]]:
        """One answer per prompt in one generate call (left padding); (texts, timings)."""
        warnings = [] if warnings is None else warnings
        import torch
        from transformers import StoppingCriteriaList

        inputs = self._inputs([self._chat(p) for p in prompts], image)
        n_prompt = int(inputs["input_ids"].shape[1])
        max_new = self._fit_budget(n_prompt, max_new_tokens or settings.max_new_tokens, "grounding prompt", warnings)
        if not settings.deterministic:
            torch.manual_seed(settings.seed + seed_offset)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(
                **inputs,
                stopping_criteria=StoppingCriteriaList([CancelCriteria(control)]),
                **self._gen_kwargs(settings, max_new, min_new_tokens),
            )
        control.check()
        n_tokens = int(out.shape[0] * (out.shape[1] - n_prompt))
        return self._decode_new(out, n_prompt), {"grounding_s": time.perf_counter() - t0, "grounding_tokens": float(n_tokens)}

    @staticmethod
    def _empty_cache() -> None:
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except Exception:  # noqa: BLE001, S110 - best effort
            pass


