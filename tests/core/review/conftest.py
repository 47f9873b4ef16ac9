"""Fixtures of the review tests: a real temporary PostgreSQL cluster (tests/servers/postgres_server.py)."""

from tests.servers.postgres_server import postgres_server, postgres_url  # noqa: F401  (fixtures)
