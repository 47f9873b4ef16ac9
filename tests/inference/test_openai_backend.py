"""The openai backend against a real ``transformers serve`` of the tiny checkpoint, and against broken servers.

The real server runs on a free 127.0.0.1 port (session fixture, bounded wait on /health, stopped by PID). The
broken ones are tiny http.server fakes on 127.0.0.1: down, 401, 500, garbage JSON, an HTML proxy page, a slow
server, a stream cut off mid-answer.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gazex_viewer.cli import main
from gazex_viewer.core.errors import CheckpointError, InferenceError
from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.inference import protocol
from gazex_viewer.inference.api import GenerationSettings, JobEvent, ModelSpec
from gazex_viewer.inference.backend import JobCancelled, JobControl
from gazex_viewer.inference.openai_backend import OpenAIBackend, describe_answer
from gazex_viewer.inference.remote_model import (
    model_info_from_checkpoint,
    read_model_info,
)
from gazex_viewer.inference.tiny_model import KNOWN_BOXES, KNOWN_REPORT, SAMPLE_IMAGE
from tests.servers.model_server import (
    cpu_seconds,
    free_port,
    missing_serving_modules,
    start_transformers_serve,
    stop_server,
)

DETERMINISTIC = GenerationSettings(deterministic=True)


# -- the real server ---------------------------------------------------------------------------------------------


@dataclass
class Served:
    url: str
    served_model: str
    model_info: Path
    pid: int


@pytest.fixture(scope="session")
def model_server(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``transformers serve`` of the tiny checkpoint, served under a name holding its hash (gazex-<sha[:12]>)."""
    missing = missing_serving_modules()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"transformers serve needs {', '.join(missing)}: setup.cfg's test extra must install them")
        pytest.skip(f"transformers serve needs {', '.join(missing)} (pip install 'transformers[serving]')")
    base = tmp_path_factory.mktemp("served")
    probe = model_info_from_checkpoint(tiny_model_dir, "http://127.0.0.1:1", "x")
    folder = base / f"gazex-{probe['checkpoint_sha256'][:12]}"
    shutil.copytree(tiny_model_dir, folder)
    proc, url = start_transformers_serve(folder, base / "serve.log")
    try:
        info = model_info_from_checkpoint(folder, url, str(folder))
        info.update(timeout_s=60, retries=1)
        path = base / "model-info.json"
        path.write_text(json.dumps(info), encoding="utf-8")
        yield Served(url, str(folder), path, proc.pid)
    finally:
        stop_server(proc)


@pytest.fixture()
def remote(model_server: Served) -> Iterator[OpenAIBackend]:
    backend = OpenAIBackend()
    backend.load(ModelSpec(model_server.model_info))
    yield backend
    backend.unload()


def _film() -> tuple[Any, Any]:
    rad = load_radiograph(SAMPLE_IMAGE)
    return rad.render(), rad.image_ref()


def test_remote_reading_equals_local(remote: OpenAIBackend, loaded_backend: Any, model_server: Served) -> None:
    picture, ref = _film()
    events: list[JobEvent] = []
    got = protocol.run_reading(remote, picture, ref, DETERMINISTIC, JobControl(1, emit=events.append))
    want = protocol.run_reading(loaded_backend, picture, ref, DETERMINISTIC, JobControl(2))
    assert want.raw_report == KNOWN_REPORT
    assert got.raw_report == want.raw_report
    assert [s.text for s in got.sentences] == [s.text for s in want.sentences] == list(KNOWN_BOXES)
    for g, w in zip(got.findings, want.findings, strict=True):
        assert (g.text, g.raw_grounding, g.observation, g.clues) == (w.text, w.raw_grounding, w.observation, w.clues)
    assert [(p.x, p.y, p.kind) for p in got.trajectory] == [(p.x, p.y, p.kind) for p in want.trajectory]
    p = got.producer
    assert p.backend == "openai" and p.device == model_server.url
    assert model_server.url in p.name and model_server.served_model in p.name
    assert p.checkpoint_sha256 == want.producer.checkpoint_sha256  # from the model-info file
    assert p.coordinate_frame == want.producer.coordinate_frame and p.prompts == want.producer.prompts
    assert p.generation["effective"] == want.producer.generation["effective"]
    assert p.generation["model_input_size"] == want.producer.generation["model_input_size"] == [112, 112]
    assert p.timings["report_tokens"] == want.producer.timings["report_tokens"]
    # served as gazex-<sha[:12]>: the name confirms the hash, so no identity warning; same warnings as local
    assert got.warnings == want.warnings
    assert "".join(e.text for e in events if e.kind == "text") == KNOWN_REPORT
    from gazex_viewer.core.reading.validation import validate_reading_dict

    assert validate_reading_dict(got.to_dict()) == []


def test_streamed_equals_not_streamed(remote: OpenAIBackend) -> None:
    from gazex_viewer.inference.protocol import model_image

    picture, _ = _film()
    pil = model_image(remote, picture, "sample")
    prompt = remote.describe().info.prompts.report
    pieces: list[str] = []
    control = JobControl(1, emit=lambda e: pieces.append(e.text) if e.kind == "text" else None)
    streamed, t1 = remote.generate(pil, prompt, DETERMINISTIC, control, stream=True)
    whole, t2 = remote.generate(pil, prompt, DETERMINISTIC, JobControl(2), stream=False)
    assert streamed == whole == KNOWN_REPORT
    assert len(pieces) >= 4 and "".join(pieces) == streamed
    assert t1["report_tokens"] == t2["report_tokens"] > 0 and t1["prompt_tokens"] == t2["prompt_tokens"] > 0
    grounding = [remote.describe().info.prompts.grounding_for(s) for s in KNOWN_BOXES]
    answers, _ = remote.generate_batch(pil, grounding, DETERMINISTIC, JobControl(3))
    assert len(answers) == 2 and all("observation" in a for a in answers)


def test_cancel_mid_report_stops_the_server(remote: OpenAIBackend, model_server: Served) -> None:
    """A report forced to 1500 tokens is cancelled after a few pieces: the call returns, the server's CPU goes idle."""
    from gazex_viewer.inference.protocol import model_image

    picture, _ = _film()
    pil = model_image(remote, picture, "sample")
    long = GenerationSettings(deterministic=True, max_new_tokens=1500, min_new_tokens=1500)
    marks: list[tuple[float, float]] = []
    control = JobControl(1)

    def emit(event: JobEvent) -> None:
        if event.kind != "text":
            return
        marks.append((time.monotonic(), cpu_seconds(model_server.pid)))
        if len(marks) == 40:
            control.cancel_event.set()

    control.emit = emit
    t0 = time.monotonic()
    with pytest.raises(JobCancelled):
        remote.generate(pil, remote.describe().info.prompts.report, long, control)
    returned = time.monotonic()
    assert len(marks) == 40 and returned - marks[-1][0] < 2.0
    busy = (marks[-1][1] - marks[9][1]) / max(1e-3, marks[-1][0] - marks[9][0])  # CPU s per s while generating
    time.sleep(1.5)
    c1, w1 = cpu_seconds(model_server.pid), time.monotonic()
    time.sleep(2.0)
    idle = (cpu_seconds(model_server.pid) - c1) / (time.monotonic() - w1)
    assert busy > 0.05, f"the server was not busy while generating ({busy:.2f} CPU s/s)"
    assert idle < 0.25 * busy, f"the server kept working after the stream closed ({idle:.2f} vs {busy:.2f} CPU s/s)"
    assert returned - t0 < 60
    # and it still answers
    text, _ = remote.generate(pil, remote.describe().info.prompts.report, DETERMINISTIC, JobControl(2), stream=False)
    assert text == KNOWN_REPORT


def test_unconfirmed_checkpoint_hash_is_a_warning(model_server: Served, tmp_path: Path) -> None:
    data = json.loads(model_server.model_info.read_text())
    data["checkpoint_sha256"] = "0" * 64
    path = tmp_path / "other.json"
    path.write_text(json.dumps(data))
    backend = OpenAIBackend()
    backend.load(ModelSpec(path))
    picture, ref = _film()
    reading = protocol.run_reading(backend, picture, ref, DETERMINISTIC, JobControl(1))
    backend.unload()
    assert reading.producer.checkpoint_sha256 == "0" * 64
    assert any("cannot confirm" in w and "000000000000" in w for w in reading.warnings)


def test_wrong_served_model_name(model_server: Served) -> None:
    backend = OpenAIBackend()
    with pytest.raises(InferenceError) as err:
        backend.load(ModelSpec(model_server.model_info, served_model="gazex-nope"))
    msg = str(err.value)
    assert msg.startswith(model_server.url) and "does not serve model 'gazex-nope'" in msg and "\n" not in msg


def test_cli_infer_through_the_server(model_server: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    rc = main([
        "infer", str(SAMPLE_IMAGE), "--server", model_server.url, "--served-model", model_server.served_model,
        "--model-info", str(model_server.model_info), "--deterministic", "-o", str(out), "--no-cache",
    ])
    err = capsys.readouterr().err
    assert rc == 0, err
    reading = Reading.from_json((out / "00000001_000.reading.json").read_text())
    assert reading.raw_report == KNOWN_REPORT
    assert [f.observation for f in reading.findings] == [obs for _, obs in KNOWN_BOXES.values()]
    assert reading.producer.backend == "openai" and reading.producer.device == model_server.url


def test_cli_infer_through_the_server_without_torch(model_server: Served, tmp_path: Path) -> None:
    """The same command in a process where torch, transformers and peft cannot be imported (no `local` extra)."""
    from tests.no_torch import run_without_torch

    out = tmp_path / "out"
    proc = run_without_torch([
        "-m", "gazex_viewer", "infer", str(SAMPLE_IMAGE), "--server", model_server.url, "--served-model",
        model_server.served_model, "--model-info", str(model_server.model_info), "--deterministic", "-o", str(out),
        "--no-cache",
    ], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    reading = Reading.from_json((out / "00000001_000.reading.json").read_text())
    assert reading.raw_report == KNOWN_REPORT
    assert reading.producer.backend == "openai"


# -- broken servers ----------------------------------------------------------------------------------------------

Handler = Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]


@dataclass
class Fake:
    url: str
    requests: list[tuple[str, str, dict[str, Any], str]] = field(default_factory=list)


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes | str, ctype: str = "application/json") -> None:
    data = body.encode() if isinstance(body, str) else body
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def _models(names: tuple[str, ...] = ("gazex-test",)) -> Handler:
    return lambda h, body: _send(h, 200, json.dumps({"object": "list", "data": [{"id": n, "owned_by": "vllm"} for n in names]}))


def _completion(text: str) -> Handler:
    answer = {"choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 10, "completion_tokens": 5}}

    def handle(h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if not body.get("stream"):
            _send(h, 200, json.dumps(answer))
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.end_headers()
        for k, piece in enumerate(text.split(" ")):
            delta = {"content": piece if k == 0 else " " + piece}
            h.wfile.write(f"data: {json.dumps({'choices': [{'index': 0, 'delta': delta}]})}\n\n".encode())
        h.wfile.write(b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')

    return handle


@pytest.fixture()
def fake_server() -> Iterator[Callable[[dict[str, Handler]], Fake]]:
    servers: list[ThreadingHTTPServer] = []

    def make(routes: dict[str, Handler], tls: Any = None) -> Fake:
        fake = Fake("")

        class H(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self, method: str) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n)) if n else {}
                fake.requests.append((method, self.path, body, self.headers.get("Authorization", "")))
                route = routes.get(f"{method} {self.path}")
                if route is None:
                    _send(self, 404, '{"detail":"Not Found"}')
                else:
                    route(self, body)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        server.daemon_threads = True
        if tls is not None:  # an ssl.SSLContext: HTTPS
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        fake.url = f"{'https' if tls is not None else 'http'}://127.0.0.1:{server.server_address[1]}"
        return fake

    yield make
    for s in servers:
        s.shutdown()
        s.server_close()


def _info(tmp_path: Path, url: str, **extra: Any) -> Path:
    path = tmp_path / "model-info.json"
    data = {"server": url, "served_model": "gazex-test", "gazex": {"max_pixels": 12544}, "timeout_s": 3,
            "connect_timeout_s": 1, "retries": 2, **extra}
    path.write_text(json.dumps(data))
    return path


def _load_error(path: Path) -> tuple[str, float]:
    t0 = time.monotonic()
    with pytest.raises(InferenceError) as err:
        OpenAIBackend().load(ModelSpec(path))
    return str(err.value), time.monotonic() - t0


def _reading_error(path: Path) -> tuple[str, float]:
    backend = OpenAIBackend()
    backend.load(ModelSpec(path))
    picture, ref = _film()
    t0 = time.monotonic()
    with pytest.raises(InferenceError) as err:
        protocol.run_reading(backend, picture, ref, DETERMINISTIC, JobControl(1))
    backend.unload()
    return str(err.value), time.monotonic() - t0


def test_server_down_is_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    msg, took = _load_error(_info(tmp_path, url, retries=1))
    assert msg.startswith(f"{url}: cannot connect") and "(after 2 tries)" in msg and "\n" not in msg
    assert took < 3


def test_401_says_what_to_do_and_is_not_retried(tmp_path: Path, fake_server: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("GAZEX_SERVER_TOKEN", "s3cret")
    fake = fake_server({"GET /v1/models": lambda h, b: _send(h, 401, '{"error":{"message":"Invalid API key"}}')})
    msg, _ = _load_error(_info(tmp_path, fake.url))
    assert msg == (
        f"{fake.url}: HTTP 401: Invalid API key - the server refused the credentials: set GAZEX_SERVER_TOKEN or "
        f"store a token in the system keyring (service gazex-viewer, user {fake.url})"
    )
    assert len(fake.requests) == 1 and fake.requests[0][3] == "Bearer s3cret"
    assert "s3cret" not in msg and "s3cret" not in (tmp_path / "model-info.json").read_text()


def test_500_is_retried_then_one_line(tmp_path: Path, fake_server: Any) -> None:
    fake = fake_server({
        "GET /v1/models": _models(),
        "POST /v1/chat/completions": lambda h, b: _send(h, 500, "Traceback (most recent call last): boom\n" * 50, "text/plain"),
    })
    msg, took = _reading_error(_info(tmp_path, fake.url))
    assert msg.startswith(f"{fake.url}: HTTP 500: 'Traceback (most recent call last): boom") and msg.endswith("(after 3 tries)")
    assert len(msg) < 300
    assert len([r for r in fake.requests if r[0] == "POST"]) == 3 and took < 3


def test_garbage_json_and_html_proxy_pages(tmp_path: Path, fake_server: Any) -> None:
    fake = fake_server({"GET /v1/models": _models(), "POST /v1/chat/completions": lambda h, b: _send(h, 200, "{not json")})
    msg, _ = _reading_error(_info(tmp_path, fake.url))
    assert msg == f"{fake.url}: HTTP 200: '{{not json' - not an event stream"
    html = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    fake = fake_server({"GET /v1/models": lambda h, b: _send(h, 502, html, "text/html")})
    msg, _ = _load_error(_info(tmp_path, fake.url, retries=0))
    assert msg == (f"{fake.url}: HTTP 502: an HTML page titled '502 Bad Gateway', not a model server's JSON "
                   "(a proxy or login page answered?)")
    fake = fake_server({"GET /v1/models": lambda h, b: _send(h, 200, html, "text/html")})
    msg, _ = _load_error(_info(tmp_path, fake.url))
    assert "an HTML page titled '502 Bad Gateway'" in msg and "\n" not in msg


def test_slow_server_is_bounded_by_the_timeout(tmp_path: Path, fake_server: Any) -> None:
    def slow(h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        time.sleep(8)
        _completion("too late")(h, body)

    fake = fake_server({"GET /v1/models": _models(), "POST /v1/chat/completions": slow})
    msg, took = _reading_error(_info(tmp_path, fake.url, timeout_s=1.5))
    assert msg == f"{fake.url}: no answer within the configured timeout (1.5 s)"
    assert took < 3  # one try: a timeout is not retried past the configured wait


def test_stream_cut_off_mid_answer(tmp_path: Path, fake_server: Any) -> None:
    def cut(h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b'data: {"choices":[{"index":0,"delta":{"content":"enlarged cardiac"}}]}\n\n')

    fake = fake_server({"GET /v1/models": _models(), "POST /v1/chat/completions": cut})
    msg, _ = _reading_error(_info(tmp_path, fake.url))
    assert msg == f"{fake.url}: the answer was cut off mid-stream after 16 characters"
    assert len([r for r in fake.requests if r[0] == "POST"]) == 1  # a started stream is not tried again


def test_vllm_dialect_sends_every_decoding_parameter(tmp_path: Path, fake_server: Any) -> None:
    """A refused grounding prompt (HTTP 400) becomes a warning on its finding; the reading survives."""

    def chat(h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if body.get("stream"):
            _completion("enlarged cardiac silhouette .")(h, body)
        else:
            _send(h, 400, '{"object":"error","message":"This model\'s maximum context length is 32 tokens"}')

    fake = fake_server({"GET /v1/models": _models(), "POST /v1/chat/completions": chat})
    backend = OpenAIBackend()
    backend.load(ModelSpec(_info(tmp_path, fake.url)))
    picture, ref = _film()
    settings = GenerationSettings(seed=7, top_k=5, repetition_penalty=1.05, min_new_tokens=3, max_new_tokens=99)
    reading = protocol.run_reading(backend, picture, ref, settings, JobControl(1))
    assert reading.raw_report == "enlarged cardiac silhouette ."
    assert "grounding failed: HTTP 400: This model's maximum context length is 32 tokens" in reading.findings[0].warnings
    assert any("gives no checkpoint_sha256" in w for w in reading.warnings)
    report = next(r[2] for r in fake.requests if r[0] == "POST" and r[2].get("stream"))
    sent = {k: report[k] for k in ("temperature", "top_p", "top_k", "repetition_penalty", "min_tokens", "max_tokens", "seed")}
    assert sent == {"temperature": 1.0, "top_p": 0.9, "top_k": 5, "repetition_penalty": 1.05, "min_tokens": 3,
                    "max_tokens": 99, "seed": 7}
    image = report["messages"][0]["content"][0]["image_url"]["url"]
    assert image.startswith("data:image/png;base64,")
    import base64
    import io

    from PIL import Image

    from gazex_viewer.inference.protocol import model_image

    sent_img = Image.open(io.BytesIO(base64.b64decode(image.split(",", 1)[1])))
    assert sent_img.tobytes() == model_image(backend, picture, "x").tobytes()  # exactly the model input
    backend.unload()


def test_cli_with_a_refusing_server_prints_one_line(tmp_path: Path, fake_server: Any,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    fake = fake_server({"GET /v1/models": lambda h, b: _send(h, 403, '{"detail":"Forbidden"}')})
    rc = main(["infer", str(SAMPLE_IMAGE), "--server", fake.url, "--served-model", "gazex-test", "-o", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err[-1].endswith(f"{fake.url}: HTTP 403: Forbidden - the server refused the credentials: set "
                            f"GAZEX_SERVER_TOKEN or store a token in the system keyring (service gazex-viewer, user "
                            f"{fake.url})")


def test_model_info_file_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    cases = {
        '{"server": "ftp://x", "served_model": "m"}': "is not an http:// or https:// URL",
        '{"server": "http://x", "served_model": "m", "checkpoint_sha256": "abc"}': "checkpoint_sha256 must be 64",
        '{"server": "http://x", "served_model": "m", "gazex": {"coordinate_frame": "pixels"}}': "unknown coordinate_frame",
        '{"server": "http://x", "served_model": "m", "token": "secret"}': "unknown key(s) 'token'",
        '{"server": "http://u:p@x", "served_model": "m"}': "must not hold a user name or password",
        '{"served_model": "m"}': "no server URL",
        "[1]": "not a JSON object",
    }
    for text, reason in cases.items():
        path.write_text(text)
        with pytest.raises(CheckpointError) as err:
            read_model_info(path)
        assert str(path) in str(err.value) and reason in str(err.value), str(err.value)
    path.write_text('{"server": "http://127.0.0.1:9/", "served_model": "m", "gazex": {"max_pixels": 12544}}')
    remote = read_model_info(path, served_model="other")
    assert (remote.base_url, remote.served_model, remote.gazex["max_pixels"]) == ("http://127.0.0.1:9", "other", 12544)


def test_describe_answer_is_bounded() -> None:
    assert describe_answer(500, "application/json", b'{"detail": "' + b"x" * 5000 + b'"}').endswith("…")
    assert len(describe_answer(500, "text/plain", b"y" * 100000)) < 200
    assert describe_answer(503, "text/plain", b"") == "HTTP 503 with an empty body"


def test_worker_process_reads_through_the_server_and_caches(model_server: Served, tmp_path: Path) -> None:
    """The app's path: InferenceClient -> worker process -> openai backend (chosen for a model-info file)."""
    import queue

    from gazex_viewer.inference.client import InferenceClient

    q: queue.Queue[JobEvent] = queue.Queue()

    def until(pred: Callable[[JobEvent], bool], timeout: float = 120.0) -> tuple[JobEvent, list[JobEvent]]:
        seen: list[JobEvent] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ev = q.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(ev)
            if pred(ev):
                return ev, seen
        raise AssertionError(f"no matching event; got {[(e.kind, e.stage, e.message) for e in seen]}")

    with InferenceClient(q.put, cache_dir=tmp_path / "cache") as client:
        client.load(ModelSpec(model_server.model_info))
        loaded, _ = until(lambda e: e.job_id == 0 and (e.stage == "loaded" or e.kind == "error"))
        assert loaded.kind == "progress", loaded.message
        job = client.run(SAMPLE_IMAGE, DETERMINISTIC)
        done, seen = until(lambda e: e.job_id == job and e.kind in ("done", "error", "cancelled"))
        assert done.kind == "done" and done.reading is not None, done.message
        assert done.reading.raw_report == KNOWN_REPORT and done.reading.producer.backend == "openai"
        assert "".join(e.text for e in seen if e.kind == "text") == KNOWN_REPORT
        job2 = client.run(SAMPLE_IMAGE, DETERMINISTIC)
        done2, seen2 = until(lambda e: e.job_id == job2 and e.kind in ("done", "error", "cancelled"))
        assert done2.kind == "done" and "cached" in [e.stage for e in seen2]


def test_tls_is_verified_against_the_ca_bundle(tmp_path: Path, fake_server: Any) -> None:
    """A self-signed HTTPS server: refused by default (one line, not retried), trusted with its CA bundle."""
    import ssl
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    fake = fake_server({"GET /v1/models": _models()}, tls=ctx)
    url = fake.url
    msg, _ = _load_error(_info(tmp_path, url))
    assert msg.startswith(f"{url}: the server's TLS certificate is not trusted") and "ca_bundle" in msg
    assert len(fake.requests) == 0
    backend = OpenAIBackend()
    backend.load(ModelSpec(_info(tmp_path, url, ca_bundle=str(cert))))
    assert backend.describe().device == url and len(fake.requests) == 1
    backend.unload()


def test_ground_and_ask_equal_local(remote: OpenAIBackend, loaded_backend: Any) -> None:
    picture, ref = _film()
    sentences = ["enlarged cardiac silhouette .", "no pneumothorax ."]
    got = protocol.ground_sentences(remote, picture, ref, sentences, DETERMINISTIC, JobControl(1))
    want = protocol.ground_sentences(loaded_backend, picture, ref, sentences, DETERMINISTIC, JobControl(2))
    assert [(f.raw_grounding, f.observation, f.clues) for f in got] == [
        (f.raw_grounding, f.observation, f.clues) for f in want
    ]
    assert got[0].observation is not None
    q = "Given an X-ray image, using the radiologist's interpretation pattern, generate a detailed description or diagnosis for the image."
    a_got = protocol.ask_question(remote, picture, ref, q, DETERMINISTIC, JobControl(3))
    a_want = protocol.ask_question(loaded_backend, picture, ref, q, DETERMINISTIC, JobControl(4))
    assert a_got.answer == a_want.answer
    assert [f.observation for f in a_got.findings] == [f.observation for f in a_want.findings]
    assert a_got.producer["backend"] == "openai"


def test_redirect_is_named(tmp_path: Path, fake_server: Any) -> None:
    def moved(h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        h.send_response(301)
        h.send_header("Location", "https://login.example/sso")
        h.send_header("Content-Length", "0")
        h.end_headers()

    fake = fake_server({"GET /v1/models": moved})
    msg, _ = _load_error(_info(tmp_path, fake.url))
    assert msg == f"{fake.url}: HTTP 301: redirected to https://login.example/sso (give the final URL as the server)"


def test_without_a_model_info_file_the_reading_says_so(tmp_path: Path, fake_server: Any) -> None:
    fake = fake_server({"GET /v1/models": _models(),
                        "POST /v1/chat/completions": _completion("no pneumothorax .")})
    backend = OpenAIBackend()
    backend.load(ModelSpec(Path(""), endpoint=fake.url + "/", served_model="gazex-test"))
    picture, ref = _film()
    reading = protocol.run_reading(backend, picture, ref, DETERMINISTIC, JobControl(1))
    backend.unload()
    assert reading.producer.checkpoint_sha256 is None and reading.producer.coordinate_frame == "downscale4"
    assert any(w.startswith(f"no model-info file for 'gazex-test' on {fake.url}") for w in reading.warnings)
    body = next(r[2] for r in fake.requests if r[0] == "POST")
    assert (body["temperature"], body["top_p"], body["top_k"], "seed" in body) == (0.0, 1.0, -1, False)
    with pytest.raises(CheckpointError, match="model-info file not found"):
        OpenAIBackend().load(ModelSpec(tmp_path / "nope.json"))


def test_token_is_never_sent_in_clear_to_another_host(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("GAZEX_SERVER_TOKEN", "s3cret")
    msg, took = _load_error(_info(tmp_path, "http://10.255.255.1:8000"))  # refused before any connection
    assert msg == ("http://10.255.255.1:8000: refusing to send the server token over plain http to 10.255.255.1: "
                   "use https:// (or unset GAZEX_SERVER_TOKEN)")
    assert took < 1
