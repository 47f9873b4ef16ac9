"""The window's actions: one registry that builds every menu entry and shortcut, and the F1 list of them.

Owns :class:`ActionRegistry` (what ``MainWindow._action`` used to do) and :class:`ShortcutsDialog`
(Help > Keyboard shortcuts, generated from the registry's rows).

The window builds one registry and hands it to every mode (review, compare, trainee) together with the
:class:`~gazex_viewer.ui.workspace.Workspace` and the :class:`~gazex_viewer.ui.services.Shell`. A mode adds its
own actions with :meth:`ActionRegistry.add` and finds the window's by name::

    m = actions.menu("Re&view")                 # a top-level menu, created before Help when it is new
    accept = actions.add(m, "Review", "&Accept finding", "A", panel.accept_current, review=True)
    actions["Accept finding"] is accept         # the name is the text without "&" and "…"
    actions.set_group_enabled("Review", False)  # trainee mode: every Review action off, returns them

Every action is a window shortcut (it acts wherever the focus is in the window), is added to the window so
its key works while its menu is hidden, and is watched by the key gate (see
:class:`~gazex_viewer.ui.review.key_safety.KeyGate`): a single-key shortcut never fires while a text field
has the focus, and a ``review=True`` one only on a findings list or the film.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

__all__ = ["ActionGate", "ActionRegistry", "Keys", "ShortcutsDialog", "action_name"]

#: what a shortcut may be given as: "Ctrl+O", a standard key, several alternatives ("Down", "J"), or none
Keys = str | QKeySequence.StandardKey | Iterable[str] | None


class ActionGate(Protocol):
    """Guards actions' single-key shortcuts (:class:`~gazex_viewer.ui.review.key_safety.KeyGate` is one)."""

    def watch(self, action: QAction, *, review: bool = False) -> None:
        """Guard ``action``: never while typing; with ``review`` only while a findings list or the film has focus."""
        ...


def action_name(text: str) -> str:
    """The name an action is looked up by: its menu text without the mnemonic "&" and the ellipsis "…"."""
    return text.replace("&", "").replace("…", "").strip()


class ActionRegistry(QObject):
    """Every action of one window: built with :meth:`add`, looked up by name, listed for the F1 dialog.

    Parameters
    ----------
    host
        The window the actions belong to (their parent; each is also added to it so its key works anywhere
        in the window). When it is a :class:`QMainWindow`, :meth:`menu` finds and adds its top-level menus.
    gate
        The key gate that guards single-key shortcuts; can be set later (:attr:`gate`) but before the first
        :meth:`add` with a key.
    """

    def __init__(self, host: QWidget, gate: ActionGate | None = None) -> None:
        super().__init__(host)
        self.host = host
        self.gate: ActionGate | None = gate
        self._by_name: dict[str, QAction] = {}
        self._groups: dict[str, list[QAction]] = {}
        #: (group, action text, keys) per action with a shortcut, in the order added: the F1 dialog's rows
        self.rows: list[tuple[str, str, str]] = []

    # -- building ---------------------------------------------------------------------------------------------
    def add(
        self,
        menu: QMenu | QWidget | None,
        group: str,
        text: str,
        keys: Keys,
        slot: Callable[..., object],
        *,
        checkable: bool = False,
        review: bool = False,
        name: str | None = None,
    ) -> QAction:
        """Build an action, put it in ``menu`` and the window, and list its keys under ``group`` in F1.

        Parameters
        ----------
        menu
            Where it is shown (a menu, or any widget; None: only the window, e.g. a key without a menu entry).
        group
            The F1 dialog's group ("File", "View", "Review", ...); :meth:`group` and
            :meth:`set_group_enabled` act on it.
        text
            The menu text ("&Accept finding"); its :func:`action_name` is the lookup name unless ``name`` is given.
        keys
            One key sequence ("Ctrl+O"), a standard key, several alternatives (``["Down", "J"]``) or None.
        slot
            Called with no argument when triggered; with ``checkable`` it is connected to ``toggled(bool)``
            instead and receives the new state.
        review
            A review key: it acts only while a findings list or the film has the keyboard focus.
        name
            The lookup name, when the text is not a good one (two actions with the same text).
        """
        act = QAction(text, self.host)
        if keys is not None:
            if isinstance(keys, (str, QKeySequence.StandardKey)):
                act.setShortcut(QKeySequence(keys))
            else:
                act.setShortcuts([QKeySequence(k) for k in keys])
        act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if self.gate is not None:
            self.gate.watch(act)
            if review:
                self.gate.watch(act, review=True)
        act.setCheckable(checkable)
        if checkable:
            act.toggled.connect(slot)
        else:
            act.triggered.connect(lambda _checked=False: slot())
        if menu is not None:
            menu.addAction(act)
        self.host.addAction(act)
        if act.shortcuts():
            keys_text = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in act.shortcuts())
            self.rows.append((group, action_name(text), keys_text))
        self._by_name[name or action_name(text)] = act
        self._groups.setdefault(group, []).append(act)
        return act

    def note(self, group: str, text: str, keys: str) -> None:
        """List a row in the F1 dialog for keys not built by :meth:`add` (e.g. Ctrl+1…9 presets); once only."""
        row = (group, text, keys)
        if row not in self.rows:
            self.rows.append(row)

    def menu(self, title: str, *, before: str | None = "&Help") -> QMenu:
        """The window's top-level menu titled ``title`` ("Re&view"); a new one goes before ``before`` if present.

        Raises TypeError when the host is not a :class:`QMainWindow` (it has no menu bar).
        """
        if not isinstance(self.host, QMainWindow):
            raise TypeError("ActionRegistry.menu needs a QMainWindow host")
        bar = self.host.menuBar()
        for top in bar.actions():
            if top.text() == title and top.menu() is not None:
                found = top.menu()
                assert isinstance(found, QMenu)
                return found
        new = QMenu(title, bar)
        anchor = next((a for a in bar.actions() if before is not None and a.text() == before), None)
        if anchor is not None:
            bar.insertMenu(anchor, new)
        else:
            bar.addMenu(new)
        return new

    # -- looking up --------------------------------------------------------------------------------------------
    def __getitem__(self, name: str) -> QAction:
        """The action named ``name`` (:func:`action_name` of its text); KeyError when there is none."""
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"no action named {name!r}") from None

    def get(self, name: str) -> QAction | None:
        """The action named ``name``, or None."""
        return self._by_name.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    def group(self, group: str) -> list[QAction]:
        """The actions added under ``group``, in the order added."""
        return list(self._groups.get(group, ()))

    def set_group_enabled(self, group: str, enabled: bool) -> list[QAction]:
        """Enable or disable every action of ``group``; returns those whose state changed (to undo exactly)."""
        changed = [a for a in self._groups.get(group, ()) if a.isEnabled() != enabled]
        for a in changed:
            a.setEnabled(enabled)
        return changed


class ShortcutsDialog(QDialog):
    """Help > Shortcuts: every action with a key, generated from the registry's :attr:`ActionRegistry.rows`."""

    def __init__(self, rows: list[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts — GazeX Viewer")
        self.resize(560, 640)
        lay = QVBoxLayout(self)
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Group", "Action", "Keys"])
        for r, (group, text, keys) in enumerate(rows):
            for c, v in enumerate((group, text, keys)):
                self.table.setItem(r, c, QTableWidgetItem(v))
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        lay.addWidget(self.table)
        extra = QLabel(
            "Mouse: wheel zooms about the cursor, left-drag pans, right-drag sets the window "
            "(left/right = width, up/down = level). Click a region or a sentence to select it. "
            "While editing a finding (E), drag its boxes to move them or their handles to resize them; "
            "after Add missed finding (D), left-drag draws the new finding's box. "
            "After Ruler (M) or Cardiothoracic ratio (Shift+M), left-drag each span, or move the cross with the "
            "arrows and press Enter at each end."
        )
        extra.setWordWrap(True)
        lay.addWidget(extra)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay.addWidget(box)
