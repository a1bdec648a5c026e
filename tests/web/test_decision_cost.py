"""One decision through the web costs one unit of work and one evaluation of each guard."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

import engine.domain.machine as machine_module
from engine.adapters.store.db import Database
from engine.services import Services
from tests.helpers import COOP, KAS_VERIFY_CHECKS, submitted_kas


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Counter[str]]:
    """Count every unit of work opened and every guard evaluation from now on."""
    sessions: list[str] = []
    evaluations: Counter[str] = Counter()
    opened = Database.session

    @contextmanager
    def session(self: Database) -> Iterator[Session]:
        sessions.append("session")
        with opened(self) as s:
            yield s

    real_compile = machine_module.compile_guard

    def compile_guard(expression: str) -> Callable[[Mapping[str, Any]], bool]:
        evaluate = real_compile(expression)

        def counting(context: Mapping[str, Any]) -> bool:
            evaluations[expression] += 1
            return evaluate(context)

        return counting

    monkeypatch.setattr(Database, "session", session)
    monkeypatch.setattr(machine_module, "compile_guard", compile_guard)
    monkeypatch.setattr(machine_module, "_CACHE", {})  # machines built from now on use the counting guards
    return sessions, evaluations


def test_a_verification_runs_in_one_session_and_evaluates_each_guard_once(
        as_user, web_services: Services, tmp_path: Path, counted: tuple[list[str], Counter[str]]) -> None:
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    number = submitted_kas(web_services, 800_000, nota)  # above batas_manajer: the second variant holds
    sri = as_user("sri")
    url = f"/k/{COOP}/kasus/{number}"
    token = sri.csrf(url)
    sessions, evaluations = counted
    sessions.clear()
    evaluations.clear()

    response = sri.client.post(url + "/aksi", data={"csrf": token, "action": "verifikasi", "step": "1",
                                                    **{f"c.{c}": "1" for c in KAS_VERIFY_CHECKS}},
                               follow_redirects=False)

    assert response.status_code == 303, response.text[:500]
    assert len(sessions) == 1
    assert evaluations == Counter({"jumlah <= settings.batas_manajer": 1, "jumlah > settings.batas_manajer": 1})
    view = web_services.show(number, "sri")
    assert view.summary.state == "menunggu_ketua"


def test_a_refused_decision_still_writes_nothing(
        as_user, web_services: Services, tmp_path: Path, counted: tuple[list[str], Counter[str]]) -> None:
    nota = tmp_path / "nota.pdf"
    nota.write_bytes(b"%PDF-1.4\n% nota\n")
    number = submitted_kas(web_services, 800_000, nota)
    fajar = as_user("fajar")  # the submitter may not verify his own request
    url = f"/k/{COOP}/kasus/{number}"
    response = fajar.post_form(url + "/aksi", {"action": "verifikasi", **{f"c.{c}": "1" for c in KAS_VERIFY_CHECKS}},
                               token_from=url)
    assert response.status_code == 403
    assert web_services.show(number, "sri").summary.state == "verifikasi_bendahara"
