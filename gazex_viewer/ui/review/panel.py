"""The review panel: the radiologist's decisions on each finding, the impression and the sign-off.

A thin Qt view over a core :class:`~gazex_viewer.core.review.session.ReviewSession`. Every button calls one
session method; the session writes the change to the review database *before* it reports it, and the
panel refreshes from the session's events (``ReviewSession.subscribe``), so what is shown is always
what is stored. A failed write (disk full, locked database) is shown as a message and changes nothing.

The panel shares the window's :class:`~gazex_viewer.ui.common.SelectionModel`: the selected finding is
the one that Accept (A), Reject (R) and Edit (E) act on. Region editing and drawing happen on the film
(:mod:`gazex_viewer.ui.film.region_editor`); the panel asks for them with signals and takes the results
through :meth:`ReviewPanel.apply_region_edit` and :meth:`ReviewPanel.set_drawn_box`.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import (
    CHEXPERT_OBSERVATIONS,
    Box,
    Finding,
    Label,
    ReviewEvent,
)
from gazex_viewer.core.reading.report_display import display_sentence, local_time_text
from gazex_viewer.core.review.session import (
    ReadingSignedError,
    ReviewIncompleteError,
    ReviewSession,
)
from gazex_viewer.core.review.store_errors import RETRYABLE, StaleWriteError
from gazex_viewer.ui.common import SelectionModel, finding_styles
from gazex_viewer.ui.review.labels import (
    AddLabelSuggester,
    labels_for_new_words,
    show_label,
)
from gazex_viewer.ui.review.signing_key import ask_passphrase_dialog, obtain_signing_key
from gazex_viewer.ui.review.signoff import (
    confirm_signing,
    signed_banner_html,
    signed_message,
)

log = logging.getLogger(__name__)

#: how each review state is shown everywhere (badge text, badge colour, text colour on the badge)
STATE_STYLES: dict[str, tuple[str, str, str]] = {
    "undecided": ("? Undecided", "#e0b000", "#111111"),
    "accepted": ("✓ Accepted", "#2e8b3e", "#ffffff"),
    "rejected": ("✗ Rejected", "#c62828", "#ffffff"),
    "edited": ("✎ Edited", "#e07000", "#ffffff"),
    "added": ("+ Added", "#1e6fd0", "#ffffff"),
}
LABEL_STATUSES = ("positive", "negative", "uncertain")
#: the review tab before anything is under review
EMPTY_TEXT = (
    "<p style='font-size:13pt'><b>Nothing under review</b></p>"
    "<p style='color:#a9b6c2'>Run the model on a film (<b>F5</b>) or open a saved AI reading (<b>Ctrl+R</b>). "
    "Its findings are listed here to accept (<b>A</b>), edit (<b>E</b>) or reject (<b>R</b>); "
    "you add what it missed (<b>D</b>), write the impression and sign.</p>"
)
#: marker returned by a reason prompt that was cancelled (the rejection is abandoned)
CANCELLED = None


def state_badge(status: str) -> tuple[str, str, str]:
    """(text, background colour, text colour) of a finding state's badge."""
    return STATE_STYLES.get(status, (status, "#5d8fbf", "#ffffff"))


def decision_notes(session: ReviewSession, finding_id: str) -> tuple[str | None, str | None]:
    """(rejection reason, the AI's original text when edited) of a finding under review."""
    status = session.status(finding_id)
    if status not in ("rejected", "edited"):
        return None, None
    d = next((d for d in session.review.decisions if d.finding_id == finding_id), None)
    reason = d.reason if d is not None else None
    original = session.reading.finding(finding_id).text if status == "edited" else None
    return reason, original


def _labels_text(labels: list[Label]) -> str:
    return " · ".join(
        lab.observation + ("" if lab.status == "positive" else f" ({lab.status})") for lab in labels
    )


class FindingReviewRow(QFrame):
    """One finding in the review list: number, current text, label, state badge, reason."""

    clicked = Signal(str)

    def __init__(self, finding_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.finding_id = finding_id
        self.status = "undecided"
        self.selected = False
        self._shown: tuple[object, ...] | None = None
        self._styled: bool | None = None
        self.setObjectName("findingReviewRow")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(6)
        self.number_label = QLabel()
        self.number_label.setFixedWidth(26)
        self.number_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.number_label, 0, Qt.AlignmentFlag.AlignTop)
        col = QVBoxLayout()
        col.setSpacing(1)
        self.text_label = QLabel()
        self.text_label.setWordWrap(True)
        col.addWidget(self.text_label)
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        col.addWidget(self.detail_label)
        lay.addLayout(col, 1)
        self.badge = QLabel()
        self.badge.setObjectName("stateBadge")
        lay.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)

    def update_from(
        self, number: int, colour: str, finding: Finding, status: str, reason: str | None, original: str | None
    ) -> None:
        """Show the finding's current text and state (nothing is redrawn when nothing changed)."""
        key = (number, colour, repr(finding), status, reason, original)
        if key == self._shown:
            return
        self._shown = key
        self.status = status
        self.number_label.setText(str(number))
        self.number_label.setStyleSheet(
            f"background:{colour}; color:#111; border-radius:4px; font-weight:bold; padding:1px;"
        )
        text = display_sentence(finding.text) or "(finding without text)"
        if status == "rejected":
            self.text_label.setText(f"<s>{html.escape(text)}</s>")
            self.text_label.setStyleSheet("color:#9aa5b0;")
        else:
            self.text_label.setText(html.escape(text))
            self.text_label.setStyleSheet("")
        details: list[str] = []
        if finding.labels:
            details.append(html.escape(_labels_text(finding.labels)))
        if status == "rejected" and reason:
            details.append(f"reason: {html.escape(reason)}")
        if status == "edited" and original is not None and original != finding.text:
            details.append(f"AI wrote: “{html.escape(display_sentence(original))}”")
        if finding.observation is None and not finding.clues:
            details.append("no region")
        text_html = f"<span style='color:#8a96a3'>{' — '.join(details)}</span>" if details else ""
        if finding.warnings:
            text_html += ("<br>" if text_html else "") + "<br>".join(
                f"<span style='color:#ffcc66'>⚠ {html.escape(w)}</span>" for w in finding.warnings
            )
        self.detail_label.setText(text_html)
        self.detail_label.setVisible(bool(text_html))
        text_, bg, fg = state_badge(status)
        self.badge.setText(text_)
        self.badge.setStyleSheet(
            f"background:{bg}; color:{fg}; border-radius:3px; padding:1px 6px; font-weight:bold;"
        )
        self._restyle()

    def set_selected(self, selected: bool) -> None:
        self.selected = selected
        self._restyle()

    def _restyle(self) -> None:
        if self._styled == self.selected:
            return
        self._styled = self.selected
        bg = "#2d4a66" if self.selected else "transparent"
        edge = "1px solid #5d8fbf" if self.selected else "1px solid transparent"
        self.setStyleSheet(f"QFrame#findingReviewRow {{ background:{bg}; border:{edge}; border-radius:3px; }}")

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 (Qt name)
        if ev.button() == Qt.MouseButton.LeftButton:
            focus_scroll_area_of(self)
            self.clicked.emit(self.finding_id)
            ev.accept()
            return
        super().mousePressEvent(ev)


def focus_scroll_area_of(widget: QWidget) -> None:
    """Give the keyboard focus to the scroll area (findings list) that holds ``widget``."""
    p = widget.parentWidget()
    while p is not None and not isinstance(p, QScrollArea):
        p = p.parentWidget()
    if p is not None and p.focusPolicy() != Qt.FocusPolicy.NoFocus:
        p.setFocus(Qt.FocusReason.MouseFocusReason)


def _label_combo() -> QComboBox:
    combo = QComboBox()
    combo.addItem("(no label)", None)
    for obs in CHEXPERT_OBSERVATIONS:
        combo.addItem(obs, obs)
    return combo


def _status_combo() -> QComboBox:
    combo = QComboBox()
    for s in LABEL_STATUSES:
        combo.addItem(s, s)
    return combo


def _labels_from(label_combo: QComboBox, status_combo: QComboBox) -> list[Label]:
    obs = label_combo.currentData()
    if not obs:
        return []
    return [Label(str(obs), str(status_combo.currentData()))]  # type: ignore[arg-type]


class _FocusOut(QObject):
    """Calls ``callback`` when the watched widget loses the keyboard focus."""

    def __init__(self, callback: Callable[[], object], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802 (Qt name)
        if ev.type() == QEvent.Type.FocusOut:
            self._callback()
        return False


class _CtrlEnter(QObject):
    """Calls ``callback`` on Ctrl+Enter (or Ctrl+Return) in the watched widget, instead of a new line."""

    def __init__(self, callback: Callable[[], Any], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802 (Qt name)
        if ev.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            key = ev.key()  # type: ignore[attr-defined]
            ctrl = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]
            if ctrl and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                ev.accept()
                if ev.type() == QEvent.Type.KeyPress:
                    self._callback()
                return True
        return False


class ReviewPanel(QWidget):
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
        self.editing: str | None = None
        self.adding = False
        self.pending_box: Box | None = None
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

        # read first ------------------------------------------------------------------------------
        self.read_first_box = QGroupBox("Read first: your impression before the AI draft")
        rf = QVBoxLayout(self.read_first_box)
        hint = QLabel("The AI draft and its regions stay hidden until you have written your own impression.")
        hint.setWordWrap(True)
        rf.addWidget(hint)
        self.own_impression_edit = QPlainTextEdit()
        self.own_impression_edit.setPlaceholderText("Your impression of this film… (Ctrl+Enter: save it and show the AI draft)")
        self.own_impression_edit.setMinimumHeight(70)
        rf.addWidget(self.own_impression_edit)
        self.reveal_button = QPushButton("Save my impression and show the AI draft")
        self.reveal_button.setToolTip("Ctrl+Enter in your impression does the same")
        self.reveal_button.clicked.connect(self.reveal_ai)
        self.own_impression_edit.installEventFilter(_CtrlEnter(self.reveal_ai, self))
        self.own_impression_edit.setToolTip("Ctrl+Enter: save your impression and show the AI draft")
        rf.addWidget(self.reveal_button)
        outer.addWidget(self.read_first_box)
        self.own_impression_label = QLabel()
        self.own_impression_label.setWordWrap(True)
        self.own_impression_label.setStyleSheet("color:#b8c4d0; padding:2px 4px;")
        self.own_impression_label.hide()
        outer.addWidget(self.own_impression_label)

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

        # actions on the selected finding -----------------------------------------------------------
        self.actions_box = QWidget()
        grid = QGridLayout(self.actions_box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(4)
        self.accept_button = QPushButton("✓ Accept (A)")
        self.reject_button = QPushButton("✗ Reject (R)")
        self.edit_button = QPushButton("✎ Edit (E)")
        self.reset_button = QPushButton("Undecide")
        self.prev_button = QPushButton("◀ Previous undecided (P)")
        self.next_button = QPushButton("Next undecided (N) ▶")
        self.undo_button = QPushButton("↶ Undo")
        self.redo_button = QPushButton("↷ Redo")
        self.add_button = QPushButton("+ Add missed finding (D)")
        self.accept_button.setToolTip("Accept the selected finding as written (A)")
        self.reject_button.setToolTip("Reject the selected finding, with an optional reason (R)")
        self.edit_button.setToolTip("Edit the selected finding's text, label and boxes (E)")
        self.reset_button.setToolTip("Take back the decision on the selected finding")
        self.undo_button.setToolTip("Undo the last change (Ctrl+Z)")
        self.redo_button.setToolTip("Redo (Ctrl+Shift+Z)")
        self.add_button.setToolTip("Add a finding the AI missed: draw its box on the film, type its sentence (D)")
        self.accept_button.setStyleSheet("QPushButton:enabled { border-color:#2e8b3e; }")
        self.reject_button.setStyleSheet("QPushButton:enabled { border-color:#c62828; }")
        self.accept_button.clicked.connect(lambda: self.accept_current())
        self.reject_button.clicked.connect(lambda: self.reject_current())
        self.edit_button.clicked.connect(lambda: self.start_edit())
        self.reset_button.clicked.connect(lambda: self.reset_current())
        self.prev_button.clicked.connect(lambda: self.previous_undecided())
        self.next_button.clicked.connect(lambda: self.next_undecided())
        self.undo_button.clicked.connect(lambda: self.undo())
        self.redo_button.clicked.connect(lambda: self.redo())
        self.add_button.clicked.connect(lambda: self.start_add())
        # 12 columns: decisions and undo/redo/undecide in thirds, navigation in halves, add on its own row
        for col, b in enumerate((self.accept_button, self.reject_button, self.edit_button)):
            grid.addWidget(b, 0, 4 * col, 1, 4)
        grid.addWidget(self.prev_button, 1, 0, 1, 6)
        grid.addWidget(self.next_button, 1, 6, 1, 6)
        grid.addWidget(self.undo_button, 2, 0, 1, 4)
        grid.addWidget(self.redo_button, 2, 4, 1, 4)
        grid.addWidget(self.reset_button, 2, 8, 1, 4)
        grid.addWidget(self.add_button, 3, 0, 1, 12)
        for c in range(12):
            grid.setColumnStretch(c, 1)
        for b in self.actions_box.findChildren(QPushButton):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setMinimumWidth(0)
        outer.addWidget(self.actions_box)

        # edit area -------------------------------------------------------------------------------
        self.edit_box = QGroupBox("Edit finding")
        ev = QVBoxLayout(self.edit_box)
        self.edit_text = QLineEdit()
        self.edit_text.setPlaceholderText("Finding sentence")
        self.edit_text.returnPressed.connect(self._edit_return)
        ev.addWidget(self.edit_text)
        lr = QHBoxLayout()
        self.edit_label = _label_combo()
        self.edit_status = _status_combo()
        lr.addWidget(self.edit_label, 1)
        lr.addWidget(self.edit_status)
        ev.addLayout(lr)
        self.edit_hint = QLabel("Drag or resize the finding's boxes on the film; each change is saved at once.")
        self.edit_hint.setWordWrap(True)
        self.edit_hint.setStyleSheet("color:#8a96a3;")
        ev.addWidget(self.edit_hint)
        br = QHBoxLayout()
        self.apply_edit_button = QPushButton("Save text and label")
        self.apply_edit_button.clicked.connect(self.apply_edit)
        self.done_edit_button = QPushButton("Done")
        self.done_edit_button.clicked.connect(self.finish_edit)
        br.addWidget(self.apply_edit_button)
        br.addWidget(self.done_edit_button)
        ev.addLayout(br)
        self.edit_box.hide()
        outer.addWidget(self.edit_box)

        # add area --------------------------------------------------------------------------------
        self.add_box = QGroupBox("Add a missed finding")
        av = QVBoxLayout(self.add_box)
        self.add_hint = QLabel()
        self.add_hint.setWordWrap(True)
        av.addWidget(self.add_hint)
        self.add_text = QLineEdit()
        self.add_text.setPlaceholderText("Type the sentence, e.g. 'small left pleural effusion'")
        self.add_text.returnPressed.connect(self.commit_add)
        av.addWidget(self.add_text)
        al = QHBoxLayout()
        self.add_label = _label_combo()
        self.add_status = _status_combo()
        # the label follows the typed words until the reviewer picks one by hand
        self.add_labels = AddLabelSuggester(self.add_text, self.add_label, self.add_status)
        al.addWidget(self.add_label, 1)
        al.addWidget(self.add_status)
        av.addLayout(al)
        ab = QHBoxLayout()
        self.commit_add_button = QPushButton("Add finding")
        self.commit_add_button.clicked.connect(self.commit_add)
        self.cancel_add_button = QPushButton("Cancel")
        self.cancel_add_button.clicked.connect(self.cancel_add)
        ab.addWidget(self.commit_add_button)
        ab.addWidget(self.cancel_add_button)
        av.addLayout(ab)
        self.add_box.hide()
        outer.addWidget(self.add_box)

        # impression and sign-off -------------------------------------------------------------------
        self.impression_head = QLabel("<b>Impression</b>")
        outer.addWidget(self.impression_head)
        self.impression_edit = QPlainTextEdit()
        self.impression_edit.setObjectName("impressionEdit")
        self.impression_edit.setPlaceholderText("Impression (saved when you leave the box)")
        self.impression_edit.setMaximumHeight(80)
        self.impression_edit.installEventFilter(_FocusOut(self.save_impression, self))
        outer.addWidget(self.impression_edit)
        sr = QHBoxLayout()
        self.sign_button = QPushButton("Sign report…")
        self.sign_button.setObjectName("signButton")
        self.sign_button.setStyleSheet(
            "QPushButton#signButton:enabled { background:#2e6b3e; border-color:#4caf50; font-weight:bold; }"
        )
        self.sign_button.clicked.connect(lambda: self.sign())
        self.new_version_button = QPushButton("Change (new version)…")
        self.new_version_button.clicked.connect(lambda: self.new_version())
        sr.addWidget(self.sign_button, 1)
        sr.addWidget(self.new_version_button)
        outer.addLayout(sr)
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
        and the film (default: :func:`~gazex_viewer.ui.common.finding_styles`); additions get the
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

    def _stop_modes(self) -> None:
        if self.editing is not None:
            self.editing = None
            self.edit_box.hide()
            self.region_editing_changed.emit(None)
        if self.adding:
            self.adding = False
            self.pending_box = None
            self.add_box.hide()
            self.drawing_changed.emit(False)

    # ------------------------------------------------------------------------------------------------
    # queries
    # ------------------------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        """A session is loaded, not signed, and its AI draft is visible."""
        s = self.session
        return s is not None and not s.is_frozen and not s.ai_hidden

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
        s = self.session
        if s is None:
            return "No reading under review"
        if s.signature_invalid:
            if s.signature_state == "legacy":
                return "Not signed: only a legacy content hash, which does not prove who signed"
            return "Signature invalid: this reading was changed after signing"
        c = s.counts()
        n_model = len(s.finding_ids) - c["added"]
        if s.ai_hidden:
            return f"Read first: {n_model} AI finding(s) hidden until you write your impression"
        head = (
            f"{c['undecided']} of {n_model} AI finding(s) undecided"
            if c["undecided"]
            else f"All {n_model} AI finding(s) decided"
        )
        parts = [f"{c[k]} {k}" for k in ("accepted", "edited", "rejected", "added") if c[k]]
        return head + (" · " + ", ".join(parts) if parts else "")

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
            self.signoff_label.setText(signed_banner_html(s.signoff))
        self.signoff_label.setVisible(signed)
        invalid = s is not None and s.signature_invalid
        if invalid:
            assert s is not None and s.review.signoff is not None
            so = s.review.signoff
            self.signature_invalid_label.setText(
                "<span style='font-size:12pt'>⚠ SIGNATURE INVALID — not a signed report</span><br>"
                f"<span style='font-weight:normal'>This reading claims a sign-off by {html.escape(so.reviewer)} "
                f"at {html.escape(local_time_text(so.at))}, but {html.escape(s.signature_problem or 'it does not verify')}. "
                "Do not rely on it: it cannot be exported, changed or signed. Open the "
                "genuine review (Review &gt; Stored reviews of this film…) or review a new AI draft.</span>"
            )
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
        for fid, row in self.rows.items():
            f = s.effective_finding(fid)
            status = s.status(fid)
            reason, original = decision_notes(s, fid)
            number, colour = self.number_of(fid)
            row.update_from(number, colour, f, status, reason, original)
            row.set_selected(fid == self.selection.selected)

    def _update_buttons(self) -> None:
        s = self.session
        open_ = self.is_open
        fid = self.current_finding()
        model = s is not None and fid is not None and s.status(fid) != "added"
        self.accept_button.setEnabled(open_ and model)
        self.reject_button.setEnabled(open_ and fid is not None)
        self.edit_button.setEnabled(open_ and fid is not None)
        self.reset_button.setEnabled(open_ and model and s is not None and s.status(fid) != "undecided")  # type: ignore[arg-type]
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
        self.sign_button.setEnabled(s is not None and not frozen)
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
    def _run(self, title: str, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
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

    def _need_finding(self) -> str | None:
        if self.session is None:
            self.status_message.emit("No reading under review")
            return None
        if self.session.ai_hidden:
            self.status_message.emit("Read first: write your impression before deciding on AI findings")
            return None
        fid = self.current_finding()
        if fid is None:
            self.status_message.emit("Select a finding first (N = next undecided)")
        return fid

    def _advance_from(self, fid: str) -> None:
        s = self.session
        if s is None:
            return
        nxt = s.next_undecided(fid)
        if nxt is not None:
            self.selection.select(nxt)

    def accept_current(self) -> bool:
        """Accept the selected finding (A), then go to the next undecided one."""
        fid = self._need_finding()
        if fid is None or self.session is None:
            return False
        if self.session.status(fid) == "added":
            self.status_message.emit("An added finding is already part of the report")
            return False
        before = len(self.session.review.events)
        self._run("Cannot accept", self.session.accept, fid)
        ok = self.session.status(fid) in ("accepted", "edited")
        if ok and len(self.session.review.events) > before:
            # never silent: what was accepted, and how to take it back
            text = display_sentence(self.session.effective_finding(fid).text)
            self.status_message.emit(f"Accepted finding {self.number_of(fid)[0]}: {text} (Ctrl+Z undoes)")
            self._advance_from(fid)
        return ok

    def reject_current(self, reason: str | None | object = ...) -> bool:
        """Reject the selected finding (R), asking for an optional reason; an added one is removed."""
        fid = self._need_finding()
        if fid is None or self.session is None:
            return False
        s = self.session
        if s.status(fid) == "added":
            ok = self.confirm("Remove added finding", f"Remove “{display_sentence(s.effective_finding(fid).text)}”?")
            self.focus_list()
            if not ok:
                return False
            self._run("Cannot remove", s.remove_finding, fid)
            removed = fid not in s.finding_ids
            if removed:
                self.selection.select(None)
            return removed
        if reason is ...:
            reason = self.ask_reason(display_sentence(s.effective_finding(fid).text))
            self.focus_list()
            if reason is CANCELLED:
                return False
        self._run("Cannot reject", s.reject, fid, reason)  # type: ignore[arg-type]
        ok = s.status(fid) == "rejected"
        if ok:
            self._advance_from(fid)
        return ok

    def reset_current(self) -> bool:
        """Return the selected model finding to undecided."""
        fid = self._need_finding()
        if fid is None or self.session is None:
            return False
        self._run("Cannot undecide", self.session.reset, fid)
        return self.session.status(fid) == "undecided"

    def next_undecided(self) -> str | None:
        """Select the next undecided finding (N)."""
        s = self.session
        if s is None or s.ai_hidden:
            return None
        fid = s.next_undecided(self.current_finding())
        if fid is None:
            self.status_message.emit("No undecided findings left")
        else:
            self.selection.select(fid)
        return fid

    def previous_undecided(self) -> str | None:
        """Select the previous undecided finding (P)."""
        s = self.session
        if s is None or s.ai_hidden:
            return None
        fid = s.previous_undecided(self.current_finding())
        if fid is None:
            self.status_message.emit("No undecided findings left")
        else:
            self.selection.select(fid)
        return fid

    def undo(self) -> bool:
        """Undo the last change (Ctrl+Z)."""
        s = self.session
        if s is None or not s.can_undo:
            self.status_message.emit("Nothing to undo")
            return False
        what = s.undo_text()
        done = self._run("Cannot undo", s.undo) is not None
        if done:
            self.status_message.emit(f"Undone: {what}")
        return done

    def redo(self) -> bool:
        """Redo the last undone change (Ctrl+Shift+Z)."""
        s = self.session
        if s is None or not s.can_redo:
            self.status_message.emit("Nothing to redo")
            return False
        return self._run("Cannot redo", s.redo) is not None

    # -- edit ----------------------------------------------------------------------------------------------
    def start_edit(self, finding_id: str | None = None) -> bool:
        """Edit a finding (E): its text and label here, its regions on the film."""
        fid = finding_id or self._need_finding()
        if fid is None or self.session is None or not self.is_open:
            return False
        if self.adding:
            self.cancel_add()
        f = self.session.effective_finding(fid)
        self.editing = fid
        self.edit_text.setText(f.text)
        lab = f.labels[0] if f.labels else None
        i = self.edit_label.findData(lab.observation if lab else None)
        self.edit_label.setCurrentIndex(max(i, 0))
        self.edit_status.setCurrentIndex(max(self.edit_status.findData(lab.status if lab else "positive"), 0))
        number, _ = self.number_of(fid)
        self.edit_box.setTitle(f"Edit finding {number}")
        self.edit_box.show()
        self.edit_text.setFocus()
        self.edit_text.selectAll()
        self.region_editing_changed.emit(fid)
        return True

    def apply_edit(self) -> bool:
        """Save the edit area's text and label (only when they changed)."""
        s = self.session
        fid = self.editing
        if s is None or fid is None:
            return False
        current = s.effective_finding(fid)
        text = self.edit_text.text().strip()
        labels = _labels_from(self.edit_label, self.edit_status)
        kw: dict[str, Any] = {}
        if text != current.text:
            kw["text"] = text
        first = current.labels[:1]
        if [lab.to_dict() for lab in labels] != [lab.to_dict() for lab in first]:
            # the reviewer picked a label in the edit area: theirs wins
            kw["labels"] = labels + current.labels[1:] if labels else current.labels[1:]
        elif "text" in kw and text:
            new_labels = labels_for_new_words(s, fid, current, text, self.confirm)
            if new_labels is not None:
                kw["labels"] = new_labels
        if not kw:
            return False
        done = self._run("Cannot edit", s.edit, fid, **kw) is not None
        if done and self.editing == fid:
            show_label(self.edit_label, self.edit_status, s.effective_finding(fid).labels)
        return done

    def _edit_return(self) -> None:
        """Return in the edit line: save, then the keys are review keys again (focus on the list)."""
        self.apply_edit()
        self.focus_list()

    def finish_edit(self) -> None:
        """Close the edit area (saving a changed text or label first)."""
        if self.editing is None:
            return
        if self.session is not None and not self.session.is_frozen:
            self.apply_edit()
        self.focus_list()  # before the box hides, or Qt would pass the focus on to the impression
        self.editing = None
        self.edit_box.hide()
        self.region_editing_changed.emit(None)

    def apply_region_edit(self, finding_id: str, kind: str, index: int, box: Box) -> bool:
        """Record a region moved or resized on the film (one call per finished drag)."""
        s = self.session
        if s is None:
            return False
        f = s.effective_finding(finding_id)
        if kind == "observation":
            return self._run("Cannot edit region", s.edit, finding_id, observation=box) is not None
        clues = list(f.clues)
        if not 0 <= index < len(clues):
            return False
        clues[index] = box
        return self._run("Cannot edit region", s.edit, finding_id, clues=clues) is not None

    # -- add -----------------------------------------------------------------------------------------------
    def start_add(self) -> bool:
        """Add a missed finding: draw its box on the film, type its sentence."""
        if not self.is_open:
            self.status_message.emit("Open an unsigned reading to add a finding")
            return False
        if self.editing is not None:
            self.finish_edit()
        self.adding = True
        self.pending_box = None
        self.add_text.clear()
        self.add_labels.reset()
        self._update_add_hint()
        self.add_box.show()
        self.add_text.setFocus()
        self.drawing_changed.emit(True)
        return True

    def _update_add_hint(self) -> None:
        if self.pending_box is None:
            self.add_hint.setText("Drag a box on the film around the finding, then type its sentence.")
        else:
            b = self.pending_box
            self.add_hint.setText(
                f"Region drawn: x {b.x_min:.0f}–{b.x_max:.0f}, y {b.y_min:.0f}–{b.y_max:.0f} "
                "(drag again to redraw). Now type the sentence."
            )

    def set_drawn_box(self, box: Box) -> None:
        """Take the box drawn on the film for the finding being added."""
        if not self.adding:
            return
        self.pending_box = box
        self._update_add_hint()
        self.add_text.setFocus()

    def commit_add(self) -> str | None:
        """Add the finding with the typed sentence and the drawn box; returns its id."""
        s = self.session
        if s is None or not self.adding:
            return None
        text = self.add_text.text().strip()
        if not text:
            self._error("Cannot add finding", "Type the finding's sentence first")
            return None
        labels = self.add_labels.labels(text, lambda: _labels_from(self.add_label, self.add_status))
        fid = self._run("Cannot add finding", s.add_finding, text, self.pending_box, labels)
        if fid is None:
            return None
        self.focus_list()  # before the box hides, or Qt would pass the focus on to the impression
        self.adding = False
        self.pending_box = None
        self.add_box.hide()
        self.drawing_changed.emit(False)
        self.selection.select(fid)
        return str(fid)

    def cancel_add(self) -> None:
        """Abandon the finding being added."""
        if not self.adding:
            return
        self.focus_list()
        self.adding = False
        self.pending_box = None
        self.add_box.hide()
        self.drawing_changed.emit(False)

    # -- impressions -----------------------------------------------------------------------------------------
    def save_impression(self) -> bool:
        """Record the impression box's text when it changed."""
        s = self.session
        if s is None or s.is_frozen or s.ai_hidden:
            return False
        text = self.impression_edit.toPlainText().strip() or None
        if text == (s.review.impression or None):
            return False
        return self._run("Cannot save the impression", s.set_impression, text) is not None

    def reveal_ai(self) -> bool:
        """Read-first mode: save the radiologist's own impression, which reveals the AI draft."""
        s = self.session
        if s is None:
            return False
        text = self.own_impression_edit.toPlainText().strip()
        if not text:
            self._error("Write your impression first", "Write or dictate your own impression before the AI draft is shown.")
            return False
        self._run("Cannot save your impression", s.set_own_impression, text)
        if not s.ai_hidden:
            self.focus_list()
        return not s.ai_hidden

    # -- sign-off ----------------------------------------------------------------------------------------------
    def sign(self, reviewer: str | None = None) -> bool:
        """Sign the reading (refused while a finding is undecided); asks for confirmation first."""
        s = self.session
        if s is None:
            return False
        if s.signature_invalid:
            self._error("Cannot sign", s.signature_problem or "the sign-off of this reading is invalid")
            return False
        self.save_impression()
        if self.editing is not None:
            self.finish_edit()
        if self.adding:
            self.cancel_add()
        pending = s.undecided()
        if pending:
            n = len(pending)
            self._error(
                "Cannot sign yet",
                f"{n} finding{'s are' if n != 1 else ' is'} still undecided "
                f"(finding{'s' if n != 1 else ''} {', '.join(str(self.number_of(f)[0]) for f in pending)}). "
                "Accept, edit or reject every AI finding before signing.",
            )
            self.selection.select(pending[0])
            return False
        who = (reviewer or s.reviewer).strip()
        ok, account, no_impression = confirm_signing(s, who, self.confirm)
        if not ok:
            if no_impression:  # the reviewer chose to write the impression first
                self.impression_edit.setFocus()
            else:
                self.focus_list()
            return False
        key = obtain_signing_key(who, s.store, self.ask_passphrase, self._error)
        if key is None:
            self.focus_list()
            return False
        signoff = self._run("Cannot sign", s.sign, who, key=key, account=account)
        self.focus_list()
        if signoff is None:
            return False
        self.refresh()
        self.status_message.emit(signed_message(signoff))
        self.signed_off.emit(s.reading)
        return True

    def new_version(self) -> ReviewSession | None:
        """Start a new version of a signed reading (the signed one stays as it is)."""
        s = self.session
        if s is None or not s.is_signed:
            return None
        if not self.confirm(
            "Change a signed report",
            "This report is signed. Start a new version linked to it? The signed version is kept unchanged.",
        ):
            return None
        new = self._run("Cannot start a new version", s.new_version)
        if new is None:
            return None
        self.set_session(new, self._numbers)
        self.session_replaced.emit(new)
        self.status_message.emit("New version started; the signed version is kept")
        return new  # type: ignore[no-any-return]
