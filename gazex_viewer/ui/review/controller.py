"""The verification workflow wired into the main window.

:class:`ReviewController` owns what the review adds to :class:`~gazex_viewer.ui.shell.main_window.MainWindow`:
the review database (``GAZEX_REVIEW_DB`` or the default path), the :class:`ReviewPanel` in a dock under
the report, the :class:`RegionEditor` on the film, the Review menu and its shortcuts (A, R, E, N, P,
D, Ctrl+Z, Ctrl+Shift+Z), File > Export…, the reviewer's name (asked once, kept in the settings),
per-sentence state badges in the report, decision states on the film, "read first" hiding, and resuming
a film's stored review when the film is opened again.

The window calls three hooks: :meth:`reading_shown` after it shows a reading, :meth:`film_opened`
after it opens a film, and :meth:`close` when it closes.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QInputDialog, QLineEdit, QWidget

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import Box, Reading
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.core.review.final_report import build_final_report
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.ui import settings as S
from gazex_viewer.ui.common import finding_styles
from gazex_viewer.ui.film.region_editor import RegionEditor
from gazex_viewer.ui.review.panel import ReviewPanel, decision_notes, state_badge

if TYPE_CHECKING:
    from gazex_viewer.core.review.store import ReviewStore
    from gazex_viewer.ui.review.audit_dialog import AuditDialog
    from gazex_viewer.ui.review.export_dialog import ExportDialog
    from gazex_viewer.ui.shell.main_window import MainWindow

log = logging.getLogger(__name__)

#: environment variable naming the review database (tests, kiosks): a file, sqlite:///... or postgresql://...
DB_ENV = "GAZEX_REVIEW_DB"
REVIEWER_KEY = "review/reviewer"
READ_FIRST_KEY = "review/read_first"
#: producers whose readings are reviewed (expert and trainee readings are shown, not signed)
REVIEWED_PRODUCERS = ("model", "radiologist")


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
    except Exception as err:  # never a crash at start-up
        return None, f"{path or 'review database'}: {err.__class__.__name__}: {err} — review is switched off"
    return store, None if store.warning is None else str(store.warning)


class _FollowVisibility(QObject):
    """Hides ``follower`` when ``leader`` is hidden by the program (trainee mode hides the report)."""

    def __init__(self, follower: QDockWidget, leader: QDockWidget) -> None:
        super().__init__(follower)
        self.follower = follower
        leader.installEventFilter(self)

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802 (Qt name)
        if not ev.spontaneous():
            if ev.type() == QEvent.Type.Hide:
                self.follower.hide()
            elif ev.type() == QEvent.Type.Show:
                self.follower.show()
        return False


class ReviewController(QObject):
    """The review workflow of one main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.win = window
        self.store, self.store_message = open_review_store()
        self.session: ReviewSession | None = None
        self._geometry_key: Any = None
        self._display: Reading | None = None
        self._ai_shown = True
        self._suspend_views = False
        #: a stored reading the user picked: opened as it is, not followed to its newest version
        self._exact_next: str | None = None

        self.panel = ReviewPanel(window.selection)
        self.panel.show_error = lambda t, m: self.win.show_error(t, m)  # type: ignore[method-assign]
        self.panel.confirm = lambda t, m: self.win.ask_yes_no(t, m)  # type: ignore[method-assign]
        self.panel.set_store_warning(self.store_message)
        self.dock = QDockWidget("Review", window)
        self.dock.setObjectName("reviewDock")
        self.dock.setWidget(self.panel)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.dock.setTitleBarWidget(QWidget())  # a tab beside the report: the tab says what it is
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.report_dock, self.dock)
        window.report_dock.raise_()

        self.region_editor = RegionEditor(window.canvas.vb, self)
        self.panel.region_editing_changed.connect(self._on_region_editing)
        self.panel.drawing_changed.connect(self._on_drawing)
        self.panel.review_changed.connect(self.refresh_views)
        self.panel.session_replaced.connect(self._on_session_replaced)
        self.panel.status_message.connect(lambda m: self.win.statusBar().showMessage(m, 6000))
        self.region_editor.box_edited.connect(self.panel.apply_region_edit)
        self.region_editor.box_drawn.connect(self._on_box_drawn)
        self.panel.reviewer_given.connect(self._on_reviewer_given)
        from gazex_viewer.ui.pacs.results import PacsResults

        self.pacs_results = PacsResults(window, self.panel)  # a film from a PACS: results sent on sign-off
        self._waiting_for_name: Reading | None = None
        self._dock_follower = _FollowVisibility(self.dock, window.report_dock)
        if self.store_message:
            window.statusBar().showMessage(self.store_message, 15000)

    # ------------------------------------------------------------------------------------------------
    # actions
    # ------------------------------------------------------------------------------------------------
    def build_actions(self, file_menu: Any, quit_action: Any) -> None:
        """Add File > Export… and the Review menu (with their shortcuts) to the window."""
        w = self.win
        export = w._action(file_menu, "File", "&Export…", "Ctrl+E", self.export_dialog)
        file_menu.removeAction(export)
        file_menu.insertAction(quit_action, export)
        file_menu.insertSeparator(quit_action)
        m = w.menuBar().addMenu("Re&view")
        help_menu = next((a for a in w.menuBar().actions() if a.text() == "&Help"), None)
        if help_menu is not None:
            w.menuBar().removeAction(m.menuAction())
            w.menuBar().insertMenu(help_menu, m)
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
            w.key_gate.watch(w._action(m, "Review", text, key, on(slot)), review=True)
        m.addSeparator()
        self.undo_action = w._action(m, "Review", "&Undo", "Ctrl+Z", on(p.undo))
        self.redo_action = w._action(m, "Review", "Re&do", "Ctrl+Shift+Z", on(p.redo))
        m.addSeparator()
        w._action(m, "Review", "&Sign report…", "Ctrl+Shift+S", on(self.sign_report))
        w._action(m, "Review", "Audit &log…", "Ctrl+Shift+L", self.show_audit_log)
        w._action(m, "Review", "Stored re&views of this film…", None, self.show_stored_reviews)
        m.addSeparator()
        self.read_first_action = w._action(
            m, "Review", "Read &first: hide the AI draft until I write my impression", None,
            self._on_read_first, checkable=True,
        )
        self.read_first_action.blockSignals(True)
        self.read_first_action.setChecked(S.get_bool(READ_FIRST_KEY, False))
        self.read_first_action.blockSignals(False)
        w._action(m, "Review", "Reviewer &name…", None, lambda: self.reviewer_name(ask_again=True))

    def _when_shown(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """A shortcut handler that does nothing while the review dock is hidden (e.g. trainee mode)."""

        def run() -> Any:
            if self.dock.isHidden():
                self.win.statusBar().showMessage("Review is hidden in this mode", 4000)
                return None
            return fn()

        return run

    def _on_read_first(self, checked: bool) -> None:
        S.set_value(READ_FIRST_KEY, bool(checked))
        self.win.statusBar().showMessage(
            "Read first is on for the next new AI draft" if checked else "Read first is off", 5000
        )

    # ------------------------------------------------------------------------------------------------
    # reviewer
    # ------------------------------------------------------------------------------------------------
    def _ask_text(self, title: str, label: str, default: str = "") -> str | None:
        text, ok = QInputDialog.getText(self.win, title, label, QLineEdit.EchoMode.Normal, default)
        return text if ok else None

    def reviewer_name(self, *, ask_again: bool = False) -> str | None:
        """The reviewer's name kept in the settings; with ``ask_again`` the user is asked to change it."""
        name = str(S.settings().value(REVIEWER_KEY, "") or "").strip()
        if name and not ask_again:
            return name
        if not ask_again:
            return None
        ask = getattr(self.win, "ask_text", None) or self._ask_text
        answer = ask("Reviewer", "Your name, as recorded with every decision and the sign-off:", name)
        self.panel.focus_list()
        if answer is None or not answer.strip():
            return name or None
        S.set_value(REVIEWER_KEY, answer.strip())
        self.win.statusBar().showMessage(f"Reviewer: {answer.strip()} (used for the next reading opened)", 6000)
        return answer.strip()

    def _on_reviewer_given(self, name: str) -> None:
        S.set_value(REVIEWER_KEY, name)
        reading, self._waiting_for_name = self._waiting_for_name, None
        if reading is not None and reading is self.win.reading:
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
                            self.win.statusBar().showMessage(
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
            self.win.statusBar().showMessage(f"Saved {', '.join(saved)} of the previous film's review", 8000)
        rg = self.win.radiograph
        if self.store is None or rg is None:
            return
        try:
            ids = self.store.readings_for_image(str(getattr(rg, "pixel_sha256", "") or ""))
            if not ids:
                return
            reading = self.store.load_reading(self.store.latest_version_id(ids[0]))
        except GazeXError as err:
            self.win.statusBar().showMessage(f"Cannot resume the stored review: {err}", 10000)
            return
        if self.win.show_reading(reading):
            self.win.statusBar().showMessage(
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
            self.win.report_dock.raise_()
            return
        if self.store is None:
            return
        who = self.reviewer_name()
        if not who:
            self._waiting_for_name = reading
            self.panel.ask_reviewer_name(True)
            if self.read_first_action.isChecked() and not self._stored_and_revealed(reading):
                self._hide_ai()  # read first: the draft stays hidden while the name is asked, too
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
            self.win.show_error("Cannot open the review", str(err))
            return
        self._set_session(session)
        if session.reading is not reading:
            self.win.reading = session.reading
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

    # ------------------------------------------------------------------------------------------------
    # several stored readings of one film
    # ------------------------------------------------------------------------------------------------
    def _film_key(self) -> str:
        return str(getattr(self.win.radiograph, "pixel_sha256", "") or "")

    def stored_reviews(self) -> list[Any]:
        """The stored readings of the open film (:class:`StoredReview`), newest change first."""
        key = self._film_key()
        if self.store is None or not key:
            return []
        try:
            return self.store.reviews_for_image(key)
        except GazeXError as err:
            self.win.statusBar().showMessage(f"Cannot list the stored reviews: {err}", 10000)
            return []

    def _update_other_reviews(self) -> None:
        """Say in the review panel when the film has other stored reviews (a signed one is never hidden)."""
        s = self.session
        if s is None:
            self.panel.set_other_reviews(None)
            return
        chain = set(self.store.versions(s.reading_id)) if self.store is not None else {s.reading_id}
        others = [r for r in self.stored_reviews() if r.reading_id not in chain and (r.has_work or r.signoff)]
        if not others:
            self.panel.set_other_reviews(None)
            return
        signed = [r for r in others if r.signoff is not None]
        text = f"This film has {len(others)} other stored review{'s' if len(others) != 1 else ''}"
        if signed:
            who = ", ".join(sorted({r.signoff.reviewer for r in signed}))
            text += f", {len(signed)} of them signed (by {who})"
        text += ": Review > Stored reviews of this film…"
        self.panel.set_other_reviews(text)

    def has_review_in_progress(self) -> list[Any]:
        """The open film's stored reviews with work in them (decisions, additions, impression, sign-off)."""
        self.commit_pending()
        return [r for r in self.stored_reviews() if r.has_work]

    def accept_new_draft(self, reading: Reading) -> bool:
        """A new AI draft arrived for the open film: may it replace the review on screen?

        When the film already has a stored review with decisions (or a signed one), the user is
        asked: Yes reviews the new draft as a new reading (the old review stays in the database,
        listed under Review > Stored reviews of this film…); No keeps the current review and sets
        the new draft aside. Without such a review the draft is shown at once (True).
        """
        if self.store is None or reading.producer.kind not in REVIEWED_PRODUCERS:
            return True
        busy = self.has_review_in_progress()
        if not busy:
            return True
        s = self.session
        current = next((r for r in busy if s is not None and r.reading_id == s.reading_id), busy[0])
        more = f" (and {len(busy) - 1} other stored review(s))" if len(busy) > 1 else ""
        question = (
            f"This film already has a review: {current.describe()}{more}.\n\n"
            "Yes: start reviewing the new AI draft as a new reading. The current review is kept "
            "unchanged in the review database (Review > Stored reviews of this film…).\n\n"
            "No: keep the current review. The new AI draft is set aside (not saved)."
        )
        if self.win.ask_yes_no("Review the new AI draft?", question):
            return True
        if self.session is None or self.session.reading_id != current.reading_id:
            self.open_stored(current.reading_id)
        self.win.statusBar().showMessage("Kept the current review; the new AI draft was set aside", 8000)
        return False

    def open_stored(self, reading_id: str) -> bool:
        """Show one stored reading of the open film for review, exactly that version."""
        if self.store is None:
            return False
        self.commit_pending()
        try:
            reading = self.store.load_reading(reading_id)
        except GazeXError as err:
            self.win.show_error("Cannot open the stored review", str(err))
            return False
        self._exact_next = reading_id
        ok = bool(self.win.show_reading(reading))
        if not ok:
            self._exact_next = None
        return ok

    def show_stored_reviews(self) -> Any:
        """Review > Stored reviews of this film…: pick among the film's stored readings."""
        from gazex_viewer.ui.review.stored_reviews_dialog import StoredReviewsDialog

        w = self.win
        if self.store is None:
            w.show_error("No review database", self.store_message or "The review database is not open.")
            return None
        if w.radiograph is None:
            w.show_error("No film", "Open a film first.")
            return None
        reviews = self.stored_reviews()
        dlg = StoredReviewsDialog(
            reviews,
            current_id=None if self.session is None else self.session.reading_id,
            open_reading=self.open_stored,
            title=w.radiograph.name,
            parent=w,
        )
        dlg.setStyleSheet(w.styleSheet())
        dlg.finished.connect(lambda _r: self.panel.focus_list())
        dlg.show()
        return dlg

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
            if self.store is not None:
                self.store.close()
                self.store = None

    # ------------------------------------------------------------------------------------------------
    # session and views
    # ------------------------------------------------------------------------------------------------
    def _set_session(self, session: ReviewSession | None) -> None:
        self.region_editor.edit(None)
        self.region_editor.set_drawing(False)
        self.session = session
        self._geometry_key = None
        self._ai_shown = True
        self.win.report_panel.show()
        self.panel.set_session(session, self._numbers())  # emits review_changed -> refresh_views

    def _on_session_replaced(self, session: ReviewSession) -> None:
        self.session = session
        self.win.reading = session.reading
        self._geometry_key = None
        self.refresh_views()

    def restore(self, reading: Reading | None) -> None:
        """Show exactly ``reading`` with its own review again (leaving trainee or compare mode).

        Another reading shown meanwhile (a reference revealed) is replaced by this one, resumed
        from the review database at exactly its version; the same reading is drawn again as its
        review leaves it (edited regions, additions, decisions), not as the AI wrote it.
        """
        w = self.win
        if reading is not None and w.reading is not reading:
            self._exact_next = reading.reading_id
            if not w.show_reading(reading):
                self._exact_next = None
            return
        if reading is None:
            if w.reading is not None:
                self.commit_pending()
                self._set_session(None)
                w.reading = None
                w.canvas.set_reading(None)
                w.report_panel.set_reading(None)
            return
        if self.session is not None and self.session.ai_hidden:
            self._ai_shown = True  # read first: hidden again by refresh_views, never drawn here
        else:
            w.canvas.set_reading(w.reading, w.controller.playback)
            w.canvas.set_layers(**w.player_bar.layers())
        self._geometry_key = None
        self.refresh_views()

    def display_reading(self) -> Reading | None:
        """The reading as the review leaves it: edited text and regions, additions appended."""
        s = self.session
        if s is None:
            return None
        view = copy.copy(s.reading)
        view.findings = [s.effective_finding(f.id) for f in s.reading.findings] + list(s.review.additions)
        return view

    def _numbers(self) -> dict[str, tuple[int, str]]:
        view = self.display_reading()
        return {fid: (st.number, st.colour) for fid, st in finding_styles(view).items()} if view else {}

    def refresh_views(self) -> None:
        """Bring the report badges, the film regions and the title in line with the review."""
        if self._suspend_views:
            return
        s = self.session
        w = self.win
        rp = w.report_panel
        if s is None:
            rp.set_final_report(None)
            for fid in list(rp.rows):
                rp.set_badge(fid, "")
                rp.set_reviewed(fid, None, None)
            self._set_canvas_states({})
            self._update_title()
            return
        if s.ai_hidden:
            if self._ai_shown:
                self._hide_ai()
            self._update_title()
            return
        if not self._ai_shown:
            self._show_ai()
        view = self.display_reading()
        assert view is not None
        key = [(f.id, f.text, repr(f.observation), repr(f.clues), repr(f.labels)) for f in view.findings]
        if key != self._geometry_key:
            self._geometry_key = key
            w.canvas.set_reading(view, w.controller.playback)
            w._on_layers_changed(w.player_bar.layers())
            w._on_time_changed(w.controller.playback.time)
            self.panel.set_numbers(self._numbers())
        states = {fid: s.status(fid) for fid in s.finding_ids}
        self._set_canvas_states(states)
        # the report shows the reviewed report: edited text, rejections struck through, additions listed
        numbers = {fid: (st.number, st.colour) for fid, st in finding_styles(view).items()}
        additions = {f.id: (f, *numbers.get(f.id, (0, state_badge("added")[1]))) for f in s.review.additions}
        sentence_ids = {x.id for x in s.reading.sentences}
        unsentenced = {
            f.id: (s.effective_finding(f.id), *numbers.get(f.id, (0, "#888888")))
            for f in s.reading.findings if f.sentence_id not in sentence_ids
        }
        try:
            rp.set_final_report(build_final_report(s.reading), additions, unsentenced)
        except GazeXError as err:  # a reading the report cannot be built from: say so, keep the rows
            self.win.statusBar().showMessage(str(err), 10000)
        for fid in list(rp.rows):
            if fid in states:
                text, bg, fg = state_badge(states[fid])
                rp.set_badge(fid, text, bg, fg)
                reason, original = decision_notes(s, fid)
                rp.set_reviewed(fid, s.effective_finding(fid), states[fid], original=original, reason=reason)
        if self.region_editor.editing is not None and self.region_editor.editing in states:
            fid = self.region_editor.editing
            self.region_editor.edit(fid, s.effective_finding(fid))
        self.undo_action_state()
        self._update_title()

    def undo_action_state(self) -> None:
        s = self.session
        if hasattr(self, "undo_action"):
            self.undo_action.setEnabled(s is not None and s.can_undo)
            self.redo_action.setEnabled(s is not None and s.can_redo)

    def _set_canvas_states(self, states: Mapping[str, str]) -> None:
        setter = getattr(self.win.canvas, "set_region_states", None)
        if setter is not None:
            setter(states)

    def _update_title(self) -> None:
        w = self.win
        rg = w.radiograph
        if rg is None:
            return
        from gazex_viewer.ui.shell.main_window import APP_TITLE

        s = self.session
        state = ""
        if s is not None:
            if s.signature_invalid:
                state = (" — NOT SIGNED (legacy hash only)" if s.signature_state == "legacy"
                         else " — SIGNATURE INVALID (changed after signing)")
            elif s.is_signed and s.signoff is not None:
                state = f" — signed by {s.signoff.reviewer}"
            elif s.ai_hidden:
                state = " — read first"
            else:
                n = len(s.undecided())
                state = f" — reviewing, {n} undecided" if n else " — reviewed, not signed"
        w.setWindowTitle(f"{rg.name}{state} — {APP_TITLE}")

    def _hide_ai(self) -> None:
        w = self.win
        self._ai_shown = False
        w.canvas.set_reading(None)
        w.controller.set_playback(TrajectoryPlayback([]))
        w.player_bar.set_sentence_spans({})
        w.report_panel.hide()
        w.selection.clear()
        w.statusBar().showMessage("Read first: the AI draft is hidden until you write your impression", 10000)

    def _show_ai(self) -> None:
        w = self.win
        s = self.session
        assert s is not None
        self._ai_shown = True
        self._geometry_key = None
        w.controller.set_playback(TrajectoryPlayback(s.reading.trajectory))
        w.player_bar.set_sentence_spans(finding_styles(s.reading))
        w.report_panel.set_reading(s.reading)
        w.report_panel.show()

    # ------------------------------------------------------------------------------------------------
    # film editing
    # ------------------------------------------------------------------------------------------------
    def _on_region_editing(self, fid: str | None) -> None:
        s = self.session
        self.region_editor.set_bounds(self.win.canvas.image_rect())
        if fid is None or s is None:
            self.region_editor.edit(None)
            return
        self.region_editor.edit(fid, s.effective_finding(fid))
        if not self.region_editor.rois:
            self.win.statusBar().showMessage("This finding has no region on the film to move", 5000)

    def _on_drawing(self, on: bool) -> None:
        self.region_editor.set_bounds(self.win.canvas.image_rect())
        self.region_editor.set_drawing(on)
        if on:
            self.win.statusBar().showMessage("Drag a box on the film around the missed finding", 8000)
        else:
            self.win.statusBar().clearMessage()

    def _on_box_drawn(self, box: Box) -> None:
        self.panel.set_drawn_box(box)

    # ------------------------------------------------------------------------------------------------
    # sign-off, export, audit
    # ------------------------------------------------------------------------------------------------
    def sign_report(self) -> bool:
        """Sign the reading under review (refused while a finding is undecided)."""
        if self.session is None:
            self.win.statusBar().showMessage("No reading under review", 5000)
            return False
        return self.panel.sign()

    def export_dialog(self) -> ExportDialog | None:
        """File > Export…: the reviewed reading (signed, or a draft marked as such)."""
        from gazex_viewer.ui.review.export_dialog import ExportDialog

        w = self.win
        reading = self.session.reading if self.session is not None else w.reading
        if reading is None:
            w.show_error("Nothing to export", "Open a film and its reading (or run the model) first.")
            return None
        rg = w.radiograph
        start = S.get_path("paths/export_dir") or S.get_path("paths/last_dir")
        dlg = ExportDialog(
            reading,
            image_path=None,
            radiograph=rg,
            start_dir=start,
            parent=w,
            registry=self.store,
        )
        dlg.setStyleSheet(w.styleSheet())
        dlg.export_button.clicked.connect(lambda: S.set_value("paths/export_dir", dlg.folder_edit.text()))
        dlg.finished.connect(lambda _r: self.panel.focus_list())  # the next key is a review key again
        dlg.show()
        return dlg

    def show_audit_log(self) -> AuditDialog | None:
        """Review > Audit log: every event of this study (all readings and versions)."""
        from gazex_viewer.ui.review.audit_dialog import AuditDialog

        w = self.win
        reading = self.session.reading if self.session is not None else w.reading
        if self.store is None:
            w.show_error("No review database", self.store_message or "The review database is not open.")
            return None
        if reading is None:
            w.show_error("No study", "Open a film first.")
            return None
        key = reading.image.study_instance_uid or reading.image.pixel_sha256
        try:
            entries = self.store.events_for_study(key)
            if reading.image.study_instance_uid:
                seen = {e.event.id for e in entries}
                entries += [e for e in self.store.events_for_study(reading.image.pixel_sha256) if e.event.id not in seen]
        except GazeXError as err:
            w.show_error("Cannot read the audit log", str(err))
            return None
        numbers = self._numbers()
        view = self.display_reading()

        def name(fid: str) -> str:
            n = numbers.get(fid, (0, ""))[0]
            text = ""
            if view is not None:
                try:
                    text = view.finding(fid).text
                except KeyError:
                    text = ""
            return f"{n} {text}".strip() if n else fid

        originals = {f.id: f.to_dict() for f in reading.findings}
        dlg = AuditDialog(
            entries,
            title=f"{reading.image.file_name}" + (f" (study {reading.image.study_instance_uid})" if reading.image.study_instance_uid else ""),
            finding_name=name,
            originals=originals,
            parent=w,
        )
        dlg.setStyleSheet(w.styleSheet())
        dlg.finished.connect(lambda _r: self.panel.focus_list())
        dlg.show()
        return dlg
