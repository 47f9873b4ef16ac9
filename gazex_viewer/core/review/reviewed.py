"""The reviewed state of one reading: each finding's status and effective text, the report's findings, the slots.

:class:`ReviewedState` is the part of :class:`~gazex_viewer.core.review.session.ReviewSession` that reads (and, for
the session's recording, sets) the review state: the model findings' decisions, the radiologist's additions and the
impressions and the measurements, held as *slots* with JSON values (see the session's docstring). :class:`ReviewedFinding` is a finding
as the review leaves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gazex_viewer.core.reading.document import (
    Decision,
    Finding,
    Measurement,
    Reading,
    Review,
)
from gazex_viewer.core.review.review_errors import ReviewError

#: what :meth:`ReviewedState.status` reports for a finding
FindingStatus = Literal["undecided", "accepted", "rejected", "edited", "added"]
Slot = Literal["decision", "addition", "impression", "own_impression", "measurement"]
#: the actions that add and remove a measurement (their event's ``finding_id`` is the measurement's id)
MEASUREMENT_ACTIONS: frozenset[str] = frozenset({"measure", "unmeasure"})


@dataclass(frozen=True)
class ReviewedFinding:
    """A finding as the review leaves it: the effective text/labels/regions and its status."""

    finding: Finding
    status: FindingStatus
    reason: str | None = None
    #: the model's original finding for an edited one; None for additions
    original: Finding | None = None


class ReviewedState:
    """Statuses, effective findings, navigation and slot access over a session's reading and review."""

    _reading: Reading
    _model_ids: list[str]
    _model_id_set: set[str]
    _addition_rank: dict[str, int]

    @property
    def review(self) -> Review:
        raise NotImplementedError

    @property
    def reading_id(self) -> str:
        return self._reading.reading_id

    @property
    def finding_ids(self) -> list[str]:
        """Every finding in display order: the model's, then the radiologist's additions."""
        return self._model_ids + [f.id for f in self.review.additions]

    def _decision(self, finding_id: str) -> Decision:
        for d in self.review.decisions:
            if d.finding_id == finding_id:
                return d
        raise KeyError(finding_id)

    def _addition(self, finding_id: str) -> Finding | None:
        for f in self.review.additions:
            if f.id == finding_id:
                return f
        return None

    def _check_known(self, finding_id: str) -> None:
        if finding_id not in self._model_id_set and self._addition(finding_id) is None:
            raise ReviewError(None, f"reading {self.reading_id} has no finding {finding_id!r}")

    def status(self, finding_id: str) -> FindingStatus:
        """The finding's state: undecided, accepted, rejected, edited or added."""
        self._check_known(finding_id)
        if finding_id in self._model_id_set:
            return self._decision(finding_id).status
        return "added"

    def effective_finding(self, finding_id: str) -> Finding:
        """The finding as it now reads: the edited version when edited, else the original."""
        self._check_known(finding_id)
        if finding_id in self._model_id_set:
            d = self._decision(finding_id)
            if d.status == "edited" and d.edited is not None:
                return d.edited
            return self._reading.finding(finding_id)
        added = self._addition(finding_id)
        assert added is not None
        return added

    def measurement(self, measurement_id: str) -> Measurement | None:
        """The review's measurement with this id, or None."""
        return next((m for m in self.review.measurements if m.id == measurement_id), None)

    def undecided(self) -> list[str]:
        """Ids of the model findings still undecided, in report order."""
        return [d.finding_id for d in self.review.decisions if d.status == "undecided"]

    def counts(self) -> dict[str, int]:
        """How many findings are in each state (for the counter)."""
        out = {"undecided": 0, "accepted": 0, "rejected": 0, "edited": 0, "added": 0}
        for fid in self.finding_ids:
            out[self.status(fid)] += 1
        return out

    def next_undecided(self, after_id: str | None = None) -> str | None:
        """The first undecided finding after ``after_id`` in report order, wrapping around."""
        return self._step_undecided(after_id, +1)

    def previous_undecided(self, before_id: str | None = None) -> str | None:
        """The last undecided finding before ``before_id`` in report order, wrapping around."""
        return self._step_undecided(before_id, -1)

    def _step_undecided(self, ref: str | None, step: int) -> str | None:
        ids = self._model_ids
        if not ids:
            return None
        if ref is None or ref not in self._model_id_set:
            order = ids if step > 0 else ids[::-1]
        else:
            i = ids.index(ref)
            n = len(ids)
            order = [ids[(i + step * k) % n] for k in range(1, n + 1)]
        for fid in order:
            if self._decision(fid).status == "undecided":
                return fid
        return None

    def reviewed_findings(self, *, include_rejected: bool = False) -> list[ReviewedFinding]:
        """The findings the report keeps (accepted, edited, added), in display order.

        With ``include_rejected`` the rejected (and undecided) model findings are listed too,
        so a PDF can show every decision.
        """
        out: list[ReviewedFinding] = []
        for d in self.review.decisions:
            original = self._reading.finding(d.finding_id)
            if d.status in ("accepted",) or (d.status == "edited" and d.edited is not None):
                eff = d.edited if d.status == "edited" and d.edited is not None else original
                out.append(
                    ReviewedFinding(eff, d.status, d.reason, original if d.status == "edited" else None)
                )
            elif include_rejected:
                out.append(ReviewedFinding(original, d.status, d.reason, None))
        for f in self.review.additions:
            out.append(ReviewedFinding(f, "added"))
        return out

    # -- slots -----------------------------------------------------------------------------
    def _slot_of(self, action: str, finding_id: str | None) -> Slot:
        base = action.split(":", 1)[1] if action.startswith(("undo:", "redo:")) else action
        if base == "impression":
            return "impression"
        if base == "own_impression":
            return "own_impression"
        if base in MEASUREMENT_ACTIONS:
            return "measurement"
        if finding_id is not None and finding_id in self._model_id_set:
            return "decision"
        return "addition"

    def _get(self, slot: Slot, finding_id: str | None) -> Any:
        if slot == "decision":
            assert finding_id is not None
            return self._decision(finding_id).to_dict()
        if slot == "addition":
            assert finding_id is not None
            f = self._addition(finding_id)
            return None if f is None else f.to_dict()
        if slot == "measurement":
            m = self.measurement(finding_id or "")
            return None if m is None else m.to_dict()
        return getattr(self.review, slot)

    def _set(self, slot: Slot, finding_id: str | None, value: Any) -> None:
        review = self.review
        if slot == "decision":
            assert finding_id is not None
            new = Decision.from_dict(value)
            review.decisions = [new if d.finding_id == finding_id else d for d in review.decisions]
        elif slot == "addition":
            assert finding_id is not None
            idx = next((i for i, f in enumerate(review.additions) if f.id == finding_id), None)
            if value is None:
                if idx is not None:
                    del review.additions[idx]
            elif idx is None:
                rank = self._rank(finding_id)
                pos = next(
                    (i for i, f in enumerate(review.additions) if self._rank(f.id) > rank),
                    len(review.additions),
                )
                review.additions.insert(pos, Finding.from_dict(value))
            else:
                review.additions[idx] = Finding.from_dict(value)
        elif slot == "measurement":
            assert finding_id is not None
            kept = [m for m in review.measurements if m.id != finding_id]
            if value is not None:  # back in its place: measurements stay in the order they were first made
                rank = self._rank(finding_id)
                pos = next((i for i, m in enumerate(kept) if self._rank(m.id) > rank), len(kept))
                kept.insert(pos, Measurement.from_dict(value))
            review.measurements = kept
        else:
            setattr(review, slot, value)

    def _rank(self, finding_id: str) -> int:
        return self._addition_rank.setdefault(finding_id, len(self._addition_rank))
