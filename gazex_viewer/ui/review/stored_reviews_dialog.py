"""Review > Stored reviews of this film…: every stored reading of the open film, to pick one.

A film can carry several readings: a first AI draft reviewed and signed, a later draft reviewed as a
new reading, new versions of a signed report. Reopening a film resumes the most recently changed
one; this list reaches the others (a signed review is never hidden).
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.review.store import StoredReview


class StoredReviewsDialog(QDialog):
    """List the stored readings of a film; Open shows the chosen one for review.

    Parameters
    ----------
    reviews
        The film's stored readings (:meth:`ReviewStore.reviews_for_image`), newest change first.
    current_id
        The reading under review now (marked in the list).
    open_reading
        Called with the chosen reading id when the user presses Open (or double-clicks).
    """

    def __init__(
        self,
        reviews: list[StoredReview],
        *,
        current_id: str | None,
        open_reading: Callable[[str], object],
        title: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Stored reviews of this film — GazeX Viewer")
        self.resize(720, 360)
        self.reviews = list(reviews)
        self._open = open_reading
        self.opened: str | None = None
        lay = QVBoxLayout(self)
        head = QLabel(
            f"<b>{html.escape(title or 'This film')}</b>: {len(self.reviews)} stored reading(s). "
            "Open one to review or read it; the others are kept unchanged."
        )
        head.setWordWrap(True)
        lay.addWidget(head)
        self.list = QListWidget()
        self.list.setObjectName("storedReviews")
        for r in self.reviews:
            mark = "▶ " if r.reading_id == current_id else ""
            now = " (under review now)" if r.reading_id == current_id else ""
            item = QListWidgetItem(f"{mark}{r.describe()}{now}\n    reading {r.reading_id}"
                                   + (f", new version of {r.parent_id}" if r.parent_id else ""))
            item.setData(Qt.ItemDataRole.UserRole, r.reading_id)
            if r.signoff is not None:
                item.setForeground(Qt.GlobalColor.green)
            self.list.addItem(item)
        if self.reviews:
            self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(lambda _i: self.open_selected())
        lay.addWidget(self.list, 1)
        self.buttons = QDialogButtonBox()
        self.open_button = self.buttons.addButton("Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.open_button.clicked.connect(self.open_selected)
        self.open_button.setEnabled(bool(self.reviews))
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def select(self, reading_id: str) -> bool:
        """Select the row of ``reading_id``; False when it is not listed."""
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == reading_id:
                self.list.setCurrentRow(i)
                return True
        return False

    def open_selected(self) -> str | None:
        """Open the selected reading (the dialog closes); returns its id."""
        item = self.list.currentItem()
        if item is None:
            return None
        rid = str(item.data(Qt.ItemDataRole.UserRole))
        self.opened = rid
        self._open(rid)
        self.accept()
        return rid
