"""12-bit lossy JPEG (JPEG Extended) decoded with libjpeg-turbo 3 gives dcmtk's samples and display."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from gazex_viewer.core.imaging import dicom_jpeg12
from gazex_viewer.core.imaging.files import load_radiograph
from tests.conftest import require_tool

pytestmark = pytest.mark.skipif(not dicom_jpeg12.available(), reason="imagecodecs (libjpeg-turbo 3) is not installed")


def _run(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True, timeout=60)


def test_corpus_12_bit_jpeg_gives_dcmdjpeg_samples(tmp_path: Path) -> None:
    src = Path(get_testdata_file("JPGExtended.dcm"))
    plain = tmp_path / "plain.dcm"
    _run(require_tool("dcmdjpeg"), str(src), str(plain))
    r = load_radiograph(src)
    assert r.metadata.transfer_syntax == "1.2.840.10008.1.2.4.51" and r.metadata.lossy_compressed
    assert np.array_equal(r.stored, pydicom.dcmread(plain).pixel_array)


@pytest.mark.parametrize("signed", [False, True])
def test_12_bit_jpeg_signed_or_not_renders_as_dcmtk(signed: bool, tmp_path: Path) -> None:
    jpeg = tmp_path / "ct12.dcm"
    _run(require_tool("dcmcjpeg"), "+ee", get_testdata_file("CT_small.dcm"), str(jpeg))
    if signed:  # the same 12-bit samples read as two's complement
        ds = pydicom.dcmread(jpeg)
        ds.PixelRepresentation = 1
        ds.save_as(jpeg)
    plain = tmp_path / "ct12_plain.dcm"
    _run(require_tool("dcmdjpeg"), str(jpeg), str(plain))
    pgm = tmp_path / "ct12.pgm"
    _run(require_tool("dcmj2pnm"), "--min-max-window", str(jpeg), str(pgm))
    r = load_radiograph(jpeg)
    expected = pydicom.dcmread(plain).pixel_array
    assert r.stored.dtype == (np.int16 if signed else np.uint16)
    assert np.array_equal(r.stored, expected)
    if signed:
        assert int(r.stored.min()) < 0
    assert np.array_equal(r.render(), np.asarray(Image.open(pgm)))
