"""GazeX through an OpenAI-compatible chat-completions server (vLLM, SGLang, ``transformers serve``).

The GazeX protocol is the same as the local backend's (:mod:`gazex_viewer.inference.protocol`); this backend only
gets text from a server:

- the image is resized here exactly as the local backend resizes it (:func:`~gazex_viewer.inference.images.
  prepare_image`) and sent as a PNG data URL, so the server's processor leaves it alone;
- the report is streamed (server-sent events); cancel closes the stream, and the server stops;
- grounding prompts are sent as parallel requests, at most ``concurrency`` at once;
- every decoding parameter is sent explicitly (temperature, top_p, top_k, repetition_penalty, min/max tokens, seed),
  in the server's dialect: vLLM and SGLang take them as extra fields, ``transformers serve`` as a
  ``generation_config`` JSON string (it refuses unknown fields);
- connection errors and HTTP 5xx are retried with backoff (never a 4xx, never a started stream), each request is
  bounded by the configured timeout, and an error says what the server answered (status and the start of the body;
  an HTML page from a proxy is named as such).

Only httpx is imported (lazily); no torch.
"""

from __future__ import annotations

import base64
import hashlib
import io
import ipaddress
import json
import re
import ssl
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.inference.api import GenerationSettings, ModelSpec
from gazex_viewer.inference.backend import (
    Backend,
    JobCancelled,
    JobControl,
    LoadedModel,
)
from gazex_viewer.inference.hf_decoding import NEUTRAL_GENERATION
from gazex_viewer.inference.images import PROCESSOR_MAX_PIXELS, PROCESSOR_MIN_PIXELS
from gazex_viewer.inference.protocol import ModelDescription
from gazex_viewer.inference.remote_model import (
    RemoteModel,
    checkpoint_info,
    identity_warnings,
    remote_from_spec,
    server_token,
)

#: the longest part of a server's answer quoted in an error
_BODY_QUOTE = 160
#: first wait before a retry (doubled each time, at most _BACKOFF_MAX)
_BACKOFF_S = 0.5
_BACKOFF_MAX = 4.0


class RemoteAnswerError(Exception):
    """One request refused (an HTTP 4xx other than authentication): the protocol retries prompt by prompt."""


def image_data_url(image: Image.Image) -> str:
    """The model input as a ``data:image/png;base64,...`` URL (lossless: the server sees exactly these pixels)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _clip(text: str, n: int = _BODY_QUOTE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def describe_answer(status: int | None, content_type: str, body: bytes) -> str:
    """What a server answered, in one bounded line: the status, and the error message or the start of the body."""
    head = f"HTTP {status}" if status is not None else "the answer"
    text = body[:4000].decode("utf-8", "replace")
    low = text.lstrip().lower()
    if "html" in content_type.lower() or low.startswith(("<!doctype", "<html")):
        m = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
        title = f" titled {_clip(m.group(1), 80)!r}" if m and m.group(1).strip() else ""
        return f"{head}: an HTML page{title}, not a model server's JSON (a proxy or login page answered?)"
    try:
        data = json.loads(body[: 1 << 20]) if len(body) > 4000 else json.loads(text)
    except ValueError:
        return f"{head}: {_clip(text) or 'empty body'!r}" if text.strip() else f"{head} with an empty body"
    msg: Any = data
    if isinstance(data, dict):
        err = data.get("error")
        msg = data.get("message") or data.get("detail") or (err.get("message") if isinstance(err, dict) else err) or data
    return f"{head}: {_clip(msg if isinstance(msg, str) else json.dumps(msg))}"


class _Failed(Exception):
    """A failed request: ``retry`` when another try may succeed; ``fatal`` when no other prompt can succeed."""

    def __init__(self, message: str, *, retry: bool, fatal: bool = True) -> None:
        super().__init__(message)
        self.retry = retry
        self.fatal = fatal


class OpenAIBackend(Backend):
    """GazeX on a model server speaking the OpenAI chat-completions API."""

    name = "openai"

    def __init__(self) -> None:
        self.remote: RemoteModel | None = None
        self.kind = "openai"
        self._client: Any = None
        self._loaded: LoadedModel | None = None
        self._warnings: list[str] = []

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    # -- connecting ------------------------------------------------------------------------------
    def load(self, spec: ModelSpec, control: JobControl | None = None) -> LoadedModel:
        """Check the server and the served model (``GET /v1/models``); InferenceError naming the server."""
        control = control or JobControl(0)
        t0 = time.perf_counter()
        self.unload()
        remote = remote_from_spec(spec)
        control.progress("connecting", message=f"connecting to {remote.base_url}")
        self.remote = remote
        self._client = _make_client(remote)
        try:
            listed = self._models()
        except BaseException:
            self.unload()
            raise
        ids = [str(m.get("id")) for m in listed if isinstance(m, dict)]
        if remote.served_model not in ids:
            self.unload()
            served = ", ".join(repr(i) for i in ids[:5]) or "none"
            raise InferenceError(remote.base_url, f"the server does not serve model {remote.served_model!r} (it serves {served})")
        entry = next(m for m in listed if isinstance(m, dict) and str(m.get("id")) == remote.served_model)
        self.kind = remote.server_kind if remote.server_kind != "auto" else _guess_kind(entry)
        self._warnings = identity_warnings(remote)
        info = checkpoint_info(remote)
        ident = hashlib.sha256(json.dumps(remote.identity(), sort_keys=True).encode("utf-8")).hexdigest()
        self._loaded = LoadedModel(
            info=info,
            name=info.name,
            checkpoint_sha256=remote.checkpoint_sha256,  # None: not known
            adapter_sha256=remote.adapter_sha256,
            device=remote.base_url,
            dtype=remote.dtype,
            backend=self.name,
            load_seconds=time.perf_counter() - t0,
            extra={"server": remote.base_url, "served_model": remote.served_model, "server_kind": self.kind},
            processor_sha256=ident,
        )
        control.progress("loaded", message=f"{info.name} on {remote.base_url} ({remote.served_model})")
        return self._loaded

    def unload(self) -> None:
        client, self._client = self._client, None
        self._loaded = None
        if client is not None:
            client.close()

    def describe(self) -> ModelDescription:
        if self._loaded is None or self.remote is None:
            raise InferenceError(None, "no model loaded")
        lm, r = self._loaded, self.remote
        return ModelDescription(
            info=lm.info,
            name=f"{lm.name} (served as {r.served_model} by {r.base_url})",
            checkpoint_sha256=lm.checkpoint_sha256,
            adapter_sha256=lm.adapter_sha256,
            backend=self.name,
            device=r.base_url,
            dtype=lm.dtype,
            processor_min_pixels=int(r.gazex.get("processor_min_pixels", PROCESSOR_MIN_PIXELS)),
            processor_max_pixels=int(r.gazex.get("processor_max_pixels", PROCESSOR_MAX_PIXELS)),
            generation_warnings=list(self._warnings),
        )

    # -- text generation -------------------------------------------------------------------------
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
        """The report (streamed through ``control.text`` when ``stream``); (text, timings)."""
        body = self._body(image_data_url(image), prompt, settings, settings.max_new_tokens, min_new_tokens,
                          settings.seed + seed_offset, stream)
        t0 = time.perf_counter()
        first: list[float] = []
        count = [0]

        def piece(text: str) -> None:
            if not first:
                first.append(time.perf_counter())
            count[0] += 1
            dt = time.perf_counter() - first[0]
            control.text(text, tokens_per_s=(count[0] - 1) / dt if count[0] > 1 and dt > 0 else None)

        try:
            text, usage = self._complete(body, control, piece if stream else None)
        except _Failed as exc:
            raise InferenceError(self._where(), str(exc)) from None
        control.check()
        t1 = time.perf_counter()
        n_new = float(usage.get("completion_tokens") or count[0])
        ttft = (first[0] - t0) if first else t1 - t0
        return text, {
            "report_s": t1 - t0,
            "time_to_first_token_s": ttft,
            "report_tokens": n_new,
            "report_tokens_per_s": (n_new - 1) / (t1 - t0 - ttft) if n_new > 1 and t1 - t0 > ttft else 0.0,
            "prompt_tokens": float(usage.get("prompt_tokens") or 0),
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
        """One answer per prompt, ``concurrency`` requests at a time; (texts, timings)."""
        assert self.remote is not None
        url = image_data_url(image)
        bodies = [
            self._body(url, p, settings, max_new_tokens or settings.max_new_tokens, min_new_tokens,
                       settings.seed + seed_offset + k, False)
            for k, p in enumerate(prompts)
        ]
        t0 = time.perf_counter()
        results: list[tuple[str, dict[str, Any]] | None] = [None] * len(bodies)
        pool = ThreadPoolExecutor(max_workers=max(1, min(self.remote.concurrency, len(bodies))),
                                  thread_name_prefix="gazex-remote")
        try:
            futures: dict[Future[tuple[str, dict[str, Any]]], int] = {
                pool.submit(self._complete, b, control, None): k for k, b in enumerate(bodies)
            }
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.05, return_when=FIRST_COMPLETED)
                control.check()
                for f in done:
                    try:
                        results[futures[f]] = f.result()
                    except JobCancelled:
                        raise
                    except _Failed as exc:
                        if exc.fatal:
                            raise InferenceError(self._where(), str(exc)) from None
                        raise RemoteAnswerError(str(exc)) from None
        finally:
            for f in futures:
                f.cancel()
            pool.shutdown(wait=False)
        n_tokens = sum(float(r[1].get("completion_tokens") or 0) for r in results if r is not None)
        return [r[0] if r is not None else "" for r in results], {
            "grounding_s": time.perf_counter() - t0, "grounding_tokens": n_tokens,
        }

    # -- requests --------------------------------------------------------------------------------
    def _where(self) -> str:
        return self.remote.base_url if self.remote is not None else "model server"

    def _body(self, image_url: str, prompt: str, settings: GenerationSettings, max_new: int, min_new: int | None,
              seed: int, stream: bool) -> dict[str, Any]:
        """The chat-completions request: the image then the prompt, every decoding parameter explicit."""
        assert self.remote is not None
        low = settings.min_new_tokens if min_new is None else min_new
        low = min(int(low), max_new) if low else 0
        body: dict[str, Any] = {
            "model": self.remote.served_model,
            "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": image_url}},
                {"type": "text", "text": prompt},
            ]}],
            "max_tokens": int(max_new),
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        if settings.deterministic:
            body.update(temperature=0.0, top_p=1.0)
        else:
            body.update(temperature=settings.temperature, top_p=settings.top_p, seed=int(seed))
        top_k = settings.top_k if not settings.deterministic and settings.top_k else None
        if self.kind == "transformers":
            # transformers serve refuses unknown fields; its generation_config field reaches generate() as is
            # the neutral values of the options GazeX does not use (hf_decoding.NEUTRAL_GENERATION, as the local backend
            # pins them), so a served checkpoint's generation_config.json is not inherited
            gen = {**NEUTRAL_GENERATION, "do_sample": not settings.deterministic, "top_k": top_k,
                   "repetition_penalty": settings.repetition_penalty}
            if low:
                gen["min_new_tokens"] = low
            body["generation_config"] = json.dumps(gen)
        else:  # vLLM, SGLang and others taking vLLM's sampling extras
            body.update(top_k=top_k if top_k else -1, repetition_penalty=settings.repetition_penalty, min_tokens=low,
                        frequency_penalty=0.0, presence_penalty=0.0)
        return body

    def _complete(self, body: dict[str, Any], control: JobControl,
                  on_piece: Callable[[str], None] | None) -> tuple[str, dict[str, Any]]:
        """One chat completion (streamed when ``on_piece``), retried on connection errors and 5xx."""
        assert self.remote is not None
        deadline = time.monotonic() + self.remote.timeout_s
        delay = _BACKOFF_S
        started = False
        last: _Failed | None = None

        def piece(text: str) -> None:
            nonlocal started
            started = True
            assert on_piece is not None
            on_piece(text)

        for attempt in range(self.remote.retries + 1):
            control.check()
            try:
                with self._request("POST", "/v1/chat/completions", body, deadline) as response:
                    if on_piece is not None:
                        return _read_stream(response, control, piece, deadline, self.remote.timeout_s)
                    return _read_answer(response, control, deadline, self.remote.timeout_s)
            except _Failed as exc:
                last = exc
                # a started stream is never tried again: its pieces were shown
                if started or not exc.retry or attempt == self.remote.retries or time.monotonic() + delay >= deadline:
                    break
            if control.cancel_event.wait(delay):
                control.check()
            delay = min(delay * 2, _BACKOFF_MAX)
        assert last is not None
        if last.retry and not started and self.remote.retries:
            raise _Failed(f"{last} (after {self.remote.retries + 1} tries)", retry=False, fatal=last.fatal)
        raise last

    def _models(self) -> list[Any]:
        """``GET /v1/models``'s data (retried like a completion)."""
        assert self.remote is not None
        deadline = time.monotonic() + self.remote.timeout_s
        delay = _BACKOFF_S
        for attempt in range(self.remote.retries + 1):
            try:
                with self._request("GET", "/v1/models", None, deadline) as response:
                    raw = _read_body(response, None, deadline, self.remote.timeout_s)
                    try:
                        data = json.loads(raw)
                    except ValueError:
                        what = describe_answer(response.status_code, response.headers.get("content-type", ""), raw)
                        raise _Failed(what if "HTML page" in what else what + " - not JSON", retry=False) from None
                    listed = data.get("data") if isinstance(data, dict) else None
                    if not isinstance(listed, list):
                        raise _Failed("GET /v1/models did not answer a model list (not an OpenAI-compatible "
                                      "server?)", retry=False)
                    return listed
            except _Failed as exc:
                if not exc.retry or attempt == self.remote.retries or time.monotonic() + delay >= deadline:
                    tries = f" (after {attempt + 1} tries)" if exc.retry and attempt else ""
                    raise InferenceError(self.remote.base_url, f"{exc}{tries}") from None
            time.sleep(delay)
            delay = min(delay * 2, _BACKOFF_MAX)
        raise InferenceError(self.remote.base_url, "no answer")  # not reached

    @contextmanager
    def _request(self, method: str, path: str, body: dict[str, Any] | None, deadline: float) -> Iterator[Any]:
        """A streamed HTTP response with a 2xx status; _Failed saying what went wrong otherwise."""
        import httpx

        assert self.remote is not None
        client = self._client
        if client is None:
            raise InferenceError(None, "no model loaded")
        left = max(0.1, deadline - time.monotonic())
        timeout = httpx.Timeout(left, connect=min(self.remote.connect_timeout_s, left))
        try:
            with client.stream(method, self.remote.base_url + path, json=body, timeout=timeout) as response:
                if response.status_code >= 400:
                    raw = _read_body(response, None, deadline, self.remote.timeout_s)
                    what = describe_answer(response.status_code, response.headers.get("content-type", ""), raw)
                    yield_status = response.status_code
                    raise _Failed(_status_message(yield_status, what, self.remote), retry=yield_status >= 500,
                                  fatal=yield_status >= 500 or yield_status in (401, 403, 404, 407))
                if response.status_code >= 300:
                    where = response.headers.get("location", "elsewhere")
                    raise _Failed(f"HTTP {response.status_code}: redirected to {_clip(where, 100)} (give the final "
                                  "URL as the server)", retry=False)
                yield response
        except httpx.ConnectTimeout:
            raise _Failed(f"cannot connect: no answer within {self.remote.connect_timeout_s:g} s", retry=True) from None
        except httpx.ConnectError as exc:
            text = str(exc)
            if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text.lower():
                raise _Failed(
                    f"the server's TLS certificate is not trusted ({_clip(text, 120)}): give the department's CA "
                    "bundle (ca_bundle in the model-info file)", retry=False,
                ) from None
            raise _Failed(f"cannot connect ({_clip(text or 'connection refused', 120)})", retry=True) from None
        except httpx.TimeoutException:
            raise _Failed(f"no answer within the configured timeout ({self.remote.timeout_s:g} s)", retry=False) from None
        except httpx.RemoteProtocolError as exc:
            raise _Failed(f"the connection was closed mid-answer ({_clip(str(exc), 120)})", retry=True) from None
        except httpx.HTTPError as exc:
            raise _Failed(f"request failed ({exc.__class__.__name__}: {_clip(str(exc), 120)})", retry=False) from None


def _status_message(status: int, what: str, remote: RemoteModel) -> str:
    if status in (401, 403):
        return (f"{what} - the server refused the credentials: set {remote.token_env} or store a token in the "
                f"system keyring (service gazex-viewer, user {remote.base_url})")
    if status == 404:
        return f"{what} - wrong served model name ({remote.served_model!r}) or not an OpenAI-compatible URL?"
    return what


def _read_body(response: Any, control: JobControl | None, deadline: float, timeout_s: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if control is not None:
            control.check()
        if time.monotonic() > deadline:
            raise _Failed(f"the answer did not end within the configured timeout ({timeout_s:g} s)", retry=False)
        if size > 64 << 20:
            raise _Failed("the answer is larger than 64 MB", retry=False)
    return b"".join(chunks)


def _read_answer(response: Any, control: JobControl, deadline: float, timeout_s: float) -> tuple[str, dict[str, Any]]:
    """(text, usage) of a non-streamed chat completion."""
    raw = _read_body(response, control, deadline, timeout_s)
    ctype = response.headers.get("content-type", "")
    try:
        data = json.loads(raw)
        choice = data["choices"][0]
        text = choice["message"]["content"] or ""
        usage = data.get("usage") or {}
        if not isinstance(text, str) or not isinstance(usage, dict):
            raise TypeError
    except (ValueError, KeyError, IndexError, TypeError):
        raise _Failed(describe_answer(response.status_code, ctype, raw) + " - not a chat completion",
                      retry=False) from None
    return text, usage


def _read_stream(response: Any, control: JobControl, on_piece: Callable[[str], None], deadline: float,
                 timeout_s: float) -> tuple[str, dict[str, Any]]:
    """(text, usage) of a streamed chat completion; stops (closing the stream) as soon as the job is cancelled."""
    ctype = response.headers.get("content-type", "")
    if "text/event-stream" not in ctype:
        raw = _read_body(response, control, deadline, timeout_s)
        raise _Failed(describe_answer(response.status_code, ctype, raw) + " - not an event stream", retry=False)
    parts: list[str] = []
    usage: dict[str, Any] = {}
    finished = False
    for line in response.iter_lines():
        control.check()  # leaving here closes the stream: the server stops generating
        if time.monotonic() > deadline:
            raise _Failed(f"the report did not end within the configured timeout ({timeout_s:g} s)", retry=False)
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            finished = True
            break
        try:
            event = json.loads(payload)
        except ValueError:
            raise _Failed(f"the event stream holds something that is not JSON ({_clip(payload, 80)!r})",
                          retry=False) from None
        if not isinstance(event, dict):
            raise _Failed(f"unexpected event in the stream ({_clip(payload, 80)!r})", retry=False)
        if event.get("error"):
            raise _Failed("the server failed mid-answer: " + describe_answer(None, "", payload.encode()), retry=False)
        if isinstance(event.get("usage"), dict):
            usage = event["usage"]
        for choice in event.get("choices") or []:
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                parts.append(piece)
                on_piece(piece)
            if choice.get("finish_reason"):
                finished = True
    control.check()
    if not finished:
        raise _Failed(f"the answer was cut off mid-stream after {len(''.join(parts))} characters", retry=False)
    return "".join(parts), usage


def _make_client(remote: RemoteModel) -> Any:
    """An httpx client: TLS verified (against the CA bundle when given), the bearer token when there is one."""
    import httpx

    verify: Any = True
    if remote.ca_bundle is not None:
        try:
            verify = ssl.create_default_context(cafile=str(remote.ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise InferenceError(remote.ca_bundle, f"cannot read the CA bundle ({exc})") from None
    headers = {"User-Agent": "gazex-viewer"}
    token = server_token(remote)
    if token:
        host = urlsplit(remote.base_url).hostname or ""
        if remote.base_url.startswith("http://") and not _loopback(host):
            raise InferenceError(
                remote.base_url, f"refusing to send the server token over plain http to {host}: use https:// "
                f"(or unset {remote.token_env})",
            )
        headers["Authorization"] = f"Bearer {token}"
    limits = httpx.Limits(max_connections=remote.concurrency + 2, max_keepalive_connections=remote.concurrency + 2)
    return httpx.Client(verify=verify, headers=headers, limits=limits, follow_redirects=False)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _guess_kind(entry: dict[str, Any]) -> str:
    """The server's dialect from its /v1/models entry (vLLM and SGLang name themselves in ``owned_by``)."""
    owner = str(entry.get("owned_by", "")).lower()
    if owner in ("vllm", "sglang"):
        return owner
    if owner == "local" and "status" in entry:  # transformers serve
        return "transformers"
    return "openai"


def probe_server(spec: ModelSpec, timeout_s: float = 10.0) -> str:
    """Test a connection (``GET /v1/models`` with this backend's client, at most ``timeout_s``, no retry).

    Returns one line saying what the server serves; InferenceError / CheckpointError (one line) otherwise.
    """
    import dataclasses

    backend = OpenAIBackend()
    remote = remote_from_spec(spec)
    remote = dataclasses.replace(
        remote, timeout_s=min(remote.timeout_s, timeout_s), connect_timeout_s=min(remote.connect_timeout_s, timeout_s),
        retries=0,
    )
    backend.remote = remote
    backend._client = _make_client(remote)
    try:
        listed = backend._models()
    finally:
        backend.unload()
    ids = [str(m.get("id")) for m in listed if isinstance(m, dict)]
    if remote.served_model not in ids:
        served = ", ".join(repr(i) for i in ids[:5]) or "none"
        raise InferenceError(remote.base_url, f"the server does not serve model {remote.served_model!r} (it serves {served})")
    others = len(ids) - 1
    return f"connected: {remote.base_url} serves {remote.served_model!r}" + (f" (and {others} more)" if others else "")
