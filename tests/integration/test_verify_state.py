"""Verification at scale (issue 11): signatures where they add proof, the stored verification state,
verifying only what was added since, and a Dinas overview that costs what is new."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from engine.adapters.store.models import AuditVerification, Cooperative
from engine.audit.core.merkle import leaf_hash
from engine.audit.entry import canonical
from engine.audit.verify import latest_verification, verify_log
from engine.services import Services
from tests.conftest import ON_POSTGRES
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas
from tests.integration.test_audit import drop_triggers, entry, history, sql


def states(services: Services) -> list[AuditVerification]:
    with services.db.session() as session:
        return list(session.scalars(select(AuditVerification).order_by(AuditVerification.id)))


def one_more_case(services: Services, files, name: str = "e.pdf") -> str:
    """Two more entries (start, ajukan) and then a third (verifikasi)."""
    number = submitted_kas(services, 200_000, files(name))
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    return number


# -- signatures ------------------------------------------------------------------------------


def test_the_newest_checkpoint_signature_is_checked_and_with_penuh_every_one(services: Services, files) -> None:
    history(services, files)
    [usual] = services.verify(COOP)
    assert usual.ok and usual.checkpoints == 9 and usual.signatures == 1 and usual.since is None
    [every] = services.verify(COOP, all_signatures=True)
    assert every.ok and every.signatures == 9 and every.all_signatures


def test_one_signature_per_batch_of_sizes_is_spot_checked(services: Services, files) -> None:
    history(services, files)
    with services.db.session() as session:
        coop = session.scalars(select(Cooperative).where(Cooperative.slug == COOP)).one()
        report = verify_log(session, coop, spot_check=4)
    assert report.ok and report.signatures == 3  # sizes 4 and 8, and the newest (9)


def test_a_bad_signature_on_a_checkpoint_stating_the_true_root_is_found_by_the_full_check(services: Services,
                                                                                           files) -> None:
    """Such a checkpoint proves nothing the newest does not: the usual pass skips it, --penuh names it."""
    history(services, files)
    drop_triggers(services)
    with services.db.db_engine.connect() as conn:
        note = conn.execute(text("SELECT note FROM checkpoints WHERE size = 5")).scalar_one()
    body, _, signature = note.rpartition("\n\n")
    name, _, raw = signature.partition(" ")
    forged = raw[:10] + ("A" if raw[10] != "A" else "B") + raw[11:]
    sql(services, "UPDATE checkpoints SET note = :n WHERE size = 5", n=f"{body}\n\n{name} {forged}")
    [usual] = services.verify(COOP)
    assert usual.ok
    [every] = services.verify(COOP, all_signatures=True)
    assert not every.ok and every.first is not None and every.first.seq == 5
    assert "tanda tangan checkpoint ukuran 5 tidak sah" in every.first.message


def test_a_checkpoint_whose_note_disagrees_is_checked_whatever_the_sampling(services: Services, files) -> None:
    history(services, files)
    drop_triggers(services)
    sql(services, "UPDATE checkpoints SET note = replace(note, '\n5\n', '\n5 \n') WHERE size = 5")
    [report] = services.verify(COOP)
    assert not report.ok and report.first is not None and report.first.seq == 5
    assert "tanda tangan checkpoint ukuran 5 tidak sah" in report.first.message


def test_a_changed_root_column_is_named(services: Services, files) -> None:
    """Proofs read the column: it must say what the signed note says."""
    history(services, files)
    drop_triggers(services)
    sql(services, "UPDATE checkpoints SET root = :r WHERE size = 7", r="ab" * 32)
    [report] = services.verify(COOP)
    assert not report.ok and "kolom akar checkpoint ukuran 7" in report.findings[0].message


def test_an_entry_moved_to_another_case_is_named(services: Services, files) -> None:
    history(services, files)
    drop_triggers(services)
    sql(services, "UPDATE audit_entries SET case_id = (SELECT case_id FROM audit_entries WHERE seq = 1) "
                  "WHERE seq = 4")
    [report] = services.verify(COOP)
    assert not report.ok and report.first is not None and report.first.seq == 4
    assert "barisnya milik kasus KAS/2026/0001" in report.first.message


# -- the stored state and --sejak-terakhir ---------------------------------------------------


def test_a_verification_is_stored_and_the_next_one_reads_only_what_was_added(services: Services, files) -> None:
    history(services, files)
    [full] = services.verify(COOP)
    [stored] = states(services)
    assert (stored.size, stored.root, stored.ok, stored.mode, stored.from_size) == (9, full.root, True, "biasa", 0)
    assert stored.frontier == full.frontier and stored.checkpoint_size == 9 and stored.key_id is not None
    one_more_case(services, files)
    [since] = services.verify(COOP, since_last=True)
    assert since.ok and since.since == 9 and since.size == 12 and since.entries_checked == 3
    assert since.checkpoints == 3 and since.signatures == 2  # the stored size's checkpoint, and the newest
    assert [(s.mode, s.from_size, s.size) for s in states(services)] == [("biasa", 0, 9), ("sejak_terakhir", 9, 12)]
    [again] = services.verify(COOP, since_last=True)
    assert again.ok and again.entries_checked == 0 and len(states(services)) == 2  # nothing new: nothing stored
    [whole] = services.verify(COOP)
    assert whole.ok and whole.root == since.root and len(states(services)) == 3  # a whole pass is always stored


def test_never_verified_before_means_the_whole_log_is_read(services: Services, files) -> None:
    history(services, files)
    [report] = services.verify(COOP, since_last=True)
    assert report.ok and report.since is None and report.entries_checked == 9


def test_new_entries_are_checked_like_any_other(services: Services, files) -> None:
    history(services, files)
    services.verify(COOP)
    one_more_case(services, files)
    drop_triggers(services)
    body = entry(services, 11)[0]
    sql(services, "UPDATE audit_entries SET body = :b WHERE seq = 11", b=body.replace('"fajar"', '"sri"'))
    [report] = services.verify(COOP, since_last=True)
    assert not report.ok and report.first is not None and report.first.seq == 11 and "hash daun" in report.first.message


def test_the_cases_new_entries_touch_are_checked_against_the_live_rows(services: Services, files) -> None:
    history(services, files)
    services.verify(COOP)
    number = one_more_case(services, files)
    sql(services, "UPDATE cases SET state = 'dibayar' WHERE number = :n", n=number)
    [report] = services.verify(COOP, since_last=True)
    assert not report.ok and "status kasus di basis data" in report.findings[0].message


def test_what_an_incremental_pass_does_not_reread(services: Services, files) -> None:
    """An entry rewritten below the verified size (hash recomputed) is the whole pass's to find."""
    history(services, files)
    services.verify(COOP)
    one_more_case(services, files)
    drop_triggers(services)
    body = json.loads(entry(services, 4)[0])
    body["actor"] = "bambang"
    data = canonical(body)
    sql(services, "UPDATE audit_entries SET body = :b, leaf_hash = :h WHERE seq = 4",
        b=data.decode(), h=leaf_hash(data).hex())
    [since] = services.verify(COOP, since_last=True)
    assert since.ok
    [whole] = services.verify(COOP)
    assert not whole.ok and whole.first is not None and whole.first.seq == 4


def test_a_log_cut_below_the_verified_size_is_named(services: Services, files) -> None:
    history(services, files)
    services.verify(COOP)
    drop_triggers(services)
    for table in ("checkpoints", "case_events", "audit_entries"):
        column = "size" if table == "checkpoints" else "seq"
        sql(services, f"DELETE FROM {table} WHERE {column} >= 8")
    [report] = services.verify(COOP, since_last=True)
    assert not report.ok and report.first is not None and report.first.seq == 9
    assert "log terpotong: verifikasi terakhir mencakup 9 catatan" in report.first.message


def forge_state(services: Services, **changes: object) -> None:
    [stored] = states(services)
    values = {"coop_id": stored.coop_id, "mode": "biasa", "from_size": 0, "size": stored.size, "root": stored.root,
              "frontier": json.dumps(stored.frontier), "checkpoint_size": stored.size, "key_id": stored.key_id,
              "signatures": 1, "ok": True, "findings": 0, "first_finding": None, "verified_at": stored.verified_at,
              **changes}
    names = ", ".join(values)
    sql(services, f"INSERT INTO audit_verifications ({names}) VALUES ({', '.join(':' + n for n in values)})",
        **values)


def test_a_stored_state_whose_compact_range_does_not_give_its_root_is_refused(services: Services, files) -> None:
    history(services, files)
    services.verify(COOP)
    forge_state(services, root="ab" * 32)
    [report] = services.verify(COOP, since_last=True)
    assert not report.ok and "status verifikasi tersimpan (ukuran 9) rusak" in report.findings[0].message
    [whole] = services.verify(COOP)  # the whole pass does not depend on it, and its row becomes the newest
    assert whole.ok
    [since] = services.verify(COOP, since_last=True)
    assert since.ok and since.since == 9


def test_a_stored_state_that_is_not_the_signed_log_is_refused(services: Services, files) -> None:
    """A consistent compact range of some other log: the signed checkpoint of that size disagrees."""
    history(services, files)
    services.verify(COOP)
    other = [leaf_hash(b"lain").hex()] * 2
    from engine.audit.core.merkle import CompactRange

    fake = CompactRange.from_list(9, [other[0], other[1]])
    forge_state(services, frontier=json.dumps(fake.to_list()), root=fake.root().hex())
    [report] = services.verify(COOP, since_last=True)
    assert not report.ok and "tidak cocok dengan checkpoint" in report.findings[0].message


def test_a_failed_verification_is_stored_but_never_continued_from(services: Services, files) -> None:
    history(services, files)
    services.verify(COOP)
    one_more_case(services, files)
    drop_triggers(services)
    sql(services, "UPDATE data_revisions SET sha256 = :s WHERE id = (SELECT max(id) FROM data_revisions)",
        s="00" * 32)
    [bad] = services.verify(COOP, since_last=True)
    assert not bad.ok
    newest = states(services)[-1]
    assert not newest.ok and newest.findings == len(bad.findings) and newest.first_finding
    with services.db.session() as session:
        trusted = latest_verification(session, newest.coop_id)
        assert trusted is not None and trusted.size == 9


def test_the_verification_history_is_append_only(services: Services, files) -> None:
    history(services, files)
    services.verify(COOP)
    for statement in ("UPDATE audit_verifications SET size = 1", "DELETE FROM audit_verifications"):
        with pytest.raises(DBAPIError, match="append-only"):
            sql(services, statement)
    if ON_POSTGRES:
        with pytest.raises(DBAPIError, match="append-only"):
            sql(services, "TRUNCATE audit_verifications")


# -- the Dinas overview ----------------------------------------------------------------------


def test_the_dinas_overview_continues_from_the_stored_state(services: Services, files) -> None:
    history(services, files)
    [first] = services.audit.verify_followed([COOP])
    assert first.ok and first.since is None and len(states(services)) == 1
    [second] = services.audit.verify_followed([COOP])
    assert second.ok and second.since == 9 and second.entries_checked == 0 and len(states(services)) == 1
    one_more_case(services, files)
    [third] = services.audit.verify_followed([COOP])
    assert third.ok and third.since == 9 and third.entries_checked == 3 and len(states(services)) == 2


def test_the_dinas_counts_open_and_overdue_cases_as_the_case_list_does(services: Services, files, clock) -> None:
    """Counted in SQL by state and deadline; the same figures as judging every case one by one."""
    from engine.services.dto import Membership, User

    history(services, files)  # KAS/0001 and /0002 wait on the bendahara and the ketua; /0003 is approved
    clock.advance(days=1)
    one_more_case(services, files, "f.pdf")
    clock.advance(hours=20)
    submitted_kas(services, 150_000, files("g.pdf"))
    dinas = User(0, "dinas", "Dinas", (Membership(COOP, "KKMP", None, frozenset({"dinas"})),))
    for days in (0, 1, 2, 3, 4, 5, 6, 9):
        if days:
            clock.advance(days=1 if days != 9 else 3)
        [row] = services.dinas_overview(dinas)
        listed = [s for s in services.list_cases(COOP) if not s.final]
        assert (row.open_cases, row.overdue) == (len(listed), sum(1 for s in listed if s.overdue)), clock.now
    assert row.overdue > 0


def test_the_dinas_overview_of_a_big_cooperative_does_not_load_every_case(services: Services, files,
                                                                           monkeypatch) -> None:
    """The open cases are grouped in the database: the overview never builds one summary per case."""
    from engine.services.dto import Membership, User
    from engine.services.views import CaseViews

    history(services, files)
    open_cases = sum(1 for s in services.list_cases(COOP) if not s.final)
    monkeypatch.setattr(CaseViews, "summary", lambda *a, **k: pytest.fail("summary per case"))
    dinas = User(0, "dinas", "Dinas", (Membership(COOP, "KKMP", None, frozenset({"dinas"})),))
    [row] = services.dinas_overview(dinas)
    assert row.open_cases == open_cases == 3 and row.trail_ok and row.trail_size == 9


def test_a_database_that_takes_no_writes_is_still_verified(services: Services, files, monkeypatch) -> None:
    """A read-only file or a standby server: the outcome is reported, just not stored."""
    import engine.services.audit as audit_service

    def refuse(*args: object, **kwargs: object) -> None:
        raise DBAPIError("INSERT", {}, Exception("read-only"))

    history(services, files)
    monkeypatch.setattr(audit_service, "record_verification", refuse)
    [report] = services.verify(COOP)
    assert report.ok and report.size == 9 and states(services) == []
