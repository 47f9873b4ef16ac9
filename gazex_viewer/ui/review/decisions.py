"""The review panel's decisions on the selected finding: the buttons, and the commands behind them and the keys.

Owns :class:`FindingDecisions`, the part of :class:`~gazex_viewer.ui.review.panel.ReviewPanel` that builds the
decision buttons (accept, reject, edit, undecide, previous/next undecided, undo, redo, add) and runs the commands
on the selected finding: :meth:`~FindingDecisions.accept_current` (A), :meth:`~FindingDecisions.reject_current` (R,
with an optional reason; an added finding is removed), :meth:`~FindingDecisions.reset_current`,
:meth:`~FindingDecisions.next_undecided` (N), :meth:`~FindingDecisions.previous_undecided` (P),
:meth:`~FindingDecisions.undo` and :meth:`~FindingDecisions.redo`. A decision moves on to the next undecided
finding; each is one session method run through the panel's ``_run`` (a refusal is a message, never a crash).
"""

from __future__ import annotations

from collections.abc import Callable
from types import EllipsisType
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QPushButton, QVBoxLayout, QWidget

from gazex_viewer.core.reading.report_display import display_sentence

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from gazex_viewer.core.review.session import ReviewSession
    from gazex_viewer.ui.selection import SelectionModel

__all__ = ["CANCELLED", "FindingDecisions"]

#: marker returned by a reason prompt that was cancelled (the rejection is abandoned)
CANCELLED = None


#: the arguments and result of a session method run by ``_run``
_P = ParamSpec("_P")
_R = TypeVar("_R")


class FindingDecisions:
    """The decision buttons and commands of the review panel (a part of :class:`ReviewPanel`, mixed in)."""

    if TYPE_CHECKING:  # provided by ReviewPanel
        session: ReviewSession | None
        selection: SelectionModel
        status_message: SignalInstance
        confirm: Callable[[str, str], bool]
        ask_reason: Callable[[str], str | None]

        def _run(self, title: str, fn: Callable[_P, _R], *args: _P.args, **kw: _P.kwargs) -> _R | None: ...
        def focus_list(self) -> None: ...
        def number_of(self, finding_id: str) -> tuple[int, str]: ...
        def current_finding(self) -> str | None: ...
        def start_edit(self, finding_id: str | None = None) -> bool: ...
        def start_add(self) -> bool: ...

    def _build_decisions(self, outer: QVBoxLayout) -> None:
        """Build the grid of decision buttons (no keyboard focus: the keys belong to the findings list)."""

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

    def reject_current(self, reason: str | None | EllipsisType = ...) -> bool:
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
        if isinstance(reason, EllipsisType):  # not given: ask (None from the dialog is Cancel)
            reason = self.ask_reason(display_sentence(s.effective_finding(fid).text))
            self.focus_list()
            if reason is CANCELLED:
                return False
        self._run("Cannot reject", s.reject, fid, reason)
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
