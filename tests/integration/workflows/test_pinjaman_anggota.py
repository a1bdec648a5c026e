"""SOP-USH-11 Pinjaman Anggota Unit Simpan Pinjam."""

from __future__ import annotations

import contextlib
from pathlib import Path

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "pinjaman_anggota"
INSIDER = "Pengurus, pengawas, pengelola atau karyawan"


def application(amount: int, **changes: object) -> dict[str, object]:
    return {"nama_anggota": "Lilik Suryani", "nomor_anggota": "KKMP-STN-0033", "nik": "3576016008850004",
            "lama_keanggotaan_bulan": 15, "status_peminjam": "Anggota biasa", "jumlah_pinjaman": amount,
            "tenor_bulan": 12, "tujuan": "Modal usaha", "penghasilan_bulanan": 6_000_000, "angsuran_lain": 0,
            **changes}


def instalment(amount: int, months: int = 12) -> int:
    return -(-amount // months) + amount // 100  # principal plus 1% of the loan per month


def drafted(services: Services, files: Files, amount: int, **changes: object) -> str:
    return start(services, WF, "fajar", application(amount, **changes), pdfs(files, "berkas_permohonan"))


def submitted(services: Services, files: Files, amount: int, **changes: object) -> str:
    number = drafted(services, files, amount, **changes)
    act(services, number, "ajukan", "fajar")
    return number


def analysed(services: Services, files: Files, amount: int, **changes: object) -> str:
    number = submitted(services, files, amount, **changes)
    act(services, number, "rekomendasikan", "dwi", values={"angsuran_per_bulan": instalment(amount)},
        files=pdfs(files, "lembar_analisis"))
    return number


def test_a_small_loan_is_analysed_approved_signed_and_disbursed(services: Services, files) -> None:
    number = analysed(services, files, 1_500_000)
    assert state(services, number) == "keputusan_bendahara"
    act(services, number, "setujui", "sri")
    act(services, number, "tandatangani_akad", "fajar", values={"nomor_perjanjian": "PJ-0087/USP/XI/2026",
                                                                "tanggal_akad": "2026-11-26"},
        files=pdfs(files, "perjanjian"))
    act(services, number, "cairkan", "sri", values={"tanggal_pencairan": "2026-11-26", "jumlah_dicairkan": 1_500_000},
        files=pdfs(files, "bukti_pencairan"))
    view = services.show(number, None)
    assert view.summary.state == "dicairkan"
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "rekomendasikan", "setujui", "tandatangani_akad", "cairkan"]


def test_eligibility_follows_membership_age_ceiling_and_term_at_their_limits(services: Services, files) -> None:
    def outcome(amount: int, **changes: object) -> str:
        number = drafted(services, files, amount, **changes)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        return state(services, number)

    assert [outcome(1_000_000, lama_keanggotaan_bulan=m) for m in (2, 3, 4)] == ["permohonan", "analisis", "analisis"]
    assert [outcome(a) for a in (24_999_999, 25_000_000, 25_000_001)] == ["analisis", "analisis", "permohonan"]
    assert [outcome(1_000_000, tenor_bulan=t) for t in (23, 24, 25)] == ["analisis", "analisis", "permohonan"]


def test_instalments_may_not_exceed_the_share_of_income_of_the_ad(services: Services, files) -> None:
    outcome = {}
    for other in (299_999, 300_000, 300_001):  # 1.000.000 income x 35% = 350.000, loan instalment 50.000
        number = submitted(services, files, 600_000, penghasilan_bulanan=1_000_000, angsuran_lain=other)
        with contextlib.suppress(ValidationError):
            act(services, number, "rekomendasikan", "dwi", values={"angsuran_per_bulan": 50_000},
                files=pdfs(files, "lembar_analisis"))
        outcome[other] = state(services, number)
    assert outcome == {299_999: "keputusan_bendahara", 300_000: "keputusan_bendahara", 300_001: "analisis"}


def test_the_instalments_must_repay_the_loan(services: Services, files) -> None:
    number = submitted(services, files, 1_200_000)
    refused(services, number, "rekomendasikan", "dwi", ValidationError, "tidak terpenuhi",
            values={"angsuran_per_bulan": 99_999}, files=pdfs(files, "lembar_analisis"))


def test_the_decision_routes_by_the_bendahara_plafon(services: Services, files) -> None:
    outcome = {a: state(services, analysed(services, files, a)) for a in (1_999_999, 2_000_000, 2_000_001)}
    assert outcome == {1_999_999: "keputusan_bendahara", 2_000_000: "keputusan_bendahara",
                       2_000_001: "keputusan_ketua"}


def test_the_ketuas_approval_routes_by_the_ketua_plafon(services: Services, files) -> None:
    outcome = {}
    for amount in (9_999_999, 10_000_000, 10_000_001):
        number = analysed(services, files, amount)
        act(services, number, "setujui", "bambang")
        outcome[amount] = state(services, number)
    assert outcome == {9_999_999: "akad", 10_000_000: "akad", 10_000_001: "keputusan_pengawas"}


def test_the_plafon_tiers_come_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_pinjaman_bendahara": 500_000, "batas_pinjaman_ketua": 1_000_000})
    number = analysed(services, files, 1_000_001)
    assert state(services, number) == "keputusan_ketua"
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "keputusan_pengawas"


def test_a_loan_to_an_insider_always_goes_to_the_ketua_and_the_pengawas(services: Services, files) -> None:
    number = analysed(services, files, 500_000, status_peminjam=INSIDER)
    assert state(services, number) == "keputusan_ketua"
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "keputusan_pengawas"


def test_a_large_loan_needs_exactly_the_configured_number_of_pengawas(services: Services, files) -> None:
    number = analysed(services, files, 15_000_000)
    act(services, number, "setujui", "bambang")
    assert not act(services, number, "setujui_pengawas", "heru").fired
    assert state(services, number) == "keputusan_pengawas"
    assert act(services, number, "setujui_pengawas", "agus").fired
    assert state(services, number) == "akad"


def test_each_step_can_send_the_application_back(services: Services, files) -> None:
    number = submitted(services, files, 1_500_000)
    act(services, number, "kembalikan", "dwi", comment="Surat persetujuan suami belum ada")
    assert state(services, number) == "permohonan"
    number = analysed(services, files, 1_500_000)
    act(services, number, "kembalikan", "sri", comment="Kunjungan usaha belum dilakukan")
    assert state(services, number) == "analisis"
    number = analysed(services, files, 5_000_000)
    act(services, number, "kembalikan", "bambang", comment="Hitung ulang dengan tenor 18 bulan")
    assert state(services, number) == "analisis"


def test_each_decider_can_reject_and_an_applicant_can_withdraw_before_the_akad(services: Services, files) -> None:
    rejections = []
    number = submitted(services, files, 1_500_000)
    act(services, number, "tolak", "dwi", comment="Tunggakan simpanan wajib 6 bulan")
    rejections.append(state(services, number))
    number = analysed(services, files, 1_500_000)
    act(services, number, "tolak", "sri", comment="Kas USP tidak cukup bulan ini")
    rejections.append(state(services, number))
    number = analysed(services, files, 5_000_000)
    act(services, number, "tolak", "bambang", comment="Usaha belum berjalan")
    rejections.append(state(services, number))
    number = analysed(services, files, 15_000_000)
    act(services, number, "setujui", "bambang")
    act(services, number, "tolak", "nuraini", comment="Jaminan tidak cukup")
    rejections.append(state(services, number))
    assert rejections == ["ditolak"] * 4
    number = analysed(services, files, 1_500_000)
    act(services, number, "setujui", "sri")
    act(services, number, "batalkan", "fajar", comment="Pemohon tidak jadi meminjam")
    assert state(services, number) == "dibatalkan"


def test_the_submitter_cannot_analyse_and_a_former_bendahara_cannot_decide(services: Services, files) -> None:
    number = submitted(services, files, 1_500_000)
    refused(services, number, "rekomendasikan", "fajar", PermissionDeniedError, "mengajukan",
            values={"angsuran_per_bulan": instalment(1_500_000)}, files=pdfs(files, "lembar_analisis"))
    act(services, number, "rekomendasikan", "dwi", values={"angsuran_per_bulan": instalment(1_500_000)},
        files=pdfs(files, "lembar_analisis"))
    refused(services, number, "setujui", "wahyu", PermissionDeniedError, "berakhir 31 Desember 2025")


def test_no_more_than_the_approved_loan_is_disbursed(services: Services, files) -> None:
    number = analysed(services, files, 1_500_000)
    act(services, number, "setujui", "sri")
    act(services, number, "tandatangani_akad", "fajar", values={"nomor_perjanjian": "PJ-1", "tanggal_akad": "2026-11-26"},
        files=pdfs(files, "perjanjian"))
    refused(services, number, "cairkan", "sri", ValidationError, "tidak terpenuhi",
            values={"tanggal_pencairan": "2026-11-26", "jumlah_dicairkan": 1_500_001}, files=pdfs(files, "bukti_pencairan"))
