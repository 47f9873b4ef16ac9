"""Render a checkpoint's chat template with a time and a memory limit.

A chat template is Jinja code shipped in the checkpoint folder (``chat_template.jinja``). transformers
renders it in Jinja's sandbox, which blocks attribute tricks and ranges over 100,000, but not time or
memory: nested loops (``{% for i in range(99999) %}{% for j in range(99999) %}...``) run for hours and
``{{ "x" * 10**10 }}`` asks for 10 GB. :func:`render_chat_template` renders under

- a deadline, checked on every Python line the compiled template runs (``sys.settrace``, this thread
  only, the previous tracer restored), so a loop of any depth stops within the limit;
- a ceiling on the address space (``RLIMIT_AS`` raised to the current size plus the limit, restored
  afterwards; POSIX only), so a single huge string operation fails with ``MemoryError`` at once instead
  of exhausting the machine;
- a bound on the length of the rendered prompt.

Any of these is an :class:`~gazex_viewer.core.errors.InferenceError` whose message says which limit the
template broke: one clean line for the job, never a hang.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from gazex_viewer.core.errors import InferenceError

__all__ = ["MAX_PROMPT_CHARS", "MEMORY_LIMIT_BYTES", "TIME_LIMIT_S", "TemplateLimitError", "render_chat_template"]

#: wall-clock limit of one rendering (a real template renders in milliseconds)
TIME_LIMIT_S = 5.0
#: address space a rendering may add
MEMORY_LIMIT_BYTES = 512 * 1024 * 1024
#: the longest rendered prompt accepted (GazeX prompts are a few hundred characters)
MAX_PROMPT_CHARS = 200_000


class TemplateLimitError(InferenceError):
    """A chat template that broke the time, memory or length limit while rendering."""


class _Deadline(BaseException):
    """Raised inside the template by the tracer (a BaseException, so no ``except Exception`` swallows it)."""


def _address_space() -> int | None:
    """This process's virtual size in bytes (Linux ``/proc/self/statm``), or None where unknown."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


@contextmanager
def _memory_ceiling(extra: int) -> Iterator[None]:
    try:
        import resource
    except ImportError:  # not POSIX: time limit only
        yield
        return
    current = _address_space()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if current is None:
        yield
        return
    ceiling = current + extra
    if hard != resource.RLIM_INFINITY:
        ceiling = min(ceiling, hard)
    if soft != resource.RLIM_INFINITY:
        ceiling = min(ceiling, soft)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    end = time.monotonic() + seconds
    previous = sys.gettrace()

    def tracer(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        if time.monotonic() > end:
            raise _Deadline()
        return tracer

    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(previous)


def render_chat_template(
    render: Callable[[], Any],
    *,
    time_limit_s: float = TIME_LIMIT_S,
    memory_limit_bytes: int = MEMORY_LIMIT_BYTES,
    max_chars: int = MAX_PROMPT_CHARS,
) -> str:
    """``render()`` (a call of ``processor.apply_chat_template(..., tokenize=False)``) under the limits.

    Raises
    ------
    TemplateLimitError
        The template ran longer than ``time_limit_s``, needed more than ``memory_limit_bytes`` more
        memory, or produced more than ``max_chars`` characters.
    """
    t0 = time.monotonic()
    try:
        with _memory_ceiling(memory_limit_bytes), _deadline(time_limit_s):
            text = render()
    except _Deadline:
        raise TemplateLimitError(
            None, f"the checkpoint's chat template ran past the {time_limit_s:g} s limit while rendering the prompt "
            "(a template that loops too long); refused"
        ) from None
    except MemoryError:
        raise TemplateLimitError(
            None, f"the checkpoint's chat template needed more than {memory_limit_bytes // 2**20} MiB to render the "
            "prompt; refused"
        ) from None
    except RecursionError:
        raise TemplateLimitError(None, "the checkpoint's chat template recursed too deeply; refused") from None
    text = str(text)
    if len(text) > max_chars:
        raise TemplateLimitError(
            None, f"the checkpoint's chat template rendered a prompt of {len(text):,} characters "
            f"(limit {max_chars:,}) in {time.monotonic() - t0:.1f} s; refused"
        )
    return text
