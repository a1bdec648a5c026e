"""``serve``'s background tick: every ``Settings.tick_interval_s`` the overdue steps are escalated.

The tick runs in a worker thread (it uses the database like any request). An error is logged and the
next round comes as usual: the server never stops for it. Several workers (``serve --workers``) each
tick; every escalation is still taken once (:mod:`engine.services.escalation`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from anyio import to_thread

from engine.services import Services

__all__ = ["run_ticker", "start_ticker"]

log = logging.getLogger("tatakelola.tick")


async def run_ticker(services: Services, interval: float, *, rounds: int | None = None,
                     sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> int:
    """Wait ``interval`` seconds, tick, and again (``rounds`` times, or until cancelled); how many levels
    were escalated in all."""
    escalated = 0
    done = 0
    while rounds is None or done < rounds:
        await sleep(interval)
        done += 1
        try:
            report = await to_thread.run_sync(services.tick)
        except Exception:  # logged; the server goes on and the next round tries again
            log.exception("Tick (eskalasi tenggat) gagal; dicoba lagi pada putaran berikutnya.")
            continue
        escalated += len(report.done)
        if report.done:
            log.info("%d langkah melewati tenggat dieskalasi: %s", len(report.cases), ", ".join(report.cases))
        for problem in report.problems:
            log.warning("Tick melewati: %s", problem)
    return escalated


def start_ticker(services: Services) -> asyncio.Task[int] | None:
    """The background tick of this process (None when ``tick_interval_s`` is 0: ticks come from cron)."""
    interval = services.settings.tick_interval_s
    if interval <= 0:
        return None
    return asyncio.get_running_loop().create_task(run_ticker(services, interval), name="tatakelola-tick")
