"""Deflated Explicit VR Little Endian read and Pixel Data with trailing padding tolerated with a note."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from gazex_viewer.core.errors import RadiographError
from gazex_viewer.core.imaging.files import load_radiograph


def test_deflated_file_reads_as_pydicom_decodes_it() -> None:
    path = Path(get_testdata_file("image_dfl.dcm"))
    r = load_radiograph(path)
    assert r.metadata.transfer_syntax == "1.2.840.10008.1.2.1.99"
    assert np.array_equal(r.stored, pydicom.dcmread(path).pixel_array)
    assert r.render().shape == (512, 512)


def test_truncated_deflated_file_is_one_clear_line(tmp_path: Path) -> None:
    data = Path(get_testdata_file("image_dfl.dcm")).read_bytes()
    path = tmp_path / "dfl_cut.dcm"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(RadiographError) as info:
        load_radiograph(path)
    text = str(info.value)
    assert "dfl_cut.dcm" in text and "\n" not in text
    assert "file is truncated or corrupt: its deflated data set does not inflate" in text


def test_padded_pixel_data_is_tolerated_with_a_note() -> None:
    padded = load_radiograph(get_testdata_file("MR_small_padded.dcm"))
    plain = load_radiograph(get_testdata_file("MR_small.dcm"))
    assert np.array_equal(padded.stored, plain.stored)
    assert padded.pixel_sha256 == plain.pixel_sha256
    assert "Pixel Data has 128 bytes of padding after the image: ignored" in padded.notes
    assert not any("padding" in n for n in plain.notes)


def test_a_whole_extra_frame_is_not_padding(tmp_path: Path) -> None:
    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.PixelData = ds.PixelData * 2  # two frames' worth under a one-frame header
    path = tmp_path / "extra_frame.dcm"
    ds.save_as(path)
    with pytest.raises(RadiographError, match="needs 8192"):
        load_radiograph(path)


def test_deflate_bomb_is_refused_before_pydicom_inflates_it(tmp_path: Path) -> None:
    from pydicom.uid import DeflatedExplicitVRLittleEndian

    ds = pydicom.dcmread(get_testdata_file("MR_small.dcm"))
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds.add_new(0x00091010, "LO", "BOMB")  # private creator
    ds.add_new(0x00091000 | 0x1000, "OB", bytes(40 << 20))  # 40 MiB of zeros: a few tens of kB deflated
    path = tmp_path / "bomb_dfl.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(RadiographError) as info:
        load_radiograph(path, max_pixels=64 * 64)
    assert str(info.value).startswith(f"{path}: the deflated data set inflates to more than ")
    assert "a deflate bomb" in str(info.value)
    # within the bound the same file opens (the pixels are MR_small's)
    r = load_radiograph(path)
    assert np.array_equal(r.stored, load_radiograph(get_testdata_file("MR_small.dcm")).stored)
