"""Delegation (a.n.): a role holder hands a role to another person for a period; decisions under it
are recorded "a.n." the holder; it ends by itself; the AD/ART and segregation of duties bound it."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engine.adapters.store.models import AuditEntry, CaseEvent, Cooperative, OutboxMessage, Person
from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.conftest import Clock
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas
from tests.integration.workflows.helpers import pdfs, start

LEAVE = (date(2026, 12, 8), date(2026, 12, 21))


def at_ketua(services: Services, nota: Path) -> str:
    """A pengeluaran kas above the manajer's limit, verified and waiting for the ketua."""
    number = submitted_kas(services, 800_000, nota)
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    return number


def on_day(clock: Clock, day: date) -> None:
    clock.now = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)  # 10.00 WIB


def grant_leave(services: Services, to: str = "dwi", role: str = "ketua", holder: str = "bambang"):
    return services.delegations.grant(COOP, role, holder, to, *LEAVE, "Cuti umrah", by_username=holder)


def test_a_delegate_decides_within_the_period_and_is_refused_after_it(services: Services, clock: Clock,
                                                                      files) -> None:
    view = grant_leave(services)
    assert view.state == "terjadwal"
    assert view.sentence == ("Dwi Prasetyo menjalankan tugas Ketua Pengurus a.n. Bambang Sutrisno, "
                             "8\u201321 Desember 2026")
    early = at_ketua(services, files("nota.pdf"))
    with pytest.raises(PermissionDeniedError, match="baru berlaku 8 Desember 2026"):
        services.act(early, "setujui", "dwi")

    on_day(clock, LEAVE[0])
    result = services.act(early, "setujui", "dwi")
    assert result.to_state == "disetujui"
    case = services.show(early, "dwi")
    approval = case.history[-1]
    assert (approval.actor, approval.on_behalf) == ("dwi", "Bambang Sutrisno")
    with services.db.session() as session:
        body = json.loads(session.scalar(select(AuditEntry.body).where(AuditEntry.seq == result.seq)))
        event = session.scalar(select(CaseEvent).where(CaseEvent.seq == result.seq))
        bambang = session.scalar(select(Person.id).where(Person.username == "bambang"))
        assert event is not None and event.on_behalf_of_id == bambang
    assert (body["actor"], body["role"], body["atas_nama"]) == ("dwi", "ketua", "bambang")
    assert "atas_nama" not in _entry(services, case.history[-2].seq)  # the bendahara acted in her own right

    on_day(clock, date(2026, 12, 22))
    late = at_ketua(services, files("nota2.pdf"))
    with pytest.raises(PermissionDeniedError, match="berakhir 21 Desember 2026"):
        services.act(late, "setujui", "dwi")
    services.act(late, "setujui", "bambang")  # the holder himself, back from leave
    assert services.verify(COOP)[0].ok


def test_a_revoked_delegation_counts_no_more(services: Services, clock: Clock, files) -> None:
    view = grant_leave(services)
    number = at_ketua(services, files("nota.pdf"))
    on_day(clock, date(2026, 12, 10))
    ended = services.delegations.revoke(COOP, view.id, by_username="bambang")
    assert ended.state == "dicabut" and ended.revoked_seq is not None
    with pytest.raises(PermissionDeniedError, match="sudah dicabut"):
        services.act(number, "setujui", "dwi")
    assert services.delegations.listing(COOP) == []
    assert _entry(services, ended.revoked_seq)["action"] == "cabut_delegasi"


def test_the_delegate_is_told_and_the_trail_records_the_grant(services: Services) -> None:
    view = grant_leave(services)
    body = _entry(services, view.seq)
    assert body["kind"] == "delegation" and body["action"] == "delegasi"
    assert (body["holder"], body["delegate"], body["starts_on"], body["ends_on"]) == (
        "bambang", "dwi", "2026-12-08", "2026-12-21")
    assert "reason" not in body and body["reason_sha256"]
    with services.db.session() as session:
        told = session.scalars(select(OutboxMessage).join(Person, Person.id == OutboxMessage.person_id)
                               .where(Person.username == "dwi")).all()
    assert [m.kind for m in told] == ["delegasi"]
    report = services.verify(COOP)[0]
    assert report.ok, report.findings
    assert services.findings(COOP).findings == []


def test_the_ad_art_forbids_delegating_some_roles(services: Services) -> None:
    with pytest.raises(PermissionDeniedError, match="tidak mengizinkan peran Pengawas") as refused:
        services.delegations.grant(COOP, "pengawas", "heru", "nuraini", *LEAVE, by_username="heru")
    assert refused.value.rule == "ad_art"
    with services.db.session() as session:  # the cooperative's AD/ART forbids the bendahara's too
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == COOP))
        assert coop is not None
        coop.settings = {**coop.settings, "delegasi_dilarang": ["bendahara"], "delegasi_maks_hari": 10}
    with pytest.raises(PermissionDeniedError, match="Bendahara"):
        services.delegations.grant(COOP, "bendahara", "sri", "rina", *LEAVE, by_username="sri")
    with pytest.raises(ValidationError, match="paling lama 10 hari"):
        grant_leave(services)
    with services.db.session() as session:
        assert session.scalar(select(AuditEntry.seq).where(AuditEntry.body.contains('"delegasi"'))) is None


def test_a_seat_does_not_cross_from_pengurus_to_pengawas(services: Services) -> None:
    with pytest.raises(PermissionDeniedError, match="pemisahan tugas") as refused:
        grant_leave(services, to="heru")
    assert refused.value.rule == "pemisahan_tugas"
    with pytest.raises(PermissionDeniedError, match="pemisahan tugas"):
        services.delegations.grant(COOP, "manajer", "fajar", "nuraini", *LEAVE, by_username="fajar")


@pytest.mark.parametrize(("by", "to", "start", "end", "message"), [
    ("dwi", "rina", *LEAVE, "Hanya Bambang Sutrisno sendiri"),
    ("bambang", "bambang", *LEAVE, "harus orang lain"),
    ("bambang", "dwi", date(2026, 12, 21), date(2026, 12, 8), "sebelum tanggal mulai"),
    ("bambang", "dwi", date(2026, 11, 1), date(2026, 11, 20), "sudah lewat"),
    ("bambang", "dwi", date(2030, 6, 1), date(2030, 7, 15), "tidak memegang peran Ketua Pengurus pada 1 Juli 2030"),
    ("bambang", "wahyu", *LEAVE, "tidak memegang peran apa pun"),
])
def test_a_delegation_out_of_order_is_refused_and_saves_nothing(services: Services, by: str, to: str, start: date,
                                                                end: date, message: str) -> None:
    with pytest.raises((PermissionDeniedError, ValidationError), match=message):
        services.delegations.grant(COOP, "ketua", "bambang", to, start, end, by_username=by)
    assert services.delegations.listing(COOP, include_past=True) == []


def test_no_overlap_and_no_delegating_further(services: Services, clock: Clock) -> None:
    grant_leave(services)
    with pytest.raises(ValidationError, match="sudah mendelegasikan"):
        services.delegations.grant(COOP, "ketua", "bambang", "rina", date(2026, 12, 20), date(2026, 12, 30),
                                   by_username="bambang")
    with pytest.raises(PermissionDeniedError, match="tidak dapat didelegasikan lagi"):
        services.delegations.grant(COOP, "ketua", "dwi", "rina", *LEAVE, by_username="dwi")
    # the ketua may hand another pengurus seat (the sekretaris on leave) for its holder
    view = services.delegations.grant(COOP, "sekretaris", "rina", "endang", *LEAVE, by_username="bambang")
    assert view.holder == "rina"


def test_the_holders_own_part_binds_his_delegate(services: Services, clock: Clock, files) -> None:
    """Dwi (wakil ketua usaha) submitted an order; Rina, acting a.n. Dwi, may not accept it; a.n. the
    ketua she may."""
    number = start(services, "pesanan_instansi", "dwi", _order(), pdfs(files, "dokumen_pesanan"))
    services.act(number, "ajukan", "dwi", checks=["anggota_sanggup"])
    services.delegations.grant(COOP, "wakil_ketua_usaha", "dwi", "rina", *LEAVE, by_username="dwi")
    on_day(clock, LEAVE[0])
    with pytest.raises(PermissionDeniedError, match="atas namanya") as refused:
        services.act(number, "terima_pesanan", "rina")
    assert refused.value.rule == "pemisahan_tugas"
    services.delegations.grant(COOP, "ketua", "bambang", "rina", *LEAVE, by_username="bambang")
    result = services.act(number, "terima_pesanan", "rina")
    assert _entry(services, result.seq)["atas_nama"] == "bambang"


def test_a_delegate_who_submitted_cannot_approve_for_anyone(services: Services, clock: Clock, files) -> None:
    number = at_ketua(services, files("nota.pdf"))  # sri (bendahara) verified it
    services.delegations.grant(COOP, "ketua", "bambang", "sri", *LEAVE, by_username="bambang")
    on_day(clock, LEAVE[0])
    with pytest.raises(PermissionDeniedError, match="sudah memutuskan"):
        services.act(number, "setujui", "sri")


def test_the_berita_acara_and_the_audit_report_say_a_n(services: Services, clock: Clock, files) -> None:
    number = at_ketua(services, files("nota.pdf"))
    grant_leave(services)
    on_day(clock, LEAVE[0])
    services.act(number, "setujui", "dwi", comment="Disetujui selama ketua cuti")
    text = _pdf_text(services.documents.minutes(number).data)
    assert "Dwi Prasetyo a.n. Ketua Pengurus Bambang Sutrisno" in text
    report = _pdf_text(services.documents.audit_report(COOP, date(2026, 11, 1), date(2026, 12, 31)).data)
    assert "a.n. Ketua Pengurus Bambang Sutrisno" in report
    assert "Delegasi (a.n.)" in report


def _order() -> dict[str, object]:
    return {"instansi": "Kantor Kecamatan Prajurit Kulon", "nomor_pesanan": "EPURCH-2026-11-000481",
            "tanggal_pesanan": "2026-11-23", "batas_waktu_kirim": "2026-12-30",
            "uraian_barang": "Kue kering nastar 500 g, 100 toples", "nilai_pesanan": 10_000_000,
            "anggota_pemasok": "Siti Maemunah (KKMP-STN-0007)"}


def _entry(services: Services, seq: int) -> dict[str, object]:
    with services.db.session() as session:
        coop_id = session.scalar(select(Cooperative.id).where(Cooperative.slug == COOP))
        body = session.scalar(select(AuditEntry.body).where(AuditEntry.coop_id == coop_id, AuditEntry.seq == seq))
    assert body is not None
    return dict(json.loads(body))


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_verify_catches_an_a_n_added_or_removed_behind_the_trail(services: Services, clock: Clock, files) -> None:
    from tests.integration.test_audit import drop_triggers, sql

    grant_leave(services)
    on_day(clock, LEAVE[0])
    under = services.act(at_ketua(services, files("nota.pdf")), "setujui", "dwi")  # a.n. bambang
    own = services.show(under.number, "dwi").history[-2].seq  # the bendahara's verification, in her own right
    assert services.verify(COOP)[0].ok
    drop_triggers(services)
    sql(services, "UPDATE case_events SET on_behalf_of_id = NULL WHERE seq = :s", s=under.seq)
    [report] = services.verify(COOP)
    assert not report.ok and "atas nama (a.n.) berbeda: log 'bambang', rincian '-'" in str(report.first)
    sql(services, "UPDATE case_events SET on_behalf_of_id = (SELECT id FROM people WHERE username = 'bambang') "
                  "WHERE seq = :s", s=under.seq)
    assert services.verify(COOP)[0].ok
    sql(services, "UPDATE case_events SET on_behalf_of_id = (SELECT id FROM people WHERE username = 'bambang') "
                  "WHERE seq = :s", s=own)
    [report] = services.verify(COOP)
    assert not report.ok and "atas nama (a.n.) berbeda: log '-', rincian 'bambang'" in str(report.first)
