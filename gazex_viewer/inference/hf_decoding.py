"""How transformers' ``generate`` is driven for GazeX: cancel within a token, the streamed report, the decoding
options passed at their neutral values (and the warnings when a checkpoint's generation_config sets them), and the
image processor's own pixel limits.

torch is imported only inside the calls made during generation.
"""

from __future__ import annotations

import time
from typing import Any

from gazex_viewer.inference.images import PROCESSOR_MAX_PIXELS, PROCESSOR_MIN_PIXELS
from gazex_viewer.inference.job import JobControl


class CancelCriteria:
    """A StoppingCriteria that stops every sequence as soon as the cancel flag is set."""

    def __init__(self, control: JobControl) -> None:
        self.control = control

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        return torch.full((input_ids.shape[0],), self.control.cancelled, dtype=torch.bool, device=input_ids.device)


class ReportStreamer:
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


#: decoding options a checkpoint's generation_config may set that GazeX's decoding does not use: passed explicitly
#: at their neutral values so that none is inherited silently (each one found is recorded as a warning)
NEUTRAL_GENERATION: dict[str, Any] = {
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
    **{k: v for k, v in NEUTRAL_GENERATION.items() if k not in ("bad_words_ids", "suppress_tokens", "begin_suppress_tokens")},
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


def processor_pixel_limits(image_processor: Any) -> tuple[int, int]:
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
