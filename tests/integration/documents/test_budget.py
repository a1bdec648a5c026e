"""RAPB and Rencana Kerja: XLSX import with a message per bad cell, export back, totals, SHU split,
and the lock once the Rapat Anggota ratifies the plan."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine.adapters.render.workbook import write_workbook as _write
from engine.adapters.store.models import Cooperative
from engine.errors import NotFoundError, PermissionDeniedError, ValidationError
from engine.services import Services
from engine.services.documents import (
    EXAMPLE_WORKBOOK,
    DocumentService,
    Totals,
    WorkbookError,
    budget_view,
    example_budget,
    read_workbook,
    rupiah,
    terbilang,
    write_workbook,
)
from tests.helpers import COOP
from tests.integration.documents.conftest import (
    RA_PRESENT,
    attachments,
    pdf_text,
    ratified_rk_rapb,
    with_pimpinan_rapat,
)

YEAR = 2027


def bad_workbook(tmp_path: Path, edits: dict[tuple[str, str], object]) -> Path:
    book = load_workbook(io.BytesIO(_write(example_budget(YEAR), "KKMP Uji")))
    for (sheet, cell), value in edits.items():
        book[sheet][cell] = value
    path = tmp_path / "rapb.xlsx"
    book.save(path)
    return path


def all_totals(view) -> list[Totals]:
    sections = [view.pendapatan, *view.biaya, view.investasi, view.sumber]
    groups = [g.total for s in sections for g in s.groups]
    return [*groups, *(s.total for s in sections), view.total_biaya, view.shu]


def test_the_shipped_example_workbook_is_what_the_code_generates() -> None:
    assert EXAMPLE_WORKBOOK.is_file()
    assert read_workbook(EXAMPLE_WORKBOOK, YEAR) == example_budget(YEAR)
    assert EXAMPLE_WORKBOOK.read_bytes() == write_workbook(example_budget(YEAR),
                                                          "Koperasi Kelurahan Merah Putih Sentanan")


def test_the_rapb_prints_every_total_in_rupiah_and_the_plan_in_words(docs: DocumentService,
                                                                       services: Services) -> None:
    result = docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK)
    assert (result.lines["A"], result.plan_items, result.status, result.changed) == (9, 12, "draf", True)
    issued = docs.budget(COOP, YEAR)
    text = pdf_text(issued.data)
    assert "RENCANA ANGGARAN PENDAPATAN DAN BELANJA (RAPB)" in text and "RAPD" not in text
    assert issued.number == "RAPB/2027" and "TAHUN ANGGARAN 2027" in text and "RANCANGAN" in text
    view = budget_view(example_budget(YEAR), {})
    for total in all_totals(view):
        for amount in (total.realisasi, total.anggaran, total.rencana):
            assert rupiah(amount) in text, rupiah(amount)
    assert view.shu.rencana == 125_403_500 and "Rp 125.403.500" in text  # hand-computed: test_rapb_arithmetic
    assert f"({terbilang(view.shu.rencana)})" in text and "(dua miliar sembilan puluh lima juta tiga ratus ribu" in text
    for heading in ("A. PENDAPATAN PER UNIT USAHA", "B1. Biaya unit usaha", "B2. Biaya organisasi",
                    "B3. Biaya bunga", "B4. Pajak", "C. RENCANA SHU", "E.1 INVESTASI", "E.2 SUMBER DANA",
                    "F. Rencana permodalan", "G. Proyeksi arus kas bulanan",
                    "Realisasi 2025", "Anggaran 2026", "Rencana 2027", "Δ%", "Keterangan"):
        assert heading in text, heading
    assert "Gerai Sembako" in text and "+19,9%" in text and "1.380.000.000" in text
    for share in view.shares:
        assert share.label in text and rupiah(share.amount) in text
    assert sum(s.amount for s in view.shares) == view.split.anggota  # only the SHU from members is shared
    assert "Rencana investasi seluruhnya tertutup oleh sumber dana" in text
    assert docs.verify(issued.data).ok


def test_the_rencana_kerja_prints_its_three_fields_and_every_activity(docs: DocumentService) -> None:
    docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK)
    issued = docs.work_plan(COOP, YEAR)
    text = pdf_text(issued.data)
    assert issued.number == "RK/2027" and "RENCANA KERJA" in text
    for title in ("1. Organisasi dan Kelembagaan", "2. Usaha", "3. Keuangan dan Permodalan"):
        assert title in text
    for item in example_budget(YEAR).plan:
        assert item.kegiatan in text
    assert "Rp 2.095.300.000" in text


def test_every_bad_cell_is_named_with_its_sheet_and_what_is_wrong(tmp_path: Path, docs: DocumentService) -> None:
    path = bad_workbook(tmp_path, {
        ("Pendapatan", "D7"): "satu juta",
        ("Pendapatan", "E6"): 1250.5,
        ("Biaya", "B8"): "B9 Biaya lain",
        ("Investasi", "E5"): -5000,
        ("Sumber Dana", "C4"): "Realisasi 2024",
    })
    with pytest.raises(WorkbookError) as caught:
        docs.import_budget(COOP, YEAR, path)
    said = str(caught.value)
    assert "Sheet 'Pendapatan', sel D7: 'satu juta' bukan angka rupiah" in said
    assert "Sheet 'Pendapatan', sel E6: '1250.5' bukan rupiah utuh" in said
    assert "Sheet 'Biaya', sel B8: kelompok 'B9 Biaya lain' tidak dikenal" in said
    assert "Sheet 'Investasi', sel E5: '-5000' negatif" in said
    assert "Sheet 'Sumber Dana', sel C4: judul kolom 'Realisasi 2024' tidak sesuai" in said
    assert len(caught.value.problems) == 5
    with pytest.raises(NotFoundError):
        docs.budget(COOP, YEAR)  # nothing was imported


def test_amounts_typed_as_people_type_them_are_understood(tmp_path: Path) -> None:
    path = bad_workbook(tmp_path, {("Pendapatan", "F5"): "Rp 1.380.000.000", ("Pendapatan", "E5"): "1150000000",
                                   ("Pendapatan", "D5"): " 310.000.000 "})
    assert read_workbook(path, YEAR) == example_budget(YEAR)


def test_a_workbook_without_the_required_sheets_is_refused(tmp_path: Path) -> None:
    book = load_workbook(io.BytesIO(_write(example_budget(YEAR), "KKMP Uji")))
    del book["Biaya"]
    path = tmp_path / "tanpa-biaya.xlsx"
    book.save(path)
    with pytest.raises(WorkbookError, match="Sheet 'Biaya': tidak ada di berkas"):
        read_workbook(path, YEAR)
    (tmp_path / "bukan.xlsx").write_bytes(b"bukan excel")
    with pytest.raises(WorkbookError, match="bukan buku kerja Excel"):
        read_workbook(tmp_path / "bukan.xlsx", YEAR)


def test_export_writes_back_the_layout_that_import_reads(docs: DocumentService, tmp_path: Path) -> None:
    docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK)
    exported = docs.export_budget(COOP, YEAR)
    assert read_workbook(exported, YEAR) == example_budget(YEAR)
    assert exported == docs.export_budget(COOP, YEAR)
    path = tmp_path / "kembali.xlsx"
    path.write_bytes(exported)
    again = docs.import_budget(COOP, YEAR, path)
    assert not again.changed and again.revision == 0
    sheet = load_workbook(io.BytesIO(exported))["Pendapatan"]
    assert [c.value for c in sheet[4]] == ["No", "Unit Usaha", "Uraian", "Realisasi 2025", "Anggaran 2026",
                                           "Rencana 2027", "Keterangan"]


def test_the_shu_split_must_sum_to_one_hundred_percent(docs: DocumentService, services: Services) -> None:
    docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK)
    with services.db.session() as session:
        coop = session.query(Cooperative).filter_by(slug=COOP).one()
        coop.settings = {**coop.settings, "pembagian_shu": {"cadangan": 40, "jasa_usaha": 40, "pendidikan": 25}}
    with pytest.raises(ValidationError, match="jumlah persentase 105%, harus 100%"):
        docs.budget(COOP, YEAR)
    with services.db.session() as session:
        coop = session.query(Cooperative).filter_by(slug=COOP).one()
        coop.settings = {**coop.settings, "pembagian_shu": {"cadangan": 40, "jasa_usaha": 35, "jasa_modal": 25}}
    text = pdf_text(docs.budget(COOP, YEAR).data)
    # the member part 101.463.539 (see test_rapb_arithmetic): 40% = 40.585.415,6 -> 40.585.415;
    # 35% = 35.512.238,65 -> 35.512.238; 25% = 25.365.884,75 -> 25.365.884; floors sum to 101.463.537,
    # the remainder 2 goes to the first share: cadangan 40.585.417
    assert "Rp 40.585.417" in text and "Rp 35.512.238" in text and "Rp 25.365.884" in text


def test_a_ratified_plan_is_locked_and_printed_as_ratified(docs: DocumentService, services: Services, files,
                                                          tmp_path: Path) -> None:
    with_pimpinan_rapat(services, tmp_path)
    docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK)
    case = ratified_rk_rapb(services, files)
    issued = docs.budget(COOP, YEAR)
    text = pdf_text(issued.data)
    assert "DISAHKAN" in text and case in text and "24 November 2026" in text
    assert "Joko Susilo" in text  # the pimpinan rapat who recorded the ratification
    embedded = attachments(issued.data)["entries.jsonl"].decode().splitlines()
    assert len(embedded) == 8 and all(f'"case":"{case}"' in line for line in embedded)
    # sales +120.000.000 -> omzet 2.215.300.000, so the tax "0,5% dari omzet" (Biaya G23) is 11.076.500
    changed = bad_workbook(tmp_path, {("Pendapatan", "F5"): 1_500_000_000, ("Biaya", "G23"): 11_076_500})
    with pytest.raises(ValidationError, match="sudah disahkan"):
        docs.import_budget(COOP, YEAR, changed)
    services.start_case("rk_rapb", COOP, "sri", values={
        "tahun_anggaran": str(YEAR), "jenis": "Revisi", "target_pendapatan": "2215300000",
        "rencana_biaya": "1969896500", "rujukan_pengesahan": case, "alasan_revisi": "Harga beras naik",
        "nilai_perubahan": "120000000"})
    revised = docs.import_budget(COOP, YEAR, changed)
    assert (revised.revision, revised.status) == (1, "draf")
    assert docs.budget(COOP, YEAR).number == "RAPB/2027/R1"


def test_an_approval_binds_the_figures_it_saw_and_a_later_import_makes_the_rapb_a_draft_again(
        docs: DocumentService, services: Services, files, tmp_path: Path) -> None:
    with_pimpinan_rapat(services, tmp_path)
    docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK, actor="sri")
    view = services.start_case("rk_rapb", COOP, "sri", values={
        "tahun_anggaran": str(YEAR), "jenis": "Rencana awal", "target_pendapatan": "1000000000",
        "rencana_biaya": "900000000"}, files={"dokumen_rk": files("rk.pdf"), "dokumen_rapb": files("rapb.pdf")})
    number = view.summary.number
    services.act(number, "ajukan", "sri", checks=["evaluasi_tahun_berjalan", "rapb_per_unit"])
    for who in ("bambang", "dwi", "endang"):
        services.act(number, "setujui_pengurus", who)
    # the figures change while the plan waits for the pengawas: earlier approvals no longer cover them
    docs.import_budget(COOP, YEAR, bad_workbook(tmp_path, {("Pendapatan", "F5"): 1_500_000_000, ("Biaya", "G23"): 11_076_500}), actor="sri")
    for who in ("heru", "nuraini"):
        services.act(number, "setujui_pengawas", who)
    services.act(number, "sahkan", "joko", values={
        "tanggal_rapat_anggota": "2026-11-24", "panggilan_rapat": "Rapat pertama", "daftar_hadir": RA_PRESENT},
        checks=["dibahas_dalam_rapat"], files={"berita_acara_ra": files("ba-ra.pdf")})

    text = pdf_text(docs.budget(COOP, YEAR).data)
    assert "DISAHKAN" not in text and "RANCANGAN" in text
    assert "berbeda dari yang disetujui pada 'setujui_pengurus'" in " ".join(text.split())
    report = services.findings(COOP)
    assert [f.case for f in report.findings if f.rule == "rapb_berubah"] == [number]


def test_every_budget_import_is_on_the_trail_by_whom(docs: DocumentService, services: Services,
                                                     tmp_path: Path) -> None:
    import json

    from sqlalchemy import select

    from engine.adapters.store.models import AuditEntry

    docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK, actor="sri")
    docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK, actor="sri")  # unchanged: nothing new to record
    docs.import_budget(COOP, YEAR, bad_workbook(tmp_path, {("Pendapatan", "F5"): 1_500_000_000, ("Biaya", "G23"): 11_076_500}))
    with services.db.session() as session:
        bodies = [json.loads(b) for b in session.scalars(select(AuditEntry.body).where(AuditEntry.case_id.is_(None)))]
    imports = [b for b in bodies if b["action"] == "impor_rapb"]
    assert [(b["actor"], b["year"], b["revision"]) for b in imports] == [("sri", YEAR, 0), ("operator", YEAR, 0)]
    assert imports[0]["content_sha256"] != imports[1]["content_sha256"]
    assert all(r.ok for r in services.verify(COOP))
    with pytest.raises(PermissionDeniedError, match="hanya untuk pengurus"):
        docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK, actor="agus")  # a pengawas
