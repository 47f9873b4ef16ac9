"""Fixtures of the review tests: ``store_location``, the same store tests on SQLite and on a real PostgreSQL.

``store_location`` is a SQLite file in the test's folder, or a fresh database in a temporary PostgreSQL cluster
(``tests/servers/postgres_server.py``: skipped with the reason where PostgreSQL or psycopg is absent, failed under
``CI=true``). Tests open it with :func:`gazex_viewer.core.review.store.open_store`, as the viewer does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.servers.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "reviews.sqlite3")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("psycopg is not installed (setup.cfg's install_requires has it)")
        pytest.skip("psycopg (the PostgreSQL store's driver) is not installed")
    url: str = request.getfixturevalue("postgres_url")
    return url
