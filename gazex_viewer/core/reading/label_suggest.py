"""Labels follow the words: the CheXpert labels a finding should carry after its text changes.

A finding's labels say what it is and whether it is a finding or a pertinent negative, so they
must not keep describing words that were edited away ("Lung Opacity (negative)" on "minimal left
basal atelectasis"). :func:`labels_after_edit` re-derives them from the new words with
:func:`~gazex_viewer.core.reading.labels.label_sentence`, and says when the reviewer had set the labels by
hand (they then differ both from what the words say and from what the AI gave), so the UI can ask
before replacing them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gazex_viewer.core.reading.document import Label
from gazex_viewer.core.reading.labels import label_sentence

__all__ = ["LabelChange", "labels_after_edit", "labels_text", "suggested_labels"]


def suggested_labels(text: str) -> list[Label]:
    """The labels the words of a sentence suggest (empty for empty text)."""
    return label_sentence(text) if text and text.strip() else []


def labels_text(labels: Sequence[Label]) -> str:
    """"Atelectasis, Pleural Effusion (negative)", or "no label"."""
    if not labels:
        return "no label"
    return ", ".join(lab.observation + ("" if lab.status == "positive" else f" ({lab.status})") for lab in labels)


def _same(a: Sequence[Label], b: Sequence[Label]) -> bool:
    return [x.to_dict() for x in a] == [x.to_dict() for x in b]


@dataclass(frozen=True)
class LabelChange:
    """What an edit of the words does to the labels."""

    #: the labels the new words suggest
    derived: list[Label]
    #: the current labels were set by hand (they match neither the old words nor the AI's labels)
    hand_set: bool
    #: the derived labels differ from the current ones
    changes: bool


def labels_after_edit(
    current_labels: Sequence[Label],
    current_text: str,
    new_text: str,
    ai_labels: Sequence[Label] | None = None,
) -> LabelChange:
    """How the labels should follow an edit of a finding's words.

    Parameters
    ----------
    current_labels, current_text
        The finding as it stands before this edit.
    new_text
        The words the reviewer typed.
    ai_labels
        The AI's own labels for a model finding (None for a finding the reviewer added).
    """
    derived = suggested_labels(new_text)
    from_words = _same(current_labels, suggested_labels(current_text))
    from_ai = ai_labels is not None and _same(current_labels, ai_labels)
    hand_set = bool(current_labels) and not from_words and not from_ai
    return LabelChange(derived=derived, hand_set=hand_set, changes=not _same(current_labels, derived))
