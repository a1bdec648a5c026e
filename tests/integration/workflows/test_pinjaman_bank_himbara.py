"""SOP-KEU-08 Pengajuan Pinjaman Bank Himbara (PMK 49/2025)."""

from __future__ import annotations

import contextlib

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, start, state

WF = "pinjaman_bank_himbara"
JT = 1_000_000


def proposal(amount: int = 400 * JT, opex: int = 150 * JT, **changes: object) -> dict[str, object]:
    return {"bank_tujuan": "Bank Rakyat Indonesia (BRI)", "jumlah_pinjaman": amount,
            "porsi_belanja_modal": amount - opex, "porsi_belanja_operasional": opex, "tenor_bulan": 60,
            "masa_tenggang_bulan": 6, "penggunaan": "Renovasi gerai sembako, rak dan timbangan; stok awal",
            "tercantum_rapb": "Ya", "nomor_induk_koperasi": "3576010020001", "nib": "9120109876543",
            "npwp": "0987654321098765", "rekening_koperasi": "BRI 0123-01-000456-30-7 a.n. KKMP Sentanan",
            **changes}


def drafted(services: Services, files: Files, **kwargs: object) -> str:
    return start(services, WF, "sri", proposal(**kwargs), pdfs(files, "berkas_legalitas", "proposal_bisnis"))


def submitted(services: Services, files: Files, **kwargs: object) -> str:
    number = drafted(services, files, **kwargs)
    act(services, number, "ajukan", "sri")
    return number


def approved_by_pengurus(services: Services, files: Files, **kwargs: object) -> str:
    number = submitted(services, files, **kwargs)
    for pengurus in ("bambang", "dwi", "endang"):
        act(services, number, "setujui_pengurus", pengurus)
    return number


def approved_by_pengawas(services: Services, files: Files, **kwargs: object) -> str:
    number = approved_by_pengurus(services, files, **kwargs)
    act(services, number, "setujui_pengawas", "agus")
    act(services, number, "setujui_pengawas", "heru")
    return number


def at_the_bank(services: Services, files: Files) -> str:
    number = approved_by_pengawas(services, files)
    act(services, number, "catat_persetujuan_pemda", "rina", values={"nomor_persetujuan_pemda": "500/812/417.105/2026"},
        files=pdfs(files, "ba_musyawarah_kelurahan", "surat_persetujuan_pemda"))
    return number


def first_step(services: Services, files: Files, **kwargs: object) -> str:
    number = drafted(services, files, **kwargs)
    with contextlib.suppress(ValidationError):
        act(services, number, "ajukan", "sri")
    return state(services, number)


def test_a_loan_is_proposed_approved_by_every_organ_and_the_city_then_signed_with_the_bank(
        services: Services, files) -> None:
    number = at_the_bank(services, files)
    assert state(services, number) == "pengajuan_bank"
    act(services, number, "catat_keputusan_bank", "bambang", values={"tanggal_pengajuan_bank": "2026-12-01",
                                                                     "jumlah_disetujui_bank": 350 * JT},
        files=pdfs(files, "surat_keputusan_bank"))
    act(services, number, "catat_akad", "bambang", values={"nomor_akad": "B.123/KC-MJK/2026", "tanggal_akad": "2026-12-20"},
        files=pdfs(files, "perjanjian_kredit"))
    view = services.show(number, None)
    assert view.summary.state == "akad_ditandatangani"
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "setujui_pengurus", "setujui_pengurus", "setujui_pengurus", "setujui_pengawas",
        "setujui_pengawas", "catat_persetujuan_pemda", "catat_keputusan_bank", "catat_akad"]


def test_the_amount_may_not_exceed_the_pmk_ceiling(services: Services, files) -> None:
    ceiling = 3_000 * JT
    assert [first_step(services, files, amount=a) for a in (ceiling - 1, ceiling, ceiling + 1)] == [
        "pembahasan_pengurus", "pembahasan_pengurus", "penyusunan_proposal"]


def test_the_operating_share_may_not_exceed_the_pmk_limit(services: Services, files) -> None:
    limit = 500 * JT
    assert [first_step(services, files, amount=900 * JT, opex=o) for o in (limit - 1, limit, limit + 1)] == [
        "pembahasan_pengurus", "pembahasan_pengurus", "penyusunan_proposal"]


def test_term_and_grace_period_stay_within_the_pmk(services: Services, files) -> None:
    assert [first_step(services, files, tenor_bulan=t) for t in (71, 72, 73)] == [
        "pembahasan_pengurus", "pembahasan_pengurus", "penyusunan_proposal"]
    assert [first_step(services, files, masa_tenggang_bulan=g) for g in (5, 6, 7, 8, 9)] == [
        "penyusunan_proposal", "pembahasan_pengurus", "pembahasan_pengurus", "pembahasan_pengurus",
        "penyusunan_proposal"]


def test_capital_and_operating_shares_must_add_up_to_the_loan(services: Services, files) -> None:
    number = start(services, WF, "sri", {**proposal(), "porsi_belanja_modal": 250 * JT - 1},
                   pdfs(files, "berkas_legalitas", "proposal_bisnis"))
    refused(services, number, "ajukan", "sri", ValidationError, "tidak terpenuhi")


def test_a_loan_above_the_board_limit_or_outside_the_rapb_goes_to_the_members_meeting(
        services: Services, files) -> None:
    limit = 500 * JT
    outcome = {a: state(services, approved_by_pengawas(services, files, amount=a)) for a in (limit - 1, limit, limit + 1)}
    assert outcome == {limit - 1: "persetujuan_pemda", limit: "persetujuan_pemda", limit + 1: "rapat_anggota"}
    number = approved_by_pengawas(services, files, amount=100 * JT, opex=50 * JT, tercantum_rapb="Tidak")
    assert state(services, number) == "rapat_anggota"


def test_the_members_meeting_approves_or_rejects(services: Services, files) -> None:
    number = approved_by_pengawas(services, files, amount=2_000 * JT)
    act(services, number, "setujui_ra", "joko", values={"tanggal_rapat_anggota": "2026-12-12"},
        files=pdfs(files, "berita_acara_ra"))
    assert state(services, number) == "persetujuan_pemda"
    number = approved_by_pengawas(services, files, amount=2_000 * JT)
    act(services, number, "tolak", "joko", comment="Rapat minta pinjaman dikurangi separuhnya")
    assert state(services, number) == "ditolak"


def test_the_board_needs_exactly_the_configured_number_and_the_drafter_does_not_vote(
        services: Services, files) -> None:
    number = submitted(services, files)
    refused(services, number, "setujui_pengurus", "sri", PermissionDeniedError, "mengajukan")
    refused(services, number, "setujui_pengurus", "wahyu", PermissionDeniedError, "berakhir")
    assert not act(services, number, "setujui_pengurus", "bambang").fired
    assert not act(services, number, "setujui_pengurus", "rina").fired
    assert act(services, number, "setujui_pengurus", "endang").fired
    assert not act(services, number, "setujui_pengawas", "nuraini").fired
    assert state(services, number) == "persetujuan_pengawas"
    assert act(services, number, "setujui_pengawas", "heru").fired


def test_the_board_can_reject_by_quorum_or_return(services: Services, files) -> None:
    number = submitted(services, files)
    for pengurus in ("bambang", "dwi"):
        assert not act(services, number, "tolak", pengurus, comment="Arus kas tidak menutup angsuran").fired
    assert act(services, number, "tolak", "rina", comment="Setuju").fired
    assert state(services, number) == "ditolak"
    number = submitted(services, files)
    act(services, number, "kembalikan", "bambang", comment="Tambahkan tahapan pencairan")
    assert state(services, number) == "penyusunan_proposal"


def test_the_pengawas_the_city_and_the_bank_can_return_or_reject(services: Services, files) -> None:
    outcome = []
    number = approved_by_pengurus(services, files)
    act(services, number, "kembalikan", "heru", comment="Proyeksi penjualan terlalu optimistis")
    outcome.append(state(services, number))
    number = approved_by_pengurus(services, files)
    act(services, number, "tolak", "agus", comment="Belum ada RAT tahun lalu")
    outcome.append(state(services, number))
    number = approved_by_pengawas(services, files)
    act(services, number, "kembalikan", "rina", comment="Dinas minta rincian belanja modal")
    outcome.append(state(services, number))
    number = approved_by_pengawas(services, files)
    act(services, number, "tolak", "rina", comment="Musyawarah kelurahan tidak menyetujui")
    outcome.append(state(services, number))
    number = at_the_bank(services, files)
    act(services, number, "kembalikan", "bambang", comment="Bank minta proyeksi 72 bulan")
    outcome.append(state(services, number))
    number = at_the_bank(services, files)
    act(services, number, "tolak", "sri", comment="Bank menolak: data SIMKOPDES belum lengkap")
    outcome.append(state(services, number))
    assert outcome == ["penyusunan_proposal", "ditolak", "penyusunan_proposal", "ditolak",
                       "penyusunan_proposal", "ditolak"]


def test_the_bank_cannot_be_recorded_as_lending_more_than_was_asked(services: Services, files) -> None:
    number = at_the_bank(services, files)
    refused(services, number, "catat_keputusan_bank", "bambang", ValidationError, "tidak terpenuhi",
            values={"tanggal_pengajuan_bank": "2026-12-01", "jumlah_disetujui_bank": 400 * JT + 1},
            files=pdfs(files, "surat_keputusan_bank"))
