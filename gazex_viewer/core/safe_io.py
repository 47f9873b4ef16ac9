"""Hard edges of the command line: regular files only, bounded reads, bounded one-line messages.

Every command checks each path it is given before reading it: a FIFO, a device (``/dev/zero``), a socket or a
folder where a file is expected is refused at once, from ``stat`` alone, so nothing ever blocks on a FIFO or
reads an endless device. A JSON file over :data:`MAX_JSON_BYTES` is refused before it is parsed. An output is
refused when it is a special file or the same file (same inode) as one of the inputs. :func:`show` turns any
text (library warnings holding raw bytes, lone surrogates, file names that are not UTF-8) into one printable
line of bounded length.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from gazex_viewer.core.errors import ExportError, GazeXError

__all__ = [
    "MAX_JSON_BYTES",
    "MAX_LINE",
    "Terminated",
    "bounded_int",
    "check_input_file",
    "check_output_file",
    "check_output_folder",
    "kind_of",
    "read_bytes",
    "show",
    "show_path",
]

#: a reading, transcript or scanpath JSON larger than this is refused before parsing
MAX_JSON_BYTES = 64 * 1024 * 1024
#: the longest message line the commands print (characters)
MAX_LINE = 400


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that ``with`` blocks remove their temporaries."""


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An ``argparse`` type: a whole number from ``low`` to ``high`` (refused up front, in one line, otherwise)."""
    import argparse

    def parse(text: str) -> int:
        try:
            if len(text) > 40:
                raise ValueError(text)
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text[:40]!r}") from None
        if value < low or (high is not None and value > high):
            span = f"at least {low}" if high is None else f"from {low} to {high}"
            raise argparse.ArgumentTypeError(f"must be {span}, not {value}")
        return value

    return parse


def _printable(ch: str) -> str:
    if ch.isprintable() or ch == " ":
        return ch
    if ch in "\t\r\n\v\f":
        return " "
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def show(text: object, limit: int = MAX_LINE) -> str:
    """``text`` as one printable line of at most ``limit`` characters.

    Lone surrogates (from JSON ``"\\ud800"`` or from file names that are not UTF-8) and control characters
    are written as escapes, runs of white space become one space, and a longer text is cut with a note of
    its full length.
    """
    s = str(text)
    head = s[: limit * 4]  # never walk a 50 MB text character by character
    safe = head.encode("utf-8", "backslashreplace").decode("utf-8")
    out = " ".join("".join(map(_printable, safe)).split())
    if len(out) <= limit and len(head) == len(s):
        return out
    note = f"... ({len(s):,} characters in all)"
    return out[: max(0, limit - len(note))].rstrip() + note


def show_path(path: str | os.PathLike[str] | bytes | None) -> str:
    """A path fit to print: bytes that are not UTF-8 shown as ``\\xNN`` escapes, bounded length."""
    if path is None:
        return "?"
    if isinstance(path, bytes):
        return show(path.decode("utf-8", "backslashreplace"), 300)
    raw = os.fspath(path)
    try:
        raw = os.fsencode(raw).decode("utf-8", "backslashreplace")
    except UnicodeError:
        pass
    return show(raw, 300)


def kind_of(mode: int) -> str | None:
    """What a file that is not a regular file is ("a FIFO", "a device", ...); ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _stat_error(err: OSError) -> str:
    import errno

    if err.errno == errno.ENOENT:
        return "file not found"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno == errno.ENOTDIR:
        return "a folder on the way is a file"
    if err.errno == errno.ELOOP:
        return "symbolic link loop"
    if err.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return f"cannot be read ({err.strerror or err})"


def check_input_file(
    path: str | os.PathLike[str],
    *,
    max_bytes: int | None = None,
    error: type[GazeXError] = GazeXError,
    what: str = "a file",
) -> os.stat_result:
    """Refuse, from ``stat`` alone, a path that is not a regular file (or is larger than ``max_bytes``).

    Raises
    ------
    GazeXError
        Of type ``error``, one line naming the file and the reason (missing, a FIFO, a device, a folder,
        permission denied, too large).
    """
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as err:
        raise error(show_path(p), _stat_error(err)) from None
    except ValueError:  # an embedded NUL
        raise error(show_path(p), "not a valid file name") from None
    kind = kind_of(st.st_mode)
    if kind is not None:
        raise error(show_path(p), f"is {kind}, not {what}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise error(
            show_path(p), f"is {st.st_size / 2**20:,.1f} MiB, over the limit of {max_bytes / 2**20:,.0f} MiB"
        )
    if not os.access(p, os.R_OK):
        raise error(show_path(p), "permission denied")
    return st


def read_bytes(
    path: str | os.PathLike[str], *, max_bytes: int = MAX_JSON_BYTES, error: type[GazeXError] = GazeXError
) -> bytes:
    """The content of a regular file of at most ``max_bytes``; never blocks on a FIFO or reads a device.

    The file is opened with ``O_NONBLOCK`` and checked again on the open descriptor, so a file swapped for
    a FIFO between the check and the open is refused too.
    """
    p = Path(path)
    check_input_file(p, max_bytes=max_bytes, error=error)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(p, flags)
    except OSError as err:
        raise error(show_path(p), _stat_error(err)) from None
    try:
        st = os.fstat(fd)
        kind = kind_of(st.st_mode)
        if kind is not None:
            raise error(show_path(p), f"is {kind}, not a file")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise error(show_path(p), f"is over the limit of {max_bytes / 2**20:,.0f} MiB")
        return b"".join(chunks)
    except OSError as err:
        raise error(show_path(p), _stat_error(err)) from None
    finally:
        os.close(fd)


def _same(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev)


def check_output_file(
    out: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str]] = (),
    *,
    error: type[GazeXError] = ExportError,
) -> None:
    """Refuse an output that is a special file, a folder, or the same file (same inode) as an input.

    A symbolic link is followed: a link pointing at an input or at ``/dev/full`` is refused as the file it
    points at would be. A missing output (or one in a folder still to be created) is fine.
    """
    p = Path(out)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        if os.path.islink(p):
            raise error(show_path(p), "is a dangling symbolic link; give a plain file name") from None
        return
    except OSError as err:
        if os.path.islink(p) or err.errno not in (2, 20):
            raise error(show_path(p), _stat_error(err)) from None
        return
    kind = kind_of(st.st_mode)
    if kind is not None:
        raise error(show_path(p), f"is {kind}; an output must be a regular file (or a new name)")
    for src in inputs:
        try:
            st_in = os.stat(src)
        except (OSError, ValueError):
            continue
        if _same(st, st_in):
            link = " (a link to it)" if os.path.islink(p) else ""
            raise error(show_path(p), f"is the input {show_path(src)}{link}; writing would replace it: "
                        "give another output file")


def check_output_folder(folder: str | os.PathLike[str], *, error: type[GazeXError] = GazeXError) -> None:
    """Create ``folder`` and make sure a block can be written there, before a long run writes into it.

    A read-only folder, a full disk or a path that is a file is one line now rather than after minutes
    of work; the probe file is removed.
    """
    import tempfile

    p = Path(folder)
    try:
        p.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=p, prefix=".gazex-probe-", suffix=".partial-0") as fh:
            fh.write(b"x" * 4096)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as err:
        raise error(show_path(p), f"cannot write into the output folder: {err.strerror or err}") from None
