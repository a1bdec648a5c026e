"""The FastAPI application factory: ``create_app(settings)``."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from num2words import num2words
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware

from engine.domain.values import format_date_id, format_rupiah, human_size
from engine.errors import (
    LoginRequiredError,
    PayloadTooLargeError,
    TatakelolaError,
    ValidationError,
    http_status_for,
)
from engine.services import Services, User
from engine.settings import Settings
from engine.web.i18n import LANGUAGES, translator
from engine.web.security import csrf_token, current_user

__all__ = ["cookie_secret", "create_app", "warm_up", "worker_app", "worker_app_secure_cookies"]

_HERE = Path(__file__).resolve().parent


def cookie_secret(settings: Settings, explicit: str | None = None) -> str:
    """The key that signs session cookies: explicit, configured, else a file created on first use."""
    if explicit:
        return explicit
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value()
    path = settings.web_secret_path
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


#: Requests a process handles at once (the thread pool that runs the page handlers; 40 by default).
#: Each holds at most one database connection at a time, so no more than the connection pool holds
#: (SQLAlchemy's default, 5 + 10 overflow): a request waits once, in turn, for a thread, and never
#: again midway for a connection while its thread holds the interpreter's other threads up.
THREADS = 15


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    to_thread.current_default_thread_limiter().total_tokens = THREADS
    from engine.web.ticker import start_ticker

    ticker = start_ticker(app.state.services)  # deadlines escalate every tick_interval_s (0: from cron)
    try:
        yield
    finally:
        if ticker is not None:
            ticker.cancel()
            with suppress(asyncio.CancelledError):
                await ticker


#: What an error page says for a status the framework itself answers with (its own text is English).
_STATUS_MESSAGES = {
    400: "Permintaan tidak dapat dibaca. Muat ulang halaman lalu coba lagi.",
    401: "Silakan masuk terlebih dahulu.",
    403: "Anda tidak diizinkan membuka halaman ini.",
    404: "Halaman tidak ditemukan. Periksa alamatnya, atau pilih halaman dari menu.",
    405: "Alamat ini tidak dapat dibuka dengan cara itu. Pilih halaman dari menu.",
    413: "Kiriman terlalu besar.",
    422: "Alamat atau isian tidak sah. Kembali ke halaman sebelumnya dan periksa isiannya.",
    429: "Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.",
}
_UNEXPECTED = ("Terjadi kesalahan tak terduga. Buka lagi halaman kasus atau dokumen untuk melihat apa yang sudah "
               "tersimpan sebelum mengulang.")


def _status_message(status: int) -> str:
    if status >= 500:
        return _UNEXPECTED
    return _STATUS_MESSAGES.get(status, "Permintaan tidak dapat diproses.")


def _user_or_none(request: Request) -> User | None:
    """The signed-in user for the menu of an error page; None when there is none (or it cannot be read)."""
    if "session" not in request.scope:
        return None
    try:
        return current_user(request)
    except Exception:  # an error page never fails on the menu: it is shown without one
        return None


#: How the Dokumen page names a RAPB revision's state.
_BUDGET_STATUS = {"draf": "draf, belum disahkan", "disahkan": "disahkan Rapat Anggota"}


def _local_time(moment: object, tz: ZoneInfo) -> str:
    """One way to write a moment on every page: "10 Desember 2026, 14.05 WIB"."""
    if not isinstance(moment, datetime):
        return ""
    local = moment.astimezone(tz)
    if (local.hour, local.minute) == (0, 0):  # a deadline at the end of a day reads as that day, 24.00
        return f"{format_date_id(local.date() - timedelta(days=1))}, 24.00 WIB"
    return f"{format_date_id(local.date())}, {local:%H.%M} WIB"


def _ago(moment: datetime, now: datetime) -> str:
    """How long ago, as people say it: "3 hari yang lalu" (Babel's Indonesian)."""
    from babel.dates import format_timedelta

    if now - moment < timedelta(minutes=1):
        return "baru saja"
    return str(format_timedelta(moment - now, locale="id", add_direction=True, threshold=1.5))


def _terbilang(amount: int) -> str:
    return f"{num2words(amount, lang='id')} rupiah"


def create_app(settings: Settings, *, services: Services | None = None, secret_key: str | None = None,
               secure_cookies: bool = False) -> FastAPI:
    """Build the web app over one database and configuration."""
    services = services or Services(settings)
    app = FastAPI(title="Tatakelola", version="0.1.0",
                  description="API tata kelola dan SOP koperasi: tugas, kasus, aksi, jejak persetujuan.",
                  docs_url=None, openapi_url="/api/openapi.json", redoc_url=None, lifespan=_lifespan)
    app.state.services = services
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.globals.update(rupiah=format_rupiah, tanggal=format_date_id, terbilang=_terbilang,
                                 human_size=human_size)
    templates.env.globals["status_word"] = lambda status: _BUDGET_STATUS.get(status, status)
    templates.env.globals["ago"] = lambda moment: _ago(moment, services.clock())
    templates.env.filters["wib"] = lambda moment: _local_time(moment, services.tz)
    app.state.templates = templates
    app.add_middleware(GZipMiddleware, minimum_size=1024)  # pages (with their inline SVG) and CSS travel compressed
    app.add_middleware(SessionMiddleware, secret_key=cookie_secret(settings, secret_key),
                       session_cookie="tatakelola_sesi", max_age=int(settings.session_hours * 3600), same_site="lax",
                       https_only=secure_cookies)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    max_request = int(settings.max_request_mb * 1024 * 1024)

    @app.middleware("http")
    async def _limits_and_headers(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > max_request:
            too_large = PayloadTooLargeError(
                [], headline=f"Berkas terlalu besar (maksimal {settings.max_request_mb:g} MB per kiriman).")
            return await render_error(request, http_status_for(too_large), too_large.headline)
        response: Response = await call_next(request)
        if not request.url.path.startswith("/static/"):
            # Pages, documents and API answers are one person's view: never kept by a browser or proxy
            # cache, so the Back button after logging out shows nothing.
            response.headers["Cache-Control"] = "no-store"
        elif response.status_code in (200, 304):
            # The stylesheet is the same for everyone: a phone on slow data fetches it once an hour, not
            # once a page (its URL is not versioned, so an upgrade shows within the hour; ETag revalidates).
            response.headers["Cache-Control"] = "public, max-age=3600"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'")
        return response

    @app.get("/sehat", include_in_schema=False)
    async def _health() -> Response:
        """Liveness for a load balancer (and the baseline of bench/load): no database, no session read."""
        return PlainTextResponse("ok")

    def _is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    async def render_error(request: Request, status: int, message: str, headers: dict[str, str] | None = None,
                           api_message: str | None = None) -> Response:
        """The error in the site's layout, with the signed-in person's menu (JSON under /api/)."""
        if _is_api(request):
            return JSONResponse({"error": api_message or message}, status_code=status, headers=headers)
        user = await run_in_threadpool(_user_or_none, request)
        has_session = "session" in request.scope
        lang = request.session.get("lang", "id") if has_session else "id"
        lang = lang if lang in LANGUAGES else "id"
        return templates.TemplateResponse(request, "error.html", {
            "status": status, "message": message, "user": user, "csrf": csrf_token(request) if has_session else "",
            "_": translator(lang), "lang": lang, "path": request.url.path, "flash": None},
            status_code=status, headers=headers)

    @app.exception_handler(TatakelolaError)
    async def _engine_error(request: Request, exc: TatakelolaError) -> Response:
        if isinstance(exc, LoginRequiredError) and not _is_api(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if _is_api(request):
            body: dict[str, Any] = {"error": exc.message}
            if isinstance(exc, ValidationError):
                body["problems"] = [{"field": p.name or p.label, "label": p.label, "message": p.message}
                                    for p in exc.problems]
            return JSONResponse(body, status_code=http_status_for(exc))
        return await render_error(request, http_status_for(exc), exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def _framework_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Raised by the framework itself (unknown URL, wrong method, malformed body), never by our handlers.
        api_message = "Halaman tidak ditemukan." if exc.status_code == 404 else str(exc.detail)
        return await render_error(request, exc.status_code, _status_message(exc.status_code),
                                  headers=dict(exc.headers) if exc.headers else None, api_message=api_message)

    @app.exception_handler(RequestValidationError)
    async def _malformed(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):  # the API keeps FastAPI's own answer, naming each field
            return await request_validation_exception_handler(request, exc)
        return await render_error(request, 422, _status_message(422))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return await render_error(request, http_status_for(exc), _UNEXPECTED)

    from engine.web.api import router as api_router
    from engine.web.delegation import router as delegation_router
    from engine.web.documents import router as documents_router
    from engine.web.members import router as members_router
    from engine.web.notifications import router as notifications_router
    from engine.web.pages import router as pages_router
    from engine.web.som import router as som_router
    from engine.web.training import router as training_router

    app.include_router(documents_router)
    app.include_router(members_router)
    app.include_router(som_router)
    app.include_router(delegation_router)
    app.include_router(notifications_router)
    app.include_router(pages_router)
    app.include_router(training_router)
    app.include_router(api_router)
    return app


def warm_up(app: FastAPI) -> None:
    """Before serving: check the schema, parse every procedure version and compile every template once,
    so that the first requests of a process do not each wait on that work (nor hold the others up)."""
    app.state.services.views.warm_up()
    env = app.state.templates.env
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)


def worker_app() -> FastAPI:
    """One process of ``serve --workers N``: the settings the command put in the environment."""
    app = create_app(Settings.from_env())
    warm_up(app)
    return app


def worker_app_secure_cookies() -> FastAPI:
    """:func:`worker_app` for ``serve --workers N --secure-cookies``."""
    app = create_app(Settings.from_env(), secure_cookies=True)
    warm_up(app)
    return app
