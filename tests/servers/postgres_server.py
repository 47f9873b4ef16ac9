"""A real temporary PostgreSQL cluster for the review-store tests (PostgreSQL 15 from Debian's ``postgresql``).

The cluster is made with ``initdb --no-sync`` in a fresh folder, started by ``pg_ctl`` on a free
127.0.0.1 port with its socket in that folder, ``fsync=off`` (tests only: a crash of the *machine*
may lose test data, nothing else changes; :func:`start_postgres` takes ``durable=True`` for the
benchmark), password authentication over TCP (so a wrong password is refused as in a department),
and stopped by its postmaster's PID at the end. Running as root, the cluster runs as the
``postgres`` user (``runuser``): PostgreSQL refuses to run as root. Without PostgreSQL the tests
are skipped with the reason, and fail under ``CI=true`` (``.ci/run`` installs ``postgresql``).

Fixtures: ``postgres_server`` (one cluster for the test session) and ``postgres_url`` (a fresh,
empty database in it for each test, as the superuser).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

SUPERUSER = "postgres"
PASSWORD = "gazex-test-pg-password"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL cannot start under CI: {reason} (.ci/run installs postgresql)")
    pytest.skip(f"no local PostgreSQL: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_bin_dir() -> Path | None:
    """The folder of ``initdb``/``pg_ctl``: on PATH, else the newest /usr/lib/postgresql/<n>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


@dataclass
class PostgresServer:
    """One running cluster: where, which port, how to reach it; :meth:`stop` ends it by its PID."""

    root: Path
    port: int
    bin_dir: Path
    run_as: str | None
    pid: int | None = None
    _n_databases: int = field(default=0, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str | None = PASSWORD) -> str:
        auth = quote(user) + (f":{quote(password)}" if password is not None else "")
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=60, cwd=self.root)

    def start(self, *, durable: bool = False) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.run_as:
            shutil.chown(pwfile, self.run_as)
        self._run("initdb", "--no-sync", "-D", str(self.data_dir), "-U", SUPERUSER, f"--pwfile={pwfile}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()
        opts = [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.root}",
                "-c max_connections=60", "-c shared_buffers=32MB"]
        if not durable:  # tests only: a crash of the machine may lose what the tests wrote
            opts += ["-c fsync=off", "-c full_page_writes=off"]
        self._run("pg_ctl", "start", "-w", "-t", "30", "-D", str(self.data_dir), "-l", str(self.root / "log"),
                  "-o", " ".join(opts))
        first = (self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        self.pid = int(first)

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the cluster's socket; its output."""
        psql = self.bin_dir / "psql"
        cmd = [str(psql) if psql.exists() else "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
               "-h", str(self.root), "-p", str(self.port), "-U", SUPERUSER, "-d", database, "-c", sql]
        return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60).stdout

    def new_database(self, prefix: str = "gazex") -> str:
        """A fresh, empty database; its name."""
        self._n_databases += 1
        name = f"{prefix}_{os.getpid()}_{self._n_databases}"
        self.psql(f'CREATE DATABASE "{name}"')
        return name

    def backend_pids(self, database: str) -> list[int]:
        """The server processes of the client connections to ``database`` (to kill one in a test)."""
        out = self.psql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid()")
        return [int(x) for x in out.split()]

    def stop(self) -> None:
        """Fast shutdown by the postmaster's PID (SIGINT), SIGKILL after 15 s; the folder is removed."""
        pid, self.pid = self.pid, None
        if pid is not None:
            try:
                os.kill(pid, signal.SIGINT)
                deadline = time.monotonic() + 15
                while time.monotonic() < deadline and _alive(pid):
                    time.sleep(0.02)
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (not yet reaped by its parent, pg_ctl's shell, which exited) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def start_postgres(*, durable: bool = False, parent: str | None = None) -> PostgresServer:
    """A started cluster (skip, or fail under CI, when PostgreSQL is absent or cannot start)."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        _unavailable("initdb not found (apt-get install -y postgresql)")
        raise AssertionError("unreachable")
    run_as: str | None = None
    if os.geteuid() == 0:
        run_as = "postgres"
        if shutil.which("runuser") is None:
            _unavailable("running as root needs runuser to start the cluster as the postgres user")
        try:
            import pwd

            pwd.getpwnam(run_as)
        except KeyError:
            _unavailable("running as root needs a 'postgres' user (the postgresql package creates it)")
    root = Path(tempfile.mkdtemp(prefix="gazex-pg-", dir=parent))
    if run_as:
        shutil.chown(root, run_as)
    server = PostgresServer(root=root, port=_free_port(), bin_dir=bin_dir, run_as=run_as)
    try:
        server.start(durable=durable)
    except (OSError, subprocess.SubprocessError, ValueError) as err:
        detail = getattr(err, "stderr", "") or ""
        log = root / "log"
        tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
        server.stop()
        _unavailable(f"the cluster did not start: {err} {detail.strip()[-400:]} {tail}")
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database for one test, as the superuser."""
    return postgres_server.url(postgres_server.new_database())
