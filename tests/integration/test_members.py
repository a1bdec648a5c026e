"""The Buku Daftar Anggota: fed by the admission and resignation procedures, imported, counted by date."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine.adapters.store.models import AuditEntry, Cooperative, Member
from engine.demo import DEMO_MEMBERS
from engine.errors import DefinitionError, ValidationError
from engine.services import Services
from engine.services.members import mask_nik, members_on
from tests.helpers import COOP
from tests.integration.workflows.helpers import act, pdfs, start


def register(services: Services, day: date) -> list[tuple[str, str]]:
    with services.db.session() as session:
        coop = session.scalars(select(Cooperative).where(Cooperative.slug == COOP)).one()
        return [(m.number, m.full_name) for m in members_on(session, coop.id, day)]


def admitted(services: Services, files, *, nik: str = "3576014507800003", number: str = "KKMP-STN-0142") -> str:
    case = start(services, "penerimaan_anggota", "endang", {
        "nama": "Suwarni", "nik": nik, "alamat": "Jl. Empunala 12", "kelurahan_ktp": "Sentanan"},
        pdfs(files, "ktp"))
    act(services, case, "ajukan", "endang")
    act(services, case, "periksa", "rina")
    act(services, case, "terima", "bambang")
    act(services, case, "catat_simpanan", "sri", values={
        "simpanan_pokok_dibayar": 100_000, "tanggal_bayar": "2026-11-23", "nomor_anggota": number})
    return case


def test_an_admitted_applicant_enters_the_register_on_the_day_the_simpanan_pokok_was_paid(
        services: Services, files) -> None:
    admitted(services, files)
    assert register(services, date(2026, 11, 22)) == []
    assert register(services, date(2026, 11, 23)) == [("KKMP-STN-0142", "Suwarni")]
    with services.db.session() as session:
        member = session.scalars(select(Member)).one()
        assert (member.status, member.simpanan_pokok, member.source) == ("aktif", 100_000, "kasus")
        assert mask_nik(member.nik) == "3576 •••• •••• 0003"


def test_the_same_nik_cannot_be_admitted_twice_and_the_refusal_changes_nothing(services: Services, files) -> None:
    admitted(services, files)
    second = start(services, "penerimaan_anggota", "endang", {
        "nama": "Suwarni", "nik": "3576014507800003", "alamat": "Jl. Empunala 12", "kelurahan_ktp": "Sentanan"},
        pdfs(files, "ktp"))
    for action, who in (("ajukan", "endang"), ("periksa", "rina"), ("terima", "bambang")):
        act(services, second, action, who)
    with pytest.raises(ValidationError, match="sudah menjadi anggota"):
        act(services, second, "catat_simpanan", "sri", values={
            "simpanan_pokok_dibayar": 100_000, "tanggal_bayar": "2026-11-24", "nomor_anggota": "KKMP-STN-0143"})
    assert services.show(second, "sri").summary.state == "menunggu_simpanan_pokok"
    assert len(register(services, date(2026, 12, 1))) == 1


def test_a_resignation_ends_membership_from_its_decision_day(services: Services, files, clock) -> None:
    services.import_org(DEMO_MEMBERS)
    case = start(services, "berhenti_anggota", "rina", {
        "nama": "Joko Susilo", "nomor_anggota": "KKMP-STN-0021", "nik": "3576011203800002",
        "sebab_berhenti": "Pindah domisili ke luar kelurahan", "tanggal_permohonan": "2026-11-20",
        "penerima_pengembalian": "Joko Susilo"}, pdfs(files, "surat_permohonan"))
    act(services, case, "ajukan", "rina")
    act(services, case, "hitung", "sri", values={
        "simpanan_pokok_saldo": 100_000, "simpanan_wajib_saldo": 1_100_000, "simpanan_sukarela_saldo": 50_000,
        "kewajiban_anggota": 0, "jumlah_dikembalikan": 1_250_000}, files=pdfs(files, "lembar_perhitungan"))
    act(services, case, "setujui", "bambang", comment="Sesuai perhitungan")
    act(services, case, "bayar", "sri", values={"tanggal_pembayaran": "2026-11-24"}, files=pdfs(files, "kuitansi"))
    today = clock.now.date()
    assert ("KKMP-STN-0021", "Joko Susilo") in register(services, today - timedelta(days=1))
    assert ("KKMP-STN-0021", "Joko Susilo") not in register(services, today)


def test_the_register_file_imports_once_on_the_trail_and_refuses_duplicates(services: Services, tmp_path) -> None:
    first, again = services.import_org(DEMO_MEMBERS), services.import_org(DEMO_MEMBERS)
    assert (first.members_added, again.members_added, again.members_updated) == (25, 0, 0)
    with services.db.session() as session:  # a members-only file leaves the rest of the cooperative alone
        coop = session.scalars(select(Cooperative).where(Cooperative.slug == COOP)).one()
        assert (coop.city, coop.kelurahan) == ("Kota Mojokerto", "Sentanan")
    with services.db.session() as session:
        imports = [json.loads(b) for b in session.scalars(select(AuditEntry.body).where(AuditEntry.case_id.is_(None)))]
    assert [(b["action"], b["lines"], b["actor"]) for b in imports] == [("impor_anggota", 25, "operator")]
    assert "nik" not in json.dumps(imports) and "Joko" not in json.dumps(imports)
    twin = tmp_path / "dua.yaml"
    twin.write_text("cooperatives:\n  - slug: kkmp-sentanan\n    name: Koperasi Kelurahan Merah Putih Sentanan\n"
                    "    members:\n      - {number: A-1, name: Ani, nik: '3576011111110001', joined: 2026-01-02}\n"
                    "      - {number: A-2, name: Ana, nik: '3576011111110001', joined: 2026-01-02}\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="Buku Daftar Anggota tidak diimpor"):
        services.import_org(twin)
    bad = tmp_path / "salah.yaml"
    bad.write_text("cooperatives:\n  - slug: kkmp-sentanan\n    name: Koperasi Kelurahan Merah Putih Sentanan\n"
                   "    members:\n      - {number: A-1, name: Ani, nik: '12345', joined: 2026-01-02}\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"salah\.yaml:5"):
        services.import_org(bad)
    assert all(r.ok for r in services.verify(COOP))
