"""Background work for a view, in Orange's style: a plain ``run(..., state)`` function in a thread, its result back in the UI.

Owns :class:`TaskState` (what the running function reports to and asks: progress, whether it should stop)
and :class:`TaskRunner` (starts one such function at a time in Qt's global thread pool and hands its result
to the UI thread; a new start, or :meth:`TaskRunner.cancel`, asks the running one to stop and discards
whatever it returns). The function itself is Qt-free and lives with its concept, e.g.
:func:`gazex_viewer.core.gaze.comparison.run`; the view only receives :attr:`TaskRunner.done` or
:attr:`TaskRunner.failed`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

__all__ = ["TaskRunner", "TaskState"]


class TaskState(QObject):
    """Handed to the running function as its last argument (Orange's ``TaskState``, reduced to what is used).

    The function calls :meth:`set_progress_value` (0 to 100) and polls :meth:`is_interruption_requested`;
    both are safe from the worker thread (progress reaches the UI through a queued signal).
    """

    progress_changed = Signal(float)
    # from the worker thread: the result, or the error line (the state outlives its runner: the job holds it, so a
    # runner deleted mid-task is simply disconnected by Qt instead of being signalled from another thread)
    finished = Signal(object, object)
    errored = Signal(object, str)

    def __init__(self) -> None:
        super().__init__()
        self._interrupt = False
        #: the last progress reported, 0 to 100
        self.progress = 0.0

    def set_progress_value(self, percent: float) -> None:
        self.progress = float(percent)
        self.progress_changed.emit(self.progress)

    def is_interruption_requested(self) -> bool:
        return self._interrupt

    def request_interruption(self) -> None:
        """Ask the function to stop at its next check (its result, if any, is discarded)."""
        self._interrupt = True


class _Job(QRunnable):
    def __init__(self, state: TaskState, fn: Callable[..., object], args: tuple[object, ...]) -> None:
        super().__init__()
        self.state, self.fn, self.args = state, fn, args

    def run(self) -> None:
        try:
            result = self.fn(*self.args, self.state)
        except Exception as err:  # noqa: BLE001 (reported in the view, never a traceback)
            self.state.errored.emit(self.state, f"{err.__class__.__name__}: {err}")
        else:
            self.state.finished.emit(self.state, result)


class TaskRunner(QObject):
    """Runs one ``fn(*args, state)`` at a time off the UI thread.

    Signals
    -------
    done(object) : the result of the task last started (never one cancelled or replaced).
    failed(str) : it raised: ``"ErrorClass: message"``.
    progress(float) : its progress, 0 to 100.
    """

    done = Signal(object)
    failed = Signal(str)
    progress = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state: TaskState | None = None

    @property
    def running(self) -> bool:
        return self.state is not None

    def start(self, fn: Callable[..., object], *args: object) -> TaskState:
        """Cancel the running task, if any, and run ``fn(*args, state)`` in the global thread pool."""
        self.cancel()
        state = TaskState()
        state.progress_changed.connect(self.progress)
        # queued into this object's thread; Qt drops them if this runner is deleted before the task ends
        state.finished.connect(self._on_done)
        state.errored.connect(self._on_failed)
        self.state = state
        QThreadPool.globalInstance().start(_Job(state, fn, args))
        return state

    def cancel(self) -> None:
        """Ask the running task to stop; whatever it returns or raises is discarded."""
        if self.state is not None:
            self.state.request_interruption()
            self.state = None

    def _current(self, state: object) -> bool:
        if state is not self.state or self.state is None or self.state.is_interruption_requested():
            return False  # a task replaced or cancelled since
        self.state = None
        return True

    def _on_done(self, state: object, result: object) -> None:
        if self._current(state):
            self.done.emit(result)

    def _on_failed(self, state: object, message: str) -> None:
        if self._current(state):
            self.failed.emit(message)
