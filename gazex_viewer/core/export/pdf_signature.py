"""A PDF signature on the signed report, with the reviewer's Ed25519 sign-off key (pyHanko, MIT).

Any PDF reader then shows whether the report was altered after signing. The certificate is self-signed for the
reviewer's key (common name = display name, with the OS account); trust comes from the review store's key
registry, not from a certificate authority: :func:`verify_pdf` checks that the signature is intact and that the
certificate's public key is one of the registered keys it is given.

pyHanko and asn1crypto are imported on first use.
"""

from __future__ import annotations

import datetime
import io
import warnings
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import NameOID

from gazex_viewer.core.errors import ExportError

#: the signature field the report's signature lives in
FIELD_NAME = "GazeXSignOff"


@dataclass(frozen=True)
class PdfSignatureStatus:
    """What :func:`verify_pdf` found."""

    signed: bool
    #: the signed bytes are unchanged (False: the PDF was altered after signing)
    intact: bool
    #: the certificate's key is one of the registered reviewer keys
    registered: bool
    signer: str | None
    #: the raw Ed25519 public key of the signature's certificate (hex)
    public_key_hex: str | None

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and self.registered

    def describe(self) -> str:
        if not self.signed:
            return "the PDF carries no signature"
        if not self.intact:
            return f"the PDF was altered after {self.signer or 'its signer'} signed it"
        if not self.registered:
            return f"signed by {self.signer or 'someone'} with a key that is not registered"
        return f"signed by {self.signer}, unaltered"


def reviewer_certificate(key: Ed25519PrivateKey, display_name: str, account: str | None = None) -> x509.Certificate:
    """A self-signed certificate for a reviewer's sign-off key (10 years, digital signature + non-repudiation)."""
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, (display_name or "reviewer")[:64])]
    if account:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, account[:64]))
    attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, "GazeX Viewer sign-off key"))
    name = x509.Name(attrs)
    now = datetime.datetime.now(datetime.UTC)
    usage = x509.KeyUsage(
        digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
        key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(usage, critical=True)
        .sign(key, None)
    )


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign_pdf(
    pdf: bytes,
    key: Ed25519PrivateKey,
    *,
    display_name: str,
    account: str | None = None,
    reason: str = "Final report signed in GazeX Viewer",
) -> bytes:
    """``pdf`` with an incremental-update signature by ``key`` (a PAdES-style CMS signature, Ed25519).

    Raises
    ------
    ExportError
        When the PDF cannot be read or signed.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyHanko imports cryptography's deprecated DSA
        from asn1crypto import keys as akeys
        from asn1crypto import x509 as ax509
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = reviewer_certificate(key, display_name, account)
    signer = signers.SimpleSigner(
        signing_cert=ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        signing_key=akeys.PrivateKeyInfo.load(
            key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        # certvalidator's from_certs is not annotated
        cert_registry=SimpleCertificateStore.from_certs([]),  # type: ignore[no-untyped-call]
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, reason=reason, name=display_name)
        out = signers.sign_pdf(writer, meta, signer=signer)
    except Exception as exc:  # noqa: BLE001 - pyHanko raises many kinds; one line for the user
        raise ExportError(None, f"cannot sign the PDF ({' '.join(str(exc).split())[:160]})") from None
    return bytes(out.getvalue())


def verify_pdf(pdf: bytes, registered: list[Ed25519PublicKey] | list[bytes]) -> PdfSignatureStatus:
    """Check the report's PDF signature: intact, and made with one of the ``registered`` reviewer keys."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.sign.validation import validate_pdf_signature
        from pyhanko_certvalidator import ValidationContext
    raw_keys = {k if isinstance(k, bytes) else _raw(k) for k in registered}
    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        sigs = [s for s in reader.embedded_signatures if s.field_name == FIELD_NAME]
    except Exception:  # noqa: BLE001 - an unreadable PDF has no usable signature
        return PdfSignatureStatus(False, False, False, None, None)
    if not sigs:
        return PdfSignatureStatus(False, False, False, None, None)
    sig = sigs[-1]
    cert = sig.signer_cert
    signer = cert.subject.native.get("common_name")
    public_hex = bytes(cert.public_key["public_key"].native).hex()
    try:
        status = validate_pdf_signature(sig, ValidationContext(trust_roots=[cert]))
        intact = bool(status.intact and status.valid)
    except Exception:  # noqa: BLE001
        intact = False
    # the signature must cover the whole file as it is: an update appended after signing (ENTIRE_REVISION) can
    # change what a reader shows, so it counts as an alteration
    covers_all = getattr(sig.coverage, "name", "") == "ENTIRE_FILE"
    return PdfSignatureStatus(
        True, intact and covers_all, bytes.fromhex(public_hex) in raw_keys, signer, public_hex
    )
