"""The viewer's main window: film canvas, metadata strip, report and model panels, trajectory player.

Thin Qt views over core objects (``Radiograph``, ``Reading``, ``TrajectoryPlayback``); one
:class:`~gazex_viewer.ui.common.SelectionModel` links the film and the report. Nothing heavy (torch,
transformers, highdicom, sklearn, matplotlib, reportlab) is imported here: the image loader and the
model runner are imported when first used.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.common import SelectionModel, finding_styles, read_reading_file
from gazex_viewer.ui.film.canvas import FilmCanvas
from gazex_viewer.ui.film.player import PlayerBar, PlayerController
from gazex_viewer.ui.model import server_dialog as SD
from gazex_viewer.ui.model.panel import ModelPanel
from gazex_viewer.ui.report.panel import ReportPanel
from gazex_viewer.ui.review.controller import ReviewController
from gazex_viewer.ui.review.key_safety import KeyGate
from gazex_viewer.ui.workspace import Workspace

APP_TITLE = "GazeX Viewer"
#: the right-hand tabs' width at start (the film gets the rest)
DOCK_WIDTH = 430
#: the side panel takes about this share of a wide window, within DOCK_WIDTH .. DOCK_MAX_WIDTH
DOCK_SHARE = 0.27
DOCK_MAX_WIDTH = 1100


def dock_width_for(window_width: int) -> int:
    """The side panel's width for a window this wide: 27 % of it, at least DOCK_WIDTH, at most DOCK_MAX_WIDTH."""
    return int(max(DOCK_WIDTH, min(DOCK_MAX_WIDTH, round(window_width * DOCK_SHARE))))

#: version of the saved dock layout: 2 = Report | Review | Compare as tabs (1 was stacked docks)
STATE_VERSION = 2
#: suffixes opened as images when the core loader's list is not importable yet
_FALLBACK_IMAGE_SUFFIXES = (".dcm", ".dicom", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")

STYLE = """
QMainWindow, QWidget { background:#1e252c; color:#dde4ea; }
QLabel, QCheckBox { background:transparent; }
QCheckBox::indicator { width:12px; height:12px; border:1px solid #7d91a5; border-radius:2px; background:#141a20; }
QCheckBox::indicator:checked { background:#4f9be0; border-color:#9cc8f0; }
QRadioButton { background:transparent; }
QRadioButton::indicator { width:11px; height:11px; border:1px solid #7d91a5; border-radius:6px; background:#141a20; }
QRadioButton::indicator:checked { background:#4f9be0; border-color:#9cc8f0; }
QDockWidget::title { background:#26303a; padding:4px; font-weight:bold; }
QLabel#metadataStrip { background:#141a20; color:#c8d3de; padding:4px 8px; border-bottom:1px solid #2f3a45; }
QLabel#emptyTitle { font-size:20pt; font-weight:bold; color:#e6edf3; }
QPushButton { background:#2f3b47; border:1px solid #46586a; border-radius:4px; padding:4px 10px; }
QPushButton:hover { background:#3a4a5a; }
QPushButton:disabled { color:#6b7885; border-color:#334150; }
QToolButton { background:#2f3b47; border:1px solid #46586a; border-radius:4px; padding:2px 6px; }
QPlainTextEdit { background:#141a20; border:1px solid #2f3a45; }
QProgressBar { background:#141a20; border:1px solid #2f3a45; border-radius:3px; text-align:center; height:16px; }
QProgressBar::chunk { background:#3d7ab8; }
QStatusBar { background:#141a20; color:#c8d3de; }
QScrollArea { background:#1e252c; }
QComboBox, QSpinBox { background:#2f3b47; border:1px solid #46586a; border-radius:3px; padding:1px 4px; }
QMenuBar { background:#1a2026; }
QMenu { background:#26303a; }
QMenu::item:selected { background:#3d7ab8; }
QTableWidget { background:#1e252c; gridline-color:#2f3a45; }
QHeaderView::section { background:#26303a; padding:3px; border:0; }
QTabBar { background:#141a20; }
QTabBar::tab { background:#1a2129; color:#93a1ae; padding:6px 16px; border:1px solid #2f3a45;
  border-bottom:0; border-top-left-radius:4px; border-top-right-radius:4px; margin-right:2px; }
QTabBar::tab:selected { background:#26303a; color:#eef3f7; font-weight:bold; border-top:2px solid #4f9be0; }
QTabBar::tab:hover:!selected { color:#dde4ea; background:#222b34; }
QFrame#panelRule { color:#2f3a45; max-height:1px; }
QMainWindow::separator { background:#2f3a45; width:3px; height:3px; }
QMainWindow::separator:hover { background:#4f9be0; }
QToolTip { background:#26303a; color:#e6edf3; border:1px solid #46586a; }
QPushButton:focus { border:2px solid #ffc857; padding:3px 9px; }
QToolButton:focus { border:2px solid #ffc857; padding:1px 5px; }
QComboBox:focus, QSpinBox:focus, QLineEdit:focus, QPlainTextEdit:focus, QTableWidget:focus,
QListWidget:focus, QTreeWidget:focus { border:1px solid #ffc857; }
QScrollArea#reportSentences { border:2px solid transparent; }
QScrollArea#reportSentences:focus { border:2px solid #ffc857; }
QGraphicsView#filmCanvas { border:2px solid #000000; }
QGraphicsView#filmCanvas:focus { border:2px solid #ffc857; }
"""


def _meta(md: Any, key: str) -> Any:
    if md is None:
        return None
    if isinstance(md, dict):
        return md.get(key)
    return getattr(md, key, None)


def metadata_text(radiograph: Any) -> str:
    """The study/metadata strip: patient, ID, study date, view, laterality, spacing, notes."""
    md = getattr(radiograph, "metadata", None)
    parts: list[str] = []

    def add(label: str, value: Any) -> None:
        if value not in (None, "", []):
            parts.append(f"<span style='color:#8a96a3'>{label}</span> {html.escape(str(value))}")

    add("File", getattr(radiograph, "name", None))
    name = _meta(md, "patient_name")
    add("Patient", str(name).replace("^", " ").strip() if name else None)
    add("ID", _meta(md, "patient_id"))
    date = _meta(md, "study_date")
    if isinstance(date, str) and len(date) == 8 and date.isdigit():
        date = f"{date[:4]}-{date[4:6]}-{date[6:]}"
    add("Study date", date)
    add("View", _meta(md, "view_position"))
    add("Laterality", _meta(md, "laterality"))
    spacing = _meta(md, "pixel_spacing_mm")
    if spacing:
        try:
            sy, sx = (float(v) for v in spacing) if not isinstance(spacing, (int, float)) else (spacing, spacing)
            txt = f"{sx:.3g} × {sy:.3g} mm" if abs(sx - sy) > 1e-9 else f"{sx:.3g} mm"
        except (TypeError, ValueError):
            txt = str(spacing)
        kind = str(_meta(md, "spacing_kind") or "")
        if "imager" in kind.lower() or "detector" in kind.lower():
            txt += " at detector"
        elif kind:
            txt += f" ({kind})"
        add("Pixel", txt)
    else:
        add("Pixel", "spacing unknown")
    w, h = getattr(radiograph, "width", None), getattr(radiograph, "height", None)
    if w and h:
        add("Size", f"{w} × {h}")
    notes = getattr(radiograph, "notes", None)
    if notes:
        add("Note", "; ".join(notes) if isinstance(notes, (list, tuple)) else notes)
    return "   ".join(parts)


class ShortcutsDialog(QDialog):
    """Help > Shortcuts: every action with a key, generated from the window's actions."""

    def __init__(self, rows: list[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts — GazeX Viewer")
        self.resize(560, 640)
        lay = QVBoxLayout(self)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Group", "Action", "Keys"])
        for r, (group, text, keys) in enumerate(rows):
            for c, v in enumerate((group, text, keys)):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        lay.addWidget(self.table)
        extra = QLabel(
            "Mouse: wheel zooms about the cursor, left-drag pans, right-drag sets the window "
            "(left/right = width, up/down = level). Click a region or a sentence to select it. "
            "While editing a finding (E), drag its boxes to move them or their handles to resize them; "
            "after Add missed finding (D), left-drag draws the new finding's box."
        )
        extra.setWordWrap(True)
        lay.addWidget(extra)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)


class MainWindow(QMainWindow):
    """The GazeX Viewer window.

    Parameters
    ----------
    runner_factory
        Builds the model runner (default: :class:`gazex_viewer.ui.model.runner.ModelRunner`, imported lazily).
    """

    def __init__(self, *, runner_factory: Callable[[QWidget], Any] | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_TITLE)
        self.setObjectName("gazexMainWindow")
        self.setAcceptDrops(True)
        self.setStyleSheet(STYLE)
        self._runner_factory = runner_factory
        self.runner: Any = None
        self._runner_spec: Any = None  # the spec the worker has loaded (set on the runner's loaded signal)
        self._pending_spec: Any = None  # the spec asked for last
        self._job_id: int | None = None
        self._job_film: Path | None = None
        self.workspace = Workspace(self)
        self.reading_path: Path | None = None
        self.folder_images: list[Path] = []
        self.folder_index = -1
        self.last_error: str | None = None
        self.shortcut_rows: list[tuple[str, str, str]] = []
        self.compare_session: Any = None
        self.trainee_mode: Any = None

        self.selection = SelectionModel(self)
        self.controller = PlayerController(self)

        # central area: metadata strip, canvas (or the empty state), player bar
        central = QWidget()
        cv = QVBoxLayout(central)
        cv.setContentsMargins(0, 0, 0, 0)
        cv.setSpacing(0)
        self.metadata_label = QLabel("No film open")
        self.metadata_label.setObjectName("metadataStrip")
        self.metadata_label.setTextFormat(Qt.TextFormat.RichText)
        self.metadata_label.setWordWrap(True)
        cv.addWidget(self.metadata_label)
        self.stack = QStackedWidget()
        self.empty_page = self._build_empty_page()
        self.stack.addWidget(self.empty_page)
        self.canvas = FilmCanvas(self.selection)
        from gazex_viewer.ui.film.corners import FilmCorners

        self.corners = FilmCorners(self.canvas)
        self.corners.visible = S.get_bool("view/corners", True)
        self._hidden_overlays: tuple[dict[str, bool], bool] | None = None
        self.stack.addWidget(self.canvas)
        cv.addWidget(self.stack, 1)
        self.player_bar = PlayerBar(self.controller)
        cv.addWidget(self.player_bar)
        self.setCentralWidget(central)

        # right side: tabs (Report | Review | Compare); the model's one-line status above the report
        self.setTabPosition(Qt.DockWidgetArea.RightDockWidgetArea, QTabWidget.TabPosition.North)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )
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
        from gazex_viewer.ui.model.ask_panel import AskPanel

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
        self.review = ReviewController(self)
        from gazex_viewer.ui.model.ask_panel import AskController
        from gazex_viewer.ui.model.generation_dialog import load_generation_settings

        self.ask = AskController(
            self.ask_panel,
            self.canvas,
            runner=self._runner_with_model,
            film=lambda: Path(self.radiograph.path) if self.radiograph is not None else None,
            reading=lambda: self.reading,
            busy=lambda: self._job_id is not None,
            settings=load_generation_settings,
            radiograph=lambda: self.radiograph,
        )
        self.review_panel = self.review.panel
        self.region_editor = self.review.region_editor

        # status line
        self.pixel_label = QLabel("")
        self.view_label = QLabel("")
        self.statusBar().addWidget(self.pixel_label, 1)
        self.statusBar().addPermanentWidget(self.view_label)

        # wiring
        self.canvas.pixel_hovered.connect(self._on_pixel_hovered)
        self.canvas.view_changed.connect(self._update_view_label)
        self.controller.time_changed.connect(self._on_time_changed)
        self.selection.selection_changed.connect(self._seek_to_finding)
        self.player_bar.layers_changed.connect(self._on_layers_changed)
        self.model_panel.run_requested.connect(self.run_model)
        self.model_panel.cancel_requested.connect(self.cancel_model)
        self.model_panel.choose_checkpoint_requested.connect(self.choose_checkpoint)
        self.model_panel.open_reading_requested.connect(self.open_reading_dialog)

        # single-key shortcuts: never while typing; review keys only on a findings list or the film
        self.key_gate = KeyGate(
            self,
            lambda: [self.canvas, self.review_panel.list_area, self.report_panel.scroll],  # type: ignore[list-item]
        )
        self._build_actions()
        self._restore_settings()
        self._show_empty_state()

    # the open film and reading live in the workspace; these read and write through it
    @property
    def radiograph(self) -> Any:
        return self.workspace.radiograph

    @radiograph.setter
    def radiograph(self, radiograph: Any) -> None:
        self.workspace.set_radiograph(radiograph)

    @property
    def reading(self) -> Reading | None:
        return self.workspace.reading

    @reading.setter
    def reading(self, reading: Reading | None) -> None:
        self.workspace.set_reading(reading)

    # ------------------------------------------------------------------------------------------------
    # construction
    # ------------------------------------------------------------------------------------------------
    def _build_empty_page(self) -> QWidget:
        page = QWidget()
        page.setObjectName("emptyPage")
        v = QVBoxLayout(page)
        v.addStretch(1)
        title = QLabel("Open a film")
        title.setObjectName("emptyTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        v.addWidget(title)
        hint = QLabel(
            "Open a chest radiograph (DICOM, PNG or JPEG) or a folder of them: File > Open (Ctrl+O), "
            "Open folder (Ctrl+Shift+O), or drop files here.<br>Then run the model (F5) or open a saved "
            "reading (Ctrl+R). Press F1 for all shortcuts."
        )
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setStyleSheet("color:#a9b6c2; font-size:11pt;")
        v.addWidget(hint)
        row = QHBoxLayout()
        row.addStretch(1)
        for text, slot in (
            ("Open file…", self.open_file_dialog),
            ("Open folder…", self.open_folder_dialog),
            ("Open saved reading…", self.open_reading_dialog),
        ):
            b = QPushButton(text)
            b.clicked.connect(slot)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)
        v.addStretch(2)
        return page

    def _action(
        self,
        menu: Any,
        group: str,
        text: str,
        keys: str | QKeySequence.StandardKey | Iterable[str] | None,
        slot: Callable[..., Any],
        *,
        checkable: bool = False,
    ) -> QAction:
        act = QAction(text, self)
        if keys is not None:
            if isinstance(keys, (str, QKeySequence.StandardKey)):
                act.setShortcut(QKeySequence(keys))
            else:
                act.setShortcuts([QKeySequence(k) for k in keys])
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.key_gate.watch(act)
        act.setCheckable(checkable)
        if checkable:
            act.toggled.connect(slot)
        else:
            act.triggered.connect(lambda _checked=False: slot())
        menu.addAction(act)
        self.addAction(act)
        if act.shortcuts():
            keys_text = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in act.shortcuts())
            self.shortcut_rows.append((group, text.replace("&", "").replace("…", ""), keys_text))
        return act

    def _build_actions(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self._action(f, "File", "&Open file…", "Ctrl+O", self.open_file_dialog)
        self._action(f, "File", "Open &folder…", "Ctrl+Shift+O", self.open_folder_dialog)
        self._action(f, "File", "Open saved &reading…", "Ctrl+R", self.open_reading_dialog)
        self._action(f, "File", "Open from &PACS…", None, self.open_pacs_dialog)
        self._action(f, "File", "Send results to PACS", None, self.send_to_pacs)
        f.addSeparator()
        self._action(f, "File", "&Next image in folder", "PgDown", self.next_image)
        self._action(f, "File", "&Previous image in folder", "PgUp", self.previous_image)
        f.addSeparator()
        self._action(f, "File", "Export inspection &video…", None, self.export_video)
        f.addSeparator()
        quit_action = self._action(f, "File", "&Quit", "Ctrl+Q", self.close)

        v = mb.addMenu("&View")
        self._action(v, "View", "&Fit film to window", "F", self.canvas.fit)
        self._action(v, "View", "&1:1 (one image pixel per screen pixel)", "1", self.canvas.one_to_one)
        self._action(v, "View", "Zoom &in", ["+", "="], lambda: self.canvas.zoom_by(1.25))
        self._action(v, "View", "Zoom &out", "-", lambda: self.canvas.zoom_by(0.8))
        self.invert_action = self._action(v, "View", "&Invert grey scale", "I", self._on_invert, checkable=True)
        self.presets_menu = v.addMenu("Window &presets")
        self._action(v, "View", "&Default window (header)", "0", self.reset_window)
        v.addSeparator()
        self._action(v, "Layers", "Show &trajectory", "T", lambda: self.player_bar.toggle_layer("trajectory"))
        self._action(v, "Layers", "Show &regions", "G", lambda: self.player_bar.toggle_layer("regions"))
        self._action(v, "Layers", "Show gaze &heatmap", "H", lambda: self.player_bar.toggle_layer("heatmap"))
        self._action(v, "Layers", "Show &labels", "B", lambda: self.player_bar.toggle_layer("labels"))
        self._action(v, "Layers", "Film &corners and orientation", "C", self.toggle_corners)
        self.dicom_overlays_action = self._action(
            v, "Layers", "DICOM o&verlay planes (60xx)", "Shift+O", self.canvas.set_dicom_overlays, checkable=True
        )
        self.dicom_overlays_action.setChecked(True)
        self._action(v, "Layers", "Hide &all overlays / show them again", "O", self.toggle_all_overlays)
        from gazex_viewer.ui.film.overlay_controls import OverlayControls

        self.overlay_controls = OverlayControls(self, v)
        v.addSeparator()
        self._action(v, "Report", "Next sentence", ["Down", "J"], lambda: self.step_sentence(1))
        self._action(v, "Report", "Previous sentence", ["Up", "K"], lambda: self.step_sentence(-1))
        self._action(v, "Report", "Clear selection", "Esc", lambda: self.selection.select(None))

        p = mb.addMenu("&Playback")
        self._action(p, "Playback", "&Play / pause", "Space", self.controller.toggle)
        self._action(p, "Playback", "&Next fixation", "Right", self.controller.step_next)
        self._action(p, "Playback", "P&revious fixation", "Left", self.controller.step_previous)
        self._action(p, "Playback", "Go to &start", "Home", lambda: self.controller.seek(0.0))
        self._action(p, "Playback", "&Faster", "]", self.controller.faster)
        self._action(p, "Playback", "&Slower", "[", self.controller.slower)
        self._action(p, "Playback", "&Loop", "L", lambda: self.player_bar.loop_box.toggle())

        m = mb.addMenu("&Model")
        self._action(m, "Model", "&Choose checkpoint folder…", "Ctrl+Shift+M", self.choose_checkpoint)
        self._action(m, "Model", "Use a model &server…", None, self.choose_server)
        self._action(m, "Model", "&Run model on this film", "F5", self.run_model)
        self._action(m, "Model", "&Cancel the running job", "Shift+F5", self.cancel_model)
        m.addSeparator()
        self._action(m, "Model", "&Generation settings…", "Ctrl+Shift+D", self.edit_generation_settings)
        m.addSeparator()
        self._action(m, "Model", "&Ask the film a question…", "Ctrl+Shift+Q", self.focus_question)
        self._action(
            m, "Model", "&Where does the model see the selected finding?", "Ctrl+Shift+W", self.ground_selected_finding
        )

        # comparison and trainee mode: gazex_viewer.ui.compare.panel / trainee_panel (imported when used)
        c = mb.addMenu("&Teaching")
        self._action(c, "Teaching", "&Compare with reading…", "Ctrl+Shift+C", self.compare_with_reading)
        self.trainee_action = self._action(c, "Teaching", "&Trainee mode", "Ctrl+Shift+T", self.set_trainee_mode, checkable=True)
        self._action(c, "Teaching", "Agreement &plot…", "Ctrl+Shift+G", self.show_agreement_plot)

        self.review.build_actions(f, quit_action)
        self.read_first_action = self.review.read_first_action

        h = mb.addMenu("&Help")
        self._action(h, "Help", "&Keyboard shortcuts", "F1", self.show_shortcuts)
        about = QAction("&About GazeX Viewer", self)
        about.triggered.connect(self._about)
        h.addAction(about)
        self._refresh_presets()

    # ------------------------------------------------------------------------------------------------
    # settings
    # ------------------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
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
        self.player_bar.set_layers(
            trajectory=S.get_bool("layers/trajectory", True),
            regions=S.get_bool("layers/regions", True),
            heatmap=S.get_bool("layers/heatmap", False),
            labels=S.get_bool("layers/labels", True),
        )
        self.controller.set_speed(S.get_float("player/speed", 1.0))
        self.controller.set_loop(S.get_bool("player/loop", False))
        self.controller.set_trail_length(S.get_int("player/trail", 6))
        self._on_layers_changed(self.player_bar.layers())

    def save_settings(self) -> None:
        """Write window layout, layers and player settings."""
        s = S.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(STATE_VERSION))
        for k, val in self.player_bar.layers().items():
            s.setValue(f"layers/{k}", val)
        pb = self.controller.playback
        s.setValue("player/speed", pb.speed)
        s.setValue("player/loop", pb.loop)
        s.setValue("player/trail", pb.trail_length)
        s.sync()

    # ------------------------------------------------------------------------------------------------
    # messages (tests monkeypatch these)
    # ------------------------------------------------------------------------------------------------
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

    # ------------------------------------------------------------------------------------------------
    # opening
    # ------------------------------------------------------------------------------------------------
    @staticmethod
    def _image_suffixes() -> tuple[str, ...]:
        try:
            from gazex_viewer.core.imaging.files import IMAGE_SUFFIXES

            return tuple(s.lower() for s in IMAGE_SUFFIXES)
        except ImportError:
            return _FALLBACK_IMAGE_SUFFIXES

    def open_paths(self, paths: Iterable[str | os.PathLike[str]]) -> bool:
        """Open command-line or dropped paths: images, folders and reading JSON files."""
        images: list[Path] = []
        readings: list[Path] = []
        for p in map(Path, paths):
            if p.suffix.lower() == ".json":
                readings.append(p)
            else:
                images.append(p)
        ok = True
        if images:
            first = images[0]
            ok = self.open_folder(first) if first.is_dir() else self.open_image(first)
        for r in readings:
            ok = self.open_reading(r) and ok
        return ok

    def open_folder(self, folder: Path) -> bool:
        """Open the first image of a folder; next/previous walk the folder."""
        try:
            from gazex_viewer.core.imaging.files import find_images

            found = list(find_images(folder))
        except GazeXError as err:
            self.show_error("Cannot open folder", str(err))
            return False
        except Exception as err:  # never a crash on bad input
            self.show_error("Cannot open folder", f"{folder}: {err}")
            return False
        if not found:
            self.show_error("Cannot open folder", f"{folder}: no images in this folder")
            return False
        # the first image that opens is shown; the folder list keeps the ones that did not
        failed: list[str] = []
        for candidate in found:
            if self.open_image(candidate, folder_images=found, errors=failed):
                if failed:
                    self.show_error("Some images could not be opened", "\n".join(failed))
                return True
        self.show_error(
            "Cannot open folder", f"{folder}: none of its {len(found)} images could be opened\n" + "\n".join(failed)
        )
        return False

    def open_pacs_dialog(self) -> None:
        """File > Open from PACS…: search the archive, open a study's film (retrieved into the cache)."""
        from gazex_viewer.ui.pacs.study_browser import StudyBrowserDialog

        dialog = StudyBrowserDialog(self)
        if dialog.exec() and dialog.film_path is not None:
            if self.open_image(dialog.film_path) and dialog.gazex_result is not None:  # an earlier GazeX result
                self.show_reading(dialog.gazex_result.reading)

    def send_to_pacs(self) -> Any:
        """File > Send results to PACS: the reading's SR and PDF into the film's study (queued if refused)."""
        from gazex_viewer.ui.pacs.send import send_results

        return send_results(self)

    def open_image(
        self,
        path: str | os.PathLike[str],
        *,
        folder_images: list[Path] | None = None,
        errors: list[str] | None = None,
    ) -> bool:
        """Load and show a radiograph; on failure show the reason and keep the current film.

        With ``errors`` the failure is appended there (one line) instead of shown.
        """
        path = Path(path)
        self.statusBar().showMessage(f"Loading {path.name}…")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            from gazex_viewer.core.imaging.files import load_radiograph

            radiograph = load_radiograph(path)
        except Exception as err:  # a GazeXError names the file; anything else: never a crash on bad input
            QApplication.restoreOverrideCursor()
            self.statusBar().clearMessage()
            text = str(err) if isinstance(err, GazeXError) else f"{path}: {err.__class__.__name__}: {err}"
            if errors is not None:
                errors.append(" ".join(text.split()))
            else:
                self.show_error("Cannot open film", text)
            return False
        QApplication.restoreOverrideCursor()
        # the review of the film being left keeps what was typed or drawn but not yet recorded
        self.review.commit_pending()
        # a new film makes any running job stale
        if self._job_id is not None:
            self.cancel_model()
        self.radiograph = radiograph
        self.selection.clear()
        self.reading = None
        self.reading_path = None
        self.report_panel.set_reading(None)
        self.ask.film_changed()
        self.model_panel.set_compact(False)
        self.report_dock.raise_()
        self.controller.set_playback(TrajectoryPlayback([]))
        self.player_bar.set_sentence_spans({})
        self.stack.setCurrentWidget(self.canvas)
        self.metadata_label.show()
        self.player_bar.show()
        self.canvas.set_radiograph(radiograph)
        self.corners.set_radiograph(radiograph)
        self.invert_action.blockSignals(True)
        self.invert_action.setChecked(False)
        self.invert_action.blockSignals(False)
        if folder_images is None:
            try:
                from gazex_viewer.core.imaging.files import find_images

                folder_images = list(find_images(path.parent))
            except Exception:
                folder_images = [path]
        self.folder_images = [Path(p) for p in folder_images]
        resolved = [p.resolve() for p in self.folder_images]
        self.folder_index = resolved.index(path.resolve()) if path.resolve() in resolved else -1
        self.metadata_label.setText(metadata_text(radiograph))
        self._refresh_presets()
        where = (
            f" ({self.folder_index + 1} of {len(self.folder_images)} in folder)"
            if self.folder_index >= 0 and len(self.folder_images) > 1
            else ""
        )
        self.setWindowTitle(f"{radiograph.name} — {APP_TITLE}")
        self.statusBar().showMessage(f"Opened {path}{where}", 5000)
        S.set_value("paths/last_dir", path.parent)
        self.review.film_opened()
        return True

    def next_image(self) -> None:
        self._step_image(1)

    def previous_image(self) -> None:
        self._step_image(-1)

    def _step_image(self, step: int) -> None:
        if not self.folder_images or self.folder_index < 0:
            self.statusBar().showMessage("No folder: open a film first", 4000)
            return
        i = self.folder_index + step
        if not 0 <= i < len(self.folder_images):
            self.statusBar().showMessage("Last image in the folder" if step > 0 else "First image in the folder", 4000)
            return
        # an image that cannot be opened is reported and stepped over (else it would block the walk)
        while 0 <= i < len(self.folder_images):
            if self.open_image(self.folder_images[i], folder_images=self.folder_images):
                return
            i += step

    def open_reading(self, path: str | os.PathLike[str]) -> bool:
        """Open a saved reading (model, expert or reviewed) over the open film, or next to its own film."""
        path = Path(path)
        reading = read_reading_file(path, self.show_error, "Cannot open reading")
        if reading is None:
            return False
        if self.radiograph is None:
            candidate = path.parent / reading.image.file_name
            if reading.image.file_name and candidate.is_file():
                if not self.open_image(candidate):
                    return False
            else:
                self.show_error(
                    "Open the film first",
                    f"{path}: its film {reading.image.file_name!r} is not next to it; open the film, then the reading",
                )
                return False
        return self.show_reading(reading, source=path)

    def show_reading(self, reading: Reading, *, source: Path | None = None) -> bool:
        """Show a reading over the open film, warning first when it was made on another image."""
        rg = self.radiograph
        if rg is None:
            self.show_error("No film open", "Open the film this reading belongs to first.")
            return False
        if reading.producer.coordinate_frame == "gazesearch-224":
            from gazex_viewer.ui.film.overlay import reading_for_film

            reading, _frame = reading_for_film(reading, rg)  # scaled to the film, saying so in its warnings
        from gazex_viewer.core.reading.identity import pixel_hash_known, pixel_match

        mine = str(getattr(rg, "pixel_sha256", "") or "")
        #: expert recordings imported without their image carry an all-zero ("unknown") hash
        hash_known = pixel_hash_known(reading.image.pixel_sha256)
        same_size = (reading.image.width, reading.image.height) == (rg.width, rg.height)
        problem = ""
        if pixel_match(reading.image.pixel_sha256, mine) == "differs":
            problem = f"belongs to {reading.image.file_name!r}, whose pixels differ from the open film."
        elif not hash_known and not same_size:
            problem = f"was recorded on a {reading.image.width} × {reading.image.height} image ({reading.image.file_name!r})."
        if problem:
            size_note = (
                ""
                if same_size
                else f" It was made on a {reading.image.width} × {reading.image.height} image; "
                f"this film is {rg.width} × {rg.height}."
            )
            if hash_known and not same_size:
                problem += size_note
            elif not hash_known:
                problem += f" This film is {rg.width} × {rg.height}."
            ok = self.ask_yes_no(
                "Reading made on another image",
                f"{source or 'This reading'} {problem} Its regions may not match this film. Show it anyway?",
            )
            if not ok:
                return False
            reading.warnings = [
                *reading.warnings,
                "shown over a film that differs from the image this reading was made on",
            ]
        self.review.commit_pending()  # the review being replaced keeps its typed, unsaved work
        self.reading = reading
        self.reading_path = source
        self.selection.clear()
        playback = TrajectoryPlayback(reading.trajectory)
        self.controller.set_playback(playback)
        styles = finding_styles(reading)
        self.player_bar.set_sentence_spans(styles)
        self.report_panel.set_reading(reading)
        self.ask.film_changed()
        self.model_panel.set_compact(True)
        self.canvas.set_reading(reading, self.controller.playback)
        self._on_layers_changed(self.player_bar.layers())
        self._on_time_changed(self.controller.playback.time)
        self.statusBar().showMessage(
            f"Reading: {len(reading.sentences)} sentences, {len(reading.trajectory)} key frames"
            + (f", {len(reading.warnings)} warning(s)" if reading.warnings else ""),
            6000,
        )
        self.review.reading_shown(reading)
        return True

    # review -------------------------------------------------------------------------------------------
    def sign_report(self) -> bool:
        """Review > Sign report: refused while a finding is undecided."""
        return self.review.sign_report()

    def export_dialog(self) -> Any:
        """File > Export…: the reading under review as JSON, DICOM SR and/or PDF."""
        return self.review.export_dialog()

    def show_audit_log(self) -> Any:
        """Review > Audit log: the review events of this study."""
        return self.review.show_audit_log()

    # dialogs ----------------------------------------------------------------------------------------
    def _start_dir(self) -> str:
        p = S.get_path("paths/last_dir")
        return str(p) if p is not None and p.is_dir() else str(Path.home())

    def open_file_dialog(self) -> None:
        suffixes = " ".join(f"*{s}" for s in self._image_suffixes())
        path, _ = QFileDialog.getOpenFileName(
            self, "Open film", self._start_dir(), f"Radiographs ({suffixes});;All files (*)"
        )
        if path:
            self.open_image(path)

    def open_folder_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open folder of films", self._start_dir())
        if path:
            self.open_folder(Path(path))

    def open_reading_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open saved reading", self._start_dir(), "Readings (*.json);;All files (*)"
        )
        if path:
            self.open_reading(path)

    # drag and drop -----------------------------------------------------------------------------------
    def dragEnterEvent(self, ev: QDragEnterEvent) -> None:  # noqa: N802 (Qt name)
        if ev.mimeData().hasUrls() and any(u.isLocalFile() for u in ev.mimeData().urls()):
            ev.acceptProposedAction()

    def dropEvent(self, ev: QDropEvent) -> None:  # noqa: N802 (Qt name)
        paths = [u.toLocalFile() for u in ev.mimeData().urls() if u.isLocalFile()]
        if paths:
            ev.acceptProposedAction()
            self.open_paths(paths)

    # ------------------------------------------------------------------------------------------------
    # view
    # ------------------------------------------------------------------------------------------------
    def _show_empty_state(self) -> None:
        if self.radiograph is None:
            self.stack.setCurrentWidget(self.empty_page)
            self.metadata_label.hide()
            self.player_bar.hide()

    def _refresh_presets(self) -> None:
        self.presets_menu.clear()
        presets = list(getattr(self.radiograph, "presets", []) or []) if self.radiograph is not None else []
        if self.radiograph is not None:
            self._add_extra_presets()
        if not presets:
            a = self.presets_menu.addAction("No window presets in this film's header")
            a.setEnabled(False)
            return
        head = self.presets_menu.addAction("From the film's header:")
        head.setEnabled(False)
        for i, preset in enumerate(presets[:9]):
            name = getattr(preset, "name", "") or f"Preset {i + 1}"
            act = QAction(f"{name}  (C {preset.center:g} / W {preset.width:g})", self)
            act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _c=False, p=preset: self.canvas.set_window(p))
            self.presets_menu.addAction(act)
            self.addAction(act)
        row = ("View", "Header window preset 1…9", "Ctrl+1 … Ctrl+9")
        if row not in self.shortcut_rows:
            self.shortcut_rows.append(row)

    def _add_extra_presets(self) -> None:
        """Chest presets from the film's histogram, the user's own presets, and "save the current window"."""
        from gazex_viewer.core.imaging.window_presets import chest_presets

        head = self.presets_menu.addAction("Chest (from this film's histogram):")
        head.setEnabled(False)
        self.chest_presets = chest_presets(self.radiograph)
        keys = ("Shift+1", "Shift+2", "Shift+3", "Shift+4")
        for key, preset in zip(keys, self.chest_presets):
            act = QAction(f"{preset.name}  (C {preset.center:.0f} / W {preset.width:.0f})", self)
            act.setShortcut(QKeySequence(key))
            act.setToolTip(preset.explanation or "")
            act.triggered.connect(lambda _c=False, p=preset: self.canvas.set_window(p))
            self.presets_menu.addAction(act)
            self.addAction(act)
        mine = self.user_presets()
        if mine:
            head = self.presets_menu.addAction("Yours (this modality):")
            head.setEnabled(False)
            for name, (c, w) in mine.items():
                act = QAction(f"{name}  (C {c:g} / W {w:g})", self)
                act.triggered.connect(lambda _c=False, cw=(c, w): self.canvas.set_window(cw))
                self.presets_menu.addAction(act)
        save = QAction("Save the current window as a preset…", self)
        save.triggered.connect(lambda _c=False: self.save_user_preset())
        self.presets_menu.addAction(save)
        self.presets_menu.addSeparator()
        row = ("View", "Chest window presets: lung, mediastinum, bone, soft tissue", "Shift+1 … Shift+4")
        if row not in self.shortcut_rows:
            self.shortcut_rows.append(row)

    def _preset_key(self) -> str:
        modality = (getattr(getattr(self.radiograph, "metadata", None), "modality", None) or "OT").upper()
        return f"view/presets/{''.join(ch for ch in modality if ch.isalnum()) or 'OT'}"

    def user_presets(self) -> dict[str, tuple[float, float]]:
        """The user's own window presets for the open film's modality (settings), name -> (centre, width)."""
        import json

        raw = S.settings().value(self._preset_key(), "")
        try:
            data = json.loads(str(raw)) if raw else {}
            return {str(k): (float(v[0]), float(v[1])) for k, v in data.items()}
        except (ValueError, TypeError, IndexError, AttributeError):
            return {}

    def save_user_preset(self, name: str | None = None) -> bool:
        """Save the current window under ``name`` (asked when None) for films of this modality."""
        import json

        window = self.canvas.window
        if window is None:
            return False
        if name is None:
            from PySide6.QtWidgets import QInputDialog

            name, ok = QInputDialog.getText(self, "Save window preset", "Name of this window preset:")
            if not ok:
                return False
        name = " ".join(str(name).split())[:40]
        if not name:
            return False
        presets = self.user_presets()
        presets[name] = (round(window[0], 3), round(window[1], 3))
        S.set_value(self._preset_key(), json.dumps(presets))
        self._refresh_presets()
        return True

    def apply_preset(self, index: int) -> None:
        """Apply the film's header window preset ``index`` (0-based)."""
        presets = list(getattr(self.radiograph, "presets", []) or [])
        if 0 <= index < len(presets):
            self.canvas.set_window(presets[index])

    def reset_window(self) -> None:
        """Back to the film's default display (its header VOI or window)."""
        self.canvas.set_window(None)

    def _on_invert(self, checked: bool) -> None:
        self.canvas.set_inverted(checked)

    def _on_pixel_hovered(self, text: str) -> None:
        self.pixel_label.setText(text)

    def _update_view_label(self) -> None:
        if self.radiograph is None:
            self.view_label.setText("")
            return
        w = self.canvas.window
        name = self.canvas.window_name
        wl = (f"C {w[0]:.6g}  W {w[1]:.6g}" if w is not None else "default") + (f" ({name})" if name else "")
        inv = "   inverted" if self.canvas.inverted else ""
        self.view_label.setText(f"zoom {self.canvas.zoom() * 100:.0f}%   window {wl}{inv}")

    def _on_layers_changed(self, layers: dict[str, bool]) -> None:
        self.canvas.set_layers(**layers)

    def toggle_corners(self) -> None:
        """View > Film corners: patient, study, window and geometry text and the orientation markers."""
        self.corners.set_visible(not self.corners.visible)
        S.set_value("view/corners", self.corners.visible)

    def toggle_all_overlays(self) -> None:
        """Hide every overlay on the film (regions, trajectory, heatmap, labels, corners, answers) and back."""
        if self._hidden_overlays is None:
            self._hidden_overlays = (self.player_bar.layers(), self.corners.visible)
            self.player_bar.set_layers(regions=False, trajectory=False, heatmap=False, labels=False)
            self.corners.set_visible(False)
            self.ask.overlay.set_visible(False)
            self.statusBar().showMessage("All overlays hidden (O shows them again)", 4000)
        else:
            layers, corners = self._hidden_overlays
            self._hidden_overlays = None
            self.player_bar.set_layers(**layers)
            self.corners.set_visible(corners)
            self.ask.overlay.set_visible(True)

    def _seek_to_finding(self, finding_id: str | None) -> None:
        """Clicking a sentence or a region moves the player to that sentence's first key frame."""
        pb = self.controller.playback
        if finding_id is None or not len(pb) or pb.current_finding_id == finding_id:
            return
        span = pb.span_of(finding_id)
        if span is not None:
            self.controller.seek(span.t_start)

    def _on_time_changed(self, _t: float) -> None:
        pb = self.controller.playback
        self.canvas.set_trail_length(pb.trail_length)
        self.canvas.update_playback()
        self.selection.set_playing(pb.current_finding_id if len(pb) else None)

    def step_sentence(self, step: int) -> None:
        """Select the next (step=1) or previous (step=-1) linked sentence."""
        keys = self.report_panel.ordered_keys()
        if not keys:
            return
        cur = self.selection.selected
        i = keys.index(cur) + step if cur in keys else (0 if step > 0 else len(keys) - 1)
        self.selection.select(keys[max(0, min(len(keys) - 1, i))])

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

    # ------------------------------------------------------------------------------------------------
    # comparison and trainee mode
    # ------------------------------------------------------------------------------------------------
    def compare_with_reading(self, path: str | os.PathLike[str] | None = None) -> Any:
        """Compare the open reading (A) with another reading of this film (B, from ``path`` or a file dialog)."""
        if self.radiograph is None or self.reading is None:
            self.show_error("Nothing to compare", "Open a film and a reading (or run the model) first; it becomes reading A.")
            return None
        if self.compare_session is None:
            from gazex_viewer.ui.compare.panel import CompareSession

            self.compare_session = CompareSession(self)
            self.compare_session.ended.connect(lambda: setattr(self, "compare_session", None))
        if path is None:
            self.compare_session.choose_reading_b()
        else:
            self.compare_session.open_reading_b(path)
        return self.compare_session

    def set_trainee_mode(self, on: bool) -> None:
        """Trainee mode on (model and expert hidden, the trainee marks and writes) or off."""
        if on:
            if self.trainee_mode is None:
                from gazex_viewer.ui.trainee.panel import TraineeMode

                self.trainee_mode = TraineeMode(self)
                self.trainee_mode.ended.connect(lambda: self.trainee_action.setChecked(False))
            if not self.trainee_mode.start():
                self.trainee_action.setChecked(False)
        elif self.trainee_mode is not None:
            self.trainee_mode.leave()

    def show_agreement_plot(self) -> Any:
        """The agreement-per-finding plot: of the pair being compared, else a PNG chosen in the dialog."""
        if self.compare_session is not None and self.compare_session.comparison is not None:
            return self.compare_session.show_plot()
        from gazex_viewer.ui.compare.plot_dialog import PlotDialog

        dlg = PlotDialog(None, self)
        dlg.show()
        return dlg

    # ------------------------------------------------------------------------------------------------
    # model
    # ------------------------------------------------------------------------------------------------
    def choose_checkpoint(self) -> None:
        start = S.get_path("model/checkpoint")
        path = QFileDialog.getExistingDirectory(
            self, "Choose a GazeX checkpoint folder", str(start.parent if start else Path.cwd())
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
                self.show_error("Cannot use this checkpoint", str(err))
                return False
        S.set_value("model/checkpoint", path)
        SD.forget_server()
        self.model_panel.set_checkpoint(path)
        return True

    def choose_server(self) -> bool:
        """A model server instead of a folder (URL, served model, model-info file; stored in the settings)."""
        if SD.ServerDialog(self).exec() != SD.ServerDialog.DialogCode.Accepted:
            return False
        self.model_panel.set_checkpoint(SD.current_choice())
        return True

    def _ensure_runner(self) -> Any:
        if self.runner is None:
            if self._runner_factory is not None:
                self.runner = self._runner_factory(self)
            else:
                from gazex_viewer.ui.model.runner import ModelRunner

                self.runner = ModelRunner(self)
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

    def run_model(self) -> None:
        """Run the chosen checkpoint on the open film."""
        if self.radiograph is None:
            self.show_error("No film open", "Open a film first, then run the model.")
            return
        ckpt = self.model_panel.checkpoint
        if ckpt is None:
            self.choose_checkpoint()
            ckpt = self.model_panel.checkpoint
            if ckpt is None:
                return
        if self._job_id is not None:
            self.statusBar().showMessage("The model is already running on this film", 4000)
            return
        try:
            from gazex_viewer.ui.model.generation_dialog import (
                load_device,
                load_generation_settings,
            )

            runner = self._ensure_runner()
            spec = SD.model_spec(ckpt, load_device())
            if self._runner_spec != spec:  # not loaded yet, or the last load failed: (re)load
                self._pending_spec = spec
                runner.load(spec)
            film = Path(self.radiograph.path)
            hide = self.review.draft_arrives_hidden()  # read first: progress only, never the draft's text
            self.model_panel.start_job(film.name, hide_draft=hide)
            self.report_dock.raise_()  # the progress is on the report tab
            self._job_film = film
            self._job_id = runner.run(self.radiograph, load_generation_settings())  # its model input, not the path
        except GazeXError as err:
            self._job_id = None
            self.model_panel.finish(str(err), error=True)
            self.show_error("Cannot run the model", str(err))
        except Exception as err:
            self._job_id = None
            self.model_panel.finish(f"{err.__class__.__name__}: {err}", error=True)
            self.show_error("Cannot run the model", f"{ckpt}: {err.__class__.__name__}: {err}")

    def _runner_with_model(self) -> Any:
        """The model runner with the chosen checkpoint loaded or loading (InferenceError when none is chosen)."""
        from gazex_viewer.core.errors import InferenceError
        from gazex_viewer.ui.model.generation_dialog import load_device

        ckpt = self.model_panel.checkpoint
        if ckpt is None:
            raise InferenceError(None, "no checkpoint chosen: Model > Choose checkpoint folder")
        runner = self._ensure_runner()
        spec = SD.model_spec(ckpt, load_device())
        if self._runner_spec != spec:
            self._pending_spec = spec
            runner.load(spec)
        return runner

    def export_video(self, path: str | os.PathLike[str] | None = None) -> bool:
        """File > Export inspection video: the film with the animated trajectory at the player's speed (MP4)."""
        from gazex_viewer.core.export.teaching_video import write_inspection_video

        if self.radiograph is None or self.reading is None or not self.reading.trajectory:
            self.show_error("No inspection to export", "Open a film and a reading with a trajectory first.")
            return False
        if path is None:
            start = str(Path(self._start_dir()) / f"{Path(self.radiograph.name).stem}-inspection.mp4")
            chosen, _ = QFileDialog.getSaveFileName(self, "Export inspection video", start, "MP4 video (*.mp4)")
            if not chosen:
                return False
            path = chosen
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = write_inspection_video(
                self.radiograph.render(), self.reading, Path(path), speed=self.controller.playback.speed
            )
        except GazeXError as err:
            QApplication.restoreOverrideCursor()
            self.show_error("Cannot export the video", str(err))
            return False
        QApplication.restoreOverrideCursor()
        self.statusBar().showMessage(f"Wrote {result.path.name}: {result.seconds:.1f} s of video", 6000)
        return True

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

    def edit_generation_settings(self) -> Any:
        """Model > Generation settings: decoding options and device of the next run (remembered)."""
        from gazex_viewer.ui.model.generation_dialog import GenerationDialog

        dialog = GenerationDialog(self, checkpoint=S.get_path("model/checkpoint"))
        dialog.open()
        return dialog

    def cancel_model(self) -> None:
        """Cancel the running job (the worker stops)."""
        if self.runner is not None and self._job_id is not None:
            self.runner.cancel()
            self._job_id = None
            self.model_panel.finish("Cancelled")

    @property
    def job_running(self) -> bool:
        return self._job_id is not None

    def _on_job_progress(self, stage: str, current: int, total: int, message: str) -> None:
        if self._job_id is not None:
            self.model_panel.set_progress(stage, current, total, message)

    def _on_job_text(self, text: str) -> None:
        if self._job_id is not None:
            self.model_panel.append_text(text)

    def _on_job_reading(self, reading: Any) -> None:
        if self._job_id is None:
            return  # a stale job's result
        self._job_id = None
        if not isinstance(reading, Reading):
            self.model_panel.finish("The model returned no reading", error=True)
            return
        rg = self.radiograph
        if rg is None or (self._job_film is not None and Path(rg.path) != self._job_film):
            self.model_panel.finish("Result discarded: the film changed", error=True)
            return
        n = len(reading.sentences)
        if not self.review.accept_new_draft(reading):  # a review in progress is never replaced unasked
            self.model_panel.finish("Done: kept the current review; the new AI draft was set aside")
            return
        if self.model_panel.hide_draft:
            self.model_panel.finish("Done: the AI draft is ready, hidden until you write your impression (Review tab)")
        else:
            self.model_panel.finish(f"Done: {n} sentence{'s' if n != 1 else ''}")
        self.show_reading(reading)

    def _on_job_failed(self, message: str) -> None:
        if self._job_id is None and self.ask.running:
            return  # the question's failure: the ask panel says it
        self._job_id = None
        self.model_panel.finish(message, error=True)

    def _on_model_loaded(self, name: str) -> None:
        self._runner_spec = self._pending_spec

    def _on_model_load_failed(self, message: str) -> None:
        """The checkpoint did not load: say so (folder and reason), and let the next Run try again."""
        self._runner_spec = None
        self._job_id = None
        self.model_panel.finish(message, error=True)

    def _on_job_cancelled(self) -> None:
        if self._job_id is None and self.ask.running:
            return
        self._job_id = None
        self.model_panel.finish("Cancelled")

    # ------------------------------------------------------------------------------------------------
    def resizeEvent(self, ev: QResizeEvent) -> None:  # noqa: N802 (Qt name)
        """The side panel scales with the window (:func:`dock_width_for`) when the window's width changes."""
        super().resizeEvent(ev)
        if ev.oldSize().width() != ev.size().width():
            self.resizeDocks([self.report_dock], [dock_width_for(ev.size().width())], Qt.Orientation.Horizontal)

    def closeEvent(self, ev: QCloseEvent) -> None:  # noqa: N802 (Qt name)
        self.controller.pause()
        self.review.close()
        self.save_settings()
        if self.runner is not None:
            try:
                self.runner.shutdown()
            except Exception:
                pass
        super().closeEvent(ev)


def create_window(paths: Iterable[str | os.PathLike[str]] = (), reading: str | None = None) -> MainWindow:
    """A shown main window with ``paths`` (images, folders, readings) opened after the first paint."""
    win = MainWindow()
    win.show()
    todo = [*map(str, paths), *([reading] if reading else [])]
    if todo:
        QTimer.singleShot(0, lambda: win.open_paths(todo))
    return win
