"""SOP-KEL-02 Berhenti Anggota dan Pengembalian Simpanan."""

from __future__ import annotations

from pathlib import Path

from engine.demo import DEMO_MEMBERS
from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "berhenti_anggota"
REQUEST = {"nama": "Joko Susilo", "nomor_anggota": "KKMP-STN-0021", "nik": "3576011203800002",
           "sebab_berhenti": "Pindah domisili ke luar kelurahan", "tanggal_permohonan": "2026-11-20",
           "penerima_pengembalian": "Joko Susilo"}


def submitted(services: Services, files: Files) -> str:
    services.import_org(DEMO_MEMBERS)  # Joko is in the Buku Daftar Anggota
    number = start(services, WF, "rina", REQUEST, pdfs(files, "surat_permohonan"))
    act(services, number, "ajukan", "rina")
    return number


def calculation(refund: int, *, debt: int = 0) -> dict[str, int]:
    """Savings that add up to ``refund`` after ``debt``."""
    return {"simpanan_pokok_saldo": 100_000, "simpanan_wajib_saldo": refund + debt - 100_000 - 50_000,
            "simpanan_sukarela_saldo": 50_000, "kewajiban_anggota": debt, "jumlah_dikembalikan": refund}


def calculated(services: Services, files: Files, refund: int, *, debt: int = 0) -> str:
    number = submitted(services, files)
    act(services, number, "hitung", "sri", values=calculation(refund, debt=debt),
        files=pdfs(files, "lembar_perhitungan"))
    return number


def test_a_member_who_moves_away_gets_the_savings_back_and_the_case_ends_paid(services: Services, files) -> None:
    number = calculated(services, files, 1_250_000, debt=300_000)
    assert state(services, number) == "keputusan_ketua"
    act(services, number, "setujui", "bambang", comment="Sesuai perhitungan bendahara")
    assert state(services, number) == "pembayaran"
    act(services, number, "bayar", "sri", values={"tanggal_pembayaran": "2026-11-24"},
        files=pdfs(files, "kuitansi"))
    view = services.show(number, None)
    assert view.summary.state == "selesai" and view.summary.final
    assert [e.action for e in view.history] == ["mulai", "ajukan", "hitung", "setujui", "bayar"]


def test_a_refund_that_does_not_add_up_is_refused(services: Services, files) -> None:
    number = submitted(services, files)
    wrong = {**calculation(1_000_000), "jumlah_dikembalikan": 1_000_001}
    refused(services, number, "hitung", "sri", ValidationError, "tidak terpenuhi", values=wrong,
            files=pdfs(files, "lembar_perhitungan"))


def test_the_refund_routes_by_the_ketua_limit_at_its_boundaries(services: Services, files) -> None:
    routes = {}
    for refund in (4_999_999, 5_000_000, 5_000_001):
        number = calculated(services, files, refund)
        act(services, number, "setujui", "bambang")
        routes[refund] = state(services, number)
    assert routes == {4_999_999: "pembayaran", 5_000_000: "pembayaran", 5_000_001: "menunggu_pengawas"}


def test_the_ketua_limit_comes_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_ketua": 1_000_000})
    number = calculated(services, files, 1_000_001)
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "menunggu_pengawas"


def test_a_large_refund_needs_exactly_the_configured_number_of_pengawas(services: Services, files) -> None:
    number = calculated(services, files, 8_000_000)
    act(services, number, "setujui", "bambang")
    first = act(services, number, "setujui_pengawas", "heru")
    assert (first.fired, first.votes, first.needed) == (False, 1, 2)
    refused(services, number, "setujui_pengawas", "heru", PermissionDeniedError, "sudah memberikan suara")
    assert act(services, number, "setujui_pengawas", "nuraini").fired
    assert state(services, number) == "pembayaran"


def test_the_bendahara_returns_an_incomplete_request_and_it_can_be_resubmitted(services: Services, files) -> None:
    number = submitted(services, files)
    refused(services, number, "kembalikan", "sri", ValidationError, "catatan")
    act(services, number, "kembalikan", "sri", comment="Surat keterangan pindah belum dilampirkan")
    assert state(services, number) == "permohonan"
    act(services, number, "ajukan", "rina")
    assert state(services, number) == "perhitungan_simpanan"


def test_the_ketua_and_the_pengawas_return_the_calculation_to_the_bendahara(services: Services, files) -> None:
    number = calculated(services, files, 900_000)
    act(services, number, "kembalikan", "bambang", comment="Simpanan wajib Oktober belum masuk")
    assert state(services, number) == "perhitungan_simpanan"
    act(services, number, "hitung", "sri", values=calculation(7_000_000))
    act(services, number, "setujui", "bambang")
    act(services, number, "kembalikan", "agus", comment="Cocokkan dengan kartu pinjaman")
    assert state(services, number) == "perhitungan_simpanan"


def test_the_ketua_can_reject_a_request_that_was_withdrawn(services: Services, files) -> None:
    number = calculated(services, files, 900_000)
    act(services, number, "tolak", "bambang", comment="Anggota mencabut permohonannya")
    view = services.show(number, "bambang")
    assert view.summary.state == "ditolak" and view.summary.final and view.options == []


def test_a_former_bendahara_cannot_calculate_the_refund(services: Services, files) -> None:
    number = submitted(services, files)
    refused(services, number, "hitung", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025",
            values=calculation(900_000), files=pdfs(files, "lembar_perhitungan"))


def test_whoever_approved_as_ketua_cannot_approve_again_as_pengawas(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "heru", "role": "ketua", "start": "2026-11-01"}],
             ended={("bambang", "ketua"): "2026-10-31"})
    number = calculated(services, files, 8_000_000)
    act(services, number, "setujui", "heru")
    refused(services, number, "setujui_pengawas", "heru", PermissionDeniedError, "sudah memutuskan")


def test_the_paid_refund_cannot_change_the_approved_amount(services: Services, files) -> None:
    number = calculated(services, files, 900_000)
    act(services, number, "setujui", "bambang")
    refused(services, number, "bayar", "sri", ValidationError, "tidak dapat diubah",
            values={"tanggal_pembayaran": "2026-11-24", "jumlah_dikembalikan": "9000000"},
            files=pdfs(files, "kuitansi"))
