"""The viewer's main window: layout, menus and docks around one observed workspace.

Owns :class:`MainWindow`: the central film area (metadata strip, film canvas or the "Open a film" page, player
bar), the right-hand tabs (Report with the model panel and the question box; Review; the modes' tabs), the
menus (built through the :class:`~gazex_viewer.ui.actions.ActionRegistry`), the status line, the saved layout,
and the wiring of the views to the :class:`~gazex_viewer.ui.workspace.Workspace`. What the window does is done
by its parts: :class:`~gazex_viewer.ui.shell.documents.Documents` opens films and readings,
:class:`~gazex_viewer.ui.model.jobs.ModelJobs` runs the model, the review and the teaching modes are handed the
workspace, the registry and the window as a :class:`~gazex_viewer.ui.services.Shell`. Nothing heavy (torch,
transformers, highdicom, sklearn, matplotlib, reportlab) is imported here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QResizeEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.reading.document import Reading
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.actions import ActionRegistry, Keys, ShortcutsDialog
from gazex_viewer.ui.film.area import FilmArea, build_empty_page
from gazex_viewer.ui.film.measure_tools import install_measuring
from gazex_viewer.ui.film.metadata import metadata_text
from gazex_viewer.ui.film.presets import WindowPresets
from gazex_viewer.ui.model import server_dialog as SD
from gazex_viewer.ui.model.jobs import ModelJobs
from gazex_viewer.ui.model.panel import ModelPanel
from gazex_viewer.ui.report.panel import ReportPanel
from gazex_viewer.ui.review.controller import ReviewController
from gazex_viewer.ui.review.key_safety import KeyGate
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.shell.documents import Documents
from gazex_viewer.ui.style import APP_TITLE, DOCK_WIDTH, STYLE, dock_width_for
from gazex_viewer.ui.workspace import Workspace

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph
    from gazex_viewer.ui.compare.plot_dialog import PlotDialog
    from gazex_viewer.ui.compare.session import CompareSession, Comparisons
    from gazex_viewer.ui.model.runner import ModelRunner
    from gazex_viewer.ui.review.audit_dialog import AuditDialog
    from gazex_viewer.ui.review.export_dialog import ExportDialog
    from gazex_viewer.ui.trainee.mode import TraineeMode

__all__ = ["APP_TITLE", "STYLE", "MainWindow", "ShortcutsDialog", "create_window", "dock_width_for", "metadata_text"]

#: version of the saved dock layout: 2 = Report | Review | Compare as tabs (1 was stacked docks)
STATE_VERSION = 2


class MainWindow(QMainWindow):
    """The GazeX Viewer window (implements :class:`~gazex_viewer.ui.services.Shell`).

    Parameters
    ----------
    runner_factory
        Builds the model runner (default: :class:`gazex_viewer.ui.model.runner.ModelRunner`, imported lazily).
    """

    def __init__(self, *, runner_factory: Callable[[QWidget], ModelRunner] | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("gazexMainWindow")
        self.setAcceptDrops(True)
        self.setStyleSheet(STYLE)
        self.workspace = Workspace(self)
        self.last_error: str | None = None
        #: every menu action and shortcut of this window; handed to the modes
        self.action_registry = ActionRegistry(self)
        self._comparisons: Comparisons | None = None  # built when first used (Teaching menu)
        self.trainee_mode: TraineeMode | None = None

        self.selection = SelectionModel(self)

        # central area: metadata strip, canvas (or the empty state), player bar
        empty = build_empty_page(
            lambda: self.documents.open_file_dialog(),
            lambda: self.documents.open_folder_dialog(),
            lambda: self.documents.open_reading_dialog(),
        )
        self.film = FilmArea(self.selection, empty)
        self.setCentralWidget(self.film)
        self.controller = self.film.controller
        self.metadata_label = self.film.metadata_label
        self.stack = self.film.stack
        self.empty_page = self.film.empty_page
        self.canvas = self.film.canvas
        self.corners = self.film.corners
        self.player_bar = self.film.player_bar

        # right side: tabs (Report | Review | Compare); the model's one-line status above the report
        self.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.model_panel = ModelPanel()
        self.report_panel = ReportPanel(self.selection)
        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(0, 0, 0, 0)
        sv.setSpacing(0)
        sv.addWidget(self.model_panel)
        rule = QFrame()
        rule.setObjectName("panelRule")
        rule.setFrameShape(QFrame.Shape.HLine)
        sv.addWidget(rule)
        sv.addWidget(self.report_panel, 1)
        from gazex_viewer.ui.model.ask_panel import AskController, AskPanel
        from gazex_viewer.ui.model.generation_dialog import load_generation_settings

        self.ask_panel = AskPanel()
        sv.addWidget(self.ask_panel)
        self.report_dock = QDockWidget("Report", self)
        self.report_dock.setObjectName("reportDock")
        self.report_dock.setWidget(side)
        self.report_dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.report_dock.setTitleBarWidget(QWidget())  # the tab says what it is
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.report_dock)
        self.resizeDocks([self.report_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
        # the review workflow: database, review panel (a tab beside the report), region editor
        self.review = ReviewController(self.workspace, self.action_registry, self, self.report_panel)
        self.review_panel = self.review.panel
        self.region_editor = self.review.region_editor
        self.jobs = ModelJobs(
            self.workspace,
            self.model_panel,
            self,
            runner_factory=runner_factory,
            draft_hidden=self.review.draft_arrives_hidden,
            accept_draft=self.review.accept_new_draft,
            question_running=lambda: self.ask.running,
            parent=self,
        )
        self.ask = AskController(
            self.ask_panel,
            self.canvas,
            runner=self.jobs.runner_with_model,
            film=lambda: self.radiograph.path if self.radiograph is not None else None,
            radiograph=lambda: self.radiograph,
            reading=lambda: self.reading,
            busy=lambda: self.jobs.running,
            settings=load_generation_settings,
        )
        self.documents = Documents(self.workspace, self, self.review, self.jobs, show_drawn=self.film.draw_reading)

        # status line
        self.pixel_label = QLabel("")
        self.view_label = QLabel("")
        self.statusBar().addWidget(self.pixel_label, 1)
        self.statusBar().addPermanentWidget(self.view_label)

        # the views follow the workspace (in this order: the film area is laid out before the film is fitted)
        ws = self.workspace
        ws.radiograph_changed.connect(self._on_radiograph_changed)
        self.canvas.pixel_hovered.connect(self.pixel_label.setText)
        self.canvas.view_changed.connect(self._update_view_label)
        self.film.observe(ws)
        self.report_panel.observe(ws)
        self.model_panel.observe(ws)
        ws.reading_changed.connect(self._on_reading_changed)
        self.model_panel.open_reading_requested.connect(self.documents.open_reading_dialog)

        # single-key shortcuts: never while typing; review keys only on a findings list or the film
        self.key_gate = KeyGate(
            self,
            lambda: [self.canvas, self.review_panel.list_area, self.report_panel.scroll],
        )
        self.action_registry.gate = self.key_gate
        self._build_actions()
        self.measure = install_measuring(self, self.workspace, self.action_registry, self.canvas)  # the Measure menu
        self._restore_settings()
        if self.radiograph is None:
            self.film.show_empty()

    # -- state: the workspace's, read and written through it ------------------------------------------------
    @property
    def radiograph(self) -> Radiograph | None:
        return self.workspace.radiograph

    @radiograph.setter
    def radiograph(self, radiograph: Radiograph | None) -> None:
        self.workspace.set_radiograph(radiograph)

    @property
    def reading(self) -> Reading | None:
        return self.workspace.reading

    @reading.setter
    def reading(self, reading: Reading | None) -> None:
        self.workspace.set_reading(reading)

    @property
    def reading_path(self) -> Path | None:
        """The file the shown reading was opened from (None: made by the model or a mode)."""
        return self.documents.reading_path

    @property
    def runner(self) -> ModelRunner | None:
        """The model runner (None until the model is first used)."""
        return self.jobs.runner

    @property
    def job_running(self) -> bool:
        return self.jobs.running

    @property
    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        """(group, action, keys) of every shortcut: the F1 dialog's rows (the registry's)."""
        return self.action_registry.rows

    # -- construction ---------------------------------------------------------------------------------------
    def _action(
        self, menu: QMenu, group: str, text: str, keys: Keys, slot: Callable[..., object], *, checkable: bool = False
    ) -> QAction:
        """For modes not yet handed the registry: :meth:`ActionRegistry.add`."""
        return self.action_registry.add(menu, group, text, keys, slot, checkable=checkable)

    def _build_actions(self) -> None:
        mb = self.menuBar()
        add = self.action_registry.add
        f = mb.addMenu("&File")
        add(f, "File", "&Open file…", "Ctrl+O", self.documents.open_file_dialog)
        add(f, "File", "Open &folder…", "Ctrl+Shift+O", self.documents.open_folder_dialog)
        add(f, "File", "Open saved &reading…", "Ctrl+R", self.documents.open_reading_dialog)
        add(f, "File", "Open from &PACS…", None, self.documents.open_pacs_dialog)
        add(f, "File", "Send results to PACS", None, self.send_to_pacs)
        f.addSeparator()
        add(f, "File", "&Next image in folder", "PgDown", self.documents.next_image)
        add(f, "File", "&Previous image in folder", "PgUp", self.documents.previous_image)
        f.addSeparator()
        add(f, "File", "Export inspection &video…", None, self.documents.export_video)
        f.addSeparator()
        quit_action = add(f, "File", "&Quit", "Ctrl+Q", self.close)

        v = mb.addMenu("&View")
        add(v, "View", "&Fit film to window", "F", self.canvas.fit)
        add(v, "View", "&1:1 (one image pixel per screen pixel)", "1", self.canvas.one_to_one)
        add(v, "View", "Zoom &in", ["+", "="], lambda: self.canvas.zoom_by(1.25))
        add(v, "View", "Zoom &out", "-", lambda: self.canvas.zoom_by(0.8))
        self.invert_action = add(v, "View", "&Invert grey scale", "I", self.canvas.set_inverted, checkable=True)
        self.presets_menu = v.addMenu("Window &presets")
        self.presets = WindowPresets(self.presets_menu, self.canvas, self.workspace, self.action_registry)
        add(v, "View", "&Default window (header)", "0", self.presets.reset)
        v.addSeparator()
        add(v, "Layers", "Show &trajectory", "T", lambda: self.player_bar.toggle_layer("trajectory"))
        add(v, "Layers", "Show &regions", "G", lambda: self.player_bar.toggle_layer("regions"))
        add(v, "Layers", "Show gaze &heatmap", "H", lambda: self.player_bar.toggle_layer("heatmap"))
        add(v, "Layers", "Show &labels", "B", lambda: self.player_bar.toggle_layer("labels"))
        add(v, "Layers", "Film &corners and orientation", "C", self.toggle_corners)
        self.dicom_overlays_action = add(
            v, "Layers", "DICOM o&verlay planes (60xx)", "Shift+O", self.canvas.set_dicom_overlays, checkable=True
        )
        self.dicom_overlays_action.setChecked(True)
        add(v, "Layers", "Hide &all overlays / show them again", "O", self.toggle_all_overlays)
        from gazex_viewer.ui.film.overlay_controls import OverlayControls

        self.overlay_controls = OverlayControls(self.canvas, self.action_registry, v)
        from gazex_viewer.ui.film.hanging import PaLateralHanging

        self.hanging = PaLateralHanging(self.workspace, self.action_registry, self, self.corners, self.open_image, v, parent=self)
        self.documents.open_pair = self.hanging.open_pair  # two films of one study opened together: hung
        v.addSeparator()
        add(v, "Report", "Next sentence", ["Down", "J"], lambda: self.report_panel.step_sentence(1))
        add(v, "Report", "Previous sentence", ["Up", "K"], lambda: self.report_panel.step_sentence(-1))
        add(v, "Report", "Clear selection", "Esc", lambda: self.selection.select(None))

        p = mb.addMenu("&Playback")
        add(p, "Playback", "&Play / pause", "Space", self.controller.toggle)
        add(p, "Playback", "&Next fixation", "Right", self.controller.step_next)
        add(p, "Playback", "P&revious fixation", "Left", self.controller.step_previous)
        add(p, "Playback", "Go to &start", "Home", lambda: self.controller.seek(0.0))
        add(p, "Playback", "&Faster", "]", self.controller.faster)
        add(p, "Playback", "&Slower", "[", self.controller.slower)
        add(p, "Playback", "&Loop", "L", lambda: self.player_bar.loop_box.toggle())

        m = mb.addMenu("&Model")
        add(m, "Model", "&Choose checkpoint folder…", "Ctrl+Shift+M", self.jobs.choose_checkpoint)
        add(m, "Model", "Use a model &server…", None, self.jobs.choose_server)
        add(m, "Model", "&Run model on this film", "F5", self.jobs.run_model)
        add(m, "Model", "&Cancel the running job", "Shift+F5", self.jobs.cancel_model)
        m.addSeparator()
        add(m, "Model", "&Generation settings…", "Ctrl+Shift+D", self.jobs.edit_generation_settings)
        m.addSeparator()
        add(m, "Model", "&Ask the film a question…", "Ctrl+Shift+Q", self.focus_question)
        add(
            m, "Model", "&Where does the model see the selected finding?", "Ctrl+Shift+W", self.ground_selected_finding
        )

        # comparison and trainee mode: gazex_viewer.ui.compare.panel / trainee_panel (imported when used)
        c = mb.addMenu("&Teaching")
        add(c, "Teaching", "&Compare with reading…", "Ctrl+Shift+C", self.compare_with_reading)
        self.trainee_action = add(c, "Teaching", "&Trainee mode", "Ctrl+Shift+T", self.set_trainee_mode, checkable=True)
        add(c, "Teaching", "Agreement &plot…", "Ctrl+Shift+G", self.show_agreement_plot)

        self.review.build_actions(f, quit_action)
        self.read_first_action = self.review.read_first_action

        h = mb.addMenu("&Help")
        add(h, "Help", "&Keyboard shortcuts", "F1", self.show_shortcuts)
        about = QAction("&About GazeX Viewer", self)
        about.triggered.connect(self._about)
        h.addAction(about)

    def _restore_settings(self) -> None:
        """Window layout, layers and player settings as the user left them."""
        s = S.settings()
        geom = s.value("window/geometry")
        if isinstance(geom, QByteArray):
            self.restoreGeometry(geom)
        else:
            self.resize(1400, 900)
        state = s.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state, STATE_VERSION)  # a layout saved by an older version is not restored
        self.model_panel.set_checkpoint(SD.current_choice())
        self.film.restore_settings()

    def save_settings(self) -> None:
        """Write window layout, layers and player settings."""
        s = S.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(STATE_VERSION))
        self.film.save_settings(s)
        s.sync()

    # -- Dialogs and the Shell services a mode uses (gazex_viewer.ui.services; tests monkeypatch the dialogs) ----
    def show_error(self, title: str, message: str) -> None:
        """Tell the user something failed; the open film and reading stay."""
        self.last_error = message
        self.statusBar().showMessage(message, 10000)
        QMessageBox.warning(self, title, message)

    def ask_yes_no(self, title: str, message: str) -> bool:
        """Ask a question; True for Yes."""
        answer = QMessageBox.question(self, title, message)
        return answer == QMessageBox.StandardButton.Yes

    def ask_text(self, title: str, label: str, default: str = "") -> str | None:
        """Ask for a line of text; None when cancelled."""
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        text, ok = QInputDialog.getText(self, title, label, QLineEdit.EchoMode.Normal, default)
        return text if ok else None

    def dialog_parent(self) -> QWidget:
        return self

    def style_sheet(self) -> str:
        return self.styleSheet()

    def show_status(self, message: str, msecs: int = 0) -> None:
        self.statusBar().showMessage(message, msecs)

    def clear_status(self) -> None:
        self.statusBar().clearMessage()

    def set_title(self, title: str) -> None:
        self.setWindowTitle(title)

    def add_tab(self, dock: QDockWidget, *, beside_report: bool = True) -> None:
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        if beside_report:
            self.tabifyDockWidget(self.report_dock, dock)

    def remove_tab(self, dock: QDockWidget) -> None:
        self.removeDockWidget(dock)

    def side_docks(self) -> list[QDockWidget]:
        return self.findChildren(QDockWidget)

    def raise_report(self) -> None:
        self.report_dock.raise_()

    def take_film_area(self, replacement: QWidget) -> QWidget:
        return self.film.take(replacement)

    def restore_film_area(self) -> None:
        self.film.give_back()

    def show_reading(self, reading: Reading, *, source: Path | None = None) -> bool:
        """Show a reading over the open film, warning first when it was made on another image."""
        return self.documents.show_reading(reading, source=source)

    def restore_reading(self, reading: Reading | None) -> None:
        self.review.restore(reading)

    # -- the File menu's parts, called by name from the command line, drops, modes and tests -----------------
    def open_paths(self, paths: Iterable[str | os.PathLike[str]]) -> bool:
        """Open command-line or dropped paths: images, folders and reading JSON files."""
        return self.documents.open_paths(paths)

    def open_folder(self, folder: Path) -> bool:
        return self.documents.open_folder(folder)

    def open_image(self, path: str | os.PathLike[str], **kw: Any) -> bool:
        """Load and show a radiograph (:meth:`Documents.open_image`)."""
        return self.documents.open_image(path, **kw)

    def open_reading(self, path: str | os.PathLike[str]) -> bool:
        return self.documents.open_reading(path)

    def send_to_pacs(self) -> None:
        """File > Send results to PACS: the reading's SR and PDF into the film's study (queued if refused)."""
        from gazex_viewer.ui.pacs.send import send_results

        send_results(self)  # the outcome is shown in the status bar (or a dialog)

    def run_model(self) -> None:
        """Run the chosen checkpoint on the open film (:meth:`ModelJobs.run_model`)."""
        self.jobs.run_model()

    def cancel_model(self) -> None:
        self.jobs.cancel_model()

    def set_checkpoint(self, path: Path | None) -> bool:
        return self.jobs.set_checkpoint(path)

    def sign_report(self) -> bool:
        """Review > Sign report: refused while a finding is undecided."""
        return self.review.sign_report()

    def export_dialog(self) -> ExportDialog | None:
        """File > Export…: the reading under review as JSON, DICOM SR and/or PDF."""
        return self.review.export_dialog()

    def show_audit_log(self) -> AuditDialog | None:
        """Review > Audit log: the review events of this study."""
        return self.review.show_audit_log()

    # -- the views' wiring -----------------------------------------------------------------------------------
    def _on_radiograph_changed(self, _radiograph: Radiograph | None) -> None:
        """A new film: forget the selection and the question box's answer, the report tab to the front."""
        self.selection.clear()
        self.ask.film_changed()
        self.report_dock.raise_()
        self.invert_action.blockSignals(True)  # the new film is shown as its header says: not inverted
        self.invert_action.setChecked(False)
        self.invert_action.blockSignals(False)

    def _on_reading_changed(self, reading: Reading | None) -> None:
        if reading is None:
            return
        self.ask.film_changed()
        session = self.review.session
        if session is not None and session.reading is reading:
            self.review.refresh_views()  # the report followed the session's copy: its review marks on it again

    def _update_view_label(self) -> None:
        self.view_label.setText(self.film.view_text())

    # kept for the review controller until it observes the workspace
    def _on_layers_changed(self, layers: dict[str, bool]) -> None:
        self.film.on_layers_changed(layers)

    def _on_time_changed(self, t: float) -> None:
        self.film.on_time_changed(t)

    def toggle_corners(self) -> None:
        """View > Film corners: patient, study, window and geometry text and the orientation markers."""
        self.film.toggle_corners()

    def toggle_all_overlays(self) -> None:
        """Hide every overlay on the film (regions, trajectory, heatmap, labels, corners, answers) and back."""
        if self.film.toggle_all_overlays(self.ask.overlay):
            self.statusBar().showMessage("All overlays hidden (O shows them again)", 4000)

    def show_shortcuts(self) -> ShortcutsDialog:
        dlg = ShortcutsDialog(self.shortcut_rows, self)
        dlg.setStyleSheet(STYLE)
        dlg.show()
        return dlg

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About GazeX Viewer",
            "GazeX Viewer: verify AI drafts of chest X-ray reports made by a local GazeX model.<br>"
            "AI drafts must be reviewed by a radiologist before use.",
        )

    # -- the question box ------------------------------------------------------------------------------------
    def focus_question(self) -> None:
        """Model > Ask the film a question: the question box under the report."""
        self.report_dock.raise_()
        self.ask_panel.question.setFocus()

    def ground_selected_finding(self) -> bool:
        """Ask the model where the evidence for the selected finding's current text is (model output)."""
        fid = self.selection.selected
        if fid is None or self.reading is None:
            self.statusBar().showMessage("Select a finding first", 4000)
            return False
        session = getattr(self.review, "session", None)
        try:
            text = session.effective_finding(fid).text if session is not None else self.reading.finding(fid).text
        except KeyError:
            self.statusBar().showMessage("Select a finding first", 4000)
            return False
        self.report_dock.raise_()
        return self.ask.ground(fid, text)

    # ------------------------------------------------------------------------------------------------
    # comparison and trainee mode
    # ------------------------------------------------------------------------------------------------
    @property
    def comparisons(self) -> Comparisons:
        """The window's one comparison at a time (compare mode; trainee mode starts one too)."""
        if self._comparisons is None:
            from gazex_viewer.ui.compare.session import Comparisons

            self._comparisons = Comparisons(self.workspace, self.action_registry, self, parent=self)
        return self._comparisons

    @property
    def compare_session(self) -> CompareSession | None:
        """The comparison running, or None."""
        return None if self._comparisons is None else self._comparisons.session

    def compare_with_reading(self, path: str | os.PathLike[str] | None = None) -> CompareSession | None:
        """Compare the open reading (A) with another reading of this film (B, from ``path`` or a file dialog)."""
        self.hanging.close()  # compare lends the film area itself
        return self.comparisons.compare_with(path)

    def set_trainee_mode(self, on: bool) -> None:
        """Trainee mode on (model and expert hidden, the trainee marks and writes) or off."""
        if on:
            self.hanging.close()
            if self.trainee_mode is None:
                from gazex_viewer.ui.trainee.mode import TraineeMode

                self.trainee_mode = TraineeMode(self.workspace, self.action_registry, self, self.comparisons, parent=self)
                self.trainee_mode.ended.connect(lambda: self.trainee_action.setChecked(False))
            if not self.trainee_mode.start():
                self.trainee_action.setChecked(False)
        elif self.trainee_mode is not None:
            self.trainee_mode.leave()

    def show_agreement_plot(self) -> PlotDialog | None:
        """The agreement-per-finding plot: of the pair being compared, else a PNG chosen in the dialog."""
        session = self.compare_session
        if session is not None and session.comparison is not None:
            return session.show_plot()
        from gazex_viewer.ui.compare.plot_dialog import PlotDialog

        dlg = PlotDialog(None, self)
        dlg.show()
        return dlg

    # -- window events ---------------------------------------------------------------------------------------
    def dragEnterEvent(self, ev: QDragEnterEvent) -> None:
        if ev.mimeData().hasUrls() and any(u.isLocalFile() for u in ev.mimeData().urls()):
            ev.acceptProposedAction()

    def dropEvent(self, ev: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
        if paths:
            ev.acceptProposedAction()
            self.open_paths(paths)

    def resizeEvent(self, ev: QResizeEvent) -> None:
        """The side panel scales with the window (:func:`dock_width_for`) when the window's width changes."""
        super().resizeEvent(ev)
        if ev.oldSize().width() != ev.size().width():
            self.resizeDocks([self.report_dock], [dock_width_for(ev.size().width())], Qt.Orientation.Horizontal)

    def closeEvent(self, ev: QCloseEvent) -> None:
        self.controller.pause()
        self.review.close()
        self.save_settings()
        self.jobs.shutdown()
        super().closeEvent(ev)


def create_window(paths: Iterable[str | os.PathLike[str]] = (), reading: str | None = None) -> MainWindow:
    """A shown main window with ``paths`` (images, folders, readings) opened after the first paint."""
    win = MainWindow()
    win.show()
    todo = [*map(str, paths), *([reading] if reading else [])]
    if todo:
        QTimer.singleShot(0, lambda: win.open_paths(todo))
    return win
