"""SOP-KEL-06 Rapat Anggota Luar Biasa (RALB)."""

from __future__ import annotations

import contextlib
import io
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.conftest import Clock
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

WF = "ralb"
MEMBERS = 200  # in the Buku Daftar Anggota on the day of the request and of the RALB
REQUEST = {"dasar_ralb": "Permintaan tertulis anggota",
           "jenis_acara": "Pemilihan atau pemberhentian pengurus atau pengawas",
           "uraian_acara": "Pemberhentian bendahara yang tidak dapat mempertanggungjawabkan selisih kas Rp 12 juta",
           "tanggal_permintaan": "2026-11-23", "jumlah_pemohon": 45}
BY_PENGURUS = {"dasar_ralb": "Keputusan rapat pengurus", "nomor_keputusan_pengurus": "RPG/2026/0007",
               "jenis_acara": "Perubahan Rencana Kerja dan RAPB", "tanggal_permintaan": "2026-11-20",
               "uraian_acara": "Revisi RAPB: biaya sewa gudang naik 40 persen, di atas kewenangan pengurus"}
INVITATION = {"tanggal_ralb": "2027-01-16", "tempat_ralb": "Balai Kelurahan Sentanan", "tanggal_undangan": "2027-01-05"}
DECISION = {"keputusan_ralb": "Diterima", "metode_keputusan": "Musyawarah mufakat",
            "ringkasan_keputusan": "Bendahara diberhentikan; pengganti antarwaktu dipilih dalam rapat ini"}
SPECIAL = ["Perubahan Anggaran Dasar", "Penggabungan, peleburan atau pembubaran koperasi"]


@pytest.fixture(autouse=True)
def register(services: Services) -> list[str]:
    """The register the request and the quorum are counted against: 200 members who joined in January 2026."""
    return members(services, MEMBERS)


def hadir(count: int, first: int = 1001) -> dict[str, str]:
    """The daftar hadir of ``count`` members (KKMP-STN-1001 …)."""
    return {"daftar_hadir": present(f"KKMP-STN-{n:04d}" for n in range(first, first + count))}


def requested(services: Services, files: Files, values: dict[str, object] | None = None) -> str:
    number = start(services, WF, "rina", values or REQUEST, pdfs(files, "surat_permintaan"))
    act(services, number, "ajukan", "rina")
    return number


def verified(services: Services, files: Files, values: dict[str, object] | None = None) -> str:
    number = requested(services, files, values)
    act(services, number, "verifikasi", "endang", values={"jumlah_pemohon_sah": 42})
    return number


def considered(services: Services, files: Files, values: dict[str, object] | None = None) -> str:
    number = verified(services, files, values)
    act(services, number, "beri_pertimbangan", "heru",
        values={"pertimbangan_pengawas": "Acara wewenang Rapat Anggota; siapkan laporan kas terakhir"})
    act(services, number, "beri_pertimbangan", "nuraini")
    return number


def invited(services: Services, files: Files, values: dict[str, object] | None = None) -> str:
    number = considered(services, files, values)
    act(services, number, "undang", "bambang", values=INVITATION, files=pdfs(files, "undangan"))
    return number


def opened(services: Services, files: Files, attending: int = 150, values: dict[str, object] | None = None) -> str:
    number = invited(services, files, values)
    act(services, number, "buka_sidang", "rina", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
    return number


def test_a_ralb_the_members_asked_for_is_verified_considered_held_decided_and_minuted(
        services: Services, files) -> None:
    number = opened(services, files)
    assert state(services, number) == "sidang"
    act(services, number, "putuskan", "joko", values=DECISION)
    act(services, number, "catat_berita_acara", "rina", files=pdfs(files, "berita_acara_ralb"))
    view = services.show(number, None)
    assert view.summary.state == "selesai" and view.summary.final
    assert [e.action for e in view.history] == [
        "mulai", "ajukan", "verifikasi", "beri_pertimbangan", "beri_pertimbangan", "undang", "buka_sidang",
        "putuskan", "catat_berita_acara"]


def test_the_berita_acara_states_who_attended_and_the_quorum(services: Services, files) -> None:
    number = opened(services, files, attending=150)
    act(services, number, "putuskan", "joko", values=DECISION)
    act(services, number, "catat_berita_acara", "rina", files=pdfs(files, "berita_acara_ralb"))
    reader = PdfReader(io.BytesIO(services.documents.minutes(number).data))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "Hadir 150 dari 200 anggota" in text and "kuorum kehadiran tercapai" in text


def test_a_ralb_the_pengurus_decided_goes_straight_to_the_pengawas(services: Services, files) -> None:
    number = requested(services, files, BY_PENGURUS)
    assert state(services, number) == "konsultasi_pengawas"
    with pytest.raises(ValidationError, match="RPG/2026/0007"):
        start(services, WF, "rina", {**BY_PENGURUS, "nomor_keputusan_pengurus": "rapat 3 November"})
    without = {name: value for name, value in BY_PENGURUS.items() if name != "nomor_keputusan_pengurus"}
    number = start(services, WF, "rina", without, pdfs(files, "surat_permintaan"))
    error = refused(services, number, "ajukan", "rina", ValidationError)
    assert "nomor_keputusan_pengurus" in str(error)


def test_a_members_request_needs_the_ad_share_of_valid_signatures(services: Services, files) -> None:
    limit = MEMBERS * 20 // 100  # default: at least a fifth of the members
    outcome = {}
    for valid in (limit - 1, limit, limit + 1):
        number = requested(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "verifikasi", "endang", values={"jumlah_pemohon_sah": valid})
        outcome[valid] = state(services, number)
    assert outcome == {limit - 1: "verifikasi_permintaan", limit: "konsultasi_pengawas",
                       limit + 1: "konsultasi_pengawas"}


def test_the_share_is_counted_against_the_register_on_the_day_of_the_request(services: Services, files) -> None:
    members(services, 10, joined=date(2026, 11, 30), first=3001)  # joined after the request: not counted
    number = requested(services, files)
    act(services, number, "verifikasi", "endang", values={"jumlah_pemohon_sah": 40})
    assert state(services, number) == "konsultasi_pengawas"
    members(services, 10, joined=date(2026, 11, 2), first=3101)  # joined before it: 210 on the register
    number = requested(services, files)
    refused(services, number, "verifikasi", "endang", ValidationError, "tidak terpenuhi",
            values={"jumlah_pemohon_sah": 41})
    act(services, number, "verifikasi", "endang", values={"jumlah_pemohon_sah": 42})
    assert state(services, number) == "konsultasi_pengawas"


def test_a_request_short_of_the_share_is_refused_and_a_sufficient_one_cannot_be(services: Services, files) -> None:
    number = requested(services, files)
    refused(services, number, "tolak", "endang", ValidationError, "tidak terpenuhi",
            values={"jumlah_pemohon_sah": 40}, comment="Kurang")
    refused(services, number, "tolak", "endang", ValidationError, "catatan", values={"jumlah_pemohon_sah": 39})
    act(services, number, "tolak", "endang", values={"jumlah_pemohon_sah": 39},
        comment="Enam penanda tangan bukan anggota; sah 39 dari 40 yang diperlukan")
    view = services.show(number, None)
    assert view.summary.state == "ditolak" and view.summary.final


def test_valid_signatures_cannot_exceed_the_signatures_on_the_request(services: Services, files) -> None:
    number = requested(services, files)
    refused(services, number, "verifikasi", "endang", ValidationError, "tidak terpenuhi",
            values={"jumlah_pemohon_sah": 46})
    act(services, number, "verifikasi", "endang", values={"jumlah_pemohon_sah": 45})
    assert state(services, number) == "konsultasi_pengawas"


def test_the_secretary_who_recorded_the_request_cannot_verify_it(services: Services, files, tmp_path: Path) -> None:
    number = requested(services, files)
    refused(services, number, "verifikasi", "bambang", PermissionDeniedError, "hanya untuk",
            values={"jumlah_pemohon_sah": 42})
    reimport(services, tmp_path, roles=[{"person": "rina", "role": "wakil_ketua_anggota", "start": "2026-11-01"}],
             ended={("endang", "wakil_ketua_anggota"): "2026-10-31"})  # rina now holds both seats
    error = refused(services, number, "verifikasi", "rina", PermissionDeniedError, values={"jumlah_pemohon_sah": 42})
    assert error.rule == "pemisahan_tugas"


def test_the_pengawas_consideration_needs_the_ad_number_of_pengawas(
        services: Services, files, tmp_path: Path) -> None:
    number = verified(services, files)
    refused(services, number, "beri_pertimbangan", "bambang", PermissionDeniedError,
            values={"pertimbangan_pengawas": "Setuju"})
    first = act(services, number, "beri_pertimbangan", "agus", values={"pertimbangan_pengawas": "Setuju"})
    assert (first.fired, first.votes, first.needed) == (False, 1, 2)
    assert act(services, number, "beri_pertimbangan", "heru").fired
    assert state(services, number) == "penetapan_jadwal"

    reimport(services, tmp_path, settings={"kuorum_pengawas": 3})
    number = verified(services, files)
    for pengawas in ("heru", "nuraini"):
        assert not act(services, number, "beri_pertimbangan", pengawas,
                       values={"pertimbangan_pengawas": "Setuju"}).fired
    assert act(services, number, "beri_pertimbangan", "agus").fired


def test_the_pengawas_send_an_incomplete_request_back(services: Services, files) -> None:
    number = verified(services, files)
    act(services, number, "kembalikan", "nuraini", comment="Lampirkan rancangan tata tertib pemilihan")
    assert state(services, number) == "permintaan"


def test_the_invitation_must_reach_the_members_the_ad_number_of_days_before(services: Services, files) -> None:
    outcome = {}
    for received in ("2027-01-10", "2027-01-09", "2027-01-08"):  # 6, 7 and 8 days before 16 January
        number = considered(services, files)
        with contextlib.suppress(ValidationError):
            act(services, number, "undang", "bambang", values={**INVITATION, "tanggal_undangan": received},
                files=pdfs(files, "undangan"))
        outcome[received] = state(services, number)
    assert outcome == {"2027-01-10": "penetapan_jadwal", "2027-01-09": "pelaksanaan", "2027-01-08": "pelaksanaan"}
    number = considered(services, files)
    refused(services, number, "undang", "bambang", ValidationError, "tidak terpenuhi",
            values={**INVITATION, "tanggal_undangan": "2027-01-17"}, files=pdfs(files, "undangan"))
    refused(services, number, "undang", "rina", PermissionDeniedError, "hanya untuk", values=INVITATION,
            files=pdfs(files, "undangan"))


def test_a_stalled_invitation_is_handed_to_the_wakil_ketua_and_raised_to_the_ketua_pengawas(
        services: Services, files, clock: Clock) -> None:
    number = considered(services, files)
    refused(services, number, "undang", "dwi", PermissionDeniedError, values=INVITATION, files=pdfs(files, "undangan"))
    clock.now = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)  # long past 5 + 2 working days
    report = services.tick()
    assert [(d.do, d.to_role) for d in report.done if d.case == number] == [
        ("ingatkan", None), ("alihkan", "wakil_ketua_usaha"), ("naikkan", "ketua_pengawas")]
    act(services, number, "undang", "dwi", values=INVITATION, files=pdfs(files, "undangan"))
    assert state(services, number) == "pelaksanaan"


def test_the_opening_is_due_by_the_end_of_the_day_of_the_ralb(services: Services, files, clock: Clock) -> None:
    number = invited(services, files)  # RALB on 16 January 2027
    clock.now = datetime(2027, 1, 16, 16, 59, tzinfo=UTC)  # 23.59 WIB that day
    assert not services.show(number, None).summary.overdue
    clock.now = datetime(2027, 1, 16, 17, 1, tzinfo=UTC)  # 00.01 WIB the day after
    assert services.show(number, None).summary.overdue


def test_the_ralb_opens_only_with_more_than_the_quorum_of_the_ad(services: Services, files) -> None:
    limit = MEMBERS * 50 // 100
    outcome = {}
    for attending in (limit - 1, limit, limit + 1):
        number = invited(services, files)
        try:
            act(services, number, "buka_sidang", "rina", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
        except ValidationError:
            act(services, number, "tunda", "rina", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
        outcome[attending] = state(services, number)
    assert outcome == {limit - 1: "penundaan", limit: "penundaan", limit + 1: "sidang"}


def test_a_ralb_that_reached_its_quorum_cannot_be_postponed_for_want_of_one(services: Services, files) -> None:
    number = invited(services, files)
    refused(services, number, "tunda", "rina", ValidationError, "tercapai", values=hadir(101),
            files=pdfs(files, "daftar_hadir_ttd"))


def test_a_postponed_ralb_is_called_again_with_the_second_quorum(services: Services, files) -> None:
    limit = MEMBERS * 20 // 100
    outcome = {}
    for attending in (limit - 1, limit, limit + 1):
        number = invited(services, files)
        act(services, number, "tunda", "rina", values=hadir(60), files=pdfs(files, "daftar_hadir_ttd"))
        act(services, number, "jadwalkan_ulang", "rina",
            values={**INVITATION, "tanggal_ralb": "2027-01-30", "tanggal_undangan": "2027-01-20"},
            files=pdfs(files, "undangan"))
        try:
            act(services, number, "buka_sidang", "bambang", values=hadir(attending),
                files=pdfs(files, "daftar_hadir_ttd"))
        except ValidationError:
            act(services, number, "tunda", "bambang", values=hadir(attending), files=pdfs(files, "daftar_hadir_ttd"))
        outcome[attending] = state(services, number)
    assert outcome == {limit - 1: "penundaan", limit: "sidang", limit + 1: "sidang"}


def test_the_ketua_may_declare_a_postponed_ralb_not_held(services: Services, files) -> None:
    number = invited(services, files)
    act(services, number, "tunda", "rina", values=hadir(30), files=pdfs(files, "daftar_hadir_ttd"))
    refused(services, number, "nyatakan_tidak_terselenggara", "rina", PermissionDeniedError, comment="Gugur")
    act(services, number, "nyatakan_tidak_terselenggara", "bambang",
        comment="Rapat ulang juga tidak kuorum; menurut AD permintaan gugur")
    view = services.show(number, None)
    assert view.summary.state == "tidak_terselenggara" and view.summary.final


def test_a_vote_carries_only_with_more_than_half_of_those_present(services: Services, files) -> None:
    outcome = {}
    for decision, yes in (("Diterima", 50), ("Diterima", 51), ("Diterima", 102), ("Ditolak", 50), ("Ditolak", 51)):
        number = opened(services, files, attending=101)
        values = {**DECISION, "keputusan_ralb": decision, "metode_keputusan": "Pemungutan suara", "suara_setuju": yes}
        with contextlib.suppress(ValidationError):
            act(services, number, "putuskan", "joko", values=values)
        outcome[(decision, yes)] = state(services, number)
    assert outcome == {("Diterima", 50): "sidang", ("Diterima", 51): "berita_acara",
                       ("Diterima", 102): "sidang",  # more votes than members present
                       ("Ditolak", 50): "berita_acara", ("Ditolak", 51): "sidang"}


@pytest.mark.parametrize("agenda", SPECIAL)
def test_amending_the_ad_or_dissolving_needs_the_special_majority(services: Services, files, agenda: str) -> None:
    outcome = {}
    for yes in (99, 100):  # of 150 present: more than 66% is 100 or more
        number = opened(services, files, values={**REQUEST, "jenis_acara": agenda})
        values = {**DECISION, "metode_keputusan": "Pemungutan suara", "suara_setuju": yes}
        with contextlib.suppress(ValidationError):
            act(services, number, "putuskan", "joko", values=values)
        outcome[yes] = state(services, number)
    assert outcome == {99: "sidang", 100: "berita_acara"}


def test_an_ordinary_agenda_carries_with_a_simple_majority(services: Services, files) -> None:
    number = opened(services, files)  # 150 present; more than 50% is 76
    act(services, number, "putuskan", "joko", values={**DECISION, "metode_keputusan": "Pemungutan suara",
                                                      "suara_setuju": 76})
    assert state(services, number) == "berita_acara"


def test_only_the_pimpinan_rapat_records_the_decision_and_not_the_ketua_who_convened(
        services: Services, files, tmp_path: Path) -> None:
    number = opened(services, files)
    refused(services, number, "putuskan", "bambang", PermissionDeniedError, "hanya untuk Pimpinan Rapat",
            values=DECISION)
    reimport(services, tmp_path, roles=[{"person": "bambang", "role": "pimpinan_rapat", "start": "2026-11-02"}],
             ended={("joko", "pimpinan_rapat"): "2026-11-01"})
    number = opened(services, files)
    refused(services, number, "putuskan", "bambang", PermissionDeniedError, "sudah memutuskan", values=DECISION)
