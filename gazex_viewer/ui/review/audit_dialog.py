"""Review > Audit log: every recorded review event of a study, oldest first.

The rows come from :meth:`ReviewStore.events_for_study` (every version of every reading of the
study or image); :func:`describe_event` turns one event into the words a radiologist reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.reading.measurements import Measurement
from gazex_viewer.core.review.store import AuditEntry

COLUMNS = ("Time", "Reviewer", "Version", "Action", "Finding", "Change")

_ACTION_WORDS = {
    "open": "Opened",
    "accept": "Accepted",
    "reject": "Rejected",
    "edit": "Edited",
    "reset": "Set back to undecided",
    "add": "Added finding",
    "remove": "Removed added finding",
    "impression": "Impression",
    "own_impression": "Own impression (read first)",
    "measure": "Measured",
    "unmeasure": "Deleted measurement",
    "sign": "Signed",
    "countersign": "Countersigned (attending)",
    "new_version": "New version",
}


def action_words(action: str) -> str:
    """'undo:accept' -> 'Undid: Accepted'."""
    if action.startswith("undo:"):
        return "Undid: " + _ACTION_WORDS.get(action[5:], action[5:])
    if action.startswith("redo:"):
        return "Redid: " + _ACTION_WORDS.get(action[5:], action[5:])
    return _ACTION_WORDS.get(action, action)


def local_time(iso: str) -> str:
    """An ISO 8601 UTC time as local 'YYYY-MM-DD HH:MM:SS'."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return iso


def _short(text: Any, n: int = 60) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= n else s[: n - 1] + "…"


def _finding_of(value: Any, original: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The finding a slot value stands for: an added finding, a decision's edit, or the original."""
    if not isinstance(value, dict):
        return None
    if "edited" in value:  # a decision: its edit, else the model's finding as written
        ed = value.get("edited")
        return ed if isinstance(ed, dict) else original
    return value


def _finding_text(value: Any, original: dict[str, Any] | None = None) -> str | None:
    f = _finding_of(value, original)
    return None if f is None else f.get("text")


def _box_of(value: Any, original: dict[str, Any] | None = None) -> Any:
    f = _finding_of(value, original)
    if f is None:
        return None
    return (f.get("observation"), f.get("clues"), f.get("labels"))


def describe_change(action: str, before: Any, after: Any, original: dict[str, Any] | None = None) -> str:
    """What an event changed, in one line (``original``: the model's finding dict, for edits)."""
    base = action.split(":", 1)[1] if ":" in action else action
    if base in ("sign", "countersign"):
        if isinstance(after, dict):
            return f"content SHA-256 {str(after.get('content_sha256', ''))[:16]}…"
        return ""
    if base == "new_version":
        return f"{before} → {after}"
    if base in ("impression", "own_impression"):
        return f"“{_short(before)}” → “{_short(after)}”" if before else f"“{_short(after)}”"
    if base in ("measure", "unmeasure"):
        value = after if isinstance(after, dict) else before
        try:
            return Measurement.from_dict(value).text if isinstance(value, dict) else ""
        except (KeyError, TypeError, ValueError):
            return ""
    if base in ("add", "remove"):
        value = after if base == "add" and not action.startswith("undo:") else before
        text = _finding_text(value) or _finding_text(after) or _finding_text(before)
        return f"“{_short(text)}”" if text else ""
    parts: list[str] = []
    if isinstance(after, dict) and "status" in after:
        b_status = before.get("status") if isinstance(before, dict) else None
        if b_status != after.get("status"):
            parts.append(f"{b_status} → {after.get('status')}")
        if after.get("reason"):
            parts.append(f"reason: {_short(after.get('reason'))}")
    t_before, t_after = _finding_text(before, original), _finding_text(after, original)
    if t_after is not None and t_before is not None and t_before != t_after:
        parts.append(f"text “{_short(t_before, 40)}” → “{_short(t_after, 40)}”")
    elif t_after is not None and t_before is None and base == "edit":
        parts.append(f"text “{_short(t_after, 40)}”")
    bb, ba = _box_of(before, original), _box_of(after, original)
    if bb is not None and ba is not None:
        if bb[0] != ba[0] or bb[1] != ba[1]:
            parts.append("regions changed")
        if bb[2] != ba[2]:
            parts.append("label changed")
    return "; ".join(parts)


def describe_event(
    entry: AuditEntry,
    versions: dict[str, int],
    finding_name: Callable[[str], str] | None = None,
    originals: Mapping[str, dict[str, Any]] | None = None,
) -> tuple[str, ...]:
    """One table row: time, reviewer, version, action, finding, change.

    ``originals`` maps model finding ids to the model's finding (as a dict) so a first edit can
    say what the text was.
    """
    ev = entry.event
    version = versions.setdefault(entry.reading_id, len(versions) + 1)
    finding = ""
    if ev.finding_id:
        finding = finding_name(ev.finding_id) if finding_name is not None else ev.finding_id
    return (
        local_time(ev.at),
        ev.reviewer,
        f"v{version}",
        action_words(ev.action),
        finding,
        describe_change(ev.action, ev.before, ev.after, (originals or {}).get(ev.finding_id or "")),
    )


class AuditDialog(QDialog):
    """A table of a study's review events (read-only)."""

    def __init__(
        self,
        entries: Sequence[AuditEntry],
        *,
        title: str = "",
        finding_name: Callable[[str], str] | None = None,
        originals: Mapping[str, dict[str, Any]] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Audit log — GazeX Viewer")
        self.resize(980, 520)
        lay = QVBoxLayout(self)
        versions: dict[str, int] = {}
        self.rows = [describe_event(e, versions, finding_name, originals) for e in entries]
        n_versions = len(versions)
        head = QLabel(
            f"<b>{title or 'Review events'}</b> — {len(self.rows)} event(s) in "
            f"{n_versions} reading version(s), oldest first"
            if self.rows
            else f"<b>{title or 'Review events'}</b> — no review events recorded yet"
        )
        head.setWordWrap(True)
        lay.addWidget(head)
        self.table = QTableWidget(len(self.rows), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        for r, row in enumerate(self.rows):
            for c, value in enumerate(row):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(r, c, item)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
        if self.rows:
            self.table.scrollToBottom()

    def cell(self, row: int, column: str) -> str:
        """The text of one cell (for tests and copy-out)."""
        item = self.table.item(row, COLUMNS.index(column))
        return "" if item is None else item.text()
