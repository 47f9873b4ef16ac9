"""The hash-chained review event log, and the check that the review state agrees with it.

Each :class:`~gazex_viewer.core.reading.document.ReviewEvent` carries ``prev_sha256``: the hash
(:func:`event_hash`) of the event before it, :data:`GENESIS` for the first. The hash of an event
is the SHA-256 of the canonical JSON of the whole event, its own ``prev_sha256`` included, so a
removed, reordered, inserted or edited event breaks the link after it; the last link (the log's
*head*) is covered by the sign-off's signature (``signoff.events_head``), and the sign event itself
must repeat the sign-off and link to that head.

A log written before the chain existed (no event has ``prev_sha256``) is *legacy*: it is accepted
as it is (with nothing proven); a chained log may start with legacy events, but once one event
is chained every later one must be.

:func:`state_problems` replays the chained log: every decision, addition and impression must be
what the last event that touched it left (so a decision edited in the database, bypassing the log,
is found); so must every measurement an event made or removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gazex_viewer.core.reading.document import Reading, ReviewEvent
from gazex_viewer.core.review.signing import canonical_json

#: ``prev_sha256`` of the first event of a chained log
GENESIS = "0" * 64


def event_fields(event: ReviewEvent) -> dict[str, Any]:
    """``event.to_dict()`` without its deep copy of before/after (hashing only reads them)."""
    d = {"id": event.id, "at": event.at, "reviewer": event.reviewer, "action": event.action,
         "finding_id": event.finding_id, "before": event.before, "after": event.after}
    if event.prev_sha256 is not None:
        d["prev_sha256"] = event.prev_sha256
    return d


def event_hash(event: ReviewEvent) -> str:
    """SHA-256 (hex) of the canonical JSON of the event (its ``prev_sha256`` included)."""
    return hashlib.sha256(canonical_json(event_fields(event)).encode("utf-8", "surrogatepass")).hexdigest()


def head_of(events: Sequence[ReviewEvent]) -> str:
    """The hash the next event must carry: :data:`GENESIS` for an empty log, else the last event's hash."""
    return GENESIS if not events else event_hash(events[-1])


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`check_chain`."""

    #: the hash of the last event (:data:`GENESIS` when there is none)
    head: str
    #: True when no event carries a chain hash (a log written before chaining)
    legacy: bool
    #: what is wrong, or None
    problem: str | None = None
    #: the head of the log before the sign event (None when there is no sign event)
    head_before_sign: str | None = None


def check_chain(events: Sequence[ReviewEvent]) -> ChainCheck:
    """Check every link of the log (see the module docstring)."""
    prev = GENESIS
    chained = False
    head_before_sign: str | None = None
    for i, ev in enumerate(events):
        if ev.action == "sign":
            head_before_sign = prev
        if ev.prev_sha256 is None:
            if chained:
                return ChainCheck(prev, False, f"review.events[{i}] ({ev.action}) has no chain hash "
                                  "after chained events: the event log was edited")
        else:
            if ev.prev_sha256 != prev:
                return ChainCheck(prev, False, f"review.events[{i}] ({ev.action} at {ev.at}) does not follow the "
                                  "event before it: an event was removed, reordered or edited")
            chained = True
        prev = event_hash(ev)
    return ChainCheck(prev, not chained, None, head_before_sign)


def _slot(event: ReviewEvent, model_ids: set[str]) -> tuple[str, str | None] | None:
    action = event.action.split(":", 1)[1] if event.action.startswith(("undo:", "redo:")) else event.action
    if action in ("impression", "own_impression"):
        return (action, None)
    if action in ("measure", "unmeasure"):
        return None if event.finding_id is None else ("measurement", event.finding_id)
    if action in ("open", "sign", "new_version") or event.finding_id is None:
        return None
    return ("decision" if event.finding_id in model_ids else "addition", event.finding_id)


def state_problems(reading: Reading) -> list[str]:
    """Where the review state disagrees with its (chained) event log; ``[]`` for a legacy log.

    Every decision, addition and impression that an event touched must be what the last such event
    left. What no event touched is not checked: a new version inherits its parent's state (its log
    opens with ``new_version``), and a reading may arrive with decisions made elsewhere and no log.
    """
    review = reading.review
    if review is None or not review.events or all(e.prev_sha256 is None for e in review.events):
        return []
    model_ids = {f.id for f in reading.findings}
    last: dict[tuple[str, str | None], Any] = {}
    for ev in review.events:
        slot = _slot(ev, model_ids)
        if slot is not None:
            last[slot] = ev.after
    out: list[str] = []
    for d in review.decisions:
        key = ("decision", d.finding_id)
        if key not in last:
            continue
        expected = last[key]
        if d.to_dict() != expected:
            out.append(f"review.decisions: finding {d.finding_id} is {d.status} but its event log says "
                       f"{(expected or {}).get('status', 'nothing')}: the decision was changed outside the review")
    current = {f.id: f.to_dict() for f in review.additions}
    for (kind, fid), after in last.items():
        if kind != "addition":
            continue
        if current.get(fid or "") != after:
            out.append(f"review.additions: added finding {fid} does not match its event log: "
                       "it was changed outside the review")
    measured = {m.id: m.to_dict() for m in review.measurements}
    for (kind, mid), after in last.items():
        if kind == "measurement" and measured.get(mid or "") != after:
            out.append(f"review.measurements: measurement {mid} does not match its event log: "
                       "it was changed outside the review")
    for name in ("impression", "own_impression"):
        if (name, None) in last and getattr(review, name) != last[(name, None)]:
            out.append(f"review.{name}: does not match its event log: it was changed outside the review")
    return out
