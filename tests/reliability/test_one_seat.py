"""Two ketua at once is impossible: the database holds one holder per single-seat role on any day.

An exclusion constraint over the term's daterange on PostgreSQL, triggers on SQLite; whatever writes the
terms (the importer, the service layer, raw SQL, two writers at once) meets the same refusal, and the
service layer names the role in Indonesian (exit 5).
"""

from __future__ import annotations

import importlib.util
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from engine.adapters.store.db import normalise_url
from engine.adapters.store.models import Cooperative, Person, RoleAssignment
from engine.domain.roles import ROLES
from engine.errors import ConfigurationError, SeatTakenError, TatakelolaError, exit_code_for
from engine.services import Services
from engine.services.seats import one_seat
from tests.helpers import COOP
from tests.reliability.store_invariants import cli

MIGRATION = (Path(__file__).resolve().parents[2] / "engine" / "adapters" / "store" / "migrations" / "versions"
             / "0008_idempotency_and_one_seat.py")


def _holders(services: Services, role: str) -> list[tuple[str, str, str | None]]:
    db_engine = create_engine(normalise_url(services.settings.db_url))
    with db_engine.connect() as conn:
        rows = conn.execute(text("SELECT p.username, r.starts_on, r.ends_on FROM role_assignments r "
                                 "JOIN people p ON p.id = r.person_id WHERE r.role = :role ORDER BY r.starts_on, "
                                 "p.username"), {"role": role}).all()
    db_engine.dispose()
    return [(u, str(s), None if e is None else str(e)) for u, s, e in rows]


def _ids(services: Services, username: str) -> tuple[int, int]:
    with services.db.session() as session:  # columns every schema since 0001 has (the test may downgrade)
        coop_id = session.scalars(select(Cooperative.id).where(Cooperative.slug == COOP)).one()
        person_id = session.scalars(select(Person.id).where(Person.username == username)).one()
        return coop_id, person_id


def _raw(services: Services, sql: str, **params: object) -> None:
    db_engine = create_engine(normalise_url(services.settings.db_url))
    try:
        with db_engine.begin() as conn:
            conn.execute(text(sql), params)
    finally:
        db_engine.dispose()


def test_the_database_guards_exactly_the_single_seat_roles_of_the_catalogue() -> None:
    spec = importlib.util.spec_from_file_location("migration_0008", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert set(module._ONE_SEAT_ROLES) == {r.id for r in ROLES.values() if r.max_seats == 1}


def test_a_second_ketua_written_through_the_service_layer_is_refused_by_name(services: Services) -> None:
    coop_id, dwi = _ids(services, "dwi")
    before = _holders(services, "ketua")
    with pytest.raises(SeatTakenError) as refused, one_seat(), services.db.session() as session:
        session.add(RoleAssignment(coop_id=coop_id, person_id=dwi, role="ketua", starts_on=date(2026, 1, 1)))
    assert refused.value.role == "ketua" and "Ketua Pengurus" in refused.value.message
    assert "hanya boleh dipegang satu orang" in refused.value.message
    assert exit_code_for(refused.value) == 5
    assert _holders(services, "ketua") == before


def test_importing_a_second_ketua_over_stored_terms_is_refused_and_saves_nothing(services: Services,
                                                                                 tmp_path: Path) -> None:
    org = tmp_path / "pengurus-baru.yaml"
    org.write_text("people:\n  - {username: dwi, name: Dwi Prasetyo}\n  - {username: anwar, name: Anwar}\n"
                   f"cooperatives:\n  - slug: {COOP}\n    name: Koperasi Kelurahan Merah Putih Sentanan\n"
                   "    roles:\n      - {person: dwi, role: ketua, start: 2026-03-01}\n"
                   "      - {person: anwar, role: pengawas, start: 2026-03-01}\n", encoding="utf-8")
    before = (_holders(services, "ketua"), _holders(services, "pengawas"))
    with pytest.raises(TatakelolaError, match="Ketua") as refused:
        services.import_org(org)
    assert exit_code_for(refused.value) in (1, 5)  # the importer's own check (file:line) or the database's
    assert (_holders(services, "ketua"), _holders(services, "pengawas")) == before
    env = {"TATAKELOLA_DB": services.settings.db_url, "TATAKELOLA_KEY": str(services.settings.resolved_key_path)}
    result = cli("org", "import", str(org), env=env)
    assert result.returncode in (1, 5) and "Ketua" in result.stderr and "Traceback" not in result.stderr
    assert (_holders(services, "ketua"), _holders(services, "pengawas")) == before


def test_raw_sql_cannot_give_a_cooperative_two_holders_of_one_seat(services: Services) -> None:
    coop_id, dwi = _ids(services, "dwi")
    _, wahyu = _ids(services, "wahyu")
    with pytest.raises(IntegrityError):  # an open-ended second ketua
        _raw(services, "INSERT INTO role_assignments (coop_id, person_id, role, starts_on) "
                       "VALUES (:c, :p, 'ketua', :s)", c=coop_id, p=dwi, s=date(2029, 1, 1))
    with pytest.raises(IntegrityError):  # the old bendahara's term stretched into the new one's
        _raw(services, "UPDATE role_assignments SET ends_on = :e WHERE person_id = :p AND role = 'bendahara'",
             e=date(2026, 1, 1), p=wahyu)
    assert _holders(services, "ketua") == [("bambang", "2025-07-01", "2030-06-30")]
    assert ("wahyu", "2025-07-01", "2025-12-31") in _holders(services, "bendahara")


def test_successive_terms_a_renewed_term_and_shared_roles_are_still_allowed(services: Services) -> None:
    coop_id, dwi = _ids(services, "dwi")
    _, bambang = _ids(services, "bambang")
    _, siti = _ids(services, "siti")
    insert = ("INSERT INTO role_assignments (coop_id, person_id, role, starts_on, ends_on) "
              "VALUES (:c, :p, :r, :s, :e)")
    _raw(services, insert, c=coop_id, p=dwi, r="ketua", s=date(2030, 7, 1), e=None)  # the day after bambang's
    _raw(services, insert, c=coop_id, p=bambang, r="ketua", s=date(2028, 1, 1), e=date(2030, 6, 30))  # his own
    _raw(services, insert, c=coop_id, p=siti, r="pengawas", s=date(2026, 1, 1), e=None)  # pengawas: many seats
    assert [h[0] for h in _holders(services, "ketua")] == ["bambang", "bambang", "dwi"]


def test_two_writers_claiming_one_seat_at_once_cannot_both_take_it(services: Services) -> None:
    coop_id, dwi = _ids(services, "dwi")
    _, endang = _ids(services, "endang")
    barrier, outcomes = threading.Barrier(2), []

    def claim(person_id: int) -> None:
        barrier.wait()
        try:
            with one_seat(), services.db.session() as session:
                session.add(RoleAssignment(coop_id=coop_id, person_id=person_id, role="ketua",
                                           starts_on=date(2030, 7, 1)))
            outcomes.append("ok")
        except SeatTakenError:
            outcomes.append("refused")

    threads = [threading.Thread(target=claim, args=(p,)) for p in (dwi, endang)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["ok", "refused"]
    assert len([h for h in _holders(services, "ketua") if h[1] == "2030-07-01"]) == 1


def test_an_older_database_already_holding_two_ketua_is_not_upgraded_silently(services: Services) -> None:
    from alembic import command

    from engine.adapters.store.db import _alembic_config

    cfg = _alembic_config()
    with services.db.db_engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0007")
    coop_id, dwi = _ids(services, "dwi")
    _raw(services, "INSERT INTO role_assignments (coop_id, person_id, role, starts_on) VALUES (:c, :p, 'ketua', :s)",
         c=coop_id, p=dwi, s=date(2026, 2, 1))
    with pytest.raises(ConfigurationError, match="kkmp-sentanan: ketua dipegang bambang dan dwi"):
        services.db.upgrade()
