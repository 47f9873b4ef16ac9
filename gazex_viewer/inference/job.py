"""The per-job control object: how a running job reports (progress, streamed text) and learns it must stop.

The lowest floor of the inference package: the GazeX protocol, every backend and the worker report through a
:class:`JobControl`, and :class:`JobCancelled` is what a job raises once its cancel flag is set. Nothing here
imports torch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from gazex_viewer.core.errors import InferenceError
from gazex_viewer.inference.api import JobEvent


class JobCancelled(InferenceError):
    """Raised inside a job when its cancel flag was set."""


@dataclass
class JobControl:
    """How a running job reports and learns that it should stop.

    Parameters
    ----------
    job_id
        The client's job number, copied into every event.
    emit
        Called with each :class:`JobEvent` (from the thread running the job).
    cancel_event
        Set by anyone to stop the job; generation checks it once per token.
    """

    job_id: int
    emit: Callable[[JobEvent], None] = lambda event: None
    cancel_event: threading.Event = field(default_factory=threading.Event)

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check(self) -> None:
        """Raise :class:`JobCancelled` when the job was cancelled."""
        if self.cancel_event.is_set():
            raise JobCancelled(None, "cancelled")

    def progress(
        self,
        stage: str,
        *,
        current: int = 0,
        total: int = 0,
        message: str = "",
        tokens_per_s: float | None = None,
    ) -> None:
        self.emit(
            JobEvent(
                kind="progress",
                job_id=self.job_id,
                stage=stage,
                current=current,
                total=total,
                message=message,
                tokens_per_s=tokens_per_s,
            )
        )

    def text(self, piece: str, *, tokens_per_s: float | None = None) -> None:
        self.emit(JobEvent(kind="text", job_id=self.job_id, stage="report", text=piece, tokens_per_s=tokens_per_s))
