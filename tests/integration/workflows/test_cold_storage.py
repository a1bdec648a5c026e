"""SOP-USH-08 Pengelolaan Cold Storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "cold_storage"
CHILLER = "Chiller"
FREEZER = "Freezer"


def arrival(services: Services, files: Files, unit: str, temperature: int, by: str = "fajar") -> str:
    number = start(services, WF, by, {
        "unit_pendingin": "Freezer 1 gudang", "jenis_unit": unit,
        "tanggal": "2026-11-24", "pemasok": "CV Sumber Beku, SJ-2026-1187",
        "uraian_barang": "Daging ayam beku 40 kg, kedaluwarsa Mei 2027", "suhu_tiba": temperature,
    }, pdfs(files, "formulir_penerimaan"))
    act(services, number, "catat_penerimaan", by)
    return number


def morning(services: Services, files: Files, unit: str, temperature: int, by: str = "fajar") -> str:
    number = start(services, WF, by, {"unit_pendingin": "Chiller gerai", "jenis_unit": unit, "tanggal": "2026-11-24",
                                      "suhu_pagi": temperature})
    act(services, number, "catat_pagi", by)
    return number


def evening(services: Services, files: Files, number: str, temperature: int, by: str = "fajar") -> None:
    act(services, number, "catat_sore", by, values={"suhu_sore": temperature}, files=pdfs(files, "lembar_log"))


def incident_report(services: Services, files: Files, number: str, loss: int = 350_000, by: str = "fajar") -> None:
    act(services, number, "laporkan_insiden", by, values={
        "tindakan_darurat": "Barang dipindah ke Freezer 2 pukul 07.20", "teknisi": "Pak Slamet; kompresor diganti",
        "pengawas_diberitahu": "Heru, lewat telepon pukul 07.30", "nilai_kerugian": loss,
    }, files=pdfs(files, "ba_insiden"))


def test_a_frozen_delivery_within_the_limit_is_received_and_checked(services: Services, files) -> None:
    number = arrival(services, files, FREEZER, -18)
    assert state(services, number) == "pemeriksaan_penerimaan"
    act(services, number, "periksa_penerimaan", "dwi")
    view = services.show(number, None)
    assert view.summary.state == "diterima"
    assert [e.action for e in view.history] == ["mulai", "catat_penerimaan", "periksa_penerimaan"]


@pytest.mark.parametrize(("unit", "temperature", "expected"), [
    (FREEZER, -16, "diterima"), (FREEZER, -15, "diterima"), (FREEZER, -14, "dikembalikan_ke_pemasok"),
    (CHILLER, -1, "dikembalikan_ke_pemasok"), (CHILLER, 0, "diterima"),
    (CHILLER, 4, "diterima"), (CHILLER, 5, "diterima"), (CHILLER, 6, "dikembalikan_ke_pemasok"),
])
def test_the_arrival_temperature_decides_whether_goods_are_received(services: Services, files, unit: str,
                                                                     temperature: int, expected: str) -> None:
    number = arrival(services, files, unit, temperature)
    act(services, number, "periksa_penerimaan", "dwi")
    assert state(services, number) == expected


def test_the_arrival_limits_come_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"suhu_terima_beku_maks": -18})
    outcome = {}
    for temperature in (-18, -17):
        number = arrival(services, files, FREEZER, temperature)
        act(services, number, "periksa_penerimaan", "dwi")
        outcome[temperature] = state(services, number)
    assert outcome == {-18: "diterima", -17: "dikembalikan_ke_pemasok"}


def test_whoever_records_an_arrival_does_not_check_it(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "dwi", "role": "karyawan", "start": "2026-11-01"}])
    number = arrival(services, files, FREEZER, -20, by="dwi")
    refused(services, number, "periksa_penerimaan", "dwi", PermissionDeniedError, "mengajukan")
    refused(services, number, "periksa_penerimaan", "fajar", PermissionDeniedError, "hanya untuk")
    act(services, number, "periksa_penerimaan", "bambang")
    assert state(services, number) == "diterima"


def test_a_daily_log_within_range_is_recorded_morning_and_evening_and_checked(services: Services, files) -> None:
    number = morning(services, files, CHILLER, 3)
    assert state(services, number) == "log_sore"
    evening(services, files, number, 4)
    assert state(services, number) == "pemeriksaan_log"
    refused(services, number, "periksa_log", "fajar", PermissionDeniedError, "hanya untuk Wakil Ketua")
    refused(services, number, "periksa_log", "heru", PermissionDeniedError, "hanya untuk")
    act(services, number, "kembalikan", "dwi", comment="Lembar log belum ditandatangani")
    assert state(services, number) == "log_sore"
    evening(services, files, number, 4)
    act(services, number, "periksa_log", "dwi")
    view = services.show(number, None)
    assert view.summary.state == "log_selesai"
    assert [e.action for e in view.history] == ["mulai", "catat_pagi", "catat_sore", "kembalikan", "catat_sore",
                                                "periksa_log"]


@pytest.mark.parametrize(("unit", "temperature", "expected"), [
    (CHILLER, -1, "penanganan_insiden"), (CHILLER, 0, "log_sore"), (CHILLER, 5, "log_sore"),
    (CHILLER, 6, "penanganan_insiden"),
    (FREEZER, -31, "penanganan_insiden"), (FREEZER, -30, "log_sore"), (FREEZER, -18, "log_sore"),
    (FREEZER, -17, "penanganan_insiden"),
])
def test_a_morning_reading_out_of_range_opens_an_incident(services: Services, files, unit: str, temperature: int,
                                                         expected: str) -> None:
    assert state(services, morning(services, files, unit, temperature)) == expected


def test_whoever_records_the_log_does_not_check_it(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, roles=[{"person": "dwi", "role": "karyawan", "start": "2026-11-01"}])
    number = morning(services, files, CHILLER, 3, by="dwi")
    evening(services, files, number, 4, by="fajar")
    refused(services, number, "periksa_log", "dwi", PermissionDeniedError, "mengajukan")
    number = morning(services, files, CHILLER, 3)
    evening(services, files, number, 4, by="dwi")
    refused(services, number, "periksa_log", "dwi", PermissionDeniedError)
    assert state(services, number) == "pemeriksaan_log"


def test_an_evening_reading_out_of_range_opens_an_incident(services: Services, files) -> None:
    outcome = {}
    for temperature in (-18, -17):
        number = morning(services, files, FREEZER, -20)
        evening(services, files, number, temperature)
        outcome[temperature] = state(services, number)
    assert outcome == {-18: "pemeriksaan_log", -17: "penanganan_insiden"}


def test_the_storage_range_comes_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"suhu_dingin_min": 1, "suhu_dingin_maks": 4})
    outcome = {t: state(services, morning(services, files, CHILLER, t)) for t in (0, 1, 4, 5)}
    assert outcome == {0: "penanganan_insiden", 1: "log_sore", 4: "log_sore", 5: "penanganan_insiden"}


def test_an_incident_is_handled_checked_and_closed_with_the_pengawas_knowledge(services: Services, files) -> None:
    number = morning(services, files, FREEZER, -10)
    assert state(services, number) == "penanganan_insiden"
    incomplete = refused(services, number, "laporkan_insiden", "fajar", ValidationError, checks=[],
                         values={"tindakan_darurat": "Dipindah", "teknisi": "Pak Slamet",
                                 "pengawas_diberitahu": "Heru", "nilai_kerugian": 0},
                         files=pdfs(files, "ba_insiden"))
    assert "barang_dipindahkan" in str(incomplete) or "Barang dipindahkan" in str(incomplete)
    incident_report(services, files, number)
    assert state(services, number) == "pemeriksaan_insiden"
    refused(services, number, "periksa_insiden", "fajar", PermissionDeniedError, "hanya untuk")
    act(services, number, "periksa_insiden", "dwi")
    assert state(services, number) == "pengetahuan_pengawas"
    refused(services, number, "ketahui", "dwi", PermissionDeniedError, "hanya untuk Pengawas")
    act(services, number, "kembalikan", "heru", comment="Lampirkan daftar barang rusak per jenis")
    assert state(services, number) == "penanganan_insiden"
    incident_report(services, files, number, loss=0)
    act(services, number, "periksa_insiden", "bambang")
    act(services, number, "ketahui", "nuraini")
    view = services.show(number, None)
    assert view.summary.state == "insiden_ditutup"
    assert [e.action for e in view.history][-3:] == ["laporkan_insiden", "periksa_insiden", "ketahui"]


def test_the_number_of_pengawas_who_must_know_comes_from_the_settings(services: Services, files,
                                                                      tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"kuorum_pengawas_insiden": 2})
    number = morning(services, files, CHILLER, 9)
    incident_report(services, files, number)
    act(services, number, "periksa_insiden", "dwi")
    assert not act(services, number, "ketahui", "heru").fired
    assert act(services, number, "ketahui", "agus").fired
    assert state(services, number) == "insiden_ditutup"


def test_each_record_needs_its_own_reading(services: Services, files) -> None:
    number = start(services, WF, "fajar", {"unit_pendingin": "Chiller gerai", "jenis_unit": CHILLER,
                                          "tanggal": "2026-11-24"})
    assert "suhu_pagi" in str(refused(services, number, "catat_pagi", "fajar", ValidationError, "wajib diisi"))
    error = refused(services, number, "catat_penerimaan", "fajar", ValidationError, "wajib diisi",
                    values={"suhu_tiba": 3})
    assert "formulir_penerimaan" in str(error) and "pemasok" in str(error)
    act(services, number, "catat_pagi", "fajar", values={"suhu_pagi": 3})
    assert state(services, number) == "log_sore"
    assert "lembar_log" in str(refused(services, number, "catat_sore", "fajar", ValidationError, "wajib diisi",
                                       values={"suhu_sore": 3}))


def test_pengurus_and_pengawas_do_not_record_temperatures(services: Services, files) -> None:
    for person in ("dwi", "heru"):
        with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
            morning(services, files, CHILLER, 3, by=person)
