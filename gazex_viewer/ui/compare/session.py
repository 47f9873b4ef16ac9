"""Compare mode: reading A (the one open) against reading B, drawn on the film on one player clock.

Owns :class:`CompareSession` (one comparison: B drawn over A's film in a second colour
(:class:`~gazex_viewer.ui.film.overlay.ReadingOverlay`) or on a second film canvas beside it, both driven by the
window's player clock; the Compare tab (:class:`~gazex_viewer.ui.compare.panel.ComparePanel`); the agreement,
computed off the UI thread for long recordings by :func:`gazex_viewer.core.gaze.comparison.run`) and
:class:`Comparisons` (the window's one comparison at a time, which trainee mode also starts and ends).

A session is handed the :class:`~gazex_viewer.ui.workspace.Workspace` (the film and reading A), the
:class:`~gazex_viewer.ui.actions.ActionRegistry` and the window as a :class:`~gazex_viewer.ui.services.Shell`
(dialogs, tabs, the film views, the film area it splits in two for side by side), never the main window itself.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.gaze.agreement import film_mismatch
from gazex_viewer.core.gaze.comparison import (
    BACKGROUND_WORK,
    Comparison,
    PairAgreement,
    compare_readings,
    describe_reading,
    run,
)
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.frames import ClockMap, SharedClockPlayback
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.ui.compare.panel import ComparePanel, Mode
from gazex_viewer.ui.compare.tasks import TaskRunner
from gazex_viewer.ui.files import read_reading_file
from gazex_viewer.ui.film.canvas import FilmCanvas
from gazex_viewer.ui.film.overlay import COLOUR_A, COLOUR_B, ReadingOverlay
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.style import finding_styles

if TYPE_CHECKING:
    from gazex_viewer.ui.actions import ActionRegistry
    from gazex_viewer.ui.compare.plot_dialog import PlotDialog
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["CompareSession", "Comparisons"]


class CompareSession(QObject):
    """One comparison: the open reading (A) against reading B, on the window's player clock.

    Parameters
    ----------
    workspace : the film and reading A (``workspace.radiograph``, ``workspace.reading``); when another
        reading is opened the comparison ends.
    actions : the window's actions (compare adds none of its own today; kept so every mode is built alike).
    shell : the window as a mode sees it: dialogs, the Compare tab beside the Report, the film views
        (canvas, player, player bar, selection) and the film area (split in two for side by side).

    Signals
    -------
    ended() : the comparison ended (B and its overlays are gone, A is shown alone on its own clock).
    agreement_ready(Comparison) : the agreement is computed and shown.
    """

    ended = Signal()
    agreement_ready = Signal(object)

    def __init__(self, workspace: Workspace, actions: ActionRegistry, shell: Shell, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.actions, self.shell = workspace, actions, shell
        self.tasks = TaskRunner(self)
        self.tasks.done.connect(self._on_agreement)
        self.tasks.failed.connect(self._on_agreement_failed)
        self.comparison: Comparison | None = None
        self.b_source: Path | None = None
        self.clock = ClockMap(0.0, 0.0)
        self.mode: Mode = "overlay"
        self.panel = ComparePanel()
        self.dock = QDockWidget("Compare")
        self.dock.setObjectName("compareDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        # a third tab beside Report and Review: each panel gets the whole height
        self.dock.setTitleBarWidget(QWidget())
        shell.add_tab(self.dock, beside_report=True)
        canvas = shell.canvas
        self.overlay_a = ReadingOverlay(canvas, COLOUR_A, tag="A", symbol="o", parent=self)
        self.overlay_b = ReadingOverlay(canvas, COLOUR_B, tag="B", symbol="s", parent=self)
        self.overlay_a.set_visible(False)
        self.overlay_b.set_visible(False)
        self._hidden_canvas = False
        self.side_canvas: FilmCanvas | None = None
        self.side_selection: SelectionModel | None = None
        # the key to the colours: a row of the player bar, below the film, so it never covers the image
        self.legend = QLabel()
        self.legend.setObjectName("compareLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color:#e6edf3; padding:1px 2px;")
        self.legend.hide()
        self.plot_dialog: PlotDialog | None = None
        self.plot_png: Path | None = None
        self.reading_a: Reading | None = None
        self._ending = False
        self._syncing = False
        self._views_linked = False
        self._side_open = False
        self._b_size: QSize | None = None

        self.panel.set_reading_a(workspace.reading)
        self.panel.choose_reading_requested.connect(self.choose_reading_b)
        self.panel.mode_changed.connect(self.set_mode)
        self.panel.sync_changed.connect(self.set_sync)
        self.panel.colours_changed.connect(self._on_colours)
        self.panel.plot_requested.connect(self.show_plot)
        self.panel.close_requested.connect(self.end)
        self.panel.sentence_selected.connect(lambda fid: shell.selection.select(fid))
        shell.selection.selection_changed.connect(self._on_selection)
        shell.controller.time_changed.connect(self._on_time)
        shell.player_bar.layers_changed.connect(self._on_layers)
        workspace.reading_changed.connect(self._on_reading_changed)
        self.dock.show()
        self.dock.raise_()

    # -- choosing B ----------------------------------------------------------------------------
    def choose_reading_b(self) -> None:
        """Ask for reading B's file and compare."""
        where = self.shell.reading_path
        start = str(Path(where).parent) if where else ""
        path, _ = QFileDialog.getOpenFileName(self.panel, "Reading B to compare", start, "Readings (*.json);;All files (*)")
        if path:
            self.open_reading_b(path)

    def open_reading_b(self, path: str | os.PathLike[str]) -> bool:
        """Load and validate reading B from ``path`` and compare; a bad file is reported, nothing changes."""
        b = read_reading_file(path, self.shell.show_error, "Cannot compare with this reading")
        if b is None:
            return False
        return self.set_reading_b(b, source=Path(path))

    def set_reading_b(self, b: Reading, *, source: Path | None = None) -> bool:
        """Compare the open reading (A) with ``b``."""
        sh, film, a = self.shell, self.workspace.radiograph, self.workspace.reading
        if film is None or a is None:
            sh.show_error("Nothing to compare", "Open a film and a reading (or run the model) first; it becomes reading A.")
            return False
        other_film = film_mismatch(a, b)
        if other_film and not sh.ask_yes_no(
            "Compare readings of different films?",
            f"{source or 'Reading B'} is a reading of another film: {other_film}. Agreement between readings "
            "of different films measures nothing.\n\nCompare anyway?",
        ):
            return False
        background = len(a.trajectory) * len(b.trajectory) > BACKGROUND_WORK
        try:
            cmp = compare_readings(a, b, film, metrics=not background)
        except Exception as err:  # noqa: BLE001 (agreement never raises on valid readings; stay safe on odd ones)
            sh.show_error("Cannot compare", f"{source or 'reading B'}: {err.__class__.__name__}: {err}")
            return False
        if self.tasks.running:
            self.tasks.cancel()  # the agreement of the previous B is no longer wanted
            self.panel.set_busy(False)
        self.comparison = cmp
        self.reading_a = a
        self.b_source = source
        self.panel.set_comparison(cmp)
        self.clock = ClockMap(cmp.a_shown.duration, cmp.b_shown.duration, self.panel.sync)
        self._apply()
        if background:
            self.panel.set_busy(True)
            self.tasks.start(run, a, b, cmp.grid)
        else:
            self.agreement_ready.emit(cmp)
        return True

    def _on_agreement(self, result: PairAgreement) -> None:
        cmp = self.comparison
        if cmp is None or self._ending:
            return
        cmp.set_agreement(result)
        self.panel.set_busy(False)
        self.panel.set_comparison(cmp)
        self.agreement_ready.emit(cmp)

    def _on_agreement_failed(self, message: str) -> None:
        if not self._ending:
            self.panel.set_busy(False, error=f"Agreement could not be computed: {message}")

    # -- modes ---------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """``"overlay"`` (B over A's film in a second colour) or ``"side"`` (B on a second canvas)."""
        self.mode = "side" if mode == "side" else "overlay"
        if self.panel.mode != self.mode:
            self.panel.set_mode(self.mode)
        self._apply()

    def set_sync(self, sync: str) -> None:
        """``"seconds"`` or ``"stretch"`` (B's duration mapped onto A's)."""
        self.clock.mode = "stretch" if sync == "stretch" else "seconds"
        if self.panel.sync != self.clock.mode:
            self.panel.set_sync(self.clock.mode)
        self._apply()

    def _on_colours(self, a: str, b: str) -> None:
        self.overlay_a.set_colour(a)
        self.overlay_b.set_colour(b)
        self._update_legend()

    def _apply(self) -> None:
        """Lay out the comparison for the current mode and clock."""
        cmp = self.comparison
        if cmp is None:
            return
        sh = self.shell
        was = sh.controller.playback.time
        pb = SharedClockPlayback(cmp.a_shown.trajectory, duration=self.clock.clock_duration)
        sh.controller.set_playback(pb)
        sh.canvas.set_reading(cmp.a_shown, sh.controller.playback)
        sh.player_bar.set_sentence_spans(finding_styles(cmp.a_shown))
        layers = sh.player_bar.layers()
        if self.mode == "overlay":
            self._close_side()
            self.overlay_a.set_reading(cmp.a_shown)
            self.overlay_b.set_reading(cmp.b_shown)
            self.overlay_a.set_visible(True)
            self.overlay_b.set_visible(True)
            self._hide_canvas_layers(True)
        else:
            self.overlay_a.set_visible(False)
            self.overlay_b.set_visible(False)
            self._hide_canvas_layers(False)
            self._open_side(cmp)
        self._on_layers(layers)
        self._update_legend()
        sh.controller.seek(min(was, pb.duration))

    def _hide_canvas_layers(self, hide: bool) -> None:
        """In overlay mode A is drawn by its own overlay in colour A; the canvas's own layers step aside."""
        self._hidden_canvas = hide
        if hide:
            self.shell.canvas.set_layers(regions=False, trajectory=False)
        else:
            self.shell.canvas.set_layers(**self.shell.player_bar.layers())

    def _open_side(self, cmp: Comparison) -> None:
        """Film A | film B in the window's central area, above the one player bar."""
        sh = self.shell
        if self.side_canvas is None:
            self.side_selection = SelectionModel(self)
            self.side_canvas = FilmCanvas(self.side_selection)
            self.side_canvas.setObjectName("compareCanvasB")
            self.side_split = QSplitter(Qt.Orientation.Horizontal)
            self.side_split.setObjectName("compareSplit")
            self.side_split.setChildrenCollapsible(False)
            boxes = []
            for _ in range(2):
                box = QWidget()
                v = QVBoxLayout(box)
                v.setContentsMargins(0, 0, 0, 0)
                v.setSpacing(0)
                title = QLabel()
                title.setObjectName("metadataStrip")
                title.setTextFormat(Qt.TextFormat.RichText)
                v.addWidget(title)
                boxes.append((box, v, title))
            (box_a, v_a, self.side_title_a), (box_b, v_b, self.side_title) = boxes
            v_b.addWidget(self.side_canvas, 1)
            self.side_split.addWidget(box_a)
            self.side_split.addWidget(box_b)
            self.side_split.setStretchFactor(0, 1)
            self.side_split.setStretchFactor(1, 1)
            self._side_box_a = (box_a, v_a)
            self.side_canvas.vb.sigRangeChanged.connect(self._sync_from_b)
            sh.canvas.vb.sigRangeChanged.connect(self._sync_from_a)
            self._views_linked = True
        if not self._side_open:
            # the film area holding film A moves into the splitter's left half; _close_side puts it back
            film_area = sh.take_film_area(self.side_split)
            box_a, v_a = self._side_box_a
            v_a.addWidget(film_area, 1)
            self.side_split.show()
            self._side_open = True
        sc = self.side_canvas
        sc.set_radiograph(self.workspace.radiograph)
        if sh.canvas.window_name == "manual" and sh.canvas.window is not None:
            sc.set_window(sh.canvas.window)
        sc.set_inverted(sh.canvas.inverted)
        sc.set_reading(cmp.b_shown, TrajectoryPlayback(cmp.b_shown.trajectory))
        self.side_title_a.setText(
            f"<b>A</b> {html.escape(describe_reading(cmp.a))}"
        )
        self.side_title.setText(
            f"<b>B</b> {html.escape(describe_reading(cmp.b))}"
            + ("" if not cmp.frame_b.scaled else " <span style='color:#ffcc66'>(scaled from its 224 × 224 frame)</span>")
        )
        QApplication.processEvents()  # lay the halves out before fitting
        total = max(2, self.side_split.width())
        self.side_split.setSizes([total // 2, total - total // 2])
        QApplication.processEvents()
        sh.canvas.fit()
        self._b_size = None
        self._sync_view(sh.canvas, sc)

    def _close_side(self) -> None:
        if not self._side_open:
            return
        self.shell.restore_film_area()
        self._side_open = False
        self.shell.canvas.fit()

    def _sync_view(self, src: FilmCanvas, dst: FilmCanvas | None) -> None:
        """Give ``dst`` the centre and the zoom (image pixels per screen pixel) of ``src``."""
        if self._syncing or dst is None or not dst.isVisible():
            return
        self._syncing = True
        try:
            rect = src.vb.viewRect()
            px, py = src.vb.viewPixelSize()
            size = dst.vb.boundingRect().size()
            c = rect.center()
            w, h = size.width() * px, size.height() * py
            if w > 0 and h > 0:
                dst.vb.setRange(QRectF(c.x() - w / 2, c.y() - h / 2, w, h), padding=0)
        finally:
            self._syncing = False

    def _sync_from_a(self, *_: object) -> None:
        if self.mode == "side" and self.side_canvas is not None:
            self._sync_view(self.shell.canvas, self.side_canvas)

    def _sync_from_b(self, *_: object) -> None:
        if self.mode != "side" or self.side_canvas is None:
            return
        size = self.side_canvas.vb.boundingRect().size()
        if size != self._b_size:
            # B was resized (laid out), not zoomed or panned by the user: A stays the master
            self._b_size = size
            self._sync_view(self.shell.canvas, self.side_canvas)
        else:
            self._sync_view(self.side_canvas, self.shell.canvas)

    # -- clock and layers ----------------------------------------------------------------------
    def _on_reading_changed(self, reading: object) -> None:
        if self.comparison is not None and not self._ending and reading is not self.reading_a:
            self.end()  # another film or reading was opened: the comparison no longer applies

    def _on_time(self, t: float) -> None:
        if self.comparison is None or self._ending:
            return
        if self.workspace.reading is not self.reading_a:
            self.end()  # another film or reading was opened: the comparison no longer applies
            return
        tb = self.clock.b_time(t)
        n = self.shell.controller.playback.trail_length
        if self.mode == "overlay":
            for ov, tt in ((self.overlay_a, t), (self.overlay_b, tb)):
                ov.trail_length = n
                ov.set_time(tt)
        elif self.side_canvas is not None:
            pb = self.side_canvas.playback
            if pb is not None:
                pb.seek(tb)
            self.side_canvas.set_trail_length(n)
            self.side_canvas.update_playback()

    def _on_selection(self, fid: object) -> None:
        """A's selected finding, and B's finding matched to it (same sentence), are emphasised."""
        cmp = self.comparison
        if cmp is None or self._ending:
            return
        fa = fid if isinstance(fid, str) else None
        fb = next((s.finding_b for s in cmp.sentences if s.finding_a == fa), None)
        self.overlay_a.set_highlight(fa)
        self.overlay_b.set_highlight(fb if fa is not None else None)
        if self.side_canvas is not None and self.side_selection is not None:
            self.side_selection.select(fb)

    def _on_layers(self, layers: dict[str, bool]) -> None:
        if self.comparison is None:
            return
        if self.mode == "overlay":
            self.overlay_a.set_layers(**layers)
            self.overlay_b.set_layers(**layers)
            self.shell.canvas.set_layers(regions=False, trajectory=False)
        elif self.side_canvas is not None:
            self.side_canvas.set_layers(**layers)

    def _update_legend(self) -> None:
        """Overlay mode: who A and B are in which colour, as the player bar's first row (side by side: the titles)."""
        cmp = self.comparison
        if cmp is None or self.mode != "overlay":
            self.legend.hide()
            return
        ca, cb = self.panel.colour_a, self.panel.colour_b
        gap = "&nbsp;" * 4
        who = (
            f"<span style='color:{ca}'>■</span> A {html.escape(describe_reading(cmp.a))}{gap}"
            f"<span style='color:{cb}'>■</span> B {html.escape(describe_reading(cmp.b))}"
        )
        lines = [who]
        if self.clock.mode == "stretch":
            lines.append("<span style='color:#a9b6c2'>clock: B stretched to A's length</span>")
        lines += [f"<span style='color:#ffcc66'>{html.escape(n)}</span>" for n in cmp.notes if "scaled" in n]
        if cmp.different_films:
            lines.append(f"<span style='color:#ff8080'><b>⚠ Different films</b>: {html.escape(cmp.different_films)}</span>")
        self.legend.setText("<br>".join(lines))
        self.shell.player_bar.set_legend(self.legend)
        self.legend.show()

    # -- plot ----------------------------------------------------------------------------------
    def write_plot(self, png: str | os.PathLike[str] | None = None) -> Path:
        """Write the agreement-per-finding plot of the pair (to a temporary file by default)."""
        from gazex_viewer.ui.compare.plot_dialog import plot_pair_agreement

        cmp = self.comparison
        if cmp is None or not cmp.ready:
            raise GazeXError(None, "choose reading B first" if cmp is None else "the agreement is still being computed")
        if png is None:
            png = Path(tempfile.mkdtemp(prefix="gazex-plot-")) / "agreement-per-finding.png"
        self.plot_png = plot_pair_agreement(
            cmp.a, cmp.b, cmp.sentences, png, whole=cmp.whole
        )
        return self.plot_png

    def show_plot(self) -> PlotDialog | None:
        """Make the pair's plot and show it in a dialog (returned)."""
        from gazex_viewer.ui.compare.plot_dialog import PlotDialog

        try:
            png = self.write_plot()
        except GazeXError as err:
            self.shell.show_error("Cannot make the plot", str(err))
            return None
        self.plot_dialog = PlotDialog(png, self.shell.dialog_parent(), title="Agreement per finding type (this pair) — GazeX Viewer")
        self.plot_dialog.show()
        return self.plot_dialog

    # -- end -----------------------------------------------------------------------------------
    def end(self) -> None:
        """Remove B and its overlays; A is shown alone again on its normal clock."""
        if self._ending:
            return
        self._ending = True
        self.tasks.cancel()
        sh, ws = self.shell, self.workspace
        for ov in (self.overlay_a, self.overlay_b):
            ov.remove()
        self.legend.hide()
        if sh.player_bar.legend is self.legend:
            sh.player_bar.set_legend(None)
        self.legend.deleteLater()
        if self._views_linked:
            try:
                sh.canvas.vb.sigRangeChanged.disconnect(self._sync_from_a)
            except (RuntimeError, TypeError):
                pass
        if self.side_canvas is not None:
            self._close_side()
            self.side_split.deleteLater()
            self.side_canvas = None
        if self.comparison is not None and ws.reading is not None and ws.reading is self.reading_a:
            pb = TrajectoryPlayback(self.comparison.a_shown.trajectory)
            sh.controller.set_playback(pb)
            sh.canvas.set_reading(self.comparison.a_shown, sh.controller.playback)
            sh.restore_reading(ws.reading)  # A as its review leaves it, not as the AI wrote it
        sh.canvas.set_layers(**sh.player_bar.layers())
        try:
            sh.selection.selection_changed.disconnect(self._on_selection)
        except (RuntimeError, TypeError):
            pass
        try:
            sh.controller.time_changed.disconnect(self._on_time)
            sh.player_bar.layers_changed.disconnect(self._on_layers)
            ws.reading_changed.disconnect(self._on_reading_changed)
        except (RuntimeError, TypeError):
            pass
        sh.remove_tab(self.dock)
        self.dock.deleteLater()
        self.comparison = None
        self.ended.emit()


class Comparisons(QObject):
    """The window's one comparison at a time: the running :class:`CompareSession` (or None), and starting one.

    Built once by the window with the same ``workspace``, ``actions`` and ``shell`` a session takes; compare
    mode (Teaching > Compare with reading) and trainee mode (Compare in detail) both start sessions here.
    """

    def __init__(self, workspace: Workspace, actions: ActionRegistry, shell: Shell, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace, self.actions, self.shell = workspace, actions, shell
        #: the comparison running, or None
        self.session: CompareSession | None = None

    def start(self) -> CompareSession:
        """End the running comparison, if any, and start a new one (waiting for its reading B)."""
        if self.session is not None:
            self.session.end()
        session = CompareSession(self.workspace, self.actions, self.shell, parent=self)
        self.session = session
        session.ended.connect(lambda: self._ended(session))
        return session

    def current(self) -> CompareSession:
        """The running comparison, or a new one."""
        return self.session if self.session is not None else self.start()

    def compare_with(self, path: str | os.PathLike[str] | None = None) -> CompareSession | None:
        """Compare the open reading (A) with reading B from ``path`` (None: ask for the file); None when nothing is open."""
        if self.workspace.radiograph is None or self.workspace.reading is None:
            self.shell.show_error("Nothing to compare", "Open a film and a reading (or run the model) first; it becomes reading A.")
            return None
        session = self.current()
        if path is None:
            session.choose_reading_b()
        else:
            session.open_reading_b(path)
        return session

    def _ended(self, session: CompareSession) -> None:
        if self.session is session:
            self.session = None
