"""The review's undo/redo history: two stacks of changes, rebuilt from the event log at load.

:class:`UndoHistory` is the part of :class:`~gazex_viewer.core.review.session.ReviewSession` that keeps what
:meth:`~gazex_viewer.core.review.session.ReviewSession.undo` and ``redo`` would do. Undo and redo are themselves
events (``undo:<action>``, ``redo:<action>``), so replaying the log gives the same stacks after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gazex_viewer.core.reading.document import ReviewEvent
from gazex_viewer.core.review.reviewed import ReviewedState, Slot

#: actions that change a slot and can be undone
UNDOABLE_ACTIONS: frozenset[str] = frozenset(
    {"accept", "reject", "edit", "reset", "add", "remove", "impression", "own_impression", "measure", "unmeasure"}
)
#: actions recorded for the audit trail only
OTHER_ACTIONS: frozenset[str] = frozenset({"open", "sign", "countersign", "new_version"})


@dataclass(frozen=True)
class Change:
    """One undoable change of a slot: the action, which slot, its value before and after."""

    action: str
    slot: Slot
    finding_id: str | None
    before: Any
    after: Any


class UndoHistory(ReviewedState):
    """The undo and redo stacks (``_undo``, ``_redo``) of a session, over its reviewed state."""

    _undo: list[Change]
    _redo: list[Change]

    @property
    def is_frozen(self) -> bool:  # the session's integrity says (it comes first in the session's bases)
        raise NotImplementedError

    @property
    def can_undo(self) -> bool:
        return bool(self._undo) and not self.is_frozen

    @property
    def can_redo(self) -> bool:
        return bool(self._redo) and not self.is_frozen

    def undo_text(self) -> str | None:
        """A short description of what :meth:`undo` would revert ("accept f-1"), or None."""
        if not self.can_undo:
            return None
        c = self._undo[-1]
        return c.action if c.finding_id is None else f"{c.action} {c.finding_id}"

    def _push(self, change: Change) -> None:
        """Update the stacks for a change just recorded (an undo moves one to redo, a redo back, a new one clears redo)."""
        if change.action.startswith("undo:"):
            self._redo.append(self._undo.pop())
        elif change.action.startswith("redo:"):
            self._undo.append(self._redo.pop())
        else:
            self._undo.append(change)
            self._redo.clear()

    def _replay(self, events: Iterable[ReviewEvent]) -> None:
        """Rebuild the undo/redo stacks from the recorded events (state itself is stored)."""
        events = list(events)
        for ev in events:
            if ev.action in ("add", "measure") and ev.finding_id is not None:
                self._rank(ev.finding_id)
        for f in self.review.additions:
            self._rank(f.id)
        for m in self.review.measurements:
            self._rank(m.id)
        for ev in events:
            if ev.action.startswith("undo:"):
                if self._undo:
                    self._redo.append(self._undo.pop())
            elif ev.action.startswith("redo:"):
                if self._redo:
                    self._undo.append(self._redo.pop())
            elif ev.action in UNDOABLE_ACTIONS:
                slot = self._slot_of(ev.action, ev.finding_id)
                self._undo.append(Change(ev.action, slot, ev.finding_id, ev.before, ev.after))
                self._redo.clear()
