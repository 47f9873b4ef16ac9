"""All-or-nothing writing of several export files (reading JSON, DICOM SR, PDF).

An export that writes several files first checks every input, then writes each file to a temporary
name beside its destination, and only when every one was written renames them all into place. A
failure part-way (Ctrl-C and SIGTERM included) leaves no partial or stale output behind: the temporaries
are removed and the destinations are untouched. Each temporary is flushed to disk (``fsync``) before it
is renamed, and the folder after, so a power cut leaves the old file or the new one, never an empty one.
An output that is a special file (``/dev/full``, a FIFO) or the same file as an input is refused
(:func:`check_outputs`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.safe_io import check_output_file, show_path

__all__ = ["StagedOutputs", "check_distinct_outputs", "check_outputs", "fsync_path", "write_text_atomic"]


def check_distinct_outputs(paths: list[Path]) -> None:
    """Refuse the same destination given for two outputs (one would silently replace the other)."""
    seen: dict[Path, Path] = {}
    for p in paths:
        key = p.resolve()
        if key in seen:
            raise ExportError(p, "given for two different outputs; give each output its own file")
        seen[key] = p


def check_outputs(outputs: Iterable[str | os.PathLike[str]], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse outputs given twice, special files (``/dev/full``, FIFOs, folders) and outputs that are an input.

    An output is "an input" when it is the same file (same inode and device), so a hard link or a
    symbolic link to the film or the reading is refused as well as the path itself.
    """
    outs = [Path(o) for o in outputs]
    ins = [Path(i) for i in inputs]
    check_distinct_outputs(outs)
    for out in outs:
        check_output_file(out, ins, error=ExportError)


def fsync_path(path: Path, *, directory: bool = False) -> None:
    """Flush a file (or a folder's entries) to disk; folders that cannot be opened are skipped."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


def write_text_atomic(
    dest: str | os.PathLike[str],
    text: str,
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    bulk: bool = False,
) -> Path:
    """Write ``text`` (UTF-8) to ``dest`` through a temporary beside it, flushed to disk, then renamed.

    The destination is refused when it is a special file or one of ``inputs``. On any failure or
    interruption the temporary is removed and ``dest`` is untouched. ``bulk=True`` (thousands of files
    re-creatable from their source, such as an import) skips the per-file ``fsync`` (20 ms or more each
    on a busy disk) and the scan for stale temporaries of killed runs (a listing of the whole folder per
    file); the caller flushes the folder once at the end. The rename still never exposes a partial file.

    Raises
    ------
    ExportError
        One line naming ``dest`` and the reason (disk full, permission denied, ...).
    """
    out = Path(dest)
    check_output_file(out, inputs, error=ExportError)
    with StagedOutputs(durable=not bulk) as staged:
        tmp = staged.temp_for(out)
        try:
            with open(tmp, "x", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as err:
            raise ExportError(show_path(out), f"cannot write: {err.strerror or err}") from None
        staged.commit()
    return out


def _remove_stale_temporaries(dest: Path) -> None:
    """Remove temporaries for ``dest`` left by an export that was killed (SIGKILL, power cut): their process is gone."""
    prefix = f".{dest.name[:80]}.partial-"
    try:
        names = [n for n in os.listdir(dest.parent) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix) :].split("-", 1)[0].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            os.kill(int(pid_text), 0)
            continue  # that export is still running
        except ProcessLookupError:
            pass
        except OSError:
            continue  # alive, another user's
        try:
            (dest.parent / name).unlink()
        except OSError:
            pass


class StagedOutputs:
    """Temporaries for several destinations, renamed into place together by :meth:`commit`.

    Use as a context manager: leaving the block with an exception removes every temporary.

    Examples
    --------
    >>> with StagedOutputs() as staged:  # doctest: +SKIP
    ...     reading.save(staged.temp_for(Path("out.json")))
    ...     export_sr(reading, staged.temp_for(Path("out.dcm")))
    ...     staged.commit()
    """

    def __init__(self, *, durable: bool = True) -> None:
        self._staged: list[tuple[Path, Path]] = []
        self.committed: list[Path] = []
        #: fsync files and folders, and remove stale temporaries of killed runs (off for bulk writes)
        self.durable = durable

    def temp_for(self, out: str | os.PathLike[str]) -> Path:
        """A temporary file beside ``out`` (its folder is created); renamed to ``out`` on commit."""
        dest = Path(out)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ExportError(dest, f"cannot create the folder: {err}") from None
        if dest.is_dir():
            raise ExportError(dest, "is a folder; give a file name")
        check_output_file(dest, error=ExportError)
        if self.durable:
            _remove_stale_temporaries(dest)
        # short enough for any file system (names of 255 bytes), unique per process and call
        tmp = dest.with_name(f".{dest.name[:80]}.partial-{os.getpid()}-{secrets.token_hex(3)}")
        self._staged.append((tmp, dest))
        return tmp

    def commit(self) -> list[Path]:
        """Rename every temporary into place; returns the destinations."""
        for tmp, dest in self._staged:
            if not tmp.is_file():
                raise ExportError(dest, "was not written")
            if not self.durable:
                continue
            try:
                fsync_path(tmp)
            except OSError as err:
                raise ExportError(show_path(dest), f"cannot write: {err.strerror or err}") from None
        for tmp, dest in self._staged:
            try:
                os.replace(tmp, dest)
            except OSError as err:
                raise ExportError(show_path(dest), f"cannot write: {err.strerror or err}") from None
            self.committed.append(dest)
        if self.durable:
            for folder in dict.fromkeys(d.parent for d in self.committed):
                fsync_path(folder, directory=True)
        self._staged = [(t, d) for t, d in self._staged if d not in self.committed]
        return list(self.committed)

    def discard(self) -> None:
        """Remove the temporaries not yet renamed (and their own ``.tmp`` companions)."""
        for tmp, _dest in self._staged:
            for p in (tmp, tmp.with_name(tmp.name + ".tmp")):
                try:
                    p.unlink(missing_ok=True)
                except OSError:
                    pass
        self._staged = []

    def __enter__(self) -> StagedOutputs:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.discard()
