"""SOP-KEU-05 Laporan Berkala kepada Dinas dan SIMKOPDES."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from engine.demo import DEMO_ORG
from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "laporan_berkala"
MONTHLY = 10  # batas_hari_laporan_bulanan (default)
QUARTERLY = 15  # batas_hari_laporan_triwulanan (default)
SIMKOPDES = "SIMKOPDES"
SURAT = "Surat ke Dinas Koperasi"
REPORT = {
    "jenis_periode": "Bulanan", "periode": "November 2026", "tanggal_akhir_periode": "2026-11-30",
    "nomor_kasus_jurnal": "JRN/2026/0031",
    "total_aset": 412_500_000, "total_kewajiban": 150_000_000, "total_ekuitas": 262_500_000,
    "pendapatan": 96_000_000, "beban": 91_250_000, "shu_periode": 4_750_000,
    "kas_awal": 35_000_000, "kas_masuk": 98_000_000, "kas_keluar": 90_500_000, "kas_akhir": 42_500_000,
    "anggota_awal": 212, "anggota_masuk": 9, "anggota_keluar": 2, "anggota_akhir": 219,
}


def with_dinas_officer(services: Services, tmp_path: Path) -> None:
    """The demo organisation plus an officer of the Dinas Koperasi registered for the KKMP."""
    yaml = YAML(typ="safe")
    org = yaml.load(DEMO_ORG.read_text(encoding="utf-8"))
    org["people"].append({"username": "ratna", "name": "Ratna Kusumawati"})
    org["cooperatives"][0]["roles"].append({"person": "ratna", "role": "dinas", "start": "2026-01-01"})
    path = tmp_path / "org-dinas.yaml"
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(org, handle)
    services.import_org(path)


def drafted(services: Services, files: Files, by: str = "sri", **changes: object) -> str:
    return start(services, WF, by, {**REPORT, **changes}, pdfs(files, "laporan", "lampiran"))


def signed(services: Services, files: Files, by: str = "sri", **changes: object) -> str:
    number = drafted(services, files, by, **changes)
    act(services, number, "ajukan", by)
    act(services, number, "periksa", "heru")
    act(services, number, "tandatangani", "bambang")
    assert state(services, number) == "penyampaian"
    return number


def sent(services: Services, files: Files, number: str, days: int, channel: str = SIMKOPDES, by: str = "sri",
         reason: str | None = None, on: str = "2026-12-10") -> None:
    values: dict[str, object] = {"saluran": channel, "tanggal_penyampaian": on,
                                 "hari_sejak_akhir_periode": days}
    if reason is not None:
        values["alasan_keterlambatan"] = reason
    act(services, number, "kirim", by, values=values, files=pdfs(files, "bukti_penyampaian"))


def uploaded(services: Services, number: str, by: str = "sri") -> None:
    act(services, number, "catat_bukti_simkopdes", by, values={"nomor_bukti_simkopdes": "LAP-3576-2026-11-00417"})


def test_a_monthly_report_is_checked_signed_and_uploaded_to_simkopdes(services: Services, files) -> None:
    number = signed(services, files)
    sent(services, files, number, MONTHLY)
    assert state(services, number) == "menunggu_tanda_terima"
    uploaded(services, number)
    view = services.show(number, None)
    assert view.summary.state == "disampaikan" and view.summary.final
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "periksa", "tandatangani", "kirim", "catat_bukti_simkopdes"]


def test_a_monthly_report_is_late_one_day_after_the_limit(services: Services, files) -> None:
    outcome = {}
    for days in (MONTHLY - 1, MONTHLY, MONTHLY + 1):
        number = signed(services, files)
        reason = "Bendahara sakit" if days > MONTHLY else None
        sent(services, files, number, days, reason=reason)
        outcome[days] = state(services, number)
    assert outcome == {MONTHLY - 1: "menunggu_tanda_terima", MONTHLY: "menunggu_tanda_terima",
                       MONTHLY + 1: "keterlambatan"}


def test_a_late_report_must_say_why_and_is_noted_by_the_pengawas(services: Services, files) -> None:
    number = signed(services, files)
    with pytest.raises(ValidationError, match="wajib diisi") as info:
        sent(services, files, number, MONTHLY + 1)
    assert "alasan_keterlambatan" in str(info.value)
    assert state(services, number) == "penyampaian"
    sent(services, files, number, MONTHLY + 1, reason="Jurnal November baru ditutup 8 Desember; jadwal penutupan dimajukan")
    assert state(services, number) == "keterlambatan"
    refused(services, number, "catat_keterlambatan", "bambang", PermissionDeniedError, "hanya untuk Pengawas")
    act(services, number, "catat_keterlambatan", "heru")
    uploaded(services, number)
    view = services.show(number, None)
    assert view.summary.state == "disampaikan"
    assert "catat_keterlambatan" in [e.action for e in view.history]


def test_a_quarterly_report_has_its_own_limit(services: Services, files) -> None:
    outcome = {}
    for days in (QUARTERLY, QUARTERLY + 1):
        number = signed(services, files, jenis_periode="Triwulanan", periode="Triwulan IV 2026",
                        tanggal_akhir_periode="2026-12-31")
        sent(services, files, number, days, reason="Menunggu rekening koran" if days > QUARTERLY else None,
             on=f"2027-01-{days:02d}")
        outcome[days] = state(services, number)
    assert outcome == {QUARTERLY: "menunggu_tanda_terima", QUARTERLY + 1: "keterlambatan"}


def test_the_reporting_limits_come_from_the_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_hari_laporan_bulanan": 5})
    on_time, late = signed(services, files), signed(services, files)
    sent(services, files, on_time, 5)
    sent(services, files, late, 6, reason="Libur panjang")
    assert (state(services, on_time), state(services, late)) == ("menunggu_tanda_terima", "keterlambatan")


def test_an_upload_is_closed_by_its_simkopdes_receipt_number(services: Services, files) -> None:
    number = signed(services, files)
    sent(services, files, number, 9)
    refused(services, number, "catat_bukti_simkopdes", "sri", ValidationError, "wajib diisi")
    refused(services, number, "catat_tanda_terima", "rina", ValidationError, "tidak terpenuhi",
            files=pdfs(files, "tanda_terima_dinas"))  # an upload has no stamped receipt
    uploaded(services, number, by="rina")
    assert state(services, number) == "disampaikan"


def test_a_report_cannot_be_sent_before_its_period_ends(services: Services, files) -> None:
    number = signed(services, files)
    with pytest.raises(ValidationError, match="tidak terpenuhi"):
        sent(services, files, number, 0, on="2026-11-29")
    assert state(services, number) == "penyampaian"


@pytest.mark.parametrize(("field", "value"), [("total_ekuitas", 262_499_999), ("shu_periode", 4_750_001),
                                              ("kas_akhir", 42_000_000), ("anggota_akhir", 220)])
def test_figures_that_do_not_add_up_cannot_be_submitted(services: Services, files, field: str, value: int) -> None:
    number = drafted(services, files, **{field: value})
    refused(services, number, "ajukan", "sri", ValidationError, "tidak terpenuhi")


def test_a_loss_and_a_deficit_can_be_reported(services: Services, files) -> None:
    number = drafted(services, files, total_kewajiban=420_000_000, total_ekuitas=-7_500_000, beban=97_000_000,
                     shu_periode=-1_000_000)
    act(services, number, "ajukan", "sri")
    assert state(services, number) == "pemeriksaan_pengawas"


def test_a_letter_is_acknowledged_by_the_dinas(services: Services, files, tmp_path: Path) -> None:
    with_dinas_officer(services, tmp_path)
    number = signed(services, files)
    sent(services, files, number, MONTHLY, channel=SURAT, by="rina")
    assert state(services, number) == "menunggu_tanda_terima"
    refused(services, number, "terima", "sri", PermissionDeniedError, "hanya untuk Petugas Dinas")
    refused(services, number, "catat_bukti_simkopdes", "sri", ValidationError, "tidak terpenuhi",
            values={"nomor_bukti_simkopdes": "LAP-1"})  # a letter has no upload number
    act(services, number, "terima", "ratna")
    assert state(services, number) == "disampaikan"


def test_a_stamped_receipt_from_the_dinas_can_be_uploaded_instead(services: Services, files) -> None:
    number = signed(services, files)
    sent(services, files, number, 7, channel=SURAT)
    refused(services, number, "catat_tanda_terima", "rina", ValidationError, "wajib diisi")
    act(services, number, "catat_tanda_terima", "rina", files=pdfs(files, "tanda_terima_dinas"))
    assert state(services, number) == "disampaikan"


def test_the_pengawas_and_the_ketua_send_the_report_back(services: Services, files) -> None:
    number = drafted(services, files)
    act(services, number, "ajukan", "sri")
    refused(services, number, "kembalikan", "nuraini", ValidationError, "wajib diisi")
    act(services, number, "kembalikan", "nuraini", comment="Saldo bank berbeda Rp 250.000 dengan rekening koran")
    assert state(services, number) == "penyusunan"
    act(services, number, "ajukan", "sri")
    act(services, number, "periksa", "agus")
    act(services, number, "kembalikan", "bambang", comment="Lampirkan daftar anggota keluar")
    assert state(services, number) == "penyusunan"


def test_only_the_bendahara_or_manajer_drafts_and_the_pengawas_checks(services: Services, files) -> None:
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
        drafted(services, files, by="rina")
    number = drafted(services, files, by="fajar")
    act(services, number, "ajukan", "fajar")
    refused(services, number, "periksa", "bambang", PermissionDeniedError, "hanya untuk Pengawas")
    refused(services, number, "periksa", "sri", PermissionDeniedError, "hanya untuk Pengawas")
    act(services, number, "periksa", "heru")
    refused(services, number, "tandatangani", "heru", PermissionDeniedError, "hanya untuk Ketua")
    refused(services, number, "tandatangani", "sri", PermissionDeniedError, "hanya untuk Ketua")


def test_whoever_drafts_does_not_check(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "heru", "role": "manajer", "start": "2026-11-01"}],
             ended={("fajar", "manajer"): "2026-10-31"})
    number = drafted(services, files, by="heru")
    act(services, number, "ajukan", "heru")
    refused(services, number, "periksa", "heru", PermissionDeniedError, "mengajukan")
    act(services, number, "periksa", "nuraini")
    assert state(services, number) == "penandatanganan"


def test_the_ketua_does_not_sign_a_report_he_drafted(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "bambang", "role": "manajer", "start": "2026-11-01"}],
             ended={("fajar", "manajer"): "2026-10-31"})
    number = drafted(services, files, by="bambang")
    act(services, number, "ajukan", "bambang")
    act(services, number, "periksa", "heru")
    refused(services, number, "tandatangani", "bambang", PermissionDeniedError, "sendiri")
    assert state(services, number) == "penandatanganan"
