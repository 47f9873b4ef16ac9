"""The window's layout: tabs on the right, a compact model line, the reviewed report, no clipped labels.

Screenshots at 1280 x 800 and 1920 x 1080 with a reading under review go to test-artifacts/.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.reading.document import Box, Label
from tests.conftest import SAMPLE_STUDY, shared_file
from tests.factories import demo_reading, five_finding_reading
from tests.ui.helpers import NIH, clipped_buttons, open_review, overlapping_widgets


def _review_in_progress(win: Any, qtbot: Any, answers: Any) -> Any:
    """Five AI findings: accept, reject (with a reason), accept, edit one, add a missed one."""
    open_review(win, five_finding_reading(load_radiograph(shared_file(NIH))))
    panel = win.review_panel
    s = panel.session
    win.selection.select("f-cardio")
    qtbot.keyClick(win, Qt.Key.Key_A)
    answers.reason = "tip projects over the neck, outside the chest"
    qtbot.keyClick(win, Qt.Key.Key_R)
    qtbot.keyClick(win, Qt.Key.Key_A)
    s.edit("f-opacity", text="right lower zone opacity, likely atelectasis",
           labels=[Label("Atelectasis", "uncertain")], observation=Box.from_corners(70, 320, 200, 450))
    panel.start_add()
    panel.set_drawn_box(Box.from_corners(330, 330, 470, 470))
    panel.add_text.setText("small left pleural effusion")
    panel.add_label.setCurrentIndex(panel.add_label.findData("Pleural Effusion"))
    assert panel.commit_add() is not None
    win.selection.select("f-opacity")
    return s


# -- the right-hand side ----------------------------------------------------------------------------------
def test_report_review_and_compare_are_tabs(window: Any, tmp_path: Path) -> None:
    assert window.review.dock in window.tabifiedDockWidgets(window.report_dock)
    assert window.report_dock.isVisible() and window.review.dock.isVisible()
    # a new film brings the report tab (with the how-to) to the front; the review tab is empty
    assert window.open_image(shared_file(NIH))
    assert not window.report_dock.visibleRegion().isEmpty()
    assert window.review.dock.visibleRegion().isEmpty()
    # a comparison is a third tab, brought to the front, with the whole height of the dock
    a = demo_reading(window.radiograph)
    assert window.show_reading(a)
    path = tmp_path / "b.reading.json"
    demo_reading(window.radiograph).save(path)
    session = window.compare_with_reading(path)
    assert session.comparison is not None
    QApplication.processEvents()
    assert session.dock in window.tabifiedDockWidgets(window.report_dock)
    assert not session.dock.visibleRegion().isEmpty() and window.report_dock.visibleRegion().isEmpty()
    assert session.dock.height() > 0.8 * window.centralWidget().height()


def test_model_line_is_compact_once_a_reading_is_shown(window: Any) -> None:
    mp = window.model_panel
    assert window.open_image(shared_file(NIH))
    # film, no checkpoint, no reading: the how-to
    assert mp.empty_page.isVisibleTo(mp) and "make-test-model" in mp.empty_label.text()
    assert mp.height() > 80
    # a reading is shown: one line saying there is no checkpoint, with a Choose… button
    assert window.show_reading(demo_reading(window.radiograph))
    QApplication.processEvents()
    assert not mp.empty_page.isVisibleTo(mp) and mp.ready_page.isVisibleTo(mp)
    assert "No model checkpoint" in mp.checkpoint_label.text()
    assert mp.change_button.text() == "Choose checkpoint…" and mp.change_button.isVisibleTo(mp)
    assert not mp.run_button.isVisibleTo(mp) and not mp.stream.isVisibleTo(mp)
    assert mp.sizeHint().height() < 50
    assert "make-test-model" in mp.checkpoint_label.toolTip()  # the how-to is still one hover away
    # a checkpoint chosen: its name and Run on the same line, also with no reading
    mp.set_checkpoint(SAMPLE_STUDY)
    assert "sample_study" in mp.checkpoint_label.text() and str(SAMPLE_STUDY) in mp.checkpoint_label.toolTip()
    assert mp.run_button.isVisibleTo(mp) and mp.change_button.text() == "Change…"
    assert window.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    assert not mp.empty_page.isVisibleTo(mp) and mp.sizeHint().height() < 50
    # running: Cancel instead of Run, the progress and the streamed text; after it, one line with the outcome
    mp.start_job("RG1_UNCR.dcm")
    assert mp.cancel_button.isVisibleTo(mp) and not mp.run_button.isVisibleTo(mp)
    assert mp.progress.isVisibleTo(mp) and mp.stream.isVisibleTo(mp)
    mp.finish("Done: 3 sentences")
    assert not mp.progress.isVisibleTo(mp) and not mp.stream.isVisibleTo(mp)
    assert "Done: 3 sentences" in mp.status_label.text() and mp.status_label.isVisibleTo(mp)


def test_review_tab_shows_only_an_empty_state_without_a_reading(rwin: Any) -> None:
    panel = rwin.review_panel
    assert panel.empty_label.isVisibleTo(panel) and "Nothing under review" in panel.empty_label.text()
    assert not panel.name_box.isVisibleTo(panel)
    assert not panel.counter_label.isVisibleTo(panel) and not panel.actions_box.isVisibleTo(panel)
    assert not panel.sign_button.isVisibleTo(panel) and not panel.impression_edit.isVisibleTo(panel)
    # an AI draft with no reviewer name yet: the name is asked in the review tab, brought to the front
    open_review(rwin, name=None)
    assert panel.name_box.isVisibleTo(panel) and not panel.empty_label.isVisibleTo(panel)
    assert not rwin.review.dock.visibleRegion().isEmpty()
    # another film: nothing under review, so no name box
    assert rwin.open_image(shared_file("dicom/RG1_UNCR.dcm"))
    assert not panel.name_box.isVisibleTo(panel) and panel.empty_label.isVisibleTo(panel)
    # an expert reading is for study: the review tab says so, no name box
    expert = demo_reading(rwin.radiograph)
    expert.producer.kind = "expert"
    expert.producer.dataset = "REFLACX"
    expert.image = rwin.radiograph.image_ref()
    assert rwin.show_reading(expert)
    assert "shown for study, not reviewed" in panel.empty_label.text()
    assert not panel.name_box.isVisibleTo(panel)


def test_report_shows_the_reviewed_report(rwin: Any, qtbot: Any, answers: Any) -> None:
    s = _review_in_progress(rwin, qtbot, answers)
    rp = rwin.report_panel
    rwin.report_dock.raise_()
    # the edited finding shows the radiologist's text, the AI's sentence as secondary text
    row = rp.rows["f-opacity"]
    assert row.text_label.text() == "Right lower zone opacity, likely atelectasis."
    assert "AI wrote: “Right basal opacity.”" in row.detail_label.text()
    assert "Atelectasis (uncertain)" in row.detail_label.text()
    assert row.badge.text() == "✎ Edited"
    # the rejected one is struck through with its reason
    assert rp.rows["f-device"].text_label.text() == "<s>Support apparatus.</s>"
    assert "reason: tip projects over the neck" in rp.rows["f-device"].detail_label.text()
    # the report is filed as the final report: the added finding among the findings, the rejected
    # one only under the audit trail
    added = [f.id for f in s.review.additions]
    assert len(added) == 1 and rp.added_keys() == added
    arow = rp.rows[added[0]]
    assert arow.isVisibleTo(rp) and arow.text_label.text() == "Small left pleural effusion."
    assert arow.badge.text() == "+ Added" and arow.number_label.text() == "6"
    heads = [w.text() for w in rp.findChildren(type(arow.text_label)) if w.objectName() == "groupHeader"]
    assert heads[-1] == "AI draft and decisions (audit trail): rejected (1)"
    assert rp.ordered_keys()[-1] == "f-device"
    assert any(h.startswith("Findings (") for h in heads) and "Impression" in heads
    qtbot.mouseClick(arow, Qt.MouseButton.LeftButton)
    assert rwin.selection.selected == added[0] and arow.selected
    assert rwin.canvas.region_pen_width(added[0]) > rwin.canvas.region_pen_width("f-cardio")
    # the review keys work while the Report tab is in front, on its sentences (a click gives them the focus)
    qtbot.mouseClick(rp.rows["f-noeff"], Qt.MouseButton.LeftButton)
    assert rwin.selection.selected == "f-noeff"
    qtbot.keyClick(rwin.focusWidget(), Qt.Key.Key_A)
    assert s.status("f-noeff") == "accepted" and rp.rows["f-noeff"].badge.text() == "✓ Accepted"
    assert rwin.review_panel.undo()
    # undo the addition: the group goes; undo the edit: the AI's sentence is back
    assert rwin.review_panel.undo()
    assert rp.added_keys() == [] and added[0] not in rp.rows
    assert rwin.review_panel.undo()
    assert rp.rows["f-opacity"].text_label.text() == "Right basal opacity."
    assert "AI wrote" not in rp.rows["f-opacity"].detail_label.text()


# -- sizes ------------------------------------------------------------------------------------------------------
def _check_fits(win: Any, qtbot: Any, w: int, h: int) -> None:
    win.resize(w, h)
    qtbot.wait(50)
    assert (win.width(), win.height()) == (w, h), "the window cannot be this small"
    right = [d for d in win.findChildren(QDockWidget) if d.isVisible()]
    for d in [*right, win.centralWidget()]:
        assert clipped_buttons(d) == [], d.objectName()
        assert overlapping_widgets(d) == [], d.objectName()
    assert win.player_bar.scrubber.width() >= 240


def test_window_fits_1280x800_and_1920x1080(rwin: Any, qtbot: Any, answers: Any, artifacts_dir: Path) -> None:
    _review_in_progress(rwin, qtbot, answers)
    for w, h in ((1280, 800), (1920, 1080)):
        rwin.review.dock.raise_()
        _check_fits(rwin, qtbot, w, h)
        shot = artifacts_dir / f"review-in-progress-{w}x{h}.png"
        assert rwin.grab().save(str(shot))
        assert shot.stat().st_size > 50_000
        rwin.report_dock.raise_()
        _check_fits(rwin, qtbot, w, h)
        shot = artifacts_dir / f"review-report-tab-{w}x{h}.png"
        assert rwin.grab().save(str(shot))
    # the review's rows and buttons are all within the dock at 1280 x 800 (nothing cut at the right edge)
    rwin.resize(1280, 800)
    rwin.review.dock.raise_()
    qtbot.wait(50)
    panel = rwin.review_panel
    for b in (panel.accept_button, panel.next_button, panel.add_button, panel.sign_button):
        assert b.mapTo(panel, b.rect().topRight()).x() <= panel.width()


def test_compare_fits_1280x800_with_metric_names(window: Any, qtbot: Any, tmp_path: Path, artifacts_dir: Path) -> None:
    from gazex_viewer.core.gaze.comparison import METRIC_NAMES

    assert window.open_image(shared_file(NIH))
    assert window.show_reading(demo_reading(window.radiograph))
    path = tmp_path / "b.reading.json"
    b = demo_reading(window.radiograph)
    b.trajectory = [replace(p, x=p.x + 20.0, y=p.y - 10.0) for p in b.trajectory]
    b.save(path)
    session = window.compare_with_reading(path)
    assert session.comparison is not None and session.comparison.ready, window.last_error
    window.resize(1280, 800)
    qtbot.wait(50)
    panel = session.panel
    assert panel.shown_whole()["cc"] not in ("", "…")
    t = panel.whole_table
    names = {t.item(r, 0).text(): t.item(r, 0).toolTip() for r in range(t.rowCount())}
    assert "Fixation-map correlation (CC)" in names and names["Fixation-map correlation (CC)"].startswith("cc:")
    assert "ICC x (cluster centroids)" in names and names["ICC x (cluster centroids)"].startswith("icc_x:")
    assert set(METRIC_NAMES.values()) == set(names)
    # the hint is below the table, never drawn over its rows; nothing cut at the right edge
    hint = panel.findChild(type(panel.zones_label), "metricsHint")
    assert hint.geometry().top() >= t.geometry().bottom()
    assert t.verticalHeader().length() + t.horizontalHeader().height() <= t.viewport().height() + t.horizontalHeader().height()
    assert clipped_buttons(session.dock) == [] and overlapping_widgets(session.dock) == []
    body = panel.scroll_area.widget()
    assert body.width() <= panel.scroll_area.viewport().width()
    shot = artifacts_dir / "compare-1280x800.png"
    assert window.grab().save(str(shot))
