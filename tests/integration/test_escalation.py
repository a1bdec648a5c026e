"""Deadlines and escalation: an overdue step is escalated level by level, each level exactly once, at its
moment (the time is injected, never slept).

Pengadaan barang (SOP-USH-01) waits on the ketua for 2 working days; then the ketua is reminded, after 2
more working days the Wakil Ketua Bidang Usaha may also decide, after 5 the Ketua Pengawas is told.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine.adapters.store.models import AuditEntry, Case, Escalation, OutboxMessage, Person
from engine.errors import PermissionDeniedError
from engine.services import Services
from tests.conftest import Clock
from tests.integration.test_audit import run_together, twin
from tests.integration.workflows.helpers import act, pdfs, start

WF = "pengadaan_barang"
#: The case reaches the ketua at the test clock: Tuesday 24 November 2026, 10.00 WIB.
ENTERED = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 2 working days: Thursday 26th, 10.00 WIB
HANDED = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 2 working days later: Monday 30th
RAISED = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)  # 5 working days after the deadline: Thursday 3 December


def waiting_on_ketua(services: Services, files, by: str = "fajar") -> str:
    values = {"uraian_barang": "Beras medium 5 kg, 40 sak", "alasan": "Stok tinggal 6 sak",
              "pos_rapb": "Pembelian barang dagangan sembako", "jumlah_penawaran": 3,
              "pemasok": "Perum Bulog Cabang Mojokerto", "alasan_pemilihan": "Harga terendah dengan mutu sesuai", "jumlah": 2_400_000}
    number = start(services, WF, by, values, pdfs(files, "berkas_penawaran"))
    act(services, number, "ajukan", by)
    act(services, number, "verifikasi", "sri")
    assert services.show(number, None).summary.state == "menunggu_ketua"
    return number


def rows(services: Services, number: str) -> list[tuple[int, str, str | None]]:
    with services.db.reader() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(Escalation.level, Escalation.kind, Escalation.to_role).join(Case, Case.id == Escalation.case_id)
            .where(Case.number == number).order_by(Escalation.level))]


def escalation_entries(services: Services) -> list[str]:
    with services.db.reader() as session:
        return [b for b in session.scalars(select(AuditEntry.body).order_by(AuditEntry.seq)) if '"escalation"' in b]


def messages(services: Services, kind: str) -> Counter[str]:
    with services.db.reader() as session:
        return Counter(session.scalars(select(Person.username).join(OutboxMessage, OutboxMessage.person_id == Person.id)
                                       .where(OutboxMessage.kind == kind)))


def test_nothing_escalates_before_the_deadline(services: Services, files) -> None:
    number = waiting_on_ketua(services, files)
    report = services.tick(DUE - timedelta(minutes=1))
    assert report.done == [] and report.checked >= 1
    assert rows(services, number) == []
    assert "melewati tenggat" not in " ".join(w for w, _ in services.show(number, None).escalations)


def test_the_ketua_is_reminded_exactly_at_the_deadline_once(services: Services, files, clock: Clock) -> None:
    number = waiting_on_ketua(services, files)
    first = services.tick(DUE)
    assert [(d.case, d.level, d.do) for d in first.done] == [(number, 0, "ingatkan")]
    assert services.tick(DUE).done == [] and services.tick(DUE + timedelta(hours=5)).done == []
    assert rows(services, number) == [(0, "ingatkan", None)]
    [entry] = escalation_entries(services)
    assert f'"case":"{number}"' in entry and '"do":"ingatkan"' in entry and '"action":"eskalasi"' in entry
    assert messages(services, "tenggat") == Counter({"bambang": 1})  # the ketua, who may act; once
    clock.now = DUE + timedelta(hours=1)
    view = services.show(number, None)
    assert view.summary.overdue and [w for w, _ in view.escalations] == ["diingatkan"]


def test_two_servers_ticking_the_same_database_at_once_escalate_once(services: Services, files) -> None:
    number = waiting_on_ketua(services, files)
    results = run_together(*(lambda s=s: s.tick(RAISED) for s in (services, twin(services), twin(services))))
    assert not [r for r in results if isinstance(r, Exception)], results
    taken = Counter((d.case, d.level) for r in results for d in r.done)  # type: ignore[union-attr]
    assert taken == Counter({(number, 0): 1, (number, 1): 1, (number, 2): 1})
    assert rows(services, number) == [(0, "ingatkan", None), (1, "alihkan", "wakil_ketua_usaha"),
                                      (2, "naikkan", "ketua_pengawas")]
    assert len(escalation_entries(services)) == 3
    assert messages(services, "eskalasi") == Counter({"dwi": 1, "agus": 1})


def test_after_the_handover_the_deputy_may_decide_under_every_other_rule(services: Services, files,
                                                                          clock: Clock) -> None:
    number = waiting_on_ketua(services, files)
    mine = waiting_on_ketua(services, files, by="dwi")  # the deputy's own request
    clock.now = HANDED - timedelta(minutes=1)
    services.tick()
    with pytest.raises(PermissionDeniedError):
        act(services, number, "setujui", "dwi")  # not yet handed on
    clock.now = HANDED
    report = services.tick()
    assert {(d.case, d.do) for d in report.done} == {(number, "alihkan"), (mine, "alihkan")}
    assert number in [s.number for s, _ in services.tasks("dwi")]
    view = services.show(number, "dwi")
    assert [w for w, _ in view.escalations] == ["diingatkan", "dialihkan juga ke Wakil Ketua Bidang Usaha"]
    assert any("Wakil Ketua Bidang Usaha" in role for _, role in view.waiting)
    with pytest.raises(PermissionDeniedError) as refused:
        act(services, mine, "setujui", "dwi")  # segregation of duties still holds: not one's own request
    assert refused.value.rule == "pemisahan_tugas"
    result = act(services, number, "setujui", "dwi")
    assert result.to_state == "pemesanan"
    assert services.show(number, None).history[-1].role == "wakil_ketua_usaha"
    assert [f for f in services.findings("kkmp-sentanan").findings if f.rule == "peran"] == []
    assert all(r.ok for r in services.verify("kkmp-sentanan"))


def test_the_ketua_pengawas_is_told_when_it_is_raised(services: Services, files) -> None:
    number = waiting_on_ketua(services, files)
    services.tick(RAISED - timedelta(minutes=1))
    assert [lv for lv, _, _ in rows(services, number)] == [0, 1]
    report = services.tick(RAISED)
    assert [(d.level, d.do, d.to_role) for d in report.done] == [(2, "naikkan", "ketua_pengawas")]
    with services.db.reader() as session:
        subject, body, link = session.execute(
            select(OutboxMessage.subject, OutboxMessage.body, OutboxMessage.link)
            .join(Person, Person.id == OutboxMessage.person_id)
            .where(Person.username == "agus", OutboxMessage.kind == "eskalasi")).one()
    assert number in subject and "Ketua Pengawas" in body and link.endswith(number)
    with pytest.raises(PermissionDeniedError):  # the pengawas is told; the pengawas does not decide
        act(services, number, "setujui", "agus")


def test_a_step_decided_in_time_is_never_escalated(services: Services, files, clock: Clock) -> None:
    number = waiting_on_ketua(services, files)
    clock.now = DUE - timedelta(hours=1)
    act(services, number, "setujui", "bambang")
    report = services.tick(RAISED)  # long after the old deadline; the next step (14 days) is not due yet
    assert report.done == [] and rows(services, number) == []


def test_the_trail_verifies_and_the_audit_report_reads_escalations(services: Services, files) -> None:
    waiting_on_ketua(services, files)
    services.tick(RAISED)
    [report] = services.verify("kkmp-sentanan")
    assert report.ok, report
    with services.db.reader() as session:
        size = session.scalar(select(func.count()).select_from(AuditEntry))
    assert size == report.size
    assert services.findings("kkmp-sentanan").decisions_checked == 2  # escalations are nobody's decision
    from engine.services.documents.audit_report import audit_view

    with services.db.reader() as session:
        from engine.adapters.store.models import Cooperative

        coop = session.scalar(select(Cooperative).where(Cooperative.slug == "kkmp-sentanan"))
        assert coop is not None
        view = audit_view(session, coop, RAISED.date() - timedelta(days=1), RAISED.date(), services.tz, {},
                          lambda ref: services.registry.get(ref.split("@")[0]).definition)
    escalated = [r for r in view.entries if r.action.startswith("Eskalasi")]
    assert [r.action for r in escalated] == ["Eskalasi: pengingat", "Eskalasi: dialihkan juga ke Wakil Ketua "
                                             "Bidang Usaha", "Eskalasi: dinaikkan ke Ketua Pengawas"]
    assert {r.actor for r in escalated} == {"Tatakelola (otomatis, tenggat)"}


def test_a_forged_escalation_row_is_found_by_verify(services: Services, files) -> None:
    waiting_on_ketua(services, files)
    services.tick(DUE)
    with services.db.session() as session:
        row = session.scalars(select(Escalation)).one()
        row.level = 7
    [report] = services.verify("kkmp-sentanan")
    assert not report.ok
    assert any("eskalasi" in f.message for f in report.findings)
