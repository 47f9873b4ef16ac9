"""What a local (transformers) model needs around it: the ``local`` extra, an offline environment, a device, and a
one-line report of weights that did not load.

Nothing is downloaded (``HF_HUB_OFFLINE=1``); torch is imported only inside :func:`resolve_device`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gazex_viewer.core.errors import InferenceError

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


def first_line(exc: BaseException) -> str:
    """An exception as one short line: its class and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}".strip().rstrip(":")


def loading_problem(info: Any) -> str:
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
