"""The review panel's edit and add areas, and their two modes: editing a finding, adding a missed one.

Owns :class:`FindingEditing`, the part of :class:`~gazex_viewer.ui.review.panel.ReviewPanel` that builds the
"Edit finding" box (text, label, the hint that the boxes move on the film) and the "Add a missed finding" box
(drawn box, sentence, label suggested from the words), and runs their modes: :meth:`~FindingEditing.start_edit`
... :meth:`~FindingEditing.finish_edit`, :meth:`~FindingEditing.apply_region_edit` for a region dragged on the
film, and :meth:`~FindingEditing.start_add` ... :meth:`~FindingEditing.commit_add` or
:meth:`~FindingEditing.cancel_add`. The film's side of both modes (handles, drawing) is
:mod:`gazex_viewer.ui.film.region_editor`; the panel asks for it with ``region_editing_changed`` and
``drawing_changed``. Every change is one session method, run through the panel's ``_run`` (a refusal is a
message, never a crash).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypedDict, TypeVar, cast

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from gazex_viewer.core.reading.document import CHEXPERT_OBSERVATIONS, Box, Label, LabelStatus
from gazex_viewer.ui.review.labels import (
    AddLabelSuggester,
    labels_for_new_words,
    show_label,
)

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from gazex_viewer.core.review.session import ReviewSession
    from gazex_viewer.ui.selection import SelectionModel

__all__ = ["LABEL_STATUSES", "FindingEditing"]

LABEL_STATUSES: tuple[LabelStatus, ...] = ("positive", "negative", "uncertain")


class _EditChanges(TypedDict, total=False):
    """What an edit changes: the keyword arguments of :meth:`ReviewSession.edit` it passes."""

    text: str
    labels: list[Label]


def label_combo() -> QComboBox:
    combo = QComboBox()
    combo.addItem("(no label)", None)
    for obs in CHEXPERT_OBSERVATIONS:
        combo.addItem(obs, obs)
    return combo


def status_combo() -> QComboBox:
    combo = QComboBox()
    for s in LABEL_STATUSES:
        combo.addItem(s, s)
    return combo


def labels_from(label_combo: QComboBox, status_combo: QComboBox) -> list[Label]:
    obs = label_combo.currentData()
    if not obs:
        return []
    # the status combo holds LABEL_STATUSES only
    return [Label(str(obs), cast(LabelStatus, str(status_combo.currentData())))]


#: the arguments and result of a session method run by ``_run``
_P = ParamSpec("_P")
_R = TypeVar("_R")


class FindingEditing:
    """The edit and add areas of the review panel (a part of :class:`ReviewPanel`, which mixes it in).

    Attributes
    ----------
    editing
        The finding whose text, label and regions are being edited, or None.
    adding, pending_box
        A missed finding is being added; the box drawn for it on the film (None until drawn).
    """

    editing: str | None
    adding: bool
    pending_box: Box | None

    if TYPE_CHECKING:  # provided by ReviewPanel
        session: ReviewSession | None
        selection: SelectionModel
        region_editing_changed: SignalInstance
        drawing_changed: SignalInstance
        status_message: SignalInstance
        confirm: Callable[[str, str], bool]

        @property
        def is_open(self) -> bool: ...

        def _run(self, title: str, fn: Callable[_P, _R], *args: _P.args, **kw: _P.kwargs) -> _R | None: ...
        def _error(self, title: str, message: str) -> None: ...
        def _need_finding(self) -> str | None: ...
        def focus_list(self) -> None: ...
        def number_of(self, finding_id: str) -> tuple[int, str]: ...

    def _build_editor(self, outer: QVBoxLayout) -> None:
        """Build the edit and add boxes (hidden) at the end of ``outer``."""
        self.editing = None
        self.adding = False
        self.pending_box = None
        # edit area -------------------------------------------------------------------------------
        self.edit_box = QGroupBox("Edit finding")
        ev = QVBoxLayout(self.edit_box)
        self.edit_text = QLineEdit()
        self.edit_text.setPlaceholderText("Finding sentence")
        self.edit_text.returnPressed.connect(self._edit_return)
        ev.addWidget(self.edit_text)
        lr = QHBoxLayout()
        self.edit_label = label_combo()
        self.edit_status = status_combo()
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
        self.add_label = label_combo()
        self.add_status = status_combo()
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
        labels = labels_from(self.edit_label, self.edit_status)
        kw: _EditChanges = {}
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
        labels = self.add_labels.labels(text, lambda: labels_from(self.add_label, self.add_status))
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

