"""The attending's countersignature in the review window: the conversation, and how it is shown.

:func:`countersign_review` is what Review > Countersign… (Ctrl+Shift+K) runs: it says why not when the review
may not be countersigned here (not signed, the attending's own, a reviewer role on the department server, open
read-only), asks a last confirmation naming the signer and the attending with their operating-system account,
unlocks (or creates and registers) the attending's signing key, and countersigns
(:meth:`~gazex_viewer.core.review.session.ReviewSession.countersign`). :func:`countersigned_banner_html` is the
line under the "Signed" banner.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.reading.document import SignOff
from gazex_viewer.core.reading.report_display import local_time_text, os_account
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.ui.review.signing_key import AskPassphrase, obtain_signing_key

#: the menu entry and its key
ACTION_TEXT = "Countersign report (attending)…"
SHORTCUT = "Ctrl+Shift+K"


def _who(name: str, account: str | None) -> str:
    return f"{name} (OS account {account})" if account else name


def countersigned_text(cs: SignOff) -> str:
    """"Countersigned by Dr B (attending, OS account b) at 2026-12-06 10:42 CET (UTC+01:00)"."""
    return f"Countersigned by {_who(cs.reviewer, cs.account)}, attending, at {local_time_text(cs.at)}"


def countersigned_banner_html(session: ReviewSession) -> str:
    """The countersignature's line under the "Signed" banner: who, when, or why it does not count."""
    cs = session.review.countersign
    if cs is None:
        return ""
    if not session.is_countersigned:
        return (f"<br><span style='color:#ff8080'>⚠ The countersignature by {html.escape(cs.reviewer)} does not "
                f"verify: {html.escape(session.countersign_status.message)}</span>")
    return f"<br><b>{html.escape(countersigned_text(cs))}</b>"


def countersign_review(
    session: ReviewSession,
    who: str,
    *,
    confirm: Callable[[str, str], bool],
    ask_passphrase: AskPassphrase,
    show_error: Callable[[str, str], None],
) -> SignOff | None:
    """Countersign ``session``'s signed review as ``who`` (see the module docstring); None when not done."""
    refusal = session.countersign_refusal(who)
    if refusal is not None:
        show_error("Cannot countersign", f"This review cannot be countersigned by {who}: {refusal}.")
        return None
    so = session.review.signoff
    assert so is not None
    account = os_account()
    if not confirm("Countersign report",
                   f"Countersign the report signed by {_who(so.reviewer, so.account)} at {local_time_text(so.at)} "
                   f"as the attending {_who(who, account)}?\n\nYour signature covers the same content "
                   f"(SHA-256 {so.content_sha256[:16]}…); the report stays as it was signed."):
        return None
    key = obtain_signing_key(who, session.store, ask_passphrase, show_error)
    if key is None:
        return None
    try:
        return session.countersign(who, key=key, account=account or None)
    except GazeXError as err:
        show_error("Cannot countersign", str(err))
        return None
