"""Where the review database is: ``$GAZEX_REVIEW_DB``, a file path, ``sqlite:///...`` or ``postgresql://...``.

Used by :func:`~gazex_viewer.core.review.store.open_store` and the stores themselves (which import this module,
never :mod:`~gazex_viewer.core.review.store`).
"""

from __future__ import annotations

import os
from pathlib import Path

from gazex_viewer.core.errors import ReviewStoreError

#: environment variable naming the review database: a file path, ``sqlite:///...`` or ``postgresql://...``
DB_ENV = "GAZEX_REVIEW_DB"
DB_FILE_NAME = "reviews.sqlite3"


def default_store_location() -> str:
    """``$GAZEX_REVIEW_DB`` when set, else ``platformdirs.user_data_dir("gazex-viewer") / "reviews.sqlite3"``."""
    env = os.environ.get(DB_ENV)
    if env:
        return env
    import platformdirs

    return str(Path(platformdirs.user_data_dir("gazex-viewer", appauthor=False)) / DB_FILE_NAME)


def is_server_url(location: str | os.PathLike[str] | None) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL: a server database, not a file."""
    return isinstance(location, str) and location.split("://", 1)[0].lower() in ("postgresql", "postgres")


def sqlite_path(location: str | os.PathLike[str]) -> Path:
    """The file of a SQLite location: a path, or ``sqlite:///relative`` / ``sqlite:////absolute`` (SQLAlchemy's form)."""
    text = os.fspath(location)
    if text.lower().startswith("sqlite:///"):
        return Path(text[len("sqlite:///"):])
    if text.lower().startswith("sqlite://"):
        raise ReviewStoreError(text, "a SQLite review database URL is sqlite:///path (three slashes)")
    return Path(text)


def redacted(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user@host/db``: never a password in a message."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    cred, _, host = rest.rpartition("@")
    user = cred.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if user else f"{scheme}://{host}"
