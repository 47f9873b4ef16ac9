"""Export a reviewed reading as a clinical PDF report (reportlab), rendered from the final report.

The PDF is drawn from :class:`~gazex_viewer.core.review.final_report.FinalReport` (the same model the SR
and the Report tab render), so it lists exactly the SR's findings:

- page 1: the patient and study header from the DICOM header (name, ID, birth date, sex,
  accession, study date and description, view, institution, referring physician; a picture says
  the identity is unknown), the status line ("Final report, signed by … at <local time (UTC±hh:mm)>"
  or "DRAFT - not signed"), the film as displayed with the final findings' regions numbered, the
  findings filed as "Findings" and "Pertinent negatives", a draft's undecided AI findings marked,
  the radiologist's "Measurements" (each ruler and cardiothoracic ratio, drawn on the film as M1, M2 ...),
  the impression and the signature block;
- from a new page on: the appendix "AI draft and decisions (audit trail)", every AI sentence with
  the decision, reason, who and when. A rejected AI finding appears only there.

Every page carries the patient line, the status and "page n of m"; a draft carries a DRAFT watermark.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.export.sr import check_same_image, check_signature
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.patient_identity import PatientIdentity, read_identity
from gazex_viewer.core.review.final_report import (
    AUDIT_HEADING,
    FinalReport,
    build_final_report,
)

#: region colours by origin (RGB 0-1)
STATUS_COLOURS: dict[str, tuple[float, float, float]] = {
    "accepted": (0.10, 0.75, 0.25),
    "edited": (1.00, 0.60, 0.00),
    "added": (0.15, 0.55, 1.00),
    "rejected": (0.90, 0.15, 0.15),
    "undecided": (1.00, 0.90, 0.10),
}
#: the measurements' lines on the film (cyan: apart from every review state's colour)
MEASURE_COLOUR = (0.0, 0.80, 0.95)
#: longest side of the film image embedded in the PDF, in pixels
MAX_FILM_PIXELS = 2048
_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


if TYPE_CHECKING:
    from gazex_viewer.core.review.signing import SigningKey


@dataclass
class PdfExport:
    """What :func:`export_pdf` wrote."""

    path: Path
    signed: bool
    #: where the film lies on page 1, in PDF points from the bottom-left corner: x, y, width, height
    film_rect_pt: tuple[float, float, float, float]
    page_size_pt: tuple[float, float]
    n_pages: int = 1
    warnings: list[str] = field(default_factory=list)
    #: the file carries a PDF signature with the signer's key
    pdf_signed: bool = False


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


def _fonts() -> tuple[str, str]:
    """(regular, bold) font names: DejaVu Sans when installed (any script), else Helvetica (Latin-1)."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    regular, bold = _DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        return "Helvetica", "Helvetica-Bold"
    try:
        if "GxSans" not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont("GxSans", str(regular)))
            pdfmetrics.registerFont(TTFont("GxSans-Bold", str(bold)))
            for italic in (0, 1):
                addMapping("GxSans", 0, italic, "GxSans")
                addMapping("GxSans", 1, italic, "GxSans-Bold")
    except (OSError, ValueError, TTFError):  # an unreadable font file: the built-in font works for Latin text
        return "Helvetica", "Helvetica-Bold"
    return "GxSans", "GxSans-Bold"


def _printable(text: str, font: str) -> str:
    """``text`` with each character the font cannot draw written as its code point (``<U+5C71>``).

    A missing glyph would print as nothing, silently changing a patient's name.
    """
    from reportlab.pdfbase import pdfmetrics

    try:
        face = pdfmetrics.getFont(font).face
        cmap = getattr(face, "charToGlyph", None)
    except (KeyError, AttributeError):
        cmap = None

    def ok(ch: str) -> bool:
        if cmap is not None:
            return ord(ch) in cmap or ch in " \t"
        try:
            ch.encode("cp1252")
            return True
        except UnicodeEncodeError:
            return False

    if all(ok(ch) for ch in text):
        return text
    shown = "".join(ch if ok(ch) else f"<U+{ord(ch):04X}>" for ch in text)
    return f"{shown} (characters this PDF font cannot print are given as code points)"


def export_pdf(
    reading: Reading,
    film: np.ndarray,
    out_path: str | os.PathLike[str],
    *,
    title: str = "Chest X-ray report",
    image_sha256: str | None = None,
    image_path: str | os.PathLike[str] | None = None,
    identity: PatientIdentity | None = None,
    signing_key: SigningKey | None = None,
) -> PdfExport:
    """Write the PDF report of a reading.

    Parameters
    ----------
    reading
        The (reviewed) reading; unsigned readings are marked DRAFT.
    film
        The film as displayed: a 2-D uint8 array (``load_radiograph(path).render()``), in the
        reading's pixel frame (``reading.image.width`` x ``height``).
    out_path
        The ``.pdf`` file (written to a temporary name, then renamed).
    image_sha256
        The pixel hash of the image the film was rendered from: refused when the reading's own
        hash is known and differs.
    image_path
        The source image: its DICOM header gives the patient and study identity (a picture or
        None: "identity unknown"). Ignored when ``identity`` is given.
    identity
        The identity to print, when the caller already has it.
    signing_key
        The signer's unlocked sign-off key: the PDF then carries a PDF signature with it
        (:mod:`gazex_viewer.core.export.pdf_signature`), so any PDF reader shows whether it was altered. Refused unless the
        reading is signed with that same key.

    Raises
    ------
    ExportError
        When the reading's sign-off hash does not match its content, the film does not match
        the reading, or the file cannot be written.
    """
    out = Path(out_path)
    check_signature(reading, out)
    check_same_image(reading, image_sha256, out)
    film = np.asarray(film)
    if film.ndim != 2 or film.dtype != np.uint8:
        raise ExportError(out, f"the film must be a 2-D uint8 image, not {film.dtype} {film.shape}")
    h, w = film.shape
    if (w, h) != (reading.image.width, reading.image.height):
        raise ExportError(
            out,
            f"the film is {w} x {h} pixels but the reading is for {reading.image.width} x "
            f"{reading.image.height}; give the reading's own image",
        )
    if identity is None:
        identity = read_identity(image_path)
    so = reading.review.signoff if reading.review is not None else None
    if signing_key is not None and (so is None or so.public_key != signing_key.public_key):
        raise ExportError(out, "the PDF can be signed only with the key that signed the reading")
    try:
        report = build_final_report(reading, identity=identity)
    except ExportError as err:
        raise ExportError(out, err.reason) from None
    result = _write(report, film, out, title)
    if signing_key is not None and so is not None:
        from gazex_viewer.core.export.pdf_signature import sign_pdf

        try:
            data = sign_pdf(out.read_bytes(), signing_key.private, display_name=so.reviewer, account=so.account)
            with open(out, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as err:
            raise ExportError(out, f"cannot write the signed PDF ({err.strerror or err})") from None
        result.pdf_signed = True
    return result


def _write(report: FinalReport, film: np.ndarray, out: Path, title: str) -> PdfExport:
    from PIL import Image
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import (
        Flowable,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    regular, bold = _fonts()
    h, w = film.shape
    image = Image.fromarray(film, mode="L")
    scale_px = min(1.0, MAX_FILM_PIXELS / max(w, h))
    if scale_px < 1.0:
        image = image.resize((max(1, round(w * scale_px)), max(1, round(h * scale_px))), Image.Resampling.LANCZOS)
    page_w, page_h = A4
    margin = 15 * mm
    max_w, max_h = page_w - 2 * margin, 115 * mm
    s = min(max_w / w, max_h / h)
    draw_w, draw_h = w * s, h * s
    placed: dict[str, tuple[float, float, float, float]] = {}
    numbered = report.numbered()

    class FilmWithRegions(Flowable):
        def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
            return draw_w, draw_h

        def draw(self) -> None:
            c = self.canv
            c.drawImage(ImageReader(image), 0, 0, draw_w, draw_h)
            ax, ay = c.absolutePosition(0, 0)
            placed["film"] = (float(ax), float(ay), draw_w, draw_h)
            for rf in numbered:
                b = rf.observation
                if b is None:
                    continue
                c.saveState()
                c.setStrokeColorRGB(*STATUS_COLOURS.get(rf.origin, (0.5, 0.5, 0.5)))
                c.setLineWidth(1.6)
                if rf.origin == "undecided":
                    c.setDash(4, 3)
                x0, y0 = b.x_min * s, draw_h - b.y_max * s
                c.rect(x0, y0, (b.x_max - b.x_min) * s, (b.y_max - b.y_min) * s, stroke=1, fill=0)
                label = str(rf.number)
                c.setFont(bold, 9)
                tw = c.stringWidth(label, bold, 9)
                lx, ly = b.x_min * s + 1, draw_h - b.y_min * s - 11
                c.setFillColorRGB(0, 0, 0)
                c.rect(lx, ly - 1, tw + 4, 11, stroke=0, fill=1)
                c.setFillColorRGB(*STATUS_COLOURS.get(rf.origin, (1, 1, 1)))
                c.drawString(lx + 2, ly + 1, label)
                c.restoreState()
            for rm in report.measurements:  # each span as drawn, labelled M1, M2 ... as in "Measurements"
                pts = rm.measurement.points
                c.saveState()
                c.setStrokeColorRGB(*MEASURE_COLOUR)
                c.setLineWidth(1.2)
                for (xa, ya), (xb, yb) in zip(pts[0::2], pts[1::2], strict=True):
                    c.line(xa * s, draw_h - ya * s, xb * s, draw_h - yb * s)
                c.setFont(bold, 8)
                c.setFillColorRGB(*MEASURE_COLOUR)
                c.drawString(pts[-1][0] * s + 2, draw_h - pts[-1][1] * s + 2, f"M{rm.number}")
                c.restoreState()

    base = getSampleStyleSheet()
    body = ParagraphStyle("gxBody", parent=base["BodyText"], fontName=regular, fontSize=10, leading=13)
    small = ParagraphStyle("gxSmall", parent=body, fontSize=8, leading=10)
    head = ParagraphStyle("gxHead", parent=body, fontName=bold, fontSize=11, leading=14, spaceBefore=6,
                          spaceAfter=2)
    title_style = ParagraphStyle("gxTitle", parent=base["Title"], fontName=bold, fontSize=16, leading=19,
                                 alignment=0, spaceAfter=4)
    item_style = ParagraphStyle("gxItem", parent=body, leftIndent=14, firstLineIndent=-14)
    story: list[Any] = []
    status_word = "FINAL" if report.is_final else "DRAFT"
    story.append(Paragraph(f"{_esc(title)} — {status_word}", title_style))

    ident = report.identity
    if ident.known and ident.rows():
        rows = ident.rows()
        half = (len(rows) + 1) // 2
        cells: list[list[Any]] = []
        for i in range(half):
            line: list[Any] = []
            for pair in (rows[i], rows[i + half] if i + half < len(rows) else None):
                if pair is None:
                    line += ["", ""]
                else:
                    line += [Paragraph(f"<b>{_esc(pair[0])}</b>", small),
                             Paragraph(_esc(_printable(pair[1], regular)), small)]
            cells.append(line)
        t = Table(cells, colWidths=[24 * mm, 62 * mm, 36 * mm, 58 * mm])
        t.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, -1), colors.Color(0.95, 0.95, 0.95)),
            ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]))
        story.append(t)
    elif ident.known:
        story.append(Paragraph("<b>Patient identity:</b> the DICOM header holds no patient or study fields.", body))
    else:
        story.append(Paragraph(f"<b>{_esc(ident.note or 'Patient identity unknown.')}</b>", body))
    story.append(Spacer(1, 2 * mm))
    if report.signer is not None:
        status = f"<b>{_esc(report.headline())}</b>"
    else:
        status = f"<font color='#c00000'><b>{_esc(report.headline())}</b></font>"
    story.append(Paragraph(status, body))
    story.append(Spacer(1, 2 * mm))
    story.append(FilmWithRegions())
    story.append(Spacer(1, 3 * mm))

    def section(heading: str, items: list[Any], empty: str | None) -> None:
        if not items and empty is None:
            return
        first = items[0] if items else Paragraph(f"<i>{_esc(empty or '')}</i>", body)
        story.append(KeepTogether([Paragraph(_esc(heading), head), first]))
        story.extend(items[1:])

    def finding_par(rf: Any, note: str = "") -> Paragraph:
        extra = f" <font size=8 color='#666666'>{_esc(note)}</font>" if note else ""
        return Paragraph(f"{rf.number}.&nbsp;&nbsp;{_esc(rf.text)}{extra}", item_style)

    section("Findings", [finding_par(f) for f in report.positives], "No positive findings.")
    section("Pertinent negatives", [finding_par(f) for f in report.negatives], None)
    if report.undecided:
        section("AI findings not yet reviewed (draft only)",
                [finding_par(f, "(AI draft, undecided)") for f in report.undecided], None)
    section("Measurements", [Paragraph(f"M{rm.number}.&nbsp;&nbsp;{_esc(rm.line)}", item_style)
                             for rm in report.measurements], None)
    story.append(Paragraph("Impression", head))
    story.append(Paragraph(_esc(report.impression or "No impression was written."), body))
    if report.own_impression:
        story.append(Paragraph(
            "<b>Reviewer's own impression, written before the AI draft was shown:</b> "
            f"{_esc(report.own_impression)}", small))
    story.append(Spacer(1, 4 * mm))
    if report.signer is not None:
        sig = f"<b>Signed:</b> {_esc(report.signer.who)}, {_esc(report.signer.at_local())}"
        if report.countersigner is not None:
            sig += (f"<br/><b>Countersigned (attending):</b> {_esc(report.countersigner.who)}, "
                    f"{_esc(report.countersigner.at_local())}")
        sig += f"<br/><font size=7>Signed content SHA-256 {report.signer.content_sha256}</font>"
    else:
        sig = "<font color='#c00000'><b>Not signed.</b> This is a draft and is not a report.</font>"
    story.append(Paragraph(sig, body))

    # appendix --------------------------------------------------------------------------------------
    story.append(PageBreak())
    story.append(Paragraph(f"Appendix: {_esc(AUDIT_HEADING)}", title_style))
    origin = f"AI draft by {report.producer}; reading {report.reading_id}"
    if report.parent_id:
        origin += f", new version of {report.parent_id}"
    origin += f"; image {report.image_file_name} ({report.image_size[0]} x {report.image_size[1]} px)"
    if report.study_instance_uid:
        origin += f", study {report.study_instance_uid}"
    story.append(Paragraph(_esc(origin), small))
    story.append(Paragraph(
        "Each AI sentence with the reviewer's decision. Rejected sentences are not part of the report.", small))
    story.append(Spacer(1, 2 * mm))
    rows_a: list[list[Any]] = [[Paragraph(f"<b>{x}</b>", small) for x in
                                ("#", "AI draft", "Decision", "Reason / final wording", "When, by whom")]]
    for a in report.audit:
        note = a.reason or ""
        if a.final_text and a.final_text != a.ai_text:
            note = (note + "; " if note else "") + f"report: {a.final_text}"
        when = "—" if a.at is None else f"{a.at_local()}" + (f", {a.by}" if a.by else "")
        rows_a.append([Paragraph(f"A{a.number}", small), Paragraph(_esc(a.ai_text or "—"), small),
                       Paragraph(_esc(a.decision_words), small), Paragraph(_esc(note), small),
                       Paragraph(_esc(when), small)])
    table = Table(rows_a, colWidths=[10 * mm, 50 * mm, 22 * mm, 50 * mm, 48 * mm], repeatRows=1)
    tstyle: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
    ]
    table.setStyle(TableStyle(tstyle))
    story.append(table)

    patient = report.identity.patient_name or report.identity.patient_id or "identity unknown"
    footer_left = f"{patient} — GazeX Viewer — " + ("FINAL, signed" if report.is_final else "DRAFT, not signed")

    class NumberedCanvas(Canvas):
        """Holds each page until the end, so every footer can say "page n of m"."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            self.saveState()
            if not report.is_final:
                self.setFillColorRGB(0.85, 0.1, 0.1, alpha=0.15)
                self.setFont("Helvetica-Bold", 110)
                self.translate(page_w / 2, page_h / 2)
                self.rotate(45)
                self.drawCentredString(0, -40, "DRAFT")
            self.restoreState()
            self.saveState()
            self.setFont(regular, 7)
            self.drawString(margin, 8 * mm, footer_left)
            self.drawRightString(page_w - margin, 8 * mm, f"page {self._pageNumber} of {total}")
            self.restoreState()

    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        doc = SimpleDocTemplate(
            str(tmp), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
            bottomMargin=margin + 4 * mm, title=title, author=report.reviewer or "", creator="GazeX Viewer",
            subject="signed report" if report.is_final else "DRAFT report",
        )
        doc.build(story, canvasmaker=NumberedCanvas)
        tmp.replace(out)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise ExportError(out, f"cannot write the PDF: {err}") from err
    warnings = [] if report.is_final else ["the reading is not signed: the PDF is marked DRAFT"]
    warnings += list(report.warnings)
    return PdfExport(
        path=out,
        signed=report.is_final,
        film_rect_pt=placed.get("film", (0.0, 0.0, 0.0, 0.0)),
        page_size_pt=(float(page_w), float(page_h)),
        n_pages=int(doc.page),
        warnings=warnings,
    )
