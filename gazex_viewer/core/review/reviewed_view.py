"""The reviewed view of a reading: what a review session leaves of the AI draft, in words, with no Qt.

Owns the read-only questions every view of a review asks (the review panel, the report, the film, the window title,
the audit log): the reading as the review leaves it (:func:`display_reading`: edited text and regions, additions
appended), a finding's decision notes (:func:`decision_notes`: the rejection reason, the AI's original words), the
undecided counter's sentence (:func:`counter_text`) and the review state shown in the window title
(:func:`title_state`). The command line can ask them too; the session stays the one source of truth.
"""

from __future__ import annotations

import copy

from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.review.session import ReviewSession

__all__ = ["NOTHING_UNDER_REVIEW", "counter_text", "decision_notes", "display_reading", "title_state"]

#: the counter's sentence when no reading is under review
NOTHING_UNDER_REVIEW = "No reading under review"


def display_reading(session: ReviewSession | None) -> Reading | None:
    """The reading as the review leaves it: edited text and regions, additions appended (None without a session).

    A shallow copy of the session's reading: its findings list is new, everything else is shared.
    """
    if session is None:
        return None
    view = copy.copy(session.reading)
    view.findings = [session.effective_finding(f.id) for f in session.reading.findings] + list(session.review.additions)
    return view


def decision_notes(session: ReviewSession, finding_id: str) -> tuple[str | None, str | None]:
    """(rejection reason, the AI's original text when edited) of a finding under review."""
    status = session.status(finding_id)
    if status not in ("rejected", "edited"):
        return None, None
    d = next((d for d in session.review.decisions if d.finding_id == finding_id), None)
    reason = d.reason if d is not None else None
    original = session.reading.finding(finding_id).text if status == "edited" else None
    return reason, original


def counter_text(session: ReviewSession | None) -> str:
    """The undecided counter in words ("2 of 5 AI finding(s) undecided · 1 accepted, 2 rejected")."""
    s = session
    if s is None:
        return NOTHING_UNDER_REVIEW
    if s.signature_invalid:
        if s.signature_state == "legacy":
            return "Not signed: only a legacy content hash, which does not prove who signed"
        return "Signature invalid: this reading was changed after signing"
    c = s.counts()
    n_model = len(s.finding_ids) - c["added"]
    if s.ai_hidden:
        return f"Read first: {n_model} AI finding(s) hidden until you write your impression"
    head = (
        f"{c['undecided']} of {n_model} AI finding(s) undecided"
        if c["undecided"]
        else f"All {n_model} AI finding(s) decided"
    )
    parts = [f"{c[k]} {k}" for k in ("accepted", "edited", "rejected", "added") if c[k]]
    return head + (" · " + ", ".join(parts) if parts else "")


def title_state(session: ReviewSession | None) -> str:
    """The review's state as the window title shows it after the film's name (" — reviewing, 2 undecided"; "" without one)."""
    s = session
    if s is None:
        return ""
    if s.signature_invalid:
        return (" — NOT SIGNED (legacy hash only)" if s.signature_state == "legacy"
                else " — SIGNATURE INVALID (changed after signing)")
    if s.is_signed and s.signoff is not None:
        return f" — signed by {s.signoff.reviewer}"
    if s.ai_hidden:
        return " — read first"
    n = len(s.undecided())
    return f" — reviewing, {n} undecided" if n else " — reviewed, not signed"
