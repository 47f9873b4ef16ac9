"""The review mode: findings to accept, edit or reject, sign-off, audit and export dialogs."""
