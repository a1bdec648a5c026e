"""``serve`` ticks in the background: escalations come without cron; an error never stops the server; the
task ends with the app. The time is injected; nothing sleeps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from engine.services import Services
from engine.web import create_app
from engine.web.ticker import run_ticker, start_ticker
from tests.conftest import Clock
from tests.integration.test_escalation import DUE, HANDED, rows, waiting_on_ketua

T = TypeVar("T")


async def _no_wait(_seconds: float) -> None:
    await asyncio.sleep(0)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own event loop in its own thread (a browser test may leave one running here)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_a_round_of_the_background_task_escalates_the_overdue_step(services: Services, files, clock: Clock) -> None:
    number = waiting_on_ketua(services, files)
    clock.now = DUE + timedelta(minutes=1)
    assert _run(run_ticker(services, 300, rounds=1, sleep=_no_wait)) == 1
    assert rows(services, number) == [(0, "ingatkan", None)]
    assert _run(run_ticker(services, 300, rounds=2, sleep=_no_wait)) == 0  # once only


def test_an_error_in_a_round_is_logged_and_the_next_round_comes(services: Services, monkeypatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def broken(now: object = None) -> object:
        calls.append(1)
        raise RuntimeError("basis data hilang")

    monkeypatch.setattr(services, "tick", broken)
    with caplog.at_level(logging.ERROR, logger="tatakelola.tick"):
        assert _run(run_ticker(services, 300, rounds=2, sleep=_no_wait)) == 0
    assert len(calls) == 2 and "Tick (eskalasi tenggat) gagal" in caplog.text


def test_the_app_starts_its_ticker_and_stops_it_on_shutdown(services: Services) -> None:
    async def started() -> tuple[bool, bool]:
        task = start_ticker(services)
        assert task is not None
        await asyncio.sleep(0)
        running = not task.done()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return running, task.cancelled()

    assert _run(started()) == (True, True)
    off = Services(services.settings.model_copy(update={"tick_interval_s": 0}), clock=services.clock)

    async def none() -> object:
        return start_ticker(off)

    assert _run(none()) is None
    app = create_app(services.settings, services=services, secret_key="test-secret")
    with TestClient(app) as client:  # the lifespan starts the ticker (first round after 300 s) …
        assert client.get("/login").status_code == 200
    # … and shutting down cancels it without waiting for that round


def test_the_case_page_says_since_when_it_is_overdue_and_who_it_was_handed_to(as_user, web_services: Services,
                                                                               files, clock: Clock) -> None:
    from engine.demo import demo_password

    web_services.set_password("dwi", demo_password("dwi"), check_strength=False)
    number = waiting_on_ketua(web_services, files)
    clock.now = HANDED
    web_services.tick()
    html = " ".join(as_user("dwi").client.get(f"/k/kkmp-sentanan/kasus/{number}").text.split())
    assert "Melewati tenggat sejak" in html
    assert "dialihkan juga ke Wakil Ketua Bidang Usaha pada" in html
    assert "Setujui" in html  # the deputy now has the step's buttons
