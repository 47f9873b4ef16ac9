"""Every greyscale image of pydicom's bundled test corpus that dcmtk renders, rendered as dcmtk renders it.

The reference is dcmtk's ``dcmj2pnm`` (``dcml2pnm`` for JPEG-LS) PGM output with the VOI the
viewer shows by default (the options of ``tests/core/imaging/test_display_dcmtk.py``), within one grey
level. dcmtk wraps 32-bit data, so 32-bit files are compared with pydicom's decoded arrays and
the DICOM linear window formula instead. Colour images (shown grey by the viewer, in colour by
dcmtk), non-images, files dcmtk itself cannot render here and the files the viewer deliberately
refuses (listed below with the reason) are skipped or checked for their one-line refusal. Every
dcmtk run is bounded by a timeout; the files are small (at most 512 x 512).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from gazex_viewer.core.errors import RadiographError
from gazex_viewer.core.imaging.files import load_radiograph
from tests.conftest import require_tool
from tests.dicom_tools import JPEG_LS, default_options

CORPUS = Path(get_testdata_file("CT_small.dcm")).parent
#: seconds one dcmtk run may take (the largest file here renders in well under a second)
DCMTK_TIMEOUT = 30

#: greyscale or palette files dcmtk renders that the viewer refuses on purpose, with the reason it gives
REFUSED: dict[str, str] = {
    # NumberOfFrames is "1A" (not an IS): the frame count cannot be trusted, so the film is not shown
    "badVR.dcm": "DICOM NumberOfFrames is not a number: '1A'",
    # a colour palette is not a radiograph: refused rather than shown in false grey
    "examples_palette.dcm": "unsupported photometric interpretation PALETTE COLOR",
}
#: files the viewer must now read that it refused before issue 17 (so a silent skip cannot hide them)
MUST_RENDER = {
    "examples_overlay.dcm",
    "image_dfl.dcm",
    "MR_small_padded.dcm",
    "JPGExtended.dcm",
    "JPEG-lossy.dcm",
    "CT_small.dcm",
    "MR_small.dcm",
    "rtdose.dcm",
}


def corpus_files() -> list[str]:
    return sorted(p.name for p in CORPUS.glob("*.dcm"))


def dcmtk_pgm(path: Path, out_dir: Path, ts: str) -> tuple[np.ndarray | None, str]:
    """dcmtk's 8-bit PGM of frame 1, or None and dcmtk's last error line."""
    tool = require_tool("dcml2pnm" if ts in JPEG_LS else "dcmj2pnm")
    out = out_dir / (path.name + ".pgm")
    proc = subprocess.run(
        [tool, *default_options(path), str(path), str(out)],
        check=False,
        capture_output=True,
        text=True,
        timeout=DCMTK_TIMEOUT,
    )
    if proc.returncode != 0 or not out.exists():
        lines = (proc.stderr or proc.stdout).strip().splitlines()
        return None, lines[-1] if lines else f"exit status {proc.returncode}"
    return np.asarray(Image.open(out)), ""


def linear_window_reference(path: Path) -> np.ndarray:
    """Frame 1 from pydicom's array through rescale and the DICOM linear window (PS3.3 C.11.2.1.2.1)."""
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    if int(ds.get("NumberOfFrames") or 1) > 1:
        arr = arr[0]
    x = arr.astype(np.float64)
    slope = float(ds.get("RescaleSlope") or 1.0)
    intercept = float(ds.get("RescaleIntercept") or 0.0)
    if (slope, intercept) != (1.0, 0.0):
        x = np.trunc(x * slope + intercept)
    if ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:
        c = float(np.atleast_1d(ds.WindowCenter)[0])
        w = float(np.atleast_1d(ds.WindowWidth)[0])
    else:
        c, w = (x.min() + x.max() + 1) / 2, x.max() - x.min() + 1
    y = np.where(
        x <= c - 0.5 - (w - 1) / 2, 0.0, np.where(x > c - 0.5 + (w - 1) / 2, 255.0, ((x - (c - 0.5)) / (w - 1) + 0.5) * 255)
    )
    y = np.clip(np.floor(y), 0, 255).astype(np.uint8)
    return 255 - y if str(ds.PhotometricInterpretation) == "MONOCHROME1" else y


@pytest.mark.parametrize("name", corpus_files())
def test_corpus_file_renders_as_dcmtk(name: str, tmp_path: Path) -> None:
    path = CORPUS / name
    ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
    if "Rows" not in ds or "Columns" not in ds:
        assert name not in MUST_RENDER
        pytest.skip("not an image (no Rows/Columns)")
    photometric = str(ds.get("PhotometricInterpretation", "")).strip()
    if name in REFUSED:
        with pytest.raises(RadiographError) as info:
            load_radiograph(path)
        text = str(info.value)
        assert text == f"{path}: {REFUSED[name]}" and "\n" not in text
        return
    if int(ds.get("SamplesPerPixel") or 1) != 1 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        pytest.skip(f"colour ({photometric}): the viewer shows it grey, dcmtk in colour")
    ts = str(getattr(ds, "file_meta", pydicom.Dataset()).get("TransferSyntaxUID", ""))
    ref, why = dcmtk_pgm(path, tmp_path, ts)
    if ref is None:
        assert name not in MUST_RENDER, f"dcmtk failed on {name}: {why}"
        if name == "MR_truncated.dcm":  # refused by both, by the viewer in one line
            with pytest.raises(RadiographError, match="file is truncated"):
                load_radiograph(path)
        # otherwise JPEG 2000, for which dcmtk here has no codec (checked in test_display_dcmtk.py)
        pytest.skip(f"dcmtk does not render it: {why}")
    r = load_radiograph(path)
    ours = r.render()
    if int(ds.BitsAllocated) == 32:
        # dcmj2pnm wraps 32-bit values: compare with pydicom's decoding and the standard's window
        full = pydicom.dcmread(path).pixel_array
        frame1 = full[0] if int(ds.get("NumberOfFrames") or 1) > 1 else full
        assert np.array_equal(r.stored, frame1)
        ref = linear_window_reference(path)
    assert ours.shape == ref.shape
    diff = np.abs(ours.astype(np.int16) - ref.astype(np.int16))
    assert int(diff.max()) <= 1, f"{name}: max difference {diff.max()} grey levels"


def test_the_corpus_is_there_and_covers_what_issue_17_fixed() -> None:
    names = set(corpus_files())
    assert MUST_RENDER <= names and set(REFUSED) <= names
