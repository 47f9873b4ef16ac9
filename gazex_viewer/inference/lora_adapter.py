"""Applying a LLaMA-Factory / peft LoRA adapter to a transformers base model already loaded: checked against the
base, remapped from the layout of transformers before 4.52, loaded with peft and merged into the weights.

torch, safetensors and peft are imported inside :func:`apply_adapter`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gazex_viewer.core.errors import CheckpointError
from gazex_viewer.inference.local_model import first_line


def apply_adapter(model: Any, adapter_dir: Path) -> Any:
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
            raise CheckpointError(f, f"cannot read the LoRA weights ({first_line(exc)})") from None
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
            if rest.startswith(("A.", "B.")):
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
        raise CheckpointError(adapter_dir, f"cannot apply the LoRA adapter ({first_line(exc)})") from None
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
