"""What every page handler shares: the page renderer, the checked form reader, URLs and role groups."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData, UploadFile

from engine.domain.roles import role_label
from engine.errors import FieldProblem, PayloadTooLargeError, ValidationError
from engine.services import User
from engine.web.i18n import LANGUAGES, translator
from engine.web.security import check_csrf, csrf_token

__all__ = ["AUDITORS", "PLANNERS", "audit_pages", "case_url", "home_url", "lang_of", "page", "read_form",
           "read_workbook_upload"]

#: Who may read the trail, findings and audit report of a cooperative.
AUDITORS = ("pengawas", "ketua_pengawas", "dinas")
#: Who may upload the RAPB/RK workbook.
PLANNERS = ("ketua", "sekretaris", "bendahara", "manajer", "pengurus")


def audit_pages(user: User) -> list[tuple[str, str, str]]:
    """(url, label, cooperative) of the pages a pengawas or Dinas officer works from: the Dinas overview,
    each trail and findings page."""
    pages = [("/dinas", "Ringkasan Dinas Koperasi", "")] if user.is_dinas else []
    for m in user.memberships:
        if m.roles & {"pengawas", "ketua_pengawas"} and not m.training:  # a sandbox's pages are reached from /latihan
            pages += [(f"/k/{m.slug}/jejak", "Jejak persetujuan", m.name),
                      (f"/k/{m.slug}/temuan", "Temuan audit", m.name)]
    return pages


def home_url(user: User) -> str:
    """Where a person starts: "Tugas saya" for whoever acts in cases (pengurus, manajer, anggota...);
    the Dinas overview for a Dinas officer, the trail for someone who is only pengawas."""
    watching = {"pengawas", "ketua_pengawas", "dinas"}
    if not user.memberships or any(m.roles - watching for m in user.memberships if not m.training):
        return "/tugas"
    if user.is_dinas:
        return "/dinas"
    return f"/k/{next((m for m in user.memberships if not m.training), user.memberships[0]).slug}/jejak"


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
    form = await request.form(max_files=20, max_fields=2000)  # a list field's table: one field per cell
    check_csrf(request, form.get("csrf"))
    return form


async def read_workbook_upload(form: FormData, limit_mb: float) -> tuple[str, bytes]:
    """The ``berkas`` field of a form: an .xlsx file of at most ``limit_mb`` (read no further than that)."""
    upload = form.get("berkas")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationError([FieldProblem("Berkas", "pilih berkas XLSX", "berkas")],
                              headline="Belum ada berkas yang dipilih.")
    if not upload.filename.lower().endswith(".xlsx"):
        raise ValidationError([FieldProblem("Berkas", "hanya berkas .xlsx (Excel) yang diterima", "berkas")],
                              headline="Jenis berkas tidak diterima.")
    limit = int(limit_mb * 1024 * 1024)
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLargeError([FieldProblem("Berkas", f"berkas terlalu besar (maksimal {limit_mb:g} MB)",
                                                 "berkas")], headline="Berkas terlalu besar.")
    return upload.filename, content
