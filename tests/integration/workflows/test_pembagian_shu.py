"""SOP-KEU-07 Perhitungan dan Pembagian SHU."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import (
    Files,
    act,
    members,
    pdfs,
    present,
    refused,
    reimport,
    start,
    state,
)

WF = "pembagian_shu"
MEMBERS = 200  # in the Buku Daftar Anggota on the day of the RAT
SPLIT = {"persen_cadangan": 30, "persen_jasa_usaha": 30, "persen_jasa_modal": 15,
         "persen_dana_pengurus_pengawas": 5, "persen_dana_karyawan": 5, "persen_dana_pendidikan": 5,
         "persen_dana_sosial": 5, "persen_dana_pembangunan_daerah": 5}
CALCULATION = {"tahun_buku": 2026, "nomor_kasus_tutup_buku": "TTB/2027/0001", "shu_tahun_buku": 48_500_000,
               "shu_anggota": 40_000_000, "shu_non_anggota": 8_500_000, "total_transaksi_anggota": 1_900_000_000,
               "total_simpanan_anggota": 84_000_000, **SPLIT}
MEMBERS_SHARE = 40_000_000 * (30 + 15) // 100  # jasa usaha + jasa modal of the members' SHU only


@pytest.fixture(autouse=True)
def register(services: Services) -> list[str]:
    """The register the RAT counts its quorum against: 200 members who joined in January 2026."""
    return members(services, MEMBERS)


def hadir(count: int) -> dict[str, str]:
    return {"tanggal_rat": "2027-03-20", "daftar_hadir": present(f"KKMP-STN-{n:04d}" for n in range(1001, 1001 + count))}


def drafted(services: Services, files: Files, by: str = "sri", **changes: object) -> str:
    return start(services, WF, by, {**CALCULATION, **changes}, pdfs(files, "perhitungan_shu"))


def examined(services: Services, files: Files, by: str = "sri") -> str:
    number = drafted(services, files, by)
    act(services, number, "ajukan", by)
    act(services, number, "setujui_pemeriksaan", "heru", files=pdfs(files, "laporan_pemeriksaan"))
    act(services, number, "setujui_pemeriksaan", "nuraini")
    assert state(services, number) == "menunggu_rat"
    return number


def opened(services: Services, files: Files, attending: int = 150, by: str = "rina") -> str:
    number = examined(services, files)
    act(services, number, "buka_pembahasan", by, values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
    assert state(services, number) == "keputusan_rat"
    return number


def decided(services: Services, files: Files, **changes: object) -> str:
    number = opened(services, files)
    act(services, number, "putuskan", "joko", values={"metode_keputusan": "Musyawarah mufakat", **SPLIT, **changes})
    assert state(services, number) == "pembayaran"
    return number


def paid(services: Services, files: Files, number: str, amount: int, by: str = "sri") -> None:
    act(services, number, "bayarkan", by, values={"tanggal_pembayaran": "2027-04-01", "total_dibayarkan": amount,
                                                  "jumlah_anggota_penerima": 198},
        files=pdfs(files, "bukti_pembayaran"))


def test_the_shu_is_calculated_examined_decided_by_the_rat_and_paid(services: Services, files) -> None:
    number = decided(services, files)
    paid(services, files, number, MEMBERS_SHARE)
    view = services.show(number, None)
    assert view.summary.state == "dibagikan" and view.summary.final
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "setujui_pemeriksaan", "setujui_pemeriksaan", "buka_pembahasan", "putuskan", "bayarkan"]


def test_a_proposed_split_must_add_up_to_exactly_one_hundred_percent(services: Services, files) -> None:
    outcome = {}
    for social in (4, 5, 6):
        number = drafted(services, files, persen_dana_sosial=social)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "sri")
        outcome[social] = state(services, number)
    assert outcome == {4: "perhitungan", 5: "pemeriksaan_pengawas", 6: "perhitungan"}


def test_the_split_decided_by_the_rat_must_add_up_to_exactly_one_hundred_percent(services: Services, files) -> None:
    number = opened(services, files)
    for education in (4, 6):
        refused(services, number, "putuskan", "joko", ValidationError, "tidak terpenuhi",
                values={"metode_keputusan": "Musyawarah mufakat", **SPLIT, "persen_dana_pendidikan": education})
    act(services, number, "putuskan", "joko", values={"metode_keputusan": "Musyawarah mufakat", **SPLIT,
                                                      "persen_dana_pendidikan": 0, "persen_jasa_usaha": 35})
    assert state(services, number) == "pembayaran"


def test_the_reserve_may_not_fall_below_the_minimum_of_the_ad(services: Services, files) -> None:
    outcome = {}
    for reserve in (24, 25, 26):
        number = drafted(services, files, persen_cadangan=reserve, persen_jasa_usaha=60 - reserve)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "sri")
        outcome[reserve] = state(services, number)
    assert outcome == {24: "perhitungan", 25: "pemeriksaan_pengawas", 26: "pemeriksaan_pengawas"}


def test_the_minimum_reserve_comes_from_the_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"shu_cadangan_minimal_persen": 35})
    refused(services, drafted(services, files), "ajukan", "sri", ValidationError, "tidak terpenuhi")
    number = drafted(services, files, persen_cadangan=35, persen_jasa_usaha=25)
    act(services, number, "ajukan", "sri")
    assert state(services, number) == "pemeriksaan_pengawas"


def test_member_and_non_member_shu_must_add_up_to_the_years_shu(services: Services, files) -> None:
    outcome = {}
    for non_member in (8_499_999, 8_500_000, 8_500_001):
        number = drafted(services, files, shu_non_anggota=non_member)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "sri")
        outcome[non_member] = state(services, number)
    assert outcome == {8_499_999: "perhitungan", 8_500_000: "pemeriksaan_pengawas", 8_500_001: "perhitungan"}


def test_the_closed_books_are_cited_by_their_case_number(services: Services, files) -> None:
    with pytest.raises(ValidationError, match="TTB/TAHUN/NOMOR"):
        drafted(services, files, nomor_kasus_tutup_buku="Neraca 2026")


def test_members_are_paid_at_most_their_share_of_the_members_shu(services: Services, files) -> None:
    outcome = {}
    for amount in (MEMBERS_SHARE, MEMBERS_SHARE + 1, 48_500_000 * 45 // 100):  # last: the non-members' SHU shared too
        number = decided(services, files)
        with contextlib.suppress(ValidationError):
            paid(services, files, number, amount)
        outcome[amount] = state(services, number)
    assert outcome == {MEMBERS_SHARE: "dibagikan", MEMBERS_SHARE + 1: "pembayaran", 21_825_000: "pembayaran"}


def test_the_payment_follows_the_split_the_rat_decided(services: Services, files) -> None:
    number = decided(services, files, persen_jasa_usaha=25, persen_cadangan=35)  # 40% to members instead of 45%
    refused(services, number, "bayarkan", "sri", ValidationError, "tidak terpenuhi",
            values={"tanggal_pembayaran": "2027-04-01", "total_dibayarkan": MEMBERS_SHARE,
                    "jumlah_anggota_penerima": 198}, files=pdfs(files, "bukti_pembayaran"))
    paid(services, files, number, 16_000_000)
    assert state(services, number) == "dibagikan"


def test_the_examination_needs_the_configured_number_of_pengawas(services: Services, files) -> None:
    number = drafted(services, files)
    act(services, number, "ajukan", "sri")
    first = act(services, number, "setujui_pemeriksaan", "agus", files=pdfs(files, "laporan_pemeriksaan"))
    assert (first.fired, first.votes, first.needed) == (False, 1, 2)
    act(services, number, "setujui_pemeriksaan", "heru")
    assert state(services, number) == "menunggu_rat"


def test_the_rat_decides_only_with_more_than_the_quorum_of_the_ad(services: Services, files) -> None:
    limit = MEMBERS * 50 // 100
    outcome = {}
    for attending in (limit - 1, limit, limit + 1):
        number = examined(services, files)
        try:
            act(services, number, "buka_pembahasan", "rina", values=hadir(attending),
                files=pdfs(files, "daftar_hadir_ttd"))
        except ValidationError:
            act(services, number, "tunda", "rina", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
        outcome[attending] = state(services, number)
    assert outcome == {limit - 1: "penundaan", limit: "penundaan", limit + 1: "keputusan_rat"}


def test_a_postponed_rat_decides_with_the_second_quorum(services: Services, files) -> None:
    limit = MEMBERS * 20 // 100
    outcome = {}
    for attending in (limit - 1, limit):
        number = examined(services, files)
        act(services, number, "tunda", "bambang", values=hadir(60), files=pdfs(files, "daftar_hadir_ttd"))
        act(services, number, "jadwalkan_ulang", "rina", values={"tanggal_rat": "2027-04-03"})
        values = {**hadir(attending), "tanggal_rat": "2027-04-03"}
        try:
            act(services, number, "buka_pembahasan", "rina", values=values, files=pdfs(files, "daftar_hadir_ttd"))
        except ValidationError:
            act(services, number, "tunda", "rina", values=values, files=pdfs(files, "daftar_hadir_ttd"))
        outcome[attending] = state(services, number)
    assert outcome == {limit - 1: "penundaan", limit: "keputusan_rat"}


def test_a_vote_carries_only_with_more_than_half_of_those_present(services: Services, files) -> None:
    outcome = {}
    for yes in (50, 51, 102):  # 101 present; 102: more votes than members present
        number = opened(services, files, attending=101)
        with contextlib.suppress(ValidationError):
            act(services, number, "putuskan", "joko",
                values={"metode_keputusan": "Pemungutan suara", "suara_setuju": yes, **SPLIT})
        outcome[yes] = state(services, number)
    assert outcome == {50: "keputusan_rat", 51: "pembayaran", 102: "keputusan_rat"}


def test_the_pengawas_and_the_rat_send_the_calculation_back(services: Services, files) -> None:
    number = drafted(services, files)
    act(services, number, "ajukan", "sri")
    refused(services, number, "kembalikan", "heru", ValidationError, "wajib diisi")
    act(services, number, "kembalikan", "heru", comment="Penjualan gerai kepada bukan anggota belum dipisahkan")
    assert state(services, number) == "perhitungan"

    number = opened(services, files)
    act(services, number, "kembalikan", "joko", comment="Rapat meminta JUA dihitung dari transaksi sembako saja")
    assert state(services, number) == "perhitungan"


def test_only_the_bendahara_or_manajer_calculates_and_only_the_bendahara_pays(services: Services, files) -> None:
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
        drafted(services, files, by="rina")
    number = decided(services, files)
    refused(services, number, "bayarkan", "fajar", PermissionDeniedError, "hanya untuk Bendahara",
            values={"tanggal_pembayaran": "2027-04-01", "total_dibayarkan": 1, "jumlah_anggota_penerima": 1},
            files=pdfs(files, "bukti_pembayaran"))


def test_only_the_pimpinan_rapat_records_the_decision(services: Services, files) -> None:
    number = opened(services, files)
    for who, role in (("bambang", "Pimpinan Rapat"), ("sri", "Pimpinan Rapat"), ("heru", "Pimpinan Rapat")):
        refused(services, number, "putuskan", who, PermissionDeniedError, f"hanya untuk {role}",
                values={"metode_keputusan": "Musyawarah mufakat", **SPLIT})


def test_whoever_opened_the_meeting_does_not_record_its_decision(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "bambang", "role": "pimpinan_rapat", "start": "2026-11-02"}],
             ended={("joko", "pimpinan_rapat"): "2026-11-01"})
    number = opened(services, files, by="bambang")
    refused(services, number, "putuskan", "bambang", PermissionDeniedError, "sudah",
            values={"metode_keputusan": "Musyawarah mufakat", **SPLIT})
    assert state(services, number) == "keputusan_rat"
