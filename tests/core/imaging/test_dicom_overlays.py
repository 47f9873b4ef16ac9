"""DICOM overlay planes (60xx) burned in as dcmtk's dcmj2pnm shows them, and the switch that hides them."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset

from gazex_viewer.core.imaging.dicom_overlays import burn_in, read_overlay_planes
from gazex_viewer.core.imaging.files import load_radiograph
from tests.conftest import require_tool


def dcmj2pnm(path: Path, *options: str) -> np.ndarray:
    out = path.with_suffix(".pgm")
    proc = subprocess.run(
        [require_tool("dcmj2pnm"), *options, str(path), str(out)], check=False, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return np.asarray(Image.open(out))


def overlay_file() -> Path:
    return Path(get_testdata_file("examples_overlay.dcm"))


def test_examples_overlay_matches_dcmtk_and_the_switch_hides_it(tmp_path: Path) -> None:
    src = tmp_path / "examples_overlay.dcm"
    src.write_bytes(overlay_file().read_bytes())
    r = load_radiograph(src)
    assert len(r.overlay_planes) == 1 and r.overlay_planes[0].kind == "G"
    assert int(r.overlay_planes[0].bitmap.sum()) == 222
    assert any("overlay plane" in n for n in r.notes)
    shown = r.render()
    assert np.array_equal(shown, dcmj2pnm(src, "--use-window", "1"))
    hidden = r.render(overlays=False)
    assert np.array_equal(hidden, dcmj2pnm(src, "--use-window", "1", "--no-overlays"))
    changed = shown != hidden
    assert 0 < int(changed.sum()) <= 222 and np.all(shown[changed] == 255)
    # invert flips the film, the graphics stay white as dcmtk's replace mode draws them
    inv = r.render(invert=True)
    assert np.all(inv[changed] == 255) and np.array_equal(inv[~changed], 255 - hidden[~changed])


def _with_planes(kind: str, photometric: str, origin: tuple[int, int]) -> Dataset:
    ds = pydicom.dcmread(overlay_file())
    ds = copy.deepcopy(ds)
    ds[0x60000040].value = kind
    ds[0x60000050].value = list(origin)
    ds.PhotometricInterpretation = photometric
    bitmap = np.zeros((40, 60), bool)
    bitmap[5:30, 10:50] = True
    ds.add_new(0x60020010, "US", 40)
    ds.add_new(0x60020011, "US", 60)
    ds.add_new(0x60020040, "CS", "G")
    ds.add_new(0x60020050, "SS", [250, 440])  # runs off the bottom right corner: clipped
    ds.add_new(0x60020100, "US", 1)
    ds.add_new(0x60020102, "US", 0)
    ds.add_new(0x60023000, "OW", np.packbits(bitmap.ravel(), bitorder="little").tobytes())
    return ds


@pytest.mark.parametrize(
    ("kind", "photometric", "origin"),
    [("R", "MONOCHROME2", (1, 1)), ("G", "MONOCHROME1", (1, 1)), ("G", "MONOCHROME2", (-20, 100)),
     ("R", "MONOCHROME1", (50, 300))],
)
def test_region_graphics_origin_and_monochrome1_match_dcmtk(
    kind: str, photometric: str, origin: tuple[int, int], tmp_path: Path
) -> None:
    path = tmp_path / f"overlay_{kind}_{photometric}.dcm"
    _with_planes(kind, photometric, origin).save_as(path)
    r = load_radiograph(path)
    assert [p.group for p in r.overlay_planes] == [0x6000, 0x6002]
    ours = r.render()
    assert np.array_equal(ours, dcmj2pnm(path, "--use-window", "1"))
    assert not np.array_equal(ours, r.render(overlays=False))


def test_damaged_overlay_is_a_note_not_a_refusal(tmp_path: Path) -> None:
    ds = pydicom.dcmread(overlay_file())
    ds[0x60003000].value = ds[0x60003000].value[:100]  # too few bits for 300 x 484
    path = tmp_path / "short_overlay.dcm"
    ds.save_as(path)
    r = load_radiograph(path)
    assert r.overlay_planes == []
    assert any("overlay 6000 ignored" in n and "bits" in n for n in r.notes)
    assert np.array_equal(r.render(), r.render(overlays=False))


def test_burn_in_keeps_its_input() -> None:
    ds = pydicom.dcmread(overlay_file())
    notes: list[str] = []
    planes = read_overlay_planes(ds, notes)
    image = np.zeros((ds.Rows, ds.Columns), np.uint8)
    out = burn_in(image, planes)
    assert int(image.max()) == 0 and int((out == 255).sum()) == int(planes[0].bitmap.sum())


def test_render_command_burns_overlays_in_unless_told_not_to(tmp_path: Path) -> None:
    import sys

    from tests.conftest import ROOT

    src = overlay_file()
    r = load_radiograph(src)
    for extra, expected in (([], r.render()), (["--no-overlays"], r.render(overlays=False))):
        out = tmp_path / f"overlay{''.join(extra)}.png"
        proc = subprocess.run(
            [sys.executable, "-m", "gazex_viewer", "render", str(src), "-o", str(out), *extra],
            check=False,
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "DICOM overlay plane" in proc.stdout
        assert np.array_equal(np.asarray(Image.open(out)), expected)
