"""The JSON API: the same operations as the pages, described by the OpenAPI document.

Authentication is the session cookie (``POST /api/login``, ended by ``POST /api/logout``); every
other POST needs the ``X-CSRF-Token`` header with the token returned at login. An ended or
expired session answers 401.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field

from engine.web.rendering import AUDITORS
from engine.web.security import (
    check_csrf,
    csrf_token,
    current_user,
    log_in,
    log_out,
    require_member,
    require_role,
    services_of,
    session_token,
    signed_in_username,
)

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["api"])

#: The client's id for a start or an action: a retry with the same key returns the first result.
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", description="ID permintaan (mis. UUID); permintaan yang diulang dengan kunci yang sama "
                                         "mendapat hasil pertama, bukan kasus kedua atau 409 'sudah diputuskan'.")]


class LoginIn(BaseModel):
    """Credentials."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class LoginOut(BaseModel):
    """Session established; send ``csrf`` as X-CSRF-Token on every POST."""

    username: str
    csrf: str


#: A row of a list field as a client sends it: column -> text, number or nothing.
Row = dict[str, str | int | None]
#: A field's value: typed text as on the form, or the rows of a list field.
Value = str | list[Row]


def _typed(values: dict[str, Value]) -> dict[str, str]:
    """Values as the services read them: a list's rows as the JSON text a form or ``--set`` gives."""
    return {name: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for name, value in values.items()}


class StartIn(BaseModel):
    """Start a case of a procedure."""

    workflow: str = Field(max_length=64)
    values: dict[str, Value] = Field(default_factory=dict)
    comment: str | None = Field(default=None, max_length=4000)


class ActIn(BaseModel):
    """Take an action on a case."""

    action: str = Field(max_length=64)
    values: dict[str, Value] = Field(default_factory=dict)
    checks: list[str] = Field(default_factory=list, max_length=100)
    comment: str | None = Field(default=None, max_length=4000)
    expected_step: int | None = Field(default=None, description="Step number the client saw; stale = 409.")


def _csrf(request: Request) -> None:
    check_csrf(request, request.headers.get("x-csrf-token"))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return _jsonable(asdict(value))
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@router.post("/login", response_model=LoginOut, summary="Masuk")
def api_login(request: Request, body: LoginIn) -> LoginOut:
    username = log_in(request, body.username, body.password)
    return LoginOut(username=username, csrf=csrf_token(request))


@router.post("/logout", status_code=204, summary="Keluar (mengakhiri sesi ini)")
def api_logout(request: Request) -> Response:
    _csrf(request)
    log_out(request)
    return Response(status_code=204)


@router.get("/koperasi", summary="Koperasi dan peran saya")
def api_memberships(request: Request) -> list[dict[str, Any]]:
    user = current_user(request)
    return [{"slug": m.slug, "name": m.name, "city": m.city, "roles": sorted(m.roles)} for m in user.memberships]


@router.get("/tugas", summary="Tugas saya")
def api_tasks(request: Request) -> list[dict[str, Any]]:
    user = current_user(request)
    mine = {m.slug for m in user.memberships}
    return [{"case": _jsonable(summary), "actions": [o.id for o in options]}
            for summary, options in services_of(request).tasks(user.username) if summary.coop in mine]


@router.get("/prosedur", summary="Prosedur yang tersedia")
def api_procedures(request: Request) -> list[dict[str, Any]]:
    current_user(request)
    return [{"id": d.definition.id, "version": d.definition.version, "title": d.definition.title,
             "nomor": d.definition.sop.nomor, "ref": d.pinned_ref} for d in services_of(request).registry.all()]


@router.post("/koperasi/{slug}/kasus", status_code=201, summary="Mulai kasus")
def api_start(request: Request, slug: str, body: StartIn, idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    user = current_user(request)
    require_member(user, slug)
    _csrf(request)
    view = services_of(request).start_case(body.workflow, slug, user.username, values=_typed(body.values),
                                           comment=body.comment, request_id=idempotency_key)
    return dict(_jsonable(view))


@router.get("/koperasi/{slug}/kasus/{prefix}/{year}/{seq}", summary="Kasus: status, aksi, riwayat")
def api_case(request: Request, slug: str, prefix: str, year: str, seq: str) -> dict[str, Any]:
    user = current_user(request)
    require_member(user, slug)
    view = services_of(request).show(f"{prefix}/{year}/{seq}", user.username, coop_slug=slug)
    return dict(_jsonable(view))


@router.post("/koperasi/{slug}/kasus/{prefix}/{year}/{seq}/aksi", summary="Ambil aksi")
def api_act(request: Request, slug: str, prefix: str, year: str, seq: str, body: ActIn,
            idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    _csrf(request)
    result = services_of(request).act(f"{prefix}/{year}/{seq}", body.action, signed_in_username(request),
                                      values=_typed(body.values), checks=body.checks, comment=body.comment,
                                      coop_slug=slug,
                                      expected_step=body.expected_step, member_only=True,
                                      session_token=session_token(request), request_id=idempotency_key)
    return dict(_jsonable(result))


@router.get("/koperasi/{slug}/jejak", summary="Verifikasi jejak persetujuan")
def api_trail(request: Request, slug: str) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, slug, *AUDITORS)
    report = services_of(request).verify(slug)[0]
    return {"coop": report.coop, "ok": report.ok, "size": report.size, "root": report.root,
            "checkpoints": report.checkpoints, "findings": [str(f) for f in report.findings]}


@router.get("/koperasi/{slug}/temuan", summary="Temuan audit")
def api_findings(request: Request, slug: str) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, slug, *AUDITORS)
    report = services_of(request).findings(slug)
    return {"coop": report.coop, "findings": [f.to_json() for f in report.findings]}
