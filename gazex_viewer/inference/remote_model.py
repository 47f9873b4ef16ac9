"""A model served by an OpenAI-compatible server: the department's model-info file and the server's credentials.

A server (vLLM, SGLang, ``transformers serve``) cannot say which weights it serves, which coordinate frame their
boxes use, what pixel budget they were trained with or which prompts they expect. The department writes that once
in a small JSON file (``--model-info FILE``)::

    {
      "server": "https://gpu-server.example:8000",
      "served_model": "gazex-1a2b3c4d5e6f",
      "checkpoint_sha256": "<sha256 of the served weights, as gazex-viewer computes it for a folder>",
      "gazex": {"coordinate_frame": "downscale4", "max_pixels": 589824, "name": "GazeX 2B"},
      "server_kind": "auto",
      "timeout_s": 120, "connect_timeout_s": 5, "retries": 2, "concurrency": 4,
      "ca_bundle": "/etc/ssl/department-ca.pem",
      "token_env": "GAZEX_SERVER_TOKEN"
    }

``gazex`` is the checkpoint's own ``gazex.json`` (checked the same way). Only ``gazex`` and the hash describe the
model; the rest are connection settings, each optional. The bearer token is never written here: it comes from
the environment variable named by ``token_env`` or from the system keyring (service ``gazex-viewer``, user = the
server URL). :func:`model_info_from_checkpoint` writes this file's content for a local checkpoint folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gazex_viewer.core.errors import CheckpointError
from gazex_viewer.core.imaging.model_input import DEFAULT_MODEL_INPUT
from gazex_viewer.core.reading.gazex_prompts import prompt_set_from_sidecar
from gazex_viewer.inference.api import (
    DEFAULT_MAX_PIXELS,
    SIDECAR_NAME,
    CheckpointInfo,
    ModelSpec,
    check_sidecar,
)

#: the server dialects: how the decoding parameters the OpenAI schema lacks are sent
SERVER_KINDS: tuple[str, ...] = ("auto", "vllm", "sglang", "transformers", "openai")
#: the environment variable holding the server's bearer token, unless the model-info file names another
DEFAULT_TOKEN_ENV: str = "GAZEX_SERVER_TOKEN"
#: the keyring service under which a server's token is stored (user name: the server URL)
KEYRING_SERVICE: str = "gazex-viewer"
_HEX = set("0123456789abcdef")


@dataclass
class RemoteModel:
    """Where a GazeX model is served and what it is (see the module doc for the file format)."""

    server: str
    served_model: str
    #: the checkpoint's gazex.json settings (frame, max_pixels, name, prompts, model_input)
    gazex: dict[str, Any] = field(default_factory=dict)
    checkpoint_sha256: str | None = None
    adapter_sha256: str | None = None
    server_kind: str = "auto"
    #: the longest wait for one request, start to end (a report included)
    timeout_s: float = 120.0
    connect_timeout_s: float = 5.0
    #: extra tries after a connection error or an HTTP 5xx (never after a 4xx)
    retries: int = 2
    #: grounding prompts sent at once
    concurrency: int = 4
    ca_bundle: Path | None = None
    token_env: str = DEFAULT_TOKEN_ENV
    dtype: str = "unknown"
    #: the file it was read from (None: given on the command line only)
    source: Path | None = None

    @property
    def base_url(self) -> str:
        return self.server.rstrip("/")

    def identity(self) -> dict[str, Any]:
        """What identifies the model this file describes (hashed into the reading cache key)."""
        return {
            "server": self.base_url,
            "served_model": self.served_model,
            "gazex": self.gazex,
            "checkpoint_sha256": self.checkpoint_sha256,
            "adapter_sha256": self.adapter_sha256,
        }


def _sha(value: Any, key: str, where: Path | str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 64 or not set(value) <= _HEX:
        raise CheckpointError(where, f"{key} must be 64 lower-case hex digits (a sha256), got {str(value)[:80]!r}")
    return value


def check_server_url(url: str, where: Path | str) -> str:
    """The server URL without a trailing slash; CheckpointError when it is not http(s)://host[:port][/path]."""
    parts = urlsplit(str(url).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CheckpointError(where, f"server {url!r} is not an http:// or https:// URL")
    if parts.username or parts.password:
        raise CheckpointError(where, "the server URL must not hold a user name or password (use a token)")
    return str(url).strip().rstrip("/")


def remote_model_from_dict(data: dict[str, Any], where: Path | str, *, server: str | None = None,
                           served_model: str | None = None) -> RemoteModel:
    """A checked RemoteModel from a model-info object; ``server`` / ``served_model`` override the file's."""
    known = {
        "server", "served_model", "gazex", "checkpoint_sha256", "adapter_sha256", "server_kind", "timeout_s",
        "connect_timeout_s", "retries", "concurrency", "ca_bundle", "token_env", "dtype", "comment",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise CheckpointError(where, f"unknown key(s) {', '.join(map(repr, unknown))} in the model-info file")
    url = server or data.get("server")
    name = served_model or data.get("served_model")
    if not url:
        raise CheckpointError(where, "no server URL (give --server or \"server\" in the model-info file)")
    if not name or not isinstance(name, str):
        raise CheckpointError(where, "no served model name (give --served-model or \"served_model\")")
    gazex = data.get("gazex", {})
    if not isinstance(gazex, dict):
        raise CheckpointError(where, f"gazex must be an object (the checkpoint's {SIDECAR_NAME})")
    check_sidecar(gazex, Path(str(where)))
    kind = data.get("server_kind", "auto")
    if kind not in SERVER_KINDS:
        raise CheckpointError(where, f"unknown server_kind {kind!r}; expected one of {', '.join(SERVER_KINDS)}")
    numbers: dict[str, float] = {}
    for key, low in (("timeout_s", 0.1), ("connect_timeout_s", 0.1), ("retries", 0), ("concurrency", 1)):
        if key in data:
            v = data[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < low:
                raise CheckpointError(where, f"{key} must be a number of at least {low:g}, got {v!r}")
            numbers[key] = float(v)
    ca = data.get("ca_bundle")
    ca_path: Path | None = None
    if ca is not None:
        ca_path = Path(str(ca)).expanduser()
        if isinstance(where, Path) and not ca_path.is_absolute():
            ca_path = where.parent / ca_path
        if not ca_path.is_file():
            raise CheckpointError(ca_path, "CA bundle not found")
    token_env = data.get("token_env", DEFAULT_TOKEN_ENV)
    if not isinstance(token_env, str) or not token_env:
        raise CheckpointError(where, "token_env must name an environment variable")
    return RemoteModel(
        server=check_server_url(str(url), where),
        served_model=name,
        gazex=dict(gazex),
        checkpoint_sha256=_sha(data.get("checkpoint_sha256"), "checkpoint_sha256", where),
        adapter_sha256=_sha(data.get("adapter_sha256"), "adapter_sha256", where),
        server_kind=str(kind),
        timeout_s=numbers.get("timeout_s", 120.0),
        connect_timeout_s=numbers.get("connect_timeout_s", 5.0),
        retries=int(numbers.get("retries", 2)),
        concurrency=int(numbers.get("concurrency", 4)),
        ca_bundle=ca_path,
        token_env=token_env,
        dtype=str(data.get("dtype") or "unknown"),
        source=where if isinstance(where, Path) else None,
    )


def read_model_info(path: Path, *, server: str | None = None, served_model: str | None = None) -> RemoteModel:
    """The model-info file at ``path`` (CheckpointError naming it when unreadable or wrong)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CheckpointError(path, "model-info file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(path, f"the model-info file is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CheckpointError(path, "the model-info file is not a JSON object")
    return remote_model_from_dict(data, path, server=server, served_model=served_model)


def model_info_from_checkpoint(model_dir: Path, server: str, served_model: str) -> dict[str, Any]:
    """The model-info object for a local checkpoint folder served at ``server`` as ``served_model``."""
    from gazex_viewer.inference.api import ModelSpec, check_checkpoint, weights_sha256

    info = check_checkpoint(ModelSpec(model_dir))
    return {
        "server": server,
        "served_model": served_model,
        "checkpoint_sha256": weights_sha256(info.weight_files),
        "gazex": dict(info.sidecar),
    }


def server_token(model: RemoteModel) -> str | None:
    """The bearer token: the environment variable first, then the keyring; None when neither has one."""
    token = os.environ.get(model.token_env, "").strip()
    if token:
        return token
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, model.base_url)
    except Exception:  # noqa: BLE001 - no keyring backend (a headless station): no token
        return None
    return stored.strip() if stored and stored.strip() else None


def remote_from_spec(spec: ModelSpec) -> RemoteModel:
    """The served model a ModelSpec names: its model-info file (``model_dir``, optional) and server overrides."""
    server, served = spec.endpoint, spec.served_model
    path = Path(spec.model_dir) if str(spec.model_dir) not in ("", ".") else None
    if path is not None and path.is_file():
        return read_model_info(path, server=server, served_model=served)
    if path is not None and path.exists():
        raise CheckpointError(path, "give the model-info file (JSON), not a folder, for a model server")
    where = str(path) if path is not None else "--server"
    if path is not None:
        raise CheckpointError(path, "model-info file not found")
    return remote_model_from_dict({}, where, server=server, served_model=served)


def identity_warnings(remote: RemoteModel) -> list[str]:
    """What a reading must say because a server cannot prove which checkpoint it serves."""
    if remote.source is None or not remote.gazex and remote.checkpoint_sha256 is None:
        return [
            (f"no model-info file for {remote.served_model!r} on {remote.base_url}: the checkpoint is unknown and "
            "GazeX's defaults are assumed (coordinate frame downscale4, 768 x 768 pixels, training prompts)")
        ]
    sha = remote.checkpoint_sha256
    if sha is None:
        return [(f"the model-info file gives no checkpoint_sha256: the checkpoint served as {remote.served_model!r} "
                "is not identified")]
    if sha[:12] not in remote.served_model:
        return [
            (f"the server cannot confirm that {remote.served_model!r} is checkpoint {sha[:12]}… (the model-info "
            f"file's hash): serve it as gazex-{sha[:12]} to make the name confirm it")
        ]
    return []


def checkpoint_info(remote: RemoteModel) -> CheckpointInfo:
    g = remote.gazex
    return CheckpointInfo(
        model_dir=remote.source or Path(remote.served_model),
        model_type=str(g.get("model_type", "qwen2_vl")),
        weight_files=[],
        coordinate_frame=str(g.get("coordinate_frame", "downscale4")),
        max_pixels=int(g.get("max_pixels", DEFAULT_MAX_PIXELS)),
        name=str(g.get("name") or remote.served_model),
        sidecar=dict(g),
        prompts=prompt_set_from_sidecar(g),
        model_input=str(g.get("model_input", DEFAULT_MODEL_INPUT)),
    )
