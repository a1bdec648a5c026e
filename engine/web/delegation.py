"""The delegation page (a.n.): who acts for whom, and (for a role holder) handing a role on for a period.

Everyone serving the cooperative sees the delegations in force and planned; a role holder sees the roles
he may hand on and a form to choose the person (by name, from this cooperative only) and the dates; the
holder, the delegate or the ketua may end one early after a confirmation. Another cooperative's page is
not found (404); every form carries the session's CSRF token.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from engine.errors import FieldProblem, PermissionDeniedError, ValidationError
from engine.services import User
from engine.services.dto import Membership
from engine.web.rendering import page, read_form
from engine.web.security import current_user, require_member, services_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _date(value: Any, label: str, name: str) -> tuple[date | None, FieldProblem | None]:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None, FieldProblem(label, "wajib diisi", name)
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return None, FieldProblem(label, f"'{text[:20]}' bukan tanggal (TTTT-BB-HH)", name)


def _render(request: Request, user: User, member: Membership, *, status: int = 200,
            form: dict[str, str] | None = None, problems: list[FieldProblem] | None = None,
            headline: str | None = None) -> Response:
    services = services_of(request)
    delegations = services.delegations
    mine = {user.username}
    views = delegations.listing(member.slug)
    roles = delegations.delegable(member.slug, user.username)
    people = [(u, n) for u, n in delegations.candidates(member.slug) if u != user.username] if roles else []
    ketua = "ketua" in member.roles
    return page(request, "delegation.html", user, status=status, member=member, delegations=views, roles=roles,
                people=people, form=form or {}, problems=problems or [], headline=headline,
                can_end={v.id for v in views if ketua or v.holder in mine or v.delegate in mine},
                today=services.today())


@router.get("/k/{slug}/delegasi", response_class=HTMLResponse)
def delegation_page(request: Request, slug: str) -> Response:
    user = current_user(request)
    member = require_member(user, slug)
    return _render(request, user, member)


@router.post("/k/{slug}/delegasi")
async def delegation_create(request: Request, slug: str) -> Response:
    """Hand one of the signed-in holder's roles to a person of this cooperative for a period."""
    user = await run_in_threadpool(current_user, request)
    member = require_member(user, slug)
    form = await read_form(request)
    typed = {k: str(form.get(k) or "") for k in ("peran", "kepada", "mulai", "selesai", "alasan")}
    services = services_of(request)
    problems: list[FieldProblem] = []
    roles = dict(await run_in_threadpool(services.delegations.delegable, slug, user.username))
    if typed["peran"] not in roles:
        problems.append(FieldProblem("Peran", "pilih salah satu peran Anda dari daftar", "peran"))
    people = dict(await run_in_threadpool(services.delegations.candidates, slug))
    if typed["kepada"] not in people or typed["kepada"] == user.username:
        problems.append(FieldProblem("Diserahkan kepada", "pilih orang dari daftar pengurus/pegawai koperasi ini",
                                     "kepada"))
    start, bad_start = _date(typed["mulai"], "Tanggal mulai", "mulai")
    end, bad_end = _date(typed["selesai"], "Tanggal selesai", "selesai")
    problems += [p for p in (bad_start, bad_end) if p is not None]
    try:
        if problems or start is None or end is None:
            raise ValidationError(problems, headline="Delegasi belum dapat dibuat:")
        view = await run_in_threadpool(
            lambda: services.delegations.grant(slug, typed["peran"], user.username, typed["kepada"], start, end,
                                               typed["alasan"] or None, by_username=user.username))
    except (ValidationError, PermissionDeniedError) as exc:
        found = exc.problems if isinstance(exc, ValidationError) else []
        status, headline = exc.http_status, exc.headline
        return await run_in_threadpool(lambda: _render(request, user, member, status=status, form=typed,
                                                       problems=found, headline=headline))
    request.session["flash"] = f"Delegasi tercatat di jejak persetujuan: {view.sentence}."
    return RedirectResponse(f"/k/{slug}/delegasi", status_code=303)


@router.get("/k/{slug}/delegasi/{number}/akhiri", response_class=HTMLResponse)
def delegation_confirm_end(request: Request, slug: str, number: int) -> Response:
    """Ask before ending a delegation early."""
    user = current_user(request)
    member = require_member(user, slug)
    view = next((v for v in services_of(request).delegations.listing(slug) if v.id == number), None)
    if view is None:
        request.session["flash"] = "Delegasi itu sudah berakhir atau tidak ada."
        return RedirectResponse(f"/k/{slug}/delegasi", status_code=303)
    return page(request, "delegation_end.html", user, member=member, view=view)


@router.post("/k/{slug}/delegasi/{number}/akhiri")
async def delegation_end(request: Request, slug: str, number: int) -> Response:
    user = await run_in_threadpool(current_user, request)
    require_member(user, slug)
    await read_form(request)
    services = services_of(request)
    view = await run_in_threadpool(lambda: services.delegations.revoke(slug, number, by_username=user.username))
    request.session["flash"] = f"Delegasi diakhiri (tercatat di jejak persetujuan): {view.sentence}."
    return RedirectResponse(f"/k/{slug}/delegasi", status_code=303)
