"""The display pipeline against dcmtk, the reference renderer, pixel for pixel.

Real files from ../shared/data/dicom are rendered as they are; rescale, VOI LUT Sequence,
signed pixels, Modality LUT Sequence and two-frame files are crafted from RG1 inside the tests
(written with pydicom into tmp_path) and compared with dcmtk's rendering of the same file.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from gazex_viewer.core.imaging import display
from gazex_viewer.core.imaging.radiograph import WindowPreset
from gazex_viewer.core.imaging.files import load_radiograph
from tests.conftest import SHARED_DATA, shared_file
from tests.dicom_tools import assert_same_display, dcmtk_render, default_options

DICOM_DIR = SHARED_DATA / "dicom"
JPEG_2000 = ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91")


def real_dicoms() -> list[str]:
    if not DICOM_DIR.is_dir():
        return ["RG1_UNCR.dcm"]  # shared_file skips it
    return sorted(p.name for p in DICOM_DIR.glob("*.dcm"))


@pytest.mark.parametrize("name", real_dicoms())
def test_real_dicom_matches_dcmtk(name: str, tmp_path: Path) -> None:
    path = shared_file(f"dicom/{name}")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    if str(ds.file_meta.TransferSyntaxUID) in JPEG_2000:
        pytest.skip("dcmtk here cannot decode JPEG 2000 (checked against RG1_UNCR instead)")
    ref = dcmtk_render(path, tmp_path, *default_options(path))
    ours = load_radiograph(path).render()
    assert_same_display(ours, ref)


def test_rg1_exact_and_light_box_orientation(tmp_path: Path) -> None:
    path = shared_file("dicom/RG1_UNCR.dcm")
    r = load_radiograph(path)
    ours = r.render()
    ref = dcmtk_render(path, tmp_path, "--use-window", "1")
    assert np.array_equal(ours, ref)  # exactly, not just within one grey level
    # MONOCHROME1 at 15000/30000: lungs dark, mediastinum (centre column) bright
    rows, cols = ours.shape
    mediastinum = ours[rows // 3 : 2 * rows // 3, cols // 2 - 60 : cols // 2 + 60].mean()
    right_lung = ours[rows // 3 : 2 * rows // 3, cols // 4 - 60 : cols // 4 + 60].mean()
    assert mediastinum > right_lung + 40


def test_j2k_decodes_to_exactly_the_uncompressed_pixels() -> None:
    unc = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    j2k = load_radiograph(shared_file("dicom/RG1_J2KR.dcm"))
    assert j2k.stored.dtype == unc.stored.dtype == np.uint16
    assert np.array_equal(j2k.stored, unc.stored)
    assert j2k.pixel_sha256 == unc.pixel_sha256
    assert np.array_equal(j2k.render(), unc.render())
    assert j2k.metadata.transfer_syntax == "1.2.840.10008.1.2.4.90"
    assert not j2k.metadata.lossy_compressed


def test_user_window_matches_dcmtk_set_window(tmp_path: Path) -> None:
    path = shared_file("dicom/RG1_UNCR.dcm")
    r = load_radiograph(path)
    ours = r.render(WindowPreset(9000.0, 12001.0, "drag"))
    ref = dcmtk_render(path, tmp_path, "--set-window", "9000", "12001")
    assert_same_display(ours, ref)
    assert np.array_equal(r.render(invert=True), 255 - r.render())


# -- crafted from RG1 --------------------------------------------------------------------------
CROP = (slice(600, 1112), slice(500, 1012))  # 512 x 512 of real chest (keeps dcmtk runs short)


@pytest.fixture(scope="module")
def rg1() -> Dataset:
    ds = pydicom.dcmread(shared_file("dicom/RG1_UNCR.dcm"))
    pixels = ds.pixel_array[CROP]
    ds.Rows, ds.Columns = pixels.shape
    ds.PixelData = np.ascontiguousarray(pixels).tobytes()
    return ds


def write(ds: Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


def test_rescale_and_signed_pixels_with_window(rg1: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1)
    stored = rg1.pixel_array.astype(np.int32) - 16000
    ds.PixelRepresentation = 1
    ds.PixelData = stored.astype("<i2").tobytes()
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = "0.5", "-100", "US"
    ds.WindowCenter, ds.WindowWidth = "-1000", "6000"
    path = write(ds, tmp_path / "signed_rescale_window.dcm")
    r = load_radiograph(path)
    assert r.stored.dtype == np.int16 and int(r.stored.min()) < 0
    np.testing.assert_allclose(r.modality, stored * 0.5 - 100)
    assert r.modality.dtype == np.float32
    assert r.default_preset.name == "Header 1" and r.default_preset.center == -1000
    assert_same_display(r.render(), dcmtk_render(path, tmp_path, "--use-window", "1"), exact_fraction=1.0)


def test_signed_pixels_full_range(rg1: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1)
    stored = rg1.pixel_array.astype(np.int32) - 16000
    ds.PixelRepresentation = 1
    ds.PixelData = stored.astype("<i2").tobytes()
    ds.RescaleSlope, ds.RescaleIntercept = "0.5", "-100"
    del ds.WindowCenter, ds.WindowWidth
    path = write(ds, tmp_path / "signed_minmax.dcm")
    r = load_radiograph(path)
    assert [p.name for p in r.presets] == ["Full range"]
    ref = dcmtk_render(path, tmp_path, "--min-max-window")
    assert_same_display(r.render(), ref, exact_fraction=1.0)
    # MONOCHROME1: the darkest modality value is white
    out = r.render()
    assert out[np.unravel_index(np.argmin(stored), stored.shape)] == 255


def make_voi_lut(n: int, first: int, bits: int, top: int) -> Dataset:
    idx = np.arange(n)
    data = (np.round(top * (idx / (n - 1)) ** 0.5) + 10).astype(np.uint16)
    item = Dataset()
    item.LUTDescriptor = [n, first, bits]
    item.add_new(0x00283006, "US", data.tolist())
    item.LUTExplanation = "square root"
    return item


@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
def test_voi_lut_sequence(rg1: Dataset, tmp_path: Path, photometric: str) -> None:
    ds = copy.deepcopy(rg1)
    ds.PhotometricInterpretation = photometric
    ds.VOILUTSequence = Sequence([make_voi_lut(8192, 2000, 12, 4000)])  # window also present: LUT wins
    path = write(ds, tmp_path / f"voi_lut_{photometric}.dcm")
    r = load_radiograph(path)
    assert r.default_preset.function == "VOI_LUT" and r.default_preset.explanation == "square root"
    assert [p.name for p in r.presets] == ["VOI LUT 1", "Header 1", "Full range"]
    ref = dcmtk_render(path, tmp_path, "--use-voi-lut", "1")
    assert_same_display(r.render(), ref, exact_fraction=0.3 if photometric == "MONOCHROME1" else 1.0)
    # dcmtk scales MONOCHROME1 VOI LUT output by 254/2**bits (never reaching 0); ours is the exact
    # inversion of the MONOCHROME2 display, which stays within one grey level of dcmtk
    lut = make_voi_lut(8192, 2000, 12, 4000)
    values = r.modality.astype(np.int64)
    mono2 = np.floor(np.asarray(lut.LUTData)[np.clip(values - 2000, 0, 8191)] * 256 / 4096).astype(np.uint8)
    assert np.array_equal(r.render(), 255 - mono2 if photometric == "MONOCHROME1" else mono2)
    # the header window is still a preset and matches dcmtk's --use-window
    assert_same_display(r.render(r.presets[1]), dcmtk_render(path, tmp_path, "--use-window", "1"))


def test_modality_lut_sequence(rg1: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1)
    item = Dataset()
    n, first = 4096, 4000
    lut = (np.arange(n) * 3 // 2 + 500).astype(np.uint16)
    item.LUTDescriptor = [n, first, 16]
    item.add_new(0x00283006, "US", lut.tolist())
    item.ModalityLUTType = "US"
    ds.ModalityLUTSequence = Sequence([item])
    ds.WindowCenter, ds.WindowWidth = "3000", "4000"
    path = write(ds, tmp_path / "modality_lut.dcm")
    r = load_radiograph(path)
    stored = rg1.pixel_array.astype(np.int64)
    np.testing.assert_array_equal(r.modality, lut[np.clip(stored - first, 0, n - 1)])
    assert_same_display(r.render(), dcmtk_render(path, tmp_path, "--use-window", "1"))


def test_two_frames_shows_frame_one(rg1: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1)
    f1 = rg1.pixel_array
    f2 = (32767 - f1.astype(np.int32)).astype(np.uint16)[::-1]
    ds.NumberOfFrames = 2
    ds.PixelData = np.stack([f1, f2]).astype("<u2").tobytes()
    path = write(ds, tmp_path / "two_frames.dcm")
    r = load_radiograph(path)
    assert r.metadata.n_frames == 2
    assert "2 frames; showing frame 1" in r.notes
    assert np.array_equal(r.stored, f1)
    assert_same_display(r.render(), dcmtk_render(path, tmp_path, "--use-window", "1"), exact_fraction=1.0)


def test_sigmoid_function_monochrome2(rg1: Dataset, tmp_path: Path) -> None:
    ds = copy.deepcopy(rg1)
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.VOILUTFunction = "SIGMOID"
    path = write(ds, tmp_path / "sigmoid.dcm")
    r = load_radiograph(path)
    assert r.default_preset.function == "SIGMOID"
    assert_same_display(r.render(), dcmtk_render(path, tmp_path, "--use-window", "1"))


# -- the maths without dcmtk -------------------------------------------------------------------
def test_linear_window_formula_values() -> None:
    x = np.array([-10.0, 0.0, 49.5, 50.0, 99.0, 200.0])
    # c=50, w=100: 0 at x <= -0.5+... -> t = (x - 49.5) / 99 + 0.5
    out = display.window_lut(x, 50.0, 100.0)
    expected = np.floor(255 * np.clip((x - 49.5) / 99 + 0.5, 0, 1)).astype(np.uint8)
    assert out.tolist() == expected.tolist() == [0, 0, 127, 128, 255, 255]
    assert display.window_lut(x, 50.0, 100.0, monochrome1=True).tolist() == [255, 255, 127, 126, 0, 0]


def test_full_range_window_spans_data() -> None:
    c, w = display.full_range_window(874, 26479)
    out = display.window_lut(np.array([874.0, 26479.0]), c, w)
    assert out.tolist() == [0, 255]
    with pytest.raises(ValueError):
        display.window_lut(np.zeros(3), 0, 0.5)
