"""The reviewer's signing key at sign-off: unlock it with the passphrase, or create it the first time.

:func:`obtain_signing_key` is what the review panel calls before :meth:`ReviewSession.sign`. A new
key is created (Ed25519, kept in the system keyring or a passphrase-protected file, see
:mod:`gazex_viewer.core.review.signing`) and registered in the review database with the operating-system
account that registered it. An existing key is unlocked with its passphrase and, the first time it
is used with this database, registered there.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from gazex_viewer.core.errors import GazeXError
from gazex_viewer.core.review.signing import (
    MIN_PASSPHRASE,
    SigningKey,
    create_key,
    has_key,
    key_location,
    load_key,
)

if TYPE_CHECKING:
    from gazex_viewer.core.review.store import ReviewStore

#: (title, label) -> the passphrase typed, or None when cancelled
AskPassphrase = Callable[[str, str], "str | None"]


def ask_passphrase_dialog(parent: QWidget | None) -> AskPassphrase:
    """A password-mode input dialog over ``parent``."""

    def ask(title: str, label: str) -> str | None:
        text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Password)
        return text if ok else None

    return ask


def _os_account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no account name in this environment
        return "unknown account"


def obtain_signing_key(
    who: str,
    store: ReviewStore | None,
    ask_passphrase: AskPassphrase,
    show_error: Callable[[str, str], None],
) -> SigningKey | None:
    """``who``'s unlocked key, registered in ``store``; None when cancelled or refused (the error is shown)."""
    try:
        if has_key(who):
            passphrase = ask_passphrase("Sign report", f"Passphrase of {who}'s signing key ({key_location(who)}):")
            if passphrase is None:
                return None
            key = load_key(who, passphrase)
        else:
            first = ask_passphrase(
                "Create your signing key",
                f"{who} has no signing key on this computer yet. A new one will be kept in {key_location(who)}.\n"
                f"Choose a passphrase (at least {MIN_PASSPHRASE} characters):",
            )
            if first is None:
                return None
            again = ask_passphrase("Create your signing key", "Type the passphrase again:")
            if again is None:
                return None
            if again != first:
                show_error("Cannot create the signing key", "The two passphrases differ; nothing was created.")
                return None
            key = create_key(who, first)
        if store is not None and store.registered_key(key.key_id) is None:
            store.register_key(key, _os_account())
    except GazeXError as err:
        show_error("Cannot use the signing key", str(err))
        return None
    return key
