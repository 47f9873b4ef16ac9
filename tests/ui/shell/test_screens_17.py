"""Issue 17 screenshots: RG1 with its film corners, playback mid-sentence, a comparison and the agreement plot,
at 1280 x 800, 1920 x 1080 and 3840 x 2160, written to test-artifacts/ and checked for overlap and clipping."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QDockWidget, QWidget

from tests.conftest import shared_file
from tests.factories import demo_reading
from tests.ui.helpers import clipped_buttons, overlapping_widgets

RG1 = "dicom/RG1_UNCR.dcm"
SIZES = ((1280, 800), (1920, 1080), (3840, 2160))


def _in(child: QWidget, parent: QWidget) -> QRect:
    """``child``'s rectangle in ``parent``'s coordinates."""
    return QRect(child.mapTo(parent, QPoint(0, 0)), child.size())


def _check_layout(win: Any) -> None:
    """Nothing clipped or overlapping in the docks and the centre; the player keeps a usable scrubber;
    the film corners and markers lie inside the canvas and never over one another."""
    for d in [*(d for d in win.findChildren(QDockWidget) if d.isVisible()), win.centralWidget()]:
        assert clipped_buttons(d) == [], d.objectName()
        assert overlapping_widgets(d) == [], d.objectName()
    assert win.player_bar.scrubber.width() >= 240
    canvas = win.canvas
    area = canvas.rect()
    shown = [lab for lab in [*win.corners.labels.values(), *win.corners.markers.values()] if lab.isVisible()]
    assert len(shown) >= 8
    rects = [_in(lab, canvas) for lab in shown]
    for lab, r in zip(shown, rects):
        assert area.contains(r), f"{lab.text()!r} {r.getRect()} outside the canvas {area.getRect()}"
        assert lab.width() >= lab.sizeHint().width() - 1, f"{lab.text()!r} cut: {lab.width()} < {lab.sizeHint().width()}"
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            inter = a.intersected(b)
            assert inter.width() <= 1 or inter.height() <= 1, f"{a.getRect()} overlaps {b.getRect()}"


@pytest.fixture
def rg1(window: Any, tmp_path: Path) -> Any:
    path = shared_file(RG1)
    assert window.open_image(path)
    assert window.show_reading(demo_reading(window.radiograph))
    if not window.corners.visible:
        window.toggle_corners()
    window.report_dock.raise_()
    return window


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_rg1_corners_and_playback_mid_sentence(rg1: Any, qtbot: Any, artifacts_dir: Path, w: int, h: int) -> None:
    win = rg1
    win.resize(w, h)
    qtbot.wait(50)
    assert (win.width(), win.height()) == (w, h)
    pb = win.controller.playback
    span = pb.spans[1]
    win.selection.clear()
    win.controller.play()
    win.controller.seek((span.t_start + span.t_end) / 2)
    win._on_time_changed(pb.time)
    assert pb.current_finding_id == span.finding_id
    # the sentence being inspected is the only one in full colour; the rest are faint
    assert win.canvas.region_alpha(span.finding_id) == 255
    others = [f for f in win.canvas._regions if f != span.finding_id]
    assert others and all(win.canvas.region_alpha(f) < 128 for f in others)
    win.controller.pause()
    _check_layout(win)
    shot = artifacts_dir / f"issue17-rg1-playback-{w}x{h}.png"
    assert win.grab().save(str(shot))
    assert shot.stat().st_size > 30_000


@pytest.mark.parametrize(("w", "h"), SIZES)
def test_rg1_compare_and_plot(rg1: Any, qtbot: Any, tmp_path: Path, artifacts_dir: Path, w: int, h: int) -> None:
    win = rg1
    b = demo_reading(win.radiograph)
    b.trajectory = [replace(p, x=p.x + 40.0, y=p.y - 25.0) for p in b.trajectory]
    path = tmp_path / "b.reading.json"
    b.save(path)
    session = win.compare_with_reading(path)
    assert session is not None and session.comparison is not None and session.comparison.ready, win.last_error
    win.resize(w, h)
    qtbot.wait(50)
    assert (win.width(), win.height()) == (w, h)
    _check_layout(win)
    # the legend lies below the film (never over the image: the canvas's whole rectangle) and over no corner text
    legend = session.legend
    assert legend.isVisible()
    if legend.isVisible():
        lr = _in(legend, win.canvas)
        inter = lr.intersected(win.canvas.rect())
        assert inter.width() <= 1 or inter.height() <= 1, f"legend {lr.getRect()} over the film"
        for lab in [*win.corners.labels.values(), *win.corners.markers.values()]:
            if lab.isVisible():
                inter = lr.intersected(_in(lab, win.canvas))
                assert inter.width() <= 1 or inter.height() <= 1, f"legend over {lab.text()!r}"
    shot = artifacts_dir / f"issue17-rg1-compare-{w}x{h}.png"
    assert win.grab().save(str(shot))
    dlg = session.show_plot()
    assert dlg is not None
    qtbot.addWidget(dlg)
    dlg.resize(int(w * 0.6), int(h * 0.6))
    qtbot.wait(50)
    # the plot is shown whole (scaled down, never cut) and the buttons keep their labels
    shown = dlg.image_label.pixmap()
    vp = dlg.scroll_area.viewport().size()
    assert shown.width() <= vp.width() and shown.height() <= vp.height()
    assert clipped_buttons(dlg) == [] and overlapping_widgets(dlg) == []
    shot = artifacts_dir / f"issue17-rg1-plot-{w}x{h}.png"
    assert dlg.grab().save(str(shot))
