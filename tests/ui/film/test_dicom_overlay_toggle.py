"""View > DICOM overlay planes: the film's own 60xx graphics shown by default (as dcmtk shows them) and hidden on demand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydicom.data import get_testdata_file


def test_shift_o_hides_and_shows_the_dicom_overlay(make_window: Any, artifacts_dir: Path) -> None:
    win = make_window(size=(1200, 800))
    assert win.open_image(Path(get_testdata_file("examples_overlay.dcm")))
    r = win.canvas.radiograph
    assert win.dicom_overlays_action.isChecked()
    assert np.array_equal(win.canvas._display, r.render())
    win.grab().save(str(artifacts_dir / "viewer-dicom-overlay-on.png"))
    win.dicom_overlays_action.trigger()
    assert not win.dicom_overlays_action.isChecked()
    assert np.array_equal(win.canvas._display, r.render(overlays=False))
    assert not np.array_equal(r.render(), r.render(overlays=False))
    win.dicom_overlays_action.trigger()
    assert np.array_equal(win.canvas._display, r.render())
