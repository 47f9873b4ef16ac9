"""The review panel: the radiologist's decisions on each finding, the impression and the sign-off.

A thin Qt view over a core :class:`~gazex_viewer.core.review.session.ReviewSession`. Every button calls one
session method; the session writes the change to the review database *before* it reports it, and the
panel refreshes from the session's events (``ReviewSession.subscribe``), so what is shown is always
what is stored. A failed write (disk full, locked database) is shown as a message and changes nothing.

This module owns the composition: the banners (database problems, reading warnings, sign-off, other stored
reviews, an invalid signature), the reviewer's name box, the findings list and the decision buttons, and the
commands on the selected finding (accept, reject, undecide, next/previous undecided, undo, redo). Its parts
live beside it: :mod:`~gazex_viewer.ui.review.rows` (one finding's row, state colours),
:mod:`~gazex_viewer.ui.review.editor` (the edit and add areas and their modes) and
:mod:`~gazex_viewer.ui.review.signoff` (impressions, read first, sign-off, new version); what the review leaves
of the draft, in words, is core's :mod:`~gazex_viewer.core.review.reviewed_view`.

The panel shares the window's :class:`~gazex_viewer.ui.selection.SelectionModel`: the selected finding is
the one that Accept (A), Reject (R) and Edit (E) act on. Region editing and drawing happen on the film
(:mod:`gazex_viewer.ui.film.region_editor`); the panel asks for them with signals and takes the results
through :meth:`ReviewPanel.apply_region_edit` and :meth:`ReviewPanel.set_drawn_box`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import ReviewEvent
from gazex_viewer.core.review.reviewed_view import counter_text, decision_notes
from gazex_viewer.core.review.session import (
    ReadingSignedError,
    ReviewIncompleteError,
    ReviewSession,
)
from gazex_viewer.core.review.store_errors import RETRYABLE, StaleWriteError
from gazex_viewer.ui.review.claims import read_only_banner, read_only_html
from gazex_viewer.ui.review.countersign import countersigned_banner_html
from gazex_viewer.ui.review.decisions import CANCELLED, FindingDecisions
from gazex_viewer.ui.review.editor import FindingEditing
from gazex_viewer.ui.review.rows import STATE_STYLES, FindingReviewRow
from gazex_viewer.ui.review.signing_key import ask_passphrase_dialog
from gazex_viewer.ui.review.signoff import (
    SignOffPart,
    signature_invalid_html,
    signed_banner_html,
)
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.style import finding_styles

__all__ = ["EMPTY_TEXT", "ReviewPanel"]

log = logging.getLogger(__name__)

#: the review tab before anything is under review
EMPTY_TEXT = (
    "<p style='font-size:13pt'><b>Nothing under review</b></p>"
    "<p style='color:#a9b6c2'>Run the model on a film (<b>F5</b>) or open a saved AI reading (<b>Ctrl+R</b>). "
    "Its findings are listed here to accept (<b>A</b>), edit (<b>E</b>) or reject (<b>R</b>); "
    "you add what it missed (<b>D</b>), write the impression and sign.</p>"
)


#: the arguments and result of a session method run by ``_run``
_P = ParamSpec("_P")
_R = TypeVar("_R")


class ReviewPanel(FindingDecisions, FindingEditing, SignOffPart, QWidget):
    """Decision buttons and state per finding, undecided counter, impression, read-first, sign-off.

    Signals
    -------
    region_editing_changed(object)
        The finding whose regions are now editable on the film (``None``: none).
    drawing_changed(bool)
        Ask the film to start (True) or stop (False) the "draw a new box" mode.
    review_changed()
        The review changed (a decision, an undo, a new session): views refresh from the session.
    session_replaced(object)
        A new version was started: the new :class:`ReviewSession`.
    reviewer_given(str)
        The reviewer typed their name in the name box (:meth:`ask_reviewer_name`).
    status_message(str)
        A short line for the status bar.

    Attributes
    ----------
    show_error, ask_reason, confirm
        Replaceable callables (tests replace them): ``show_error(title, message)``,
        ``ask_reason(finding_text) -> str | None`` (None cancels the rejection, "" means no reason),
        ``confirm(title, message) -> bool``.
    """

    region_editing_changed = Signal(object)
    drawing_changed = Signal(bool)
    review_changed = Signal()
    session_replaced = Signal(object)
    status_message = Signal(str)
    #: a sign-off completed (the signed Reading): ui/pacs_results.py sends it to the film's PACS
    signed_off = Signal(object)
    reviewer_given = Signal(str)

    def __init__(self, selection: SelectionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPanel")
        self.selection = selection
        self.session: ReviewSession | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.rows: dict[str, FindingReviewRow] = {}
        self._numbers: dict[str, tuple[int, str]] = {}
        self.show_error: Callable[[str, str], None] = self._default_error
        self.ask_reason: Callable[[str], str | None] = self._default_reason
        self.confirm: Callable[[str, str], bool] = self._default_confirm
        #: (title, label) -> passphrase or None: unlocks or creates the signing key at sign-off
        self.ask_passphrase: Callable[[str, str], str | None] = ask_passphrase_dialog(self)
        self.last_error: str | None = None
        #: retries the changes a full (or read-only, locked) database could not take, every few seconds
        self._retry_timer = QTimer(self)
        self._retry_timer.setInterval(5000)
        self._retry_timer.timeout.connect(self._retry_unsaved)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.setSpacing(4)

        self.store_warning_label = QLabel()
        self.store_warning_label.setObjectName("storeWarning")
        self.store_warning_label.setWordWrap(True)
        self.store_warning_label.setStyleSheet(
            "background:#5a1f1f; color:#ffd0d0; border:1px solid #a04040; border-radius:4px; padding:6px;"
        )
        self.store_warning_label.hide()
        outer.addWidget(self.store_warning_label)

        #: what the dock shows while nothing is under review (and no name is being asked)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("reviewEmpty")
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setContentsMargins(16, 24, 16, 24)
        outer.addWidget(self.empty_label)

        self.counter_label = QLabel("No reading under review")
        self.counter_label.setObjectName("undecidedCounter")
        self.counter_label.setWordWrap(True)
        self.counter_label.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.counter_label)

        self.reading_warnings_label = QLabel()
        self.reading_warnings_label.setObjectName("reviewReadingWarnings")
        self.reading_warnings_label.setWordWrap(True)
        self.reading_warnings_label.setTextFormat(Qt.TextFormat.RichText)
        self.reading_warnings_label.setStyleSheet(
            "background:#4a3b12; color:#ffdd88; border:1px solid #8a6d1f; border-radius:4px; padding:4px 6px;"
        )
        self.reading_warnings_label.hide()
        outer.addWidget(self.reading_warnings_label)
        self._reading_warnings: list[str] = []
        self._not_reviewed: str | None = None

        self.signoff_label = QLabel()
        self.signoff_label.setObjectName("signoffBanner")
        self.signoff_label.setWordWrap(True)
        self.signoff_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signoff_label.setStyleSheet(
            "background:#173d22; color:#c8f0d0; border:1px solid #2e8b3e; border-radius:4px; padding:6px;"
        )
        self.signoff_label.hide()
        outer.addWidget(self.signoff_label)
        #: a review open read-only: the study is claimed by someone else, or a read-only database role
        self.read_only_label = read_only_banner()
        outer.addWidget(self.read_only_label)
        #: the film has other stored reviews (a signed one is never hidden): Review > Stored reviews…
        self.other_reviews_label = QLabel()
        self.other_reviews_label.setObjectName("otherReviews")
        self.other_reviews_label.setWordWrap(True)
        self.other_reviews_label.setStyleSheet(
            "background:#1f3550; color:#cfe3ff; border:1px solid #3d6fa8; border-radius:4px; padding:4px 6px;"
        )
        self.other_reviews_label.hide()
        outer.addWidget(self.other_reviews_label)
        #: a sign-off whose hash does not match the content: shown instead of "Signed", in red
        self.signature_invalid_label = QLabel()
        self.signature_invalid_label.setObjectName("signatureInvalidBanner")
        self.signature_invalid_label.setWordWrap(True)
        self.signature_invalid_label.setTextFormat(Qt.TextFormat.RichText)
        self.signature_invalid_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signature_invalid_label.setStyleSheet(
            "background:#7a1010; color:#ffffff; border:2px solid #ff5252; border-radius:4px; padding:8px;"
            " font-weight:bold;"
        )
        self.signature_invalid_label.hide()
        outer.addWidget(self.signature_invalid_label)

        # reviewer's name (asked once, inline: never a modal prompt when a film opens) -------------------
        self.name_box = QGroupBox("Who is reviewing?")
        self.name_box.setObjectName("nameBox")
        nv = QVBoxLayout(self.name_box)
        name_hint = QLabel(
            "An AI draft is ready for review. Type your name once: it is recorded with every decision "
            "and with the sign-off, and remembered on this computer (Review > Reviewer name… changes it)."
        )
        name_hint.setWordWrap(True)
        name_hint.setStyleSheet("color:#a9b6c2;")
        nv.addWidget(name_hint)
        nb = QHBoxLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Your name, e.g. Dr A. Smith")
        self.name_edit.returnPressed.connect(self._give_name)
        self.name_button = QPushButton("Start reviewing")
        self.name_button.clicked.connect(self._give_name)
        nb.addWidget(self.name_edit, 1)
        nb.addWidget(self.name_button)
        nv.addLayout(nb)
        self.name_box.hide()
        outer.addWidget(self.name_box)

        self._build_read_first(outer)

        # findings ----------------------------------------------------------------------------------
        self.list_area = QScrollArea()
        self.list_area.setObjectName("findingsList")
        self.list_area.setWidgetResizable(True)
        self.list_area.setFrameShape(QFrame.Shape.NoFrame)
        # the findings list takes the keyboard focus: the review keys (A, R, E, N, P, D) act here
        self.list_area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.list_area.setStyleSheet(
            "QScrollArea#findingsList { border:1px solid transparent; }"
            " QScrollArea#findingsList:focus { border:1px solid #ffc857; }"
        )
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.setSpacing(2)
        self.list_area.setWidget(self._list)
        outer.addWidget(self.list_area, 1)

        self._build_decisions(outer)
        self._build_editor(outer)
        self._build_impression(outer)
        outer.addStretch(0)  # takes the room only while the findings list is hidden (nothing under review)

        selection.selection_changed.connect(self._on_selection)
        self.refresh()

    # ------------------------------------------------------------------------------------------------
    # default prompts (tests replace them)
    # ------------------------------------------------------------------------------------------------
    def _default_error(self, title: str, message: str) -> None:
        QMessageBox.warning(self, title, message)

    def _default_reason(self, finding_text: str) -> str | None:
        text, ok = QInputDialog.getText(
            self, "Reject finding", f"Reject “{finding_text}”.\nReason (optional):"
        )
        return text if ok else CANCELLED

    def _default_confirm(self, title: str, message: str) -> bool:
        return QMessageBox.question(self, title, message) == QMessageBox.StandardButton.Yes

    # ------------------------------------------------------------------------------------------------
    # session
    # ------------------------------------------------------------------------------------------------
    def set_session(self, session: ReviewSession | None, numbers: dict[str, tuple[int, str]] | None = None) -> None:
        """Review ``session`` (None: nothing under review).

        ``numbers`` maps finding ids to (sentence number, colour) so the panel matches the report
        and the film (default: :func:`~gazex_viewer.ui.style.finding_styles`); additions get the
        next numbers.
        """
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop_modes()
        self.session = session
        if session is None:
            self.other_reviews_label.hide()
        if numbers is None and session is not None:
            numbers = {fid: (st.number, st.colour) for fid, st in finding_styles(session.reading).items()}
        self._numbers = dict(numbers or {})
        if session is not None:
            self._unsubscribe = session.subscribe(self._on_event)
        self.impression_edit.setPlainText("" if session is None else (session.review.impression or ""))
        self.own_impression_edit.setPlainText(
            "" if session is None else (session.review.own_impression or "")
        )
        self.refresh()
        self.review_changed.emit()
        self.focus_list()

    def focus_list(self) -> None:
        """Give the keyboard focus back to the findings list (after a dialog or an inline edit)."""
        if self.session is not None and not self.list_area.isHidden():
            self.list_area.setFocus(Qt.FocusReason.OtherFocusReason)

    def ask_reviewer_name(self, on: bool = True) -> None:
        """Show (or hide) the box where the reviewer types their name before reviewing."""
        self.name_box.setVisible(on)
        if on:
            self._not_reviewed = None
            self.name_edit.setFocus()
        self._update_empty_state()

    def set_not_reviewed(self, kind: str | None) -> None:
        """Say that the reading shown (an expert's, a trainee's: ``kind``) is for study, not for review."""
        self._not_reviewed = kind
        self._update_empty_state()

    def set_reading_warnings(self, warnings: list[str]) -> None:
        """Warnings from reading the AI draft (e.g. a truncated report): a one-line notice above the list."""
        self._reading_warnings = list(warnings)
        self._update_empty_state()

    def _update_empty_state(self) -> None:
        s = self.session
        asking = not self.name_box.isHidden()
        if s is None and not asking and self._not_reviewed:
            kind = html.escape(self._not_reviewed.capitalize())
            self.empty_label.setText(
                f"<p style='font-size:12pt'><b>{kind} reading: shown for study, not reviewed</b></p>"
                "<p style='color:#a9b6c2'>Only AI drafts (and radiologists' own readings) are reviewed and signed "
                "here. Compare it with another reading in Teaching > Compare with reading (Ctrl+Shift+C).</p>"
            )
        else:
            self.empty_label.setText(EMPTY_TEXT)
        self.empty_label.setVisible(s is None and not asking)
        self.counter_label.setVisible(s is not None)
        w = self._reading_warnings
        show_w = bool(w) and s is not None and not s.ai_hidden
        if show_w:
            n = len(w)
            self.reading_warnings_label.setText(
                f"⚠ {n} warning{'s' if n != 1 else ''} from reading this draft: "
                + "; ".join(html.escape(x) for x in w[:2]) + ("; …" if n > 2 else "")
                + " <span style='color:#c8b070'>(Report tab)</span>"
            )
        self.reading_warnings_label.setVisible(show_w)

    def _give_name(self) -> None:
        name = self.name_edit.text().strip()
        if not name:
            self.status_message.emit("Type your name first")
            return
        self.name_box.hide()
        self.reviewer_given.emit(name)
        self.focus_list()

    def set_numbers(self, numbers: dict[str, tuple[int, str]]) -> None:
        """Update the (number, colour) of each finding, e.g. after a finding was added."""
        if numbers != self._numbers:
            self._numbers = dict(numbers)
            self._rebuild_rows()

    def set_other_reviews(self, text: str | None) -> None:
        """Show (or hide) the notice that the film has other stored reviews."""
        self.other_reviews_label.setText("" if not text else f"ⓘ {text}")
        self.other_reviews_label.setVisible(bool(text) and self.session is not None)

    def set_store_warning(self, message: str | None) -> None:
        """Show (or hide) a problem with the review database, e.g. a corrupt file set aside."""
        self._store_warning = message
        self._show_store_warning()

    def _show_store_warning(self) -> None:
        """The database warning, or first the changes not yet saved (disk full, read-only, locked)."""
        s = self.session
        message = getattr(self, "_store_warning", None)
        if not message and s is not None and s.store is not None and s.store.warning is not None:
            message = str(s.store.warning)  # e.g. the background integrity_check of a large database
        if s is not None and s.save_problem is not None:
            message = str(s.save_problem)
            if not self._retry_timer.isActive():
                self._retry_timer.start()
        elif self._retry_timer.isActive():
            self._retry_timer.stop()
        self.store_warning_label.setText("" if not message else f"⚠ {html.escape(message)}")
        self.store_warning_label.setVisible(bool(message))

    def _retry_unsaved(self) -> None:
        s = self.session
        if s is not None and s.unsaved:
            self._run("Cannot save", s.retry_pending)
        self._show_store_warning()

    def _on_event(self, _event: ReviewEvent) -> None:
        self.refresh()
        self.review_changed.emit()


    # ------------------------------------------------------------------------------------------------
    # queries
    # ------------------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        """A session is loaded, not signed, and its AI draft is visible."""
        s = self.session
        return s is not None and not s.is_frozen and not s.ai_hidden and not s.read_only

    def current_finding(self) -> str | None:
        """The selected finding when it belongs to the session under review."""
        s = self.session
        fid = self.selection.selected
        if s is None or fid is None or fid not in s.finding_ids:
            return None
        return fid

    def number_of(self, finding_id: str) -> tuple[int, str]:
        """(number, colour) of a finding: its sentence number, or the next numbers for additions."""
        if finding_id in self._numbers:
            return self._numbers[finding_id]
        s = self.session
        base = max((n for n, _ in self._numbers.values()), default=0)
        if s is not None:
            additions = [f.id for f in s.review.additions]
            if finding_id in additions:
                return base + 1 + additions.index(finding_id), STATE_STYLES["added"][1]
        return 0, "#888888"

    def counter_text(self) -> str:
        """The undecided counter's plain text."""
        return counter_text(self.session)

    # ------------------------------------------------------------------------------------------------
    # view
    # ------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw every part from the session."""
        s = self.session
        hidden = s is not None and s.ai_hidden
        signed = s is not None and s.is_signed
        self.read_first_box.setVisible(hidden)
        self.list_area.setVisible(s is not None and not hidden)
        own = None if s is None else s.review.own_impression
        self.own_impression_label.setVisible(bool(own) and not hidden)
        if own:
            self.own_impression_label.setText(f"<i>Your impression before the AI draft:</i> {html.escape(own)}")
        text = self.counter_text()
        if s is not None and s.signature_invalid:
            text = f"<span style='font-size:11pt; font-weight:bold; color:#ff5252'>{html.escape(text)}</span>"
        elif s is not None and not hidden and not signed:
            c = s.counts()
            colour = "#ffd54f" if c["undecided"] else "#81c784"
            text = f"<span style='font-size:11pt; font-weight:bold; color:{colour}'>{html.escape(text)}</span>"
        else:
            text = f"<span style='font-size:11pt; font-weight:bold'>{html.escape(text)}</span>"
        self.counter_label.setText(text)
        if signed:
            assert s is not None and s.signoff is not None
            self.signoff_label.setText(signed_banner_html(s.signoff) + countersigned_banner_html(s))
        self.signoff_label.setVisible(signed)
        read_only = None if s is None else s.read_only_reason
        self.read_only_label.setText(read_only_html(read_only) if read_only else "")
        self.read_only_label.setVisible(bool(read_only))
        invalid = s is not None and s.signature_invalid
        if invalid:
            assert s is not None
            self.signature_invalid_label.setText(signature_invalid_html(s))
        self.signature_invalid_label.setVisible(invalid)
        self._show_store_warning()
        self._update_empty_state()
        self._rebuild_rows()
        self._update_buttons()

    def _rebuild_rows(self) -> None:
        s = self.session
        ids = [] if s is None or s.ai_hidden else s.finding_ids
        if list(self.rows) != ids:
            for row in self.rows.values():
                row.hide()
                row.setParent(None)
                row.deleteLater()
            self.rows.clear()
            while self._list_layout.count():
                self._list_layout.takeAt(0)
            for fid in ids:
                row = FindingReviewRow(fid)
                row.clicked.connect(self.selection.select)
                self.rows[fid] = row
                self._list_layout.addWidget(row)
            self._list_layout.addStretch(1)
        if s is None:
            return
        unsaved = {e.finding_id for e in s.unsaved}
        for fid, row in self.rows.items():
            f = s.effective_finding(fid)
            status = s.status(fid)
            reason, original = decision_notes(s, fid)
            number, colour = self.number_of(fid)
            row.update_from(number, colour, f, status, reason, original, unsaved=fid in unsaved)
            row.set_selected(fid == self.selection.selected)

    def _update_buttons(self) -> None:
        s = self.session
        open_ = self.is_open
        fid = self.current_finding()
        model = s is not None and fid is not None and s.status(fid) != "added"
        self.accept_button.setEnabled(open_ and model)
        self.reject_button.setEnabled(open_ and fid is not None)
        self.edit_button.setEnabled(open_ and fid is not None)
        self.reset_button.setEnabled(
            open_ and model and s is not None and fid is not None and s.status(fid) != "undecided"
        )
        has_undecided = s is not None and bool(s.undecided()) and not s.ai_hidden
        self.next_button.setEnabled(has_undecided)
        self.prev_button.setEnabled(has_undecided)
        self.undo_button.setEnabled(s is not None and s.can_undo)
        self.redo_button.setEnabled(s is not None and s.can_redo)
        if s is not None and s.can_undo:
            self.undo_button.setToolTip(f"Undo {s.undo_text()} (Ctrl+Z)")
        self.add_button.setEnabled(open_)
        self.impression_edit.setReadOnly(not open_)
        frozen = s is not None and s.is_frozen
        self.sign_button.setEnabled(s is not None and not frozen and not s.read_only)
        self.sign_button.setText(
            "Signature invalid" if s is not None and s.signature_invalid
            else "Signed" if s is not None and s.is_signed else "Sign report…"
        )
        self.new_version_button.setVisible(s is not None and s.is_signed)
        # only what can be done now: no decision buttons on a signed (or tampered) or hidden draft
        self.actions_box.setVisible(s is not None and not s.ai_hidden and not frozen)
        for w in (self.impression_head, self.impression_edit, self.sign_button):
            w.setVisible(s is not None and not s.ai_hidden)

    def _on_selection(self, fid: str | None) -> None:
        for key, row in self.rows.items():
            row.set_selected(key == fid)
        if fid in self.rows:
            self.list_area.ensureWidgetVisible(self.rows[fid])
        if self.editing is not None and fid != self.editing:
            self.finish_edit()
        self._update_buttons()

    # ------------------------------------------------------------------------------------------------
    # doing things
    # ------------------------------------------------------------------------------------------------
    def _run(self, title: str, fn: Callable[_P, _R], *args: _P.args, **kw: _P.kwargs) -> _R | None:
        """Call a session method; a refused or failed change becomes a message, never a crash."""
        try:
            return fn(*args, **kw)
        except ReviewIncompleteError as err:
            self._error(title, str(err))
            if err.undecided:
                self.selection.select(err.undecided[0])
        except ReadingSignedError as err:
            self._error(title, str(err))
        except StaleWriteError as err:  # another station decided first: the session reloaded, the list shows theirs
            self._error("Changed at another station", str(err))
        except RETRYABLE as err:  # kept pending in the session: the banner says so; one message box, not one a click
            if self.session is not None and len(self.session.unsaved) > 1:
                self.status_message.emit(str(err))
                self._show_store_warning()
            else:
                self._error(title, str(err))
        except GazeXError as err:
            self._error(title, str(err))
        except Exception as err:  # a bug must not take the review down
            log.exception("review action failed")
            self._error(title, f"{err.__class__.__name__}: {err}")
        return None

    def _error(self, title: str, message: str) -> None:
        self.last_error = message
        self.status_message.emit(message)
        self.show_error(title, message)
