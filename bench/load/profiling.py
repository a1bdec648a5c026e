"""The web app with every page's handler profiled by pyinstrument, for ``bench/load/run.py --profile DIR``.

    uvicorn profiling:app --factory --app-dir bench/load --workers 2   # TATAKELOLA_DB, BENCH_PROFILE_DIR set

Page handlers are plain functions that FastAPI runs in its thread pool; a profiler samples one
thread, so each call is profiled in the thread that runs it and the sessions are combined per
page. On shutdown each worker writes ``DIR/<page>-<pid>.txt`` (and ``.html``). A second profile
of the event loop thread (``DIR/loop-<pid>.txt``) shows what runs outside the thread pool:
middleware, the session cookie, async handlers, templates streamed by the response.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import fastapi.routing
from fastapi import FastAPI
from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer, HTMLRenderer
from pyinstrument.session import Session

from engine.settings import Settings
from engine.web.app import create_app, warm_up

_OUT = Path(os.environ.get("BENCH_PROFILE_DIR", "profile"))
_SESSIONS: dict[str, Session] = {}
_LOCK = threading.Lock()


def _page(function: Any) -> str:
    return getattr(function, "__name__", "handler")


def _write(name: str, session: Session) -> None:
    stem = _OUT / f"{name}-{os.getpid()}"
    stem.with_suffix(".txt").write_text(ConsoleRenderer(unicode=True, color=False, show_all=False, short_mode=False,
                                                        time="percent_of_total").render(session), encoding="utf-8")
    stem.with_suffix(".html").write_text(HTMLRenderer().render(session), encoding="utf-8")
    # One tree per thread above; the same time by function (self time), all threads together:
    stem.with_suffix(".flat.txt").write_text(ConsoleRenderer(unicode=True, color=False, flat=True,
                                                             time="percent_of_total").render(session),
                                             encoding="utf-8")
    session.save(stem.with_suffix(".pyisession"))


def app() -> FastAPI:
    """The app of ``Settings.from_env()``, its sync handlers and its event loop profiled."""
    original = fastapi.routing.run_in_threadpool

    async def profiled(func: Any, /, *args: Any, **kwargs: Any) -> Any:
        target = kwargs.get("function", func)  # FastAPI passes the endpoint as function=

        def run() -> Any:
            profiler = Profiler(interval=0.001)
            profiler.start()
            try:
                return func(*args, **kwargs)
            finally:
                profiler.stop()
                name = _page(target)
                with _LOCK:
                    old = _SESSIONS.get(name)
                    _SESSIONS[name] = profiler.last_session if old is None else Session.combine(
                        old, profiler.last_session)

        return await original(run)

    fastapi.routing.run_in_threadpool = profiled  # type: ignore[assignment]
    web = create_app(Settings.from_env())
    warm_up(web)  # as serve does
    loop_profiler = Profiler(interval=0.001, async_mode="disabled")
    app_lifespan = web.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with app_lifespan(app):
            loop_profiler.start()
            try:
                yield
            finally:
                loop_profiler.stop()
                _OUT.mkdir(parents=True, exist_ok=True)
                _write("loop", loop_profiler.last_session)
                with _LOCK:
                    for name, session in _SESSIONS.items():
                        _write(name, session)

    web.router.lifespan_context = lifespan
    return web
