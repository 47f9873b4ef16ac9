"""The ruler and the cardiothoracic-ratio tool on the real film canvas, driven with real mouse drags.

RG1's header says PixelSpacing 0\\0: the ruler is refused with that reason, the CTR (a ratio) works. A copy of the
NIH DX film with ImagerPixelSpacing gives a ruler in mm "at detector".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydicom
import pytest
from PySide6.QtCore import QPoint, Qt

from gazex_viewer.core.imaging.files import load_radiograph
from gazex_viewer.core.review.session import ReviewSession
from gazex_viewer.ui.film.canvas import FilmCanvas
from gazex_viewer.ui.film.measure_tools import MeasurementList, MeasureTools
from gazex_viewer.ui.selection import SelectionModel
from gazex_viewer.ui.workspace import Workspace
from tests.conftest import shared_file
from tests.factories import key_for, make_reading, sign

RG1 = "dicom/RG1_UNCR.dcm"
DX = "dicom/nih_dx_secondary_capture.dcm"


class Film:
    """A canvas, its workspace, the tools and their list, with the messages the tools said."""

    def __init__(self, qtbot: Any) -> None:
        self.qtbot = qtbot
        self.workspace = Workspace()
        self.canvas = FilmCanvas(SelectionModel())
        qtbot.addWidget(self.canvas)
        self.canvas.resize(1100, 800)  # room beside the film: a drag can leave it
        self.canvas.show()
        qtbot.waitExposed(self.canvas)
        self.tools = MeasureTools(self.canvas, self.workspace)
        self.list = MeasurementList(self.tools)
        qtbot.addWidget(self.list)
        self.messages: list[str] = []
        self.tools.message.connect(self.messages.append)

    def open(self, path: Path) -> Any:
        rg = load_radiograph(path)
        self.workspace.set_radiograph(rg)
        self.canvas.set_radiograph(rg)
        self.qtbot.wait(20)
        return rg

    def pt(self, x: float, y: float) -> QPoint:
        p = self.canvas.map_image_to_widget(x, y)
        return QPoint(round(p.x()), round(p.y()))

    def drag(self, a: tuple[float, float], b: tuple[float, float], steps: int = 8) -> None:
        vp = self.canvas.viewport()
        pa, pb = self.pt(*a), self.pt(*b)
        self.qtbot.mousePress(vp, Qt.MouseButton.LeftButton, pos=pa)
        for k in range(1, steps + 1):
            self.qtbot.mouseMove(vp, QPoint(pa.x() + (pb.x() - pa.x()) * k // steps,
                                            pa.y() + (pb.y() - pa.y()) * k // steps))
            self.qtbot.wait(15)  # pyqtgraph drops moves that arrive in the same instant
        self.qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, pos=pb)
        self.qtbot.wait(10)

    def click(self, a: tuple[float, float]) -> None:
        self.qtbot.mouseClick(self.canvas.viewport(), Qt.MouseButton.LeftButton, pos=self.pt(*a))
        self.qtbot.wait(10)

    def tol(self) -> float:
        return 2.0 / self.canvas.zoom() + 1


@pytest.fixture
def film(qtbot: Any) -> Film:
    return Film(qtbot)


@pytest.fixture
def dx_with_spacing(tmp_path: Path) -> Path:
    """The NIH DX film with the ImagerPixelSpacing of a CR detector (0.143 mm)."""
    ds = pydicom.dcmread(shared_file(DX))
    ds.ImagerPixelSpacing = [0.143, 0.143]
    out = tmp_path / "dx_spacing.dcm"
    ds.save_as(out)
    return out


def test_ruler_in_mm_at_detector_shown_not_saved_without_review(film: Film, dx_with_spacing: Path) -> None:
    film.open(dx_with_spacing)
    assert film.tools.start_ruler() and film.tools.mode == "ruler"
    assert film.messages[-1].startswith("Ruler: drag on the film")
    film.drag((200, 150), (200, 650))
    assert film.tools.mode == ""
    (m,) = film.tools.measurements()
    (x0, y0), (x1, y1) = m.points
    assert (x0, y0) == pytest.approx((200, 150), abs=film.tol()) and (x1, y1) == pytest.approx((200, 650), abs=film.tol())
    assert m.length_mm == pytest.approx(500 * 0.143, abs=film.tol() * 0.3)
    assert m.spacing is not None and m.spacing.at_detector
    assert film.tools.label_texts() == [f"M1 {m.text}"] and m.text.endswith("mm (at detector)")
    assert "NOT saved (no review is open)" in film.messages[-1]
    assert film.list.rows() == [f"M1  Length: {m.text}"]
    assert film.list.note.text() == "Not saved: open a review to save measurements"
    # Delete in the list removes it
    film.list.list.setFocus()
    film.qtbot.keyClick(film.list.list, Qt.Key.Key_Delete)
    assert film.tools.measurements() == [] and film.list.rows() == [] and film.tools.label_texts() == []
    # another film clears what was not saved
    film.tools.start_ruler()
    film.drag((100, 100), (300, 100))
    assert len(film.tools.measurements()) == 1
    film.open(shared_file(RG1))
    assert film.tools.measurements() == [] and film.tools.mode == ""


def test_ruler_refused_without_usable_spacing_with_the_reason(film: Film) -> None:
    film.open(shared_file(RG1))
    assert not film.tools.start_ruler()
    assert film.tools.mode == ""
    assert film.messages[-1] == ("Ruler refused: this film's PixelSpacing [0.0, 0.0] is not valid: "
                                 "lengths cannot be measured")
    film.drag((100, 100), (600, 100))  # a drag pans the film: nothing measured
    assert film.tools.measurements() == []
    # a picture has no spacing at all
    film.open(shared_file("images/nih/00000001_000.png"))
    assert not film.tools.start_ruler()
    assert film.messages[-1] == "Ruler refused: no pixel spacing in this film: a length in mm cannot be measured on it"


def test_ctr_on_rg1_saved_with_the_review_undo_and_delete(film: Film) -> None:
    rg = film.open(shared_file(RG1))
    session = ReviewSession(make_reading(width=rg.width, height=rg.height, file_name=rg.name), "Dr Ada")
    film.workspace.set_session(session)
    assert film.tools.start_ctr() and film.tools.mode == "heart"
    film.drag((700, 1250), (1250, 1270))
    assert film.tools.mode == "thorax" and "now drag across the thorax" in film.messages[-1]
    film.drag((250, 1150), (1600, 1150))
    assert film.tools.mode == ""
    (m,) = session.measurements
    assert m.kind == "ctr" and m.spacing is None
    assert m.ratio == pytest.approx(550 / 1350, abs=0.01)
    assert m.points[1][1] == m.points[0][1]  # levelled: the heart span is horizontal
    assert [e.action for e in session.review.events] == ["measure"]
    assert film.tools.label_texts() == ["heart", f"M1 CTR {m.ratio:.2f}"]
    assert film.messages[-1] == f"{m.text}: saved with the review"
    assert film.list.rows() == [f"M1  Cardiothoracic ratio: {m.text}"] and not film.list.note.isVisible()
    # delete (the list's button) is an unmeasure event; undo brings it back and the film redraws
    film.list.delete_button.click()
    assert session.measurements == [] and film.tools.label_texts() == []
    session.undo()
    film.workspace.notify_review_changed()
    assert session.measurements == [m] and film.list.rows() == [f"M1  Cardiothoracic ratio: {m.text}"]
    assert [e.action for e in session.review.events] == ["measure", "unmeasure", "undo:unmeasure"]


def test_bad_gestures_say_why_and_save_nothing(film: Film, dx_with_spacing: Path) -> None:
    rg = film.open(dx_with_spacing)
    session = ReviewSession(make_reading(width=rg.width, height=rg.height, file_name=rg.name), "Dr Ada")
    film.workspace.set_session(session)
    # a click is a 1x1 ruler
    film.tools.start_ruler()
    film.click((300, 300))
    assert film.messages[-1] == "Not measured: the ruler is shorter than 2 pixels: drag from one end to the other"
    assert film.tools.mode == "ruler"  # still armed: try again
    film.drag((900, 500), (1010, 500))
    assert film.tools.mode == "" and len(session.measurements) == 1
    # a span leaving the film
    film.tools.start_ruler()
    film.drag((900, 500), (1150, 500))
    assert film.messages[-1].startswith("Not measured: point (11")
    assert film.messages[-1].endswith(", 500) is outside the 1024x1024 film")
    assert film.tools.mode == "ruler"  # still armed: try again
    film.tools.cancel()
    # a CTR whose heart is wider than the thorax starts again from the heart
    film.tools.start_ctr()
    film.drag((100, 600), (900, 600))
    film.drag((300, 500), (600, 500))
    assert "wider than the thoracic span" in film.messages[-2] and film.tools.mode == "heart"
    film.qtbot.keyClick(film.canvas, Qt.Key.Key_Escape)
    assert film.tools.mode == "" and film.messages[-1] == "Measuring cancelled"
    assert [e.action for e in session.review.events] == ["measure"], film.messages  # only the good drag to 1010
    # a signed review refuses: one line, nothing saved
    for fid in session.undecided():
        session.accept(fid)
    key_for("Dr Ada")
    sign(session)
    film.tools.start_ruler()
    film.drag((100, 100), (100, 400))
    assert film.messages[-1].startswith("Length not saved: reading ") and "signed" in film.messages[-1]
    assert len(session.measurements) == 1 and len(film.tools.label_texts()) == 1
