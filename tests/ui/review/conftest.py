"""Fixtures of the review UI tests: ``store_location``, a SQLite file or a database on a real PostgreSQL.

The same as the core review tests' (``tests/core/review/conftest.py``): the PostgreSQL one is a fresh database in
a temporary cluster (``tests/servers/postgres_server.py``), skipped with the reason where PostgreSQL or psycopg
is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "reviews.sqlite3")
    pytest.importorskip("psycopg", reason="psycopg (the PostgreSQL store's driver) is not installed")
    url: str = request.getfixturevalue("postgres_url")
    return url
