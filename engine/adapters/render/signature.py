"""PDF signatures (PAdES) with pyHanko: sign an issued PDF, check a PDF's signature. No database.

Signing appends an incremental update to the PDF/A-3b file WeasyPrint wrote: a signature
field (invisible, printable widget), the signature dictionary, and a certification (DocMDP:
no changes allowed). The signature covers every byte of the file except its own ``/Contents``.

Same input, same bytes: the signing time is the document's own date (not the clock), RSA
PKCS#1 v1.5 has no randomness, the PAdES signature carries no signing-time attribute, the
second half of the trailer ``/ID`` is derived from the unsigned file instead of random, and
the document metadata (``/Info``, XMP) is left exactly as WeasyPrint wrote it instead of being
stamped with the wall clock and pyHanko's name. This reaches into pyHanko (the writer's
``_document_id`` and ``_update_meta``, the signing session's ``system_time``);
``tests/integration/documents/test_signature.py`` fails if that stops working.

pyHanko takes most of a second to import, so it is imported on first use.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import io
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from engine.adapters.render.identity import DocumentIdentity
from engine.adapters.render.issue import IssuedPdf

if TYPE_CHECKING:
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

__all__ = ["FIELD_NAME", "SignatureCheck", "check_signature", "sign_issued", "sign_pdf"]

#: The signature field's name.
FIELD_NAME = "Tatakelola"

# pyHanko and its certificate validator log validation problems with tracebacks; the verifier
# reports them itself, in Indonesian. A NullHandler keeps them off stderr when the application
# configured no logging, without hiding them from an application that did.
for _name in ("pyhanko", "pyhanko_certvalidator"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

T = TypeVar("T")


def _off_the_loop(function: Callable[[], T]) -> T:
    """Run pyHanko's synchronous API (which calls ``asyncio.run``), also from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function).result()


@functools.cache
def _pyhanko() -> tuple[type[Any], type[Any], type[Any]]:
    """The writer and signer classes pinned to the document's own time (built once pyHanko is imported)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.signers.pdf_cms import SimpleSigner
    from pyhanko.sign.signers.pdf_signer import PdfSigner, PdfSigningSession

    class Writer(IncrementalPdfFileWriter):
        """Leaves ``/Info`` and the XMP metadata as they are: no wall-clock ``ModDate``, PDF/A stays consistent."""

        def _update_meta(self) -> None:
            return None

    class Signer(PdfSigner):
        """Signs at a given moment instead of the clock's (``/M`` of the signature dictionary)."""

        def __init__(self, *args: Any, when: datetime, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.when = when

        def init_signing_session(self, pdf_out: Any, existing_fields_only: bool = False) -> PdfSigningSession:
            session = super().init_signing_session(pdf_out, existing_fields_only=existing_fields_only)
            session.system_time = self.when
            return session

    class KeySigner(SimpleSigner):
        """Signs with the key already loaded: pyHanko's SimpleSigner parses (and so re-validates) the
        RSA key for every signature, which costs about 0.1 s each time (twice per document)."""

        def __init__(self, *args: Any, key: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.key = key

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            if mechanism.signature_algo == "rsassa_pkcs1v15" and digest_algorithm == "sha256":
                signature = self.key.sign(data, PKCS1v15(), hashes.SHA256())
                assert isinstance(signature, bytes)
                return signature
            result = super().sign_raw(data, digest_algorithm)
            assert isinstance(result, bytes)
            return result

    return Writer, Signer, KeySigner


def sign_pdf(data: bytes, identity: DocumentIdentity, *, when: datetime, reason: str) -> bytes:
    """Sign ``data`` (a PDF) as a certification signature by ``identity``, at ``when``; same input, same bytes."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils import generic
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    writer_class, signer_class, key_signer_class = _pyhanko()
    writer = writer_class(io.BytesIO(data))
    first_id = writer.document_id[0]
    writer._document_id = generic.ArrayObject([  # deterministic, instead of os.urandom(16)
        generic.ByteStringObject(first_id), generic.ByteStringObject(hashlib.sha256(data).digest()[:16])])
    signer = key_signer_class(
        signing_cert=asn1_x509.Certificate.load(identity.certificate_der),
        signing_key=asn1_keys.PrivateKeyInfo.load(identity.private_key_der),
        cert_registry=SimpleCertificateStore(), key=identity.private_key)  # type: ignore[no-untyped-call]
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        certify=True, docmdp_permissions=fields.MDPPerm.NO_CHANGES, reason=reason, name=identity.common_name)
    pdf_signer = signer_class(meta, signer, when=when)
    output = _off_the_loop(lambda: pdf_signer.sign_pdf(writer))
    signed = output.getvalue()
    assert isinstance(signed, bytes)
    return signed


def sign_issued(issued: IssuedPdf, identity: DocumentIdentity) -> IssuedPdf:
    """The issued document signed by the installation, at the document's own date."""
    if issued.when is None:
        raise ValueError("an issued document without its date cannot be signed deterministically")
    data = sign_pdf(issued.data, identity, when=issued.when,
                    reason=f"Dokumen {issued.number} diterbitkan Tatakelola")
    return replace(issued, data=data, signed_by=identity.common_name)


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's signature says about the file (all False/None when it has none)."""

    count: int = 0
    intact: bool = False
    valid: bool = False
    whole_file: bool = False
    trailing: int = 0
    signer: str | None = None
    fingerprint: str | None = None
    signed_at: datetime | None = None
    error: str | None = None

    @property
    def present(self) -> bool:
        """The file carries a signature (readable or not)."""
        return self.count > 0 or self.error is not None

    @property
    def ok(self) -> bool:
        """One signature, cryptographically valid, over every byte of the file."""
        return self.count == 1 and self.error is None and self.intact and self.valid and self.whole_file


def _signer_name(signature: EmbeddedPdfSignature) -> str:
    subject = signature.signer_cert.subject.native
    return str(subject.get("common_name") or signature.signer_cert.subject.human_friendly)


def _check(data: bytes) -> SignatureCheck:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # a damaged file: pyHanko cannot even find the signatures
        return SignatureCheck(error=type(exc).__name__) if b"/ByteRange" in data else SignatureCheck()
    if not signatures:
        return SignatureCheck()
    first = signatures[0]
    try:
        certificate = first.signer_cert
        fingerprint = hashlib.sha256(certificate.dump()).hexdigest()
        name = _signer_name(first)
        # Offline there is nothing to trust the self-signed certificate against: it is its own root,
        # so what is checked is the signature itself; whose certificate it is, the caller compares.
        context = ValidationContext(trust_roots=[certificate], allow_fetching=False)
        status = validate_pdf_signature(first, context, skip_diff=True)
        byte_range = [int(x) for x in first.byte_range]
    except Exception as exc:  # a signature that does not parse: changed or not a CMS signature at all
        return SignatureCheck(count=len(signatures), error=type(exc).__name__)
    end = byte_range[2] + byte_range[3] if len(byte_range) == 4 else 0
    return SignatureCheck(
        count=len(signatures), intact=bool(status.intact), valid=bool(status.valid),
        whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE and end == len(data),
        trailing=max(0, len(data) - end), signer=name, fingerprint=fingerprint,
        signed_at=first.self_reported_timestamp)


def check_signature(data: bytes) -> SignatureCheck:
    """Check the PDF signature of ``data``: present, valid, covering the whole file; who signed it."""
    return _off_the_loop(lambda: _check(data))
