"""How the film and the report follow the review: one observer per view, each a slot on ``Workspace.review_changed``.

Owns :class:`FilmReview` (the film and the player: the reviewed regions, each finding's decision state, the region
being edited, and read first's hidden draft) and :class:`ReportReview` (the report tab: state badges, edited text,
rejections struck through, additions listed, the final report; hidden while the draft is read first). Each reads the
session the workspace emits and draws its own view from it; nobody pushes a change to them, so a new view of the
review is one more observer, not one more line in a mediator.

Both draw "the reading as the review leaves it" (:func:`~gazex_viewer.core.review.reviewed_view.display_reading`).
The review controller tells them to start afresh (:meth:`FilmReview.reset`, :meth:`ReportReview.reset`) when it
opens another session, and when a mode gives the film back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.playback import TrajectoryPlayback
from gazex_viewer.core.review.final_report import build_final_report
from gazex_viewer.core.review.reviewed_view import decision_notes, display_reading
from gazex_viewer.ui.review.rows import state_badge
from gazex_viewer.ui.style import finding_styles

if TYPE_CHECKING:
    from gazex_viewer.core.reading.document import Reading
    from gazex_viewer.core.review.session import ReviewSession
    from gazex_viewer.ui.film.region_editor import RegionEditor
    from gazex_viewer.ui.report.panel import ReportPanel
    from gazex_viewer.ui.services import Shell
    from gazex_viewer.ui.workspace import Workspace

__all__ = ["FilmReview", "ReportReview", "finding_numbers"]


def finding_numbers(view: Reading | None) -> dict[str, tuple[int, str]]:
    """(sentence number, colour) of every finding of the reviewed view, as the film, report and review list show them."""
    return {fid: (st.number, st.colour) for fid, st in finding_styles(view).items()} if view else {}


class FilmReview(QObject):
    """The film and the player as the review leaves them (a slot on ``workspace.review_changed``).

    While the draft is read first, the film shows no regions, the player no trajectory, and nothing is selected.
    Otherwise the film shows the reviewed findings (redrawn only when a finding's words, labels or regions
    changed: then ``numbers_changed`` is called with the new numbering) and each finding's decision state; the
    region being edited follows the session.
    """

    def __init__(
        self,
        workspace: Workspace,
        shell: Shell,
        region_editor: RegionEditor,
        numbers_changed: Callable[[dict[str, tuple[int, str]]], None],
    ) -> None:
        super().__init__(workspace)
        self.workspace = workspace
        self.shell = shell
        self.region_editor = region_editor
        self.numbers_changed = numbers_changed
        self._geometry_key: object = None
        self._ai_shown = True
        workspace.review_changed.connect(self.on_review_changed)

    def reset(self) -> None:
        """Draw the film afresh on the next change (another session, or the film given back by a mode)."""
        self._geometry_key = None
        self._ai_shown = True

    def redraw(self) -> None:
        """Draw the reviewed regions afresh on the next change (a new version of the same reading)."""
        self._geometry_key = None

    def on_review_changed(self, session: ReviewSession | None) -> None:
        sh = self.shell
        if session is None:
            self._set_states({})
            return
        if session.ai_hidden:
            if self._ai_shown:
                self.hide_draft()
            return
        if not self._ai_shown:
            self._show_ai(session)
        view = display_reading(session)
        assert view is not None
        key = [(f.id, f.text, repr(f.observation), repr(f.clues), repr(f.labels)) for f in view.findings]
        if key != self._geometry_key:
            self._geometry_key = key
            pb = sh.controller.playback
            sh.canvas.set_reading(view, pb)
            sh.canvas.set_layers(**sh.player_bar.layers())
            # the player's clock as the window shows it on every tick: trail, playing frame, playing finding
            sh.canvas.set_trail_length(pb.trail_length)
            sh.canvas.update_playback()
            sh.selection.set_playing(pb.current_finding_id if len(pb) else None)
            self.numbers_changed(finding_numbers(view))
        states = {fid: str(session.status(fid)) for fid in session.finding_ids}
        self._set_states(states)
        editing = self.region_editor.editing
        if editing is not None and editing in states:
            self.region_editor.edit(editing, session.effective_finding(editing))

    def _set_states(self, states: dict[str, str]) -> None:
        setter = getattr(self.shell.canvas, "set_region_states", None)
        if setter is not None:
            setter(states)

    def hide_draft(self) -> None:
        """Read first: no regions on the film, no trajectory in the player, nothing selected (until revealed)."""
        sh = self.shell
        self._ai_shown = False
        sh.canvas.set_reading(None)
        sh.controller.set_playback(TrajectoryPlayback([]))
        self.workspace.set_playback(sh.controller.playback)
        sh.player_bar.set_sentence_spans({})
        sh.selection.clear()
        sh.show_status("Read first: the AI draft is hidden until you write your impression", 10000)

    def _show_ai(self, session: ReviewSession) -> None:
        sh = self.shell
        self._ai_shown = True
        self._geometry_key = None
        sh.controller.set_playback(TrajectoryPlayback(session.reading.trajectory))
        self.workspace.set_playback(sh.controller.playback)
        sh.player_bar.set_sentence_spans(finding_styles(session.reading))


class ReportReview(QObject):
    """The report tab as the review leaves it (a slot on ``workspace.review_changed``).

    Per sentence: the state badge, the edited words (with what the AI wrote), a rejection struck through with its
    reason; below them the findings the radiologist added; above, the final report. Hidden while the draft is
    read first. Without a session the badges and the final report are cleared.
    """

    def __init__(self, workspace: Workspace, shell: Shell, report: ReportPanel) -> None:
        super().__init__(workspace)
        self.shell = shell
        self.report = report
        self._ai_shown = True
        workspace.review_changed.connect(self.on_review_changed)

    def reset(self, *, show: bool = True) -> None:
        """Start afresh on the next change: another session (the report is shown again), or a mode gave the
        film back (``show=False``: a draft still read first is hidden again, without showing it first)."""
        self._ai_shown = True
        if show:
            self.report.show()

    def hide_draft(self) -> None:
        """Read first: the report is hidden until the radiologist's own impression reveals the draft."""
        self._ai_shown = False
        self.report.hide()

    def on_review_changed(self, session: ReviewSession | None) -> None:
        rp = self.report
        if session is None:
            rp.set_final_report(None)
            for fid in list(rp.rows):
                rp.set_badge(fid, "")
                rp.set_reviewed(fid, None, None)
            return
        if session.ai_hidden:
            if self._ai_shown:
                self.hide_draft()
            return
        if not self._ai_shown:
            self._ai_shown = True
            rp.set_reading(session.reading)
            rp.show()
        s = session
        view = display_reading(s)
        numbers = finding_numbers(view)
        additions = {f.id: (f, *numbers.get(f.id, (0, state_badge("added")[1]))) for f in s.review.additions}
        sentence_ids = {x.id for x in s.reading.sentences}
        unsentenced = {
            f.id: (s.effective_finding(f.id), *numbers.get(f.id, (0, "#888888")))
            for f in s.reading.findings if f.sentence_id not in sentence_ids
        }
        try:
            rp.set_final_report(build_final_report(s.reading), additions, unsentenced)
        except GazeXError as err:  # a reading the report cannot be built from: say so, keep the rows
            self.shell.show_status(str(err), 10000)
        states = {fid: s.status(fid) for fid in s.finding_ids}
        for fid in list(rp.rows):
            if fid in states:
                text, bg, fg = state_badge(states[fid])
                rp.set_badge(fid, text, bg, fg)
                reason, original = decision_notes(s, fid)
                rp.set_reviewed(fid, s.effective_finding(fid), states[fid], original=original, reason=reason)
