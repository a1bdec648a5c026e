"""Many ``tatakelola`` processes released at the same instant on one step, one quorum, one log.

Exactly one decision per single-approver step (the losers are told it was already decided, exit 5);
a quorum step takes exactly its count of votes, one per person; starts racing on one cooperative's
log all land, with no gap or fork in the trail. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text

from engine.adapters.store.db import normalise_url
from engine.services import Services
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas
from tests.reliability.conftest import scale
from tests.reliability.store_invariants import cli, race, store_problems


def _trail_is_whole(services: Services, *, by_cli: bool = False) -> None:
    assert store_problems(services.settings.db_url) == []
    if not by_cli:
        assert services.verify(COOP)[0].ok
        return
    verified = cli("audit", "verify", env={"TATAKELOLA_DB": services.settings.db_url,
                                           "TATAKELOLA_KEY": str(services.settings.resolved_key_path)})
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _events(services: Services, number: str) -> list[tuple[str, str]]:
    db_engine = create_engine(normalise_url(services.settings.db_url))
    with db_engine.connect() as conn:
        rows = conn.execute(text("SELECT e.action, p.username FROM case_events e JOIN cases c ON c.id = e.case_id "
                                 "JOIN people p ON p.id = e.actor_id WHERE c.number = :n ORDER BY e.seq"),
                            {"n": number}).all()
    db_engine.dispose()
    return [(a, u) for a, u in rows]


def test_sixteen_processes_on_one_approval_make_exactly_one_decision(services: Services, files,
                                                                    tmp_path: Path) -> None:
    number = submitted_kas(services, 300_000, files("nota.pdf"))
    size_before = services.verify(COOP)[0].size
    checks = [a for c in KAS_VERIFY_CHECKS for a in ("--check", c)]
    outcomes = race(services.settings, tmp_path, [["case", "act", number, "verifikasi", "--as", "sri", "--coop", COOP,
                                           *checks] for _ in range(16)])
    winners = [o for o in outcomes if o[0] == 0]
    assert len(winners) == 1, outcomes
    losers = [o for o in outcomes if o[0] != 0]
    assert all(code == 5 and ("sudah diputuskan" in err or "baru saja diubah" in err) for code, _, err in losers), losers
    assert [a for a, _ in _events(services, number)].count("verifikasi") == 1
    assert services.verify(COOP)[0].size == size_before + 1
    _trail_is_whole(services, by_cli=True)


def test_a_quorum_raced_by_every_pengawas_takes_one_vote_per_person_and_no_more(services: Services, files,
                                                                              tmp_path: Path) -> None:
    number = submitted_kas(services, 6_000_000, files("nota.pdf"))
    services.act(number, "verifikasi", "sri", checks=KAS_VERIFY_CHECKS)
    services.act(number, "setujui", "bambang")
    voters = ("agus", "heru", "nuraini")
    n = scale(5, 16)
    outcomes = race(services.settings, tmp_path, [["case", "act", number, "setujui_pengawas", "--as", voters[i % 3],
                                           "--coop", COOP] for i in range(n)])
    assert sum(1 for code, _, _ in outcomes if code == 0) == 2, outcomes  # kuorum_pengawas: 2
    for code, _, err in outcomes:
        if code == 4:
            assert "sudah memberikan suara" in err, err
        elif code == 5:
            assert "sudah" in err, err
    votes = [u for a, u in _events(services, number) if a == "setujui_pengawas"]
    assert len(votes) == 2 and len(set(votes)) == 2, votes
    assert services.show(number, None, coop_slug=COOP).summary.status == "Disetujui"
    _trail_is_whole(services)


def test_starts_racing_on_one_log_all_land_in_one_unbroken_sequence(services: Services, tmp_path: Path) -> None:
    size_before = services.verify(COOP)[0].size
    n = scale(4, 16)
    outcomes = race(services.settings, tmp_path, [
        ["case", "start", "pengeluaran_kas", "--coop", COOP, "--as", "fajar", "--set", "keperluan=ATK",
         "--set", f"jumlah={1000 + i}", "--set", "pos_rapb=Alat tulis kantor", "--set", "penerima=Toko"]
        for i in range(n)])
    assert all(code == 0 for code, _, _ in outcomes), outcomes
    numbers = {out.split()[0] for _, out, _ in outcomes}
    assert len(numbers) == n
    assert services.verify(COOP)[0].size == size_before + n
    _trail_is_whole(services)
