"""File > Export…: the reading under review as reading JSON, DICOM SR and/or PDF.

A signed reading is exported as signed; an unsigned one is exported as a DRAFT (the SR says
PARTIAL/UNVERIFIED, the PDF carries a DRAFT watermark, and the dialog says so before writing).
:func:`export_reading` does the work without any widget, so it is tested on its own.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gazex_viewer.core.errors import ExportError, GazeXError
from gazex_viewer.core.reading.document import Reading
from gazex_viewer.core.reading.report_display import local_time_text
from gazex_viewer.ui.review.signoff import signer_text

if TYPE_CHECKING:
    from gazex_viewer.core.imaging.radiograph import Radiograph

FORMATS: tuple[str, ...] = ("json", "sr", "pdf")
SUFFIXES: dict[str, str] = {"json": ".json", "sr": ".dcm", "pdf": ".pdf"}
NAMES: dict[str, str] = {"json": "Reading JSON", "sr": "DICOM SR (Comprehensive, TID 1500)", "pdf": "PDF report with the film"}


@dataclass
class ExportResult:
    """What :func:`export_reading` wrote."""

    written: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    signed: bool = False
    #: the PDF carries a PDF signature with the signer's key
    pdf_signed: bool = False


def is_signed(reading: Reading) -> bool:
    """True when the reading carries a sign-off whose hash matches its content."""
    from gazex_viewer.core.review.session import verify_signoff

    return verify_signoff(reading)


def default_stem(reading: Reading) -> str:
    """'<film name>-reviewed' or '<film name>-draft'."""
    base = Path(reading.image.file_name or "reading").stem or "reading"
    return f"{base}-{'reviewed' if is_signed(reading) else 'draft'}"


def export_reading(
    reading: Reading,
    out_dir: str | Path,
    stem: str,
    formats: Iterable[str],
    *,
    image_path: str | Path | None = None,
    film: Any = None,
    film_loader: Callable[[], Any] | None = None,
    image_sha256: str | None = None,
    signing_key: Any = None,
    radiograph: Radiograph | None = None,
) -> ExportResult:
    """Write the chosen formats as ``out_dir/stem.{json,dcm,pdf}``.

    Parameters
    ----------
    film
        The displayed film (uint8 array) for the PDF; ``film_loader`` is called when it is None.
    image_sha256
        The pixel hash of the open film (``image_path``); computed from ``image_path`` when None.
        A film that is not the reading's own image (its hash is known and differs) is refused
        before anything is written, even when the viewer showed the reading over it anyway.
    signing_key
        The signer's unlocked key: the PDF then carries a PDF signature (any PDF reader shows whether it was
        altered).
    radiograph
        The open film, in place of ``image_path``: the SR and PDF take the header (UIDs, patient identity)
        from its source, and its pixel hash and display; no file is read again.

    Raises
    ------
    ExportError
        When the inputs do not fit (checked before anything is written) or a file cannot be
        written; either way no file of this export is left behind.
    """
    out = Path(out_dir)
    chosen = [f for f in FORMATS if f in set(formats)]
    if not chosen:
        raise ExportError(out, "choose at least one format")
    if not stem.strip() or "/" in stem or "\\" in stem:
        raise ExportError(out, f"not a usable file name: {stem!r}")
    from gazex_viewer.core.export.sr import (
        check_same_image,
        check_signature,
        image_pixel_sha256,
        pixel_hash_known,
    )

    check_signature(reading, out)
    identity = None
    if radiograph is not None:
        from gazex_viewer.core.reading.patient_identity import identity_of_film

        image_sha256 = image_sha256 or radiograph.pixel_sha256
        film_loader = film_loader or radiograph.render
        identity = identity_of_film(radiograph.name, radiograph.source.header())
        check_same_image(reading, image_sha256, radiograph.name)
    elif pixel_hash_known(reading.image.pixel_sha256) and image_path is not None:
        if image_sha256 is None and Path(image_path).is_file():
            image_sha256 = image_pixel_sha256(image_path)
        check_same_image(reading, image_sha256, image_path)
    if "sr" in chosen:
        from gazex_viewer.core.export.sr import check_sr_source

        check_sr_source(reading, image_path, image_sha256=image_sha256, film=radiograph)
    if "pdf" in chosen:
        if film is None and film_loader is not None:
            film = film_loader()
        if film is None:
            raise ExportError(out / f"{stem}{SUFFIXES['pdf']}", "the PDF needs the film, and no film is open")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(out, f"cannot create the folder: {err}") from err
    from gazex_viewer.core.export.files import StagedOutputs

    result = ExportResult(signed=is_signed(reading))
    # every input was checked above; the files appear together or not at all
    with StagedOutputs() as staged:
        for fmt in chosen:
            path = out / f"{stem}{SUFFIXES[fmt]}"
            tmp = staged.temp_for(path)
            if fmt == "json":
                try:
                    reading.save(tmp)
                except OSError as err:
                    raise ExportError(path, f"cannot write the reading JSON: {err}") from err
            elif fmt == "sr":
                from gazex_viewer.core.export.sr import export_sr

                sr = export_sr(reading, tmp, image_path=image_path, image_sha256=image_sha256, film=radiograph)
                result.warnings += [w for w in sr.warnings if w not in result.warnings]
            else:
                from gazex_viewer.core.export.pdf import export_pdf

                pdf = export_pdf(reading, film, tmp, image_sha256=image_sha256, image_path=image_path,
                                 identity=identity, signing_key=signing_key)
                result.pdf_signed = pdf.pdf_signed
                result.warnings += [w for w in pdf.warnings if w not in result.warnings]
            result.written[fmt] = path
        staged.commit()
    return result


class ExportDialog(QDialog):
    """Choose folder, name and formats; export; show what was written.

    The dialog says at the top whether the reading is signed (by whom, when) or a DRAFT.
    """

    def __init__(
        self,
        reading: Reading,
        *,
        image_path: str | Path | None = None,
        film_loader: Callable[[], Any] | None = None,
        start_dir: str | Path | None = None,
        parent: QWidget | None = None,
        image_sha256: str | None = None,
        registry: Any = None,
        radiograph: Radiograph | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export reading — GazeX Viewer")
        self.resize(620, 320)
        self.reading = reading
        self.image_path = image_path
        #: the open film (its source gives the header; nothing is read again), or None
        self.radiograph = radiograph
        if radiograph is not None:
            film_loader = film_loader or radiograph.render
            image_sha256 = image_sha256 or radiograph.pixel_sha256
        self.film_loader = film_loader
        self.image_sha256 = image_sha256
        self.result_: ExportResult | None = None
        self.error: str | None = None
        lay = QVBoxLayout(self)

        self.state_label = QLabel()
        self.state_label.setObjectName("exportState")
        self.state_label.setWordWrap(True)
        from gazex_viewer.core.review.session import signature_problem

        so = reading.review.signoff if reading.review is not None else None
        from gazex_viewer.core.export.sr import pixel_hash_known

        problem = signature_problem(reading, registry)  # registry: the review store's registered keys
        #: why this reading must not be exported (a sign-off that does not match), or None
        self.signature_problem = problem
        #: the open film is not the reading's image (it was shown over it anyway): refused
        self.wrong_film = bool(
            image_sha256 and pixel_hash_known(reading.image.pixel_sha256)
            and image_sha256 != reading.image.pixel_sha256
        )
        if self.wrong_film and problem is None:
            problem = (
                f"the open film is not this reading's image ({reading.image.file_name!r}): "
                "its pixels differ, so the report cannot be exported with it"
            )
            self.state_label.setText(f"<b>⚠ WRONG FILM — export refused.</b> {html.escape(problem)}.")
            self.state_label.setStyleSheet(
                "background:#7a1010; color:#ffffff; padding:6px; border:2px solid #ff5252; border-radius:4px;"
            )
        elif problem is not None:
            self.state_label.setText(
                f"<b>⚠ SIGNATURE INVALID — export refused.</b> {html.escape(problem)}."
            )
            self.state_label.setStyleSheet(
                "background:#7a1010; color:#ffffff; padding:6px; border:2px solid #ff5252; border-radius:4px;"
            )
        elif so is not None:
            self.state_label.setText(
                f"<b>Signed</b> by {html.escape(signer_text(so.reviewer, so.account))} at {html.escape(local_time_text(so.at))} "
                f"(content SHA-256 <tt>{so.content_sha256[:16]}…</tt>)."
            )
            self.state_label.setStyleSheet("background:#173d22; color:#c8f0d0; padding:6px; border-radius:4px;")
        else:
            self.state_label.setText(
                "<b>DRAFT — not signed.</b> The export is marked as a draft: the SR is PARTIAL/UNVERIFIED "
                "and the PDF carries a DRAFT watermark."
            )
            self.state_label.setStyleSheet("background:#5a4512; color:#ffe08a; padding:6px; border-radius:4px;")
        lay.addWidget(self.state_label)

        row = QHBoxLayout()
        row.addWidget(QLabel("Folder"))
        self.folder_edit = QLineEdit(str(start_dir or Path.home()))
        row.addWidget(self.folder_edit, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        lay.addLayout(row)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Name"))
        self.stem_edit = QLineEdit(default_stem(reading))
        row2.addWidget(self.stem_edit, 1)
        lay.addLayout(row2)

        self.checks: dict[str, QCheckBox] = {}
        for fmt in FORMATS:
            cb = QCheckBox(f"{NAMES[fmt]}  ({SUFFIXES[fmt]})")
            cb.setChecked(True)
            self.checks[fmt] = cb
            lay.addWidget(cb)
        if image_path is None and radiograph is None:
            self.checks["pdf"].setChecked(False)
            self.checks["pdf"].setEnabled(False)
            self.checks["pdf"].setToolTip("No film is open")
        from gazex_viewer.core.review.signing import has_key

        #: asks for the signer's passphrase (tests replace it)
        self.ask_passphrase: Callable[[str, str], str | None] = self._ask_passphrase
        self.sign_pdf = QCheckBox("Sign the PDF with the signer's key (any PDF reader then shows whether it was altered)")
        can_sign = so is not None and bool(so.public_key) and problem is None and has_key(so.reviewer)
        self.sign_pdf.setChecked(False)  # an explicit choice: it asks for the passphrase
        self.sign_pdf.setEnabled(can_sign)
        if so is not None and not can_sign:
            self.sign_pdf.setToolTip(f"Only {so.reviewer}, on a computer holding their signing key, can sign the PDF")
        lay.addWidget(self.sign_pdf)

        self.result_label = QLabel()
        self.result_label.setObjectName("exportResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.result_label, 1)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.export_button.clicked.connect(self.do_export)
        self.export_button.setEnabled(problem is None)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

    def _browse(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder_edit.text())
        if path:
            self.folder_edit.setText(path)

    def chosen_formats(self) -> list[str]:
        return [f for f, cb in self.checks.items() if cb.isChecked() and cb.isEnabled()]

    def _ask_passphrase(self, title: str, label: str) -> str | None:
        from gazex_viewer.ui.review.signing_key import ask_passphrase_dialog

        return ask_passphrase_dialog(self)(title, label)

    def _pdf_key(self) -> Any:
        """The signer's unlocked key when the PDF is to be signed (None: not asked for or cancelled)."""
        from gazex_viewer.core.review.signing import load_key

        so = self.reading.review.signoff if self.reading.review is not None else None
        if so is None or not (self.sign_pdf.isChecked() and self.checks["pdf"].isChecked()):
            return None
        passphrase = self.ask_passphrase("Sign the PDF", f"Passphrase of {so.reviewer}'s signing key:")
        if passphrase is None:
            return None
        return load_key(so.reviewer, passphrase)  # SigningKeyError (a GazeXError) on a wrong passphrase

    def do_export(self) -> ExportResult | None:
        """Export with the dialog's choices; the outcome (files or the error) is shown in the dialog."""
        self.error = None
        try:
            key = self._pdf_key()
            res = export_reading(
                self.reading,
                self.folder_edit.text().strip(),
                self.stem_edit.text().strip(),
                self.chosen_formats(),
                image_path=self.image_path,
                film_loader=self.film_loader,
                image_sha256=self.image_sha256,
                signing_key=key,
                radiograph=self.radiograph,
            )
        except GazeXError as err:
            self.error = str(err)
        except Exception as err:  # noqa: BLE001 (never a crash on a failed export)
            self.error = f"{self.folder_edit.text()}: {err.__class__.__name__}: {err}"
        if self.error is not None:
            self.result_label.setText(f"<span style='color:#ff8a80'><b>Export failed:</b> {html.escape(self.error)}</span>")
            return None
        self.result_ = res
        state = "signed" if res.signed else "DRAFT"
        lines = [
            f"✓ {html.escape(NAMES[f])}: {html.escape(str(p))} ({state}"
            + (", PDF signature" if f == "pdf" and res.pdf_signed else "") + ")"
            for f, p in res.written.items()
        ]
        lines += [f"<span style='color:#ffcc66'>⚠ {html.escape(w)}</span>" for w in res.warnings]
        self.result_label.setText("<br>".join(lines))
        return res
