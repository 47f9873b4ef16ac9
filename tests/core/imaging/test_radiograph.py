"""Loading radiographs: formats, metadata, folders, bad input, and the ``render`` command."""

from __future__ import annotations

import copy
import hashlib
import struct
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset

from gazex_viewer.core.errors import GazeXError, RadiographError
from gazex_viewer.core.imaging.files import IMAGE_SUFFIXES, find_images, load_radiograph
from gazex_viewer.core.imaging.radiograph import MAX_PIXELS, WindowPreset
from tests.conftest import ROOT, shared_file

CROP = (slice(600, 856), slice(500, 756))


@pytest.fixture(scope="module")
def rg1_small() -> Dataset:
    """RG1 (real CR chest), cropped to 256 x 256 so crafted files stay small."""
    ds = pydicom.dcmread(shared_file("dicom/RG1_UNCR.dcm"))
    pixels = np.ascontiguousarray(ds.pixel_array[CROP])
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = pixels.tobytes()
    return ds


# -- real files ----------------------------------------------------------------------------------
def test_rg1_metadata_and_presets() -> None:
    r = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    m = r.metadata
    assert (r.width, r.height) == (1841, 1955)
    assert m.source_format == "DICOM"
    assert m.patient_name == "CompressedSamples^RG1" and m.patient_id == "9RG1"
    assert m.study_date == "20040826" and m.view_position == "PA" and m.modality == "CR"
    assert m.photometric == "MONOCHROME1" and m.bits_stored == 15 and m.n_frames == 1
    assert m.transfer_syntax == "1.2.840.10008.1.2.1"
    # PixelSpacing is 0\0 in this file: no spacing, and the radiologist is told
    assert m.pixel_spacing_mm is None and m.spacing_kind is None
    assert any("PixelSpacing" in n and "not valid" in n for n in r.notes)
    assert [(p.name, p.center, p.width) for p in r.presets] == [
        ("Header 1", 15000.0, 30000.0),
        ("Full range", (874 + 26479 + 1) / 2, 26479 - 874 + 1),
    ]
    stored = pydicom.dcmread(shared_file("dicom/RG1_UNCR.dcm")).pixel_array
    assert np.array_equal(r.stored, stored)
    assert r.pixel_sha256 == hashlib.sha256(stored.astype("<u2").tobytes()).hexdigest()
    assert r.modality.dtype == np.float32 and r.modality.shape == (1955, 1841)
    ref = r.image_ref()
    assert (ref.file_name, ref.width, ref.height, ref.pixel_sha256) == ("RG1_UNCR.dcm", 1841, 1955, r.pixel_sha256)
    assert ref.sop_instance_uid == m.sop_instance_uid and ref.study_instance_uid == m.study_instance_uid
    assert ref.sop_instance_uid and ref.frame == 1


def test_jpeg_ls_near_lossless_is_flagged_lossy() -> None:
    r = load_radiograph(shared_file("dicom/RG1_JLSN.dcm"))
    unc = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    assert r.metadata.lossy_compressed and "lossy compressed image" in r.notes
    diff = np.abs(r.stored.astype(np.int32) - unc.stored.astype(np.int32))
    assert 0 < diff.max() <= 4  # near-lossless: close, not equal
    assert r.pixel_sha256 != unc.pixel_sha256


def test_nih_secondary_capture_full_range() -> None:
    r = load_radiograph(shared_file("dicom/nih_dx_secondary_capture.dcm"))
    assert r.metadata.sop_class_uid == "1.2.840.10008.5.1.4.1.1.7"
    assert r.metadata.study_description == "No Finding"
    assert [p.name for p in r.presets] == ["Full range"]
    out = r.render()
    s = r.stored.astype(np.float64)
    expected = np.floor(255 * (s - s.min()) / (s.max() - s.min())).astype(np.uint8)
    assert np.array_equal(out, expected)


def test_8bit_png_is_shown_as_stored() -> None:
    path = shared_file("images/nih/00000001_000.png")
    r = load_radiograph(path)
    stored = np.asarray(Image.open(path))
    assert r.metadata.source_format == "PNG" and r.metadata.bits_stored == 8
    assert np.array_equal(r.render(), stored)
    assert r.notes == []


def test_rgb_jpeg_shown_grey() -> None:
    path = shared_file("images/openly-licensed/X-ray_of_cyst_in_pneumocystis_pneumonia_1.jpg")
    r = load_radiograph(path)
    with Image.open(path) as im:
        assert im.mode == "RGB"
        grey = np.asarray(im.convert("L"))
    assert r.metadata.source_format == "JPEG" and r.metadata.photometric == "MONOCHROME2"
    assert (r.width, r.height) == (943, 751)
    assert np.array_equal(r.render(), grey)
    assert r.notes == []  # stored as RGB, but every pixel is grey


def test_colour_photograph_shown_grey(tmp_path: Path) -> None:
    """A sepia-tinted photograph of a film (made from a real NIH radiograph) is shown in grey."""
    grey = np.asarray(Image.open(shared_file("images/nih/00000001_000.png"))).astype(np.float64)
    sepia = np.stack([grey, grey * 0.85, grey * 0.6], axis=-1).round().astype(np.uint8)
    path = tmp_path / "sepia.jpg"
    Image.fromarray(sepia, "RGB").save(path, quality=95)
    r = load_radiograph(path)
    with Image.open(path) as im:
        decoded = np.asarray(im)
        expected = np.asarray(im.convert("L"))
    assert np.abs(decoded[..., 0].astype(int) - decoded[..., 2]).max() > 40  # really colour
    assert "colour image shown in grey" in r.notes
    assert r.stored.ndim == 2 and np.array_equal(r.render(), expected)
    assert r.pixel_sha256 == hashlib.sha256(expected.tobytes()).hexdigest()
    png = load_radiograph(shared_file("images/openly-licensed/ARDSSevere.png"))
    assert "colour image shown in grey" in png.notes


def test_16bit_png_full_range(rg1_small: Dataset, tmp_path: Path) -> None:
    pixels = rg1_small.pixel_array.astype(np.uint16)
    path = tmp_path / "rg1_16bit.png"
    Image.fromarray(pixels).save(path)
    with Image.open(path) as im:
        assert im.mode.startswith("I")
    r = load_radiograph(path)
    assert r.metadata.bits_stored == 16 and r.stored.dtype == np.uint16
    assert np.array_equal(r.stored, pixels)
    lo, hi = float(pixels.min()), float(pixels.max())
    expected = np.floor(255 * (pixels - lo) / (hi - lo)).astype(np.uint8)
    assert np.array_equal(r.render(), expected)
    assert r.render()[np.unravel_index(np.argmax(pixels), pixels.shape)] == 255


def test_legacy_dicom_without_file_meta(tmp_path: Path) -> None:
    src = shared_file("dicom/nih_dx_secondary_capture.dcm")
    ds = pydicom.dcmread(src)
    ds.file_meta = FileMetaDataset()
    ds.preamble = None
    path = tmp_path / "legacy_no_suffix"
    pydicom.dcmwrite(path, ds, implicit_vr=True, little_endian=True, enforce_file_format=False)
    head = path.read_bytes()[:132]
    assert head[128:132] != b"DICM"
    r = load_radiograph(path)
    ref = load_radiograph(src)
    assert np.array_equal(r.stored, ref.stored) and r.pixel_sha256 == ref.pixel_sha256
    assert np.array_equal(r.render(), ref.render())
    assert r.metadata.transfer_syntax == "1.2.840.10008.1.2"
    assert any("legacy" in n for n in r.notes)
    assert find_images(tmp_path) == [path]


def test_imager_pixel_spacing_is_called_at_the_detector(rg1_small: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1_small)
    del ds.PixelSpacing
    ds.ImagerPixelSpacing = [0.143, 0.15]
    ds.ImageLaterality = "R"
    path = tmp_path / "imager.dcm"
    ds.save_as(path)
    r = load_radiograph(path)
    assert r.metadata.pixel_spacing_mm == (0.143, 0.15)
    assert r.metadata.spacing_kind == "ImagerPixelSpacing"
    assert r.metadata.laterality == "R"
    assert any("at the detector" in n for n in r.notes)
    ds.PixelSpacing = [0.139, 0.139]
    ds.save_as(path)
    assert load_radiograph(path).metadata.spacing_kind == "PixelSpacing"


def test_window_override_and_invert(rg1_small: Dataset, tmp_path: Path) -> None:
    path = tmp_path / "w.dcm"
    rg1_small.save_as(path)
    r = load_radiograph(path)
    narrow = r.render(WindowPreset(10000.0, 2.0, "narrow"))
    # width 2 around 10000: values <= 9999 -> white (MONOCHROME1), >= 10000 -> black
    s = r.stored
    assert np.array_equal(narrow == 255, s <= 9999)
    assert np.array_equal(narrow == 0, s >= 10000)
    assert np.array_equal(r.render(invert=True), 255 - r.render())


# -- folders --------------------------------------------------------------------------------------
def test_find_images_real_folders() -> None:
    names = [p.name for p in find_images(shared_file("dicom"))]
    assert names == ["RG1_J2KR.dcm", "RG1_JLSN.dcm", "RG1_UNCR.dcm", "nih_dx_secondary_capture.dcm"]
    hannover = find_images(shared_file("images/hannover"))
    assert len(hannover) == 12 and all(p.suffix == ".png" for p in hannover)  # data.csv left out
    assert ".png" in IMAGE_SUFFIXES and ".dcm" in IMAGE_SUFFIXES


def test_find_images_by_content(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "README").write_text("(0008,0016) looks like a tag but is text")
    src = shared_file("dicom/nih_dx_secondary_capture.dcm")
    (tmp_path / "IM0001").write_bytes(src.read_bytes())  # DICOM without suffix
    (tmp_path / "b.png").write_bytes(shared_file("images/nih/00027426_000.png").read_bytes())
    assert [p.name for p in find_images(tmp_path)] == ["IM0001", "b.png"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(RadiographError, match="no DICOM, PNG or JPEG images"):
        find_images(empty)
    with pytest.raises(RadiographError, match="folder not found"):
        find_images(tmp_path / "missing")


# -- bad input ------------------------------------------------------------------------------------
def expect_error(path: Path, fragment: str, **kwargs: int) -> RadiographError:
    with pytest.raises(RadiographError) as info:
        load_radiograph(path, **kwargs)
    err = info.value
    assert isinstance(err, GazeXError)
    assert str(err).startswith(str(path) + ": "), str(err)
    assert fragment in err.reason, err.reason
    assert "\n" not in str(err)
    return err


def test_truncated_native_dicom(tmp_path: Path) -> None:
    data = shared_file("dicom/RG1_UNCR.dcm").read_bytes()
    path = tmp_path / "truncated.dcm"
    path.write_bytes(data[: len(data) // 2])
    expect_error(path, "truncated")


def test_truncated_header(tmp_path: Path) -> None:
    data = shared_file("dicom/RG1_UNCR.dcm").read_bytes()
    path = tmp_path / "header_only.dcm"
    path.write_bytes(data[:600])
    expect_error(path, "no pixel data")


def test_truncated_jpeg2000(tmp_path: Path) -> None:
    data = shared_file("dicom/RG1_J2KR.dcm").read_bytes()
    path = tmp_path / "truncated_j2k.dcm"
    path.write_bytes(data[: len(data) // 2])
    err = expect_error(path, "file is truncated")
    assert "(FFFE,E0DD)" in err.reason  # the encapsulated Pixel Data ends before its delimiter


def test_truncated_png(tmp_path: Path) -> None:
    data = shared_file("images/nih/00000001_000.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 3])
    expect_error(path, "truncated")


def test_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "report.dcm"
    path.write_text("FINDINGS: no pneumothorax.")
    expect_error(path, "not a DICOM, PNG or JPEG image")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    expect_error(empty, "file is empty")
    expect_error(tmp_path / "missing.dcm", "file not found")
    expect_error(tmp_path, "is a folder")


def test_dicom_without_pixel_data(rg1_small: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1_small)
    del ds.PixelData
    path = tmp_path / "no_pixels.dcm"
    ds.save_as(path)
    expect_error(path, "Pixel Data is missing")
    # a non-image object (no Rows/Columns, no Pixel Data): named by its SOP class
    del ds.Rows, ds.Columns
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.88.22"
    ds.save_as(path)
    expect_error(path, "no pixel data (Enhanced SR Storage)")


def test_rows_columns_disagree_with_pixel_data(rg1_small: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1_small)
    ds.Rows = 300
    path = tmp_path / "rows.dcm"
    ds.save_as(path)
    err = expect_error(path, "needs")
    assert "300 x 256" in err.reason


def test_frames_disagree_with_pixel_data(rg1_small: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1_small)
    ds.NumberOfFrames = 3
    path = tmp_path / "frames.dcm"
    ds.save_as(path)
    expect_error(path, "x 3 x 1")


def test_too_large_dicom_refused_before_allocation(rg1_small: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1_small)
    ds.Rows, ds.Columns = 20000, 20000  # 400 megapixels declared, 128 KiB of data
    path = tmp_path / "huge.dcm"
    ds.save_as(path)
    tracemalloc.start()
    try:
        expect_error(path, "too large")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    assert MAX_PIXELS == 100_000_000
    expect_error(shared_file("dicom/nih_dx_secondary_capture.dcm"), "too large", max_pixels=1000)


def _png_bytes(width: int, height: int) -> bytes:
    """A valid PNG whose header declares width x height, with one tiny IDAT (a bomb's shape)."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [12_000, 30_000])
def test_png_decompression_bomb_refused(tmp_path: Path, side: int) -> None:
    path = tmp_path / f"bomb_{side}.png"
    path.write_bytes(_png_bytes(side, side))
    tracemalloc.start()
    try:
        expect_error(path, "too large")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


def test_unsupported_photometric(rg1_small: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1_small)
    ds.PhotometricInterpretation = "PALETTE COLOR"
    path = tmp_path / "palette.dcm"
    ds.save_as(path)
    expect_error(path, "unsupported photometric interpretation PALETTE COLOR")


# -- the render command ----------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gazex_viewer", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_render_command_writes_the_default_display(tmp_path: Path) -> None:
    src = shared_file("dicom/RG1_J2KR.dcm")
    out = tmp_path / "rg1.png"
    proc = run_cli("render", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "1841x1955" in proc.stdout and "Header 1 15000/30000" in proc.stdout
    with Image.open(out) as im:
        assert im.mode == "L" and im.size == (1841, 1955)
        written = np.asarray(im)
    assert np.array_equal(written, load_radiograph(src).render())


def test_render_command_folder(tmp_path: Path) -> None:
    proc = run_cli("render", str(shared_file("images/nih")), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["00000001_000.png", "00027426_000.png"]


def test_render_command_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    data = shared_file("dicom/RG1_UNCR.dcm").read_bytes()
    bad = tmp_path / "cut.dcm"
    bad.write_bytes(data[:3_000_000])
    proc = run_cli("render", str(bad), "-o", str(tmp_path / "x.png"))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith(f"gazex-viewer render: {bad}: ") and "truncated" in lines[0]
    assert not (tmp_path / "x.png").exists()


def test_rgb_dicom_shown_grey(tmp_path: Path) -> None:
    ds = pydicom.dcmread(shared_file("dicom/nih_dx_secondary_capture.dcm"))
    grey = ds.pixel_array.astype(np.float64)
    rgb = np.stack([grey, grey * 0.8, grey * 0.5], axis=-1).round().astype(np.uint8)
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.PlanarConfiguration = 3, "RGB", 0
    ds.PixelData = rgb.tobytes()
    path = tmp_path / "rgb.dcm"
    ds.save_as(path)
    r = load_radiograph(path)
    expected = np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
    assert np.array_equal(r.stored, expected)
    assert r.metadata.photometric == "MONOCHROME2"
    assert "colour image (RGB) shown in grey" in r.notes
    assert r.pixel_sha256 == hashlib.sha256(expected.tobytes()).hexdigest()
