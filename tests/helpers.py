"""Small helpers to drive the shipped workflows in tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from engine.services import Services

COOP = "kkmp-sentanan"
KAS_DRAFT_CHECKS = ["nota_terlampir", "pos_sesuai"]
KAS_VERIFY_CHECKS = ["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"]
KAS_PAY_CHECKS = ["kuitansi_ditandatangani", "dicatat_bku"]


def start_kas(services: Services, amount: int | str, nota: Path, *, by: str = "fajar",
              pos: str = "Alat tulis kantor") -> str:
    """Start a pengeluaran kas case and return its number."""
    view = services.start_case("pengeluaran_kas", COOP, by, values={
        "keperluan": "Pembelian keperluan gerai", "jumlah": str(amount), "pos_rapb": pos,
        "penerima": "Toko Maju"}, files={"nota": nota})
    return view.summary.number


def submitted_kas(services: Services, amount: int | str, nota: Path, *, by: str = "fajar") -> str:
    """A pengeluaran kas case submitted and waiting for the bendahara."""
    number = start_kas(services, amount, nota, by=by)
    services.act(number, "ajukan", by, checks=KAS_DRAFT_CHECKS)
    return number


def tiny_png() -> bytes:
    """A real 1x1 greyscale PNG (signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def tiny_pdf(text: str = "NOTA No. 118 — Toko Maju — Rp 360.000") -> bytes:
    """A real one-page PDF with a line of text (drawn by WeasyPrint, as the documents are)."""
    from weasyprint import HTML

    return bytes(HTML(string=f"<h1 style='font-size:28pt'>{text}</h1>").write_pdf())


def sentanan_org(tmp_path: Path, extra_settings: str = "", roles: str = "") -> Path:
    """Sentanan's organisation file with its usual settings, plus ``extra_settings`` (", key: value") and
    ``roles`` (a YAML flow list's items), for a test that changes one thing."""
    path = tmp_path / "org-update.yaml"
    path.write_text(
        "people: [{username: sri, name: Sri Handayani}]\ncooperatives:\n"
        "  - slug: kkmp-sentanan\n    name: Koperasi Kelurahan Merah Putih Sentanan\n"
        "    city: Kota Mojokerto\n    kelurahan: Sentanan\n"
        "    settings: {batas_manajer: 500000, batas_ketua: 5000000, kuorum_pengawas: 2,"
        " kuorum_keputusan_pengurus: 3, simpanan_pokok: 100000, kelurahan: Sentanan,"
        " pos_rapb: [Pembelian barang dagangan sembako, Biaya operasional gerai, Biaya rapat dan RAT,"
        " Honorarium pengurus dan pengawas, Alat tulis kantor, Transportasi dan distribusi,"
        f" Pemeliharaan sarana]{extra_settings}}}\n" + (f"    roles: [{roles}]\n" if roles else ""),
        encoding="utf-8")
    return path
