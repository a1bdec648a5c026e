"""The checkpoint-signing key: an Ed25519 private key in a file, its public key in the DB."""

from __future__ import annotations

import base64
import errno
import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.audit.core.note import verifier_key_string
from engine.errors import (
    ConfigurationError,
    EnvironmentFaultError,
    ReadOnlyStorageError,
    StorageFullError,
    TatakelolaError,
)

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
    """Create a new key file (mode 0600), atomically: written to a temporary file beside it, flushed to disk,
    then linked into place, so a failed write (disk full, read-only media) leaves no file, never an empty one.

    Refuses to overwrite an existing key; an empty file (left by an interrupted older version) holds no key
    and is replaced.
    """
    if path.exists() and not _empty(path):
        raise ConfigurationError(f"Berkas kunci {path} sudah ada; tidak ditimpa.")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    content = f"# tatakelola signing key: {name}\n".encode() + pem
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, content)
    except FileExistsError:
        raise ConfigurationError(f"Berkas kunci {path} sudah ada; tidak ditimpa.") from None
    except OSError as exc:
        raise _key_fault(exc, path) from None
    return Signer(name, key)


def _empty(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size == 0
    except OSError:
        return False


def _write_atomically(path: Path, content: bytes) -> None:
    """temp file (0600, same folder) -> write -> fsync -> link into place (never over a key) -> fsync folder."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if _empty(path):
            os.replace(temp, path)  # an empty file holds no key: replacing it loses nothing
        else:
            _link_or_replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself is on disk
    finally:
        os.close(folder)


def _link_or_replace(temp: Path, path: Path) -> None:
    """Put ``temp`` at ``path``: a hard link (atomic, and FileExistsError if a key appeared meanwhile), or on a
    file system without hard links a rename after checking again."""
    try:
        os.link(temp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
            raise
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(temp, path)


def _key_fault(exc: OSError, path: Path) -> TatakelolaError:
    """A failed key write as a named error of the environment (the file is not left behind)."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StorageFullError(f"Ruang disk penuh: berkas kunci {path} tidak dapat ditulis (tidak ada berkas yang "
                                "tertinggal). Kosongkan ruang disk, lalu jalankan `tatakelola init` lagi.",
                                fault="disk_full")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return ReadOnlyStorageError(f"Berkas kunci {path} tidak dapat ditulis: folder atau media dilindungi dari "
                                    "penulisan, atau tidak ada izin. Pilih lokasi lain dengan --key / "
                                    "TATAKELOLA_KEY.", fault="read_only")
    return EnvironmentFaultError(f"Berkas kunci {path} tidak dapat ditulis (galat sistem berkas {exc.errno}); "
                                 "tidak ada berkas yang tertinggal.", fault="io")


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
