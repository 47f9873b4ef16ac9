"""The report panel: the reading's sentences, findings above pertinent negatives, each clickable.

A thin view over a :class:`~gazex_viewer.core.reading.document.Reading` and the shared
:class:`~gazex_viewer.ui.selection.SelectionModel`: clicking a sentence selects its finding, hovering it
highlights its regions, and the sentence whose key frames are playing is marked. Each row has a badge
slot (``set_badge``) kept free for the review workflow (accept / reject / edit).

Under review, the panel shows the :class:`~gazex_viewer.core.review.final_report.FinalReport` (the model the
PDF and the SR render too, :meth:`ReportPanel.set_final_report`): findings and pertinent negatives
filed by their current labels, the impression, and the rejected AI sentences only under "AI draft
and decisions (audit trail)"; once signed its header reads "Final report, signed by … at …".
Sentences are shown as sentences (:func:`~gazex_viewer.core.reading.report_display.display_sentence`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLayoutItem,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.reading.document import Finding, Reading
from gazex_viewer.core.review.final_report import AUDIT_HEADING, FinalReport
from gazex_viewer.ui.report.rows import SentenceRow
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.style import FindingStyle, finding_styles

if TYPE_CHECKING:
    from gazex_viewer.ui.workspace import Workspace

EMPTY_TEXT = (
    "<p style='font-size:13pt'><b>No report yet</b></p>"
    "<p>Run the model on the open film (<b>F5</b>) or open a saved reading (<b>Ctrl+R</b>).</p>"
)


#: labels of the final-report grouping that are reused from one grouping to the next, with their style
_REUSABLE_LABELS: dict[str, str] = {
    "groupHeader": "font-weight:bold; color:#c8d3de; padding:8px 4px 2px 4px; border-bottom:1px solid #3a4652;",
    "groupEmpty": "color:#8a96a3; padding:4px;",
    "reportImpression": "padding:4px 6px;",
}


def _widget(item: QLayoutItem | None) -> QWidget | None:
    """The widget of a layout item (None for a stretch, a spacer or no item)."""
    return item.widget() if item is not None else None


class ReportPanel(QWidget):
    """The model's (or expert's) report as sentences, linked to the film through the selection."""

    #: the sentences' scroll area (a findings list: review keys act in it); shadows ``QWidget.scroll``
    scroll: QScrollArea  # type: ignore[assignment]

    def __init__(self, selection: SelectionModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selection = selection
        self.reading: Reading | None = None
        self.rows: dict[str, SentenceRow] = {}
        #: the rows of findings the radiologist added, and what the final-report grouping last showed
        self._addition_ids: list[str] = []
        #: headings and notes of the final-report grouping, kept to be reused by the next one
        self._spare: list[QLabel] = []
        #: rows made for findings without a sentence of their own (additions, sentence-less AI findings)
        self._extra_ids: list[str] = []
        self._final_key: object = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.header_label = QLabel()
        self.header_label.setWordWrap(True)
        self.header_label.setObjectName("reportHeader")
        self.header_label.setContentsMargins(8, 4, 8, 4)
        outer.addWidget(self.header_label)
        self.warnings_label = QLabel()
        self.warnings_label.setTextFormat(Qt.TextFormat.RichText)
        self.warnings_label.setWordWrap(True)
        self.warnings_label.setObjectName("readingWarnings")
        self.warnings_label.setStyleSheet(
            "background:#4a3b12; color:#ffdd88; border:1px solid #8a6d1f; border-radius:4px; padding:6px;"
        )
        self.warnings_label.hide()
        outer.addWidget(self.warnings_label)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("reportSentences")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a findings list: review keys act here
        outer.addWidget(self.scroll, 1)
        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self._layout.setSpacing(3)
        self.scroll.setWidget(self._content)
        selection.selection_changed.connect(self._on_selection)
        selection.hover_changed.connect(self._on_hover)
        selection.playing_changed.connect(self._on_playing)
        self.set_reading(None)

    # -- content ---------------------------------------------------------------------------------
    def _clear(self) -> None:
        for row in self.rows.values():
            row.hide()
            row.setParent(None)
            row.deleteLater()
        self.rows.clear()
        for w in self._spare:
            w.setParent(None)
            w.deleteLater()
        self._spare = []
        self._addition_ids = []
        self._extra_ids = []
        self._final_key = None
        while self._layout.count():
            taken = _widget(self._layout.takeAt(0))
            if taken is not None:
                taken.hide()
                taken.setParent(None)
                taken.deleteLater()

    def set_reading(self, reading: Reading | None) -> None:
        """Show a reading's sentences (None shows the empty state)."""
        self._clear()
        self.reading = reading
        if reading is None:
            self.header_label.setText("")
            self.header_label.hide()
            self.warnings_label.hide()
            empty = QLabel(EMPTY_TEXT)
            empty.setObjectName("reportEmpty")
            empty.setWordWrap(True)
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            empty.setContentsMargins(16, 24, 16, 24)
            self._layout.addWidget(empty)
            self._layout.addStretch(1)
            self._show_children()
            return
        self.header_label.setText(self._producer_text(reading))
        self.header_label.setStyleSheet("")
        self.header_label.show()
        if reading.warnings:
            self.warnings_label.setText(
                "<b>Warnings from reading this report:</b><br>"
                + "<br>".join("⚠ " + html.escape(w) for w in reading.warnings)
            )
            self.warnings_label.show()
        else:
            self.warnings_label.hide()
        styles = finding_styles(reading)
        positives: list[SentenceRow] = []
        negatives: list[SentenceRow] = []
        unreadable: list[SentenceRow] = []
        for number, s in enumerate(reading.sentences, start=1):
            f = reading.finding_for_sentence(s.id)
            style = styles.get(f.id) if f is not None else None
            key = f.id if f is not None else f"s:{s.id}"
            row = SentenceRow(key, style.number if style else number, s.text, f, style)
            row.clicked.connect(self.selection.select)
            row.hovered.connect(self.selection.hover)
            self.rows[key] = row
            if f is not None and f.unreadable:
                unreadable.append(row)  # never filed as a finding: kept for audit under its own heading
            else:
                (negatives if style is not None and style.negative else positives).append(row)
        self._add_group("Findings", positives, "No positive findings in this report.")
        self._add_group("Pertinent negatives", negatives, None)
        self._add_group("Unreadable model output (not a finding)", unreadable, None)
        if not reading.sentences:
            msg = QLabel("This reading has no report sentences.")
            msg.setWordWrap(True)
            self._layout.addWidget(msg)
        self._layout.addStretch(1)
        self._show_children()
        self._on_selection(self.selection.selected)
        self._on_playing(self.selection.playing)

    def _show_children(self) -> None:
        """Show new rows at once (a layout would show them only on the next event loop turn)."""
        for i in range(self._layout.count()):
            w = _widget(self._layout.itemAt(i))
            if w is not None and w.isHidden():
                w.show()

    @staticmethod
    def _group_header(title: str) -> QLabel:
        head = QLabel(title)
        head.setObjectName("groupHeader")
        head.setStyleSheet("font-weight:bold; color:#c8d3de; padding:8px 4px 2px 4px; border-bottom:1px solid #3a4652;")
        return head

    def _add_group(self, title: str, rows: list[SentenceRow], empty: str | None) -> None:
        if not rows and empty is None:
            return
        self._layout.addWidget(self._group_header(f"{title} ({len(rows)})"))
        if not rows and empty:
            lab = QLabel(empty)
            lab.setStyleSheet("color:#8a96a3; padding:4px;")
            self._layout.addWidget(lab)
        for r in rows:
            self._layout.addWidget(r)

    @staticmethod
    def _producer_text(reading: Reading) -> str:
        p = reading.producer
        if p.kind == "model":
            bits = [f"<b>AI draft</b> · {html.escape(p.name)}"]
            if p.device:
                bits.append(html.escape(p.device))
            decoding = p.generation.get("decoding") if isinstance(p.generation, dict) else None
            if decoding:
                bits.append(html.escape(str(decoding)))
            elif p.generation.get("deterministic") is True:
                bits.append("deterministic (greedy)")
            if p.prompts.get("preset"):
                bits.append(f"{html.escape(p.prompts['preset'])} prompts")
        elif p.kind == "expert":
            bits = [f"<b>Expert reading</b> · {html.escape(p.dataset or p.name)}"]
            if p.reader_id:
                bits.append(f"reader {html.escape(p.reader_id)}")
        else:
            bits = [f"<b>{html.escape(p.kind.capitalize())} reading</b> · {html.escape(p.name)}"]
        n = len(reading.sentences)
        bits.append(f"{n} sentence{'s' if n != 1 else ''}")
        return " · ".join(bits)

    # -- for the review workflow ----------------------------------------------------------------------
    def set_badge(self, finding_id: str, text: str, colour: str = "#5d8fbf", text_colour: str = "#ffffff") -> None:
        """Show a small state badge on a sentence (for review decisions); empty text hides it."""
        row = self.rows.get(finding_id)
        if row is None or getattr(row, "_badge_shown", None) == (text, colour, text_colour):
            return
        row._badge_shown = (text, colour, text_colour)
        row.badge.setText(text)
        row.badge.setStyleSheet(
            f"background:{colour}; color:{text_colour}; border-radius:3px; padding:1px 6px; font-weight:bold;"
        )
        row.badge.setVisible(bool(text))

    def set_reviewed(
        self, finding_id: str, finding: Finding | None, status: str | None, *,
        original: str | None = None, reason: str | None = None,
    ) -> None:
        """Show a sentence as reviewed: its edited text ("AI wrote: …" under it), struck through when
        rejected, with the reason; ``status`` None shows the producer's text again."""
        row = self.rows.get(finding_id)
        if row is not None:
            row.show_review(finding, status, original=original, reason=reason)

    def set_final_report(
        self,
        report: FinalReport | None,
        additions: dict[str, tuple[Finding, int, str]] | None = None,
        unsentenced: dict[str, tuple[Finding, int, str]] | None = None,
    ) -> None:
        """File the sentences as the final report says (None: back to the producer's own grouping).

        ``additions`` maps the ids of the findings the radiologist added to (finding, number,
        colour); they get rows like the model's sentences (badge "+ Added"). ``unsentenced``: the
        same for AI findings the reading has no sentence for (a reading whose sentences are
        missing), so the tab lists every finding of the report.
        """
        if self.reading is None:
            return
        if report is None:
            if self._final_key is not None:
                self.set_reading(self.reading)
            return
        additions = additions or {}
        extra = {**(unsentenced or {}), **additions}
        for fid in [k for k in self._extra_ids if k not in extra]:
            row = self.rows.pop(fid, None)
            if row is not None:
                row.hide()
                row.setParent(None)
                row.deleteLater()
        for fid, (f, number, colour) in extra.items():
            old = self.rows.get(fid)
            if old is not None and getattr(old, "_addition_key", None) == (repr(f), number, colour):
                continue
            if old is not None:
                old.hide()
                old.setParent(None)
                old.deleteLater()
            row = SentenceRow(fid, number, f.text, f, FindingStyle(number, colour, f.is_pertinent_negative))
            row._addition_key = (repr(f), number, colour)
            row.clicked.connect(self.selection.select)
            row.hovered.connect(self.selection.hover)
            self.rows[fid] = row
            if fid in additions:
                self.set_badge(fid, "+ Added", "#1e6fd0")
        self._addition_ids = list(additions)
        self._extra_ids = list(extra)
        linked = {f.id for f in self.reading.findings} | set(extra)
        loose = [k for k in self.rows if k not in linked]  # sentences without a finding
        groups = [
            ("Findings", [f.finding_id for f in report.positives], "No positive findings."),
            ("Pertinent negatives", [f.finding_id for f in report.negatives], None),
            ("AI findings not yet decided", [f.finding_id for f in report.undecided], None),
        ]
        rejected = [a.finding_id for a in report.rejected if a.finding_id is not None]
        key = (report.headline(), report.impression, repr(groups), tuple(rejected), tuple(loose),
               tuple(id(self.rows[k]) for k in self.rows))
        if key == self._final_key:
            return
        self._final_key = key
        self._detach_rows()
        if report.is_final:
            self.header_label.setText(f"<b>{html.escape(report.headline())}</b>")
            self.header_label.setStyleSheet("background:#173d22; color:#c8f0d0; border-radius:4px;")
        else:
            self.header_label.setText(self._producer_text(self.reading) + " · <b>draft under review</b>")
            self.header_label.setStyleSheet("")
        for title, ids, empty in groups:
            rows = [self.rows[k] for k in ids if k in self.rows]
            if not rows and empty is None:
                continue
            self._layout.addWidget(self._label("groupHeader", f"{title} ({len(rows)})"))
            if not rows and empty:
                self._layout.addWidget(self._label("groupEmpty", empty))
            for r in rows:
                self._layout.addWidget(r)
        self._layout.addWidget(self._label("groupHeader", "Impression"))
        self._layout.addWidget(self._label(
            "reportImpression", html.escape(report.impression) if report.impression else "<i>No impression yet.</i>"
        ))
        audit = [self.rows[k] for k in rejected + loose if k in self.rows]
        if audit:
            self._layout.addWidget(self._label("groupHeader", f"{AUDIT_HEADING}: rejected ({len(audit)})"))
            for r in audit:
                self._layout.addWidget(r)
        self._layout.addStretch(1)
        for w in self._spare:  # labels of the last grouping not needed now
            w.hide()
        self._show_children()
        self._on_selection(self.selection.selected)
        self._on_hover(self.selection.hovered)
        self._on_playing(self.selection.playing)

    def _detach_rows(self) -> None:
        """Take every widget out of the list: rows are kept (they are re-filed), headings kept for
        reuse (creating and styling labels on every decision is what made a decision slow), the rest deleted."""
        rows = set(map(id, self.rows.values()))
        while self._layout.count():
            w = _widget(self._layout.takeAt(0))
            if w is None or id(w) in rows:
                continue
            if isinstance(w, QLabel) and w.objectName() in _REUSABLE_LABELS:
                self._spare.append(w)
                continue
            w.hide()
            w.setParent(None)
            w.deleteLater()

    def _label(self, kind: str, text: str) -> QLabel:
        """A heading, an empty-group note or the impression: a spare one of that kind, else a new one."""
        for i, w in enumerate(self._spare):
            if w.objectName() == kind:
                del self._spare[i]
                if w.text() != text:
                    w.setText(text)
                return w
        lab = QLabel(text, self._content)
        lab.setObjectName(kind)
        lab.setWordWrap(True)
        lab.setStyleSheet(_REUSABLE_LABELS[kind])
        return lab

    def added_keys(self) -> list[str]:
        """The added findings' ids, in the order shown."""
        return [k for k in self.ordered_keys() if k in self._addition_ids]

    def set_struck(self, finding_id: str, struck: bool) -> None:
        """Strike a sentence through (a rejected finding) or show it as written again."""
        row = self.rows.get(finding_id)
        if row is not None and getattr(row, "_struck", False) != struck:
            row.show_review(row.finding, "rejected" if struck else None)

    # -- selection ---------------------------------------------------------------------------------------
    def _on_selection(self, fid: str | None) -> None:
        for key, row in self.rows.items():
            row.set_state(selected=key == fid)
        if fid in self.rows:
            self.scroll.ensureWidgetVisible(self.rows[fid])

    def _on_hover(self, fid: str | None) -> None:
        for key, row in self.rows.items():
            row.set_state(hovered=key == fid)

    def _on_playing(self, fid: str | None) -> None:
        for key, row in self.rows.items():
            row.set_state(playing=key == fid)
        if fid in self.rows:
            self.scroll.ensureWidgetVisible(self.rows[fid])

    def observe(self, workspace: Workspace) -> None:
        """Follow ``workspace``: its reading is the one shown (None: the empty state)."""
        workspace.reading_changed.connect(self.set_reading)

    def step_sentence(self, step: int) -> None:
        """Select the next (step=1) or previous (step=-1) linked sentence."""
        keys = self.ordered_keys()
        if not keys:
            return
        cur = self.selection.selected
        i = keys.index(cur) + step if cur in keys else (0 if step > 0 else len(keys) - 1)
        self.selection.select(keys[max(0, min(len(keys) - 1, i))])

    def ordered_keys(self) -> list[str]:
        """The linked sentence keys in display order (for next/previous sentence)."""
        out = []
        for i in range(self._layout.count()):
            w = _widget(self._layout.itemAt(i))
            if isinstance(w, SentenceRow) and w.linked:
                out.append(w.key)
        return out
