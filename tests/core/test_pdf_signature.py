"""The signed report's PDF signature (pyHanko, Ed25519): intact, altered, appended to, unregistered key."""

from __future__ import annotations

import io

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gazex_viewer.core.pdf_signature import sign_pdf, verify_pdf


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
