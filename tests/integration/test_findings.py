"""Audit findings: a seeded history with planted breaches of every kind yields exactly those."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.adapters.store.models import Case, Cooperative, DefinitionRecord, Person
from engine.domain.definitions import Registry, load_definition_text
from engine.domain.definitions.registry import data_dir
from engine.domain.values import resolved_settings
from engine.services import Services
from engine.services.cases import _revision
from engine.settings import Settings
from tests.helpers import COOP, KAS_DRAFT_CHECKS, KAS_PAY_CHECKS, KAS_VERIFY_CHECKS, start_kas, submitted_kas
from tests.helpers import sentanan_org as org


def plant(services: Services, number: str, action: str, kind: str, actor: str, role: str, to_state: str,
          **data: Any) -> None:
    """An operator bypass: a decision written straight to the store, but still onto the trail."""
    now = services.clock()
    with services.db.session() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        coop = session.get_one(Cooperative, case.coop_id)
        record = session.get_one(DefinitionRecord, case.definition_id)
        person = session.scalar(select(Person).where(Person.username == actor))
        assert person is not None
        new_data = {**case.data, **data}
        revision = _revision(session, case, new_data, now)
        case.data = new_data
        settings = resolved_settings(services.pinned(record).definition, coop.settings)
        services.cases._log(session, coop, case, record, action=action, kind=kind, from_state=case.state,
                            to_state=to_state, person=person, role=role, comment=None, checks=[],
                            revision_sha=revision.sha256, attachments=[], vote=None, settings=settings, now=now)
        case.state, case.step_no, case.state_since = to_state, case.step_no + 1, now


def rules(services: Services) -> dict[str, set[str | None]]:
    report = services.findings(COOP)
    out: dict[str, set[str | None]] = {}
    for finding in report.findings:
        out.setdefault(finding.rule, set()).add(finding.case)
    return out


def test_a_clean_history_has_no_findings(services: Services, files) -> None:
    number = submitted_kas(services, 12_000_000, files("a.pdf"))
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(number, "setujui", "bambang")
    services.act(number, "setujui_pengawas", "heru")
    services.act(number, "setujui_pengawas", "agus")
    services.act(number, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k.pdf")})
    report = services.findings(COOP)
    assert report.findings == [] and report.decisions_checked == 6 and report.cases_checked == 1


def test_every_kind_of_planted_breach_is_found_and_nothing_else(services: Services, files, clock,
                                                                tmp_path: Path) -> None:
    # role: sri's term is later corrected to have ended before she verified
    role_case = submitted_kas(services, 300_000, files("r.pdf"))
    services.act(role_case, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    # segregation: the sekretaris checks the application she submitted herself
    sod_case = services.start_case("penerimaan_anggota", COOP, "rina", values={
        "nama": "Suwarni", "nik": "3576014507800003", "alamat": "Jl. Empunala 12", "kelurahan_ktp": "Sentanan"},
        files={"ktp": files("ktp.pdf")}).summary.number
    services.act(sod_case, "ajukan", "rina", checks=["formulir_ditandatangani", "ktp_terlampir"])
    plant(services, sod_case, "periksa", "verify", "rina", "sekretaris", "keputusan_pengurus")
    # tier: 9 million approved by the ketua alone
    tier_case = submitted_kas(services, 9_000_000, files("t.pdf"))
    services.act(tier_case, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    plant(services, tier_case, "setujui", "approve", "bambang", "ketua", "disetujui")
    # quorum: the pengawas step fired on a single (unrecorded) vote
    quorum_case = submitted_kas(services, 7_000_000, files("q.pdf"))
    services.act(quorum_case, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(quorum_case, "setujui", "bambang")
    plant(services, quorum_case, "setujui_pengawas", "approve", "nuraini", "pengawas", "disetujui")
    # deadline: the bendahara verifies ten days after submission
    late_case = submitted_kas(services, 200_000, files("l.pdf"))
    clock.advance(days=10)
    services.act(late_case, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    # RAPB: the year's approved lines, one overspent, one pos not budgeted
    services.import_org(org(tmp_path, ", rapb_2026: {Alat tulis kantor: 150000}"))
    services.act(late_case, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k1.pdf")})
    off_budget = start_kas(services, 150_000, files("o.pdf"), pos="Pemeliharaan sarana")
    services.act(off_budget, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)
    services.act(off_budget, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(off_budget, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k2.pdf")})
    # stuck: a case submitted and left for 40 days
    stuck_case = submitted_kas(services, 100_000, files("m.pdf"))
    # key change: checkpoints signed by a new key from here on
    rotated = Services(Settings(db_url=services.settings.db_url, key_path=tmp_path / "new.key"), clock=clock)
    rotated.init()
    # definition changed mid-year: version 2 registered for new cases
    source = (data_dir("workflows") / "pengeluaran_kas.yaml").read_text(encoding="utf-8")
    v2 = source.replace("version: 1\n", "version: 2\n", 1).replace("Draf pengajuan", "Draf pengajuan kas")
    bumped = Services(rotated.settings, clock=clock,
                      registry=Registry([load_definition_text(v2, "pengeluaran_kas.yaml")]))
    bumped.start_case("pengeluaran_kas", COOP, "fajar")
    clock.advance(days=40)
    services.import_org(org(tmp_path, ", rapb_2026: {Alat tulis kantor: 150000}",
                            "{person: sri, role: bendahara, start: 2026-01-01, end: 2026-11-20}"))

    found = rules(services)
    assert set(found) == {"peran", "pemisahan_tugas", "jenjang", "kuorum", "tenggat", "rapb", "macet",
                          "definisi_berubah", "kunci_berubah"}
    assert role_case in found["peran"] and late_case in found["peran"]
    assert found["pemisahan_tugas"] == {sod_case}
    assert found["jenjang"] == {tier_case}
    assert found["kuorum"] == {quorum_case}
    assert found["tenggat"] == {late_case}
    assert found["rapb"] == {late_case, off_budget}
    assert stuck_case in found["macet"]
    assert found["definisi_berubah"] == {None} and found["kunci_berubah"] == {None}
    report = services.findings(COOP)
    assert all(f.source and f.severity in ("tinggi", "sedang", "rendah") for f in report.findings)
    rapb = {f.case: f.message for f in report.findings if f.rule == "rapb"}
    assert "melebihi anggaran Rp 150.000" in rapb[late_case] and "tidak ada di RAPB 2026" in rapb[off_budget]
    tier = next(f for f in report.findings if f.rule == "jenjang")
    assert "menunggu_pengawas" in tier.message and tier.entries and "batas_ketua" in tier.source


def test_findings_respect_the_period(services: Services, files, clock) -> None:
    number = submitted_kas(services, 200_000, files("l.pdf"))
    clock.advance(days=10)
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    today = services.today()
    assert [f.rule for f in services.findings(COOP, start=today).findings] == ["tenggat"]
    assert services.findings(COOP, end=today.replace(day=today.day - 1)).findings == []


def test_a_finding_opens_one_follow_up_case_that_ends_on_the_trail(services: Services, files, clock) -> None:
    number = submitted_kas(services, 200_000, files("l.pdf"))
    clock.advance(days=10)
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    findings = services.findings(COOP).findings
    [opened] = services.open_followups(COOP, "agus", findings)
    assert services.open_followups(COOP, "agus", findings) == []  # not twice
    services.act(opened, "sampaikan", "agus", values={
        "rekomendasi": "Bendahara memverifikasi paling lambat 2 hari kerja; ketua memantau mingguan.",
        "pihak_bertanggung_jawab": "Bendahara", "batas_waktu": "2026-12-31"},
        checks=["bukti_diperiksa", "rekomendasi_terukur"])
    services.act(opened, "tanggapi", "bambang", values={"rencana_tindak_lanjut": "Jadwal verifikasi harian"})
    services.act(opened, "laporkan", "bambang", files={"bukti_tindak_lanjut": files("bukti.pdf")},
                 checks=["bukti_terlampir"])
    services.act(opened, "nyatakan_selesai", "heru", values={"hasil_verifikasi": "Sudah dijalankan"},
                 checks=["bukti_sesuai"])
    view = services.show(opened, None)
    assert view.summary.state == "selesai"
    assert [e.action for e in view.history][-1] == "nyatakan_selesai"
    [report] = services.verify(COOP)
    assert report.ok


def test_spending_is_checked_against_the_ratified_rapb(services: Services, files) -> None:
    from engine.adapters.store.models import Budget, BudgetLine

    now = services.clock()
    with services.db.session() as session:
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == COOP))
        assert coop is not None
        budget = Budget(coop_id=coop.id, year=2026, revision=0, status="disahkan", locked_at=now,
                        case_number="RKRAPB/2026/0001", created_at=now, updated_at=now)
        session.add(budget)
        session.flush()
        session.add(BudgetLine(coop_id=coop.id, budget_id=budget.id, position=1, section="B2", unit=None,
                               uraian="Alat tulis kantor", realisasi=None, anggaran=None, rencana=250_000))
        session.add(BudgetLine(coop_id=coop.id, budget_id=budget.id, position=2, section="A", unit=None,
                               uraian="Pemeliharaan sarana", realisasi=None, anggaran=None, rencana=9_000_000))
    within = submitted_kas(services, 200_000, files("a.pdf"))
    services.act(within, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(within, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k1.pdf")})
    assert services.findings(COOP).findings == []
    over = submitted_kas(services, 100_000, files("b.pdf"))
    services.act(over, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(over, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k2.pdf")})
    income_pos = start_kas(services, 100_000, files("c.pdf"), pos="Pemeliharaan sarana")
    services.act(income_pos, "ajukan", "fajar", checks=KAS_DRAFT_CHECKS)
    services.act(income_pos, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(income_pos, "bayar", "sri", checks=KAS_PAY_CHECKS, files={"kuitansi": files("k3.pdf")})
    found = {f.case: f.message for f in services.findings(COOP).findings if f.rule == "rapb"}
    assert "melebihi anggaran Rp 250.000" in found[over]
    assert "tidak ada di RAPB 2026" in found[income_pos]  # an income line is not a spending line
    assert within not in found
