"""What every issued PDF carries as proof: entries, inclusion proofs, signed checkpoint, key.

The attachments are listed in ``manifest.json`` with their SHA-256; the manifest's own
SHA-256 is printed on the document, so every byte of every attachment is tied to the
paper. The footer prints the log size and root the proofs are checked against.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import rfc8785

from engine.adapters.render.pdf import EmbeddedFile
from engine.domain.definitions.loader import LoadedDefinition, definition_payload

__all__ = [
    "MANIFEST_FORMAT",
    "DefinitionEvidence",
    "Evidence",
    "LogEvidence",
    "ProvenEntry",
    "dump_json",
]

MANIFEST_FORMAT = "tatakelola-dokumen/1"
ENTRIES = "entries.jsonl"
PROOFS = "proofs.json"
CHECKPOINT = "checkpoint.txt"
KEY = "verifier-key.txt"
DEFINITION = "definition.json"
CONTENT = "content.json"
MANIFEST = "manifest.json"


def dump_json(value: Any) -> bytes:
    """The one JSON layout of the attachments (sorted keys, 2-space indent, final newline)."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ProvenEntry(Protocol):
    """An audit entry with its inclusion proof (``engine.audit.proofs.EntryProof``)."""

    @property
    def seq(self) -> int: ...
    @property
    def body(self) -> str: ...
    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class LogEvidence:
    """Entries of one cooperative's log proven against one signed checkpoint."""

    origin: str
    size: int
    root: str
    checkpoint: str
    verifier_key: str
    proofs: tuple[ProvenEntry, ...] = ()

    @property
    def seqs(self) -> list[int]:
        """Sequence numbers of the embedded entries."""
        return [p.seq for p in self.proofs]


@dataclass(frozen=True)
class DefinitionEvidence:
    """The workflow definition a SOP document was generated from."""

    ref: str
    sha256: str
    canonical: bytes

    @classmethod
    def of(cls, loaded: LoadedDefinition) -> DefinitionEvidence:
        """Canonical JSON (RFC 8785) of the definition; its SHA-256 is the definition hash."""
        payload = definition_payload(loaded.as_written)
        return cls(loaded.definition.ref, loaded.sha256, bytes(rfc8785.dumps(payload)))


@dataclass(frozen=True)
class Evidence:
    """Everything that identifies and proves one issued document."""

    number: str
    kind: str
    title: str
    coop: str | None
    subject: str | None = None
    log: LogEvidence | None = None
    definitions: tuple[DefinitionEvidence, ...] = ()
    #: What the page prints, as plain data (``content.json``); ``render_document`` fills it in.
    content: dict[str, Any] | None = None
    _files: list[EmbeddedFile] = field(default_factory=list, init=False, repr=False, compare=False)

    def _payloads(self) -> list[EmbeddedFile]:
        files: list[EmbeddedFile] = []
        if self.log is not None:
            bodies = "".join(p.body + "\n" for p in self.log.proofs).encode()
            files += [
                EmbeddedFile(ENTRIES, bodies, "Catatan jejak persetujuan (JSON kanonik RFC 8785, satu per baris)",
                             "Data"),
                EmbeddedFile(PROOFS, dump_json([p.to_json() for p in self.log.proofs]),
                             "Bukti inklusi RFC 6962 setiap catatan terhadap checkpoint", "Data"),
                EmbeddedFile(CHECKPOINT, self.log.checkpoint.encode(),
                             "Checkpoint log bertanda tangan Ed25519 (C2SP signed note)", "Data"),
                EmbeddedFile(KEY, (self.log.verifier_key + "\n").encode(),
                             "Kunci verifikasi penanda tangan checkpoint", "Data"),
            ]
        for name, item in self.definition_files():
            files.append(EmbeddedFile(name, item.canonical,
                                      f"Definisi prosedur {item.ref} (JSON kanonik); SHA-256-nya adalah sidik prosedur",
                                      "Source"))
        if self.content is not None:
            files.append(EmbeddedFile(CONTENT, dump_json(self.content),
                                      "Data yang tercetak pada dokumen: angka, nama, tanggal (JSON)", "Data"))
        return files

    def definition_files(self) -> list[tuple[str, DefinitionEvidence]]:
        """Attachment name of each definition: ``definition.json``, or one per procedure in a book."""
        if len(self.definitions) == 1:
            return [(DEFINITION, self.definitions[0])]
        return [(f"definition-{d.ref.split('@')[0]}.json", d) for d in self.definitions]

    def manifest(self) -> dict[str, Any]:
        """What the document is and the SHA-256 of each other attachment."""
        log = None
        if self.log is not None:
            log = {"origin": self.log.origin, "size": self.log.size, "root": self.log.root,
                   "entries": self.log.seqs}
        definitions = [{"file": name, "ref": d.ref, "sha256": d.sha256} for name, d in self.definition_files()]
        return {
            "format": MANIFEST_FORMAT, "number": self.number, "kind": self.kind, "title": self.title,
            "coop": self.coop, "subject": self.subject, "log": log, "definitions": definitions,
            "files": {f.name: _sha(f.content) for f in self._payloads()},
        }

    def files(self) -> list[EmbeddedFile]:
        """The attachments in order, manifest last."""
        if not self._files:
            payloads = self._payloads()
            manifest = EmbeddedFile(MANIFEST, dump_json(self.manifest()),
                                    "Daftar lampiran dan sidik SHA-256-nya", "Supplement")
            self._files.extend([*payloads, manifest])
        return list(self._files)

    @property
    def manifest_sha256(self) -> str:
        """SHA-256 of manifest.json, printed on the document."""
        return _sha(self.files()[-1].content)

    @property
    def trail_text(self) -> str:
        """``Jejak: 12 catatan, akar <32 hex>`` (or the definition fingerprint for a bare SOP)."""
        if self.log is not None:
            return f"Jejak: {self.log.size} catatan, akar {self.log.root[:32]}"
        if len(self.definitions) == 1:
            return f"Prosedur {self.definitions[0].ref}, sidik {self.definitions[0].sha256[:32]}"
        return "Tanpa jejak"

    @property
    def footer_prefix(self) -> str:
        """Footer text before the page number."""
        return f"Dokumen No. {self.number} · Halaman "

    @property
    def footer_suffix(self) -> str:
        """Footer text after the page count."""
        return f" · {self.trail_text}"

    @property
    def qr_text(self) -> str:
        """What the footer QR code encodes: the footer's number, log origin, size and full root."""
        parts = [f"Dokumen No. {self.number}"]
        if self.log is not None:
            parts.append(f"Jejak {self.log.origin}: {self.log.size} catatan, akar {self.log.root}")
        elif len(self.definitions) == 1:
            parts.append(f"Prosedur {self.definitions[0].ref}, sidik {self.definitions[0].sha256}")
        return " · ".join(parts)
