"""All-or-nothing writing of several export files (reading JSON, DICOM SR, PDF).

An export that writes several files first checks every input, then writes each file to a temporary
name beside its destination, and only when every one was written renames them all into place. A
failure part-way leaves no partial or stale output behind: the temporaries are removed and the
destinations are untouched.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from gazex_viewer.core.errors import ExportError

__all__ = ["StagedOutputs", "check_distinct_outputs"]


def check_distinct_outputs(paths: list[Path]) -> None:
    """Refuse the same destination given for two outputs (one would silently replace the other)."""
    seen: dict[Path, Path] = {}
    for p in paths:
        key = p.resolve()
        if key in seen:
            raise ExportError(p, "given for two different outputs; give each output its own file")
        seen[key] = p


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

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []
        self.committed: list[Path] = []

    def temp_for(self, out: str | os.PathLike[str]) -> Path:
        """A temporary file beside ``out`` (its folder is created); renamed to ``out`` on commit."""
        dest = Path(out)
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ExportError(dest, f"cannot create the folder: {err}") from None
        if dest.is_dir():
            raise ExportError(dest, "is a folder; give a file name")
        tmp = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
        self._staged.append((tmp, dest))
        return tmp

    def commit(self) -> list[Path]:
        """Rename every temporary into place; returns the destinations."""
        for tmp, dest in self._staged:
            if not tmp.is_file():
                raise ExportError(dest, "was not written")
        for tmp, dest in self._staged:
            try:
                os.replace(tmp, dest)
            except OSError as err:
                raise ExportError(dest, f"cannot write: {err}") from None
            self.committed.append(dest)
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
