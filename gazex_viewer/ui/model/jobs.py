"""The model-job lifecycle of one window: which model, run on the open film, cancel, and the stale-result rule.

Owns :class:`ModelJobs`: the checkpoint folder or model server chosen (remembered in the settings), the model
runner (built on first use, its worker process shut down with the window), one job at a time on the
workspace's radiograph, its progress streamed to the :class:`~gazex_viewer.ui.model.panel.ModelPanel`, and what
happens to its result:

- a result for a film that is no longer open (or of a cancelled job) is dropped, saying so;
- a review in progress is never replaced unasked (``accept_draft``);
- in read-first mode the draft's text is never streamed (``draft_hidden``);
- otherwise the reading is shown (``show_reading``), which makes it the workspace's reading.

Like Orange's widgets, the job runs elsewhere (the worker process) and this object only starts it and receives
the result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QWidget

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.model import server_dialog as SD

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.inference.api import ModelSpec
    from gazex_viewer.ui.model.generation_dialog import GenerationDialog
    from gazex_viewer.ui.model.panel import ModelPanel
    from gazex_viewer.ui.model.runner import ModelRunner
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["ModelJobs"]


class ModelJobs(QObject):
    """Runs the chosen model on the workspace's film, one job at a time.

    Parameters
    ----------
    workspace
        Where the open film is read from.
    panel
        The model panel: it shows the choice, the progress and the outcome; its ``*_requested`` signals are
        connected here.
    shell
        Errors, the status line, the Report tab, and ``show_reading`` for the finished draft.
    runner_factory
        Builds the runner (default :class:`~gazex_viewer.ui.model.runner.ModelRunner`, imported lazily); tests
        pass a fake.
    draft_hidden
        True when the next draft must arrive hidden (read first): progress only, never its text.
    accept_draft
        Asked before a finished draft is shown; False keeps the current review (the draft is set aside).
    question_running
        True while the ask panel's question uses the runner (its failures and cancels are not this job's).
    """

    def __init__(
        self,
        workspace: Workspace,
        panel: ModelPanel,
        shell: Shell,
        *,
        runner_factory: Callable[[QWidget], ModelRunner] | None = None,
        draft_hidden: Callable[[], bool] = lambda: False,
        accept_draft: Callable[[Reading], bool] = lambda _r: True,
        question_running: Callable[[], bool] = lambda: False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.panel = panel
        self.shell = shell
        self.runner_factory = runner_factory
        self.draft_hidden = draft_hidden
        self.accept_draft = accept_draft
        self.question_running = question_running
        self.runner: ModelRunner | None = None
        self._runner_spec: ModelSpec | None = None  # the spec the worker has loaded (set on its loaded signal)
        self._pending_spec: ModelSpec | None = None  # the spec asked for last
        self._job_id: int | None = None
        self._job_film: Radiograph | None = None  # the film the running job reads (a new film makes it stale)
        panel.run_requested.connect(self.run_model)
        panel.cancel_requested.connect(self.cancel_model)
        panel.choose_checkpoint_requested.connect(self.choose_checkpoint)

    @property
    def running(self) -> bool:
        """True while a job runs (its result is still wanted)."""
        return self._job_id is not None

    # -- which model ---------------------------------------------------------------------------------------
    def choose_checkpoint(self) -> None:
        """Model > Choose checkpoint folder…"""
        start = S.get_path("model/checkpoint")
        path = QFileDialog.getExistingDirectory(
            self.shell.dialog_parent(), "Choose a GazeX checkpoint folder", str(start.parent if start else Path.cwd())
        )
        if path:
            self.set_checkpoint(Path(path))

    def set_checkpoint(self, path: Path | None) -> bool:
        """Use a checkpoint folder (checked quickly, remembered between runs)."""
        if path is not None:
            try:
                from gazex_viewer.inference.api import ModelSpec, check_checkpoint

                check_checkpoint(ModelSpec(model_dir=path))
            except GazeXError as err:
                self.shell.show_error("Cannot use this checkpoint", str(err))
                return False
        S.set_value("model/checkpoint", path)
        SD.forget_server()
        self.panel.set_checkpoint(path)
        return True

    def choose_server(self) -> bool:
        """A model server instead of a folder (URL, served model, model-info file; stored in the settings)."""
        if SD.ServerDialog(self.shell.dialog_parent()).exec() != SD.ServerDialog.DialogCode.Accepted:
            return False
        self.panel.set_checkpoint(SD.current_choice())
        return True

    def edit_generation_settings(self) -> GenerationDialog:
        """Model > Generation settings: decoding options and device of the next run (remembered)."""
        from gazex_viewer.ui.model.generation_dialog import GenerationDialog

        dialog = GenerationDialog(self.shell.dialog_parent(), checkpoint=S.get_path("model/checkpoint"))
        dialog.open()
        return dialog

    # -- the runner ----------------------------------------------------------------------------------------
    def ensure_runner(self) -> ModelRunner:
        """The runner, built and connected on first use."""
        if self.runner is None:
            parent = self.shell.dialog_parent()
            if self.runner_factory is not None:
                self.runner = self.runner_factory(parent)
            else:
                from gazex_viewer.ui.model.runner import ModelRunner

                self.runner = ModelRunner(parent)
            r = self.runner
            r.progress_changed.connect(self._on_job_progress)
            r.text_streamed.connect(self._on_job_text)
            r.reading_ready.connect(self._on_job_reading)
            r.failed.connect(self._on_job_failed)
            r.cancelled.connect(self._on_job_cancelled)
            r.loaded.connect(self._on_model_loaded)
            if hasattr(r, "load_failed"):
                r.load_failed.connect(self._on_model_load_failed)
        return self.runner

    def _load_chosen(self, ckpt: Path) -> ModelRunner:
        from gazex_viewer.ui.model.generation_dialog import load_device

        runner = self.ensure_runner()
        spec = SD.model_spec(ckpt, load_device())
        if self._runner_spec != spec:  # not loaded yet, or the last load failed: (re)load
            self._pending_spec = spec
            runner.load(spec)
        return runner

    def runner_with_model(self) -> ModelRunner:
        """The model runner with the chosen checkpoint loaded or loading (InferenceError when none is chosen)."""
        from gazex_viewer.core.errors import InferenceError

        ckpt = self.panel.checkpoint
        if ckpt is None:
            raise InferenceError(None, "no checkpoint chosen: Model > Choose checkpoint folder")
        return self._load_chosen(ckpt)

    def shutdown(self) -> None:
        """Stop the worker (the window closes)."""
        if self.runner is not None:
            try:
                self.runner.shutdown()
            except Exception:  # noqa: BLE001, S110 (closing: nothing left to tell)
                pass

    # -- a job ---------------------------------------------------------------------------------------------
    def run_model(self) -> None:
        """Run the chosen checkpoint on the open film."""
        rg = self.workspace.radiograph
        if rg is None:
            self.shell.show_error("No film open", "Open a film first, then run the model.")
            return
        ckpt = self.panel.checkpoint
        if ckpt is None:
            self.choose_checkpoint()
            ckpt = self.panel.checkpoint
            if ckpt is None:
                return
        if self._job_id is not None:
            self.shell.show_status("The model is already running on this film", 4000)
            return
        try:
            from gazex_viewer.ui.model.generation_dialog import load_generation_settings

            runner = self._load_chosen(ckpt)
            hide = self.draft_hidden()  # read first: progress only, never the draft's text
            self.panel.start_job(rg.name, hide_draft=hide)
            self.shell.raise_report()  # the progress is on the report tab
            self._job_film = rg
            self._job_id = runner.run(rg, load_generation_settings())  # its model input, not a path
        except GazeXError as err:
            self._job_id = None
            self.panel.finish(str(err), error=True)
            self.shell.show_error("Cannot run the model", str(err))
        except Exception as err:  # noqa: BLE001 (never a crash: the reason is shown)
            self._job_id = None
            self.panel.finish(f"{err.__class__.__name__}: {err}", error=True)
            self.shell.show_error("Cannot run the model", f"{ckpt}: {err.__class__.__name__}: {err}")

    def cancel_model(self) -> None:
        """Cancel the running job (the worker stops)."""
        if self.runner is not None and self._job_id is not None:
            self.runner.cancel()
            self._job_id = None
            self.panel.finish("Cancelled")

    def _on_job_progress(self, stage: str, current: int, total: int, message: str) -> None:
        if self._job_id is not None:
            self.panel.set_progress(stage, current, total, message)

    def _on_job_text(self, text: str) -> None:
        if self._job_id is not None:
            self.panel.append_text(text)

    def _on_job_reading(self, reading: object) -> None:
        if self._job_id is None:
            return  # a stale job's result
        self._job_id = None
        if not isinstance(reading, Reading):
            self.panel.finish("The model returned no reading", error=True)
            return
        rg = self.workspace.radiograph
        if rg is None or (self._job_film is not None and rg is not self._job_film):
            self.panel.finish("Result discarded: the film changed", error=True)
            return
        n = len(reading.sentences)
        if not self.accept_draft(reading):  # a review in progress is never replaced unasked
            self.panel.finish("Done: kept the current review; the new AI draft was set aside")
            return
        if self.panel.hide_draft:
            self.panel.finish("Done: the AI draft is ready, hidden until you write your impression (Review tab)")
        else:
            self.panel.finish(f"Done: {n} sentence{'s' if n != 1 else ''}")
        self.shell.show_reading(reading)

    def _on_job_failed(self, message: str) -> None:
        if self._job_id is None and self.question_running():
            return  # the question's failure: the ask panel says it
        self._job_id = None
        self.panel.finish(message, error=True)

    def _on_model_loaded(self, name: str) -> None:
        self._runner_spec = self._pending_spec

    def _on_model_load_failed(self, message: str) -> None:
        """The checkpoint did not load: say so (folder and reason), and let the next Run try again."""
        self._runner_spec = None
        self._job_id = None
        self.panel.finish(message, error=True)

    def _on_job_cancelled(self) -> None:
        if self._job_id is None and self.question_running():
            return
        self._job_id = None
        self.panel.finish("Cancelled")
