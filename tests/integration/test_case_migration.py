"""Moving running cases to a new version of their procedure: the dry run lists exactly what the
approved migration then does, and anything that changed or cannot move refuses the approval."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from engine.adapters.store.models import AuditEntry, Case, CaseMigration, Cooperative, DefinitionRecord
from engine.audit.core.offline import verify_bundle
from engine.domain.definitions.registry import Registry, data_dir
from engine.errors import AlreadyDecidedError, NotFoundError, PermissionDeniedError, ValidationError
from engine.services import Services
from engine.services.documents.audit_report import audit_view
from engine.services.documents.minutes import minutes_view
from engine.services.migration import MigrationPlan
from tests.conftest import ON_POSTGRES
from tests.helpers import COOP

WF = "uji_migrasi"
V1 = """\
id: uji_migrasi
version: 1
title: Uji Pemindahan Versi
category: keuangan
number_prefix: UJI
sop:
  nomor: SOP-KEU-99
  tanggal_pembuatan: 2026-01-01
  tanggal_efektif: 2026-01-01
  disahkan_oleh: ketua
  dasar_hukum: [AD/ART]
  kualifikasi_pelaksana: [Memahami AD/ART]
  peralatan: [Formulir]
  peringatan: Tidak ada
  pencatatan: [Buku kas]
roles: [manajer, bendahara, sekretaris, pengurus, ketua]
fields:
  judul: {type: text, label: Judul, required: true}
  jumlah: {type: money, label: Jumlah, required: true}
  catatan_lama: {type: text, label: Catatan lama}
  kode: {type: integer, label: Kode}
states:
  draf: {title: Draf}
  periksa: {title: Pemeriksaan bendahara}
  ditunda: {title: Ditunda bendahara}
  rapat: {title: Keputusan pengurus}
  selesai: {title: Selesai, final: true}
  ditolak: {title: Ditolak, final: true}
actions:
  - {id: ajukan, kind: submit, from: draf, to: periksa, roles: [manajer], requires: [judul, jumlah]}
  - {id: periksa, kind: verify, from: periksa, to: rapat, roles: [bendahara]}
  - {id: tunda, kind: return, from: periksa, to: ditunda, roles: [bendahara]}
  - {id: lanjutkan, kind: verify, from: ditunda, to: rapat, roles: [bendahara]}
  - {id: tolak, kind: reject, from: periksa, to: ditolak, roles: [bendahara]}
  - {id: setujui, kind: approve, from: rapat, to: selesai, roles: [pengurus], quorum: {count: 2}}
"""
#: Version 2: the "ditunda" step is gone, a sekretaris review comes in, "catatan_lama" is dropped and
#: "kode" becomes text.
V2 = (V1.replace("version: 1", "version: 2")
      .replace("  catatan_lama: {type: text, label: Catatan lama}\n", "")
      .replace("kode: {type: integer", "kode: {type: text")
      .replace("  ditunda: {title: Ditunda bendahara}\n", "  telaah: {title: Telaah sekretaris}\n")
      .replace("  - {id: periksa, kind: verify, from: periksa, to: rapat, roles: [bendahara]}\n"
               "  - {id: tunda, kind: return, from: periksa, to: ditunda, roles: [bendahara]}\n"
               "  - {id: lanjutkan, kind: verify, from: ditunda, to: rapat, roles: [bendahara]}\n",
               "  - {id: periksa, kind: verify, from: periksa, to: telaah, roles: [bendahara]}\n"
               "  - {id: telaah, kind: verify, from: telaah, to: rapat, roles: [sekretaris]}\n"))
NOTE = "Dipindahkan ke versi 2 (disetujui MIG/2026/0001)"


def folder(tmp_path: Path, name: str, text: str) -> Path:
    """A workflow folder with the test procedure and the shipped migration procedure."""
    directory = tmp_path / name
    directory.mkdir()
    (directory / f"{WF}.yaml").write_text(text, encoding="utf-8")
    shutil.copy(data_dir("workflows") / "migrasi_kasus.yaml", directory)
    return directory


@pytest.fixture
def old(services: Services, tmp_path: Path) -> Iterator[Services]:
    """The demo database with version 1 of the test procedure in its workflow folder."""
    svc = Services(services.settings, clock=services.clock, registry=Registry.from_paths([folder(tmp_path, "v1", V1)]))
    yield svc
    svc.db.dispose()


@pytest.fixture
def new(services: Services, tmp_path: Path) -> Iterator[Services]:
    """The same database once the folder holds version 2."""
    svc = Services(services.settings, clock=services.clock, registry=Registry.from_paths([folder(tmp_path, "v2", V2)]))
    yield svc
    svc.db.dispose()


def case_at(svc: Services, where: str, **values: str) -> str:
    """A version 1 case brought to ``where``: draf, periksa, ditunda, rapat, rapat_dengan_suara or selesai."""
    number = svc.open_case(WF, COOP, "fajar", values={"judul": "Beli timbangan", "jumlah": "750000", **values})
    if where == "draf":
        return number
    svc.act(number, "ajukan", "fajar")
    if where == "periksa":
        return number
    if where == "ditunda":
        svc.act(number, "tunda", "sri")
        return number
    svc.act(number, "periksa", "sri")
    if where in ("rapat_dengan_suara", "selesai"):
        svc.act(number, "setujui", "bambang")
    if where == "selesai":
        svc.act(number, "setujui", "dwi")
    return number


def pinned(svc: Services, number: str) -> tuple[str, int, int]:
    """(state, version, step) of a case."""
    with svc.db.session() as session:
        state, version, step = session.execute(
            select(Case.state, DefinitionRecord.version, Case.step_no)
            .join(DefinitionRecord, DefinitionRecord.id == Case.definition_id).where(Case.number == number)).one()
        return state, version, step


def migrations(svc: Services) -> list[tuple[str, str, str]]:
    with svc.db.session() as session:
        return [(n, a, b) for n, a, b in session.execute(
            select(Case.number, CaseMigration.from_state, CaseMigration.to_state)
            .join(Case, Case.id == CaseMigration.case_id).order_by(CaseMigration.seq))]


def log_size(svc: Services) -> int:
    with svc.db.session() as session:
        return int(session.scalar(select(func.count(AuditEntry.seq))) or 0)


def approve(svc: Services, number: str, *voters: str) -> None:
    for voter in voters:
        svc.act(number, "setujui", voter)


def plan_of(svc: Services, state_map: dict[str, str] | None = None) -> MigrationPlan:
    return svc.migrations.plan(WF, 1, 2, state_map or {}, COOP)


def test_the_dry_run_lists_exactly_what_the_approved_migration_does(old: Services, new: Services) -> None:
    numbers = {where: case_at(old, where) for where in ("draf", "periksa", "ditunda", "rapat", "selesai")}
    steps = {where: pinned(old, n)[2] for where, n in numbers.items()}
    dry = plan_of(new, {"ditunda": "telaah"})
    assert [(line.number, line.from_state, line.to_state, line.reason) for line in dry.lines] == [
        (numbers["draf"], "draf", "draf", None), (numbers["periksa"], "periksa", "periksa", None),
        (numbers["ditunda"], "ditunda", "telaah", None), (numbers["rapat"], "rapat", "rapat", None)]
    assert numbers["selesai"] not in [line.number for line in dry.lines]  # closed cases stay as they ended

    plan, mig = new.migrations.propose(WF, 1, 2, {"ditunda": "telaah"}, COOP, "rina")
    assert mig == "MIG/2026/0001" and plan.sha256 == dry.sha256 and plan.lines == dry.lines
    assert new.show(mig, None).summary.state == "keputusan_pengurus"
    approve(new, mig, "bambang", "dwi")
    assert pinned(new, numbers["ditunda"]) == ("ditunda", 1, steps["ditunda"])  # nothing moves before the quorum
    approve(new, mig, "endang")

    assert new.show(mig, None).summary.state == "dipindahkan"
    assert migrations(new) == [(line.number, line.from_state, line.to_state) for line in dry.lines]
    for line in dry.lines:
        where = line.from_state
        assert pinned(new, line.number) == (line.to_state, 2, steps[where] + 1)
        history = new.show(line.number, None).history
        assert (history[-1].kind, history[-1].comment, history[-1].label) == ("migration", NOTE,
                                                                               "Pindah versi prosedur")
    assert pinned(new, numbers["selesai"])[:2] == ("selesai", 1)
    assert new.verify(COOP)[0].ok


def test_a_moved_case_goes_on_under_the_new_version_to_its_end(old: Services, new: Services,
                                                                tmp_path: Path) -> None:
    number = case_at(old, "ditunda")
    _, mig = new.migrations.propose(WF, 1, 2, {"ditunda": "telaah"}, COOP, "rina")
    approve(new, mig, "bambang", "dwi", "endang")  # endang's vote carries the migration out
    view = new.show(number, "rina")
    assert [o.id for o in view.options if o.allowed] == ["telaah"]
    assert view.definition_ref.startswith(f"{WF}@2#")
    new.act(number, "telaah", "rina")
    # The migration is nobody's decision on this case: endang, whose vote moved it, may still approve it.
    new.act(number, "setujui", "endang")
    new.act(number, "setujui", "bambang")
    assert pinned(new, number)[:2] == ("selesai", 2)
    assert [e.action for e in new.show(number, None).history] == [
        "mulai", "ajukan", "tunda", "migrasi", "telaah", "setujui", "setujui"]

    report = new.verify(COOP)[0]
    assert report.ok, report.findings
    assert new.findings(COOP).findings == []
    new.export(COOP, tmp_path / "bundle")  # the pengawas' offline verifier takes the migration entry too
    assert verify_bundle(tmp_path / "bundle")["size"] == report.size
    with new.db.session() as session:
        coop = session.scalar(select(Cooperative).where(Cooperative.slug == COOP))
        case = session.scalar(select(Case).where(Case.number == number))
        assert coop is not None and case is not None
        record = session.get_one(DefinitionRecord, case.definition_id)
        minutes = minutes_view(session, case, coop, new.pinned(record), new.tz)
        assert any(row.comment == NOTE for row in minutes.events)
        records = {r.pinned_ref: r for r in session.scalars(select(DefinitionRecord))}
        day = new.today()
        report_view = audit_view(session, coop, day, day, new.tz, {WF: "Uji"},
                                 lambda ref: new.pinned(records[ref]).definition if ref in records else None)
        moved = [row for row in report_view.entries if row.case == number and "versi 2" in row.action]
        assert len(moved) == 1 and moved[0].action == "Dipindahkan ke versi 2 (disetujui MIG/2026/0001)"
        assert moved[0].transition == "Ditunda bendahara → Telaah sekretaris"


def test_cases_that_cannot_move_are_named_and_nothing_is_proposed(old: Services, new: Services) -> None:
    voting = case_at(old, "rapat_dengan_suara")
    noted = case_at(old, "periksa", catatan_lama="Harga naik")
    typed = case_at(old, "periksa", kode="7")
    parked = case_at(old, "ditunda")
    plan = plan_of(new)
    reasons = {line.number: line.reason or "" for line in plan.lines}
    assert "pemungutan suara sedang berjalan (1 suara" in reasons[voting]
    assert "isian 'Catatan lama' (catatan_lama) terisi tetapi tidak ada di versi 2" in reasons[noted]
    assert "isian 'Kode' (kode) bertipe integer di versi 1 tetapi text di versi 2" in reasons[typed]
    assert "status 'Ditunda bendahara' (ditunda) tidak ada di versi 2; tambahkan --map ditunda=" in reasons[parked]
    assert len(plan.blocked) == 4
    before = [pinned(new, n) for n in (voting, noted, typed, parked)], log_size(new)
    with pytest.raises(ValidationError, match="4 kasus tidak dapat dipindah"):
        new.migrations.propose(WF, 1, 2, {}, COOP, "rina")
    assert ([pinned(new, n) for n in (voting, noted, typed, parked)], log_size(new)) == before
    assert [c.number for c in new.list_cases(COOP) if c.number.startswith("MIG/")] == []


def test_a_plan_that_changed_since_it_was_proposed_refuses_the_approval(old: Services, new: Services) -> None:
    number = case_at(old, "periksa")
    _, mig = new.migrations.propose(WF, 1, 2, {}, COOP, "rina")
    approve(new, mig, "bambang", "dwi")
    new.act(number, "periksa", "sri")  # the case moves on under version 1 meanwhile
    size = log_size(new)
    with pytest.raises(ValidationError, match="Rencana berubah sejak diajukan"):
        approve(new, mig, "endang")
    assert log_size(new) == size and migrations(new) == []
    assert pinned(new, number)[:2] == ("rapat", 1)
    view = new.show(mig, None)
    assert view.summary.state == "keputusan_pengurus" and len(view.votes.get("setujui", [])) == 2
    new.act(mig, "tolak", "endang", comment="Rencana sudah usang; diajukan ulang")
    _, again = new.migrations.propose(WF, 1, 2, {}, COOP, "rina")
    approve(new, again, "bambang", "dwi", "endang")
    assert pinned(new, number) == ("rapat", 2, pinned(old, number)[2])
    assert new.verify(COOP)[0].ok


def test_a_case_blocked_since_the_proposal_refuses_the_approval(old: Services, new: Services) -> None:
    number = case_at(old, "rapat")
    _, mig = new.migrations.propose(WF, 1, 2, {}, COOP, "bambang")
    old.act(number, "setujui", "rina")  # a vote in progress now
    approve(new, mig, "dwi", "endang")
    with pytest.raises(ValidationError, match="Rencana berubah"):
        approve(new, mig, "sri")
    assert migrations(new) == [] and pinned(new, number)[:2] == ("rapat", 1)


def test_the_proposer_cannot_approve_the_migration(old: Services, new: Services) -> None:
    case_at(old, "periksa")
    _, mig = new.migrations.propose(WF, 1, 2, {}, COOP, "bambang")
    with pytest.raises(PermissionDeniedError):
        new.act(mig, "setujui", "bambang")
    with pytest.raises(PermissionDeniedError):  # only the sekretaris or the ketua proposes
        new.migrations.propose(WF, 1, 2, {}, COOP, "sri")


def test_wrong_requests_are_named_in_indonesian(old: Services, new: Services) -> None:
    case_at(old, "periksa")
    with pytest.raises(NotFoundError, match="Prosedur 'tidak_ada' tidak dikenal"):
        new.migrations.plan("tidak_ada", 1, 2, {}, COOP)
    with pytest.raises(NotFoundError, match="Versi 3 prosedur 'uji_migrasi' tidak ditemukan"):
        new.migrations.plan(WF, 1, 3, {}, COOP)
    with pytest.raises(NotFoundError, match="Versi 4 prosedur 'uji_migrasi' tidak tercatat"):
        new.migrations.plan(WF, 4, 5, {}, COOP)
    with pytest.raises(ValidationError) as info:
        plan_of(new, {"ditunda": "entah"})
    assert "status 'entah' tidak ada di versi 2" in str(info.value.problems)
    with pytest.raises(ValidationError) as info:
        plan_of(new, {"selesai_lama": "rapat"})
    assert "status 'selesai_lama' tidak ada di versi 1" in str(info.value.problems)
    with pytest.raises(ValidationError) as info:
        plan_of(new, {"periksa": "selesai"})
    assert "status akhir" in str(info.value.problems)
    from engine.services.migration import parse_map

    with pytest.raises(ValidationError, match="Peta status"):
        parse_map(["ditunda"])
    assert parse_map(["ditunda=telaah", " a = b , c=d"]) == {"ditunda": "telaah", "a": "b", "c": "d"}


def test_a_dry_run_writes_nothing(old: Services, new: Services) -> None:
    case_at(old, "periksa")
    size = log_size(new)
    plan_of(new)
    with new.db.session() as session:
        versions = list(session.scalars(select(DefinitionRecord.version).where(DefinitionRecord.workflow_id == WF)))
    assert versions == [1] and log_size(new) == size


def test_the_verifier_follows_the_migration_and_catches_a_case_pinned_back_by_hand(old: Services,
                                                                                   new: Services) -> None:
    number = case_at(old, "periksa")
    _, mig = new.migrations.propose(WF, 1, 2, {}, COOP, "rina")
    approve(new, mig, "bambang", "dwi", "endang")
    assert new.verify(COOP)[0].ok
    with new.db.session() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        move = session.scalar(select(CaseMigration).where(CaseMigration.case_id == case.id))
        assert move is not None
        case_id, old_id, new_id = case.id, move.from_definition_id, move.to_definition_id
    with new.db.session() as session:  # pinned back to version 1 outside the system
        session.execute(update(Case).where(Case.id == case_id).values(definition_id=old_id))
    messages = [f.message for f in new.verify(COOP)[0].findings]
    assert any("kasus kini dipasangkan ke uji_migrasi@1" in m for m in messages), messages
    with new.db.session() as session:  # the migration row removed instead
        session.execute(update(Case).where(Case.id == case_id).values(definition_id=new_id))
        session.execute(delete(CaseMigration).where(CaseMigration.case_id == case_id))
    messages = [f.message for f in new.verify(COOP)[0].findings]  # its first entry names version 1, not 2
    assert messages and "kasus dipasangkan ke uji_migrasi@2" in messages[0], messages


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks: PostgreSQL (SQLite has one writer at a time)")
def test_an_approval_gives_way_to_a_decision_in_progress_on_a_case_it_moves(old: Services, new: Services) -> None:
    number = case_at(old, "periksa")
    _, mig = new.migrations.propose(WF, 1, 2, {}, COOP, "rina")
    approve(new, mig, "bambang", "dwi")
    size = log_size(new)
    with old.db.session() as other:  # somebody is deciding on the case right now (holds its row)
        other.execute(select(Case).where(Case.number == number).with_for_update())
        with pytest.raises(AlreadyDecidedError, match="sedang diputuskan orang lain"):
            approve(new, mig, "endang")
    assert log_size(new) == size and migrations(new) == []
    approve(new, mig, "endang")  # once it is done, the approval goes through
    assert pinned(new, number)[:2] == ("periksa", 2)
