"""Benchmark the review session on both stores: one durable decision, and resuming a 50-finding review.

Prints, for the SQLite store (``synchronous=FULL``, and NORMAL for comparison) and the PostgreSQL store (a
*durable* local cluster: ``fsync=on``, ``synchronous_commit=on``), the median and 95th percentile time to
record one decision (accept/reject/edit, including the commit), then the time to resume a review of 50
findings (open the store, load the reading, rebuild undo/redo from the event log). Beside them: the raw
``fdatasync`` of 200 bytes on the same disk (the disk's own flush; the goal is a decision within 1.5x of
it) and one bare commit of the same size on each database, so "decision / raw fsync" says what the store
and the session add over the disk.

The databases are written where the viewer keeps its own (a scratch folder under the platformdirs
user data folder, removed afterwards) or in ``--dir``, never in the temp folder: /tmp is often
RAM-backed (tmpfs), where an fsync costs nothing and the "durable write" figure would mean nothing.
The folder and its filesystem type are printed, with a warning when it is RAM-backed. Running as root,
the PostgreSQL cluster runs as the ``postgres`` user in a world-enterable folder on the same disk
(printed). Without PostgreSQL installed only the SQLite store is measured (``--no-postgres`` skips it).

Usage: ``.venv/bin/python benchmarks/bench_review.py [--n 200] [--dir FOLDER] [--no-postgres]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# after the sys.path line above: the repository root and benchmarks/ (run as a script)
from _review_pg import bare_commits, measure, p50_p95, raw_fsync, start_durable_cluster  # noqa: E402

from gazex_viewer.core.reading.document import Box  # noqa: E402
from gazex_viewer.core.review.session import ReviewSession  # noqa: E402
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore, default_store_path  # noqa: E402
from gazex_viewer.core.review.store_location import (  # noqa: E402
    default_store_location,
    is_server_url,
)
from tests.factories import make_reading  # noqa: E402

GOAL_MS = 5.0
#: filesystems whose fsync does not reach a disk
RAM_FILESYSTEMS = frozenset({"tmpfs", "ramfs", "devtmpfs"})


def filesystem_of(path: Path) -> tuple[str, str, str]:
    """(mount point, filesystem type, device) holding ``path``, from /proc/self/mounts; "unknown" elsewhere."""
    target = str(path.resolve())
    best = ("", "unknown", "unknown")
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return ("?", "unknown", "unknown")
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        device, mount, fstype = parts[0], parts[1].replace("\\040", " "), parts[2]
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best[0]):
            best = (mount, fstype, device)
    return best


def _decisions(store: Any, n: int) -> list[float]:
    times: list[float] = []
    reading = make_reading(n=50)
    session = ReviewSession.open(store, reading, "bench")
    ids = session.finding_ids
    for i in range(n):
        fid = ids[i % len(ids)]
        t0 = time.perf_counter()
        if i % 3 == 0:
            session.accept(fid) if session.status(fid) != "accepted" else session.reject(fid, "bench")
        elif i % 3 == 1:
            session.reject(fid, f"reason {i}")
        else:
            session.edit(fid, text=f"edited {i}", observation=Box.from_corners(i, i, i + 50, i + 50))
        times.append(time.perf_counter() - t0)
    return times


def _bare_commits(path: Path, n: int, size: int) -> list[float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    blob = "x" * size
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, blob))
        conn.execute("COMMIT")
        times.append(time.perf_counter() - t0)
    conn.close()
    return times


def _resume(open_store: Callable[[], Any]) -> tuple[list[float], list[float]]:
    """Resume a 50-finding review with 125 events 20 times: (open the store + session, session on an open store)."""
    reading = make_reading(n=50)
    with open_store() as store:
        s = ReviewSession.open(store, reading, "bench")
        for i, fid in enumerate(s.finding_ids):
            s.accept(fid)
            s.reject(fid, "x")
            if i % 2:
                s.undo()
    resume, reopen = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        with open_store() as store:
            t1 = time.perf_counter()
            s = ReviewSession.open(store, reading, "bench")
            t2 = time.perf_counter()
        resume.append(t2 - t0)
        reopen.append(t2 - t1)
    assert len(s.undecided()) == 0 and s.can_undo and len(s.review.events) == 125
    return resume, reopen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="decisions to time")
    parser.add_argument(
        "--dir", type=Path, default=None,
        help="folder for the benchmark databases (default: a scratch folder beside the viewer's own database)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="measure the SQLite store only")
    args = parser.parse_args()
    if args.dir is not None:
        base = args.dir
    elif is_server_url(default_store_location()):  # the viewer's database is a server: no folder beside it
        base = Path.home()
    else:
        base = default_store_path().parent
    d = base / f"bench-review-{os.getpid()}"
    d.mkdir(parents=True, exist_ok=False)
    mount, fstype, device = filesystem_of(d)
    print(f"databases in {d} (filesystem {fstype} on {device}, mounted at {mount})")
    if fstype in RAM_FILESYSTEMS:
        print(f"WARNING: {fstype} is RAM-backed: fsync reaches no disk, so the durable-write figures below "
              "are not durable; give --dir on the disk that will hold the review database")
    cluster = None if args.no_postgres else start_durable_cluster(d)
    pg: dict[str, Any] | None = None
    try:
        review_size = len(make_reading(n=50).to_json(indent=None))
        fsync_ms = p50_p95(raw_fsync(d, args.n))
        bare = p50_p95(_bare_commits(d / "bare.sqlite3", args.n, review_size))
        results = {}
        for sync in ("FULL", "NORMAL"):
            with SqliteReviewStore(d / f"{sync}.sqlite3", synchronous=sync) as store:  # type: ignore[arg-type]
                t = _decisions(store, args.n)
            results[sync] = p50_p95(t)
        db = d / "resume.sqlite3"
        resume, reopen = _resume(lambda: SqliteReviewStore(db))
        if cluster is not None:
            server, url, pg_dir = cluster
            _mount, pg_fs, pg_dev = filesystem_of(Path(pg_dir))
            print(f"PostgreSQL {server.psql('SHOW server_version').strip()} cluster in {pg_dir} (filesystem {pg_fs} "
                  f"on {pg_dev}); fsync={server.psql('SHOW fsync').strip()}, "
                  f"synchronous_commit={server.psql('SHOW synchronous_commit').strip()}")
            pg = measure(url, args.n, _decisions, _resume)
            pg["bare"] = p50_p95(bare_commits(url, args.n, review_size))
    finally:
        if cluster is not None:
            cluster[0].stop()
        shutil.rmtree(d, ignore_errors=True)

    print(f"raw fdatasync of 200 bytes on this disk: median {fsync_ms[0]:.3f} ms, p95 {fsync_ms[1]:.3f} ms "
          "(the disk's own flush; goal: a durable decision within 1.5x of it)")
    print(f"bare SQLite WAL FULL commit ({review_size} bytes): median {bare[0]:.3f} ms, p95 {bare[1]:.3f} ms")
    for sync, (med, p95) in results.items():
        print(
            f"SQLite: record one decision, synchronous={sync}: median {med:.3f} ms, p95 {p95:.3f} ms; "
            f"ratio to raw fsync {med / fsync_ms[0]:.2f}; to the {GOAL_MS:g} ms goal {med / GOAL_MS:.3f}; "
            f"to bare commit {med / bare[0]:.2f}"
        )
    r = statistics.median(resume) * 1e3
    o = statistics.median(reopen) * 1e3
    print(f"SQLite: resume a 50-finding review (125 events) with an open store (load + rebuild undo): median {o:.2f} ms; "
          f"ratio to the {GOAL_MS:g} ms decision goal {o / GOAL_MS:.2f}")
    print(f"SQLite: resume including opening the database (WAL setup, integrity_check, schema): median {r:.2f} ms; "
          f"ratio to the {GOAL_MS:g} ms decision goal {r / GOAL_MS:.2f}")
    if pg is not None:
        med, p95 = p50_p95(pg["decisions"])
        print(f"bare PostgreSQL commit ({review_size} bytes, synchronous_commit=on): median {pg['bare'][0]:.3f} ms, "
              f"p95 {pg['bare'][1]:.3f} ms")
        print(f"PostgreSQL: record one decision, durable: median {med:.3f} ms, p95 {p95:.3f} ms; "
              f"ratio to raw fsync {med / fsync_ms[0]:.2f}; to the {GOAL_MS:g} ms goal {med / GOAL_MS:.3f}; "
              f"to bare commit {med / pg['bare'][0]:.2f}")
        o = statistics.median(pg["reopen"]) * 1e3
        r = statistics.median(pg["resume"]) * 1e3
        print(f"PostgreSQL: resume a 50-finding review (125 events) with an open store: median {o:.2f} ms")
        print(f"PostgreSQL: resume including connecting (and the schema check): median {r:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
