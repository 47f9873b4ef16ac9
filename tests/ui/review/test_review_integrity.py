"""Review integrity in the viewer (issue 6 audit): a tampered sign-off, the wrong film, unsaved work,
read-first during a model run, a re-run over a review in progress. Each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Signal

from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.core.review.sqlite_store import SqliteReviewStore
from tests.conftest import shared_file
from tests.factories import demo_reading, sign
from tests.ui.conftest import Answers
from tests.ui.helpers import open_review, review_window

NIH = "images/nih/00000001_000.png"
OTHER = "images/nih/00027426_000.png"


@pytest.fixture
def rwin(qtbot: Any, db: Path, answers: Answers) -> Any:
    return review_window(qtbot, answers)


def _signed_then_tampered(rg: Any) -> Reading:
    reading = demo_reading(rg)
    s = ReviewSession(reading, "Dr Ada")
    for fid in list(s.undecided()):
        s.accept(fid)
    sign(s)
    data = json.loads(reading.to_json())
    data["findings"][0]["text"] = "normal cardiac silhouette"
    return Reading.from_json(json.dumps(data))


# -- 1. a sign-off that does not match is shown as invalid, never as signed ---------------------------------
def test_tampered_signed_reading_shows_signature_invalid(rwin: Any, qtbot: Any, tmp_path: Path) -> None:
    from gazex_viewer.core.imaging.files import load_radiograph

    tampered = _signed_then_tampered(load_radiograph(shared_file(NIH)))
    open_review(rwin, tampered)
    panel = rwin.review_panel
    s = panel.session
    assert s is not None and s.signature_invalid and not s.is_signed
    assert panel.signature_invalid_label.isVisibleTo(rwin)
    assert "SIGNATURE INVALID" in panel.signature_invalid_label.text()
    assert not panel.signoff_label.isVisibleTo(rwin)
    assert "Signed" not in panel.counter_label.text()
    assert panel.sign_button.text() == "Signature invalid" and not panel.sign_button.isEnabled()
    assert not panel.actions_box.isVisibleTo(rwin)
    assert "SIGNATURE INVALID" in rwin.windowTitle() and "signed by" not in rwin.windowTitle()
    dlg = rwin.export_dialog()
    qtbot.addWidget(dlg)
    assert "SIGNATURE INVALID" in dlg.state_label.text() and "Signed</b>" not in dlg.state_label.text()
    assert not dlg.export_button.isEnabled()
    dlg.folder_edit.setText(str(tmp_path / "exports"))
    assert dlg.do_export() is None and dlg.error is not None and "changed after signing" in dlg.error
    assert not (tmp_path / "exports").exists()


# -- 3. File > Export refuses another film, even after "Show it anyway" ---------------------------------------
def test_export_refuses_the_wrong_film_after_show_anyway(rwin: Any, qtbot: Any, answers: Answers,
                                                         tmp_path: Path) -> None:
    from gazex_viewer.core.imaging.files import load_radiograph

    own = load_radiograph(shared_file(NIH))
    reading = demo_reading(own)
    assert rwin.open_image(shared_file(OTHER))
    assert rwin.show_reading(reading)  # answers.ask says "Show it anyway"
    assert any("Show it anyway" in q for q in answers.questions)
    panel = rwin.review_panel
    if panel.name_box.isVisibleTo(rwin):
        panel.name_edit.setText("Dr Ada")
        panel.name_button.click()
    s = panel.session
    for fid in list(s.undecided()):
        s.accept(fid)
    assert panel.sign()
    dlg = rwin.export_dialog()
    qtbot.addWidget(dlg)
    assert dlg.wrong_film and "WRONG FILM" in dlg.state_label.text()
    assert not dlg.export_button.isEnabled()
    dlg.folder_edit.setText(str(tmp_path / "exports"))
    assert dlg.do_export() is None
    assert dlg.error is not None and "not the pixels of the reading's image '00000001_000.png'" in dlg.error
    assert not (tmp_path / "exports").exists()


# -- 7. File > Export: a failure part-way leaves no file behind ------------------------------------------------
def test_export_reading_writes_all_or_nothing(tmp_path: Path) -> None:
    from gazex_viewer.core.errors import ExportError
    from gazex_viewer.core.imaging.files import load_radiograph
    from gazex_viewer.ui.review.export_dialog import export_reading

    rg = load_radiograph(shared_file(NIH))
    reading = demo_reading(rg)
    out = tmp_path / "exports"
    # the PDF needs a film and none is open: the JSON and SR that came first are not written
    with pytest.raises(ExportError, match="the PDF needs the film"):
        export_reading(reading, out, "r", ["json", "sr", "pdf"], image_path=None)
    assert not out.exists()
    # a DICOM source of another image: refused before the JSON is written
    dcm = shared_file("dicom/nih_dx_secondary_capture.dcm")
    with pytest.raises(ExportError, match="pixels|pixel"):
        export_reading(reading, out, "r", ["json", "sr"], image_path=dcm)
    assert not out.exists() or not any(out.iterdir())
    res = export_reading(reading, out, "r", ["json", "sr", "pdf"], image_path=shared_file(NIH),
                         film_loader=rg.render, image_sha256=rg.pixel_sha256)
    assert sorted(p.name for p in out.iterdir()) == ["r.dcm", "r.json", "r.pdf"]
    assert set(res.written) == {"json", "sr", "pdf"}


# -- 4. unsaved review work survives opening another film or reading ------------------------------------------
def test_typed_work_is_saved_when_another_film_is_opened(rwin: Any, qtbot: Any, db: Path) -> None:
    from gazex_viewer.core.reading.document import Box

    reading = open_review(rwin)
    panel = rwin.review_panel
    panel.impression_edit.setPlainText("Cardiomegaly. No pneumothorax.")  # typed, focus never left the box
    rwin.selection.select("f-device")
    assert panel.start_edit()
    panel.edit_text.setText("endotracheal tube in place")  # an open edit, not applied
    assert rwin.open_image(shared_file(OTHER))
    assert panel.session is None or panel.session.reading_id != reading.reading_id
    with SqliteReviewStore(db) as store:
        stored = store.load_reading(reading.reading_id)
    assert stored.review.impression == "Cardiomegaly. No pneumothorax."
    d = next(d for d in stored.review.decisions if d.finding_id == "f-device")
    assert d.status == "edited" and d.edited.text == "endotracheal tube in place"
    # a missed finding drawn and typed, then another reading shown over the same film
    assert rwin.open_image(shared_file(NIH))
    s = panel.session
    assert s is not None and s.reading_id == reading.reading_id  # resumed, with the saved work
    assert panel.impression_edit.toPlainText() == "Cardiomegaly. No pneumothorax."
    assert panel.start_add()
    panel.set_drawn_box(Box.from_corners(330, 300, 460, 470))
    panel.add_text.setText("small left pleural effusion")
    assert rwin.show_reading(demo_reading(rwin.radiograph))
    with SqliteReviewStore(db) as store:
        stored = store.load_reading(reading.reading_id)
    assert [f.text for f in stored.review.additions] == ["small left pleural effusion"]
    assert stored.review.additions[0].observation == Box.from_corners(330, 300, 460, 470)


# -- a model runner that the test drives by hand (no worker process) ------------------------------------------
class FakeRunner(QObject):
    """The ModelRunner signals and calls, driven by the test."""

    progress_changed = Signal(str, int, int, str)
    text_streamed = Signal(str)
    reading_ready = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    loaded = Signal(str)
    load_failed = Signal(str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.jobs = 0

    def load(self, spec: Any) -> None:
        self.loaded.emit(str(spec.model_dir))

    def run(self, film: Any, settings: Any = None) -> int:
        self.jobs += 1
        return self.jobs

    def cancel(self) -> None:
        self.cancelled.emit()

    def shutdown(self) -> None:
        pass


@pytest.fixture
def mwin(qtbot: Any, db: Path, answers: Answers, tmp_path: Path) -> Any:
    """A window with a hand-driven model runner and a (fake) checkpoint chosen."""
    from gazex_viewer.ui.shell.main_window import MainWindow

    win = MainWindow(runner_factory=lambda parent: FakeRunner(parent))
    win.show_error = answers.error  # type: ignore[method-assign]
    win.ask_yes_no = answers.ask  # type: ignore[method-assign]
    win.ask_text = answers.ask_text  # type: ignore[method-assign]
    win.review_panel.show_error = answers.error  # type: ignore[method-assign]
    win.review_panel.confirm = answers.ask  # type: ignore[method-assign]
    win.review_panel.ask_reason = lambda _t: answers.reason  # type: ignore[method-assign]
    win.review_panel.ask_passphrase = answers.ask_passphrase  # type: ignore[method-assign]
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    (tmp_path / "ckpt").mkdir()
    win.model_panel.set_checkpoint(tmp_path / "ckpt")
    return win


def _run_to_end(win: Any, reading: Reading) -> None:
    win.run_model()
    assert win.job_running
    r = win.runner
    r.progress_changed.emit("report", 0, 0, "")
    r.text_streamed.emit("enlarged cardiac silhouette . support apparatus . ")
    r.progress_changed.emit("grounding", 2, 3, "support apparatus")
    r.reading_ready.emit(reading)


# -- 5. read first: a model run shows progress only ---------------------------------------------------------
def test_read_first_model_run_never_shows_the_draft(mwin: Any, qtbot: Any) -> None:
    mwin.read_first_action.setChecked(True)
    assert mwin.open_image(shared_file(NIH))
    mp = mwin.model_panel
    mwin.run_model()
    r = mwin.runner
    r.progress_changed.emit("report", 0, 0, "")
    r.text_streamed.emit("enlarged cardiac silhouette . support apparatus . ")
    r.progress_changed.emit("grounding", 2, 3, "support apparatus")
    assert not mp.stream.isVisibleTo(mwin) and mp.stream.toPlainText() == ""
    assert mp.progress.isVisibleTo(mwin)
    shown = mp.progress.format() + mp.status_label.text()
    assert "of 3" not in shown and "support apparatus" not in shown and "sentence" not in shown
    r.reading_ready.emit(demo_reading(mwin.radiograph))
    panel = mwin.review_panel
    if panel.name_box.isVisibleTo(mwin):
        panel.name_edit.setText("Dr Ada")
        panel.name_button.click()
    assert panel.session is not None and panel.session.ai_hidden
    status = mp.status_label.text()
    assert "hidden until you write your impression" in status and "3" not in status
    assert not mwin.report_panel.isVisibleTo(mwin)
    assert panel.read_first_box.isVisibleTo(mwin)
    assert "enlarged cardiac silhouette" not in mwin.statusBar().currentMessage()


def test_without_read_first_the_run_streams_as_before(mwin: Any) -> None:
    assert mwin.open_image(shared_file(NIH))
    mwin.run_model()
    mwin.runner.text_streamed.emit("enlarged cardiac silhouette . ")
    mwin.runner.progress_changed.emit("grounding", 2, 3, "")
    assert mwin.model_panel.stream.isVisibleTo(mwin)
    assert mwin.model_panel.stream.toPlainText() == "enlarged cardiac silhouette . "
    assert mwin.model_panel.progress.format() == "Finding regions: sentence 2 of 3"
    mwin.runner.reading_ready.emit(demo_reading(mwin.radiograph))
    assert "Done: 3 sentences" in mwin.model_panel.status_label.text()


# -- 6. a new model result never silently replaces a review in progress -------------------------------------
def test_rerun_asks_before_replacing_a_review_and_old_ones_stay_reachable(mwin: Any, qtbot: Any, db: Path) -> None:
    first = open_review(mwin)
    panel = mwin.review_panel
    panel.session.accept("f-cardio")
    asked: list[str] = []
    answer = {"yes": False}

    def ask(title: str, message: str) -> bool:
        asked.append(message)
        return answer["yes"]

    mwin.ask_yes_no = ask  # type: ignore[method-assign]
    # No: the current review stays, the new draft is set aside
    _run_to_end(mwin, demo_reading(mwin.radiograph))
    assert len(asked) == 1 and "already has a review" in asked[0] and "1 of 3 AI finding(s) decided" in asked[0]
    assert panel.session.reading_id == first.reading_id and panel.session.status("f-cardio") == "accepted"
    assert "set aside" in mwin.model_panel.status_label.text()
    with SqliteReviewStore(db) as store:
        assert len(store.readings_for_image(mwin.radiograph.pixel_sha256)) == 1
    # sign it, then Yes: the new draft is a new reading; the signed one is kept and announced
    panel.session.accept("f-device")
    panel.session.accept("f-ptx")
    assert panel.sign()
    answer["yes"] = True
    second = demo_reading(mwin.radiograph)
    _run_to_end(mwin, second)
    assert len(asked) == 2 and "signed by Dr Ada Lovelace" in asked[1]
    assert panel.session.reading_id == second.reading_id and panel.session.undecided() == ["f-cardio", "f-device", "f-ptx"]
    assert panel.other_reviews_label.isVisibleTo(mwin)
    assert "1 other stored review, 1 of them signed (by Dr Ada Lovelace)" in panel.other_reviews_label.text()
    # reopening the film: the signed review is not hidden, and can be picked
    assert mwin.open_image(shared_file(OTHER)) and mwin.open_image(shared_file(NIH))
    assert panel.other_reviews_label.isVisibleTo(mwin) and "signed" in panel.other_reviews_label.text()
    dlg = mwin.review.show_stored_reviews()
    qtbot.addWidget(dlg)
    assert dlg.list.count() == 2
    texts = [dlg.list.item(i).text() for i in range(2)]
    assert any("signed by Dr Ada Lovelace" in t for t in texts) and any("not started" in t for t in texts)
    assert dlg.select(first.reading_id)
    assert dlg.open_selected() == first.reading_id
    s = panel.session
    assert s.reading_id == first.reading_id and s.is_signed and s.status("f-cardio") == "accepted"
    assert "signed by" in mwin.windowTitle()
    # no review with decisions: a new draft is shown without a question
    assert mwin.open_image(shared_file(OTHER))
    n = len(asked)
    third = demo_reading(mwin.radiograph)
    _run_to_end(mwin, third)
    assert len(asked) == n and panel.session.reading_id == third.reading_id
