"""The DICOM reference tools the tests share: dcmtk's renderer and dsrdump, dicom3tools' dciodvfy (no tests here).

Each tool is found with :func:`tests.conftest.require_tool` (a test is skipped, or failed under CI, when it
is missing).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from pydicom.dataset import Dataset

from tests.conftest import require_tool

__all__ = ["JPEG_LS", "assert_same_display", "dciodvfy_errors", "dcmtk_render", "default_options", "dsrdump"]

#: the JPEG-LS transfer syntaxes (dcmtk renders them with dcml2pnm)
JPEG_LS = ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81")


def dcmtk_render(path: Path, out_dir: Path, *options: str) -> np.ndarray:
    """dcmtk's 8-bit rendering of ``path`` (dcml2pnm for JPEG-LS, dcmj2pnm otherwise)."""
    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    ts = str(getattr(ds, "file_meta", Dataset()).get("TransferSyntaxUID", ""))
    tool = require_tool("dcml2pnm" if ts in JPEG_LS else "dcmj2pnm")
    out = out_dir / (path.name + ".dcmtk.png")
    proc = subprocess.run([tool, "--write-png", *options, str(path), str(out)], check=False, capture_output=True, text=True)
    assert proc.returncode == 0, f"{tool} failed on {path.name}: {proc.stderr}"
    img = Image.open(out)
    assert img.mode == "L"
    return np.asarray(img)


def default_options(path: Path) -> list[str]:
    """The dcmtk options that select what the viewer shows by default."""
    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    if ds.get("VOILUTSequence"):
        return ["--use-voi-lut", "1"]
    if ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:
        return ["--use-window", "1"]
    return ["--min-max-window"]


def assert_same_display(ours: np.ndarray, ref: np.ndarray, *, exact_fraction: float = 0.999) -> None:
    """Ours is dcmtk's display: 8-bit, same shape, at most 1 grey level off, ``exact_fraction`` identical."""
    assert ours.dtype == np.uint8
    assert ours.shape == ref.shape
    diff = np.abs(ours.astype(np.int16) - ref.astype(np.int16))
    assert int(diff.max()) <= 1, f"max difference {diff.max()} grey levels"
    assert float((diff == 0).mean()) >= exact_fraction, f"only {(diff == 0).mean():.4%} identical"


def dciodvfy_errors(path: Path) -> list[str]:
    """The ``Error`` lines dciodvfy (dicom3tools) reports for the file."""
    out = subprocess.run([require_tool("dciodvfy"), str(path)], check=False, capture_output=True, text=True, timeout=60)
    lines = (out.stdout + out.stderr).splitlines()
    return [ln for ln in lines if ln.startswith("Error")]


def dsrdump(path: Path) -> str:
    """dcmtk's dsrdump of an SR (``+Pl +Pu``), which must read it without error."""
    out = subprocess.run([require_tool("dsrdump"), "+Pl", "+Pu", str(path)],
                         check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout
