"""SOP-USH-01 Pengadaan Barang Dagangan Sembako."""

from __future__ import annotations

import contextlib
from pathlib import Path

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "pengadaan_barang"


def request(amount: int, quotes: int = 3) -> dict[str, object]:
    return {"uraian_barang": "Beras medium 5 kg, 40 sak", "alasan": "Kartu stok: sisa 6 sak untuk 2 hari",
            "pos_rapb": "Pembelian barang dagangan sembako", "jumlah_penawaran": quotes,
            "pemasok": "Perum Bulog Cabang Mojokerto", "alasan_pemilihan": "Harga terendah dengan mutu sesuai",
            "jumlah": amount}


def drafted(services: Services, files: Files, amount: int, quotes: int = 3, by: str = "fajar") -> str:
    return start(services, WF, by, request(amount, quotes), pdfs(files, "berkas_penawaran"))


def submitted(services: Services, files: Files, amount: int, by: str = "fajar") -> str:
    number = drafted(services, files, amount, by=by)
    act(services, number, "ajukan", by)
    return number


def verified(services: Services, files: Files, amount: int) -> str:
    number = submitted(services, files, amount)
    act(services, number, "verifikasi", "sri")
    return number


def test_goods_are_requested_approved_received_with_bast_and_paid(services: Services, files) -> None:
    number = verified(services, files, 2_400_000)
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "pemesanan"
    act(services, number, "terima_barang", "dwi", values={"tanggal_terima": "2026-11-25"}, files=pdfs(files, "bast"))
    act(services, number, "bayar", "sri", values={"nilai_dibayar": 2_400_000}, files=pdfs(files, "kuitansi"))
    view = services.show(number, None)
    assert view.summary.state == "selesai"
    assert [e.action for e in view.history] == ["mulai", "ajukan", "verifikasi", "setujui", "terima_barang", "bayar"]


def test_a_purchase_above_the_direct_limit_needs_the_minimum_number_of_quotations(services: Services, files) -> None:
    outcome = {}
    for quotes in (2, 3, 4):
        number = drafted(services, files, 1_000_001, quotes)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[quotes] = state(services, number)
    assert outcome == {2: "permintaan", 3: "verifikasi_bendahara", 4: "verifikasi_bendahara"}


def test_a_direct_purchase_needs_one_quotation_up_to_its_limit(services: Services, files) -> None:
    outcome = {}
    for amount in (999_999, 1_000_000, 1_000_001):
        number = drafted(services, files, amount, quotes=1)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[amount] = state(services, number)
    assert outcome == {999_999: "verifikasi_bendahara", 1_000_000: "verifikasi_bendahara", 1_000_001: "permintaan"}


def test_the_verification_routes_by_the_bendahara_limit(services: Services, files) -> None:
    outcome = {}
    for amount in (499_999, 500_000, 500_001):
        outcome[amount] = state(services, verified(services, files, amount))
    assert outcome == {499_999: "pemesanan", 500_000: "pemesanan", 500_001: "menunggu_ketua"}


def test_the_ketua_approval_routes_by_the_ketua_limit(services: Services, files) -> None:
    outcome = {}
    for amount in (4_999_999, 5_000_000, 5_000_001):
        number = verified(services, files, amount)
        act(services, number, "setujui", "bambang")
        outcome[amount] = state(services, number)
    assert outcome == {4_999_999: "pemesanan", 5_000_000: "pemesanan", 5_000_001: "menunggu_pengawas"}


def test_limits_and_quotation_count_come_from_the_cooperatives_settings(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"minimal_penawaran": 2, "batas_manajer": 100_000})
    number = drafted(services, files, 2_000_000, quotes=2)
    act(services, number, "ajukan", "fajar")
    act(services, number, "verifikasi", "sri")
    number2 = verified(services, files, 150_000)
    assert (state(services, number), state(services, number2)) == ("menunggu_ketua", "menunggu_ketua")


def test_a_large_purchase_needs_exactly_the_configured_number_of_pengawas(services: Services, files) -> None:
    number = verified(services, files, 18_750_000)
    act(services, number, "setujui", "bambang")
    assert not act(services, number, "setujui_pengawas", "agus").fired
    assert state(services, number) == "menunggu_pengawas"
    assert act(services, number, "setujui_pengawas", "nuraini").fired
    assert state(services, number) == "pemesanan"


def test_the_bendahara_and_the_ketua_return_a_request(services: Services, files) -> None:
    number = submitted(services, files, 2_000_000)
    act(services, number, "kembalikan", "sri", comment="Penawaran kedua tidak bertanggal")
    assert state(services, number) == "permintaan"
    act(services, number, "ajukan", "fajar")
    act(services, number, "verifikasi", "sri")
    act(services, number, "kembalikan", "bambang", comment="Kurangi jumlahnya, gudang penuh")
    assert state(services, number) == "permintaan"


def test_each_decider_can_reject_and_an_order_can_be_cancelled(services: Services, files) -> None:
    number = submitted(services, files, 2_000_000)
    act(services, number, "tolak", "sri", comment="Tidak ada di RAPB")
    assert state(services, number) == "ditolak"
    number = verified(services, files, 2_000_000)
    act(services, number, "tolak", "bambang", comment="Stok masih cukup")
    assert state(services, number) == "ditolak"
    number = verified(services, files, 9_000_000)
    act(services, number, "setujui", "bambang")
    act(services, number, "tolak", "heru", comment="Harga di atas HET")
    assert state(services, number) == "ditolak"
    number = verified(services, files, 400_000)
    act(services, number, "batalkan", "dwi", comment="Pemasok tidak sanggup mengirim")
    assert state(services, number) == "dibatalkan"


def test_whoever_ordered_the_goods_cannot_receive_them(services: Services, files) -> None:
    number = submitted(services, files, 400_000, by="dwi")
    act(services, number, "verifikasi", "sri")
    refused(services, number, "terima_barang", "dwi", PermissionDeniedError, "mengajukan",
            values={"tanggal_terima": "2026-11-25"}, files=pdfs(files, "bast"))
    act(services, number, "terima_barang", "rina", values={"tanggal_terima": "2026-11-25"}, files=pdfs(files, "bast"))
    assert state(services, number) == "pembayaran"


def test_a_former_bendahara_cannot_verify(services: Services, files) -> None:
    number = submitted(services, files, 400_000)
    refused(services, number, "verifikasi", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025")


def test_the_payment_may_not_exceed_the_approved_amount(services: Services, files) -> None:
    outcome = {}
    for paid in (399_999, 400_000, 400_001):
        number = verified(services, files, 400_000)
        act(services, number, "terima_barang", "dwi", values={"tanggal_terima": "2026-11-25"}, files=pdfs(files, "bast"))
        with contextlib.suppress(ValidationError):
            act(services, number, "bayar", "sri", values={"nilai_dibayar": paid}, files=pdfs(files, "kuitansi"))
        outcome[paid] = state(services, number)
    assert outcome == {399_999: "selesai", 400_000: "selesai", 400_001: "pembayaran"}
