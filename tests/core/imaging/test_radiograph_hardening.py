"""Hardened loading: decompression bombs refused from the compressed stream's own header, one-line
errors, compressed transfer syntaxes made with dcmtk compared with dcmtk's rendering."""

from __future__ import annotations

import io
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import encapsulate

from gazex_viewer.core.errors import GazeXError, RadiographError
from gazex_viewer.core.imaging.codecs import j2k_stream_info, jpeg_stream_info
from gazex_viewer.core.imaging.files import find_images, load_radiograph
from tests.conftest import ROOT, require_tool, shared_file
from tests.dicom_tools import assert_same_display, dcmtk_render, default_options

BOMB = 3000  # the stream's side; the header says 256 x 256


def _small_header(src: str, ts: str, *, bits: int, photometric: str = "MONOCHROME2") -> pydicom.Dataset:
    """RG1's header, claiming a 256 x 256 image of ``bits`` bits in transfer syntax ``ts``."""
    ds = pydicom.dcmread(shared_file(src))
    ds.file_meta.TransferSyntaxUID = ts
    ds.Rows = ds.Columns = 256
    ds.BitsAllocated = 8 if bits <= 8 else 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PhotometricInterpretation = photometric
    ds.SamplesPerPixel = 1
    return ds


def _save(ds: pydicom.Dataset, stream: bytes, out: Path) -> Path:
    ds.PixelData = encapsulate([bytes(stream)])
    ds["PixelData"].VR = "OB"
    ds.save_as(out, enforce_file_format=True)
    return out


def _peak_bytes_of_load(path: Path, **kwargs: int) -> tuple[int, str]:
    tracemalloc.start()
    try:
        with pytest.raises(RadiographError) as info:
            load_radiograph(path, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, str(info.value)


@pytest.fixture(scope="module")
def j2k_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import openjpeg

    stream = openjpeg.encode(np.zeros((BOMB, BOMB), np.uint16), bits_stored=15, use_mct=False)
    ds = _small_header("dicom/RG1_J2KR.dcm", "1.2.840.10008.1.2.4.90", bits=15, photometric="MONOCHROME1")
    return _save(ds, stream, tmp_path_factory.mktemp("bomb") / "j2k_bomb.dcm")


@pytest.fixture(scope="module")
def jpeg_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    buf = io.BytesIO()
    Image.fromarray(np.zeros((BOMB, BOMB), np.uint8)).save(buf, format="JPEG", quality=90)
    ds = _small_header("dicom/RG1_UNCR.dcm", "1.2.840.10008.1.2.4.50", bits=8)
    return _save(ds, buf.getvalue(), tmp_path_factory.mktemp("bomb") / "jpeg_bomb.dcm")


@pytest.fixture(scope="module")
def jls_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import jpeg_ls

    stream = jpeg_ls.encode_array(np.zeros((BOMB, BOMB), np.uint16))
    ds = _small_header("dicom/RG1_JLSN.dcm", "1.2.840.10008.1.2.4.80", bits=16)
    return _save(ds, stream, tmp_path_factory.mktemp("bomb") / "jls_bomb.dcm")


# -- decompression bombs: refused before decoding ------------------------------------------------
@pytest.mark.parametrize("bomb", ["j2k_bomb", "jpeg_bomb", "jls_bomb"])
def test_bomb_refused_before_decoding(bomb: str, request: pytest.FixtureRequest) -> None:
    path: Path = request.getfixturevalue(bomb)
    peak, message = _peak_bytes_of_load(path)
    assert message == (
        f"{path}: header says 256 rows x 256 columns, the image data holds {BOMB} rows x {BOMB} columns"
    )
    # decoding 3000 x 3000 would allocate at least 9 MB (18 MB at 16 bits); the stream is a few kB
    assert peak < 2_000_000, peak


def test_bomb_over_the_limit_names_both_sizes(j2k_bomb: Path) -> None:
    peak, message = _peak_bytes_of_load(j2k_bomb, max_pixels=1_000_000)
    assert message == (
        f"{j2k_bomb}: image is too large: the image data holds {BOMB} rows x {BOMB} columns = "
        f"{BOMB * BOMB} pixels, over the limit of 1000000 (header says 256 rows x 256 columns)"
    )
    assert peak < 2_000_000, peak


def test_stream_info_of_real_files() -> None:
    from pydicom.encaps import generate_frames

    for name, parse, precision, process in (
        ("RG1_J2KR.dcm", j2k_stream_info, 15, 0),
        ("RG1_JLSN.dcm", jpeg_stream_info, 15, 0xF7),
    ):
        ds = pydicom.dcmread(shared_file(f"dicom/{name}"))
        frame = next(generate_frames(ds.PixelData, number_of_frames=1))
        info = parse(frame[:4096])
        assert info is not None, name
        assert (info.rows, info.columns, info.components, info.precision, info.process) == (
            1955,
            1841,
            1,
            precision,
            process,
        ), name
    assert jpeg_stream_info(b"\x89PNG\r\n\x1a\n") is None
    assert j2k_stream_info(b"\xff\xd8\xff\xe0") is None


# -- one-line messages ---------------------------------------------------------------------------
def test_gazex_error_is_one_line() -> None:
    err = RadiographError("/x/a.dcm", "Unable to decode:\n  gdcm: failed\n\tpillow:  failed ")
    assert str(err) == "/x/a.dcm: Unable to decode: gdcm: failed pillow: failed"
    assert GazeXError(None, "a\nb").message == "a b"


@pytest.mark.parametrize(
    ("src", "keyword", "value", "reason"),
    [
        ("RG1_J2KR.dcm", "Rows", 1000, "header says 1000 rows x 1841 columns, the image data holds 1955 rows x 1841 columns"),
        ("RG1_JLSN.dcm", "Columns", 1000, "header says 1955 rows x 1000 columns, the image data holds 1955 rows x 1841 columns"),
    ],
)
def test_compressed_size_mismatch_render_one_line(
    src: str, keyword: str, value: int, reason: str, tmp_path: Path
) -> None:
    ds = pydicom.dcmread(shared_file(f"dicom/{src}"))
    setattr(ds, keyword, value)
    bad = tmp_path / f"bad_{src}"
    ds.save_as(bad)
    with pytest.raises(RadiographError) as info:
        load_radiograph(bad)
    assert str(info.value) == f"{bad}: {reason}"
    proc = subprocess.run(
        [sys.executable, "-m", "gazex_viewer", "render", str(bad), "-o", str(tmp_path / "o.png")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"gazex-viewer render: {bad}: {reason}\n"
    assert not (tmp_path / "o.png").exists()


# -- compressed transfer syntaxes made with dcmtk, rendered as dcmtk renders them -----------------
RG1 = "dicom/RG1_UNCR.dcm"
NIH = "dicom/nih_dx_secondary_capture.dcm"


def _dcmtk_encode(tool: str, options: list[str], src: str, out: Path) -> Path:
    exe = require_tool(tool)
    proc = subprocess.run([exe, *options, str(shared_file(src)), str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize(
    ("src", "tool", "options", "ts", "lossless"),
    [
        (RG1, "dcmcjpeg", [], "1.2.840.10008.1.2.4.70", True),  # lossless SV1 (dcmcjpeg's default)
        (RG1, "dcmcjpeg", ["+el"], "1.2.840.10008.1.2.4.57", True),  # lossless process 14
        (RG1, "dcmcjpeg", ["+eb"], "1.2.840.10008.1.2.4.50", False),  # baseline (scaled to 8 bits)
        (RG1, "dcmcrle", [], "1.2.840.10008.1.2.5", True),
        (NIH, "dcmcjpeg", ["+eb"], "1.2.840.10008.1.2.4.50", False),
        (NIH, "dcmcjpeg", ["+ee"], "1.2.840.10008.1.2.4.51", False),  # extended, 8-bit
        (NIH, "dcmcjpeg", [], "1.2.840.10008.1.2.4.70", True),
        (NIH, "dcmcrle", [], "1.2.840.10008.1.2.5", True),
    ],
)
def test_dcmtk_compressed_renders_as_dcmtk(
    src: str, tool: str, options: list[str], ts: str, lossless: bool, tmp_path: Path
) -> None:

    out = _dcmtk_encode(tool, options, src, tmp_path / f"{Path(src).stem}_{tool}{''.join(options)}.dcm")
    r = load_radiograph(out)
    assert r.metadata.transfer_syntax == ts
    if lossless:
        original = load_radiograph(shared_file(src))
        assert r.pixel_sha256 == original.pixel_sha256
        assert np.array_equal(r.stored, original.stored)
        assert not r.metadata.lossy_compressed
    else:
        assert r.metadata.lossy_compressed and "lossy compressed image" in r.notes
    ref = dcmtk_render(out, tmp_path, *default_options(out))
    assert_same_display(r.render(), ref)


def test_jpeg_extended_12_bit_renders_as_dcmtk_and_without_its_decoder_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gazex_viewer.core.imaging import dicom_jpeg12

    out = _dcmtk_encode("dcmcjpeg", ["+ee"], RG1, tmp_path / "rg1_extended12.dcm")
    assert str(pydicom.dcmread(out, stop_before_pixels=True).file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.4.51"
    if not dicom_jpeg12.available():
        pytest.skip("imagecodecs (libjpeg-turbo 3, the 12-bit lossy JPEG decoder) is not installed")
    r = load_radiograph(out)
    assert r.metadata.lossy_compressed and r.stored.dtype == np.uint16
    plain = tmp_path / "rg1_extended12_dcmdjpeg.dcm"
    subprocess.run([require_tool("dcmdjpeg"), str(out), str(plain)], check=True, capture_output=True)
    assert np.array_equal(r.stored, pydicom.dcmread(plain).pixel_array)  # the same samples as dcmtk's decoder
    assert_same_display(r.render(), dcmtk_render(out, tmp_path, *default_options(out)))
    monkeypatch.setattr(dicom_jpeg12, "available", lambda: False)
    with pytest.raises(RadiographError) as info:
        load_radiograph(out)
    assert str(info.value) == (
        f"{out}: JPEG Extended 12-bit is not supported by the installed decoders, imagecodecs is not installed "
        "(decompress it first, e.g. with dcmtk: dcmdjpeg IN OUT)"
    )


# -- minor: --window, rescale notes, legacy files starting at any group ---------------------------
@pytest.mark.parametrize(
    ("window", "reason"),
    [
        (["100", "0.5"], "--window: width must be at least 1 (DICOM linear window), got 0.5"),
        (["nan", "nan"], "--window: center and width must be finite numbers, got nan nan"),
        (["100", "inf"], "--window: center and width must be finite numbers, got 100 inf"),
    ],
)
def test_render_refuses_a_bad_window(
    window: list[str], reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gazex_viewer.cli import main

    out = tmp_path / "o.png"
    code = main(["render", str(shared_file("dicom/nih_dx_secondary_capture.dcm")), "-o", str(out), "--window", *window])
    assert code == 2
    assert capsys.readouterr().err == f"gazex-viewer render: {reason}\n"
    assert not out.exists()


def test_window_lut_refuses_nan() -> None:
    from gazex_viewer.core.imaging import display

    with pytest.raises(ValueError, match="finite"):
        display.window_lut(np.arange(4), float("nan"), 10.0)
    with pytest.raises(ValueError, match="finite"):
        display.window_lut(np.arange(4), 2.0, float("nan"), function="SIGMOID")
    assert display.window_lut(np.array([0, 5, 10]), 5.5, 11.0).tolist() == [0, 127, 255]


@pytest.mark.parametrize(("slope", "text"), [("0", "0"), ("NaN", "NaN")])
def test_invalid_rescale_slope_is_noted(slope: str, text: str, tmp_path: Path) -> None:
    src = shared_file(RG1)
    ds = pydicom.dcmread(src)
    ds.RescaleSlope = slope
    ds.RescaleIntercept = "0"
    path = tmp_path / "slope.dcm"
    ds.save_as(path)
    r = load_radiograph(path)
    assert f"RescaleSlope {text} in the header is invalid: 1 used" in r.notes
    ref = load_radiograph(src)
    assert not any("Rescale" in n for n in ref.notes)
    assert np.array_equal(r.render(), ref.render())


@pytest.mark.parametrize("first_group", [0x0010, 0x0018, 0x0020, 0x0028])
@pytest.mark.parametrize("implicit", [True, False])
def test_legacy_dicom_starting_at_any_group(first_group: int, implicit: bool, tmp_path: Path) -> None:
    from pydicom.dataset import FileMetaDataset

    src = shared_file(NIH)
    ds = pydicom.dcmread(src)
    ds.BodyPartExamined = "CHEST"  # (0018,0015): the NIH file has no group 0018 of its own
    for elem in list(ds):
        if elem.tag.group < first_group:
            del ds[elem.tag]
    ds.file_meta = FileMetaDataset()
    ds.preamble = None
    path = tmp_path / "legacy"
    pydicom.dcmwrite(path, ds, implicit_vr=implicit, little_endian=True, enforce_file_format=False)
    assert int.from_bytes(path.read_bytes()[:2], "little") == first_group
    r = load_radiograph(path)
    ref = load_radiograph(src)
    assert r.pixel_sha256 == ref.pixel_sha256 and np.array_equal(r.render(), ref.render())
    assert r.metadata.transfer_syntax == ("1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1")
    assert any("legacy" in n for n in r.notes)
    (tmp_path / "notes.txt").write_text("FINDINGS: no pneumothorax.")
    assert find_images(tmp_path) == [path]
