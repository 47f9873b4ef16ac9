"""Measurements in the outputs: the final report's "Measurements", the PDF's section (pdftotext), the SR's TID 1500
groups (dciodvfy finds no error, dsrdump shows "Length" in mm and "Ratio" in {ratio})."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image

from gazex_viewer.core.export.pdf import export_pdf
from gazex_viewer.core.export.sr import export_sr
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.measurements import Spacing, cardiothoracic_ratio, ruler
from gazex_viewer.core.review.final_report import build_final_report
from gazex_viewer.core.review.session import ReviewSession
from tests.conftest import require_tool, shared_file
from tests.dicom_tools import dciodvfy_errors, dsrdump
from tests.factories import make_reading, sign

#: ImagerPixelSpacing of a typical CR detector (the measurement keeps the spacing it was made under)
DETECTOR = Spacing(0.143, 0.143, "ImagerPixelSpacing")


def _measured(reading: Reading, spacing: Spacing | None, *, signed: bool) -> ReviewSession:
    w, h = reading.image.width // 10 * 10, reading.image.height // 10 * 10  # whole pixels (SCOORD is float32)
    s = ReviewSession(reading, "Lovelace^Ada")
    for fid in s.undecided():
        s.accept(fid)
    s.set_impression("cardiomegaly")
    if spacing is not None:
        s.add_measurement(ruler((0.2 * w, 0.3 * h), (0.2 * w, 0.6 * h), spacing, size=(reading.image.width, reading.image.height)))
    s.add_measurement(cardiothoracic_ratio(((0.35 * w, 0.6 * h), (0.65 * w, 0.6 * h)),
                                           ((0.15 * w, 0.55 * h), (0.85 * w, 0.55 * h)), spacing,
                                           size=(reading.image.width, reading.image.height)))
    if signed:
        sign(s)
    return s


def test_final_report_lists_the_measurements() -> None:
    reading = make_reading()
    s = _measured(reading, DETECTOR, signed=False)
    report = build_final_report(reading)
    assert [rm.number for rm in report.measurements] == [1, 2]
    length, ctr = report.measurements
    assert length.measurement == s.measurements[0] and length.name == "Length"
    assert length.text == f"{0.3 * 1020 * 0.143:.1f} mm (at detector)" and length.line == "Length: " + length.text
    assert ctr.name == "Cardiothoracic ratio" and ctr.text.startswith("CTR 0.43 (heart ")
    assert build_final_report(make_reading()).measurements == ()


def test_sr_carries_length_in_mm_and_ratio(tmp_path: Path) -> None:
    src_path = shared_file("dicom/nih_dx_secondary_capture.dcm")
    src = pydicom.dcmread(src_path, stop_before_pixels=True)
    reading = make_reading(width=int(src.Columns), height=int(src.Rows), file_name=src_path.name,
                           sop_instance_uid=str(src.SOPInstanceUID), study_instance_uid=str(src.StudyInstanceUID),
                           sop_class_uid=str(src.SOPClassUID))
    s = _measured(reading, DETECTOR, signed=True)
    out = tmp_path / "measured_sr.dcm"
    result = export_sr(reading, out, image_path=src_path)
    assert result.signed and result.n_findings == 4  # the measurements are not findings

    assert dciodvfy_errors(out) == []
    dump = dsrdump(out)
    mm = s.measurements[0].length_mm
    assert mm is not None
    assert re.search(r'NUM:\(,,"Length"\)="' + re.escape(f"{round(mm, 2):g}") + r'" \(mm,UCUM,"mm"\)', dump), dump
    ratio = s.measurements[1].ratio
    assert ratio is not None
    assert re.search(r'NUM:\(,,"Ratio"\)="' + re.escape(f"{round(ratio, 3):g}") + r'" \(\{ratio\},UCUM,', dump)
    assert dump.count('NUM:(,,"Width")=') == 2 and "Heart" in dump and "Thorax" in dump
    assert "(at detector)" in dump and "ImagerPixelSpacing" in dump
    # the ruler's ends are a POLYLINE on the source image, like the findings' regions
    (x0, y0), (x1, y1) = s.measurements[0].points
    assert f"POLYLINE,{x0:g}/{y0:g},{x1:g}/{y1:g}" in dump
    refs = re.findall(r'"Source"\)=\([^,]+,"([0-9.]+)"\)', dump)
    assert len(refs) == 4 and set(refs) == {str(src.SOPInstanceUID)}  # 3 findings with regions + the ruler


def test_sr_ctr_without_spacing_is_a_ratio_alone(tmp_path: Path) -> None:
    src_path = shared_file("dicom/RG1_UNCR.dcm")  # PixelSpacing 0\0: no length, the CTR needs none
    src = pydicom.dcmread(src_path, stop_before_pixels=True)
    reading = make_reading(width=int(src.Columns), height=int(src.Rows), file_name=src_path.name,
                           sop_instance_uid=str(src.SOPInstanceUID), study_instance_uid=str(src.StudyInstanceUID),
                           sop_class_uid=str(src.SOPClassUID))
    _measured(reading, None, signed=False)
    out = tmp_path / "rg1_sr.dcm"
    export_sr(reading, out, image_path=src_path)
    assert dciodvfy_errors(out) == []
    dump = dsrdump(out)
    assert 'NUM:(,,"Ratio")="0.429"' in dump
    assert '"Length"' not in dump and '"Width"' not in dump


def _pdftotext(pdf: Path) -> str:
    exe = shutil.which("pdftotext") or require_tool("pdftotext")
    return subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True,
                          timeout=60, check=True).stdout


def test_pdf_has_a_measurements_section(tmp_path: Path) -> None:
    png = shared_file("images/nih/00000001_000.png")
    film = np.asarray(Image.open(png).convert("L"))
    reading = make_reading(width=film.shape[1], height=film.shape[0], file_name=png.name)
    for f in reading.findings:
        f.observation = None
        f.clues = []
    s = _measured(reading, DETECTOR, signed=True)
    out = tmp_path / "measured.pdf"
    result = export_pdf(reading, film, out, image_path=png)
    assert result.signed
    text = _pdftotext(out)
    body = text.split("Appendix:")[0]
    length, ctr = s.measurements
    assert "Measurements" in body
    assert f"M1. Length: {length.text}" in body, body
    assert f"M2. Cardiothoracic ratio: {ctr.text}" in body, body
    assert body.index("Measurements") < body.index("Impression")
    # drawn on the film: the page differs from one without measurements
    bare = make_reading(width=film.shape[1], height=film.shape[0], file_name=png.name)
    assert "Measurements" not in _pdftotext(export_pdf(bare, film, tmp_path / "bare.pdf", image_path=png).path)
