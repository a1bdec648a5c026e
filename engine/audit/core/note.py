"""C2SP signed notes with Ed25519 signatures, and tlog checkpoint bodies.

Implements https://c2sp.org/signed-note (Ed25519 signature type ``0x01``) and the
mandatory three-line body of https://c2sp.org/tlog-checkpoint. Depends only on the
standard library and ``cryptography`` so it can be copied into an offline verifier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteError",
    "key_id",
    "parse_verifier_key",
    "sign_note",
    "verifier_key_string",
    "verify_note",
]

ALG_ED25519 = 0x01
"""Signature type identifier byte for Ed25519 in the signed-note spec."""

MAX_SIGNATURES = 100
"""Maximum number of signature lines accepted in a note (the spec requires >= 16)."""

_SIG_PREFIX = "\u2014 "  # EM DASH, SPACE
_KEY_ID_SIZE = 4
_PUBLIC_KEY_SIZE = 32
_SIGNATURE_SIZE = 64
_ROOT_SIZE = 32
_MAX_TREE_SIZE = 2**64 - 1


class NoteError(ValueError):
    """A note, checkpoint body, key name or verifier key is malformed or invalid."""


def _b64decode_strict(text: str, what: str) -> bytes:
    """Decode canonical standard base64 (with padding) or raise NoteError."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_text(text: str, what: str) -> bytes:
    """Return the UTF-8 encoding of text, rejecting control characters except newline."""
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        raise NoteError(f"{what} is not valid UTF-8") from None
    for ch in text:
        if ch < " " and ch != "\n":
            raise NoteError(f"{what} contains control character U+{ord(ch):04X}")
    return encoded


def _check_key_name(key_name: str) -> None:
    if not isinstance(key_name, str) or not key_name:
        raise NoteError("key name must be a non-empty string")
    for ch in key_name:
        if ch.isspace() or ch == "+" or ch < " ":
            raise NoteError(f"key name {key_name!r} must not contain whitespace or '+'")


def _raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """Compute the 4-byte key ID of an Ed25519 note key.

    Args:
        key_name: The key name (validated).
        public_key: The Ed25519 public key.

    Returns:
        ``SHA-256(key_name || 0x0A || 0x01 || raw_public_key)[:4]``.

    Raises:
        NoteError: If the key name is invalid.
    """
    _check_key_name(key_name)
    material = key_name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + _raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


def sign_note(body: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign a note text with one Ed25519 key.

    Args:
        body: The note text; must end with a newline.
        key_name: Name of the signing key.
        private_key: The Ed25519 private key.

    Returns:
        ``body + "\\n" + "— <key_name> <base64(key_id || signature)>\\n"``.

    Raises:
        NoteError: If the body or key name is malformed.
    """
    if not isinstance(body, str) or not body.endswith("\n"):
        raise NoteError("note body must be a string ending with a newline")
    message = _check_text(body, "note body")
    kid = key_id(key_name, private_key.public_key())
    signature = private_key.sign(message)
    return f"{body}\n{_SIG_PREFIX}{key_name} {_b64encode(kid + signature)}\n"


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Split a signed note into its text and its (key name, decoded signature) lines."""
    if not isinstance(note, str):
        raise NoteError("note must be a string")
    _check_text(note, "note")
    sep = note.rfind("\n\n")
    if sep < 0:
        raise NoteError("note has no blank line separating text and signatures")
    text = note[: sep + 1]
    block = note[sep + 2 :]
    if not block:
        raise NoteError("note has no signature lines")
    if not block.endswith("\n"):
        raise NoteError("note signature block must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    signatures: list[tuple[str, bytes]] = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise NoteError("malformed signature line: must start with an em dash and a space")
        name, space, encoded = line[len(_SIG_PREFIX) :].partition(" ")
        if not space:
            raise NoteError("malformed signature line: missing signature")
        _check_key_name(name)
        raw = _b64decode_strict(encoded, "signature")
        if len(raw) <= _KEY_ID_SIZE:
            raise NoteError("malformed signature line: signature too short")
        signatures.append((name, raw))
    return text, signatures


def verify_note(note: str, key_name: str, public_key: Ed25519PublicKey) -> str:
    """Verify a signed note against one trusted Ed25519 key and return its text.

    Signature lines from other keys (different name or key ID) are ignored. If a
    signature line matches the trusted key's name and ID but does not verify, the
    whole note is rejected, as the spec recommends.

    Args:
        note: The complete signed note.
        key_name: Name of the trusted key.
        public_key: The trusted Ed25519 public key.

    Returns:
        The note text (body), including its final newline.

    Raises:
        NoteError: If the note is malformed or has no valid signature by the key.
    """
    kid = key_id(key_name, public_key)
    text, signatures = _split_note(note)
    message = text.encode("utf-8")
    verified = False
    for name, raw in signatures:
        if name != key_name or raw[:_KEY_ID_SIZE] != kid:
            continue
        signature = raw[_KEY_ID_SIZE:]
        if len(signature) != _SIGNATURE_SIZE:
            raise NoteError(f"signature by {key_name} has the wrong length")
        try:
            public_key.verify(signature, message)
        except InvalidSignature:
            raise NoteError(f"signature by {key_name} does not verify") from None
        verified = True
    if not verified:
        raise NoteError(f"note has no signature by key {key_name}")
    return text


def verifier_key_string(key_name: str, public_key: Ed25519PublicKey) -> str:
    """Encode a verifier key as ``<name>+<hex key ID>+<base64(0x01 || public key)>``.

    Args:
        key_name: The key name.
        public_key: The Ed25519 public key.

    Returns:
        The verifier key string.

    Raises:
        NoteError: If the key name is invalid.
    """
    kid = key_id(key_name, public_key)
    encoded = _b64encode(bytes([ALG_ED25519]) + _raw_public_key(public_key))
    return f"{key_name}+{kid.hex()}+{encoded}"


def parse_verifier_key(s: str) -> tuple[str, Ed25519PublicKey]:
    """Parse a verifier key string made by :func:`verifier_key_string`.

    Args:
        s: The verifier key string.

    Returns:
        The key name and the Ed25519 public key.

    Raises:
        NoteError: If the string is malformed, the algorithm is not Ed25519, or the
            key ID does not match the name and key.
    """
    if not isinstance(s, str):
        raise NoteError("verifier key must be a string")
    parts = s.split("+", 2)  # the base64 key itself may contain '+'
    if len(parts) != 3:
        raise NoteError("verifier key must have the form <name>+<key id>+<key>")
    name, kid_hex, encoded = parts
    _check_key_name(name)
    if len(kid_hex) != 2 * _KEY_ID_SIZE or any(c not in "0123456789abcdef" for c in kid_hex):
        raise NoteError("verifier key ID must be 8 lowercase hexadecimal digits")
    raw = _b64decode_strict(encoded, "verifier key")
    if not raw or raw[0] != ALG_ED25519:
        raise NoteError("verifier key algorithm is not Ed25519")
    if len(raw) != 1 + _PUBLIC_KEY_SIZE:
        raise NoteError("Ed25519 verifier key must be 32 bytes")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    except ValueError:
        raise NoteError("verifier key is not a valid Ed25519 public key") from None
    if key_id(name, public_key).hex() != kid_hex:
        raise NoteError("verifier key ID does not match the key name and public key")
    return name, public_key


@dataclass(frozen=True)
class Checkpoint:
    """A transparency log checkpoint body (origin, tree size, root hash).

    Only the three mandatory lines are supported; extension lines are rejected.
    """

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        """Validate the fields.

        Raises:
            NoteError: If a field is out of range or malformed.
        """
        if not isinstance(self.origin, str) or not self.origin.strip():
            raise NoteError("checkpoint origin must be non-empty")
        if any(ch < " " for ch in self.origin):
            raise NoteError("checkpoint origin must not contain newlines or control characters")
        if (
            not isinstance(self.size, int)
            or isinstance(self.size, bool)
            or not 0 <= self.size <= _MAX_TREE_SIZE
        ):
            raise NoteError("checkpoint size must be an integer between 0 and 2**64 - 1")
        if not isinstance(self.root, bytes) or len(self.root) != _ROOT_SIZE:
            raise NoteError(f"checkpoint root must be {_ROOT_SIZE} bytes")

    def body(self) -> str:
        """Return the note text: ``origin\\nsize\\nbase64(root)\\n``."""
        return f"{self.origin}\n{self.size}\n{_b64encode(self.root)}\n"

    @classmethod
    def parse_body(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text.

        Args:
            text: The note text, exactly three newline-terminated lines.

        Returns:
            The parsed checkpoint.

        Raises:
            NoteError: If the text is not a well-formed checkpoint body.
        """
        if not isinstance(text, str):
            raise NoteError("checkpoint body must be a string")
        if not text.endswith("\n"):
            raise NoteError("checkpoint body must end with a newline")
        _check_text(text, "checkpoint body")
        lines = text[:-1].split("\n")
        if len(lines) != 3:
            raise NoteError(f"checkpoint body must have exactly 3 lines, got {len(lines)}")
        origin, size_text, root_text = lines
        if not origin.strip():
            raise NoteError("checkpoint origin must be non-empty")
        if not size_text or not (size_text.isascii() and size_text.isdigit()):
            raise NoteError(f"checkpoint size {size_text!r} is not a decimal number")
        if len(size_text) > 1 and size_text[0] == "0":
            raise NoteError(f"checkpoint size {size_text!r} has leading zeros")
        if len(size_text) > len(str(_MAX_TREE_SIZE)) or int(size_text) > _MAX_TREE_SIZE:
            raise NoteError(f"checkpoint size {size_text!r} does not fit in 64 bits")
        root = _b64decode_strict(root_text, "checkpoint root hash")
        if len(root) != _ROOT_SIZE:
            raise NoteError(f"checkpoint root hash must be {_ROOT_SIZE} bytes, got {len(root)}")
        return cls(origin=origin, size=int(size_text), root=root)
