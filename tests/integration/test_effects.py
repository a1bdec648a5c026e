"""Effects on the organisation (issue 13): a procedure's declared role, the panitia it appoints for the
case, the pengurus it installs with a same-day handover, the appointment ended with the case, every
change on the trail and checked by ``audit verify``; a bad effect refuses the decision and saves nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from engine.adapters.store.models import AuditEntry, Case, Cooperative, DefinitionRecord, Person, RoleAssignment
from engine.domain.definitions.registry import Registry
from engine.domain.roles import ROLES, role_label
from engine.errors import DefinitionError, SeatTakenError, ValidationError
from engine.services import Services
from engine.services.documents.audit_report import audit_view
from tests.helpers import COOP

WORKFLOWS = Path(__file__).parent / "effects_workflows"
WF = "uji_panitia"
TODAY = date(2026, 11, 24)  # the test clock's date (WIB)
END = date(2031, 11, 23)


@pytest.fixture
def svc(services: Services) -> Iterator[Services]:
    """The demo KKMP with the test procedure (declaring ``panitia_uji``) in its workflow folder."""
    out = Services(services.settings, clock=services.clock, registry=Registry.from_paths([WORKFLOWS]))
    yield out
    out.db.dispose()


def rows(*items: dict[str, str]) -> str:
    return json.dumps(list(items))


def panitia(*people: str) -> str:
    return rows(*({"anggota": p} for p in people))


def terms(svc: Services, role: str | None = None) -> list[tuple[str, str, date, date | None, int | None]]:
    """(user name, role, start, end, case id) of the demo KKMP's terms, optionally of one role."""
    with svc.db.reader() as session:
        stmt = (select(Person.username, RoleAssignment.role, RoleAssignment.starts_on, RoleAssignment.ends_on,
                       RoleAssignment.case_id)
                .join(Person, Person.id == RoleAssignment.person_id)
                .join(Cooperative, Cooperative.id == RoleAssignment.coop_id).where(Cooperative.slug == COOP)
                .order_by(RoleAssignment.role, RoleAssignment.starts_on, Person.username))
        if role is not None:
            stmt = stmt.where(RoleAssignment.role == role)
        return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def trail(svc: Services, kind: str | None = "jabatan") -> list[dict[str, Any]]:
    with svc.db.reader() as session:
        bodies = [json.loads(b) for b in session.scalars(select(AuditEntry.body).order_by(AuditEntry.seq))]
    return [b for b in bodies if kind is None or b.get("kind") == kind]


def case_id(svc: Services, number: str) -> int:
    with svc.db.reader() as session:
        return session.scalars(select(Case.id).where(Case.number == number)).one()


def appointed(svc: Services, *people: str) -> str:
    """A case whose panitia (``people``) is appointed: waiting for the election result."""
    number = svc.open_case(WF, COOP, "bambang", values={"panitia": panitia(*people)})
    svc.act(number, "bentuk_panitia", "bambang")
    return number


def elect(svc: Services, number: str, result: str, *, by: str = "siti", start: date = TODAY) -> None:
    svc.act(number, "tetapkan_hasil", by, values={"hasil": result, "tanggal_mulai": start.isoformat(),
                                                  "tanggal_akhir": END.isoformat()})


def test_the_declared_role_is_in_the_catalogue_with_its_label_and_seats(svc: Services) -> None:
    svc.registry.get(WF)
    assert ROLES["panitia_uji"].max_seats == 3
    assert role_label("panitia_uji") == "Panitia Uji Pemilihan"


def test_panitia_appointed_pengurus_installed_handed_over_and_the_panitia_ends_with_the_case(svc: Services) -> None:
    number = appointed(svc, "siti", "joko", "lilik")
    cid = case_id(svc, number)
    assert terms(svc, "panitia_uji") == [(p, "panitia_uji", TODAY, None, cid) for p in ("joko", "lilik", "siti")]
    with svc.db.reader() as session:
        notes = set(session.scalars(select(RoleAssignment.note).where(RoleAssignment.role == "panitia_uji")))
    assert notes == {f"Ditunjuk dalam kasus {number}"}
    assert svc.verify(COOP)[0].ok  # a full pass, remembered: the last one below continues from it
    # siti holds the declared role now: she may take the panitia's step (bambang may not)
    elect(svc, number, rows({"calon": "dwi", "jabatan": "ketua"}, {"calon": "rina", "jabatan": "sekretaris"},
                            {"calon": "sri", "jabatan": "bendahara"}))
    day_before = date(2026, 11, 23)
    assert terms(svc, "ketua") == [("bambang", "ketua", date(2025, 7, 1), day_before, None),
                                   ("dwi", "ketua", TODAY, END, cid)]
    assert terms(svc, "sekretaris") == [("rina", "sekretaris", date(2025, 7, 1), day_before, None),
                                        ("rina", "sekretaris", TODAY, END, cid)]
    assert terms(svc, "bendahara") == [("wahyu", "bendahara", date(2025, 7, 1), date(2025, 12, 31), None),
                                       ("sri", "bendahara", date(2026, 1, 1), day_before, None),
                                       ("sri", "bendahara", TODAY, END, cid)]
    # the new ketua takes the last step: the roster sees the handover today
    svc.act(number, "tutup", "dwi")
    assert svc.show(number, None).summary.state == "selesai"
    assert terms(svc, "panitia_uji") == [(p, "panitia_uji", TODAY, TODAY, cid) for p in ("joko", "lilik", "siti")]
    assert terms(svc, "ketua")[-1] == ("dwi", "ketua", TODAY, END, cid)  # installed terms outlive the case

    entries = trail(svc)
    summary = [(e["action"], e["person"], e["role"], e["starts_on"], e["ends_on"]) for e in entries]
    t, y, e5 = TODAY.isoformat(), day_before.isoformat(), END.isoformat()
    assert summary == [
        ("tetapkan_jabatan", "siti", "panitia_uji", t, None),
        ("tetapkan_jabatan", "joko", "panitia_uji", t, None),
        ("tetapkan_jabatan", "lilik", "panitia_uji", t, None),
        ("akhiri_jabatan", "sri", "bendahara", "2026-01-01", y),
        ("akhiri_jabatan", "bambang", "ketua", "2025-07-01", y),
        ("akhiri_jabatan", "rina", "sekretaris", "2025-07-01", y),
        ("tetapkan_jabatan", "dwi", "ketua", t, e5),
        ("tetapkan_jabatan", "rina", "sekretaris", t, e5),
        ("tetapkan_jabatan", "sri", "bendahara", t, e5),
        ("akhiri_jabatan", "siti", "panitia_uji", t, t),
        ("akhiri_jabatan", "joko", "panitia_uji", t, t),
        ("akhiri_jabatan", "lilik", "panitia_uji", t, t),
    ]
    assert {e["case"] for e in entries} == {number}
    assert {e["actor"] for e in entries[:3]} == {"bambang"} and {e["actor"] for e in entries[3:9]} == {"siti"}
    assert [e.get("reason") for e in entries if e["action"] == "akhiri_jabatan"] == \
        ["serah_terima"] * 3 + ["kasus_selesai"] * 3
    assert not any("nik" in key for e in entries for key in e)
    # each entry follows the decision that made it
    decisions = [(b["action"], b["seq"]) for b in trail(svc, None) if b.get("case") == number and b["kind"] != "jabatan"]
    assert [a for a, _ in decisions] == ["mulai", "bentuk_panitia", "tetapkan_hasil", "tutup"]
    assert decisions[1][1] < entries[0]["seq"] < decisions[2][1] < entries[3]["seq"] < decisions[3][1] < \
        entries[9]["seq"]
    report = svc.verify(COOP, since_last=True)[0]
    assert report.ok and report.since, report.first
    report = svc.verify(COOP)[0]
    assert report.ok, report.first
    # the pengawas's audit report says what each entry did, in words
    with svc.db.reader() as session:
        coop = session.scalars(select(Cooperative).where(Cooperative.slug == COOP)).one()
        records = {r.pinned_ref: r for r in session.scalars(select(DefinitionRecord))}
        view = audit_view(session, coop, TODAY, TODAY, svc.tz, {WF: "Uji"},
                          lambda ref: svc.pinned(records[ref]).definition if ref in records else None)
    made = [(row.action, row.transition, row.role) for row in view.entries if row.seq == entries[6]["seq"]]
    assert made == [("Menetapkan jabatan: Dwi Prasetyo sebagai Ketua Pengurus, 24 November 2026 s.d. "
                     "23 November 2031", "Efek keputusan 'Tetapkan hasil'", "—")]
    ended = [row.action for row in view.entries if row.seq == entries[9]["seq"]]
    assert ended == ["Mengakhiri jabatan: Siti Maemunah sebagai Panitia Uji Pemilihan, 24 November 2026 s.d. "
                     "24 November 2026"]


def test_audit_verify_finds_a_case_made_term_changed_outside_the_system(svc: Services) -> None:
    number = appointed(svc, "siti", "joko")
    assert svc.verify(COOP)[0].ok
    elect(svc, number, rows({"calon": "dwi", "jabatan": "ketua"}))
    with svc.db.session() as session:
        session.execute(update(RoleAssignment).where(RoleAssignment.role == "ketua", RoleAssignment.case_id.is_not(None))
                        .values(ends_on=date(2035, 1, 1)))
    for since_last in (True, False):  # the entries added since the last pass, and the whole log
        report = svc.verify(COOP, since_last=since_last)[0]
        assert not report.ok
        assert "akhir masa jabatan" in str(report.first) and "dwi" in str(report.first)


def test_audit_verify_finds_a_term_tied_to_a_case_without_an_entry(svc: Services) -> None:
    number = appointed(svc, "siti")
    with svc.db.session() as session:
        person = session.scalar(select(Person.id).where(Person.username == "joko"))
        coop = session.scalar(select(Cooperative.id).where(Cooperative.slug == COOP))
        session.add(RoleAssignment(coop_id=coop, person_id=person, role="kasir", starts_on=TODAY, ends_on=None,
                                   note="disisipkan", case_id=case_id(svc, number)))
    report = svc.verify(COOP)[0]
    assert not report.ok
    assert "tidak ada di log" in str(report.first)


def test_two_people_for_ketua_save_nothing(svc: Services) -> None:
    number = appointed(svc, "siti", "joko")
    before = (terms(svc), len(trail(svc, None)), svc.show(number, None).summary.state, svc.show(number, None).fields)
    with pytest.raises(ValidationError, match="Ketua Pengurus hanya 1 kursi, tetapi daftar menetapkan 2 orang"):
        elect(svc, number, rows({"calon": "dwi", "jabatan": "ketua"}, {"calon": "endang", "jabatan": "ketua"}))
    assert (terms(svc), len(trail(svc, None)), svc.show(number, None).summary.state,
            svc.show(number, None).fields) == before


def test_one_person_named_twice_for_one_seat_saves_nothing(svc: Services) -> None:
    number = appointed(svc, "siti")
    before = (terms(svc), len(trail(svc, None)))
    with pytest.raises(ValidationError, match="disebut dua kali sebagai Ketua Pengurus"):
        elect(svc, number, rows({"calon": "dwi", "jabatan": "ketua"}, {"calon": "dwi", "jabatan": "ketua"}))
    assert (terms(svc), len(trail(svc, None))) == before


def test_a_holder_whose_term_starts_after_the_handover_refuses_it(svc: Services, tmp_path: Path) -> None:
    number = appointed(svc, "siti")
    # the sekretaris seat is already promised to lilik from 1 December (rina's term ends 30 November)
    org = tmp_path / "org.yaml"
    org.write_text(
        "people:\n  - {username: rina, name: Rina Wulandari}\n  - {username: lilik, name: Lilik Suryani}\n"
        f"cooperatives:\n  - slug: {COOP}\n    name: Koperasi Kelurahan Merah Putih Sentanan\n    roles:\n"
        "      - {person: rina, role: sekretaris, start: 2025-07-01, end: 2026-11-30}\n"
        "      - {person: lilik, role: sekretaris, start: 2026-12-01, end: 2030-06-30}\n", encoding="utf-8")
    svc.import_org(org)
    before = (terms(svc), len(trail(svc, None)))
    with pytest.raises(ValidationError, match="sudah tercatat sebagai Sekretaris mulai 1 Desember 2026"):
        elect(svc, number, rows({"calon": "dwi", "jabatan": "sekretaris"}))
    assert (terms(svc), len(trail(svc, None))) == before


def test_more_panitia_than_seats_or_an_unknown_person_is_refused(svc: Services) -> None:
    before = (terms(svc), len(trail(svc, None)))
    number = svc.open_case(WF, COOP, "bambang", values={"panitia": panitia("siti", "joko", "lilik", "rina")})
    started = len(trail(svc, None))
    with pytest.raises(ValidationError, match="hanya 3 kursi"):
        svc.act(number, "bentuk_panitia", "bambang")
    assert terms(svc) == before[0] and len(trail(svc, None)) == started
    assert svc.show(number, None).summary.state == "draf"


def test_the_organisation_file_takes_terms_of_a_declared_role_within_its_seats(svc: Services, tmp_path: Path) -> None:
    svc.registry.get(WF)
    head = ("people:\n  - {username: siti, name: Siti Maemunah}\n  - {username: joko, name: Joko Susilo}\n"
            "  - {username: lilik, name: Lilik Suryani}\n  - {username: rina, name: Rina Wulandari}\n"
            f"cooperatives:\n  - slug: {COOP}\n    name: Koperasi Kelurahan Merah Putih Sentanan\n    roles:\n")
    too_many = tmp_path / "banyak.yaml"
    too_many.write_text(head + "".join(f"      - {{person: {p}, role: panitia_uji, start: 2026-12-01}}\n"
                                       for p in ("siti", "joko", "lilik", "rina")), encoding="utf-8")
    with pytest.raises(DefinitionError, match="Panitia Uji Pemilihan hanya 3 kursi"):
        svc.import_org(too_many)
    fits = tmp_path / "cukup.yaml"
    fits.write_text(head + "      - {person: siti, role: panitia_uji, start: 2026-12-01, end: 2026-12-31}\n",
                    encoding="utf-8")
    summary = svc.import_org(fits)
    assert summary.terms_added == 1
    assert ("siti", "panitia_uji", date(2026, 12, 1), date(2026, 12, 31), None) in terms(svc, "panitia_uji")


def test_the_one_seat_rule_still_holds_in_the_database(svc: Services) -> None:
    with pytest.raises(SeatTakenError), svc.db.session() as session:
        from engine.services.seats import one_seat

        with one_seat():
            person = session.scalar(select(Person.id).where(Person.username == "dwi"))
            coop = session.scalar(select(Cooperative.id).where(Cooperative.slug == COOP))
            session.add(RoleAssignment(coop_id=coop, person_id=person, role="ketua", starts_on=TODAY, ends_on=None))
            session.flush()


def test_org_import_on_the_command_line_knows_the_declared_roles_of_the_workflows(svc: Services,
                                                                                 tmp_path: Path) -> None:
    """A fresh process: the CLI loads the procedures (and their declared roles) before reading the file."""
    org = tmp_path / "org.yaml"
    org.write_text("people:\n  - {username: siti, name: Siti Maemunah}\n"
                   f"cooperatives:\n  - slug: {COOP}\n    name: Koperasi Kelurahan Merah Putih Sentanan\n"
                   "    roles:\n      - {person: siti, role: panitia_uji, start: 2026-12-01, end: 2026-12-31}\n",
                   encoding="utf-8")
    base = [sys.executable, "-m", "engine", "--db", svc.settings.db_url, "--key", str(svc.settings.key_path)]
    shipped = subprocess.run([*base, "org", "import", str(org)], capture_output=True, text=True, timeout=120,
                             check=False)
    assert "peran 'panitia_uji' tidak dikenal" in shipped.stdout + shipped.stderr
    ours = subprocess.run([*base, "--workflows", str(WORKFLOWS), "org", "import", str(org)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert ours.returncode == 0, ours.stdout + ours.stderr
    assert "jabatan +1" in ours.stdout
    assert ("siti", "panitia_uji", date(2026, 12, 1), date(2026, 12, 31), None) in terms(svc, "panitia_uji")


def test_the_cooperative_page_names_the_declared_role_by_its_label(svc: Services) -> None:
    from engine.adapters.passwords import hash_password
    from engine.web import create_app
    from tests.web.conftest import Browser

    appointed(svc, "siti")
    with svc.db.session() as session:
        session.scalars(select(Person).where(Person.username == "siti")).one().password_hash = \
            hash_password("rahasia-uji-efek-2026", check_strength=False)
    browser = Browser(create_app(svc.settings, services=svc, secret_key="test-secret"))
    assert browser.login("siti", "rahasia-uji-efek-2026").status_code in (200, 303)
    page = browser.client.get(f"/k/{COOP}")
    assert page.status_code == 200
    assert "Panitia Uji Pemilihan" in page.text and "panitia_uji" not in page.text


def test_the_export_bundle_with_term_entries_verifies_offline(svc: Services, tmp_path: Path) -> None:
    from engine.audit.core.offline import verify_bundle

    number = appointed(svc, "siti", "joko")
    elect(svc, number, rows({"calon": "dwi", "jabatan": "ketua"}))
    svc.act(number, "tutup", "dwi")
    svc.export(COOP, tmp_path / "bundel")
    summary = verify_bundle(tmp_path / "bundel")
    assert summary


def test_a_declared_role_held_today_is_offered_for_delegation_by_its_label(svc: Services) -> None:
    appointed(svc, "siti", "joko")
    assert ("panitia_uji", "Panitia Uji Pemilihan") in svc.delegations.delegable(COOP, "siti")
