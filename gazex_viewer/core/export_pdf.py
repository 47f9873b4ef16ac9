"""Export a reviewed reading as a PDF (reportlab): the film with its regions, the report, the decisions.

Page 1 starts with a header (signed by whom and when, with the content hash, or a DRAFT
marking), then the film as displayed (8-bit grey, the viewer's default window) with each finding's
observation region drawn and numbered in its decision's colour, then the findings table (number,
text, decision, reason or AI original), the impression, and the radiologist's own impression
(read-first mode). An unsigned reading carries a "DRAFT" watermark on every page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gazex_viewer.core.errors import ExportError
from gazex_viewer.core.export_sr import check_same_image, check_signature, reviewed_view
from gazex_viewer.core.reading import Reading

if TYPE_CHECKING:
    from gazex_viewer.core.review import ReviewedFinding

#: region colours by status (RGB 0-1)
STATUS_COLOURS: dict[str, tuple[float, float, float]] = {
    "accepted": (0.10, 0.75, 0.25),
    "edited": (1.00, 0.60, 0.00),
    "added": (0.15, 0.55, 1.00),
    "rejected": (0.90, 0.15, 0.15),
    "undecided": (1.00, 0.90, 0.10),
}
#: longest side of the film image embedded in the PDF, in pixels
MAX_FILM_PIXELS = 2048


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


def _esc(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


def export_pdf(
    reading: Reading,
    film: np.ndarray,
    out_path: str | os.PathLike[str],
    *,
    title: str = "Chest X-ray report",
    show_rejected_regions: bool = True,
    image_sha256: str | None = None,
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
    show_rejected_regions
        Draw rejected findings' regions too (dashed red), so the PDF shows every decision.
    image_sha256
        The pixel hash of the image the film was rendered from
        (``load_radiograph(path).pixel_sha256``): refused when the reading's own hash is known
        and differs. Callers that have it must pass it; the film alone cannot prove its identity.

    Raises
    ------
    ExportError
        When the reading's sign-off hash does not match its content, the film does not match
        the reading, or the file cannot be written.
    """
    from PIL import Image
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

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
    view = reviewed_view(reading)
    signoff = reading.review.signoff if reading.review is not None and view.signed else None
    listed: list[ReviewedFinding] = view.findings + view.rejected + view.undecided
    order = {fid: i for i, fid in enumerate(_display_order(reading))}
    listed.sort(key=lambda r: order.get(r.finding.id, len(order)))

    image = Image.fromarray(film, mode="L")
    scale_px = min(1.0, MAX_FILM_PIXELS / max(w, h))
    if scale_px < 1.0:
        image = image.resize((max(1, round(w * scale_px)), max(1, round(h * scale_px))), Image.LANCZOS)
    page_w, page_h = A4
    margin = 15 * mm
    max_w, max_h = page_w - 2 * margin, 135 * mm
    s = min(max_w / w, max_h / h)
    draw_w, draw_h = w * s, h * s
    placed: dict[str, tuple[float, float, float, float]] = {}

    class FilmWithRegions(Flowable):  # type: ignore[misc]
        def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
            return draw_w, draw_h

        def draw(self) -> None:
            c = self.canv
            c.drawImage(ImageReader(image), 0, 0, draw_w, draw_h)
            ax, ay = c.absolutePosition(0, 0)
            placed["film"] = (float(ax), float(ay), draw_w, draw_h)
            for n, rf in enumerate(listed, start=1):
                b = rf.finding.observation
                if b is None or (rf.status == "rejected" and not show_rejected_regions):
                    continue
                c.saveState()
                c.setStrokeColorRGB(*STATUS_COLOURS[rf.status])
                c.setLineWidth(1.6)
                if rf.status in ("rejected", "undecided"):
                    c.setDash(4, 3)
                x0, y0 = b.x_min * s, draw_h - b.y_max * s
                c.rect(x0, y0, (b.x_max - b.x_min) * s, (b.y_max - b.y_min) * s, stroke=1, fill=0)
                c.setFillColorRGB(*STATUS_COLOURS[rf.status])
                c.setFont("Helvetica-Bold", 9)
                c.drawString(b.x_min * s + 2, draw_h - b.y_min * s - 10, str(n))
                c.restoreState()

    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    story: list[Any] = []
    img = reading.image
    story.append(Paragraph(_esc(title), styles["Title"]))
    if signoff is not None:
        status = (
            f"<b>SIGNED</b> by {_esc(signoff.reviewer)} at {_esc(signoff.at)}<br/>"
            f"<font size=7>content SHA-256 {signoff.content_sha256}</font>"
        )
    else:
        pending = f"; {len(view.undecided)} AI finding(s) not yet reviewed" if view.undecided else ""
        status = f"<font color='#c00000'><b>DRAFT - not signed</b>{_esc(pending)}</font>"
    story.append(Paragraph(status, body))
    ids = f"Image {_esc(img.file_name)} ({img.width} x {img.height} px)"
    if img.study_instance_uid:
        ids += f", study {_esc(img.study_instance_uid)}"
    ids += f"<br/>AI draft by {_esc(reading.producer.name)}; reading {_esc(reading.reading_id)}"
    if reading.parent_id:
        ids += f", new version of {_esc(reading.parent_id)}"
    story.append(Paragraph(f"<font size=8>{ids}</font>", body))
    story.append(Spacer(1, 3 * mm))
    story.append(FilmWithRegions())
    story.append(Spacer(1, 4 * mm))

    rows: list[list[Any]] = [["#", "Finding", "Decision", "Note"]]
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    for n, rf in enumerate(listed, start=1):
        note = rf.reason or ""
        if rf.status == "edited" and rf.original is not None and rf.original.text != rf.finding.text:
            note = f"AI draft: {rf.original.text}"
        labels = ", ".join(f"{lab.observation} ({lab.status})" for lab in rf.finding.labels)
        text = _esc(rf.finding.text) + (f"<br/><font size=6>{_esc(labels)}</font>" if labels else "")
        rows.append([str(n), Paragraph(text, small), rf.status, Paragraph(_esc(note), small)])
    table = Table(rows, colWidths=[8 * mm, 95 * mm, 22 * mm, 55 * mm], repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
    ]
    for n, rf in enumerate(listed, start=1):
        style.append(("TEXTCOLOR", (2, n), (2, n), colors.Color(*STATUS_COLOURS[rf.status]).clone()))
        if rf.status == "undecided":
            style.append(("TEXTCOLOR", (2, n), (2, n), colors.Color(0.6, 0.5, 0.0)))
    table.setStyle(TableStyle(style))
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(f"<b>Impression:</b> {_esc(view.impression or '(none)')}", body))
    if view.own_impression:
        story.append(Paragraph(
            f"<b>Reviewer's own impression, written before the AI draft was shown:</b> "
            f"{_esc(view.own_impression)}", body))
    reviewer = view.reviewer or "(not recorded)"
    story.append(Paragraph(f"<font size=8>Reviewer: {_esc(reviewer)}</font>", body))

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        if signoff is None:
            canvas.setFillColorRGB(0.85, 0.1, 0.1, alpha=0.18)
            canvas.setFont("Helvetica-Bold", 110)
            canvas.translate(page_w / 2, page_h / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -40, "DRAFT")
        canvas.restoreState()
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        footer = "GazeX Viewer - " + ("signed report" if signoff else "DRAFT, not signed")
        canvas.drawString(margin, 8 * mm, f"{footer} - page {doc.page}")
        canvas.restoreState()

    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        doc = SimpleDocTemplate(
            str(tmp), pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
            bottomMargin=margin, title=title, author=view.reviewer or "", creator="GazeX Viewer",
            subject="signed report" if signoff else "DRAFT report",
        )
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
        tmp.replace(out)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise ExportError(out, f"cannot write the PDF: {err}") from err
    warnings = [] if signoff else ["the reading is not signed: the PDF is marked DRAFT"]
    return PdfExport(
        path=out,
        signed=signoff is not None,
        film_rect_pt=placed.get("film", (0.0, 0.0, 0.0, 0.0)),
        page_size_pt=(float(page_w), float(page_h)),
        n_pages=int(doc.page),
        warnings=warnings,
    )


def _display_order(reading: Reading) -> list[str]:
    ids = [f.id for f in reading.findings]
    if reading.review is not None:
        ids += [f.id for f in reading.review.additions]
    return ids
