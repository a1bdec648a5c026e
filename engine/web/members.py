"""The Buku Daftar Anggota page: the register on a date, XLSX download and (for the pengurus) upload.

Readers are the pengurus, the pengawas and the Dinas of the cooperative (anyone else holding a
role there is refused with 403, a stranger gets 404). NIKs are always masked on the page and in
the default download; the full-NIK download and the upload are for the pengurus in office.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from engine.errors import FieldProblem, ValidationError
from engine.services import User
from engine.services.dto import Membership
from engine.services.members import KEEPERS, READERS
from engine.web.rendering import page, read_form, read_workbook_upload
from engine.web.security import current_user, require_role, services_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError([FieldProblem("Tanggal", f"'{value[:20]}' bukan tanggal (TTTT-BB-HH)", "tanggal")],
                              headline="Tanggal tidak sah; daftar hari ini yang ditampilkan.") from None


def _xlsx(data: bytes, filename: str) -> Response:
    return Response(data, media_type=_XLSX, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _render(request: Request, user: User, member: Membership, day: date, include_former: bool, *,
            status: int = 200, problems: list[FieldProblem] | None = None, headline: str | None = None) -> Response:
    services = services_of(request)
    today = services.today()
    rows = services.members.register(member.slug, day, include_former)
    context: dict[str, Any] = {
        "member": member, "rows": rows, "today": today, "day": day, "include_former": include_former,
        "count_today": services.members.count_on(member.slug, today) if day != today else None,
        "count_day": sum(1 for r in rows if r.status == "aktif"),
        "keeper": bool(member.roles & set(KEEPERS)), "limit_mb": f"{services.settings.max_workbook_mb:g}",
        "problems": problems or [], "headline": headline,
    }
    return page(request, "members.html", user, status=status, **context)


@router.get("/k/{slug}/anggota", response_class=HTMLResponse)
def members_page(request: Request, slug: str, tanggal: str | None = None, semua: int = 0) -> Response:
    user = current_user(request)
    member = require_role(user, slug, *READERS)
    today = services_of(request).today()
    try:
        day = _day(tanggal) or today
    except ValidationError as exc:
        return _render(request, user, member, today, bool(semua), status=exc.http_status, problems=exc.problems,
                       headline=exc.headline)
    return _render(request, user, member, day, bool(semua))


@router.get("/k/{slug}/anggota.xlsx")
def members_xlsx(request: Request, slug: str, nik: str = "") -> Response:
    """The whole register; ``?nik=lengkap`` (pengurus only) writes the full NIKs."""
    user = current_user(request)
    require_role(user, slug, *READERS)
    full = nik == "lengkap"
    if full:
        require_role(user, slug, *KEEPERS)
    services = services_of(request)
    data = services.members.export_workbook(slug, full, actor=user.username if full else None)
    suffix = "-NIK-LENGKAP" if full else ""
    return _xlsx(data, f"Buku-Daftar-Anggota-{slug}-{services.today().isoformat()}{suffix}.xlsx")


@router.get("/k/{slug}/anggota/contoh.xlsx")
def members_template(request: Request, slug: str) -> Response:
    user = current_user(request)
    require_role(user, slug, *KEEPERS)
    from engine.services.members import example_workbook

    return _xlsx(example_workbook(), "contoh-buku-daftar-anggota.xlsx")


@router.post("/k/{slug}/anggota/impor")
async def members_upload(request: Request, slug: str) -> Response:
    """Import a register workbook: all or nothing; every bad cell is shown, nothing is saved then."""
    user = await run_in_threadpool(current_user, request)
    member = require_role(user, slug, *KEEPERS)
    form = await read_form(request)
    services = services_of(request)
    try:
        _, content = await read_workbook_upload(form, services.settings.max_workbook_mb)
        # Reading up to 20.000 rows runs in a worker thread: never on the event loop.
        result = await run_in_threadpool(services.members.import_workbook, slug, content, user.username)
    except ValidationError as exc:
        return await run_in_threadpool(_render, request, user, member, services.today(), False,
                                       status=exc.http_status, problems=exc.problems, headline=exc.headline)
    request.session["flash"] = (
        f"Buku Daftar Anggota diimpor: {result.lines} baris dibaca, {result.added} ditambah, {result.updated} "
        "diubah; tercatat di jejak persetujuan." if result.changed else
        f"Berkas dibaca ({result.lines} baris); Buku Daftar Anggota sudah sama, tidak ada yang diubah.")
    return RedirectResponse(f"/k/{slug}/anggota", status_code=303)
