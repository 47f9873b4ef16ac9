"""Keyboard safety: single-key shortcuts never act on, or type into, the wrong thing.

A radiologist signs what the Impression box holds, so a shortcut's letter must never land in it,
and typing a sentence must never fire a shortcut (an "I" inverting the film, a "G" hiding the
regions, an "a" accepting a finding). The rules:

- a *review* single-key shortcut (A, R, E, N, P, D) acts only while a findings list (the Review
  tab's list, the Report tab's sentences) or the film has the keyboard focus;
- no single-key shortcut (review or view) acts while a text field has the focus: the key is the
  field's, as typing;
- after every dialog and inline edit the review panel gives the focus back to its findings list
  (:meth:`~gazex_viewer.ui.review.panel.ReviewPanel.focus_list`), so the next key is a command.

:class:`KeyGate` enforces the first two on the window's actions: it filters each single-key
action's ``QEvent.Shortcut`` (menu clicks are not shortcuts and are never blocked).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

__all__ = ["KeyGate", "is_single_key", "is_text_input"]


def is_text_input(widget: QWidget | None) -> bool:
    """True for a widget that takes typed text (an editable line, text box, spin box or combo)."""
    if widget is None:
        return False
    if isinstance(widget, (QLineEdit, QAbstractSpinBox)):
        return True
    if isinstance(widget, (QPlainTextEdit, QTextEdit)):
        return not widget.isReadOnly()
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return False


def is_single_key(seq: QKeySequence) -> bool:
    """True for a one-key shortcut without Ctrl, Alt or Meta (a letter, a digit, Space, an arrow…)."""
    if seq.isEmpty() or seq.count() != 1:
        return False
    combo = seq[0]  # type: ignore[index]  # QKeySequence is indexable (PySide6's stubs say no)
    mods = combo.keyboardModifiers()
    blocking = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier
    if mods & blocking:
        return False
    key = combo.key()
    return not (Qt.Key.Key_F1 <= key <= Qt.Key.Key_F35)  # function keys are never typed text


class KeyGate(QObject):
    """Blocks single-key shortcuts while the focus is in the wrong place.

    Parameters
    ----------
    window
        The main window (its ``focusWidget()`` is where keys go).
    targets
        The widgets a review key may act in (findings lists, the film), asked at each key press.
    """

    def __init__(self, window: QWidget, targets: Callable[[], list[QWidget]]) -> None:
        super().__init__(window)
        self.window = window
        self.targets = targets
        self._strict: set[int] = set()
        #: what the last blocked key was told (tests, status line)
        self.last_blocked: str | None = None

    def watch(self, action: QAction, *, review: bool = False) -> None:
        """Guard ``action`` when its shortcut is a single key (``review``: list or film focus only)."""
        if not any(is_single_key(s) for s in action.shortcuts()):
            return
        if review:
            self._strict.add(id(action))
        action.installEventFilter(self)

    def focus_widget(self) -> QWidget | None:
        return self.window.focusWidget()

    def in_targets(self, widget: QWidget | None) -> bool:
        if widget is None:
            return False
        return any(t is widget or t.isAncestorOf(widget) for t in self.targets() if t is not None)

    def allows(self, *, review: bool) -> bool:
        """Whether a single-key shortcut may act now."""
        fw = self.focus_widget()
        if is_text_input(fw):
            return False
        return self.in_targets(fw) if review else True

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        if ev.type() == QEvent.Type.Shortcut and isinstance(obj, QAction):
            review = id(obj) in self._strict
            if not self.allows(review=review):
                fw = self.focus_widget()
                if is_text_input(fw):
                    self.last_blocked = f"{obj.text()}: not while typing"
                else:
                    self.last_blocked = f"{obj.text()}: click the findings list or the film first"
                    status = getattr(self.window, "statusBar", None)
                    if callable(status):
                        status().showMessage(
                            "Review keys act on the findings list or the film: click one of them first", 5000
                        )
                return True
            self.last_blocked = None
        return False
