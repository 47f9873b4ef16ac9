"""The film's stored reviews, as the review controller shows them: other reviews, the new-draft question, export, audit.

Owns :class:`StoredReviews`, the part of :class:`~gazex_viewer.ui.review.controller.ReviewController` that reads
the review database about the open film: its stored readings (:meth:`~StoredReviews.stored_reviews`), the notice
that it has other stored reviews, the question when a new AI draft arrives over a review in progress
(:meth:`~StoredReviews.accept_new_draft`), Review > Stored reviews of this film… (open one exactly at its version),
File > Export… and Review > Audit log….
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.ui import settings as S

if TYPE_CHECKING:
    from gazex_viewer.core.reading.document import Reading
    from gazex_viewer.core.review.session import ReviewSession
    from gazex_viewer.core.review.store import ReviewStore, StoredReview
    from gazex_viewer.ui.review.audit_dialog import AuditDialog
    from gazex_viewer.ui.review.export_dialog import ExportDialog
    from gazex_viewer.ui.review.panel import ReviewPanel
    from gazex_viewer.ui.review.stored_reviews_dialog import StoredReviewsDialog
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["REVIEWED_PRODUCERS", "StoredReviews"]

#: producers whose readings are reviewed (expert and trainee readings are shown, not signed)
REVIEWED_PRODUCERS = ("model", "radiologist")


class StoredReviews:
    """What the review database holds about the open film (a part of :class:`ReviewController`, mixed in)."""

    if TYPE_CHECKING:  # provided by ReviewController
        workspace: Workspace
        shell: Shell
        panel: ReviewPanel
        store: ReviewStore | None
        store_message: str | None
        _exact_next: str | None

        @property
        def session(self) -> ReviewSession | None: ...
        def commit_pending(self) -> list[str]: ...
        def display_reading(self) -> Reading | None: ...
        def _numbers(self) -> dict[str, tuple[int, str]]: ...


    def _film_key(self) -> str:
        return str(getattr(self.workspace.radiograph, "pixel_sha256", "") or "")

    def stored_reviews(self) -> list[StoredReview]:
        """The stored readings of the open film (:class:`StoredReview`), newest change first."""
        key = self._film_key()
        if self.store is None or not key:
            return []
        try:
            return self.store.reviews_for_image(key)
        except GazeXError as err:
            self.shell.show_status(f"Cannot list the stored reviews: {err}", 10000)
            return []

    def _update_other_reviews(self) -> None:
        """Say in the review panel when the film has other stored reviews (a signed one is never hidden)."""
        s = self.session
        if s is None:
            self.panel.set_other_reviews(None)
            return
        chain = set(self.store.versions(s.reading_id)) if self.store is not None else {s.reading_id}
        others = [r for r in self.stored_reviews() if r.reading_id not in chain and (r.has_work or r.signoff)]
        if not others:
            self.panel.set_other_reviews(None)
            return
        signers = [r.signoff.reviewer for r in others if r.signoff is not None]
        text = f"This film has {len(others)} other stored review{'s' if len(others) != 1 else ''}"
        if signers:
            who = ", ".join(sorted(set(signers)))
            text += f", {len(signers)} of them signed (by {who})"
        text += ": Review > Stored reviews of this film…"
        self.panel.set_other_reviews(text)

    def has_review_in_progress(self) -> list[StoredReview]:
        """The open film's stored reviews with work in them (decisions, additions, impression, sign-off)."""
        self.commit_pending()
        return [r for r in self.stored_reviews() if r.has_work]

    def accept_new_draft(self, reading: Reading) -> bool:
        """A new AI draft arrived for the open film: may it replace the review on screen?

        When the film already has a stored review with decisions (or a signed one), the user is
        asked: Yes reviews the new draft as a new reading (the old review stays in the database,
        listed under Review > Stored reviews of this film…); No keeps the current review and sets
        the new draft aside. Without such a review the draft is shown at once (True).
        """
        if self.store is None or reading.producer.kind not in REVIEWED_PRODUCERS:
            return True
        busy = self.has_review_in_progress()
        if not busy:
            return True
        s = self.session
        current = next((r for r in busy if s is not None and r.reading_id == s.reading_id), busy[0])
        more = f" (and {len(busy) - 1} other stored review(s))" if len(busy) > 1 else ""
        question = (
            f"This film already has a review: {current.describe()}{more}.\n\n"
            "Yes: start reviewing the new AI draft as a new reading. The current review is kept "
            "unchanged in the review database (Review > Stored reviews of this film…).\n\n"
            "No: keep the current review. The new AI draft is set aside (not saved)."
        )
        if self.shell.ask_yes_no("Review the new AI draft?", question):
            return True
        if self.session is None or self.session.reading_id != current.reading_id:
            self.open_stored(current.reading_id)
        self.shell.show_status("Kept the current review; the new AI draft was set aside", 8000)
        return False

    def open_stored(self, reading_id: str) -> bool:
        """Show one stored reading of the open film for review, exactly that version."""
        if self.store is None:
            return False
        self.commit_pending()
        try:
            reading = self.store.load_reading(reading_id)
        except GazeXError as err:
            self.shell.show_error("Cannot open the stored review", str(err))
            return False
        self._exact_next = reading_id
        ok = bool(self.shell.show_reading(reading))
        if not ok:
            self._exact_next = None
        return ok

    def show_stored_reviews(self) -> StoredReviewsDialog | None:
        """Review > Stored reviews of this film…: pick among the film's stored readings."""
        from gazex_viewer.ui.review.stored_reviews_dialog import StoredReviewsDialog

        if self.store is None:
            self.shell.show_error("No review database", self.store_message or "The review database is not open.")
            return None
        if self.workspace.radiograph is None:
            self.shell.show_error("No film", "Open a film first.")
            return None
        reviews = self.stored_reviews()
        dlg = StoredReviewsDialog(
            reviews,
            current_id=None if self.session is None else self.session.reading_id,
            open_reading=self.open_stored,
            title=self.workspace.radiograph.name,
            parent=self.shell.dialog_parent(),
        )
        dlg.setStyleSheet(self.shell.style_sheet())
        dlg.finished.connect(lambda _r: self.panel.focus_list())
        dlg.show()
        return dlg

    def export_dialog(self) -> ExportDialog | None:
        """File > Export…: the reviewed reading (signed, or a draft marked as such)."""
        from gazex_viewer.ui.review.export_dialog import ExportDialog

        reading = self.session.reading if self.session is not None else self.workspace.reading
        if reading is None:
            self.shell.show_error("Nothing to export", "Open a film and its reading (or run the model) first.")
            return None
        rg = self.workspace.radiograph
        start = S.get_path("paths/export_dir") or S.get_path("paths/last_dir")
        dlg = ExportDialog(
            reading,
            image_path=None,
            radiograph=rg,
            start_dir=start,
            parent=self.shell.dialog_parent(),
            registry=self.store,
        )
        dlg.setStyleSheet(self.shell.style_sheet())
        dlg.export_button.clicked.connect(lambda: S.set_value("paths/export_dir", dlg.folder_edit.text()))
        dlg.finished.connect(lambda _r: self.panel.focus_list())  # the next key is a review key again
        dlg.show()
        return dlg

    def show_audit_log(self) -> AuditDialog | None:
        """Review > Audit log: every event of this study (all readings and versions)."""
        from gazex_viewer.ui.review.audit_dialog import AuditDialog

        reading = self.session.reading if self.session is not None else self.workspace.reading
        if self.store is None:
            self.shell.show_error("No review database", self.store_message or "The review database is not open.")
            return None
        if reading is None:
            self.shell.show_error("No study", "Open a film first.")
            return None
        key = reading.image.study_instance_uid or reading.image.pixel_sha256
        try:
            entries = self.store.events_for_study(key)
            if reading.image.study_instance_uid:
                seen = {e.event.id for e in entries}
                entries += [e for e in self.store.events_for_study(reading.image.pixel_sha256) if e.event.id not in seen]
        except GazeXError as err:
            self.shell.show_error("Cannot read the audit log", str(err))
            return None
        numbers = self._numbers()
        view = self.display_reading()

        def name(fid: str) -> str:
            n = numbers.get(fid, (0, ""))[0]
            text = ""
            if view is not None:
                try:
                    text = view.finding(fid).text
                except KeyError:
                    text = ""
            return f"{n} {text}".strip() if n else fid

        originals = {f.id: f.to_dict() for f in reading.findings}
        dlg = AuditDialog(
            entries,
            title=f"{reading.image.file_name}" + (f" (study {reading.image.study_instance_uid})" if reading.image.study_instance_uid else ""),
            finding_name=name,
            originals=originals,
            parent=self.shell.dialog_parent(),
        )
        dlg.setStyleSheet(self.shell.style_sheet())
        dlg.finished.connect(lambda _r: self.panel.focus_list())
        dlg.show()
        return dlg
