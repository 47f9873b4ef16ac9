"""One sentence of the report as a row: number, text, labels, where it is on the film, and a review badge.

Owns :class:`SentenceRow` (clicked / hovered, selected and playing marks, the badge slot, the reviewed look:
edited text, a rejection struck through) and how a sentence and its grey details line are written.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QEnterEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.reading.document import Finding
from gazex_viewer.core.reading.report_display import display_sentence
from gazex_viewer.ui.style import FindingStyle


def _sentence(text: str) -> str:
    return display_sentence(text) or "Sentence without text"


def _details_html(finding: Finding | None, extra: list[str] | None = None) -> str:
    """The grey second line of a sentence: labels, where it is on the film, review notes (``extra``, HTML)."""
    details: list[str] = []
    if finding is not None and finding.labels:
        details.append(
            " · ".join(
                f"{html.escape(lab.observation)}"
                + ("" if lab.status == "positive" else f" ({html.escape(lab.status)})")
                for lab in finding.labels
            )
        )
    if finding is not None:
        n_clues = len(finding.clues)
        where = []
        if finding.observation is not None:
            where.append("observation area")
        if n_clues:
            where.append(f"{n_clues} clue{'s' if n_clues != 1 else ''}")
        details.append(", ".join(where) if where else "no region on the film")
    else:
        details.append("no grounding for this sentence")
    out = f"<span style='color:#8a96a3'>{' — '.join(details)}</span>"
    for line in extra or []:
        out += f"<br><span style='color:#a9b6c2'>{line}</span>"
    return out


class SentenceRow(QFrame):
    """One report sentence: number, text, labels, warnings and a review badge slot."""

    clicked = Signal(str)
    hovered = Signal(object)

    #: what the review badge shows (text, colour, text colour), so an unchanged badge is not redrawn
    _badge_shown: tuple[str, str, str] | None = None
    #: an added finding's row: what it was built from (the finding, number, colour), so it is rebuilt on change only
    _addition_key: tuple[str, int, str] | None = None

    def __init__(
        self,
        key: str,
        number: int,
        text: str,
        finding: Finding | None,
        style: FindingStyle | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.key = key
        self.finding = finding
        self.style_info = style
        self.linked = finding is not None
        self.selected = False
        self.hover_on = False
        self.playing = False
        self.setObjectName("sentenceRow")
        self.setCursor(Qt.CursorShape.PointingHandCursor if self.linked else Qt.CursorShape.ArrowCursor)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        colour = style.colour if style is not None else "#888888"
        negative = bool(style and style.negative)

        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 6)
        row.setSpacing(8)
        self.number_label = QLabel(str(number))
        self.number_label.setFixedWidth(24)
        self.number_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number_label.setStyleSheet(
            f"background:{colour}; color:#111; border-radius:4px; font-weight:bold; padding:1px;"
        )
        row.addWidget(self.number_label, 0, Qt.AlignmentFlag.AlignTop)

        col = QVBoxLayout()
        col.setSpacing(2)
        self.text_label = QLabel(_sentence(text))
        self.text_label.setTextFormat(Qt.TextFormat.PlainText)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        if negative:
            self.text_label.setStyleSheet("color:#a0a0a0;")
        if finding is not None and finding.unreadable:
            self.text_label.setText("Unreadable model output: " + text)
            self.text_label.setStyleSheet("color:#8a8a8a; font-style:italic;")
        col.addWidget(self.text_label)
        #: the text as the producer wrote it (the AI's sentence), shown again when a review is cleared
        self.ai_text = self.text_label.text()
        self.negative = negative
        self.detail_label = QLabel()
        self.detail_label.setTextFormat(Qt.TextFormat.RichText)
        self.detail_label.setText(_details_html(finding))
        self.detail_label.setWordWrap(True)
        col.addWidget(self.detail_label)
        self._reviewed: tuple[object, ...] | None = None
        self.warning_label = QLabel()
        self.warning_label.setTextFormat(Qt.TextFormat.RichText)
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color:#ffcc66;")
        if finding is not None and finding.warnings:
            self.warning_label.setText("⚠ " + "<br>⚠ ".join(html.escape(w) for w in finding.warnings))
        else:
            self.warning_label.hide()
        col.addWidget(self.warning_label)
        row.addLayout(col, 1)
        #: room for the review workflow: "accepted", "rejected", "edited" badges
        self.badge = QLabel()
        self.badge.setObjectName("reviewBadge")
        self.badge.hide()
        row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignTop)
        self._restyle()

    def show_review(
        self, finding: Finding | None, status: str | None, *, original: str | None = None, reason: str | None = None
    ) -> None:
        """Show the sentence as the review leaves it (``status`` None: as the producer wrote it).

        ``finding`` is the effective (edited) finding; an edited text is shown with "AI wrote: …" under
        it, a rejected one struck through with its reason.
        """
        key = (repr(finding), status, original, reason)
        if key == self._reviewed:
            return
        self._reviewed = key
        if status is None or finding is None:
            self.text_label.setTextFormat(Qt.TextFormat.PlainText)
            self.text_label.setText(self.ai_text)
            self.text_label.setStyleSheet("color:#a0a0a0;" if self.negative else "")
            self.detail_label.setText(_details_html(self.finding))
            self._struck = False
            return
        text = _sentence(finding.text)
        extra: list[str] = []
        if status == "edited" and original is not None and original.strip() != finding.text.strip():
            extra.append(f"AI wrote: “{html.escape(display_sentence(original))}”")
        if status == "rejected" and reason:
            extra.append(f"reason: {html.escape(reason)}")
        if status == "rejected":
            self.text_label.setTextFormat(Qt.TextFormat.RichText)
            self.text_label.setText(f"<s>{html.escape(text)}</s>")
            self.text_label.setStyleSheet("color:#8a96a3;")
        else:
            self.text_label.setTextFormat(Qt.TextFormat.PlainText)
            self.text_label.setText(text)
            self.text_label.setStyleSheet("color:#a0a0a0;" if self.negative and status != "edited" else "")
        self._struck = status == "rejected"
        self.detail_label.setText(_details_html(finding, extra))

    def set_state(self, *, selected: bool | None = None, hovered: bool | None = None, playing: bool | None = None) -> None:
        if selected is not None:
            self.selected = selected
        if hovered is not None:
            self.hover_on = hovered
        if playing is not None:
            self.playing = playing
        self._restyle()

    def _restyle(self) -> None:
        colour = self.style_info.colour if self.style_info is not None else "#888888"
        if self.selected:
            bg = "#2d4a66"
        elif self.hover_on:
            bg = "#27313c"
        else:
            bg = "transparent"
        border = f"4px solid {colour}" if self.playing else "4px solid transparent"
        outline = "1px solid #5d8fbf" if self.selected else "1px solid transparent"
        sheet = (
            f"QFrame#sentenceRow {{ background:{bg}; border-left:{border}; border-top:{outline};"
            f" border-bottom:{outline}; border-right:{outline}; border-radius:3px; }}"
        )
        if sheet != getattr(self, "_sheet", None):  # setStyleSheet is slow: only when it changes
            self._sheet = sheet
            self.setStyleSheet(sheet)

    def mousePressEvent(self, ev: QMouseEvent) -> None:  # noqa: N802 (Qt name)
        if ev.button() == Qt.MouseButton.LeftButton and self.linked:
            scroll = self.parentWidget()
            while scroll is not None and not isinstance(scroll, QScrollArea):
                scroll = scroll.parentWidget()
            if scroll is not None:  # the review keys act on the sentences now
                scroll.setFocus(Qt.FocusReason.MouseFocusReason)
            self.clicked.emit(self.key)
            ev.accept()
            return
        super().mousePressEvent(ev)

    def enterEvent(self, ev: QEnterEvent) -> None:  # noqa: N802 (Qt name)
        if self.linked:
            self.hovered.emit(self.key)
        super().enterEvent(ev)

    def leaveEvent(self, ev: QEvent) -> None:  # noqa: N802 (Qt name)
        if self.linked:
            self.hovered.emit(None)
        super().leaveEvent(ev)
