"""Two readings compared in the viewer: a model draft (A) against a real GazeSearch expert scanpath (B).

Reading A is the UI tests' demo model reading on the real 512 x 512 NIH film; reading B is a real
radiologist's GazeSearch fixation sequence (searching for cardiomegaly), imported from the shared data in
its 224 x 224 frame with an unknown image hash, so the viewer must scale it to the film and say so.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from gazex_viewer.core.gaze.agreement import agreement, sentence_agreement
from gazex_viewer.core.gaze.importers import UNKNOWN_PIXEL_SHA256
from gazex_viewer.core.reading.document import Reading
from tests.conftest import shared_file
from tests.factories import demo_reading
from tests.ui.helpers import NIH, compare_session


def _same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or x == y


def test_whole_film_and_sentence_agreement_shown_equal_core(window: Any, tmp_path: Path) -> None:
    from gazex_viewer.core.gaze.comparison import WHOLE_ROWS, format_value

    session, a, b, _raw = compare_session(window, tmp_path)
    panel = session.panel
    expected = agreement(a, b)
    shown = panel.shown_whole()
    assert set(shown) == set(WHOLE_ROWS)
    for key in WHOLE_ROWS:
        assert shown[key] == format_value(key, expected[key]), key
        assert _same(panel.shown_whole_value(key), expected[key]), key
    # at least a few metrics are real numbers (not all "n/a"), and a known value reads back exactly
    assert sum(v != "n/a" for v in shown.values()) >= 8
    assert shown["density_cosine"] == f"{expected['density_cosine']:.3f}"
    # per sentence: the model's "enlarged cardiac silhouette" matches the expert's "cardiomegaly present" by label
    per = sentence_agreement(a, b)
    assert [s.text for s in per] == ["enlarged cardiac silhouette"]
    rows = panel.shown_sentences()
    assert rows[0][0] == "Enlarged cardiac silhouette."  # shown as a sentence
    for key, text in rows[0][1].items():
        assert text == format_value(key, per[0].metrics[key])
    # clicking the sentence row selects A's finding in the viewer
    panel.sentence_table.cellClicked.emit(0, 0)
    assert window.selection.selected == "f-cardio"
    # ... and emphasises that sentence's regions in both readings
    assert session.overlay_a.region_pen_width("f-cardio") > session.overlay_a.region_pen_width("f-device")
    assert session.overlay_b.highlighted == per[0].finding_b
    assert session.overlay_b.region_pen_width(per[0].finding_b) == pytest.approx(2.2 + 1.6)
    assert "A" in panel.zones_label.text() and "B" in panel.zones_label.text()


def test_gazesearch_reading_scaled_to_the_film_and_hash_unknown_said(window: Any, tmp_path: Path) -> None:
    session, _a, b, raw = compare_session(window, tmp_path)
    assert b.image.pixel_sha256 == UNKNOWN_PIXEL_SHA256
    assert b.producer.coordinate_frame == "gazesearch-224"
    cmp = session.comparison
    assert cmp.frame_b.hash_status == "unknown" and cmp.frame_a.hash_status == "match"
    assert (cmp.frame_b.sx, cmp.frame_b.sy) == (512 / 224, 512 / 224)
    notes = session.panel.notes_label.text()
    assert "Image hash unknown" in notes
    assert "scaled from GazeSearch" in notes and "512 × 512" in notes
    assert session.panel.notes_label.isVisibleTo(session.panel)
    # the displayed fixations are the real scanpath's, times 512/224
    shown = np.array([(p.x, p.y) for p in cmp.b_shown.trajectory])
    assert shown == pytest.approx(np.column_stack([raw["X"], raw["Y"]]) * 512 / 224)
    # the reading as loaded is untouched (still 224 frame)
    assert [p.x for p in cmp.b.trajectory] == pytest.approx(raw["X"])
    # B's observation region on the canvas is the scaled box
    obs = b.findings[0].observation
    r = session.overlay_b.region_rects()[0]
    assert (r.x(), r.y(), r.width(), r.height()) == pytest.approx(
        (obs.x_min * 512 / 224, obs.y_min * 512 / 224, obs.width * 512 / 224, obs.height * 512 / 224)
    )
    legend = session.legend.text()
    assert "expert GazeSearch" in legend and "model tiny-gazex" in legend and "scaled" in legend


def test_overlay_plays_both_on_one_clock(window: Any, tmp_path: Path) -> None:
    session, a, _b, raw = compare_session(window, tmp_path)
    ctl = window.controller
    durations = np.array(raw["T"])
    t_starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    # one clock long enough for the longer reading (A 5 s of key frames, B its real fixation times)
    assert ctl.playback.duration == pytest.approx(max(a.duration, float(durations.sum())))
    assert window.player_bar.scrubber.maximum() == round(ctl.playback.duration * 1000)
    t = float(t_starts[3]) + 0.01
    ctl.seek(t)
    # B: the 4th fixation is current, its marker at the real position scaled to the film
    assert session.overlay_b.current_index == 3
    trail = session.overlay_b.trail_positions()
    assert trail[-1] == pytest.approx((raw["X"][3] * 512 / 224, raw["Y"][3] * 512 / 224))
    # A: its key frame at the same second
    assert session.overlay_a.current_index == int(t)
    assert session.overlay_a.trail_positions()[-1] == pytest.approx((a.trajectory[int(t)].x, a.trajectory[int(t)].y))
    # the canvas's own A layers step aside: A is drawn in colour A by its overlay
    assert not window.canvas.path_item.isVisible()
    assert session.overlay_a.path_item.isVisible() and session.overlay_b.path_item.isVisible()
    # the Trajectory layer toggle hides both readings' trails
    window.player_bar.layer_boxes["trajectory"].setChecked(False)
    assert not session.overlay_a.path_item.isVisible() and not session.overlay_b.path_item.isVisible()
    window.player_bar.layer_boxes["trajectory"].setChecked(True)
    # colours: each overlay draws in its own colour, changeable from the panel
    session.panel.set_colours("#00ff00", "#ff8800")
    assert session.overlay_a.colour == "#00ff00" and session.overlay_b.colour == "#ff8800"
    # stretch: B's duration mapped onto A's; half-way through A is half-way through B
    session.set_sync("stretch")
    assert ctl.playback.duration == pytest.approx(a.duration)
    ctl.seek(a.duration / 2)
    tb = durations.sum() / 2
    assert session.overlay_b.current_index == int(np.searchsorted(t_starts, tb, side="right") - 1)


def test_playing_advances_both(window: Any, qtbot: Any, tmp_path: Path) -> None:
    session, _a, _b, _raw = compare_session(window, tmp_path)
    window.controller.set_speed(4.0)
    window.controller.play()
    qtbot.waitUntil(lambda: window.controller.playback.time > 1.2, timeout=5000)
    window.controller.pause()
    t = window.controller.playback.time
    assert session.overlay_a.current_index == min(int(t), 4)
    assert session.overlay_b.current_index == session.overlay_b.playback.index_at(t)


def test_side_by_side_second_canvas_on_the_same_clock(window: Any, tmp_path: Path) -> None:
    session, a, _b, raw = compare_session(window, tmp_path)
    session.panel.side_radio.setChecked(True)
    assert session.mode == "side"
    sc = session.side_canvas
    assert sc is not None and session.side_split.isVisible()
    assert window.stack.parentWidget() is not window.centralWidget()  # film A is the left half
    assert sc.reading is session.comparison.b_shown
    assert sc.radiograph is window.radiograph
    assert not session.overlay_b.path_item.isVisible()
    assert window.canvas.show_trajectory and window.canvas.path_item.isVisible()  # A drawn normally
    t_starts = np.concatenate([[0.0], np.cumsum(raw["T"])[:-1]])
    window.controller.seek(float(t_starts[4]) + 0.01)
    assert sc.current_index == 4
    assert window.canvas.current_index == min(int(t_starts[4] + 0.01), len(a.trajectory) - 1)
    # zoom on A follows on B
    window.canvas.zoom_by(2.0)
    window.canvas.vb.translateBy(x=40, y=-30)
    ra, rb = window.canvas.vb.viewRect(), sc.vb.viewRect()
    assert sc.zoom() == pytest.approx(window.canvas.zoom(), rel=0.01)
    assert (rb.center().x(), rb.center().y()) == pytest.approx((ra.center().x(), ra.center().y()), abs=1.0)
    # and zoom on B follows on A
    sc.zoom_by(1.5)
    assert window.canvas.zoom() == pytest.approx(sc.zoom(), rel=0.01)
    session.panel.overlay_radio.setChecked(True)
    assert not session.side_split.isVisible() and session.overlay_b.path_item.isVisible()
    assert window.stack.parentWidget() is window.centralWidget() and window.canvas.isVisible()


def test_end_comparison_and_new_reading_restore_single_view(window: Any, tmp_path: Path) -> None:
    session, a, _b, _raw = compare_session(window, tmp_path)
    ended: list[bool] = []
    session.ended.connect(lambda: ended.append(True))
    session.panel.close_button.click()
    assert ended == [True]
    assert window.controller.playback.duration == pytest.approx(a.duration)
    assert window.canvas.path_item.isVisible()
    # a new reading ends a comparison by itself
    session2, _a2, _b2, _ = compare_session(window, tmp_path)
    window.show_reading(demo_reading(window.radiograph))
    assert session2.comparison is None


def test_bad_reading_b_is_reported_and_nothing_changes(window: Any, messages: Any, tmp_path: Path) -> None:
    from gazex_viewer.ui.compare.session import CompareSession

    assert window.open_image(shared_file(NIH))
    assert window.show_reading(demo_reading(window.radiograph))
    session = CompareSession(window.workspace, window.action_registry, window)
    bad = tmp_path / "broken.reading.json"
    bad.write_text('{"schema_version": "1.0", "image": ')
    assert not session.open_reading_b(bad)
    assert messages.errors and str(bad) in messages.errors[-1][1]
    assert session.comparison is None and session.panel.shown_whole()["cc"] == ""


def test_agreement_plot_for_the_pair(window: Any, qtbot: Any, tmp_path: Path, artifacts_dir: Path) -> None:
    from PySide6.QtGui import QImage

    from gazex_viewer.ui.compare.plot_dialog import (
        PLOT_METRICS,
        PlotDialog,
        pair_finding_agreement,
    )

    session, a, b, _raw = compare_session(window, tmp_path)
    groups = pair_finding_agreement(a, session.comparison.sentences)
    per = sentence_agreement(a, b)
    assert list(groups) == ["Cardiomegaly"]
    assert groups["Cardiomegaly"]["cc"] == [per[0].metrics["cc"]]
    png = session.write_plot(artifacts_dir / "compare-agreement-per-finding.png")
    img = QImage(str(png))
    assert (img.width(), img.height()) == (850, 460)
    dlg = session.show_plot()
    qtbot.addWidget(dlg)
    assert dlg.png is not None and not dlg.pixmap.isNull() and dlg.pixmap.width() == 850
    # a study plot written by the command opens too; a missing file is named
    other = PlotDialog(tmp_path / "missing.png")
    qtbot.addWidget(other)
    assert other.error is not None and "missing.png" in other.error and "not found" in other.error
    assert set(PLOT_METRICS) <= set(per[0].metrics)
    # the legend sits above the bars, never over them
    from gazex_viewer.ui.compare.plot_dialog import pair_figure

    fig = pair_figure(a, b, session.comparison.sentences, whole=session.comparison.whole)
    fig.canvas.draw()
    ax = fig.axes[0]
    box = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
    assert not box.overlaps(ax.get_window_extent(fig.canvas.get_renderer()))
    assert all(not box.overlaps(bar.get_window_extent(fig.canvas.get_renderer())) for bar in ax.patches)


def test_different_films_banner_and_reference_scale(window: Any, qtbot: Any, tmp_path: Path, artifacts_dir: Path) -> None:
    from gazex_viewer.core.gaze.agreement import film_mismatch
    from gazex_viewer.core.gaze.baselines import load_baselines
    from gazex_viewer.ui.compare.panel import WHOLE_COLUMNS

    # A is a reading of the NIH film; B a GazeSearch search of another film (570e2641-...jpg)
    session, a, b, _raw = compare_session(window, tmp_path)
    panel = session.panel
    assert "image names differ (00000001_000.png vs 570e2641" in (film_mismatch(a, b) or "")
    assert session.comparison.different_films == film_mismatch(a, b)
    assert panel.film_banner.isVisibleTo(panel)
    assert "Different films" in panel.film_banner.text() and "measure nothing" in panel.film_banner.text()
    assert "Different films" in session.legend.text()
    # the reference medians beside each metric are those shipped in resources/agreement_baselines.json
    base = load_baselines()
    assert base is not None
    t = panel.whole_table
    assert [t.horizontalHeaderItem(c).text() for c in range(t.columnCount())] == list(WHOLE_COLUMNS)
    ref = panel.shown_reference()
    assert ref["cc"] == (f"{base.median('cc', 'unrelated'):.3f}", f"{base.median('cc', 'jitter'):.3f}")
    assert ref["icc_x_matched"][0] == f"{base.median('icc_x_matched', 'unrelated'):.3f}"
    assert ref["n_paired"] == ("", "")
    qtbot.wait(50)
    hint = panel.findChild(type(panel.zones_label), "metricsHint")
    assert hint.geometry().top() >= t.geometry().bottom()  # the banner pushes the table down, nothing overlaps
    assert window.grab().save(str(artifacts_dir / "compare-different-films.png"))
    # the same film: no banner
    session.set_reading_b(Reading.from_json(a.to_json()))
    assert session.comparison.different_films is None and not panel.film_banner.isVisibleTo(panel)


def test_undefined_icc_shows_na_with_the_reason(window: Any, tmp_path: Path) -> None:
    session, _a, b, _raw = compare_session(window, tmp_path)
    one = Reading.from_json(b.to_json())
    for f in one.findings:
        f.clues = []  # the observation only: one key frame, so no ICC can be measured
    assert session.set_reading_b(one)
    shown = session.panel.shown_whole()
    for key in ("icc_x", "icc_y", "icc_x_matched", "icc_y_matched"):
        assert shown[key] == "n/a", key
        assert session.panel._whole_cells[key].toolTip() == "n/a: 1 key frame pair(s): ICC needs at least 2"
    assert shown["n_paired"] == "1" and shown["cc"] != "n/a"
