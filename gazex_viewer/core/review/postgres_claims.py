"""Study claims on the PostgreSQL review store: "being read by Dr X since 10:42", gone when Dr X's station is.

A claim is two things:

- a *session* advisory lock ``pg_try_advisory_lock(CLAIM_LOCK_SPACE, hashtext(reading id))`` held by the
  claiming store's connection: the server frees it by itself when that connection ends (the viewer closed,
  crashed or lost its network: TCP keepalives end a dead station's connection within about a minute);
- a row in ``claims`` (holder, database user, server process, since when) that says who, for the others.

A claim counts only while its row's server process still holds the lock (``pg_locks``), so a row left
behind by a dead station is ignored, and the next claim takes it over. After a lost connection the store
re-takes its claims on the new connection (unless someone else took the reading meanwhile).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from gazex_viewer.core.errors import ReviewStoreError
from gazex_viewer.core.reading.document import utc_now
from gazex_viewer.core.review.postgres_schema import CLAIM_LOCK_SPACE
from gazex_viewer.core.review.store_records import Claim

if TYPE_CHECKING:
    from collections.abc import Iterator

    import psycopg

_HELD = ("EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted"
         " AND l.classid = %s::oid AND l.objid = hashtext(c.claim_key)::oid AND l.objsubid = 2"
         " AND l.pid = c.backend_pid)")


class PostgresClaimsMixin:
    """:meth:`claim`, :meth:`release` and :meth:`claim_of` over the store's connection (see the module docstring)."""

    @property
    def location(self) -> str:
        raise NotImplementedError
    #: reading id -> (holder, since) of the claims this store holds
    _claims: dict[str, tuple[str, str]]

    def _use(self, doing: str) -> contextlib.AbstractContextManager[psycopg.Connection[Any]]:
        raise NotImplementedError

    def _require_write(self, doing: str) -> None:
        raise NotImplementedError

    def claim(self, reading_id: str, holder: str) -> Claim:
        """Claim a reading for ``holder`` (or keep their claim); the claim in force: theirs when someone else holds it."""
        self._require_write("cannot claim the reading")
        holder = holder.strip()
        if not holder:
            raise ReviewStoreError(self.location, "a claim needs the name of who is reading")
        with self._use("cannot claim the reading") as conn:
            mine = self._claims.get(reading_id)
            if mine is not None and mine[0] == holder:
                return Claim(reading_id, holder, mine[1])
            if mine is None:
                got = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                                   (CLAIM_LOCK_SPACE, reading_id)).fetchone()
                if not (got and got[0]):
                    other = self._claim_row(conn, reading_id)
                    return other if other is not None else Claim(reading_id, "another station", utc_now())
            since = utc_now()
            conn.execute(
                "INSERT INTO claims (claim_key, holder, since) VALUES (%s, %s, %s) ON CONFLICT (claim_key) DO UPDATE"
                " SET holder = excluded.holder, since = excluded.since, db_user = session_user,"
                " backend_pid = pg_backend_pid()", (reading_id, holder, since))
            self._claims[reading_id] = (holder, since)
            return Claim(reading_id, holder, since)

    def release(self, reading_id: str, holder: str) -> None:
        """Give up ``holder``'s claim on a reading (nothing when they hold none)."""
        mine = self._claims.get(reading_id)
        if mine is None or mine[0] != holder.strip():
            return
        with self._use("cannot release the claim") as conn:
            del self._claims[reading_id]
            conn.execute("DELETE FROM claims WHERE claim_key = %s AND backend_pid = pg_backend_pid()", (reading_id,))
            conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (CLAIM_LOCK_SPACE, reading_id))

    def claim_of(self, reading_id: str) -> Claim | None:
        """Who holds a reading now, or None (a claim whose holder's connection ended is gone)."""
        with self._use("cannot read the claims") as conn:
            return self._claim_row(conn, reading_id)

    @staticmethod
    def _claim_row(conn: psycopg.Connection[Any], reading_id: str) -> Claim | None:
        row = conn.execute(f"SELECT c.holder, c.since FROM claims c WHERE c.claim_key = %s AND {_HELD}",
                           (reading_id, CLAIM_LOCK_SPACE)).fetchone()
        return None if row is None else Claim(reading_id, row[0], row[1])

    def _reclaim(self) -> None:
        """After a reconnect: take this store's claims again on the new connection (those nobody took meanwhile)."""
        held, self._claims = dict(self._claims), {}
        for reading_id, (holder, _since) in held.items():
            with contextlib.suppress(Exception):
                self.claim(reading_id, holder)

    def claims(self) -> Iterator[Claim]:
        """Every claim in force in the database (who reads what now)."""
        with self._use("cannot read the claims") as conn:
            rows = conn.execute(f"SELECT c.claim_key, c.holder, c.since FROM claims c WHERE {_HELD}"
                                " ORDER BY c.since", (CLAIM_LOCK_SPACE,)).fetchall()
        return iter([Claim(r[0], r[1], r[2]) for r in rows])
