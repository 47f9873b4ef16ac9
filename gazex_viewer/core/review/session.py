"""The review session: the radiologist's decisions on one reading, with undo/redo and sign-off.

A :class:`ReviewSession` wraps one :class:`~gazex_viewer.core.reading.document.Reading`. Every change
(accept, reject, edit, add, remove, impression, undo, redo, sign) becomes a
:class:`~gazex_viewer.core.reading.document.ReviewEvent` that is written to the session's
:class:`~gazex_viewer.core.review.store.ReviewStore` *before* the session reports success: when the
store write fails, the in-memory state is rolled back and the error is raised. Listeners added with
:meth:`ReviewSession.subscribe` are called after each successful change (the UI refreshes from them).
:meth:`ReviewSession.open` starts or resumes the review of a reading in any store; when another station decided
first, the store refuses the stale write (:class:`~gazex_viewer.core.review.store_errors.StaleWriteError`) and the
session reloads (:meth:`ReviewSession.reload`) so the reviewer sees that decision and can redo theirs. The parts of
the session live beside it: :mod:`~gazex_viewer.core.review.reviewed` (statuses and slots),
:mod:`~gazex_viewer.core.review.history` (undo/redo), :mod:`~gazex_viewer.core.review.session_integrity`,
:mod:`~gazex_viewer.core.review.sync` (writes and pending changes).

State model
-----------
The review state is a set of *slots*, each with a JSON value:

- ``decision`` of each model finding: a :class:`Decision` dict (undecided / accepted / rejected /
  edited, with the edited finding);
- ``addition`` of each finding the radiologist added: a :class:`Finding` dict, or ``None`` once removed;
- ``impression`` and ``own_impression`` (the "read first" impression written before the AI draft
  is revealed): text or ``None``; ``measurement`` of each ruler or CTR (``session_measurements``): its dict or None.

Every event stores the slot's value before and after, so undo, redo, the audit view and resuming
after a crash all work from the event log alone. A signed reading is frozen: a later change needs
:meth:`ReviewSession.new_version`; an attending may still countersign it (:mod:`~gazex_viewer.core.review.countersign`).
A session opened read-only (a read-only role, a study claimed by someone else) refuses every change, saying why.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import (
    Box,
    Decision,
    Finding,
    Label,
    Reading,
    Review,
    ReviewEvent,
    SignOff,
    new_id,
    utc_now,
)
from gazex_viewer.core.review.audit_chain import head_of
from gazex_viewer.core.review.countersign import CountersignMixin, store_role
from gazex_viewer.core.review.history import OTHER_ACTIONS, UNDOABLE_ACTIONS, Change, UndoHistory
from gazex_viewer.core.review.integrity import (  # re-exported (__all__): the review's public names
    LEGACY,
    SIGNATURE_MISMATCH,
    ReadingCheck,
    check_reading,
    check_signature,
    content_sha256,
    is_validly_signed,
    signature_problem,
    signed_content,
    verify_signoff,
)
from gazex_viewer.core.review.review_errors import ReadingSignedError, ReviewError, ReviewIncompleteError
from gazex_viewer.core.review.reviewed import FindingStatus, ReviewedFinding, ReviewedState, Slot
from gazex_viewer.core.review.session_integrity import SessionIntegrity
from gazex_viewer.core.review.session_measurements import SessionMeasurements
from gazex_viewer.core.review.signing import KeyRegistry, SigningKey, canonical_json
from gazex_viewer.core.review.signoff import SignOffKeyError, make_signoff
from gazex_viewer.core.review.store_errors import StaleWriteError
from gazex_viewer.core.review.sync import StoreSync

if TYPE_CHECKING:
    from gazex_viewer.core.review.store import ReviewStore

__all__ = [
    "ReviewSession",
    # re-exported: the review's public names (mypy's no_implicit_reexport holds core to this list)
    "OTHER_ACTIONS", "UNDOABLE_ACTIONS", "Change", "UndoHistory",
    "LEGACY", "SIGNATURE_MISMATCH", "ReadingCheck", "check_reading", "check_signature", "content_sha256",
    "is_validly_signed", "signature_problem", "signed_content", "verify_signoff",
    "ReadingSignedError", "ReviewError", "ReviewIncompleteError",
    "FindingStatus", "ReviewedFinding", "ReviewedState", "Slot",
    "KeyRegistry", "SigningKey", "canonical_json",
]

log = logging.getLogger(__name__)

_UNSET: Any = object()


class ReviewSession(SessionIntegrity, SessionMeasurements, UndoHistory, CountersignMixin):
    """The radiologist's review of one reading.

    Parameters
    ----------
    reading
        The reading under review. Its ``review`` is created when absent and is updated in place.
    reviewer
        The reviewer's name, recorded with every event.
    store
        Where every change is written before it is reported; ``None`` keeps the review in memory
        only (tests, demos). Use :meth:`ReviewSession.open` to start or resume a stored review.
    read_first
        "Read first" mode: the AI findings stay hidden (and cannot be decided) until the
        radiologist has set their own impression with :meth:`set_own_impression`.
    read_only
        True, or the reason in words ("being read by Dr X since 10:42"): every change is refused.
    """

    def __init__(
        self,
        reading: Reading,
        reviewer: str,
        *,
        store: ReviewStore | None = None,
        read_first: bool = False,
        registry: KeyRegistry | None = None,
        store_version: int | None = None,
        store_problems: list[str] | None = None,
        _history: Iterable[ReviewEvent] | None = None,
        read_only: bool | str = False,
    ) -> None:
        if not reviewer or not reviewer.strip():
            raise ReviewError(None, "a reviewer name is required")
        self._reading = reading
        self.reviewer = reviewer.strip()
        self._store = store
        self.read_first = read_first
        self.read_only_reason = (read_only if isinstance(read_only, str) else "opened read-only") if read_only else None
        self._model_ids = [f.id for f in reading.findings]
        self._model_id_set = set(self._model_ids)
        if len(self._model_id_set) != len(self._model_ids):
            raise ReviewError(None, f"reading {reading.reading_id} has duplicate finding ids")
        self._listeners: list[Callable[[ReviewEvent], None]] = []
        #: where signers' public keys are registered: the given registry, else the store
        self.registry: KeyRegistry | None = registry if registry is not None else store
        self._adopt(reading.review or Review(), store_version, store_problems, _history)

    def _adopt(self, review: Review, store_version: int | None, store_problems: list[str] | None,
               history: Iterable[ReviewEvent] | None = None) -> None:
        """Take ``review`` as the reading's review: every model finding has a decision, undo/redo from its log."""
        self._reading.review = review
        if review.reviewer is None:
            review.reviewer = self.reviewer
        known = {d.finding_id for d in review.decisions}
        for fid in self._model_ids:
            if fid not in known:
                review.decisions.append(Decision(finding_id=fid))
        order = {fid: i for i, fid in enumerate(self._model_ids)}
        review.decisions.sort(key=lambda d: order.get(d.finding_id, len(order)))
        self._undo: list[Change] = []
        self._redo: list[Change] = []
        #: creation order of added findings, so an undone removal goes back to its place
        self._addition_rank: dict[str, int] = {}
        self._replay(review.events if history is None else history)
        #: the integrity rules' verdict (signature, event chain, state against log) at load and after signing
        self._check: ReadingCheck = check_reading(self._reading, self.registry)
        if store_problems:  # what only the store can tell (an event row removed at the end of the log)
            self._check = ReadingCheck(self._check.signature, self._check.problems + list(store_problems))
        #: versioned writes and the changes kept pending when the store cannot take them (core.review.sync)
        self._sync = StoreSync(self._store, store_version)

    def reload(self) -> None:
        """Read this reading's review from the store again (it was changed at another station or window).

        The undo history is rebuilt from the stored log; changes not saved yet are dropped (a
        :class:`~gazex_viewer.core.review.store_errors.StaleWriteError` named them). Listeners are told.
        """
        if self._store is None:
            return
        stored = self._store.load(self.reading_id)
        review = stored.reading.review or Review()
        self._adopt(review, stored.version, self._store.log_problems(self.reading_id, review.events))
        if review.events:
            self._notify(review.events[-1])

    @classmethod
    def open(
        cls,
        store: ReviewStore,
        reading: Reading,
        reviewer: str,
        *,
        read_first: bool = False,
        follow_versions: bool = True,
        read_only: bool | str = False,
    ) -> ReviewSession:
        """A review session for this reading in ``store``, resuming where its stored review stood.

        A reading not yet stored is registered (with ``read_first``). A stored one is loaded from
        the store (the stored state wins over the passed-in review), following the version links
        to its newest version unless ``follow_versions`` is False (a version the user picked);
        ``read_first`` then keeps the stored setting. ``read_only`` (always, for a read-only database role)
        opens it without changing anything: a reading not stored is then reviewed in memory only.
        """
        if store_role(store) == "read-only":
            read_only = (f"{getattr(store, 'db_user', reviewer)} has the read-only role in the review database")
        if read_only and not store.has_reading(reading.reading_id):
            return cls(reading, reviewer, registry=store, read_first=read_first, read_only=read_only)
        if not store.has_reading(reading.reading_id):
            store.add_reading(reading, read_first=read_first)
            latest = reading.reading_id
        elif follow_versions:
            latest = store.latest_version_id(reading.reading_id)
        else:
            latest = reading.reading_id
        stored = store.load(latest)
        events = stored.reading.review.events if stored.reading.review else []
        return cls(stored.reading, reviewer, store=store, read_first=stored.read_first, store_version=stored.version,
                   store_problems=store.log_problems(latest, events), read_only=read_only)

    def _reload_after(self, stale: StaleWriteError) -> None:
        """After a refused stale write: reload; when even that fails, nothing more is written here (as before)."""
        try:
            self.reload()
        except GazeXError as err:
            log.warning("review %s: cannot reload after a stale write: %s", self.reading_id, err)
            self._sync.conflict = stale

    # -- read-only view --------------------------------------------------------------------
    @property
    def reading(self) -> Reading:
        """The reading, with its review updated in place."""
        return self._reading

    @property
    def review(self) -> Review:
        assert self._reading.review is not None
        return self._reading.review

    @property
    def store(self) -> ReviewStore | None:
        return self._store

    @property
    def ai_hidden(self) -> bool:
        """True in "read first" mode until the radiologist's own impression is written."""
        return self.read_first and not (self.review.own_impression or "").strip()

    # -- listeners ---------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[ReviewEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` after every recorded change; returns an unsubscribe function."""
        self._listeners.append(callback)

        def unsubscribe() -> None:
            if callback in self._listeners:
                self._listeners.remove(callback)

        return unsubscribe

    def _notify(self, event: ReviewEvent) -> None:
        for cb in list(self._listeners):
            try:
                cb(event)
            except Exception:  # a broken view must not undo a durable decision
                log.exception("review listener %r failed", cb)

    # -- recording ---------------------------------------------------------------------------
    def _check_open(self) -> None:
        self._check_writable()
        if self._sync.conflict is not None:
            raise self._sync.conflict
        if self.review.signoff is None and self._check.problems:
            raise ReviewError(
                None,
                f"reading {self.reading_id}: {self._check.problems[0]}; it cannot be changed here",
            )
        if self.signature_invalid:
            raise ReadingSignedError(
                None,
                f"reading {self.reading_id}: {self.signature_problem}; it is not a signed report "
                "and cannot be changed or signed here",
            )
        signoff = self.review.signoff
        if self.is_signed and signoff is not None:  # is_signed implies a sign-off
            raise ReadingSignedError(
                None,
                f"reading {self.reading_id} was signed by {signoff.reviewer} "
                "and is frozen; start a new version to change it",
            )

    def _check_visible(self) -> None:
        if self.ai_hidden:
            raise ReviewError(
                None, "read-first mode: write your own impression before deciding on AI findings"
            )

    def _record(
        self, action: str, finding_id: str | None, slot: Slot, after: Any
    ) -> ReviewEvent | None:
        """Apply one slot change, persist it, then report it; roll back if the store fails.

        A change that changes nothing (accepting an accepted finding) records nothing: None.
        """
        before = self._get(slot, finding_id)
        if before == after:
            return None
        event = ReviewEvent(
            id=new_id("e"),
            at=utc_now(),
            reviewer=self.reviewer,
            action=action,
            finding_id=finding_id,
            before=before,
            after=after,
            prev_sha256=head_of(self.review.events),
        )
        self._set(slot, finding_id, after)
        self.review.events.append(event)
        try:
            not_saved = self._sync.write(self._reading, event)
        except BaseException as err:
            self.review.events.pop()
            self._set(slot, finding_id, before)
            if isinstance(err, StaleWriteError):
                self._reload_after(err)  # the reviewer sees the other decision and can redo theirs
            raise
        self._push(Change(action, slot, finding_id, before, after))
        self._notify(event)
        if not_saved is not None:
            raise not_saved
        return event

    def retry_pending(self) -> bool:
        """Try again to write the changes that could not be saved; True when nothing is left pending."""
        if not self._sync.pending:
            return True
        try:
            problem = self._sync.write(self._reading, None)
        except StaleWriteError as err:
            self._reload_after(err)
            raise
        if problem is None:
            self._notify(self.review.events[-1])
        return problem is None

    # -- decisions ---------------------------------------------------------------------------
    def _model_decision(self, finding_id: str) -> Decision:
        if finding_id not in self._model_id_set:
            self._check_known(finding_id)
            raise ReviewError(
                None, f"{finding_id} is a finding you added; edit or remove it instead"
            )
        return self._decision(finding_id)

    def accept(self, finding_id: str) -> ReviewEvent | None:
        """Accept a model finding as the model wrote it (an edit is kept: use :meth:`reset` first).

        An added finding is already part of the report: accepting it changes nothing (None).
        """
        self._check_open()
        self._check_visible()
        if finding_id not in self._model_id_set and self._addition(finding_id) is not None:
            return None
        d = self._model_decision(finding_id)
        if d.status == "edited":
            after = Decision(finding_id, "edited", None, d.edited).to_dict()
        else:
            if self._reading.finding(finding_id).unreadable:
                raise ReviewError(
                    None,
                    f"{finding_id} is unreadable model output: it cannot be accepted as written; "
                    "edit it into words or reject it",
                )
            after = Decision(finding_id, "accepted").to_dict()
        return self._record("accept", finding_id, "decision", after)

    def reject(self, finding_id: str, reason: str | None = None) -> ReviewEvent | None:
        """Reject a model finding (with an optional reason); rejecting an added finding removes it."""
        self._check_open()
        self._check_visible()
        if finding_id not in self._model_id_set:
            return self.remove_finding(finding_id)
        self._model_decision(finding_id)
        reason = reason.strip() if reason and reason.strip() else None
        after = Decision(finding_id, "rejected", reason).to_dict()
        return self._record("reject", finding_id, "decision", after)

    def reset(self, finding_id: str) -> ReviewEvent | None:
        """Return a model finding to undecided (dropping any edit)."""
        self._check_open()
        self._model_decision(finding_id)
        return self._record("reset", finding_id, "decision", Decision(finding_id).to_dict())

    def edit(
        self,
        finding_id: str,
        *,
        text: str | None = None,
        labels: list[Label] | None = None,
        observation: Box | None = _UNSET,
        clues: list[Box] | None = None,
    ) -> ReviewEvent | None:
        """Change a finding's text, labels, observation region or clue regions.

        Only the given fields change (``observation=None`` removes the region). A model finding
        becomes "edited" (the original is kept for audit); an added finding is changed in place.
        The UI should call this once per completed gesture (box released), not per mouse move.
        """
        self._check_open()
        self._check_visible()
        self._check_known(finding_id)
        current = copy.deepcopy(self.effective_finding(finding_id))
        if text is not None:
            if not text.strip():
                raise ReviewError(None, f"{finding_id}: the finding text cannot be empty")
            current.text = text.strip()
            if current.unreadable:  # the radiologist's own words replace unreadable model output
                current.unreadable = False
                current.warnings = [w for w in current.warnings if not w.startswith("unreadable model output")]
        if labels is not None:
            current.labels = list(labels)
        if observation is not _UNSET:
            current.observation = observation
        if clues is not None:
            current.clues = list(clues)
        if finding_id in self._model_id_set:
            after = Decision(finding_id, "edited", None, current).to_dict()
            return self._record("edit", finding_id, "decision", after)
        return self._record("edit", finding_id, "addition", current.to_dict())

    def add_finding(
        self,
        text: str,
        observation: Box | None,
        labels: list[Label] | None = None,
        clues: list[Box] | None = None,
    ) -> str:
        """Add a finding the model missed (a box drawn and a sentence typed); returns its id."""
        self._check_open()
        if not text or not text.strip():
            raise ReviewError(None, "an added finding needs a sentence")
        fid = new_id("f")
        finding = Finding(
            id=fid,
            sentence_id=new_id("s"),
            text=text.strip(),
            labels=list(labels or []),
            observation=observation,
            clues=list(clues or []),
        )
        self._record("add", fid, "addition", finding.to_dict())
        return fid

    def remove_finding(self, finding_id: str) -> ReviewEvent | None:
        """Remove a finding the radiologist added (model findings are rejected instead)."""
        self._check_open()
        if finding_id in self._model_id_set:
            raise ReviewError(None, f"{finding_id} is a model finding; reject it instead")
        self._check_known(finding_id)
        return self._record("remove", finding_id, "addition", None)

    def set_impression(self, text: str | None) -> ReviewEvent | None:
        """Set (or with None/empty, clear) the reviewed impression."""
        self._check_open()
        value = text.strip() if text and text.strip() else None
        return self._record("impression", None, "impression", value)

    def set_own_impression(self, text: str | None) -> ReviewEvent | None:
        """Record the radiologist's own impression; in read-first mode this reveals the AI draft."""
        self._check_open()
        value = text.strip() if text and text.strip() else None
        if self.read_first and value is None and self.review.own_impression:
            raise ReviewError(None, "read-first mode: the own impression cannot be cleared once written")
        return self._record("own_impression", None, "own_impression", value)

    # -- undo / redo (the stacks: core.review.history) -------------------------------------------
    def undo(self) -> ReviewEvent | None:
        """Revert the last change (recorded as an ``undo:<action>`` event); None when nothing to undo."""
        self._check_open()
        if not self._undo:
            return None
        c = self._undo[-1]
        return self._record(f"undo:{c.action}", c.finding_id, c.slot, c.before)

    def redo(self) -> ReviewEvent | None:
        """Re-apply the last undone change; None when nothing to redo."""
        self._check_open()
        if not self._redo:
            return None
        c = self._redo[-1]
        return self._record(f"redo:{c.action}", c.finding_id, c.slot, c.after)

    # -- sign-off and versions -----------------------------------------------------------------
    def content_sha256(self) -> str:
        """The hash a sign-off would record now."""
        return content_sha256(self._reading)

    def sign(
        self, reviewer: str | None = None, *, key: SigningKey | None = None, account: str | None = None
    ) -> SignOff:
        """Sign the reviewed reading with the reviewer's Ed25519 key (:func:`~gazex_viewer.core.review.signoff.make_signoff`)
        and freeze it. With a store (or registry) the key must be registered to the signer there.

        ``reviewer`` is the signer's display name; ``account`` the workstation's operating-system account
        (default: :func:`~gazex_viewer.core.reading.report_display.os_account`). Both are recorded and signed.

        Raises ReviewIncompleteError while a model finding is undecided (or the draft is hidden),
        ReadingSignedError when already signed, ReviewError without the signer's registered key or
        while changes are not saved yet.
        """
        self._check_open()
        who = (reviewer or self.reviewer).strip()
        if not who:
            raise ReviewError(None, "a reviewer name is required to sign")
        pending = self.undecided()
        if pending:
            raise ReviewIncompleteError(None, pending)
        if self.ai_hidden:
            raise ReviewError(None, "read-first mode: write your own impression before signing")
        if key is not None and not self.retry_pending():
            raise ReviewError(None, f"cannot sign: {len(self.unsaved)} change(s) are not saved yet ({self.save_problem})")
        if account is None:
            from gazex_viewer.core.reading.report_display import os_account

            account = os_account()
        try:
            signoff = make_signoff(self._reading, who, key, self.registry, account=account or None)
        except SignOffKeyError as err:
            raise ReviewError(None, err.reason) from None
        old_reviewer, old_check = self.review.reviewer, self._check
        self.review.signoff, self.review.reviewer = signoff, who

        def verify() -> None:  # the verdict listeners see is the new one
            self._check = check_reading(self._reading, self.registry)

        try:
            self._record_plain("sign", None, signoff.to_dict(), who=who, at=signoff.at, before_notify=verify)
        except BaseException as err:
            self.review.signoff, self.review.reviewer, self._check = None, old_reviewer, old_check
            if isinstance(err, StaleWriteError):
                self._reload_after(err)
            raise
        return signoff

    def _record_plain(
        self, action: str, before: Any, after: Any, *, who: str | None = None, at: str | None = None,
        before_notify: Callable[[], None] | None = None,
    ) -> ReviewEvent:
        """Record an audit-only event (sign, new_version), not undoable; any failure to write it is raised."""
        event = ReviewEvent(
            id=new_id("e"),
            at=at or utc_now(),
            reviewer=who or self.reviewer,
            action=action,
            finding_id=None,
            before=before,
            after=after,
            prev_sha256=head_of(self.review.events),
        )
        self.review.events.append(event)
        try:
            self._sync.write_now(self._reading, event)  # not kept pending: written now or not at all
        except BaseException:
            self.review.events.pop()
            raise
        if before_notify is not None:
            before_notify()
        self._notify(event)
        return event

    def new_version(self, reviewer: str | None = None) -> ReviewSession:
        """A new reading linked to this signed one (``parent_id``), starting from its decisions.

        The signed reading is left untouched; the new version is registered in the same store.
        """
        who = (reviewer or self.reviewer).strip()
        child = copy.deepcopy(self._reading)
        child.reading_id = new_id("r")
        child.parent_id = self._reading.reading_id
        old = child.review or Review()
        child.review = Review(
            reviewer=who,
            decisions=old.decisions,
            additions=old.additions,
            impression=old.impression,
            own_impression=old.own_impression,
            measurements=old.measurements,
        )
        if not self.is_signed:
            raise ReviewError(None, f"reading {self.reading_id} is not signed; keep editing it instead")
        if self._store is not None:
            session = ReviewSession.open(self._store, child, who, read_first=False)
        else:
            session = ReviewSession(child, who, read_first=False)
        session._record_plain("new_version", self.reading_id, child.reading_id)
        return session

    def __repr__(self) -> str:
        c = self.counts()
        return (
            f"ReviewSession({self.reading_id!r}, reviewer={self.reviewer!r}, "
            f"signed={self.is_signed}, signature_invalid={self.signature_invalid}, {c})"
        )
