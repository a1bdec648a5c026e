"""The RAPB's arithmetic, checked against figures computed by hand (the arithmetic is in the comments):
the tax and the interest follow the rate and base their labels cite, only the SHU from members is
shared out, the capital plan and the monthly cash projection add up, and the importer never drops a
row silently."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from engine.adapters.render.workbook import write_workbook
from engine.domain.budget import BudgetData, Line, budget_view, shu_split
from engine.domain.budget_checks import line_problems
from engine.errors import ValidationError
from engine.services.documents import DocumentService, WorkbookError, example_budget, read_workbook
from tests.helpers import COOP
from tests.integration.documents.conftest import pdf_text

YEAR = 2027


def edited(tmp_path: Path, edits: dict[tuple[str, str], object], data: BudgetData | None = None) -> Path:
    book = load_workbook(io.BytesIO(write_workbook(data or example_budget(YEAR), "KKMP Uji")))
    for (sheet, cell), value in edits.items():
        book[sheet][cell] = value
    path = tmp_path / "rapb.xlsx"
    book.save(path)
    return path


def refused(path: Path) -> str:
    with pytest.raises(WorkbookError) as caught:
        read_workbook(path, YEAR)
    return str(caught.value)


def line(data: BudgetData, uraian: str) -> Line:
    return next(x for x in data.lines if x.uraian == uraian)


# -- the demo RAPB, by hand -----------------------------------------------------------------------
# A. Pendapatan, Rencana 2027: 1.380.000.000 + 400.000.000 + 216.000.000 + 54.000.000 + 9.000.000
#    + 15.600.000 + 14.400.000 + 4.800.000 + 1.500.000 = 2.095.300.000
# Anggaran 2026: 1.150.000.000 + 350.000.000 + 180.000.000 + 36.000.000 + 6.000.000 + 12.000.000 + 9.600.000
#    + 3.000.000 + 1.200.000 = 1.747.800.000
# Realisasi 2025: 310.000.000 + 98.000.000 + 42.500.000 + 6.250.000 + 1.250.000 + 2.100.000 + 1.800.000
#    + 320.000 = 462.220.000


def test_the_tax_is_half_a_percent_of_the_omzet_it_cites_in_every_column() -> None:
    data = example_budget(YEAR)
    tax = line(data, "Pajak penghasilan final UMKM")
    assert tax.keterangan == "0,5% dari omzet"
    # 0,5% × 2.095.300.000 = 10.476.500; × 1.747.800.000 = 8.739.000; × 462.220.000 = 2.311.100
    assert (tax.rencana, tax.anggaran, tax.realisasi) == (10_476_500, 8_739_000, 2_311_100)
    assert line_problems(data.lines) == []


def test_a_tax_that_contradicts_its_label_is_refused_naming_the_cell(tmp_path: Path) -> None:
    # Biaya: header row 4, B1 rows 5-14, B2 rows 15-21, B3 row 22, B4 (the tax) row 23; G = Rencana 2027
    said = refused(edited(tmp_path, {("Biaya", "G23"): 5_400_000}))
    assert ("Sheet 'Biaya', sel G23: tertulis '0,5% dari omzet': 0,5% × omzet (Jumlah Pendapatan A) "
            "Rp 2.095.300.000 = Rp 10.476.500, bukan Rp 5.400.000") in said
    assert "(1 masalah)" in said
    # within Rp 1.000 is rounding: 10.477.000 (rounded to thousands) is taken
    assert line(read_workbook(edited(tmp_path, {("Biaya", "G23"): 10_477_000}), YEAR),
                "Pajak penghasilan final UMKM").rencana == 10_477_000


def test_data_stored_before_the_check_is_printed_with_the_contradiction_listed() -> None:
    data = example_budget(YEAR)
    old = tuple(Line(x.section, x.unit, x.uraian, x.realisasi, x.anggaran, 5_400_000, x.keterangan)
                if x.section == "B4" else x for x in data.lines)
    view = budget_view(BudgetData(YEAR, old, data.plan), {})
    assert view.problems == ["Pajak penghasilan final UMKM (Rencana): tertulis '0,5% dari omzet': 0,5% × omzet "
                             "(Jumlah Pendapatan A) Rp 2.095.300.000 = Rp 10.476.500, bukan Rp 5.400.000"]


def test_the_interest_is_the_rate_times_the_loan_the_rk_and_the_sumber_dana_show(tmp_path: Path) -> None:
    data = example_budget(YEAR)
    interest = line(data, "Bunga pinjaman Bank Himbara (PMK 49/2025)")
    loan = line(data, "Pinjaman Bank Himbara")
    assert interest.keterangan == "6% per tahun dari Pinjaman Bank Himbara"
    # the RK: "Rp 37 juta cair"; 6% × 37.000.000 = 2.220.000; 2026: 6% × 12.000.000 = 720.000
    assert (loan.rencana, interest.rencana, loan.anggaran, interest.anggaran) == (37_000_000, 2_220_000,
                                                                                 12_000_000, 720_000)
    assert any("Rp 37 juta" in (item.target or "") for item in data.plan)
    # a loan of 400.000.000 (Sumber Dana: rows 5-7, E = Rencana) would need 6% × 400.000.000 = 24.000.000
    said = refused(edited(tmp_path, {("Sumber Dana", "E7"): 400_000_000}))
    assert ("Sheet 'Biaya', sel G22: tertulis '6% dari Pinjaman Bank Himbara': 6% × 'Pinjaman Bank Himbara' "
            "Rp 400.000.000 = Rp 24.000.000, bukan Rp 2.220.000") in said


def test_a_rate_whose_base_cannot_be_found_is_refused(tmp_path: Path) -> None:
    # row 14 is "Cadangan risiko pinjaman" (5% × 54.000.000 = 2.700.000); H = Keterangan
    said = refused(edited(tmp_path, {("Biaya", "H14"): "5% dari jasa"}))
    assert "Sheet 'Biaya', sel H14: menyebut '5% dari jasa', tetapi 'jasa' bukan dasar yang dikenal" in said
    # an estimate is not a rule: "±87% dari penjualan" (HPP) stays unchecked
    assert line(example_budget(YEAR), "Harga pokok penjualan sembako").keterangan == "±87% dari penjualan"


def test_a_count_times_an_amount_must_give_the_plan(tmp_path: Path) -> None:
    data = example_budget(YEAR)
    # 150 × 100.000 = 15.000.000; 290 × 10.000 × 12 = 34.800.000
    assert line(data, "Simpanan pokok anggota baru").rencana == 15_000_000
    assert line(data, "Simpanan wajib anggota").rencana == 34_800_000
    # Permodalan: header row 4, first line row 5, F = Rencana 2027
    said = refused(edited(tmp_path, {("Permodalan", "F5"): 16_000_000}))
    assert "Sheet 'Permodalan', sel F5: tertulis '150 anggota × Rp 100.000' = Rp 15.000.000, bukan Rp 16.000.000" \
        in said


# -- C and D: only the SHU from members is shared ---------------------------------------------------


def test_a_small_budget_shares_only_the_member_part_and_reserves_the_rest() -> None:
    data = BudgetData(YEAR, (
        Line("A", "Gerai", "Penjualan kepada anggota", None, None, 800_000),
        Line("A", "Gerai", "Penjualan kepada bukan anggota", None, None, 200_000),
        Line("B1", "Gerai", "Harga pokok", None, None, 900_000),
    ))
    view = budget_view(data, {"pembagian_shu": {"cadangan": 50, "jasa_usaha": 50}})
    # SHU = 1.000.000 − 900.000 = 100.000; from non-members 100.000 × 200.000 ÷ 1.000.000 = 20.000
    # from members 80.000, split 50/50: 40.000 + 40.000; cadangan in all 40.000 + 20.000 = 60.000
    assert (view.shu.rencana, view.split.bukan_anggota, view.split.anggota) == (100_000, 20_000, 80_000)
    assert [s.amount for s in view.shares] == [40_000, 40_000]
    assert view.cadangan_total == 60_000


def test_the_demo_shu_is_split_by_the_rule_the_document_states() -> None:
    view = budget_view(example_budget(YEAR), {})
    # B, Rencana: B1 1.892.200.000 + B2 65.100.000 + B3 2.220.000 + B4 10.476.500 = 1.969.896.500
    # C = 2.095.300.000 − 1.969.896.500 = 125.403.500
    assert (view.total_biaya.rencana, view.shu.rencana) == (1_969_896_500, 125_403_500)
    # non-member income 400.000.000 of 2.095.300.000; 125.403.500 × 400.000.000 ÷ 2.095.300.000
    # = 23.939.961,06 -> 23.939.961; from members 125.403.500 − 23.939.961 = 101.463.539
    assert (view.split.pendapatan_bukan_anggota, view.split.bukan_anggota, view.split.anggota) == (
        400_000_000, 23_939_961, 101_463_539)
    # the default split of 101.463.539 (floors; the remainder 7 goes to the first share):
    # 30% 30.439.061,7 -> 30.439.061 + 7 = 30.439.068; 25% 25.365.884; 15% 15.219.530; 10% 10.146.353;
    # 5% 5.073.176 (four times); the floors sum to 101.463.532
    assert [s.amount for s in view.shares] == [30_439_068, 25_365_884, 15_219_530, 10_146_353,
                                               5_073_176, 5_073_176, 5_073_176, 5_073_176]
    assert sum(s.amount for s in view.shares) == 101_463_539
    # dana cadangan in all: 30.439.068 + 23.939.961 = 54.379.029
    assert view.cadangan_total == 54_379_029


def test_a_split_that_does_not_sum_to_one_hundred_is_refused() -> None:
    with pytest.raises(ValidationError, match="jumlah persentase 90%, harus 100%") as caught:
        budget_view(example_budget(YEAR), {"pembagian_shu": {"cadangan": 40, "jasa_usaha": 50}})
    assert "Setting pembagian SHU koperasi tidak sah" in str(caught.value)


def test_a_loss_shares_nothing() -> None:
    data = BudgetData(YEAR, (Line("A", None, "Penjualan kepada bukan anggota", None, None, 100),
                             Line("B2", None, "Rapat", None, None, 300)))
    split = shu_split(data)
    assert (split.total, split.bukan_anggota, split.anggota) == (-200, 0, -200)
    assert all(s.amount == 0 for s in budget_view(data, {}).shares)


# -- F and G -----------------------------------------------------------------------------------------


def test_the_capital_plan_adds_up_by_jenis_modal() -> None:
    view = budget_view(example_budget(YEAR), {})
    groups = {g.unit: g.total.rencana for g in view.permodalan.groups}
    # modal sendiri 15.000.000 + 34.800.000 + 10.000.000 = 59.800.000; modal luar 37.000.000; in all 96.800.000
    assert groups == {"Modal sendiri": 59_800_000, "Modal luar": 37_000_000}
    assert view.permodalan.total.rencana == 96_800_000


def test_the_monthly_cash_projection_runs_the_balance_month_by_month() -> None:
    data = BudgetData(YEAR, (
        Line("GS", None, "Saldo awal", None, None, 10_000),
        Line("GM", "01", "Penjualan", None, None, 5_000),
        Line("GM", "02", "Penjualan", None, None, 8_000),
        Line("GK", "01", "Pembelian", None, None, 20_000),
    ))
    cash = budget_view(data, {}).cash
    # Jan: 10.000 + 5.000 − 20.000 = −5.000 (short); Feb: −5.000 + 8.000 = 3.000; then 3.000 every month
    assert cash.closing[:3] == [-5_000, 3_000, 3_000] and cash.short_months == ["Jan"]
    demo = budget_view(example_budget(YEAR), {}).cash
    # receipts 1.996.000.000 + 63.000.000 + 30.000.000 + 49.800.000 + 66.000.000 + 37.000.000 = 2.241.800.000
    # payments 1.754.400.000 + 117.600.000 + 65.100.000 + 59.750.000 + 150.000.000 + 2.220.000 + 10.476.500
    #   = 2.159.546.500; closing 25.000.000 + 2.241.800.000 − 2.159.546.500 = 107.253.500
    assert (sum(demo.masuk_total), sum(demo.keluar_total), demo.closing[-1]) == (
        2_241_800_000, 2_159_546_500, 107_253_500)
    # February: 45.160.000 + 167.900.000 − 199.458.000 = 13.602.000 (the investment month, still positive)
    assert demo.closing[1] == 13_602_000 and demo.short_months == []


def test_the_cash_sheet_reads_back_and_a_wrong_year_sum_is_refused(tmp_path: Path) -> None:
    data = example_budget(YEAR)
    assert read_workbook(write_workbook(data, "KKMP Uji"), YEAR) == data
    # Arus Kas: row 5 saldo awal, row 6 the first receipt; P = Jumlah; 158.000.000 × … sums to 1.996.000.000
    said = refused(edited(tmp_path, {("Arus Kas", "P6"): 1_000_000}))
    assert "Sheet 'Arus Kas', sel P6: jumlah Rp 1.000.000 tidak sama dengan jumlah bulan Jan–Des " \
           "Rp 1.996.000.000" in said


# -- the import never drops a row silently ---------------------------------------------------------


def test_a_row_labelled_total_that_is_not_a_sum_is_refused_not_dropped(tmp_path: Path) -> None:
    # Pendapatan: 9 lines in rows 5-13, the Jumlah row 14; row 15 is free. C = Uraian, F = Rencana
    said = refused(edited(tmp_path, {("Pendapatan", "C15"): "Total penjualan sembako ke koperasi lain",
                                     ("Pendapatan", "F15"): 12_500_000}))
    assert "Sheet 'Pendapatan', baris 15: 'Total penjualan sembako ke koperasi lain' diawali 'Total'" in said
    # a real sum is taken as a check: 462.220.000 | 1.747.800.000 | 2.095.300.000 is the whole sheet
    same = edited(tmp_path, {("Pendapatan", "C15"): "Total pendapatan", ("Pendapatan", "D15"): 462_220_000,
                             ("Pendapatan", "E15"): 1_747_800_000, ("Pendapatan", "F15"): 2_095_300_000})
    assert read_workbook(same, YEAR) == example_budget(YEAR)


def test_rows_with_content_but_no_uraian_or_kegiatan_are_named(tmp_path: Path) -> None:
    said = refused(edited(tmp_path, {("Pendapatan", "G15"): "catatan tanpa uraian",
                                     ("Rencana Kerja", "E17"): "10 kali"}))
    assert "Sheet 'Pendapatan', sel C15: uraian kosong padahal baris ini berisi keterangan" in said
    assert "Sheet 'Rencana Kerja', sel D17: kegiatan kosong padahal baris ini berisi target" in said


def test_common_rupiah_notations_are_taken_and_ambiguous_ones_named(tmp_path: Path) -> None:
    taken = edited(tmp_path, {("Pendapatan", "F5"): "Rp. 1.380.000.000,-", ("Pendapatan", "E5"): "1 150 000 000",
                              ("Pendapatan", "D5"): "IDR 310.000.000,00", ("Pendapatan", "F6"): "400\u00a0000\u00a0000"})
    assert read_workbook(taken, YEAR) == example_budget(YEAR)
    said = refused(edited(tmp_path, {("Pendapatan", "F5"): "1,5", ("Pendapatan", "E5"): "1.5"}))
    assert "Sheet 'Pendapatan', sel F5: '1,5' bermakna ganda" in said
    assert "Sheet 'Pendapatan', sel E5: '1.5' bermakna ganda" in said


def test_the_shu_sheet_names_its_parts_in_words() -> None:
    sheet = load_workbook(io.BytesIO(write_workbook(example_budget(YEAR), "KKMP Uji")))["Pembagian SHU"]
    labels = [sheet.cell(row=r, column=1).value for r in range(4, 12)]
    assert labels[:3] == ["Dana cadangan", "Jasa usaha (jasa transaksi anggota)", "Jasa modal (jasa simpanan anggota)"]
    assert not any("_" in str(x) for x in labels)


def test_the_printed_rapb_shows_d_to_g_with_the_hand_computed_figures(docs: DocumentService) -> None:
    from engine.services.documents import EXAMPLE_WORKBOOK

    docs.import_budget(COOP, YEAR, EXAMPLE_WORKBOOK)
    data = docs.budget(COOP, YEAR).data
    text = pdf_text(data)
    for words in ("SHU dari bukan anggota = 125.403.500 × 400.000.000 ÷ 2.095.300.000", "Rp 23.939.961",
                  "SHU dari transaksi dengan anggota (yang dibagi) Rp 101.463.539", "Rp 54.379.029",
                  "E.1 INVESTASI", "E.2 SUMBER DANA", "F. Rencana permodalan", "Jumlah Permodalan (F)",
                  "Rp 96.800.000", "G. Proyeksi arus kas bulanan 2027", "Saldo akhir bulan", "107.253,5",
                  "Rp 10.476.500", "PERHATIAN"):
        assert (words in text) == (words != "PERHATIAN"), words
    pages = PdfReader(io.BytesIO(data)).pages
    # A, B–C, D–F on portrait pages; G with the signatures on one landscape page; no near-empty page
    assert len(pages) == 4 and pages[3].mediabox.width > pages[3].mediabox.height
    assert all(len((p.extract_text() or "").split()) > 60 for p in pages)
