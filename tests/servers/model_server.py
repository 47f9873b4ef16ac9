"""Start and stop a real ``transformers serve`` on 127.0.0.1 (tests and benchmarks), and read its CPU time."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

#: what ``transformers serve`` needs beyond transformers itself (its ``serving`` extra, less the GPU kernels)
SERVING_MODULES = ("fastapi", "uvicorn", "openai", "starlette")


def missing_serving_modules() -> list[str]:
    return [m for m in SERVING_MODULES if importlib.util.find_spec(m) is None]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_transformers_serve(
    model_dir: Path, log_path: Path, *, wait_s: float = 120.0, continuous_batching: bool = False
) -> tuple[subprocess.Popen[bytes], str]:
    """(process, base URL) of ``transformers serve model_dir`` on a free 127.0.0.1 port, once /health answers 200.

    Raises RuntimeError (with the end of the server's log) when it exits or is not up within ``wait_s``.
    """
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    cmd = [
        sys.executable, "-m", "transformers.cli.transformers", "serve", str(model_dir),
        "--host", "127.0.0.1", "--port", str(port), "--device", "cpu", "--dtype", "float32",
        "--log-level", "warning",
    ]
    if continuous_batching:
        cmd.append("--continuous-batching")
    log = log_path.open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"transformers serve exited ({proc.returncode}): {_tail(log_path)}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        time.sleep(0.25)
    stop_server(proc)
    raise RuntimeError(f"transformers serve did not answer /health within {wait_s:g} s: {_tail(log_path)}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM by PID, then SIGKILL after 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _tail(path: Path, n: int = 600) -> str:
    try:
        return " ".join(path.read_text(errors="replace")[-n:].split())
    except OSError:
        return "(no log)"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                pids.append(int(entry.name))
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total
