"""The sign-off conversation of the review panel, as plain functions (kept out of review_panel.py).

Signing is deliberate: every AI finding decided, an impression written (or its absence confirmed),
and a last look at who signs: the display name *and* the workstation's operating-system account,
both recorded in the sign-off. Times are stored in UTC and shown in the local time zone.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from gazex_viewer.core.reading.document import SignOff
from gazex_viewer.core.reading.report_display import local_time_text, os_account
from gazex_viewer.core.review.session import ReviewSession

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
