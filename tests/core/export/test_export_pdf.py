"""PDF export: pdftoppm renders page 1, the film area resembles the film, the text is there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.export.pdf import export_pdf
from gazex_viewer.core.reading.document import Box, Reading
from gazex_viewer.core.review.session import ReviewSession
from tests.conftest import require_tool, shared_file
from tests.factories import make_reading, sign

DPI = 100


def _render_page1(pdf: Path, tmp_path: Path) -> np.ndarray:
    prefix = tmp_path / "page"
    subprocess.run([require_tool("pdftoppm"), "-r", str(DPI), "-f", "1", "-l", "1", "-gray", "-png",
                    str(pdf), str(prefix)], check=True, capture_output=True, timeout=60)
    (png,) = tmp_path.glob("page*.png")
    return np.asarray(Image.open(png).convert("L"), dtype=np.float64)


def _film_area(page: np.ndarray, rect_pt: tuple[float, float, float, float], page_h_pt: float) -> np.ndarray:
    x, y, w, h = (v * DPI / 72.0 for v in rect_pt)
    top = page_h_pt * DPI / 72.0 - (y + h)
    return page[round(top) + 2 : round(top + h) - 2, round(x) + 2 : round(x + w) - 2]


def _reading_on(png: Path) -> tuple[Reading, np.ndarray]:
    film = np.asarray(Image.open(png).convert("L"))
    reading = make_reading(width=film.shape[1], height=film.shape[0], file_name=png.name)
    for f in reading.findings:  # the helper's boxes are for 1024 px films
        if f.observation is not None:
            o = f.observation
            f.observation = Box.from_corners(o.x_min / 2, o.y_min / 2, o.x_max / 2, o.y_max / 2)
    return reading, film


def _pdftotext(pdf: Path) -> str:
    exe = shutil.which("pdftotext") or require_tool("pdftotext")
    return subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout


def test_signed_pdf_shows_the_film_and_the_decisions(tmp_path: Path, artifacts_dir: Path) -> None:
    reading, film = _reading_on(shared_file("images/nih/00000001_000.png"))
    s = ReviewSession(reading, "Dr Ada Lovelace")
    s.accept("f-000")
    s.reject("f-001", "pneumothorax not assessable")
    s.edit("f-002", text="mild cardiomegaly")
    s.accept("f-003")
    s.add_finding("right rib fracture", Box.from_corners(30, 40, 120, 110))
    s.set_impression("mild cardiomegaly")
    signoff = sign(s)
    out = artifacts_dir / "review_export_signed.pdf"
    result = export_pdf(reading, film, out, image_path=shared_file("images/nih/00000001_000.png"))
    assert result.signed and result.n_pages == 2 and result.warnings == []

    page = _render_page1(out, tmp_path)
    area = _film_area(page, result.film_rect_pt, result.page_size_pt[1])
    assert area.std() > 20  # not blank
    ref = np.asarray(Image.fromarray(film).resize((area.shape[1] + 4, area.shape[0] + 4), Image.BILINEAR),
                     dtype=np.float64)[2:-2, 2:-2]
    corr = np.corrcoef(area.ravel(), ref.ravel())[0, 1]
    assert corr > 0.9, corr  # resembles the film (regions drawn on top cost a little)
    assert abs(area.mean() - ref.mean()) < 12

    text = _pdftotext(out)
    body, appendix = text.split("Appendix: AI draft and decisions (audit trail)")
    assert "Final report, signed by Dr Ada Lovelace" in body and signoff.content_sha256 in body
    for expected in ("1. Support apparatus.", "2. Mild cardiomegaly.", "3. Left basilar opacity.",
                     "4. Right rib fracture.", "Impression\n Mild cardiomegaly."):
        assert expected in body, expected
    assert "pneumothorax" not in body.lower()  # rejected: only in the appendix
    for expected in ("No pneumothorax.", "rejected", "pneumothorax not assessable",
                     "Enlarged cardiac silhouette.", "report: Mild cardiomegaly.", "added by"):
        assert expected in appendix, expected
    assert "Patient identity unknown: 00000001_000.png is not DICOM" in body
    assert "page 1 of 2" in body and "page 2 of 2" in appendix
    assert "DRAFT" not in text


def test_draft_pdf_is_marked_on_rg1_dicom(tmp_path: Path) -> None:
    from gazex_viewer.core.imaging.files import load_radiograph

    rg = load_radiograph(shared_file("dicom/RG1_UNCR.dcm"))
    film = rg.render()
    reading = make_reading(width=rg.width, height=rg.height, file_name="RG1_UNCR.dcm")
    ReviewSession(reading, "Dr Ada").accept("f-000")
    out = tmp_path / "draft.pdf"
    result = export_pdf(reading, film, out, image_path=shared_file("dicom/RG1_UNCR.dcm"))
    assert not result.signed and result.warnings
    text = _pdftotext(out)
    assert "DRAFT - not signed; 3 AI finding(s) not yet reviewed" in text
    assert "AI findings not yet reviewed (draft only)" in text and "Not signed." in text
    page = _render_page1(out, tmp_path)
    area = _film_area(page, result.film_rect_pt, result.page_size_pt[1])
    ref = np.asarray(Image.fromarray(film).resize((area.shape[1] + 4, area.shape[0] + 4), Image.BILINEAR),
                     dtype=np.float64)[2:-2, 2:-2]
    assert np.corrcoef(area.ravel(), ref.ravel())[0, 1] > 0.9


def test_film_of_wrong_size_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="film is 10 x 20 pixels but the reading is for 1024 x 1024"):
        export_pdf(make_reading(), np.zeros((20, 10), np.uint8), tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
