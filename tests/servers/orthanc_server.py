"""A real Orthanc (Debian's ``orthanc`` + ``orthanc-dicomweb``) for the PACS tests.

Orthanc 1.10 cannot bind to loopback only, so when running as root it is started inside a private
network namespace that holds nothing but ``lo`` (``ip netns add``); the test process's main thread
enters the same namespace (``setns``) for the tests' duration, so every client (requests,
pynetdicom, a ``gazex-viewer batch`` subprocess) talks to it over that loopback and no traffic
leaves the namespace. The thread goes back to its own namespace at the end and the namespace is
deleted. Orthanc is stopped by its PID. Not root: the tests are skipped (failed under CI=true).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ORTHANC = "/usr/sbin/Orthanc"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
USER, PASSWORD = "gazex", "orthanc-test-password"
_CLONE_NEWNET = 0x40000000


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Orthanc cannot start under CI: {reason} (.ci/run installs orthanc and orthanc-dicomweb)")
    pytest.skip(f"no local Orthanc: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NetNamespace:
    """A private network namespace with only loopback; the calling thread enters and leaves it."""

    def __init__(self) -> None:
        self.name = f"gazex-pacs-{os.getpid()}"
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._home: int | None = None

    def enter(self) -> None:
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True, text=True)
        self._home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if self._libc.setns(fd, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into the test namespace failed")
        finally:
            os.close(fd)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True, text=True)

    def leave(self) -> None:
        if self._home is not None:
            self._libc.setns(self._home, _CLONE_NEWNET)
            os.close(self._home)
            self._home = None
        subprocess.run(["ip", "netns", "delete", self.name], check=False, capture_output=True, text=True)


class OrthancServer:
    """One Orthanc with the DICOMweb plugin, a temporary config and storage, on free ports."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.http_port = _free_port()
        self.dicom_port = _free_port()
        self.scp_port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = root / "orthanc.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/dicom-web"

    def start(self) -> None:
        config = {
            "Name": "gazex-test",
            "StorageDirectory": str(self.root / "db"),
            "IndexDirectory": str(self.root / "db"),
            "HttpPort": self.http_port,
            "DicomPort": self.dicom_port,
            "DicomAet": "ORTHANC",
            "RemoteAccessAllowed": False,
            "AuthenticationEnabled": True,
            "RegisteredUsers": {USER: PASSWORD},
            "DicomModalities": {"gazex": ["GAZEX", "127.0.0.1", self.scp_port]},
            "DicomAlwaysAllowFind": True,
            "DicomAlwaysAllowMove": True,
            "DicomAlwaysAllowGet": True,
            "DicomAlwaysAllowStore": True,
            "Plugins": [str(DICOMWEB_PLUGIN)],
            "DicomWeb": {"Enable": True, "Root": "/dicom-web/", "Host": "127.0.0.1"},
            "SaveJobs": False,
            "StableAge": 1,
        }
        cfg = self.root / "orthanc.json"
        cfg.write_text(json.dumps(config, indent=2))
        with self.log.open("wb") as log:
            self.process = subprocess.Popen([ORTHANC, str(cfg)], stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Orthanc exited with {self.process.returncode}: {self.log.read_text()[-400:]}")
            try:
                socket.create_connection(("127.0.0.1", self.http_port), 0.2).close()
                socket.create_connection(("127.0.0.1", self.dicom_port), 0.2).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("Orthanc did not open its ports within 20 s")

    def stop(self) -> None:
        p = self.process
        if p is None or p.poll() is not None:
            return
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=5)


def start_orthanc(root: Path) -> tuple[OrthancServer, NetNamespace]:
    """Orthanc running in a private namespace that the calling thread has entered (skip/fail when impossible)."""
    if not (os.path.exists(ORTHANC) and DICOMWEB_PLUGIN.exists()):
        _unavailable("apt-get install -y orthanc orthanc-dicomweb")
    if os.geteuid() != 0 or shutil.which("ip") is None:
        _unavailable("needs root and iproute2 for a private network namespace (Orthanc 1.10 binds every address)")
    ns = NetNamespace()
    try:
        ns.enter()
    except (OSError, subprocess.CalledProcessError) as err:
        ns.leave()
        _unavailable(f"cannot create a network namespace ({err})")
    server = OrthancServer(root)
    try:
        server.start()
    except Exception as err:  # noqa: BLE001
        server.stop()
        ns.leave()
        _unavailable(str(err))
    return server, ns
