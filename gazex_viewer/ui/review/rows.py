"""The rows of the review list: how each review state looks, and one finding's row.

Owns :data:`STATE_STYLES` and :func:`state_badge` (the badge text and colours of undecided, accepted, rejected,
edited and added, shared by the review list, the report's badges and the film), and :class:`FindingReviewRow`
(number, current text, labels, decision notes and state badge of one finding; it redraws only what changed).
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.reading.document import Finding, Label
from gazex_viewer.core.reading.report_display import display_sentence

__all__ = ["STATE_STYLES", "FindingReviewRow", "focus_scroll_area_of", "state_badge"]

#: how each review state is shown everywhere (badge text, badge colour, text colour on the badge)
STATE_STYLES: dict[str, tuple[str, str, str]] = {
    "undecided": ("? Undecided", "#e0b000", "#111111"),
    "accepted": ("✓ Accepted", "#2e8b3e", "#ffffff"),
    "rejected": ("✗ Rejected", "#c62828", "#ffffff"),
    "edited": ("✎ Edited", "#e07000", "#ffffff"),
    "added": ("+ Added", "#1e6fd0", "#ffffff"),
}


def state_badge(status: str) -> tuple[str, str, str]:
    """(text, background colour, text colour) of a finding state's badge."""
    return STATE_STYLES.get(status, (status, "#5d8fbf", "#ffffff"))



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
        self, number: int, colour: str, finding: Finding, status: str, reason: str | None, original: str | None,
        *, unsaved: bool = False,
    ) -> None:
        """Show the finding's current text and state (nothing is redrawn when nothing changed).

        ``unsaved``: its last change is on screen but NOT YET SAVED (the database could not take it yet).
        """
        key = (number, colour, repr(finding), status, reason, original, unsaved)
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
        if unsaved:  # kept on screen, sent when the database takes it: never silently lost
            text_, bg, fg = f"{text_} · NOT YET SAVED", "#b36b00", "#ffffff"
        self.badge.setToolTip("This decision is NOT YET SAVED: it is sent when the review database answers"
                              if unsaved else "")
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

    def mousePressEvent(self, ev: QMouseEvent) -> None:
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

