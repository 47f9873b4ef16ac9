"""The inference client API: plain data classes and fast checkpoint checks (no torch import).

The UI and the command line talk to a model through these types only:

- :class:`ModelSpec` names a checkpoint folder (and an optional LoRA adapter) and a device;
- :class:`GenerationSettings` are the decoding options of one job;
- :class:`JobEvent` is what a running job reports (progress, streamed text, the finished reading, an error);
- :func:`check_checkpoint` validates a folder quickly, before any weights are loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from gazex_viewer.core.errors import CheckpointError
from gazex_viewer.core.imaging.model_input import DEFAULT_MODEL_INPUT, MODEL_INPUT_MODES
from gazex_viewer.core.reading.document import ModelQuery, Reading
from gazex_viewer.core.reading.gazex_prompts import (
    DEFAULT_PRESET,
    PROMPT_PRESETS,
    PromptError,
    PromptSet,
    prompt_set_from_sidecar,
)

#: Qwen2-VL-layout model types accepted by the transformers backend (LLaMA-Factory's ``qwen2_vl`` template serves
#: both Qwen2-VL and Qwen2.5-VL bases).
SUPPORTED_MODEL_TYPES: tuple[str, ...] = ("qwen2_vl", "qwen2_5_vl")
#: GazeX's training image budget in pixels (768 * 768).
DEFAULT_MAX_PIXELS: int = 768 * 768
#: the smallest and largest image budget a sidecar may give (Qwen2-VL's min_pixels; 16384 image tokens)
MIN_MAX_PIXELS: int = 4 * 28 * 28
MAX_MAX_PIXELS: int = 16384 * 28 * 28
#: name of the per-checkpoint sidecar file
SIDECAR_NAME: str = "gazex.json"
#: coordinate frames a sidecar may name (kept in step with core.gazex_protocol.COORDINATE_FRAMES)
KNOWN_FRAMES: tuple[str, ...] = ("downscale4", "qwen2vl_1000")

EventKind = Literal["progress", "text", "done", "error", "cancelled"]


@dataclass
class GenerationSettings:
    """Decoding options of one job.

    The defaults are GazeX's own decoding (the authors' ``run_inference.py``: vLLM sampling with temperature 1.0,
    top_p 0.9, top_k off, repetition_penalty 1.0, min_tokens 20, up to 1024 new tokens), seeded with ``seed`` so
    that a run can be repeated. ``deterministic`` (greedy decoding) is an explicit option. Every value is passed to
    the model explicitly, so nothing is inherited from a checkpoint's ``generation_config.json``.
    """

    deterministic: bool = False
    temperature: float = 1.0
    top_p: float = 0.9
    max_new_tokens: int = 1024
    seed: int = 0
    #: 0 = off, as upstream's ``top_k=-1``
    top_k: int = 0
    repetition_penalty: float = 1.0
    min_new_tokens: int = 20

    def __post_init__(self) -> None:
        # transformers refuses an int temperature ("has to be a strictly positive float")
        for name in ("temperature", "top_p", "repetition_penalty"):
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, name, float(value))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GenerationSettings:
        """Settings from a dict (unknown keys ignored, missing keys take the defaults)."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in d.items() if k in known})

    def problems(self) -> list[str]:
        """What is wrong with these settings ([] when they are usable)."""
        out = []
        if self.max_new_tokens < 1:
            out.append(f"max_new_tokens must be at least 1 (got {self.max_new_tokens})")
        if self.min_new_tokens < 0:
            out.append(f"min_new_tokens must be 0 or more (got {self.min_new_tokens})")
        if not self.repetition_penalty > 0:
            out.append(f"repetition_penalty must be above 0 (got {self.repetition_penalty})")
        if not self.deterministic:
            if not self.temperature > 0:
                out.append(f"temperature must be above 0 (got {self.temperature})")
            if not 0 < self.top_p <= 1:
                out.append(f"top_p must be in (0, 1] (got {self.top_p})")
            if self.top_k < 0:
                out.append(f"top_k must be 0 (off) or more (got {self.top_k})")
        return out

    def describe(self) -> str:
        """One line for people: "GazeX sampling (T 1.0, top-p 0.9, seed 0)" or "deterministic (greedy)"."""
        extra = []
        if self.repetition_penalty != 1.0:
            extra.append(f"repetition penalty {self.repetition_penalty:g}")
        if self.min_new_tokens != 20:
            extra.append(f"min {self.min_new_tokens} tokens")
        tail = (", " + ", ".join(extra)) if extra else ""
        if self.deterministic:
            return f"deterministic (greedy){tail}"
        k = f", top-k {self.top_k}" if self.top_k else ""
        gazex = self.temperature == 1.0 and self.top_p == 0.9 and not self.top_k
        what = "GazeX sampling" if gazex else "sampling"
        return f"{what} (T {self.temperature:g}, top-p {self.top_p:g}{k}, seed {self.seed}){tail}"

    def effective(self, max_new_tokens: int | None = None) -> dict[str, Any]:
        """Every decoding parameter as it is passed to the model (what a reading records)."""
        out: dict[str, Any] = {
            "do_sample": not self.deterministic,
            "max_new_tokens": self.max_new_tokens if max_new_tokens is None else max_new_tokens,
            "min_new_tokens": self.min_new_tokens,
            "repetition_penalty": self.repetition_penalty,
        }
        if self.deterministic:
            out.update(temperature=None, top_p=None, top_k=None, seed=None)
        else:
            out.update(temperature=self.temperature, top_p=self.top_p, top_k=self.top_k or None, seed=self.seed)
        return out

    def cache_key(self) -> dict[str, Any]:
        """The settings that change the output (sampling options do not matter when greedy)."""
        if self.deterministic:
            return {
                "deterministic": True,
                "max_new_tokens": self.max_new_tokens,
                "min_new_tokens": self.min_new_tokens,
                "repetition_penalty": self.repetition_penalty,
            }
        return self.to_dict()


@dataclass
class ModelSpec:
    """Which checkpoint to load and where.

    Parameters
    ----------
    model_dir
        A merged Qwen2-VL-layout folder (or the base folder when ``adapter_dir`` is given).
    adapter_dir
        A LLaMA-Factory / peft LoRA adapter folder, or None.
    device
        ``"auto"`` (CUDA when present, else CPU), ``"cpu"`` or ``"cuda"`` (``"cuda:N"`` is accepted).
    trust_remote_code
        Off unless the user asks for it explicitly.
    endpoint, served_model
        A model server (e.g. the ``openai`` backend) instead of a local folder: its URL and the served model's name;
        ``model_dir`` is then the department's model-info file (or empty).
    backend
        The backend that runs the model, by its registered name (:mod:`gazex_viewer.inference.registry`); None:
        ``openai`` for an endpoint or a model-info file (``.json``), else ``transformers``.
    """

    model_dir: Path
    adapter_dir: Path | None = None
    device: str = "auto"
    trust_remote_code: bool = False
    endpoint: str | None = None
    served_model: str | None = None
    backend: str | None = None

    def __post_init__(self) -> None:
        self.model_dir = Path(self.model_dir)
        if self.adapter_dir is not None:
            self.adapter_dir = Path(self.adapter_dir)

    @property
    def server(self) -> str | None:
        """The model server's URL (the :attr:`endpoint`; kept for callers written before it was named so)."""
        return self.endpoint


@dataclass
class JobEvent:
    """One report from the worker.

    ``kind`` is ``"progress"`` (``stage``, ``current``/``total``, ``message``, ``tokens_per_s``),
    ``"text"`` (a streamed piece of the report in ``text``), ``"done"`` (``reading``), ``"error"``
    (``message``, one line naming the file and the reason) or ``"cancelled"``. Model loading reports
    with ``job_id == 0`` and the stage ``"loaded"`` on success.
    """

    kind: str
    job_id: int
    stage: str = ""
    message: str = ""
    current: int = 0
    total: int = 0
    text: str = ""
    tokens_per_s: float | None = None
    reading: Reading | None = None
    #: the answer of a ``ground`` or ``ask`` job (model output, kept apart from the report)
    query: ModelQuery | None = None


@dataclass
class JobTask:
    """A job other than a reading: ground ``sentences`` (``kind="ground"``) or answer ``question`` (``"ask"``).

    ``finding_id`` names the review finding a grounding was asked for (copied into the answer).
    """

    kind: Literal["ground", "ask"]
    sentences: list[str] = field(default_factory=list)
    question: str = ""
    finding_id: str | None = None


@dataclass
class CheckpointInfo:
    """What the fast checks learned about a checkpoint folder."""

    model_dir: Path
    model_type: str
    weight_files: list[Path]
    adapter_dir: Path | None = None
    adapter_files: list[Path] = field(default_factory=list)
    coordinate_frame: str = "downscale4"
    max_pixels: int = DEFAULT_MAX_PIXELS
    name: str = ""
    sidecar: dict[str, Any] = field(default_factory=dict)
    #: the prompts sent (a preset, or the sidecar's own)
    prompts: PromptSet = field(default_factory=lambda: PROMPT_PRESETS[DEFAULT_PRESET])
    #: how the 8-bit model input is rendered from a film (core.model_input.MODEL_INPUT_MODES)
    model_input: str = DEFAULT_MODEL_INPUT


# -- checks ------------------------------------------------------------------------------------


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(path.parent, f"no {path.name} ({what})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(path, f"{what} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(path, f"{what} is not a JSON object")
    return data


def _weight_files(folder: Path, *, single: str, index: str, what: str) -> list[Path]:
    """The safetensors files of a folder, refusing pickle-only checkpoints."""
    index_path = folder / index
    files: list[Path]
    if index_path.is_file():
        idx = _read_json(index_path, "the safetensors index")
        weight_map = idx.get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise CheckpointError(index_path, "the safetensors index has no weight_map")
        files = sorted({folder / str(name) for name in weight_map.values()})
        missing = [p.name for p in files if not p.is_file()]
        if missing:
            raise CheckpointError(folder, f"missing weight shard(s) named in {index}: {', '.join(missing)}")
    else:
        files = sorted(p for p in folder.glob("*.safetensors") if p.is_file())
    if not files:
        pickles = sorted(
            p.name for p in folder.iterdir() if p.suffix in (".bin", ".pt", ".pth", ".pkl", ".ckpt")
        )
        if pickles:
            raise CheckpointError(
                folder,
                f"{what} has only pickle weights ({', '.join(pickles)}); refused because unpickling can run "
                "arbitrary code: convert them to safetensors",
            )
        raise CheckpointError(folder, f"no safetensors weights ({what})")
    for p in files:
        _check_safetensors_header(p)
    return files


def _check_safetensors_header(path: Path) -> None:
    """Cheap structural check of a safetensors file: header length, JSON header, data size."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
            if len(head) < 8:
                raise CheckpointError(path, "corrupt safetensors file (truncated header)")
            n = int.from_bytes(head, "little")
            if n <= 0 or n > min(size - 8, 100_000_000):
                raise CheckpointError(path, "corrupt safetensors file (bad header length)")
            header = json.loads(fh.read(n).decode("utf-8"))
    except CheckpointError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise CheckpointError(path, f"corrupt safetensors file ({exc.__class__.__name__})") from None
    if not isinstance(header, dict):
        raise CheckpointError(path, "corrupt safetensors file (header is not a JSON object)")
    end = 0
    for key, meta in header.items():
        if key == "__metadata__":
            continue
        try:
            end = max(end, int(meta["data_offsets"][1]))
        except (KeyError, TypeError, IndexError, ValueError):
            raise CheckpointError(path, f"corrupt safetensors file (bad entry {key!r})") from None
    if 8 + n + end > size:
        raise CheckpointError(path, f"corrupt safetensors file (truncated: {size} bytes, needs {8 + n + end})")


def read_sidecar(model_dir: Path) -> dict[str, Any]:
    """The optional ``gazex.json`` sidecar of a checkpoint folder ({} when absent), validated.

    Raises
    ------
    CheckpointError
        Naming the sidecar file when it is not JSON or a value is wrong (see :func:`check_sidecar`).
    """
    path = Path(model_dir) / SIDECAR_NAME
    if not path.is_file():
        return {}
    data = _read_json(path, "the GazeX sidecar")
    check_sidecar(data, path)
    return data


def check_sidecar(data: dict[str, Any], path: Path) -> None:
    """Check the known keys of a ``gazex.json`` sidecar; each one is optional.

    ``coordinate_frame`` must be one of :data:`KNOWN_FRAMES`; ``max_pixels`` a JSON integer in
    [:data:`MIN_MAX_PIXELS`, :data:`MAX_MAX_PIXELS`]; ``name`` a string; ``prompt_preset`` a known preset and
    ``prompts`` usable overrides (:func:`~gazex_viewer.core.reading.gazex_prompts.prompt_set_from_sidecar`);
    ``model_input`` one of :data:`~gazex_viewer.core.imaging.model_input.MODEL_INPUT_MODES`.

    Raises
    ------
    CheckpointError
        Naming ``path`` and the wrong value.
    """
    if "coordinate_frame" in data:
        frame = data["coordinate_frame"]
        if not isinstance(frame, str) or frame not in KNOWN_FRAMES:
            raise CheckpointError(
                path, f"unknown coordinate_frame {frame!r}; expected one of {', '.join(KNOWN_FRAMES)}"
            )
    if "max_pixels" in data:
        mp = data["max_pixels"]
        if isinstance(mp, bool) or not isinstance(mp, int):
            raise CheckpointError(path, f"max_pixels {mp!r} is not an integer (pixels, e.g. {DEFAULT_MAX_PIXELS})")
        if not MIN_MAX_PIXELS <= mp <= MAX_MAX_PIXELS:
            raise CheckpointError(
                path, f"max_pixels {mp} is out of range: it must be between {MIN_MAX_PIXELS} and {MAX_MAX_PIXELS}"
            )
    if "name" in data and data["name"] is not None and not isinstance(data["name"], str):
        raise CheckpointError(path, f"name {data['name']!r} is not a string")
    try:
        prompt_set_from_sidecar(data)
    except PromptError as exc:
        raise CheckpointError(path, str(exc)) from None
    if "model_input" in data and data["model_input"] not in MODEL_INPUT_MODES:
        raise CheckpointError(
            path, f"unknown model_input {data['model_input']!r}; expected one of {', '.join(MODEL_INPUT_MODES)}"
        )


def check_checkpoint(spec: ModelSpec) -> CheckpointInfo:
    """Fast checks of a checkpoint folder without importing torch.

    Checks that the folder exists, ``config.json`` names a Qwen2-VL-compatible model, safetensors weights
    are present and structurally sound (pickle-only checkpoints are refused), the tokenizer and processor
    files are there, and that a LoRA adapter (when given) is a safetensors peft adapter.

    Raises
    ------
    CheckpointError
        Naming the folder or file and the reason.
    """
    folder = Path(spec.model_dir)
    if not folder.exists():
        raise CheckpointError(folder, "checkpoint folder not found")
    if not folder.is_dir():
        raise CheckpointError(folder, "not a folder (give the checkpoint folder, not a file)")
    if (folder / "adapter_config.json").is_file() and not (folder / "config.json").is_file():
        raise CheckpointError(
            folder, "this is a LoRA adapter folder: pass the base model with --model and this with --adapter"
        )
    config = _read_json(folder / "config.json", "the model configuration")
    model_type = str(config.get("model_type", ""))
    if model_type not in SUPPORTED_MODEL_TYPES:
        archs = ", ".join(config.get("architectures") or []) or "none"
        raise CheckpointError(
            folder / "config.json",
            f"model_type {model_type or '(missing)'!r} (architectures: {archs}) is not Qwen2-VL-compatible; "
            f"expected one of {', '.join(SUPPORTED_MODEL_TYPES)}",
        )
    weights = _weight_files(
        folder, single="model.safetensors", index="model.safetensors.index.json", what="model"
    )
    if not (folder / "tokenizer.json").is_file() and not (folder / "vocab.json").is_file():
        raise CheckpointError(folder, "no tokenizer (tokenizer.json or vocab.json + merges.txt)")
    if not (folder / "preprocessor_config.json").is_file() and not (folder / "processor_config.json").is_file():
        raise CheckpointError(folder, "no image processor configuration (preprocessor_config.json)")

    sidecar = read_sidecar(folder)  # validated: CheckpointError naming gazex.json
    frame = str(sidecar.get("coordinate_frame", "downscale4"))
    max_pixels = int(sidecar.get("max_pixels", DEFAULT_MAX_PIXELS))
    info = CheckpointInfo(
        model_dir=folder,
        model_type=model_type,
        weight_files=weights,
        coordinate_frame=frame,
        max_pixels=max_pixels,
        name=str(sidecar.get("name") or folder.name),
        sidecar=sidecar,
        prompts=prompt_set_from_sidecar(sidecar),
        model_input=str(sidecar.get("model_input", DEFAULT_MODEL_INPUT)),
    )
    if spec.adapter_dir is not None:
        adapter = Path(spec.adapter_dir)
        if not adapter.is_dir():
            raise CheckpointError(adapter, "adapter folder not found")
        acfg = _read_json(adapter / "adapter_config.json", "the LoRA adapter configuration")
        if str(acfg.get("peft_type", "LORA")).upper() != "LORA":
            raise CheckpointError(adapter / "adapter_config.json", f"peft_type {acfg.get('peft_type')!r} is not LoRA")
        info.adapter_dir = adapter
        info.adapter_files = _weight_files(
            adapter,
            single="adapter_model.safetensors",
            index="adapter_model.safetensors.index.json",
            what="LoRA adapter",
        )
        asidecar = read_sidecar(adapter)  # validated like the model's
        if "coordinate_frame" in asidecar:
            info.coordinate_frame = str(asidecar["coordinate_frame"])
        if "max_pixels" in asidecar:
            info.max_pixels = int(asidecar["max_pixels"])
        if asidecar.get("name"):
            info.name = str(asidecar["name"])
        if "prompt_preset" in asidecar or "prompts" in asidecar:
            info.prompts = prompt_set_from_sidecar(asidecar)
        if "model_input" in asidecar:
            info.model_input = str(asidecar["model_input"])
    return info


# -- hashing -----------------------------------------------------------------------------------

_HASH_LOCK = threading.Lock()
_HASH_MEMO: dict[tuple[str, int, int, int, int, int], str] = {}


def _hash_cache_file() -> Path | None:
    override = os.environ.get("GAZEX_CACHE_DIR")
    if override:
        return Path(override) / "weight-hashes.json"
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("gazex-viewer")) / "weight-hashes.json"
    except Exception:  # noqa: BLE001 - platformdirs missing or no home: memory cache only
        return None


def file_sha256(path: Path) -> str:
    """sha256 of one file, cached in memory and on disk by (path, size, mtime, inode, device, ctime).

    The inode and the ctime are in the key so that a weight file replaced by another of the same size
    and modification time (copied with ``cp -p``, ``touch -r``, or renamed over the old one) is hashed
    again: the ctime changes on any such swap and cannot be set back by the user.
    """
    path = Path(path).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev, st.st_ctime_ns)
    with _HASH_LOCK:
        if key in _HASH_MEMO:
            return _HASH_MEMO[key]
        store_path = _hash_cache_file()
        store: dict[str, Any] = {}
        if store_path is not None and store_path.is_file():
            try:
                store = json.loads(store_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                store = {}
        skey = "|".join(map(str, key))
        if isinstance(store.get(skey), str):
            _HASH_MEMO[key] = store[skey]
            return store[skey]
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _HASH_LOCK:
        _HASH_MEMO[key] = digest
        if store_path is not None:
            try:
                store_path.parent.mkdir(parents=True, exist_ok=True)
                store[skey] = digest
                tmp = store_path.with_name(f"{store_path.name}.{os.getpid()}.tmp")
                tmp.write_text(json.dumps(store), encoding="utf-8")
                tmp.replace(store_path)
            except OSError:
                pass
    return digest


#: files of a checkpoint folder that decide how prompts and images are turned into tokens
PROCESSOR_FILES: tuple[str, ...] = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.json",
    "merges.txt",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
    "preprocessor_config.json",
    "processor_config.json",
    "video_preprocessor_config.json",
    "generation_config.json",
)


def processor_files_sha256(folder: Path) -> str:
    """sha256 over the (name, sha256) pairs of a folder's tokenizer, chat template and processor files."""
    h = hashlib.sha256()
    for name in PROCESSOR_FILES:
        p = Path(folder) / name
        if p.is_file():
            h.update(name.encode("utf-8"))
            h.update(file_sha256(p).encode("ascii"))
    return h.hexdigest()


def weights_sha256(files: list[Path]) -> str:
    """sha256 of a checkpoint's weights: the file's own sha256 for one file, else a sha256 over the
    sorted (name, sha256) pairs of the shards. Each file is hashed once and cached by (path, size, mtime)."""
    if len(files) == 1:
        return file_sha256(files[0])
    h = hashlib.sha256()
    for p in sorted(files, key=lambda q: q.name):
        h.update(p.name.encode("utf-8"))
        h.update(file_sha256(p).encode("ascii"))
    return h.hexdigest()
