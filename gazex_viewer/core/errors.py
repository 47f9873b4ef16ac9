"""Typed errors with a message that names the file and the reason.

Every error raised on bad input derives from :class:`GazeXError`; ``str(err)`` is one line,
``"<path>: <reason>"``, fit to show in a message box or print on the command line.
"""

from __future__ import annotations

import os


class GazeXError(Exception):
    """Bad input or a failed operation, with the file it concerns and the reason."""

    def __init__(self, path: str | os.PathLike[str] | None, reason: str) -> None:
        self.path = None if path is None else os.fspath(path)
        self.reason = reason
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """``"<path>: <reason>"`` on one line (runs of whitespace, newlines included, become one space)."""
        text = self.reason if self.path is None else f"{self.path}: {self.reason}"
        return " ".join(text.split())

    def __str__(self) -> str:
        return self.message


class RadiographError(GazeXError):
    """An image file that cannot be shown (corrupt, truncated, unsupported, too large)."""


class ReadingError(GazeXError):
    """A reading JSON document that is not valid."""


class CheckpointError(GazeXError):
    """A model checkpoint folder that cannot be used (missing, corrupt, wrong layout, pickle-only)."""


class InferenceError(GazeXError):
    """A model job that failed (worker crash, out of memory, cancelled)."""


class ReviewStoreError(GazeXError):
    """The review database cannot be opened or written."""


class ExportError(GazeXError):
    """An export (DICOM SR, PDF, JSON) that could not be written."""


class GazeImportError(GazeXError):
    """An expert eye-tracking recording that cannot be imported."""
