"""Labels follow the words in the review panel's edit and add areas (kept out of panel.py).

- Editing a finding's words re-derives its CheXpert labels (:func:`labels_for_new_words`), or asks
  first when the reviewer had set them by hand;
- while a missed finding's sentence is typed, the label combos show what the words suggest
  (:class:`AddLabelSuggester`) until the reviewer picks a label by hand; the finding then gets
  the suggested labels (all of them) or the hand-picked one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox, QLineEdit

from gazex_viewer.core.reading.document import Finding, Label
from gazex_viewer.core.reading.label_suggest import (
    labels_after_edit,
    labels_text,
    suggested_labels,
)
from gazex_viewer.core.review.session import ReviewSession


def show_label(label_combo: QComboBox, status_combo: QComboBox, labels: list[Label]) -> None:
    """Show the first of ``labels`` in the combos ("(no label)" when none)."""
    lab = labels[0] if labels else None
    label_combo.setCurrentIndex(max(label_combo.findData(lab.observation if lab else None), 0))
    status_combo.setCurrentIndex(max(status_combo.findData(lab.status if lab else "positive"), 0))


def labels_for_new_words(
    session: ReviewSession, fid: str, current: Finding, text: str, confirm: Callable[[str, str], bool]
) -> list[Label] | None:
    """The labels an edit of the words should set, or None to keep the current ones.

    Re-derived from the new words; when the reviewer had set the labels by hand, only if they agree.
    """
    ai = None if session.status(fid) == "added" else session.reading.finding(fid).labels
    change = labels_after_edit(current.labels, current.text, text, ai)
    if not change.changes:
        return None
    if change.hand_set and not confirm(
        "Labels of the edited finding",
        f"You set the label “{labels_text(current.labels)}” by hand. The new words suggest "
        f"“{labels_text(change.derived)}”.\n\nUse the suggested label? (No keeps yours.)",
    ):
        return None
    return change.derived


class AddLabelSuggester(QObject):
    """Keeps the add area's label combos on what the typed words suggest, until picked by hand."""

    def __init__(self, text: QLineEdit, label_combo: QComboBox, status_combo: QComboBox) -> None:
        super().__init__(text)
        self.text, self.label_combo, self.status_combo = text, label_combo, status_combo
        #: the reviewer picked a label by hand (it is kept)
        self.touched = False
        text.textEdited.connect(self._suggest)
        for combo in (label_combo, status_combo):
            combo.activated.connect(self._picked)

    def reset(self) -> None:
        self.touched = False
        show_label(self.label_combo, self.status_combo, [])

    def _picked(self, _index: int = 0) -> None:
        self.touched = True

    def _suggest(self, text: str) -> None:
        if not self.touched:
            show_label(self.label_combo, self.status_combo, suggested_labels(text))

    def labels(self, text: str, hand_picked: Callable[[], list[Label]]) -> list[Label]:
        """The labels of the finding being added: the hand-picked one, else the words' own."""
        return hand_picked() if self.touched else suggested_labels(text)
