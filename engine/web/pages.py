"""Server-rendered pages (Bahasa Indonesia first; English catalogue for the interface)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from engine.domain.machine import machine_for
from engine.domain.roles import role_label
from engine.errors import FieldProblem, TatakelolaError, ValidationError
from engine.services import CaseView, Services
from engine.web.i18n import LANGUAGES, translator
from engine.web.queries import User, attachment_content, dinas_overview
from engine.web.security import (
    MAX_UPLOAD_BYTES,
    LoginRefused,
    check_csrf,
    csrf_token,
    current_user,
    log_in,
    require_member,
    require_role,
    services_of,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
AUDITORS = ("pengawas", "ketua_pengawas", "dinas")


def _lang(request: Request) -> str:
    lang = request.session.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


def page(request: Request, template: str, user: User | None, status: int = 200, **context: Any) -> Response:
    """Render a page with the shared context (user, CSRF token, translator)."""
    templates = request.app.state.templates
    flash = request.session.pop("flash", None) if user is not None else None
    response: Response = templates.TemplateResponse(request, template, {
        "user": user, "csrf": csrf_token(request), "_": translator(_lang(request)), "lang": _lang(request),
        "role_label": role_label, "flash": flash, "path": request.url.path, **context}, status_code=status)
    return response


def case_url(slug: str, number: str) -> str:
    """``/k/SLUG/kasus/KAS/2026/0001``."""
    return f"/k/{slug}/kasus/{number}"


async def _form(request: Request) -> FormData:
    form = await request.form(max_files=20, max_fields=300)
    check_csrf(request, form.get("csrf"))
    return form


# -- login, account, language ----------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/tugas") -> Response:
    return page(request, "login.html", None, next=next if next.startswith("/") else "/tugas", error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    username = str(form.get("username", ""))
    target = str(form.get("next", "/tugas"))
    target = target if target.startswith("/") and not target.startswith("//") else "/tugas"
    try:
        log_in(request, username, str(form.get("password", "")))
    except LoginRefused as exc:
        return page(request, "login.html", None, status=exc.status, next=target,
                    username=username.strip().lower()[:64], error=exc.message)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await _form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/bahasa/{lang}")
def set_language(request: Request, lang: str, next: str = "/tugas") -> Response:
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return RedirectResponse(next if next.startswith("/") and not next.startswith("//") else "/tugas", status_code=303)


@router.get("/akun", response_class=HTMLResponse)
def account(request: Request) -> Response:
    user = current_user(request)
    return page(request, "account.html", user, message=None, error=None)


@router.post("/akun/sandi")
async def change_password(request: Request) -> Response:
    from engine.adapters.passwords import check_password, set_password
    from engine.adapters.store.models import Person

    user = current_user(request)
    assert user is not None
    form = await _form(request)
    old, new, again = (str(form.get(k, ""))[:256] for k in ("lama", "baru", "ulang"))
    services = services_of(request)
    with services.db.session() as session:
        person = session.get(Person, user.id)
        if not check_password(person, old):
            return page(request, "account.html", user, status=400, message=None, error="Kata sandi lama salah.")
        if new != again:
            return page(request, "account.html", user, status=400, message=None,
                        error="Kata sandi baru dan ulangannya berbeda.")
        try:
            set_password(session, user.username, new)
        except ValidationError as exc:
            return page(request, "account.html", user, status=400, message=None, error=exc.problems[0].message)
    return page(request, "account.html", user, message="Kata sandi sudah diganti.", error=None)


# -- tasks and cooperative home -------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    user = current_user(request)
    assert user is not None
    return RedirectResponse("/dinas" if user.is_dinas and not any(
        m.roles - {"dinas"} for m in user.memberships) else "/tugas", status_code=303)


@router.get("/tugas", response_class=HTMLResponse)
def tasks(request: Request) -> Response:
    user = current_user(request)
    assert user is not None
    services = services_of(request)
    rows = []
    for member in user.memberships:
        for summary, options in services.tasks(user.username, member.slug):
            rows.append((member, summary, options))
    rows.sort(key=lambda r: (not r[1].overdue, r[1].due is None, r[1].due or r[1].since))
    return page(request, "tasks.html", user, rows=rows, case_url=case_url)


def _startable(services: Services, user: User, slug: str) -> list[tuple[str, str, str]]:
    member = user.membership(slug)
    out = []
    for loaded in services.registry.all():
        d = loaded.definition
        roles = {r for a in d.actions_from(d.initial_state) for r in a.roles}
        if member and member.roles & roles:
            out.append((d.id, d.title, d.sop.nomor))
    return out


@router.get("/k/{slug}", response_class=HTMLResponse)
def cooperative(request: Request, slug: str, semua: int = 0) -> Response:
    user = current_user(request)
    assert user is not None
    member = require_member(user, slug)
    services = services_of(request)
    cases = services.list_cases(slug, open_only=not semua)
    return page(request, "cooperative.html", user, member=member, cases=cases, case_url=case_url,
                startable=_startable(services, user, slug), all_cases=bool(semua),
                auditor=bool(member.roles & set(AUDITORS)))


@router.post("/k/{slug}/mulai")
async def start_case(request: Request, slug: str) -> Response:
    user = current_user(request)
    assert user is not None
    require_member(user, slug)
    form = await _form(request)
    workflow = str(form.get("prosedur", ""))
    view = services_of(request).start_case(workflow, slug, user.username)
    return RedirectResponse(case_url(slug, view.summary.number), status_code=303)


# -- the guided step page -------------------------------------------------------------------


def _case_view(request: Request, user: User, slug: str, number: str) -> CaseView:
    require_member(user, slug)
    return services_of(request).show(number, user.username, coop_slug=slug)


def _inputs(services: Services, view: CaseView, slug: str) -> list[dict[str, Any]]:
    """Form inputs for the fields the allowed actions may set, with their current values."""
    from engine.adapters.store.models import Case, DefinitionRecord

    allowed = [o for o in view.options if o.allowed]
    names = list(dict.fromkeys(n for o in allowed for n in o.sets))
    if not names:
        return []
    with services.db.session() as session:
        from sqlalchemy import select

        from engine.adapters.store.models import Cooperative

        case = session.scalar(select(Case).join(Cooperative, Cooperative.id == Case.coop_id)
                              .where(Cooperative.slug == slug, Case.number == view.summary.number))
        assert case is not None
        record = session.get_one(DefinitionRecord, case.definition_id)
        coop = session.get_one(Cooperative, case.coop_id)
        data = dict(case.data)
    d = services.pinned(record).definition
    from engine.domain.values import resolved_settings

    settings = resolved_settings(d, coop.settings)
    required = {n for o in allowed for n in o.requires}
    out = []
    for name in names:
        spec = d.fields[name]
        value = data.get(name)
        options = spec.options or (settings.get(spec.options_setting or "") or [])
        shown = "" if value is None else (f"{value:,}".replace(",", ".") if spec.type == "money" else str(value))
        out.append({"name": name, "spec": spec, "value": value, "shown": shown, "options": options,
                    "required": name in required})
    return out


@router.get("/k/{slug}/kasus/{prefix}/{year}/{seq}", response_class=HTMLResponse)
def case_page(request: Request, slug: str, prefix: str, year: str, seq: str) -> Response:
    user = current_user(request)
    assert user is not None
    number = f"{prefix}/{year}/{seq}"
    view = _case_view(request, user, slug, number)
    return _render_case(request, user, slug, view, errors=[], typed={}, headline=None)


def _render_case(request: Request, user: User, slug: str, view: CaseView, errors: list[FieldProblem],
                 typed: dict[str, str], headline: str | None, status: int = 200, message: str | None = None,
                 comment: str = "", ticked: set[str] | None = None) -> Response:
    services = services_of(request)
    inputs = _inputs(services, view, slug)
    field_errors: dict[str, str] = {}
    general: list[str] = []
    for problem in errors:
        name = problem.field.rsplit("(", 1)[-1].rstrip(")") if "(" in problem.field else problem.field
        if any(i["name"] == name for i in inputs):
            field_errors[name] = problem.message
        else:
            general.append(str(problem))
    checks = list(dict.fromkeys(c for o in view.options if o.allowed for c in o.checks))
    labels = dict(view.checklist)
    attachments = [(n, label, value) for n, label, value in view.fields if value != "—" and "SHA-256" in value]
    from engine.adapters.store.models import Attachment, Case, Cooperative

    with services.db.session() as session:
        from sqlalchemy import select

        files = session.execute(
            select(Attachment.field, Attachment.filename, Attachment.sha256, Attachment.size)
            .join(Case, Case.id == Attachment.case_id).join(Cooperative, Cooperative.id == Case.coop_id)
            .where(Cooperative.slug == slug, Case.number == view.summary.number)
            .order_by(Attachment.uploaded_at)).all()
    from engine.web.documents import issued_for_case

    issued, decided = issued_for_case(request, slug, view.summary.number)
    return page(request, "case.html", user, status=status, view=view, slug=slug, inputs=inputs, issued=issued,
                decided=decided,
                field_errors=field_errors, general=general, typed=typed, headline=headline,
                checks=[(c, labels.get(c, c)) for c in checks], ticked=ticked or set(), comment=comment,
                files=files, attachments=attachments, message=message,
                url=case_url(slug, view.summary.number), quote=quote)


async def _read_upload(upload: UploadFile, label: str) -> tuple[str, bytes]:
    content = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise ValidationError([FieldProblem(label, "berkas terlalu besar (maksimal 25 MB)")])
    return upload.filename or "lampiran", content


@router.post("/k/{slug}/kasus/{prefix}/{year}/{seq}/aksi")
async def act(request: Request, slug: str, prefix: str, year: str, seq: str) -> Response:
    user = current_user(request)
    assert user is not None
    number = f"{prefix}/{year}/{seq}"
    view = _case_view(request, user, slug, number)
    form = await _form(request)
    action = str(form.get("action", ""))
    services = services_of(request)
    option = next((o for o in view.options if o.id == action), None)
    inputs = {i["name"]: i for i in _inputs(services, view, slug)}
    typed = {name: str(form.get(f"f.{name}", ""))[:5000] for name in inputs}
    ticked = {str(k)[2:] for k in form if str(k).startswith("c.")}
    comment = str(form.get("comment", ""))[:4000]
    values: dict[str, str] = {}
    uploads: dict[str, tuple[str, bytes]] = {}
    try:
        for name, item in inputs.items():
            if option is None or name not in option.sets:
                continue
            spec = item["spec"]
            if spec.type == "attachment":
                upload = form.get(f"a.{name}")
                if isinstance(upload, UploadFile) and upload.filename:
                    uploads[name] = await _read_upload(upload, f"{spec.label} ({name})")
                continue
            if typed[name].strip() != item["shown"]:
                values[name] = typed[name]
        step = form.get("step")
        expected = int(str(step)) if isinstance(step, str) and step.isdigit() else None
        result = services.act(number, action, user.username, values=values, checks=sorted(ticked),
                              comment=comment or None, files=uploads, coop_slug=slug, expected_step=expected)
    except ValidationError as exc:
        fresh = _case_view(request, user, slug, number)
        return _render_case(request, user, slug, fresh, errors=exc.problems, typed=typed,
                            headline=exc.message.split("\n")[0], status=422, comment=comment, ticked=ticked)
    except TatakelolaError as exc:
        fresh = _case_view(request, user, slug, number)
        return _render_case(request, user, slug, fresh, errors=[], typed={}, headline=exc.message,
                            status=exc.http_status)
    label = option.label if option is not None else result.action
    request.session["flash"] = (f"'{label}' tercatat; status kini: {result.state_title}." if result.fired else
                                f"Suara Anda tercatat ({result.votes} dari {result.needed}).")
    return RedirectResponse(case_url(slug, number) + "?ok=1", status_code=303)


@router.get("/k/{slug}/kasus/{prefix}/{year}/{seq}/lampiran/{sha256}")
def attachment(request: Request, slug: str, prefix: str, year: str, seq: str, sha256: str) -> Response:
    user = current_user(request)
    assert user is not None
    require_member(user, slug)
    name, media_type, content = attachment_content(services_of(request), slug, f"{prefix}/{year}/{seq}", sha256)
    safe = media_type if media_type in ("application/pdf", "image/jpeg", "image/png") else "application/octet-stream"
    return Response(content, media_type=safe, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


# -- procedures -----------------------------------------------------------------------------


@router.get("/prosedur/{workflow}", response_class=HTMLResponse)
def procedure(request: Request, workflow: str) -> Response:
    user = current_user(request)
    services = services_of(request)
    loaded = services.registry.get(workflow)
    return page(request, "procedure.html", user, loaded=loaded, d=loaded.definition,
                mermaid=machine_for(loaded).mermaid())


# -- pengawas: trail, checkpoint, bundle, findings ------------------------------------------


@router.get("/k/{slug}/jejak", response_class=HTMLResponse)
def trail(request: Request, slug: str, verified: int = 0) -> Response:
    user = current_user(request)
    assert user is not None
    member = require_role(user, slug, *AUDITORS)
    services = services_of(request)
    report = services.verify(slug)[0] if verified else None
    checkpoint = services.latest_checkpoint(slug)
    return page(request, "trail.html", user, member=member, report=report, checkpoint=checkpoint,
                now=services.clock())


@router.post("/k/{slug}/jejak/verifikasi")
async def verify_now(request: Request, slug: str) -> Response:
    user = current_user(request)
    assert user is not None
    require_role(user, slug, *AUDITORS)
    await _form(request)
    return RedirectResponse(f"/k/{slug}/jejak?verified=1", status_code=303)


@router.get("/k/{slug}/jejak/checkpoint.txt")
def checkpoint_download(request: Request, slug: str) -> Response:
    user = current_user(request)
    assert user is not None
    require_role(user, slug, *AUDITORS)
    checkpoint = services_of(request).latest_checkpoint(slug)
    if checkpoint is None:
        raise HTTPException(404, "Belum ada checkpoint.")
    return Response(checkpoint.note, media_type="text/plain; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="checkpoint-{slug}-{checkpoint.size}.txt"'})


@router.get("/k/{slug}/jejak/bundel.zip")
def bundle_download(request: Request, slug: str) -> Response:
    user = current_user(request)
    assert user is not None
    require_role(user, slug, *AUDITORS)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "bundel"
        services_of(request).export(slug, target)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(target.iterdir()):
                archive.write(path, f"bundel-{slug}/{path.name}")
    return Response(buffer.getvalue(), media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="bundel-jejak-{slug}.zip"'})


@router.get("/k/{slug}/temuan", response_class=HTMLResponse)
def findings(request: Request, slug: str) -> Response:
    from engine.audit.findings import RULES

    user = current_user(request)
    assert user is not None
    member = require_role(user, slug, *AUDITORS)
    report = services_of(request).findings(slug)
    return page(request, "findings.html", user, member=member, report=report, rules=RULES, case_url=case_url)


# -- Dinas ----------------------------------------------------------------------------------


@router.get("/dinas", response_class=HTMLResponse)
def dinas(request: Request) -> Response:
    user = current_user(request)
    assert user is not None
    if not user.is_dinas:
        raise HTTPException(403, "Halaman ini untuk petugas Dinas Koperasi.")
    services = services_of(request)
    return page(request, "dinas.html", user, rows=dinas_overview(services, user), year=services.today().year)
