"""SOP-USH-15 Angsuran, Kolektibilitas dan Penagihan Pinjaman Anggota."""

from __future__ import annotations

import contextlib
from datetime import date, timedelta
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "angsuran_pinjaman"
PRINCIPAL = 6_000_000
MONTHLY = 500_000
FIRST_DUE = date(2026, 7, 26)
DPK, KL, D, M = "Dalam perhatian khusus", "Kurang lancar", "Diragukan", "Macet"


def month(n: int) -> str:
    """The n-th due date after the first (the 26th of each month)."""
    year, index = divmod(FIRST_DUE.month - 1 + n, 12)
    return date(FIRST_DUE.year + year, index + 1, FIRST_DUE.day).isoformat()


def after(days: int) -> str:
    return (FIRST_DUE + timedelta(days=days)).isoformat()


def loan(**changes: object) -> dict[str, object]:
    return {"nomor_kasus_pinjaman": "PJA/2026/0012", "nama_anggota": "Lilik Suryani", "nomor_anggota": "KKMP-STN-0033",
            "nomor_perjanjian": "PJ-0087/USP/VI/2026", "pokok_pinjaman": PRINCIPAL, "tenor_bulan": 12,
            "angsuran_pokok_per_bulan": MONTHLY, "tanggal_pencairan": "2026-06-26", "jatuh_tempo": month(0),
            "sisa_pokok": PRINCIPAL, **changes}


def drafted(services: Services, files: Files, by: str = "fajar", **changes: object) -> str:
    return start(services, WF, by, loan(**changes), pdfs(files, "berkas_pinjaman"))


def running(services: Services, files: Files) -> str:
    number = drafted(services, files)
    act(services, number, "buka_kartu", "fajar")
    act(services, number, "periksa_kartu", "sri")
    return number


def payment(n: int, before: int, principal: int = MONTHLY, interest: int | None = None,
            due: str | None = None, **changes: object) -> dict[str, object]:
    return {"angsuran_ke": n, "tanggal_bayar": month(n - 1), "pokok_dibayar": principal,
            "jasa_dibayar": before // 100 if interest is None else interest, "sisa_pokok_sesudah": before - principal,
            "jatuh_tempo_berikutnya": month(n) if due is None else due, **changes}


def pay(services: Services, files: Files, number: str, n: int, before: int, by: str = "fajar",
        **kwargs: object) -> None:
    values = payment(n, before, **kwargs)  # type: ignore[arg-type]
    act(services, number, "terima_angsuran", by, values=values, files=pdfs(files, "bukti_angsuran"))
    act(services, number, "bukukan", "sri", values={"sisa_pokok": values["sisa_pokok_sesudah"],
                                                    "jatuh_tempo": values["jatuh_tempo_berikutnya"]})


def graded(services: Services, files: Files, number: str, days: int, grade: str, source: str = "tagih") -> None:
    act(services, number, source, "fajar",
        values={"tanggal_penilaian": after(days), "hari_tunggakan": days, "kolektibilitas": grade,
                "tunggakan": 2 * MONTHLY, "tingkat_peringatan": "Surat peringatan pertama"},
        files=pdfs(files, "surat_peringatan"))


def visited(services: Services, files: Files, days: int, grade: str) -> str:
    number = running(services, files)
    graded(services, files, number, days, grade)
    act(services, number, "kunjungi", "fajar", values={"tanggal_kunjungan": after(days + 3),
                                                      "hasil_kunjungan": "Mengajukan keringanan (restrukturisasi)"},
        files=pdfs(files, "laporan_kunjungan"))
    return number


def restructuring(months: int = 24, monthly: int = 250_000) -> dict[str, object]:
    return {"bentuk_restrukturisasi": "Penjadwalan ulang (jangka waktu diperpanjang)", "angsuran_pokok_baru": monthly,
            "sisa_tenor_baru": months, "jatuh_tempo_baru": "2026-12-26"}


def meeting(services: Services, files: Files, number: str, present: str = "bambang,dwi,endang,rina,sri",
            supervisors: str | None = None) -> None:
    values = {"tanggal_rapat": "2026-12-10", "hadir_pengurus": present}
    if supervisors is not None:
        values["hadir_pengawas"] = supervisors
    act(services, number, "catat_rapat", "rina", values=values, files=pdfs(files, "notulen_rapat"))


def test_a_loan_is_opened_paid_instalment_by_instalment_and_closed(services: Services, files) -> None:
    number = running(services, files)
    assert state(services, number) == "berjalan"
    balance = PRINCIPAL
    for n in range(1, 13):
        pay(services, files, number, n, balance)
        balance -= MONTHLY
        assert state(services, number) == ("berjalan" if balance else "penutupan")
    act(services, number, "tutup", "fajar", values={"tanggal_lunas": month(11)},
        files=pdfs(files, "surat_keterangan_lunas"))
    view = services.show(number, None)
    assert view.summary.state == "lunas"
    actions = [e.action for e in view.history]
    assert actions[:3] == ["mulai", "buka_kartu", "periksa_kartu"]
    assert actions.count("terima_angsuran") == actions.count("bukukan") == 12
    assert actions[-1] == "tutup"


def test_the_card_is_opened_as_the_agreement_says(services: Services, files) -> None:
    refused(services, drafted(services, files, sisa_pokok=PRINCIPAL - 1), "buka_kartu", "fajar", ValidationError,
            "Sisa pokok awal")
    outcome = {}
    for monthly in (MONTHLY - 1, MONTHLY):
        number = drafted(services, files, angsuran_pokok_per_bulan=monthly)
        with contextlib.suppress(ValidationError):
            act(services, number, "buka_kartu", "fajar")
        outcome[monthly] = state(services, number)
    assert outcome == {MONTHLY - 1: "pembukaan", MONTHLY: "verifikasi_pembukaan"}
    late = drafted(services, files, jatuh_tempo="2026-07-27")
    refused(services, late, "buka_kartu", "fajar", ValidationError, "paling lama satu bulan")
    with pytest.raises(ValidationError, match="PJA/TAHUN/NOMOR"):
        drafted(services, files, nomor_kasus_pinjaman="PJA/26/12")


def test_the_bendahara_checks_the_card_the_manajer_opened(services: Services, files) -> None:
    number = drafted(services, files)
    act(services, number, "buka_kartu", "fajar")
    refused(services, number, "periksa_kartu", "fajar", PermissionDeniedError, "hanya untuk Bendahara")
    act(services, number, "kembalikan", "sri", comment="Nomor perjanjian berbeda dengan akad")
    assert state(services, number) == "pembukaan"
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
        drafted(services, files, by="sri")


def test_the_instalment_arithmetic_is_checked(services: Services, files) -> None:
    number = running(services, files)
    attach = pdfs(files, "bukti_angsuran")

    def no(values: dict[str, object], match: str) -> None:
        refused(services, number, "terima_angsuran", "fajar", ValidationError, match, values=values, files=attach)

    no(payment(1, PRINCIPAL, sisa_pokok_sesudah=5_500_001), "Sisa pokok sesudah angsuran harus")
    no(payment(1, PRINCIPAL, principal=PRINCIPAL + 1, sisa_pokok_sesudah=0), "melebihi sisa pokok")
    no(payment(1, PRINCIPAL, interest=59_999), "kurang dari tarif 10 per seribu")
    no(payment(1, PRINCIPAL, due=month(2)), "paling jauh satu bulan")
    no(payment(1, PRINCIPAL, due="2026-07-25"), "harus tetap")
    no(payment(1, PRINCIPAL, principal=0, interest=0, due=month(0)), "tidak terpenuhi")
    act(services, number, "terima_angsuran", "fajar", values=payment(1, PRINCIPAL, interest=60_000), files=attach)
    assert state(services, number) == "verifikasi_angsuran"


def test_a_partial_payment_keeps_the_due_date(services: Services, files) -> None:
    number = running(services, files)
    pay(services, files, number, 1, PRINCIPAL, principal=200_000, due=month(0))
    view = services.show(number, None)
    fields = {name: value for name, _, value in view.fields}
    assert view.summary.state == "berjalan"
    assert "5.800.000" in fields["sisa_pokok"]
    assert fields["jatuh_tempo"] == "26 Juli 2026", fields["jatuh_tempo"]


def test_the_bendahara_books_exactly_what_was_received(services: Services, files) -> None:
    number = running(services, files)
    act(services, number, "terima_angsuran", "fajar", values=payment(1, PRINCIPAL), files=pdfs(files, "bukti_angsuran"))
    refused(services, number, "bukukan", "sri", ValidationError, "persis seperti angsuran",
            values={"sisa_pokok": 5_400_000, "jatuh_tempo": month(1)})
    refused(services, number, "bukukan", "sri", ValidationError, "persis seperti angsuran",
            values={"sisa_pokok": 5_500_000, "jatuh_tempo": month(2)})
    refused(services, number, "bukukan", "fajar", PermissionDeniedError, "hanya untuk Bendahara",
            values={"sisa_pokok": 5_500_000, "jatuh_tempo": month(1)})
    act(services, number, "kembalikan", "sri", comment="BKM belum ditandatangani anggota")
    assert state(services, number) == "koreksi_angsuran"
    act(services, number, "terima_angsuran", "fajar", values=payment(1, PRINCIPAL), files=pdfs(files, "bukti_angsuran"))
    act(services, number, "kembalikan", "sri", comment="Transfer anggota ditolak bank")
    refused(services, number, "batalkan_catatan", "fajar", ValidationError, "wajib diisi")
    act(services, number, "batalkan_catatan", "fajar", comment="Transfer gagal; anggota membayar ulang pekan depan")
    assert state(services, number) == "berjalan"


def test_whoever_receives_an_instalment_does_not_book_it(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "sri", "role": "kasir", "start": "2026-11-01"}])
    number = running(services, files)
    act(services, number, "terima_angsuran", "sri", values=payment(1, PRINCIPAL), files=pdfs(files, "bukti_angsuran"))
    refused(services, number, "bukukan", "sri", PermissionDeniedError, "mengajukan",
            values={"sisa_pokok": 5_500_000, "jatuh_tempo": month(1)})


def grade_of(services: Services, files: Files, days: int) -> str | None:
    number = running(services, files)
    for grade in (DPK, KL, D, M):
        with contextlib.suppress(ValidationError):
            graded(services, files, number, days, grade)
            return grade
    return None


def test_kolektibilitas_follows_the_days_overdue_at_each_boundary(services: Services, files) -> None:
    outcome = {days: grade_of(services, files, days) for days in (1, 90, 91, 180, 181, 270, 271)}
    assert outcome == {1: DPK, 90: DPK, 91: KL, 180: KL, 181: D, 270: D, 271: M}


def test_the_days_overdue_are_counted_not_typed(services: Services, files) -> None:
    number = running(services, files)
    refused(services, number, "tagih", "fajar", ValidationError, "Hari tunggakan dihitung",
            values={"tanggal_penilaian": after(100), "hari_tunggakan": 80, "kolektibilitas": DPK,
                    "tunggakan": MONTHLY, "tingkat_peringatan": "Surat peringatan pertama"},
            files=pdfs(files, "surat_peringatan"))
    refused(services, number, "tagih", "fajar", ValidationError, "tidak terpenuhi",
            values={"tanggal_penilaian": after(0), "hari_tunggakan": 0, "kolektibilitas": DPK,
                    "tunggakan": MONTHLY, "tingkat_peringatan": "Surat peringatan pertama"},
            files=pdfs(files, "surat_peringatan"))


def test_the_kolektibilitas_thresholds_come_from_the_cooperatives_settings(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"kolektibilitas_kurang_lancar_hari": 30, "kolektibilitas_diragukan_hari": 60,
                                           "kolektibilitas_macet_hari": 120})
    assert [grade_of(services, files, d) for d in (30, 31, 61, 121)] == [DPK, KL, D, M]


def test_an_instalment_paid_during_penagihan_returns_the_loan_to_running(services: Services, files) -> None:
    number = running(services, files)
    graded(services, files, number, 10, DPK)
    assert state(services, number) == "penagihan"
    pay(services, files, number, 1, PRINCIPAL)
    assert state(services, number) == "berjalan"


def test_a_restructuring_is_decided_by_the_pengurus_meeting_and_booked(services: Services, files) -> None:
    number = visited(services, files, 120, KL)
    assert state(services, number) == "tindak_lanjut"
    act(services, number, "usulkan_restrukturisasi", "fajar", values=restructuring(),
        files=pdfs(files, "usulan_restrukturisasi"))
    meeting(services, files, number)
    assert state(services, number) == "keputusan_restrukturisasi"
    refused(services, number, "setujui_rapat", "rina", PermissionDeniedError, "sendiri")  # recorded the meeting
    refused(services, number, "setujui_rapat", "sri", PermissionDeniedError, "sudah memutuskan")  # checked the card
    refused(services, number, "setujui_rapat", "fajar", PermissionDeniedError, "hanya untuk Pengurus")
    for person in ("bambang", "dwi"):
        act(services, number, "setujui_rapat", person)
        assert state(services, number) == "keputusan_restrukturisasi"
    act(services, number, "setujui_rapat", "endang")
    assert state(services, number) == "adendum_perjanjian"
    refused(services, number, "catat_adendum", "fajar", ValidationError, "diputuskan rapat pengurus",
            values={"angsuran_pokok_per_bulan": MONTHLY, "jatuh_tempo": "2026-12-26"}, files=pdfs(files, "adendum"))
    act(services, number, "catat_adendum", "fajar", values={"angsuran_pokok_per_bulan": 250_000,
                                                           "jatuh_tempo": "2026-12-26"}, files=pdfs(files, "adendum"))
    assert state(services, number) == "berjalan"


def test_a_restructuring_must_repay_the_loan_within_the_longest_term(services: Services, files) -> None:
    number = visited(services, files, 120, KL)
    attach = pdfs(files, "usulan_restrukturisasi")
    refused(services, number, "usulkan_restrukturisasi", "fajar", ValidationError, "tidak menutup sisa pokok",
            values=restructuring(24, 249_999), files=attach)
    refused(services, number, "usulkan_restrukturisasi", "fajar", ValidationError, "paling lama 36 bulan",
            values=restructuring(37, 200_000), files=attach)
    act(services, number, "usulkan_restrukturisasi", "fajar", values=restructuring(36, 166_667), files=attach)
    assert state(services, number) == "rapat_restrukturisasi"


def test_the_pengurus_meeting_needs_its_attendance_quorum_and_only_those_present_vote(
        services: Services, files) -> None:
    number = visited(services, files, 120, KL)
    act(services, number, "usulkan_restrukturisasi", "fajar", values=restructuring(),
        files=pdfs(files, "usulan_restrukturisasi"))
    refused(services, number, "catat_rapat", "rina", ValidationError, "kuorum kehadiran",
            values={"tanggal_rapat": "2026-12-10", "hadir_pengurus": "bambang,dwi"}, files=pdfs(files, "notulen_rapat"))
    meeting(services, files, number, present="bambang,dwi,rina")
    refused(services, number, "setujui_rapat", "endang", PermissionDeniedError, "tidak tercatat hadir")


def test_a_restructuring_refused_by_the_meeting_returns_to_penagihan(services: Services, files) -> None:
    number = visited(services, files, 120, KL)
    act(services, number, "usulkan_restrukturisasi", "fajar", values=restructuring(),
        files=pdfs(files, "usulan_restrukturisasi"))
    meeting(services, files, number)
    for person in ("bambang", "dwi", "endang"):
        act(services, number, "tolak_rapat", person, comment="Usaha peminjam sudah berhenti")
    assert state(services, number) == "tindak_lanjut"


def written_off_proposal(services: Services, files: Files) -> str:
    number = visited(services, files, 271, M)
    act(services, number, "usulkan_hapus_buku", "fajar",
        values={"tanggal_penilaian": after(300), "hari_tunggakan": 300, "kolektibilitas": M, "tunggakan": PRINCIPAL},
        files=pdfs(files, "usulan_hapus_buku"))
    return number


def test_only_a_macet_loan_may_be_proposed_for_write_off(services: Services, files) -> None:
    number = visited(services, files, 200, D)
    attach = pdfs(files, "usulan_hapus_buku")
    for days, grade in ((270, D), (270, M)):
        refused(services, number, "usulkan_hapus_buku", "fajar", ValidationError, "tidak terpenuhi",
                values={"tanggal_penilaian": after(days), "hari_tunggakan": days, "kolektibilitas": grade,
                        "tunggakan": PRINCIPAL}, files=attach)
    act(services, number, "usulkan_hapus_buku", "fajar",
        values={"tanggal_penilaian": after(271), "hari_tunggakan": 271, "kolektibilitas": M, "tunggakan": PRINCIPAL},
        files=attach)
    assert state(services, number) == "rapat_hapus_buku"


def test_a_write_off_needs_the_pengurus_and_the_pengawas_present(services: Services, files) -> None:
    number = written_off_proposal(services, files)
    meeting(services, files, number, supervisors="heru,nuraini")
    for person in ("bambang", "dwi", "endang"):
        act(services, number, "setujui_rapat", person)
    assert state(services, number) == "persetujuan_pengawas_hapus_buku"
    refused(services, number, "setujui_pengawas", "bambang", PermissionDeniedError, "hanya untuk Pengawas")
    refused(services, number, "setujui_pengawas", "agus", PermissionDeniedError, "tidak tercatat hadir")
    act(services, number, "setujui_pengawas", "heru")
    assert state(services, number) == "persetujuan_pengawas_hapus_buku"
    act(services, number, "setujui_pengawas", "nuraini")
    view = services.show(number, None)
    assert view.summary.state == "dihapus_buku"
    assert [e.action for e in view.history][-7:] == [
        "usulkan_hapus_buku", "catat_rapat", "setujui_rapat", "setujui_rapat", "setujui_rapat", "setujui_pengawas",
        "setujui_pengawas"]


def test_one_pengawas_objecting_stops_the_write_off(services: Services, files) -> None:
    number = written_off_proposal(services, files)
    meeting(services, files, number, supervisors="agus,heru,nuraini")
    for person in ("bambang", "dwi", "endang"):
        act(services, number, "setujui_rapat", person)
    refused(services, number, "tolak_pengawas", "heru", ValidationError, "wajib diisi")
    act(services, number, "tolak_pengawas", "heru", comment="Jaminan sepeda motor belum dijual")
    assert state(services, number) == "tindak_lanjut"


def test_the_manajer_not_the_teller_proposes_restructuring_and_write_off(
        services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "wahyu", "role": "karyawan", "start": "2026-11-01"}])
    number = visited(services, files, 120, KL)
    refused(services, number, "usulkan_restrukturisasi", "wahyu", PermissionDeniedError, "hanya untuk Manajer",
            values=restructuring(), files=pdfs(files, "usulan_restrukturisasi"))


def test_restructuring_needs_the_members_own_request_found_on_the_visit(services: Services, files) -> None:
    number = running(services, files)
    graded(services, files, number, 120, KL)
    act(services, number, "kunjungi", "fajar", values={"tanggal_kunjungan": after(123),
                                                      "hasil_kunjungan": "Tidak sanggup membayar"},
        files=pdfs(files, "laporan_kunjungan"))
    refused(services, number, "usulkan_restrukturisasi", "fajar", ValidationError, "Mengajukan keringanan",
            values=restructuring(), files=pdfs(files, "usulan_restrukturisasi"))
    graded(services, files, number, 130, KL)  # a second reminder letter from the follow-up
    assert state(services, number) == "penagihan"


def test_the_pengurus_who_restructured_a_loan_may_later_vote_its_write_off(services: Services, files) -> None:
    number = visited(services, files, 120, KL)
    act(services, number, "usulkan_restrukturisasi", "fajar", values=restructuring(),
        files=pdfs(files, "usulan_restrukturisasi"))
    meeting(services, files, number)
    for person in ("bambang", "dwi", "endang"):
        act(services, number, "setujui_rapat", person)
    act(services, number, "catat_adendum", "fajar", values={"angsuran_pokok_per_bulan": 250_000,
                                                           "jatuh_tempo": "2026-12-26"}, files=pdfs(files, "adendum"))
    never_paid = (date(2027, 9, 23) - date(2026, 12, 26)).days  # 271 days after the new due date
    act(services, number, "tagih", "fajar",
        values={"tanggal_penilaian": "2027-09-23", "hari_tunggakan": never_paid, "kolektibilitas": M,
                "tunggakan": PRINCIPAL, "tingkat_peringatan": "Surat peringatan ketiga"},
        files=pdfs(files, "surat_peringatan"))
    act(services, number, "kunjungi", "fajar", values={"tanggal_kunjungan": "2027-09-27",
                                                      "hasil_kunjungan": "Tidak ditemukan / pindah"},
        files=pdfs(files, "laporan_kunjungan"))
    act(services, number, "usulkan_hapus_buku", "fajar",
        values={"tanggal_penilaian": "2027-09-30", "hari_tunggakan": never_paid + 7, "kolektibilitas": M,
                "tunggakan": PRINCIPAL}, files=pdfs(files, "usulan_hapus_buku"))
    act(services, number, "catat_rapat", "rina", values={"tanggal_rapat": "2027-10-05",
                                                         "hadir_pengurus": "bambang,dwi,endang,rina",
                                                         "hadir_pengawas": "heru,nuraini"},
        files=pdfs(files, "notulen_rapat"))
    for person in ("bambang", "dwi", "endang"):
        act(services, number, "setujui_rapat", person)
    assert state(services, number) == "persetujuan_pengawas_hapus_buku"
