"""The verification workflow of a window: the review database, the Review tab and menu, and the hooks that drive them.

:class:`ReviewController` owns what the review adds to the window: the review database (``GAZEX_REVIEW_DB`` or
the default path), the :class:`ReviewPanel` in a tab beside the report, the :class:`RegionEditor` on the film,
the Review menu and its shortcuts (A, R, E, N, P, D, Ctrl+Z, Ctrl+Shift+Z, Ctrl+Shift+K to countersign), File > Export…, the reviewer's name
(asked once, kept in the settings), "read first" hiding, and resuming a film's stored review when the film is
opened again. The film and the report follow the review by themselves (:mod:`gazex_viewer.ui.review.views`).

It is handed the :class:`~gazex_viewer.ui.workspace.Workspace` (the open film and reading; the controller makes
the review session the workspace's and tells its observers when the session records an event), the
:class:`~gazex_viewer.ui.actions.ActionRegistry` (its menu entries and keys), the window's
:class:`~gazex_viewer.ui.services.Shell` (dialogs, the status line, the title, tabs, the film views) and the report
panel it badges; never the window itself.

The window calls four hooks: :meth:`~ReviewController.reading_shown` after it shows a reading,
:meth:`~ReviewController.film_opened` after it opens a film, :meth:`~ReviewController.commit_pending` before
either replaces the review, and :meth:`~ReviewController.close` when it closes. The review database comes from
one function, :func:`open_review_store` (core's ``open_store`` behind the ``ReviewStore`` Protocol), and each
session from ``ReviewSession.open(store, ...)``: the UI never names a concrete store.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QDockWidget, QWidget

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Box, Reading
from gazex_viewer.core.review.reviewed_view import display_reading, title_state
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.film.region_editor import RegionEditor
from gazex_viewer.ui.review.countersign import ACTION_TEXT as COUNTERSIGN_TEXT
from gazex_viewer.ui.review.countersign import SHORTCUT as COUNTERSIGN_KEY
from gazex_viewer.ui.review.panel import ReviewPanel
from gazex_viewer.ui.review.shared import SharedReview
from gazex_viewer.ui.review.stored import REVIEWED_PRODUCERS, StoredReviews
from gazex_viewer.ui.review.views import FilmReview, ReportReview, finding_numbers
from gazex_viewer.ui.style import APP_TITLE

if TYPE_CHECKING:
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QMenu

    from gazex_viewer.core.review.store import ReviewStore
    from gazex_viewer.ui.actions import ActionRegistry
    from gazex_viewer.ui.report.panel import ReportPanel
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

log = logging.getLogger(__name__)

T = TypeVar("T")

#: environment variable naming the review database (tests, kiosks): a file, sqlite:///... or postgresql://...
DB_ENV = "GAZEX_REVIEW_DB"
REVIEWER_KEY = "review/reviewer"
READ_FIRST_KEY = "review/read_first"


def open_review_store() -> tuple[ReviewStore | None, str | None]:
    """The review database and a warning to show (corrupt/locked file set aside, or unusable).

    Never raises: a database that cannot be used at all gives ``(None, reason)``.
    """
    from gazex_viewer.core.review.store import open_store

    path = os.environ.get(DB_ENV) or None
    try:
        store = open_store(path)
    except GazeXError as err:
        return None, f"{err} — decisions cannot be saved, so review is switched off"
    except Exception as err:  # noqa: BLE001 (never a crash at start-up)
        return None, f"{path or 'review database'}: {err.__class__.__name__}: {err} — review is switched off"
    return store, None if store.warning is None else str(store.warning)


class _FollowVisibility(QObject):
    """Hides ``follower`` when ``leader`` is hidden by the program (trainee mode hides the report)."""

    def __init__(self, follower: QDockWidget, leader: QDockWidget) -> None:
        super().__init__(follower)
        self.follower = follower
        leader.installEventFilter(self)

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        if not ev.spontaneous():
            if ev.type() == QEvent.Type.Hide:
                self.follower.hide()
            elif ev.type() == QEvent.Type.Show:
                self.follower.show()
        return False


class ReviewController(StoredReviews, QObject):
    """The review workflow of one window (see the module docstring for what it is handed)."""

    def __init__(self, workspace: Workspace, actions: ActionRegistry, shell: Shell, report: ReportPanel) -> None:
        super().__init__(shell.dialog_parent())
        self.workspace = workspace
        self.actions = actions
        self.shell = shell
        self.report = report
        self.store, self.store_message = open_review_store()
        self._suspend_views = False
        #: a stored reading the user picked: opened as it is, not followed to its newest version
        self._exact_next: str | None = None

        self.panel = ReviewPanel(shell.selection)
        self.panel.show_error = lambda t, m: self.shell.show_error(t, m)
        self.panel.confirm = lambda t, m: self.shell.ask_yes_no(t, m)
        self.panel.set_store_warning(self.store_message)
        self.dock = QDockWidget("Review", shell.dialog_parent())
        self.dock.setObjectName("reviewDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.dock.setTitleBarWidget(QWidget())  # a tab beside the report: the tab says what it is
        shell.add_tab(self.dock, beside_report=True)
        shell.raise_report()

        self.region_editor = RegionEditor(shell.canvas.vb, self)
        # the views of the review, each a slot on workspace.review_changed (in this order: report, film, window)
        self.report_view = ReportReview(workspace, shell, report)
        self.film_view = FilmReview(workspace, shell, self.region_editor, self.panel.set_numbers)
        workspace.review_changed.connect(self._on_review_changed)
        self.panel.region_editing_changed.connect(self._on_region_editing)
        self.panel.drawing_changed.connect(self._on_drawing)
        self.panel.review_changed.connect(self.refresh_views)
        self.panel.session_replaced.connect(self._on_session_replaced)
        self.panel.status_message.connect(lambda m: self.shell.show_status(m, 6000))
        self.region_editor.box_edited.connect(self.panel.apply_region_edit)
        self.region_editor.box_drawn.connect(self._on_box_drawn)
        self.panel.reviewer_given.connect(self._on_reviewer_given)
        from gazex_viewer.ui.pacs.results import PacsResults

        self.pacs_results = PacsResults(workspace, self.panel)  # a film from a PACS: results sent on sign-off
        self._waiting_for_name: Reading | None = None
        self._dock_follower = _FollowVisibility(self.dock, shell.report_dock)
        #: live refresh, the study claim, the connection state and countersigning (ui.review.shared)
        self.shared = SharedReview(self, parent=self)
        if self.store_message:
            shell.show_status(self.store_message, 15000)

    @property
    def session(self) -> ReviewSession | None:
        """The review session of the shown reading (the workspace's), or None."""
        return self.workspace.session

    # ------------------------------------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------------------------------------
    def build_actions(self, file_menu: QMenu, quit_action: QAction) -> None:
        """Add File > Export… (before Quit) and the Review menu (with their shortcuts) through the registry."""
        add = self.actions.add
        export = add(file_menu, "File", "&Export…", "Ctrl+E", self.export_dialog)
        file_menu.removeAction(export)
        file_menu.insertAction(quit_action, export)
        file_menu.insertSeparator(quit_action)
        m = self.actions.menu("Re&view")
        p = self.panel
        on = self._when_shown
        for text, key, slot in (
            ("&Accept finding", "A", p.accept_current),
            ("&Reject finding", "R", p.reject_current),
            ("&Edit finding", "E", p.start_edit),
            ("&Next undecided finding", "N", p.next_undecided),
            ("&Previous undecided finding", "P", p.previous_undecided),
            ("A&dd missed finding (draw its box)", "D", p.start_add),
        ):
            # a review key acts only on the findings list or the film (never while typing)
            add(m, "Review", text, key, on(slot), review=True)
        m.addSeparator()
        self.undo_action = add(m, "Review", "&Undo", "Ctrl+Z", on(p.undo))
        self.redo_action = add(m, "Review", "Re&do", "Ctrl+Shift+Z", on(p.redo))
        m.addSeparator()
        add(m, "Review", "&Sign report…", "Ctrl+Shift+S", on(self.sign_report))
        self.countersign_action = add(m, "Review", COUNTERSIGN_TEXT, COUNTERSIGN_KEY, on(self.shared.countersign))
        add(m, "Review", "Audit &log…", "Ctrl+Shift+L", self.show_audit_log)
        add(m, "Review", "Stored re&views of this film…", None, self.show_stored_reviews)
        m.addSeparator()
        self.read_first_action = add(
            m, "Review", "Read &first: hide the AI draft until I write my impression", None,
            self._on_read_first, checkable=True,
        )
        self.read_first_action.blockSignals(True)
        self.read_first_action.setChecked(S.get_bool(READ_FIRST_KEY, False))
        self.read_first_action.blockSignals(False)
        add(m, "Review", "Reviewer &name…", None, lambda: self.reviewer_name(ask_again=True))

    def _when_shown(self, fn: Callable[[], T]) -> Callable[[], T | None]:
        """A shortcut handler that does nothing while the review dock is hidden (e.g. trainee mode)."""

        def run() -> T | None:
            if self.dock.isHidden():
                self.shell.show_status("Review is hidden in this mode", 4000)
                return None
            return fn()

        return run

    def _on_read_first(self, checked: bool) -> None:
        S.set_value(READ_FIRST_KEY, bool(checked))
        self.shell.show_status(
            "Read first is on for the next new AI draft" if checked else "Read first is off", 5000
        )

    # ------------------------------------------------------------------------------------------------
    # reviewer
    # ------------------------------------------------------------------------------------------------
    def reviewer_name(self, *, ask_again: bool = False) -> str | None:
        """The reviewer's name kept in the settings; with ``ask_again`` the user is asked to change it."""
        name = str(S.settings().value(REVIEWER_KEY, "") or "").strip()
        if name and not ask_again:
            return name
        if not ask_again:
            return None
        answer = self.shell.ask_text("Reviewer", "Your name, as recorded with every decision and the sign-off:", name)
        self.panel.focus_list()
        if answer is None or not answer.strip():
            return name or None
        S.set_value(REVIEWER_KEY, answer.strip())
        self.shell.show_status(f"Reviewer: {answer.strip()} (used for the next reading opened)", 6000)
        return answer.strip()

    def _on_reviewer_given(self, name: str) -> None:
        S.set_value(REVIEWER_KEY, name)
        reading, self._waiting_for_name = self._waiting_for_name, None
        if reading is not None and reading is self.workspace.reading:
            self.reading_shown(reading)

    # ------------------------------------------------------------------------------------------------
    # hooks called by the window
    # ------------------------------------------------------------------------------------------------
    def commit_pending(self) -> list[str]:
        """Save the work typed or drawn but not yet recorded, before the session is replaced.

        The impression box, an open edit (text and label), a missed finding being added (its
        drawn box and typed sentence) and, in read-first mode, the radiologist's own impression
        are recorded in the review database. A drawn box without a sentence cannot be a finding
        and is dropped, saying so. Returns what was saved, in words (for the status line).
        """
        s = self.session
        p = self.panel
        saved: list[str] = []
        if s is None or s.is_frozen:
            return saved
        self._suspend_views = True  # the window may already show another film: draw nothing now
        try:
            if s.ai_hidden:
                if p.own_impression_edit.toPlainText().strip() and p.reveal_ai():
                    saved.append("your own impression")
            else:
                if p.save_impression():
                    saved.append("the impression")
                if p.editing is not None:
                    before = len(s.review.events)
                    p.finish_edit()
                    if len(s.review.events) > before:
                        saved.append("the open edit")
                if p.adding:
                    if p.add_text.text().strip():
                        if p.commit_add() is not None:
                            saved.append("the added finding")
                    else:
                        if p.pending_box is not None:
                            self.shell.show_status(
                                "The box drawn for a missed finding had no sentence and was not added", 8000
                            )
                        p.cancel_add()
        finally:
            self._suspend_views = False
        if saved:
            log.info("saved pending review work of %s: %s", s.reading_id, ", ".join(saved))
        return saved

    def film_opened(self) -> None:
        """A new film: stop reviewing the old one (saving pending work), and resume this film's stored review."""
        self._waiting_for_name = None
        self.panel.ask_reviewer_name(False)
        saved = self.commit_pending()
        self._set_session(None)
        if saved:
            self.shell.show_status(f"Saved {', '.join(saved)} of the previous film's review", 8000)
        rg = self.workspace.radiograph
        if self.store is None or rg is None:
            return
        try:
            ids = self.store.readings_for_image(str(getattr(rg, "pixel_sha256", "") or ""))
            if not ids:
                return
            reading = self.store.load_reading(self.store.latest_version_id(ids[0]))
        except GazeXError as err:
            self.shell.show_status(f"Cannot resume the stored review: {err}", 10000)
            return
        if self.shell.show_reading(reading):
            self.shell.show_status(
                f"Resumed the review of this film ({self.panel.counter_text()})", 8000
            )

    def reading_shown(self, reading: Reading) -> None:
        """The window shows ``reading``: open (or resume) its review (pending work of the old one is saved)."""
        self.commit_pending()
        self._set_session(None)
        self.panel.set_reading_warnings(reading.warnings)
        if reading.producer.kind not in REVIEWED_PRODUCERS:
            self._waiting_for_name = None
            self.panel.ask_reviewer_name(False)
            self.panel.set_not_reviewed(reading.producer.kind)
            self.shell.raise_report()
            return
        if self.store is None:
            return
        who = self.reviewer_name()
        if not who:
            self._waiting_for_name = reading
            self.panel.ask_reviewer_name(True)
            if self.read_first_action.isChecked() and not self._stored_and_revealed(reading):
                # read first: the draft stays hidden while the name is asked, too
                self.report_view.hide_draft()
                self.film_view.hide_draft()
            self.raise_review()
            return
        self._waiting_for_name = None
        self.panel.ask_reviewer_name(False)
        exact, self._exact_next = self._exact_next == reading.reading_id, None
        try:
            session = ReviewSession.open(
                self.store, reading, who, read_first=self.read_first_action.isChecked(), follow_versions=not exact
            )
        except GazeXError as err:
            self.shell.show_error("Cannot open the review", str(err))
            return
        self.shared.opened(session)  # claims the study, or offers to open it read-only
        self._set_session(session)
        if session.reading is not reading:
            self.workspace.set_reading(session.reading)
        self._update_other_reviews()
        self.raise_review()

    def _stored_and_revealed(self, reading: Reading) -> bool:
        """True when the reading's stored review already shows the AI draft (not read first, or revealed)."""
        if self.store is None or not self.store.has_reading(reading.reading_id):
            return False
        try:
            stored = self.store.load_reading(self.store.latest_version_id(reading.reading_id))
        except GazeXError:
            return False
        return bool(stored.review is not None and (stored.review.own_impression or stored.review.events))

    def draft_arrives_hidden(self) -> bool:
        """True when a new AI draft will be hidden on arrival (read first is on and review works).

        The model run then shows progress only: no streamed text, no sentence count.
        """
        return self.store is not None and self.read_first_action.isChecked()

    def raise_review(self) -> None:
        """Bring the Review tab to the front (where the decisions and the sign-off are)."""
        if not self.dock.isHidden():
            self.dock.raise_()

    def close(self) -> None:
        """Save what is pending and close the database."""
        try:
            self.commit_pending()
        finally:
            self._set_session(None)
            self.shared.close()
            if self.store is not None:
                self.store.close()
                self.store = None

    # ------------------------------------------------------------------------------------------------
    # session and views
    # ------------------------------------------------------------------------------------------------
    def _adopt(self, session: ReviewSession | None) -> None:
        """Make ``session`` the workspace's without a signal: the panel's ``review_changed`` tells the views next."""
        blocked = self.workspace.blockSignals(True)
        try:
            self.workspace.set_session(session)
        finally:
            self.workspace.blockSignals(blocked)

    def _set_session(self, session: ReviewSession | None) -> None:
        self.region_editor.edit(None)
        self.region_editor.set_drawing(False)
        self._adopt(session)
        self.shared.session_set(session)
        self.film_view.reset()
        self.report_view.reset()
        self.panel.set_session(session, self._numbers())  # emits review_changed -> refresh_views

    def _on_session_replaced(self, session: ReviewSession) -> None:
        self._adopt(session)
        self.shared.session_set(session)
        self.workspace.set_reading(session.reading)
        self.film_view.redraw()
        self.refresh_views()

    def restore(self, reading: Reading | None) -> None:
        """Show exactly ``reading`` with its own review again (leaving trainee or compare mode).

        Another reading shown meanwhile (a reference revealed) is replaced by this one, resumed
        from the review database at exactly its version; the same reading is drawn again as its
        review leaves it (edited regions, additions, decisions), not as the AI wrote it.
        """
        ws, sh = self.workspace, self.shell
        if reading is not None and ws.reading is not reading:
            self._exact_next = reading.reading_id
            if not sh.show_reading(reading):
                self._exact_next = None
            return
        if reading is None:
            if ws.reading is not None:
                self.commit_pending()
                self._set_session(None)
                ws.set_reading(None)
                sh.canvas.set_reading(None)
                self.report.set_reading(None)
            return
        if self.session is not None and self.session.ai_hidden:
            # read first: hidden again by the views, never drawn here
            self.film_view.reset()
            self.report_view.reset(show=False)
        else:
            sh.canvas.set_reading(ws.reading, sh.controller.playback)
            sh.canvas.set_layers(**sh.player_bar.layers())
            self.film_view.redraw()
        self.refresh_views()

    def display_reading(self) -> Reading | None:
        """The reading as the review leaves it: edited text and regions, additions appended."""
        return display_reading(self.session)

    def _numbers(self) -> dict[str, tuple[int, str]]:
        return finding_numbers(self.display_reading())

    def refresh_views(self) -> None:
        """Tell the views that the review changed (they redraw from the session); not while pending work is saved."""
        if not self._suspend_views:
            self.workspace.notify_review_changed()

    def _on_review_changed(self, session: ReviewSession | None) -> None:
        """The window's part: the undo actions and the title."""
        if session is not None and not session.ai_hidden:
            self.undo_action_state()
        self._update_title()

    def undo_action_state(self) -> None:
        s = self.session
        if hasattr(self, "undo_action"):
            self.undo_action.setEnabled(s is not None and s.can_undo)
            self.redo_action.setEnabled(s is not None and s.can_redo)

    def _update_title(self) -> None:
        rg = self.workspace.radiograph
        if rg is None:
            return
        self.shell.set_title(f"{rg.name}{title_state(self.session)} — {APP_TITLE}")

    # ------------------------------------------------------------------------------------------------
    # film editing
    # ------------------------------------------------------------------------------------------------
    def _on_region_editing(self, fid: str | None) -> None:
        s = self.session
        self.region_editor.set_bounds(self.shell.canvas.image_rect())
        if fid is None or s is None:
            self.region_editor.edit(None)
            return
        self.region_editor.edit(fid, s.effective_finding(fid))
        if not self.region_editor.rois:
            self.shell.show_status("This finding has no region on the film to move", 5000)

    def _on_drawing(self, on: bool) -> None:
        self.region_editor.set_bounds(self.shell.canvas.image_rect())
        self.region_editor.set_drawing(on)
        if on:
            self.shell.show_status("Drag a box on the film around the missed finding", 8000)
        else:
            self.shell.clear_status()

    def _on_box_drawn(self, box: Box) -> None:
        self.panel.set_drawn_box(box)

    # ------------------------------------------------------------------------------------------------
    # sign-off (export and the audit log: ui.review.stored)
    # ------------------------------------------------------------------------------------------------
    def sign_report(self) -> bool:
        """Sign the reading under review (refused while a finding is undecided)."""
        if self.session is None:
            self.shell.show_status("No reading under review", 5000)
            return False
        return self.panel.sign()
