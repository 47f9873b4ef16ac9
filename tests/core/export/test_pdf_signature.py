"""The signed report's PDF signature (pyHanko, Ed25519): intact, altered, appended to, unregistered key."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gazex_viewer.core.export.pdf_signature import sign_pdf, verify_pdf
from tests.factories import make_reading


def _pdf(text: str = "Final report: no pneumothorax.") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setPageCompression(0)
    c.drawString(72, 700, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def test_signed_pdf_verifies_and_names_the_signer() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_pdf(_pdf(), key, display_name="Dr Ada Lovelace", account="ada")
    status = verify_pdf(signed, [key.public_key()])
    assert status.ok and status.signer == "Dr Ada Lovelace"
    assert status.describe() == "signed by Dr Ada Lovelace, unaltered"


def test_an_altered_byte_is_detected() -> None:
    key = Ed25519PrivateKey.generate()
    signed = bytearray(sign_pdf(_pdf(), key, display_name="Dr A"))
    i = signed.find(b"no pneumothorax")
    assert i > 0
    signed[i : i + 2] = b"NO"
    status = verify_pdf(bytes(signed), [key.public_key()])
    assert status.signed and not status.intact and not status.ok
    assert status.describe() == "the PDF was altered after Dr A signed it"


def test_an_update_appended_after_signing_counts_as_altered() -> None:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    key = Ed25519PrivateKey.generate()
    signed = sign_pdf(_pdf(), key, display_name="Dr A")
    w = IncrementalPdfFileWriter(io.BytesIO(signed))
    w.root["/Lang"] = generic.TextStringObject("fr")
    w.update_root()
    out = io.BytesIO()
    w.write(out)
    status = verify_pdf(out.getvalue(), [key.public_key()])
    assert status.signed and not status.intact


@pytest.mark.parametrize("registered", [[], "other"])
def test_a_key_that_is_not_registered_is_named(registered: object) -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign_pdf(_pdf(), key, display_name="Dr Famous")
    keys = [] if registered == [] else [Ed25519PrivateKey.generate().public_key()]
    status = verify_pdf(signed, keys)
    assert status.intact and not status.registered and not status.ok
    assert status.describe() == "signed by Dr Famous with a key that is not registered"


def test_unsigned_and_garbage_pdfs() -> None:
    assert not verify_pdf(_pdf(), []).signed
    assert verify_pdf(b"not a pdf", []).describe() == "the PDF carries no signature"


def test_export_signs_the_pdf_with_the_signers_key(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """export --pdf --sign-pdf: the PDF carries the signer's signature; the wrong passphrase is one line."""
    import numpy as np
    from PIL import Image

    from gazex_viewer.cli import main
    from gazex_viewer.core.review.session import ReviewSession
    from gazex_viewer.core.review.signing import create_key
    from gazex_viewer.core.review.sqlite_store import SqliteReviewStore, default_store_path

    reading = make_reading()
    film = tmp_path / "film.png"
    Image.fromarray(np.full((reading.image.height, reading.image.width), 90, np.uint8)).save(film)
    from gazex_viewer.core.imaging.files import load_radiograph

    reading.image.pixel_sha256 = load_radiograph(film).pixel_sha256
    key = create_key("Dr Ada", "correct horse battery")
    with SqliteReviewStore(default_store_path()) as store:
        store.register_key(key, "test registrar")
    s = ReviewSession(reading, "Dr Ada")
    for fid in list(s.undecided()):
        s.accept(fid)
    s.set_impression("No acute disease.")
    s.sign("Dr Ada", key=key)
    path = tmp_path / "signed.json"
    reading.save(path)

    monkeypatch.setenv("GAZEX_KEY_PASSPHRASE", "wrong passphrase")
    assert main(["export", str(path), "--image", str(film), "--pdf", str(tmp_path / "a.pdf"), "--sign-pdf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--sign-pdf" in err[0] and not (tmp_path / "a.pdf").exists()

    monkeypatch.setenv("GAZEX_KEY_PASSPHRASE", "correct horse battery")
    out = tmp_path / "b.pdf"
    assert main(["export", str(path), "--image", str(film), "--pdf", str(out), "--sign-pdf"]) == 0
    assert "PDF signature" in capsys.readouterr().out
    status = verify_pdf(out.read_bytes(), [key.private.public_key()])
    assert status.ok and status.signer == "Dr Ada"
