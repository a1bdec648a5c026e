"""Tests for C2SP signed notes and tlog checkpoint bodies."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from engine.audit.core.note import (
    Checkpoint,
    NoteError,
    key_id,
    parse_verifier_key,
    sign_note,
    verifier_key_string,
    verify_note,
)

KEY_NAME = "example.com/koperasi-log"
# Fixed seed so that layout assertions are reproducible.
PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEY = PRIVATE_KEY.public_key()
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
ROOT = hashlib.sha256(b"root").digest()
EM_DASH = "\u2014"


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _checkpoint_body() -> str:
    return Checkpoint(origin=KEY_NAME, size=1234, root=ROOT).body()


def _signature_line(note: str) -> str:
    return note.rsplit("\n\n", 1)[1]


# --- signing and verification ---------------------------------------------------------


# Interoperability vectors: golang.org/x/mod/sumdb/note note_test.go (PeterNeumann,
# EnochRoot) and the example of the C2SP signed-note specification (example.com/foo).
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VERIFIER_KEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    f"{EM_DASH} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1F"
    "FYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    f"{EM_DASH} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5o"
    "vTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
SPEC_VERIFIER_KEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    f"{EM_DASH} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZX"
    "sYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def _go_private_key() -> Ed25519PrivateKey:
    # PRIVATE+KEY+<name>+<id>+base64(0x01 || 32-byte seed); the base64 contains a '+'.
    raw = base64.b64decode(GO_SIGNER_KEY.split("+", 4)[4])
    assert raw[0] == 1
    return Ed25519PrivateKey.from_private_bytes(raw[1:])


def test_signing_reproduces_the_go_sumdb_note_vector_byte_for_byte() -> None:
    note = sign_note(GO_TEXT, "PeterNeumann", _go_private_key())
    assert note == GO_TEXT + "\n" + PETER_SIG


def test_go_verifier_keys_parse_and_re_encode_identically() -> None:
    for vkey in (GO_VERIFIER_KEY, ENOCH_VERIFIER_KEY, SPEC_VERIFIER_KEY):
        name, public_key = parse_verifier_key(vkey)
        assert verifier_key_string(name, public_key) == vkey
    name, public_key = parse_verifier_key(GO_VERIFIER_KEY)
    assert _raw(public_key) == _raw(_go_private_key().public_key())


def test_go_notes_with_one_or_two_signatures_verify() -> None:
    peter = parse_verifier_key(GO_VERIFIER_KEY)
    enoch = parse_verifier_key(ENOCH_VERIFIER_KEY)
    assert verify_note(GO_TEXT + "\n" + PETER_SIG, *peter) == GO_TEXT
    both = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert verify_note(both, *peter) == GO_TEXT
    assert verify_note(both, *enoch) == GO_TEXT
    with pytest.raises(NoteError):
        verify_note(GO_TEXT + "\n" + PETER_SIG, *enoch)
    with pytest.raises(NoteError):
        verify_note(both.replace("cryptography", "cryptographY"), *peter)


def test_the_signed_note_specification_example_verifies() -> None:
    name, public_key = parse_verifier_key(SPEC_VERIFIER_KEY)
    assert verify_note(SPEC_NOTE, name, public_key) == "This is an example message.\n"


def test_signed_note_round_trips_through_verify_note() -> None:
    body = _checkpoint_body()
    note = sign_note(body, KEY_NAME, PRIVATE_KEY)
    assert verify_note(note, KEY_NAME, PUBLIC_KEY) == body
    assert Checkpoint.parse_body(verify_note(note, KEY_NAME, PUBLIC_KEY)).size == 1234


def test_signed_note_has_the_exact_c2sp_layout() -> None:
    body = _checkpoint_body()
    note = sign_note(body, KEY_NAME, PRIVATE_KEY)
    assert note.startswith(body + "\n" + EM_DASH + " " + KEY_NAME + " ")
    assert note.endswith("\n")
    assert not note.endswith("\n\n")
    sig_line = note[len(body) + 1 :]
    assert sig_line.count("\n") == 1
    dash, name, encoded = sig_line[:-1].split(" ")
    assert dash == "\u2014"
    assert name == KEY_NAME
    raw = base64.b64decode(encoded, validate=True)
    assert len(raw) == 4 + 64
    assert raw[:4] == key_id(KEY_NAME, PUBLIC_KEY)
    PUBLIC_KEY.verify(raw[4:], body.encode("utf-8"))  # signature is over the body text


def test_signature_is_deterministic_ed25519_over_the_utf8_body() -> None:
    body = "héllo wörld\n\nsecond paragraph\n"
    note = sign_note(body, KEY_NAME, PRIVATE_KEY)
    expected = PRIVATE_KEY.sign(body.encode("utf-8"))
    encoded = _signature_line(note).split(" ")[2].rstrip("\n")
    assert base64.b64decode(encoded)[4:] == expected
    assert verify_note(note, KEY_NAME, PUBLIC_KEY) == body


def test_body_that_itself_contains_blank_lines_is_split_at_the_last_blank_line() -> None:
    for body in ("a\n\nb\n", "a\n\n", "\n", "a\n\n\n"):
        note = sign_note(body, KEY_NAME, PRIVATE_KEY)
        assert verify_note(note, KEY_NAME, PUBLIC_KEY) == body


def test_key_id_matches_the_spec_formula() -> None:
    material = KEY_NAME.encode() + b"\x0a" + b"\x01" + _raw(PUBLIC_KEY)
    assert key_id(KEY_NAME, PUBLIC_KEY) == hashlib.sha256(material).digest()[:4]
    assert len(key_id(KEY_NAME, PUBLIC_KEY)) == 4
    assert key_id("other.example/log", PUBLIC_KEY) != key_id(KEY_NAME, PUBLIC_KEY)


def test_tampering_with_one_character_of_the_body_is_rejected() -> None:
    body = _checkpoint_body()
    note = sign_note(body, KEY_NAME, PRIVATE_KEY)
    for pos in range(len(body) - 1):  # every position except the final newline
        ch = body[pos]
        replacement = "X" if ch != "X" else "Y"
        if ch == "\n":
            continue
        tampered = note[:pos] + replacement + note[pos + 1 :]
        with pytest.raises(NoteError):
            verify_note(tampered, KEY_NAME, PUBLIC_KEY)


def test_tampered_signature_is_rejected() -> None:
    note = sign_note(_checkpoint_body(), KEY_NAME, PRIVATE_KEY)
    head, sig_line = note.rsplit("\n\n", 1)
    encoded = sig_line.split(" ")[2].rstrip("\n")
    raw = bytearray(base64.b64decode(encoded))
    for pos in (4, 30, len(raw) - 1):  # inside the Ed25519 signature proper
        bad = bytearray(raw)
        bad[pos] ^= 0x01
        bad_line = f"{EM_DASH} {KEY_NAME} {base64.b64encode(bytes(bad)).decode()}\n"
        with pytest.raises(NoteError, match="does not verify"):
            verify_note(head + "\n\n" + bad_line, KEY_NAME, PUBLIC_KEY)


def test_signature_by_a_different_key_is_rejected() -> None:
    note = sign_note(_checkpoint_body(), KEY_NAME, OTHER_KEY)
    with pytest.raises(NoteError, match="no signature"):
        verify_note(note, KEY_NAME, PUBLIC_KEY)


def test_signature_under_a_different_key_name_is_rejected() -> None:
    note = sign_note(_checkpoint_body(), "someone.else/log", PRIVATE_KEY)
    with pytest.raises(NoteError, match="no signature"):
        verify_note(note, KEY_NAME, PUBLIC_KEY)


def test_renaming_the_key_in_the_signature_line_is_rejected() -> None:
    note = sign_note(_checkpoint_body(), KEY_NAME, PRIVATE_KEY)
    renamed = note.replace(f"{EM_DASH} {KEY_NAME} ", f"{EM_DASH} {KEY_NAME}x ")
    with pytest.raises(NoteError):
        verify_note(renamed, KEY_NAME, PUBLIC_KEY)
    with pytest.raises(NoteError):
        verify_note(renamed, KEY_NAME + "x", PUBLIC_KEY)


def test_signatures_from_other_keys_are_ignored_when_ours_verifies() -> None:
    body = _checkpoint_body()
    ours = sign_note(body, KEY_NAME, PRIVATE_KEY)
    theirs = sign_note(body, "witness.example/w1", OTHER_KEY)
    combined = theirs + _signature_line(ours)
    assert verify_note(combined, KEY_NAME, PUBLIC_KEY) == body
    assert verify_note(combined, "witness.example/w1", OTHER_KEY.public_key()) == body
    # An unknown key whose name collides with ours (but not its key ID) is also ignored.
    impostor = _signature_line(sign_note(body, KEY_NAME, OTHER_KEY))
    assert verify_note(combined + impostor, KEY_NAME, PUBLIC_KEY) == body


def test_note_without_any_signature_of_ours_is_rejected() -> None:
    body = _checkpoint_body()
    theirs = sign_note(body, "witness.example/w1", OTHER_KEY)
    with pytest.raises(NoteError, match="no signature"):
        verify_note(theirs, KEY_NAME, PUBLIC_KEY)


@pytest.mark.parametrize(
    "note",
    [
        "",
        "no signatures at all\n",
        "body\n\n",
        "body\n\nnot a signature line\n",
        "body\n\n- name AAAAAAAA\n",
        f"body\n\n{EM_DASH} name\n",
        f"body\n\n{EM_DASH} name AAAA\n",
        f"body\n\n{EM_DASH} name !!!notbase64!!!\n",
        f"body\n\n{EM_DASH} name AAAAAAAA",
        f"body\n\n{EM_DASH}  AAAAAAAA\n",
        f"body\twith tab\n\n{EM_DASH} name AAAAAAAA\n",
        f"body\r\n\n{EM_DASH} name AAAAAAAA\n",
    ],
)
def test_malformed_notes_are_rejected_with_note_error(note: str) -> None:
    with pytest.raises(NoteError):
        verify_note(note, KEY_NAME, PUBLIC_KEY)


def test_note_with_a_trailing_blank_line_after_the_signature_is_rejected() -> None:
    note = sign_note(_checkpoint_body(), KEY_NAME, PRIVATE_KEY)
    with pytest.raises(NoteError):
        verify_note(note + "\n", KEY_NAME, PUBLIC_KEY)


def test_note_with_too_many_signature_lines_is_rejected() -> None:
    body = _checkpoint_body()
    line = _signature_line(sign_note(body, "witness.example/w1", OTHER_KEY))
    ours = _signature_line(sign_note(body, KEY_NAME, PRIVATE_KEY))
    assert verify_note(body + "\n" + line * 15 + ours, KEY_NAME, PUBLIC_KEY) == body
    with pytest.raises(NoteError, match="more than"):
        verify_note(body + "\n" + line * 100 + ours, KEY_NAME, PUBLIC_KEY)


@pytest.mark.parametrize("body", ["no final newline", "", "tab\there\n", "nul\x00\n"])
def test_sign_note_rejects_a_malformed_body(body: str) -> None:
    with pytest.raises(NoteError):
        sign_note(body, KEY_NAME, PRIVATE_KEY)


@pytest.mark.parametrize("name", ["", "has space", "plus+sign", "tab\tname", "nbsp\u00a0name"])
def test_invalid_key_names_are_rejected_everywhere(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        sign_note("body\n", name, PRIVATE_KEY)
    with pytest.raises(NoteError, match="key name"):
        verify_note("body\n\n" + EM_DASH + " x AAAAAAAA\n", name, PUBLIC_KEY)
    with pytest.raises(NoteError, match="key name"):
        verifier_key_string(name, PUBLIC_KEY)
    with pytest.raises(NoteError, match="key name"):
        key_id(name, PUBLIC_KEY)


# --- verifier keys --------------------------------------------------------------------


def test_verifier_key_string_has_name_key_id_and_algorithm_prefixed_key() -> None:
    vkey = verifier_key_string(KEY_NAME, PUBLIC_KEY)
    name, kid_hex, encoded = vkey.split("+", 2)
    assert name == KEY_NAME
    assert kid_hex == key_id(KEY_NAME, PUBLIC_KEY).hex()
    assert len(kid_hex) == 8
    assert base64.b64decode(encoded) == b"\x01" + _raw(PUBLIC_KEY)


def test_verifier_key_string_round_trips() -> None:
    vkey = verifier_key_string(KEY_NAME, PUBLIC_KEY)
    assert vkey.count("+") > 2  # this key's base64 contains '+', exercising the split
    name, public_key = parse_verifier_key(vkey)
    assert name == KEY_NAME
    assert _raw(public_key) == _raw(PUBLIC_KEY)
    note = sign_note(_checkpoint_body(), KEY_NAME, PRIVATE_KEY)
    assert verify_note(note, name, public_key) == _checkpoint_body()


def test_parse_verifier_key_rejects_malformed_strings() -> None:
    vkey = verifier_key_string(KEY_NAME, PUBLIC_KEY)
    name, kid_hex, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    wrong_alg = base64.b64encode(b"\x02" + raw[1:]).decode()
    short_key = base64.b64encode(raw[:-1]).decode()
    wrong_kid = f"{int(kid_hex, 16) ^ 1:08x}"
    bad = [
        "",
        f"{name}+{kid_hex}",
        f"{name}+{kid_hex}+{encoded}+extra",
        f"{name}+{kid_hex}+{encoded}AAAA",
        f"+{kid_hex}+{encoded}",
        f"{name}+{kid_hex[:-1]}+{encoded}",
        f"{name}+{kid_hex.upper()}+{encoded}" if kid_hex.upper() != kid_hex else "x",
        f"{name}+{wrong_kid}+{encoded}",
        f"{name}+{kid_hex}+{wrong_alg}",
        f"{name}+{kid_hex}+{short_key}",
        f"{name}+{kid_hex}+not-base64",
        f"other.example/log+{kid_hex}+{encoded}",
    ]
    for text in bad:
        with pytest.raises(NoteError):
            parse_verifier_key(text)


# --- checkpoint bodies ----------------------------------------------------------------


def test_checkpoint_body_has_the_tlog_checkpoint_layout() -> None:
    cp = Checkpoint(origin="example.com/log", size=20852163, root=ROOT)
    assert cp.body() == (
        "example.com/log\n20852163\n" + base64.b64encode(ROOT).decode("ascii") + "\n"
    )


def test_checkpoint_body_round_trips_through_parse_body() -> None:
    for size in (0, 1, 9, 10, 20852163, 2**64 - 1):
        cp = Checkpoint(origin="example.com/log", size=size, root=ROOT)
        assert Checkpoint.parse_body(cp.body()) == cp


def test_spec_example_checkpoint_body_parses() -> None:
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    cp = Checkpoint.parse_body(text)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert len(cp.root) == 32
    assert cp.body() == text


_ROOT_B64 = base64.b64encode(ROOT).decode("ascii")
_URLSAFE_B64 = base64.urlsafe_b64encode(b"\xff" * 32).decode("ascii")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"log\n5\n{_ROOT_B64}", "end with a newline"),
        (f"log\n5\n{_ROOT_B64}\nextension\n", "exactly 3 lines"),
        (f"log\n5\n{_ROOT_B64}\n\n", "exactly 3 lines"),
        ("log\n5\n", "exactly 3 lines"),
        ("\n", "exactly 3 lines"),
        (f"\n5\n{_ROOT_B64}\n", "origin must be non-empty"),
        (f"   \n5\n{_ROOT_B64}\n", "origin must be non-empty"),
        (f"log\n\n{_ROOT_B64}\n", "not a decimal"),
        (f"log\nfive\n{_ROOT_B64}\n", "not a decimal"),
        (f"log\n-5\n{_ROOT_B64}\n", "not a decimal"),
        (f"log\n+5\n{_ROOT_B64}\n", "not a decimal"),
        (f"log\n 5\n{_ROOT_B64}\n", "not a decimal"),
        (f"log\n5.0\n{_ROOT_B64}\n", "not a decimal"),
        (f"log\n\u0665\n{_ROOT_B64}\n", "not a decimal"),
        (f"log\n05\n{_ROOT_B64}\n", "leading zeros"),
        (f"log\n00\n{_ROOT_B64}\n", "leading zeros"),
        (f"log\n{2**64}\n{_ROOT_B64}\n", "64 bits"),
        (f"log\n{'9' * 5000}\n{_ROOT_B64}\n", "64 bits"),
        ("log\n5\nnot base64!\n", "not valid base64"),
        (f"log\n5\n{_ROOT_B64.rstrip('=')}\n", "not valid base64"),
        (f"log\n5\n{_URLSAFE_B64}\n", "not valid base64"),
        (f"log\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", "must be 32 bytes"),
        (f"log\n5\n{base64.b64encode(ROOT + b'x').decode()}\n", "must be 32 bytes"),
        (f"log\tx\n5\n{_ROOT_B64}\n", "control character"),
    ],
)
def test_malformed_checkpoint_bodies_raise_note_error(text: str, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        Checkpoint.parse_body(text)


def test_non_canonical_base64_root_is_rejected() -> None:
    # Same bytes, but with non-zero padding bits in the last character.
    canonical = _ROOT_B64
    last = canonical[-2]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    variant = canonical[:-2] + alphabet[alphabet.index(last) ^ 1] + "="
    assert base64.b64decode(variant) == base64.b64decode(canonical)
    with pytest.raises(NoteError, match="canonical"):
        Checkpoint.parse_body(f"log\n5\n{variant}\n")


def test_checkpoint_constructor_validates_its_fields() -> None:
    with pytest.raises(NoteError):
        Checkpoint(origin="", size=1, root=ROOT)
    with pytest.raises(NoteError):
        Checkpoint(origin="a\nb", size=1, root=ROOT)
    with pytest.raises(NoteError):
        Checkpoint(origin="log", size=-1, root=ROOT)
    with pytest.raises(NoteError):
        Checkpoint(origin="log", size=2**64, root=ROOT)
    with pytest.raises(NoteError):
        Checkpoint(origin="log", size=1, root=ROOT[:31])


def test_note_error_is_a_value_error() -> None:
    assert issubclass(NoteError, ValueError)
