"""What every page handler shares: the page renderer, the checked form reader, URLs and role groups."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from engine.domain.roles import role_label
from engine.services import User
from engine.web.i18n import LANGUAGES, translator
from engine.web.security import check_csrf, csrf_token

__all__ = ["AUDITORS", "PLANNERS", "case_url", "lang_of", "page", "read_form"]

#: Who may read the trail, findings and audit report of a cooperative.
AUDITORS = ("pengawas", "ketua_pengawas", "dinas")
#: Who may upload the RAPB/RK workbook.
PLANNERS = ("ketua", "sekretaris", "bendahara", "manajer", "pengurus")


def lang_of(request: Request) -> str:
    """The interface language chosen in this session."""
    lang = request.session.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


def page(request: Request, template: str, user: User | None, status: int = 200, **context: Any) -> Response:
    """Render a page with the shared context (user, CSRF token, translator)."""
    templates = request.app.state.templates
    flash = request.session.pop("flash", None) if user is not None else None
    response: Response = templates.TemplateResponse(request, template, {
        "user": user, "csrf": csrf_token(request), "_": translator(lang_of(request)), "lang": lang_of(request),
        "role_label": role_label, "flash": flash, "path": request.url.path, **context}, status_code=status)
    return response


def case_url(slug: str, number: str) -> str:
    """``/k/SLUG/kasus/KAS/2026/0001``."""
    return f"/k/{slug}/kasus/{number}"


async def read_form(request: Request) -> FormData:
    """The submitted form, after its CSRF token was checked."""
    form = await request.form(max_files=20, max_fields=300)
    check_csrf(request, form.get("csrf"))
    return form
