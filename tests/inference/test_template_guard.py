"""Chat templates render under a time, memory and length limit; the weight hash follows a swapped file (issue 13)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gazex_viewer.inference.template_guard import (
    TemplateLimitError,
    render_chat_template,
)
from tests.conftest import ROOT, shared_file


def _render(template: str, **limits: float) -> str:
    """Compile and render inside the guard, as ``apply_chat_template`` does (Jinja folds constants when compiling)."""
    from transformers.utils.chat_template_utils import _compile_jinja_template

    return render_chat_template(
        lambda: _compile_jinja_template(template).render(messages=[{"role": "user", "content": "hi"}]),
        **limits,  # type: ignore[arg-type]
    )


def test_a_normal_template_renders_unchanged() -> None:
    before = sys.gettrace()
    assert _render("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}") == "<user>hi"
    assert sys.gettrace() is before  # the previous tracer (a debugger, coverage) is restored


def test_a_template_that_loops_too_long_is_stopped_at_the_limit() -> None:
    t0 = time.monotonic()
    with pytest.raises(TemplateLimitError, match="ran past the 1 s limit"):
        _render("{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}", time_limit_s=1.0)
    assert time.monotonic() - t0 < 10


def test_a_template_that_asks_for_gigabytes_is_refused() -> None:
    # 3 GB: were the ceiling not applied, this would pass and fail the match below, not exhaust the machine
    with pytest.raises(TemplateLimitError, match="needed more than 256 MiB"):
        _render('{{ "x" * 3 * 10**9 }}', memory_limit_bytes=256 * 2**20)
    with pytest.raises(TemplateLimitError, match="prompt of 1,000,000 characters"):
        _render('{{ "x" * 10**6 }}', max_chars=10_000)
    # the address-space ceiling is lifted again: a large allocation after the guard works
    assert len(bytearray(300 * 2**20)) == 300 * 2**20


def test_infer_with_a_hostile_template_is_one_clean_line(tiny_model_dir: Path, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile"
    shutil.copytree(tiny_model_dir, hostile)
    (hostile / "chat_template.jinja").write_text(
        "{% for i in range(99999) %}{% for j in range(99999) %}x{% endfor %}{% endfor %}"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "gazex_viewer", "infer", str(shared_file("images/nih/00000001_000.png")), "--model",
         str(hostile), "--device", "cpu", "--no-cache", "-o", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300, check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "chat template ran past the 5 s limit" in proc.stderr
    assert time.monotonic() - t0 < 200
    assert list((tmp_path / "out").iterdir()) == []


def test_weight_hash_follows_a_file_swapped_with_the_same_size_and_mtime(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from gazex_viewer.inference import api

    monkeypatch.setenv("GAZEX_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(api, "_HASH_MEMO", {})
    w = tmp_path / "model.safetensors"
    w.write_bytes(b"A" * 4096)
    st = w.stat()
    first = api.file_sha256(w)
    assert first == hashlib.sha256(b"A" * 4096).hexdigest()
    # another file of the same size renamed over it, its mtime set back: path, size and mtime all unchanged
    swap = tmp_path / "swap.tmp"
    swap.write_bytes(b"B" * 4096)
    os.utime(swap, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(swap, w)
    assert w.stat().st_size == st.st_size and w.stat().st_mtime_ns == st.st_mtime_ns
    assert api.file_sha256(w) == hashlib.sha256(b"B" * 4096).hexdigest()
    # also from the on-disk cache alone (a new process): the stale entry is not reused
    monkeypatch.setattr(api, "_HASH_MEMO", {})
    assert api.file_sha256(w) == hashlib.sha256(b"B" * 4096).hexdigest()
    # rewritten in place (same inode), its mtime set back: the ctime still moves
    time.sleep(0.01)
    with open(w, "r+b") as fh:
        fh.write(b"C" * 4096)
    os.utime(w, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert api.file_sha256(w) == hashlib.sha256(b"C" * 4096).hexdigest()
