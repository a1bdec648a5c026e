"""SOP-KEU-06 Tutup Buku Akhir Tahun."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "tutup_buku"
AUDIT = 5_000_000_000  # batas_aset_audit_eksternal and batas_volume_usaha_audit_eksternal (defaults)
CUT_OFF = {"tahun_buku": 2026, "nomor_bukti_terakhir": "BKM 2026/1210, BKK 2026/0644",
           "nomor_kasus_stok_opname": "OPN/2026/0012", "nomor_kasus_hitung_kas": "SKH/2026/0250"}
STATEMENTS = {"nomor_kasus_jurnal_desember": "JRN/2026/0366", "total_aset": 1_250_000_000,
              "total_kewajiban": 400_000_000, "total_ekuitas": 850_000_000, "volume_usaha": 2_400_000_000,
              "pendapatan": 2_460_000_000, "beban": 2_411_500_000, "shu_tahun_buku": 48_500_000}
PENGURUS = ["bambang", "dwi", "endang", "rina", "sri"]
WINNERS = ["bambang", "dwi", "endang"]  # neither prepared the statements nor recorded the meeting


def cut_off(services: Services, files: Files, by: str = "sri", **changes: object) -> str:
    number = start(services, WF, by, {**CUT_OFF, **changes}, pdfs(files, "berita_acara_cut_off"))
    act(services, number, "ajukan", by)
    assert state(services, number) == "penyusunan_laporan"
    return number


def drafted(services: Services, files: Files, by: str = "sri", **changes: object) -> str:
    number = cut_off(services, files, by)
    act(services, number, "susun", by, values={**STATEMENTS, **changes},
        files=pdfs(files, "jurnal_penyesuaian", "laporan_keuangan"))
    return number


def examined(services: Services, files: Files, by: str = "sri") -> str:
    number = drafted(services, files, by)
    act(services, number, "setujui_pemeriksaan", "heru", files=pdfs(files, "laporan_pengawas"))
    act(services, number, "setujui_pemeriksaan", "nuraini")
    assert state(services, number) == "rapat_pengurus"
    return number


def meeting(present: list[str]) -> dict[str, str]:
    return {"tanggal_rapat_pengurus": "2027-01-20", "hadir_pengurus": ",".join(present)}


def met(services: Services, files: Files, present: list[str] = PENGURUS, by: str = "sri") -> str:
    number = examined(services, files, by)
    act(services, number, "catat_rapat", "rina", values=meeting(present), files=pdfs(files, "notulen_rapat"))
    assert state(services, number) == "persetujuan_pengurus"
    return number


def test_the_year_is_cut_off_examined_approved_and_locked(services: Services, files) -> None:
    number = met(services, files)
    for voter in WINNERS:
        act(services, number, "setujui", voter)
    assert state(services, number) == "penguncian"
    act(services, number, "kunci", "sri", values={"tanggal_kunci": "2027-01-22"})
    view = services.show(number, None)
    assert view.summary.state == "buku_ditutup" and view.summary.final
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "susun", "setujui_pemeriksaan", "setujui_pemeriksaan", "catat_rapat", "setujui",
        "setujui", "setujui", "kunci"]


def test_the_stock_count_and_cash_count_are_cited_by_their_case_numbers(services: Services, files) -> None:
    with pytest.raises(ValidationError, match="OPN/TAHUN/NOMOR"):
        start(services, WF, "sri", {**CUT_OFF, "nomor_kasus_stok_opname": "12/XII/2026"})
    with pytest.raises(ValidationError, match="SKH/TAHUN/NOMOR"):
        start(services, WF, "sri", {**CUT_OFF, "nomor_kasus_hitung_kas": "kas 31 Des"})
    number = start(services, WF, "sri", {**CUT_OFF, "nomor_kasus_hitung_kas": ""}, pdfs(files, "berita_acara_cut_off"))
    error = refused(services, number, "ajukan", "sri", ValidationError, "wajib diisi")
    assert "nomor_kasus_hitung_kas" in str(error)


@pytest.mark.parametrize(("field", "value"), [("total_ekuitas", 849_999_999), ("shu_tahun_buku", 48_500_001)])
def test_statements_that_do_not_add_up_cannot_be_submitted(services: Services, files, field: str, value: int) -> None:
    number = cut_off(services, files)
    refused(services, number, "susun", "sri", ValidationError, "tidak terpenuhi", values={**STATEMENTS, field: value},
            files=pdfs(files, "jurnal_penyesuaian", "laporan_keuangan"))


def test_a_loss_year_can_be_closed(services: Services, files) -> None:
    number = drafted(services, files, beban=2_470_000_000, shu_tahun_buku=-10_000_000)
    assert state(services, number) == "pemeriksaan_pengawas"


def examine(services: Services, files: Files, number: str, by: str = "heru") -> None:
    act(services, number, "setujui_pemeriksaan", by, files=pdfs(files, "laporan_pengawas"))


def audited(services: Services, files: Files, **changes: object) -> str:
    number = drafted(services, files, **changes)
    act(services, number, "minta_audit", "agus")
    assert state(services, number) == "audit_eksternal"
    return number


def examined_by_the_pengawas_alone(services: Services, files: Files, number: str) -> bool:
    """Whether the pengawas may approve its own examination (False: an audit is required)."""
    try:
        examine(services, files, number)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("field", ["total_aset", "volume_usaha"])
def test_assets_or_turnover_at_the_audit_threshold_need_a_public_accountant(
        services: Services, files, field: str) -> None:
    outcome = {}
    for amount in (AUDIT - 1, AUDIT, AUDIT + 1):
        changes: dict[str, object] = {field: amount}
        if field == "total_aset":
            changes["total_ekuitas"] = amount - STATEMENTS["total_kewajiban"]
        outcome[amount] = examined_by_the_pengawas_alone(services, files, drafted(services, files, **changes))
    assert outcome == {AUDIT - 1: True, AUDIT: False, AUDIT + 1: False}


def test_above_the_threshold_the_pengawas_hands_the_statements_to_a_public_accountant(
        services: Services, files) -> None:
    number = drafted(services, files, volume_usaha=AUDIT)
    refused(services, number, "setujui_pemeriksaan", "heru", ValidationError, "tidak terpenuhi",
            files=pdfs(files, "laporan_pengawas"))
    refused(services, number, "minta_audit", "sri", PermissionDeniedError, "hanya untuk Pengawas")
    act(services, number, "minta_audit", "heru")
    assert state(services, number) == "audit_eksternal"


def test_the_pengawas_may_ask_for_an_audit_below_the_threshold_too(services: Services, files) -> None:
    assert state(services, audited(services, files)) == "audit_eksternal"


def test_the_audit_threshold_comes_from_the_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"batas_volume_usaha_audit_eksternal": 2_000_000_000})
    assert examined_by_the_pengawas_alone(services, files, drafted(services, files, volume_usaha=1_999_999_999))
    assert not examined_by_the_pengawas_alone(services, files, drafted(services, files, volume_usaha=2_000_000_000))


def test_an_audit_with_a_fair_opinion_is_accepted_by_the_pengawas(services: Services, files) -> None:
    number = audited(services, files, volume_usaha=AUDIT)
    audit = {"nama_kap": "KAP Suryanto dan Rekan", "opini_audit": "Wajar dengan pengecualian"}
    first = act(services, number, "terima_audit", "agus", values=audit, files=pdfs(files, "laporan_audit"))
    assert (first.fired, first.votes, first.needed) == (False, 1, 2)
    act(services, number, "terima_audit", "heru")
    assert state(services, number) == "rapat_pengurus"


@pytest.mark.parametrize("opinion", ["Tidak wajar", "Tidak menyatakan pendapat"])
def test_an_adverse_or_disclaimed_audit_sends_the_statements_back(services: Services, files, opinion: str) -> None:
    number = audited(services, files, total_aset=AUDIT, total_ekuitas=AUDIT - STATEMENTS["total_kewajiban"])
    refused(services, number, "terima_audit", "agus", ValidationError, "tidak terpenuhi",
            values={"nama_kap": "KAP Suryanto dan Rekan", "opini_audit": opinion}, files=pdfs(files, "laporan_audit"))
    act(services, number, "kembalikan", "agus", comment=f"Opini {opinion}: persediaan tidak dapat diverifikasi")
    assert state(services, number) == "penyusunan_laporan"


def test_the_examination_needs_the_configured_number_of_pengawas(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"kuorum_pengawas": 3})
    number = drafted(services, files)
    for pengawas in ("heru", "nuraini"):
        assert not act(services, number, "setujui_pemeriksaan", pengawas, files=pdfs(files, "laporan_pengawas")).fired
    assert act(services, number, "setujui_pemeriksaan", "agus").fired
    assert state(services, number) == "rapat_pengurus"


def test_the_board_meeting_needs_more_than_half_of_the_pengurus(services: Services, files) -> None:
    number = examined(services, files)
    refused(services, number, "catat_rapat", "rina", ValidationError, r"Hadir 2 dari 5 pengurus",
            values=meeting(["bambang", "dwi"]), files=pdfs(files, "notulen_rapat"))
    act(services, number, "catat_rapat", "rina", values=meeting(WINNERS), files=pdfs(files, "notulen_rapat"))
    assert state(services, number) == "persetujuan_pengurus"


def test_the_statements_are_approved_exactly_at_the_configured_number_of_votes(services: Services, files) -> None:
    number = met(services, files)
    results = [act(services, number, "setujui", voter) for voter in WINNERS]
    assert [(r.fired, r.votes) for r in results] == [(False, 1), (False, 2), (True, 3)]
    assert state(services, number) == "penguncian"


def test_who_prepared_the_statements_or_recorded_the_meeting_does_not_approve(services: Services, files) -> None:
    number = met(services, files)
    refused(services, number, "setujui", "sri", PermissionDeniedError, "tidak dapat menyetujui sendiri")
    refused(services, number, "setujui", "rina", PermissionDeniedError, "tidak dapat menyetujui sendiri")
    refused(services, number, "setujui", "heru", PermissionDeniedError, "hanya untuk Pengurus")


def test_only_pengurus_present_at_the_meeting_vote(services: Services, files) -> None:
    number = met(services, files, present=["bambang", "dwi", "rina", "sri"])
    refused(services, number, "setujui", "endang", PermissionDeniedError, "tidak tercatat hadir")


def test_returns_by_the_pengawas_and_by_the_ketua_for_the_meeting(services: Services, files) -> None:
    number = drafted(services, files)
    refused(services, number, "kembalikan", "heru", ValidationError, "wajib diisi")
    act(services, number, "kembalikan", "heru", comment="Penyusutan gedung gerai belum dijurnal")
    assert state(services, number) == "penyusunan_laporan"

    number = met(services, files)
    refused(services, number, "kembalikan", "dwi", PermissionDeniedError, "hanya untuk Ketua")
    act(services, number, "kembalikan", "bambang", comment="Rapat meminta piutang ragu-ragu dicadangkan")
    assert state(services, number) == "penyusunan_laporan"


def test_only_the_bendahara_or_manajer_closes_the_books(services: Services, files) -> None:
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
        cut_off(services, files, by="rina")
    number = met(services, files, by="fajar")  # the manajer prepared: the bendahara may approve
    for voter in ("bambang", "sri", "endang"):
        act(services, number, "setujui", voter)
    refused(services, number, "kunci", "rina", PermissionDeniedError)
    act(services, number, "kunci", "fajar", values={"tanggal_kunci": "2027-01-22"})
    assert state(services, number) == "buku_ditutup"


def test_the_sekretaris_records_the_meeting(services: Services, files) -> None:
    number = examined(services, files)
    refused(services, number, "catat_rapat", "bambang", PermissionDeniedError, "hanya untuk Sekretaris",
            values=meeting(PENGURUS), files=pdfs(files, "notulen_rapat"))
