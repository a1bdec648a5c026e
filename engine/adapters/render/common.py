"""Pieces every document needs: the organisation block, document metadata, lookups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

__all__ = [
    "CATEGORY_LABELS",
    "KOP_SETTINGS",
    "DocMeta",
    "OrgInfo",
    "Signer",
    "file_name",
]

CATEGORY_LABELS = {"kelembagaan": "Kelembagaan", "usaha": "Usaha", "keuangan": "Keuangan",
                   "pengawasan": "Pengawasan"}


def file_name(number: str) -> str:
    """A safe file name for a document number: ``BA-KAS-2026-0001.pdf``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", number).strip("-") + ".pdf"


class _CoopLike(Protocol):
    slug: str
    name: str
    city: str | None
    kelurahan: str | None


#: Settings keys of the letterhead (kop): the legal-entity decree (SK AHU) and the street address.
KOP_SETTINGS = ("badan_hukum_nomor", "badan_hukum_tanggal", "alamat")


def _text_setting(settings: dict[str, Any] | None, key: str) -> str | None:
    value = (settings or {}).get(key)
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    return text or None


@dataclass(frozen=True)
class OrgInfo:
    """How the cooperative appears on paper."""

    slug: str | None
    name: str
    city: str | None
    kelurahan: str | None
    #: Nomor SK pengesahan badan hukum (AHU), its date (ISO or as written) and the street address.
    badan_hukum_nomor: str | None = None
    badan_hukum_tanggal: str | None = None
    alamat: str | None = None

    @property
    def legal(self) -> str:
        """``Badan Hukum Nomor AHU-0012345.AH.01.29.TAHUN 2025 tanggal 10 Juli 2025`` ("" when not set)."""
        if not self.badan_hukum_nomor:
            return ""
        text = f"Badan Hukum Nomor {self.badan_hukum_nomor}"
        if self.badan_hukum_tanggal:
            from engine.adapters.render.formatting import tanggal

            try:
                day = tanggal(self.badan_hukum_tanggal)
            except ValueError:
                day = self.badan_hukum_tanggal
            text += f" tanggal {day}"
        return text

    @property
    def address(self) -> str:
        """The kop's address line: the street address, with the place when the address does not name it."""
        if not self.alamat:
            return self.place if (self.kelurahan or self.city) else ""
        text = self.alamat.lower()
        missing = []
        if self.kelurahan and not re.search(rf"\b(kel\.?|kelurahan|desa)\s+{re.escape(self.kelurahan.lower())}", text):
            missing.append(f"Kelurahan {self.kelurahan}")
        if self.city and self.city.split()[-1].lower() not in text:
            missing.append(self.city)
        return ", ".join([self.alamat.rstrip(", "), *missing])

    @property
    def place(self) -> str:
        """``Kelurahan Sentanan, Kota Mojokerto``."""
        parts = [f"Kelurahan {self.kelurahan}" if self.kelurahan else None, self.city]
        return ", ".join(p for p in parts if p) or "Indonesia"

    @property
    def town(self) -> str:
        """The place name used in ``Mojokerto, 24 November 2026``."""
        city = self.city or self.kelurahan or "Indonesia"
        return re.sub(r"^(Kota|Kabupaten)\s+", "", city)

    @property
    def initials(self) -> str:
        """``KKMP`` from ``Koperasi Kelurahan Merah Putih Sentanan``."""
        words = [w for w in re.split(r"\s+", self.name) if w[:1].isupper()]
        letters = "".join(w[0] for w in words[:4])
        return letters or "KOP"

    @classmethod
    def of(cls, coop: _CoopLike | None) -> OrgInfo:
        """From a cooperative row (or a generic KKMP when there is none)."""
        if coop is None:
            return cls(None, "Koperasi Desa/Kelurahan Merah Putih", None, None)
        settings = getattr(coop, "settings", None)
        return cls(coop.slug, coop.name, coop.city, coop.kelurahan,
                   *(_text_setting(settings, key) for key in KOP_SETTINGS))


@dataclass(frozen=True)
class DocMeta:
    """Metadata printed in the page header/footer and written into the PDF."""

    number: str
    kind: str
    title: str
    subject: str
    author: str
    header: str
    when: datetime
    #: Rendered for a sandbox cooperative ("latihan"): every page is marked "LATIHAN — bukan dokumen resmi".
    training: bool = False

    @property
    def created(self) -> str:
        """W3C date-time for ``dcterms.created``."""
        return self.when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def filename(self) -> str:
        """Suggested file name."""
        return file_name(self.number)


@dataclass(frozen=True)
class Signer:
    """A signature block: caption, role, name (or blank line) and a small note."""

    role: str
    name: str | None = None
    meta: str | None = None
    caption: str | None = None


def setting_value_text(value: Any, label: str) -> str:
    """A cooperative setting as printed: Rupiah for amounts, ya/tidak, lists joined."""
    from engine.adapters.render.formatting import rupiah

    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, int) and "Rp" in label:
        return rupiah(value)
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)
