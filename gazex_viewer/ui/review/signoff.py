"""The review panel's impressions and sign-off: the impression box, read first, signing and new versions.

Owns :class:`SignOffPart`, the part of :class:`~gazex_viewer.ui.review.panel.ReviewPanel` that builds the read-first
box (the radiologist's own impression before the AI draft is shown), the impression box and the Sign / Change (new
version) buttons, and runs them: :meth:`~SignOffPart.save_impression`, :meth:`~SignOffPart.reveal_ai`,
:meth:`~SignOffPart.sign` and :meth:`~SignOffPart.new_version`; and the sign-off conversation as plain functions.

Signing is deliberate: every AI finding decided, an impression written (or its absence confirmed),
and a last look at who signs: the display name *and* the workstation's operating-system account,
both recorded in the sign-off. Times are stored in UTC and shown in the local time zone.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar, cast

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
)

from gazex_viewer.core.reading.document import SignOff
from gazex_viewer.core.reading.report_display import local_time_text, os_account
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.ui.review.signing_key import obtain_signing_key

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from gazex_viewer.ui.selection import SelectionModel

EMPTY_IMPRESSION_TITLE = "Sign without an impression?"
EMPTY_IMPRESSION_TEXT = (
    "The impression is empty. A signed report normally ends with the impression.\n\n"
    "Sign without an impression? (No: write it first.)"
)


def signer_text(name: str, account: str | None) -> str:
    """"Dr A. Smith (OS account asmith)"."""
    return f"{name} (OS account {account})" if account else f"{name} (OS account unknown)"


def confirm_signing(
    session: ReviewSession, who: str, confirm: Callable[[str, str], bool]
) -> tuple[bool, str | None, bool]:
    """Ask what signing needs: (go ahead, OS account, stopped for the missing impression)."""
    if not (session.review.impression or "").strip() and not confirm(
        EMPTY_IMPRESSION_TITLE, EMPTY_IMPRESSION_TEXT
    ):
        return False, None, True
    account = os_account()
    c = session.counts()
    summary = ", ".join(f"{c[k]} {k}" for k in ("accepted", "edited", "rejected", "added") if c[k])
    ok = confirm(
        "Sign report",
        f"Sign this report as {signer_text(who, account)}?\n\n{summary or 'no findings'}.\n\n"
        "The signed reading is frozen: a later change becomes a new, linked version.",
    )
    return ok, account, False


def signed_banner_html(so: SignOff) -> str:
    """The Review tab's banner of a signed reading (local time, with its offset)."""
    return (
        f"<b>Signed</b> by {html.escape(signer_text(so.reviewer, so.account))} "
        f"at {html.escape(local_time_text(so.at))}<br>"
        f"content SHA-256 <tt>{so.content_sha256[:16]}…</tt>"
        + (f", Ed25519 key <tt>{so.key_id[:12]}…</tt>" if so.key_id else "")
        + "<br>This reading is frozen; a change starts a new, linked version."
    )


def signed_message(so: SignOff) -> str:
    return f"Signed by {signer_text(so.reviewer, so.account)} at {local_time_text(so.at)}"


def signature_invalid_html(session: ReviewSession) -> str:
    """The red banner of a reading whose sign-off does not verify (shown instead of "Signed")."""
    so = session.review.signoff
    assert so is not None
    return (
        "<span style='font-size:12pt'>⚠ SIGNATURE INVALID — not a signed report</span><br>"
        f"<span style='font-weight:normal'>This reading claims a sign-off by {html.escape(so.reviewer)} "
        f"at {html.escape(local_time_text(so.at))}, but {html.escape(session.signature_problem or 'it does not verify')}. "
        "Do not rely on it: it cannot be exported, changed or signed. Open the "
        "genuine review (Review &gt; Stored reviews of this film…) or review a new AI draft.</span>"
    )


#: the arguments and result of a session method run by ``_run``
_P = ParamSpec("_P")
_R = TypeVar("_R")


class FocusOut(QObject):
    """Calls ``callback`` when the watched widget loses the keyboard focus."""

    def __init__(self, callback: Callable[[], object], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        if ev.type() == QEvent.Type.FocusOut:
            self._callback()
        return False


class CtrlEnter(QObject):
    """Calls ``callback`` on Ctrl+Enter (or Ctrl+Return) in the watched widget, instead of a new line."""

    def __init__(self, callback: Callable[[], object], parent: QObject) -> None:
        super().__init__(parent)
        self._callback = callback

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:
        if isinstance(ev, QKeyEvent) and ev.type() in (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride):
            key = ev.key()
            ctrl = bool(ev.modifiers() & Qt.KeyboardModifier.ControlModifier)
            if ctrl and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                ev.accept()
                if ev.type() == QEvent.Type.KeyPress:
                    self._callback()
                return True
        return False


class SignOffPart:
    """Impressions, read first and the sign-off of the review panel (a part of :class:`ReviewPanel`, mixed in)."""

    if TYPE_CHECKING:  # provided by ReviewPanel
        session: ReviewSession | None
        selection: SelectionModel
        editing: str | None
        adding: bool
        _numbers: dict[str, tuple[int, str]]
        session_replaced: SignalInstance
        signed_off: SignalInstance
        status_message: SignalInstance
        confirm: Callable[[str, str], bool]
        ask_passphrase: Callable[[str, str], str | None]

        def _run(self, title: str, fn: Callable[_P, _R], *args: _P.args, **kw: _P.kwargs) -> _R | None: ...
        def _error(self, title: str, message: str) -> None: ...
        def focus_list(self) -> None: ...
        def number_of(self, finding_id: str) -> tuple[int, str]: ...
        def refresh(self) -> None: ...
        def finish_edit(self) -> None: ...
        def cancel_add(self) -> None: ...
        def set_session(self, session: ReviewSession | None, numbers: dict[str, tuple[int, str]] | None = None) -> None: ...

    def _build_read_first(self, outer: QVBoxLayout) -> None:
        """Build the read-first box (hidden until a draft is read first) and the own-impression line."""
        self.read_first_box = QGroupBox("Read first: your impression before the AI draft")
        rf = QVBoxLayout(self.read_first_box)
        hint = QLabel("The AI draft and its regions stay hidden until you have written your own impression.")
        hint.setWordWrap(True)
        rf.addWidget(hint)
        self.own_impression_edit = QPlainTextEdit()
        self.own_impression_edit.setPlaceholderText("Your impression of this film… (Ctrl+Enter: save it and show the AI draft)")
        self.own_impression_edit.setMinimumHeight(70)
        rf.addWidget(self.own_impression_edit)
        self.reveal_button = QPushButton("Save my impression and show the AI draft")
        self.reveal_button.setToolTip("Ctrl+Enter in your impression does the same")
        self.reveal_button.clicked.connect(self.reveal_ai)
        # SignOffPart is mixed into ReviewPanel, a QWidget: the panel owns the filter
        self.own_impression_edit.installEventFilter(CtrlEnter(self.reveal_ai, cast(QObject, self)))
        self.own_impression_edit.setToolTip("Ctrl+Enter: save your impression and show the AI draft")
        rf.addWidget(self.reveal_button)
        outer.addWidget(self.read_first_box)
        self.own_impression_label = QLabel()
        self.own_impression_label.setWordWrap(True)
        self.own_impression_label.setStyleSheet("color:#b8c4d0; padding:2px 4px;")
        self.own_impression_label.hide()
        outer.addWidget(self.own_impression_label)

    def _build_impression(self, outer: QVBoxLayout) -> None:
        """Build the impression box and the Sign / Change (new version) buttons."""
        self.impression_head = QLabel("<b>Impression</b>")
        outer.addWidget(self.impression_head)
        self.impression_edit = QPlainTextEdit()
        self.impression_edit.setObjectName("impressionEdit")
        self.impression_edit.setPlaceholderText("Impression (saved when you leave the box)")
        self.impression_edit.setMaximumHeight(80)
        self.impression_edit.installEventFilter(FocusOut(self.save_impression, cast(QObject, self)))
        outer.addWidget(self.impression_edit)
        sr = QHBoxLayout()
        self.sign_button = QPushButton("Sign report…")
        self.sign_button.setObjectName("signButton")
        self.sign_button.setStyleSheet(
            "QPushButton#signButton:enabled { background:#2e6b3e; border-color:#4caf50; font-weight:bold; }"
        )
        self.sign_button.clicked.connect(lambda: self.sign())
        self.new_version_button = QPushButton("Change (new version)…")
        self.new_version_button.clicked.connect(lambda: self.new_version())
        sr.addWidget(self.sign_button, 1)
        sr.addWidget(self.new_version_button)
        outer.addLayout(sr)

    # -- impressions -----------------------------------------------------------------------------------------
    def save_impression(self) -> bool:
        """Record the impression box's text when it changed."""
        s = self.session
        if s is None or s.is_frozen or s.ai_hidden:
            return False
        text = self.impression_edit.toPlainText().strip() or None
        if text == (s.review.impression or None):
            return False
        return self._run("Cannot save the impression", s.set_impression, text) is not None

    def reveal_ai(self) -> bool:
        """Read-first mode: save the radiologist's own impression, which reveals the AI draft."""
        s = self.session
        if s is None:
            return False
        text = self.own_impression_edit.toPlainText().strip()
        if not text:
            self._error("Write your impression first", "Write or dictate your own impression before the AI draft is shown.")
            return False
        self._run("Cannot save your impression", s.set_own_impression, text)
        if not s.ai_hidden:
            self.focus_list()
        return not s.ai_hidden

    # -- sign-off ----------------------------------------------------------------------------------------------
    def sign(self, reviewer: str | None = None) -> bool:
        """Sign the reading (refused while a finding is undecided); asks for confirmation first."""
        s = self.session
        if s is None:
            return False
        if s.signature_invalid:
            self._error("Cannot sign", s.signature_problem or "the sign-off of this reading is invalid")
            return False
        self.save_impression()
        if self.editing is not None:
            self.finish_edit()
        if self.adding:
            self.cancel_add()
        pending = s.undecided()
        if pending:
            n = len(pending)
            self._error(
                "Cannot sign yet",
                f"{n} finding{'s are' if n != 1 else ' is'} still undecided "
                f"(finding{'s' if n != 1 else ''} {', '.join(str(self.number_of(f)[0]) for f in pending)}). "
                "Accept, edit or reject every AI finding before signing.",
            )
            self.selection.select(pending[0])
            return False
        who = (reviewer or s.reviewer).strip()
        ok, account, no_impression = confirm_signing(s, who, self.confirm)
        if not ok:
            if no_impression:  # the reviewer chose to write the impression first
                self.impression_edit.setFocus()
            else:
                self.focus_list()
            return False
        key = obtain_signing_key(who, s.store, self.ask_passphrase, self._error)
        if key is None:
            self.focus_list()
            return False
        signoff = self._run("Cannot sign", s.sign, who, key=key, account=account)
        self.focus_list()
        if signoff is None:
            return False
        self.refresh()
        self.status_message.emit(signed_message(signoff))
        self.signed_off.emit(s.reading)
        return True

    def new_version(self) -> ReviewSession | None:
        """Start a new version of a signed reading (the signed one stays as it is)."""
        s = self.session
        if s is None or not s.is_signed:
            return None
        if not self.confirm(
            "Change a signed report",
            "This report is signed. Start a new version linked to it? The signed version is kept unchanged.",
        ):
            return None
        new = self._run("Cannot start a new version", s.new_version)
        if new is None:
            return None
        self.set_session(new, self._numbers)
        self.session_replaced.emit(new)
        self.status_message.emit("New version started; the signed version is kept")
        return new
