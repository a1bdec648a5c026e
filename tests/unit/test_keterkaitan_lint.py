"""``sop.keterkaitan`` entries that cite an SOP number must name a procedure that is loaded."""

from __future__ import annotations

import pytest

from engine.domain.definitions import load_definition_text
from engine.domain.definitions.lint import cited_sop_number, lint_many, lint_references
from tests.unit.test_definitions import MINIMAL


def procedure(nomor: str, *cited: str, ident: str = "contoh", prefix: str = "CTH") -> str:
    text = MINIMAL.replace("nomor: SOP-CTH-01", f"nomor: {nomor}").replace("id: contoh", f"id: {ident}")
    text = text.replace("number_prefix: CTH", f"number_prefix: {prefix}")
    if cited:
        text = text.replace("  peralatan: [Formulir]\n",
                            "  keterkaitan:\n" + "".join(f"    - {c}\n" for c in cited) + "  peralatan: [Formulir]\n")
    return text


@pytest.mark.parametrize(("entry", "number"), [
    ("SOP-KEL-09 Pembuatan, Perubahan dan Pencabutan SOP", "SOP-KEL-09"),
    ("SOP-KEU-03: Persetujuan Pengeluaran Kas", "SOP-KEU-03"),
    ("SOP-KEL-07A Buku wajib", "SOP-KEL-07A"),
    ("SOP-PWS-09", "SOP-PWS-09"),
    ("Undang-Undang Nomor 25 Tahun 1992 tentang Perkoperasian", None),
    ("SOP Pinjaman USP KSU Sehati (koperasi lain)", None),
    ("Lihat SOP-KEU-03", None),  # only the leading token is a citation
    ("SOP-KEU-03-V1.pdf lampiran", None),
    ("", None),
])
def test_only_a_leading_sop_number_is_a_citation(entry: str, number: str | None) -> None:
    assert cited_sop_number(entry) == number


def test_a_dangling_citation_is_reported_at_its_line() -> None:
    text = procedure("SOP-CTH-01", "SOP-CTH-02 Prosedur lain", "SOP-CTH-77 Tidak ada",
                     "Peraturan Khusus koperasi tetangga")
    a = load_definition_text(text, "a.yaml")
    b = load_definition_text(procedure("SOP-CTH-02", ident="lain", prefix="LAN"), "b.yaml")
    findings = [str(p) for p in lint_many([a, b])]
    line = text.splitlines().index("    - SOP-CTH-77 Tidak ada") + 1
    assert findings == [f"a.yaml:{line}:7: keterkaitan menyebut SOP-CTH-77, yang bukan nomor SOP prosedur mana pun "
                        "yang dimuat: perbaiki nomornya, tambahkan prosedurnya, atau hapus butir ini"]


def test_a_citation_resolves_against_the_procedures_in_use() -> None:
    a = load_definition_text(procedure("SOP-CTH-01", "SOP-CTH-02 Prosedur lain"), "a.yaml")
    assert len(lint_many([a])) == 1
    assert lint_many([a], known_numbers={"SOP-CTH-02"}) == []
    assert lint_references([a], {"SOP-CTH-02"}) == []
