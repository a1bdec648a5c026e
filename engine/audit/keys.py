"""The checkpoint-signing key: an Ed25519 private key in a file, its public key in the DB."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.audit.core.note import verifier_key_string
from engine.errors import ConfigurationError

__all__ = ["Signer", "create_key_file", "load_signer", "public_key_b64", "public_key_from_b64"]


@dataclass(frozen=True)
class Signer:
    """A loaded signing key and the name it signs under."""

    name: str
    private_key: Ed25519PrivateKey

    @cached_property
    def public_key(self) -> Ed25519PublicKey:
        """The matching public key."""
        return self.private_key.public_key()

    @cached_property
    def public_b64(self) -> str:
        """Raw public key, base64."""
        return public_key_b64(self.public_key)

    @property
    def verifier_key(self) -> str:
        """The C2SP verifier key string (``name+keyid+key``) to give the pengawas."""
        return verifier_key_string(self.name, self.public_key)


def public_key_b64(public_key: Ed25519PublicKey) -> str:
    """Raw 32-byte public key as base64."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Inverse of public_key_b64."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text))


def create_key_file(path: Path, name: str) -> Signer:
    """Create a new key file (mode 0600). Refuses to overwrite an existing one."""
    if path.exists():
        raise ConfigurationError(f"Berkas kunci {path} sudah ada; tidak ditimpa.")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(f"# tatakelola signing key: {name}\n".encode() + pem)
    return Signer(name, key)


def load_signer(path: Path) -> Signer:
    """Load the key file written by create_key_file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(
            f"Kunci penanda tangan {path} tidak ditemukan. Jalankan `tatakelola init` "
            "atau tunjukkan lokasinya dengan --key / TATAKELOLA_KEY."
        ) from None
    first, _, pem = raw.partition(b"\n")
    prefix = b"# tatakelola signing key: "
    if not first.startswith(prefix):
        raise ConfigurationError(f"{path} bukan berkas kunci Tatakelola.")
    name = first[len(prefix):].decode().strip()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path} bukan kunci Ed25519.")
    return Signer(name, key)
