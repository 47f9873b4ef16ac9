"""The GazeX backend on Hugging Face transformers, for Qwen2-VL-layout checkpoints.

Loads a merged folder, or a base folder plus a LLaMA-Factory / peft LoRA adapter (merged into the weights after
loading). ``device="auto"`` picks CUDA (bf16, SDPA attention) when present, else CPU (fp32). Nothing is downloaded
(``local_files_only``, ``HF_HUB_OFFLINE=1``), weights are read from safetensors only, and ``trust_remote_code`` stays
off unless the :class:`~gazex_viewer.inference.api.ModelSpec` asks for it.

torch, transformers and peft are imported inside the methods.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
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
from gazex_viewer.inference.backend import Backend, JobControl, LoadedModel
from gazex_viewer.inference.images import PROCESSOR_MAX_PIXELS, PROCESSOR_MIN_PIXELS
from gazex_viewer.inference.protocol import GROUNDING_BATCH, ModelDescription

__all__ = [
    "GROUNDING_BATCH",
    "TransformersGazeXBackend",
    "generation_config_warnings",
    "require_local_extra",
    "set_offline_env",
]

#: the packages a local model needs (setup.cfg's ``local`` extra)
LOCAL_PACKAGES = ("torch", "torchvision", "transformers", "safetensors", "peft")


def require_local_extra(where: str | os.PathLike[str] | None = None) -> None:
    """InferenceError (one line) when the ``local`` extra (torch, transformers, peft) is not installed."""
    import importlib.util

    missing = []
    for name in LOCAL_PACKAGES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    if missing:
        raise InferenceError(
            where, f"a local model needs the local extra: pip install 'gazex-viewer[local]' (missing: {', '.join(missing)})"
        )


def set_offline_env() -> None:
    """Make sure nothing is ever downloaded."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def resolve_device(requested: str, where: Path) -> tuple[str, str]:
    """(torch device, dtype name) for ``auto`` / ``cpu`` / ``cuda[:N]``; InferenceError when CUDA is absent."""
    import torch

    req = (requested or "auto").strip().lower()
    if req == "auto":
        return ("cuda", "bfloat16") if torch.cuda.is_available() else ("cpu", "float32")
    if req == "cpu":
        return "cpu", "float32"
    if req.startswith("cuda"):
        if not torch.cuda.is_available():
            why = "torch was built without CUDA" if torch.version.cuda is None else "no CUDA device is visible"
            raise InferenceError(where, f"device {requested!r} requested but CUDA is not available ({why})")
        if ":" in req:
            idx = int(req.split(":", 1)[1])
            if idx >= torch.cuda.device_count():
                raise InferenceError(where, f"device {requested!r} requested but only {torch.cuda.device_count()} GPU(s)")
        return req, "bfloat16"
    raise InferenceError(where, f"unknown device {requested!r} (use auto, cpu or cuda)")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}".strip().rstrip(":")


class _CancelCriteria:
    """A StoppingCriteria that stops every sequence as soon as the cancel flag is set."""

    def __init__(self, control: JobControl) -> None:
        self.control = control

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.control.cancelled, dtype=torch.bool, device=input_ids.device)


class _ReportStreamer:
    """A synchronous streamer: generate calls ``put`` with each new token; text pieces go to the control.

    No thread and no queue, so an exception in generate cannot leave a reader blocked.
    """

    def __init__(self, tokenizer: Any, control: JobControl, stop_ids: set[int]) -> None:
        self.tokenizer = tokenizer
        self.control = control
        self.stop_ids = stop_ids
        self.ids: list[int] = []
        self.sent = ""
        self.prompt_seen = False
        self.t_start = time.perf_counter()
        self.t_first: float | None = None
        self.n_tokens = 0
        self._last_progress = 0.0

    def tokens_per_s(self) -> float | None:
        if self.t_first is None or self.n_tokens < 2:
            return None
        dt = time.perf_counter() - self.t_first
        return (self.n_tokens - 1) / dt if dt > 0 else None

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # the first call carries the prompt
            self.prompt_seen = True
            return
        new = [int(t) for t in value.reshape(-1).tolist()]
        if self.t_first is None:
            self.t_first = time.perf_counter()
        self.n_tokens += len(new)
        self.ids.extend(t for t in new if t not in self.stop_ids)
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if text.endswith("\ufffd"):  # an incomplete UTF-8 sequence: wait for the next token
            return
        if len(text) > len(self.sent) and text.startswith(self.sent):
            piece = text[len(self.sent) :]
            self.sent = text
            self.control.text(piece, tokens_per_s=self.tokens_per_s())
        now = time.perf_counter()
        if now - self._last_progress > 0.25:
            self._last_progress = now
            self.control.progress(
                "report", current=self.n_tokens, message=f"{self.n_tokens} tokens", tokens_per_s=self.tokens_per_s()
            )

    def end(self) -> None:
        text = self.tokenizer.decode(self.ids, skip_special_tokens=True)
        if len(text) > len(self.sent) and text.startswith(self.sent):
            self.control.text(text[len(self.sent) :], tokens_per_s=self.tokens_per_s())
            self.sent = text


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
            raise CheckpointError(spec.model_dir, f"cannot load the tokenizer/processor ({_first_line(exc)})") from None
        try:
            # mismatches are collected and reported here in one line: transformers' own error only says
            # "look at the above report", a report the user never sees
            model, loading_info = AutoModelForImageTextToText.from_pretrained(
                spec.model_dir,
                dtype=dtype,
                attn_implementation="sdpa",
                local_files_only=True,
                use_safetensors=True,
                trust_remote_code=spec.trust_remote_code,
                output_loading_info=True,
                ignore_mismatched_sizes=True,
            )
        except Exception as exc:  # noqa: BLE001
            raise CheckpointError(spec.model_dir, f"cannot load the weights ({_first_line(exc)})") from None
        problem = _loading_problem(loading_info)
        if problem:
            raise CheckpointError(spec.model_dir, f"the weights do not fit config.json: {problem}")
        if info.adapter_dir is not None:
            control.progress("loading", message=f"applying LoRA adapter {info.adapter_dir.name}")
            model = self._apply_adapter(model, info.adapter_dir)
        try:
            model = model.to(device)
        except Exception as exc:  # noqa: BLE001 - CUDA out of memory and friends
            raise InferenceError(spec.model_dir, f"cannot move the model to {device} ({_first_line(exc)})") from None
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

    def _apply_adapter(self, model: Any, adapter_dir: Path) -> Any:
        """Check the adapter against the base model, load it with peft and merge it into the weights.

        Adapters saved with transformers before 4.52 (LLaMA-Factory writes full module names such as
        ``model.layers.0.self_attn.q_proj`` into ``target_modules``, and the weight keys follow that layout) are
        remapped onto the current layout (``model.language_model.layers.*``, ``model.visual.*``): both the weight keys
        and a ``target_modules`` list. A ``target_modules`` regular expression written for the old layout cannot be
        remapped safely and is refused with a message saying so. Every LoRA tensor must land on a module of the
        right size: an adapter made for another base is refused instead of being silently ignored.
        """
        from safetensors.torch import load_file

        modules = dict(model.named_modules())
        problems: list[str] = []
        state: dict[str, Any] = {}
        for f in sorted(adapter_dir.glob("*.safetensors")):
            try:
                tensors = load_file(str(f))
            except Exception as exc:  # noqa: BLE001
                raise CheckpointError(f, f"cannot read the LoRA weights ({_first_line(exc)})") from None
            for key, tensor in tensors.items():
                if ".lora_" not in key:
                    state[key] = tensor
                    continue
                mod_path, rest = key.split(".lora_", 1)
                found = _find_module(modules, mod_path)
                if found is None:
                    problems.append(f"{mod_path} is not a module of the base model")
                    continue
                name, mod = found
                if rest.startswith("A.") or rest.startswith("B."):
                    want = getattr(mod, "in_features", None) if rest.startswith("A.") else getattr(mod, "out_features", None)
                    got = tensor.shape[1] if rest.startswith("A.") else tensor.shape[0]
                    if want is not None and got != want:
                        problems.append(f"{name}: adapter size {got}, base model {want}")
                state[f"base_model.model.{name}.lora_{rest}"] = tensor
        if problems:
            raise CheckpointError(
                adapter_dir,
                "LoRA adapter does not fit this base model (made for another base?): " + "; ".join(problems[:3]),
            )
        if not any(".lora_" in k for k in state):
            raise CheckpointError(adapter_dir, "the LoRA adapter holds no lora_A / lora_B weights")
        try:
            from peft import LoraConfig, get_peft_model, set_peft_model_state_dict

            config = LoraConfig.from_pretrained(str(adapter_dir))
            config.inference_mode = True
            config.target_modules = _remap_target_modules(config.target_modules, modules, adapter_dir)
            peft_model = get_peft_model(model, config)
            result = set_peft_model_state_dict(peft_model, state)
        except CheckpointError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise CheckpointError(adapter_dir, f"cannot apply the LoRA adapter ({_first_line(exc)})") from None
        missing = [k for k in getattr(result, "missing_keys", []) if ".lora_" in k]
        unexpected = list(getattr(result, "unexpected_keys", []))
        if missing or unexpected:
            what = missing[:2] + unexpected[:2]
            raise CheckpointError(
                adapter_dir,
                f"LoRA adapter does not match its own adapter_config.json or this base "
                f"({len(missing)} LoRA weights missing, {len(unexpected)} unexpected: {', '.join(what)})",
            )
        return peft_model.merge_and_unload()

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
        except Exception:  # noqa: BLE001 - best effort
            pass

    # -- text generation (the protocol lives in inference.protocol) ---------------------------
    def describe(self) -> ModelDescription:
        """The loaded model (InferenceError when none)."""
        if self._loaded is None or self.processor is None:
            raise InferenceError(None, "no model loaded")
        lm = self._loaded
        ip = getattr(self.processor, "image_processor", None)
        lo, hi = _processor_pixel_limits(ip)
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
        kw.update(_NEUTRAL_GENERATION)
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
        streamer = _ReportStreamer(self.processor.tokenizer, control, self._stop_ids) if stream else None
        if not settings.deterministic:
            torch.manual_seed(settings.seed + seed_offset)
        t0 = time.perf_counter()
        with torch.inference_mode():
            out = self.model.generate(
                **inputs,
                streamer=streamer,
                stopping_criteria=StoppingCriteriaList([_CancelCriteria(control)]),
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
                stopping_criteria=StoppingCriteriaList([_CancelCriteria(control)]),
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
        except Exception:  # noqa: BLE001
            pass


#: decoding options a checkpoint's generation_config may set that GazeX's decoding does not use: passed explicitly
#: at their neutral values so that none is inherited silently (each one found is recorded as a warning)
_NEUTRAL_GENERATION: dict[str, Any] = {
    "no_repeat_ngram_size": 0,
    "encoder_repetition_penalty": 1.0,
    "num_beams": 1,
    "length_penalty": 1.0,
    "typical_p": 1.0,
    "epsilon_cutoff": 0.0,
    "eta_cutoff": 0.0,
    "min_p": None,
    "bad_words_ids": None,
    "suppress_tokens": None,
    "begin_suppress_tokens": None,
}
_NEUTRAL_CHECKED: dict[str, Any] = {
    **{k: v for k, v in _NEUTRAL_GENERATION.items() if k not in ("bad_words_ids", "suppress_tokens", "begin_suppress_tokens")},
    "repetition_penalty": 1.0,
}


def generation_config_warnings(generation_config: Any) -> list[str]:
    """What a checkpoint's generation_config sets that GazeX's decoding overrides (one warning per option)."""
    out = []
    for key, neutral in _NEUTRAL_CHECKED.items():
        value = getattr(generation_config, key, None)
        if value is None or value == neutral or (neutral is None and not value):
            continue
        if key == "num_beams" and value == 1:
            continue
        out.append(
            f"the checkpoint's generation_config.json sets {key}={value!r}; GazeX's decoding uses "
            f"{neutral if neutral is not None else 'none'} (overridden)"
        )
    for key in ("bad_words_ids", "suppress_tokens", "begin_suppress_tokens"):
        if getattr(generation_config, key, None):
            out.append(f"the checkpoint's generation_config.json sets {key}; GazeX's decoding uses none (overridden)")
    return out


def _processor_pixel_limits(image_processor: Any) -> tuple[int, int]:
    """(min_pixels, max_pixels) of a Qwen2-VL image processor (defaults when it does not say)."""
    lo = getattr(image_processor, "min_pixels", None)
    hi = getattr(image_processor, "max_pixels", None)
    size = getattr(image_processor, "size", None)
    if isinstance(size, dict):
        lo = lo or size.get("shortest_edge") or size.get("min_pixels")
        hi = hi or size.get("longest_edge") or size.get("max_pixels")
    try:
        return int(lo or PROCESSOR_MIN_PIXELS), int(hi or PROCESSOR_MAX_PIXELS)
    except (TypeError, ValueError):
        return PROCESSOR_MIN_PIXELS, PROCESSOR_MAX_PIXELS


_OLD_LAYOUT = ("model.layers.", "model.embed_tokens", "model.norm", "visual.")


def _remap_target_modules(target: Any, modules: dict[str, Any], adapter_dir: Path) -> Any:
    """``target_modules`` of an adapter config with pre-4.52 full module names mapped onto this model's layout."""
    if isinstance(target, str):
        if any(old.rstrip(".").replace(".", r"\.") in target or old in target for old in _OLD_LAYOUT):
            raise CheckpointError(
                adapter_dir / "adapter_config.json",
                "target_modules is a regular expression in the layout of transformers before 4.52 "
                f"({target[:80]!r}); it cannot be remapped safely: re-save the adapter with transformers 4.52 or "
                "later, or list the module names",
            )
        return target
    if not isinstance(target, (list, set, tuple)):
        return target
    out = set()
    for name in target:
        found = _find_module(modules, str(name)) if str(name) not in modules and "." in str(name) else None
        out.add(found[0] if found is not None else str(name))
    return out


def _find_module(modules: dict[str, Any], peft_path: str) -> tuple[str, Any] | None:
    """(name, module) of the base-model module a peft key names (``base_model.model.<path>``).

    Tries the path as saved, then the transformers 5 Qwen2-VL layout of older keys.
    """
    path = peft_path
    for prefix in ("base_model.model.", "base_model."):
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    candidates = [path]
    if path.startswith(("model.layers.", "model.embed_tokens", "model.norm")):
        candidates.append("model.language_model." + path[len("model.") :])
    if path.startswith("visual."):
        candidates.append("model." + path)
    for c in candidates:
        if c in modules:
            return c, modules[c]
    return None


def _loading_problem(info: Any) -> str:
    """One line saying which weights were of the wrong shape or missing ("" when they all loaded).

    ``info`` is the ``loading_info`` dict of ``from_pretrained(..., output_loading_info=True)``.
    """
    if not isinstance(info, dict):
        return ""
    parts: list[str] = []
    mismatched = sorted(info.get("mismatched_keys") or [], key=lambda m: str(m[0]))
    if mismatched:
        first = mismatched[0]
        shapes = ""
        if len(first) >= 3:
            shapes = f": checkpoint {list(first[1])}, config {list(first[2])}"
        parts.append(f"{len(mismatched)} tensor(s) of another shape (first {first[0]}{shapes})")
    missing = sorted(str(k) for k in (info.get("missing_keys") or []))
    if missing:
        parts.append(f"{len(missing)} tensor(s) missing (first {missing[0]})")
    errors = [str(e).strip().splitlines()[0] for e in (info.get("error_msgs") or []) if str(e).strip()]
    if errors:
        parts.append(errors[0])
    return "; ".join(parts)
