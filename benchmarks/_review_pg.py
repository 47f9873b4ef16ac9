"""The PostgreSQL half of ``bench_review.py``, and the disk's own flush time both stores are compared with.

Imported as ``_review_pg`` (scripts run with benchmarks/ on sys.path). The cluster is a *durable* one
(``fsync=on``, ``synchronous_commit=on``, unlike the tests' cluster) started in a folder on the same
disk as the SQLite databases, so "decision / raw fsync" compares like with like.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def p50_p95(times: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(times)
    return statistics.median(ordered) * 1e3, ordered[max(0, int(0.95 * len(ordered)) - 1)] * 1e3


def raw_fsync(folder: Path, n: int, size: int = 200) -> list[float]:
    """``size`` bytes appended and ``fdatasync``'ed, ``n`` times: the disk's own durable-write time."""
    path = folder / f"raw-fsync-{os.getpid()}.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    data = b"x" * size
    times = []
    try:
        os.write(fd, data)
        os.fsync(fd)  # the file's metadata reaches the disk once, as a database's file's has
        for _ in range(n):
            t0 = time.perf_counter()
            os.write(fd, data)
            os.fdatasync(fd)
            times.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        path.unlink()
    return times


def start_durable_cluster(near: Path) -> tuple[Any, str, str] | None:
    """A durable cluster on the disk of ``near``: (server, URL of a fresh database, its folder), or None with why."""
    from tests.servers import postgres_server as pgs

    parent = near
    if os.geteuid() == 0:  # the cluster runs as ``postgres``, who must reach its folder: a world-readable one
        candidates = [near, Path("/var/tmp"), Path("/srv"), Path("/tmp")]
        same_disk = [p for p in candidates if p.exists() and p.stat().st_dev == near.stat().st_dev]
        parent = next((p for p in same_disk if _others_can_enter(p)), Path("/var/tmp"))
    try:
        server = pgs.start_postgres(durable=True, parent=str(parent))
    except BaseException as err:  # pytest's skip outside pytest: PostgreSQL is not installed here
        if isinstance(err, KeyboardInterrupt):
            raise
        print(f"PostgreSQL store not measured: {err}")
        return None
    return server, server.url(server.new_database("bench")), str(server.root)


def _others_can_enter(path: Path) -> bool:
    p = path.resolve()
    for part in [p, *p.parents]:
        if not part.stat().st_mode & 0o001:
            return False
    return True


def bare_commits(url: str, n: int, size: int) -> list[float]:
    """One INSERT + COMMIT of ``size`` bytes, ``n`` times, on a plain psycopg connection."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bare (a INTEGER, b TEXT)")
        blob = "x" * size
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            with conn.transaction():
                conn.execute("INSERT INTO bare VALUES (%s, %s)", (i, blob))
            times.append(time.perf_counter() - t0)
    return times


def measure(url: str, n: int, decisions: Callable[[Any, int], list[float]],
            resume: Callable[[Callable[[], Any]], tuple[list[float], list[float]]]) -> dict[str, Any]:
    """Decision times, bare commits and resume times on the PostgreSQL store (the callables are the bench's own)."""
    from gazex_viewer.core.review.postgres_store import PostgresReviewStore

    out: dict[str, Any] = {}
    with PostgresReviewStore(url) as store:
        out["decisions"] = decisions(store, n)
    out["resume"], out["reopen"] = resume(lambda: PostgresReviewStore(url))
    return out
