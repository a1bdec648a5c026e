"""The installation's document-signing identity: an RSA-3072 key and a self-signed X.509 certificate.

Why RSA and not the Ed25519 checkpoint key: pyHanko signs and validates Ed25519 PDF signatures
end to end, but common PDF readers (Adobe Acrobat/Reader among them) do not verify EdDSA
signatures, and one key per purpose keeps the checkpoint key's signatures (C2SP notes) apart
from CMS signatures over PDFs. RSA PKCS#1 v1.5 signatures are deterministic, so the same
document still gives the same bytes (ECDSA would not, without RFC 6979).

One file holds the private key and its certificate, so no reader ever sees a key without its
certificate: ``<key>-pdf.key`` beside the checkpoint key (mode 0600, created once, never
overwritten). ``<key>-pdf.crt`` is the certificate alone, to hand to the Dinas and to PDF
readers; it can always be written again from the key file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from engine.errors import ConfigurationError
from engine.settings import Settings

__all__ = [
    "DocumentIdentity",
    "create_identity",
    "installation_identity",
    "load_identity",
]

HEADER = b"# tatakelola document signing key and certificate: "
KEY_BITS = 3072
#: The signing time of a document is its own date (e.g. a SOP's effective date, or
#: SOURCE_DATE_EPOCH), which may lie before the installation existed: the certificate is
#: valid from the Unix epoch, and without an expiry date (RFC 5280 §4.1.2.5).
VALID_FROM = datetime(1970, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


@dataclass(frozen=True)
class DocumentIdentity:
    """The private key that signs issued PDFs and its certificate."""

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @property
    def certificate_der(self) -> bytes:
        """The certificate, DER-encoded (what the PDF signature embeds)."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def certificate_pem(self) -> bytes:
        """The certificate, PEM-encoded (the ``.crt`` file)."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def private_key_der(self) -> bytes:
        """The private key, PKCS#8 DER (for the signer)."""
        return self.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate (DER), hex: what ``doc verify`` prints and the database registers."""
        return hashlib.sha256(self.certificate_der).hexdigest()

    @property
    def common_name(self) -> str:
        """``Tatakelola — <key name>``."""
        return common_name(self.certificate)


def common_name(certificate: x509.Certificate) -> str:
    """The subject's common name (or the whole subject when it has none)."""
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = names[0].value if names else certificate.subject.rfc4514_string()
    return value.decode() if isinstance(value, bytes) else str(value)


def _certificate(key: rsa.RSAPrivateKey, key_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Tatakelola — {key_name}"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, key_name)])
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _write_new(path: Path, content: bytes, mode: int) -> None:
    """Write a file that did not exist, atomically: a temporary file beside it, then a hard link.

    Raises:
        FileExistsError: When ``path`` exists (it is never overwritten).
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        _write_exclusive(temporary, content, mode)
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system (FAT, some network drives): create it directly
            _write_exclusive(path, content, mode)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _write_exclusive(path: Path, content: bytes, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _write_certificate(identity: DocumentIdentity, cert_path: Path) -> None:
    """The public ``.crt`` copy, when it is missing (best effort: the key file is what counts)."""
    if cert_path.exists():
        return
    with contextlib.suppress(OSError):
        _write_new(cert_path, identity.certificate_pem, 0o644)


def create_identity(key_path: Path, cert_path: Path, key_name: str) -> DocumentIdentity:
    """Create the key file (private key and certificate, mode 0600) and the public certificate file.

    Raises:
        FileExistsError: When the key file exists (another process made it first): load it instead.
    """
    if key_path.exists():
        raise FileExistsError(key_path)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    identity = DocumentIdentity(key, _certificate(key, key_name))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    _write_new(key_path, HEADER + key_name.encode() + b"\n" + pem + identity.certificate_pem, 0o600)
    _write_certificate(identity, cert_path)
    return identity


def load_identity(key_path: Path) -> DocumentIdentity:
    """Read a key file written by :func:`create_identity`.

    Raises:
        ConfigurationError: When the file is not a Tatakelola document key, or its key and
            certificate do not belong together.
    """
    raw = key_path.read_bytes()
    if not raw.startswith(HEADER):
        raise ConfigurationError(f"{key_path} bukan berkas kunci tanda tangan dokumen Tatakelola.")
    try:
        key = serialization.load_pem_private_key(raw, password=None)
        certificate = x509.load_pem_x509_certificate(raw)
    except ValueError as exc:
        raise ConfigurationError(f"Berkas kunci tanda tangan dokumen {key_path} rusak ({exc}).") from None
    if not isinstance(key, rsa.RSAPrivateKey) or certificate.public_key() != key.public_key():
        raise ConfigurationError(f"Kunci dan sertifikat di {key_path} tidak sepasang.")
    return DocumentIdentity(key, certificate)


def installation_identity(settings: Settings) -> DocumentIdentity | None:
    """The installation's document-signing identity, created beside the checkpoint key on first use.

    None when there is no installation here (no checkpoint key: documents rendered on a machine
    where ``tatakelola init`` never ran), or when the files cannot be written: the document is
    then issued unsigned rather than not at all.
    """
    key_path, cert_path = settings.document_key_path, settings.document_cert_path
    if key_path.exists():
        identity = load_identity(key_path)
        _write_certificate(identity, cert_path)
        return identity
    if not settings.resolved_key_path.exists():
        return None
    try:
        return create_identity(key_path, cert_path, settings.key_name)
    except FileExistsError:  # made by another process a moment ago
        return load_identity(key_path)
    except OSError:  # a read-only directory: issue unsigned
        return None
