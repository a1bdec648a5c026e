"""The FastAPI application factory: ``create_app(settings)``."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from num2words import num2words
from starlette.middleware.sessions import SessionMiddleware

from engine.adapters.passwords import LoginThrottle
from engine.domain.values import format_date_id, format_rupiah
from engine.errors import TatakelolaError, ValidationError
from engine.services import Services
from engine.settings import Settings
from engine.web.i18n import translator
from engine.web.security import MAX_UPLOAD_BYTES, LoginRequired, csrf_token

__all__ = ["create_app"]

_HERE = Path(__file__).resolve().parent


def _secret(settings: Settings, explicit: str | None) -> str:
    if explicit:
        return explicit
    if os.environ.get("TATAKELOLA_SECRET"):
        return os.environ["TATAKELOLA_SECRET"]
    path = settings.resolved_key_path.with_name("web-secret")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _terbilang(amount: int) -> str:
    return f"{num2words(amount, lang='id')} rupiah"


def create_app(settings: Settings, *, services: Services | None = None, secret_key: str | None = None,
               secure_cookies: bool = False) -> FastAPI:
    """Build the web app over one database and configuration."""
    services = services or Services(settings)
    app = FastAPI(title="Tatakelola", version="0.1.0",
                  description="API tata kelola dan SOP koperasi: tugas, kasus, aksi, jejak persetujuan.",
                  docs_url="/api/docs", openapi_url="/api/openapi.json", redoc_url=None)
    app.state.services = services
    app.state.throttle = LoginThrottle()
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.globals.update(rupiah=format_rupiah, tanggal=format_date_id, terbilang=_terbilang)
    templates.env.filters["wib"] = lambda moment: (
        moment.astimezone(services.tz).strftime("%d-%m-%Y %H.%M") + " WIB" if isinstance(moment, datetime) else "")
    app.state.templates = templates
    app.add_middleware(SessionMiddleware, secret_key=_secret(settings, secret_key), session_cookie="tatakelola_sesi",
                       max_age=8 * 3600, same_site="lax", https_only=secure_cookies)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")

    @app.middleware("http")
    async def _limits_and_headers(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > MAX_UPLOAD_BYTES:
            return HTMLResponse("Berkas terlalu besar (maksimal 25 MB per kiriman).", status_code=413)
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'")
        return response

    def _is_api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    def render_error(request: Request, status: int, message: str) -> Response:
        if _is_api(request):
            return JSONResponse({"error": message}, status_code=status)
        lang = request.session.get("lang", "id")
        return templates.TemplateResponse(request, "error.html", {
            "status": status, "message": message, "user": None, "csrf": csrf_token(request),
            "_": translator(lang if isinstance(lang, str) else "id"), "lang": lang, "path": request.url.path,
            "flash": None}, status_code=status)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"error": "Perlu masuk (login)."}, status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(TatakelolaError)
    async def _engine_error(request: Request, exc: TatakelolaError) -> Response:
        if _is_api(request):
            body: dict[str, Any] = {"error": exc.message}
            if isinstance(exc, ValidationError):
                body["problems"] = [{"field": p.field, "message": p.message} for p in exc.problems]
            return JSONResponse(body, status_code=exc.http_status)
        return render_error(request, exc.http_status, exc.message)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        return render_error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return render_error(request, 500, "Terjadi kesalahan tak terduga. Tidak ada perubahan yang disimpan.")

    from engine.web.api import router as api_router
    from engine.web.documents import router as documents_router
    from engine.web.pages import router as pages_router

    app.include_router(documents_router)
    app.include_router(pages_router)
    app.include_router(api_router)
    return app
