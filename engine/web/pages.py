"""Server-rendered pages (Bahasa Indonesia first; English catalogue for the interface).

Handlers are thin: who is asking (security), one call into the services, one template.
Handlers that read a form are ``async``; whatever they ask of the database (or of argon2) runs in
the thread pool (``run_in_threadpool``), as plain ``def`` handlers do, never on the event loop
that every other request waits on.
"""

from __future__ import annotations

import io
import tempfile
import uuid
import zipfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from engine.errors import (
    FieldProblem,
    LoginRefusedError,
    LoginRequiredError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    TatakelolaError,
    ValidationError,
)
from engine.services import CaseView, Services, User
from engine.services.dto import FormInput, StartChoice, StartForm
from engine.web.i18n import LANGUAGES
from engine.web.list_form import FORM_CELLS, MAX_FORM_ROWS, Grid, form_values, grid_of
from engine.web.rendering import AUDITORS, audit_pages, case_url, home_url, page, read_form
from engine.web.security import (
    current_user,
    log_in,
    log_out,
    require_member,
    require_role,
    services_of,
    session_token,
    signed_in_username,
)
from engine.web.training import acting_as, case_panel, start_panel

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _new_request_id() -> str:
    """A fresh id for one rendered decision form (its hidden ``permintaan``): sent twice, it decides once."""
    return str(uuid.uuid4())


def _request_id(form: FormData, suffix: str = "") -> str | None:
    """The form's ``permintaan`` (None when absent); ``suffix`` names a second command the same form runs."""
    value = form.get("permintaan")
    if not isinstance(value, str) or not value:
        return None
    return f"{value[:56]}{suffix}" if suffix else value[:80]


# -- login, account, language ----------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return page(request, "login.html", None, next=next if next.startswith("/") and not next.startswith("//") else "/",
                error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    username = str(form.get("username", ""))
    target = str(form.get("next", "/"))
    target = target if target.startswith("/") and not target.startswith("//") else "/"
    try:
        await run_in_threadpool(log_in, request, username, str(form.get("password", "")))
    except LoginRefusedError as exc:
        return page(request, "login.html", None, status=exc.http_status, next=target,
                    username=username.strip().lower()[:64], error=exc.message)
    if target in ("/", "/tugas"):  # no page asked for (or the old default): each person's own home
        target = home_url(await run_in_threadpool(current_user, request))
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    await read_form(request)
    await run_in_threadpool(log_out, request)
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
    user = await run_in_threadpool(current_user, request)
    form = await read_form(request)
    old, new, again = (str(form.get(k, ""))[:256] for k in ("lama", "baru", "ulang"))
    try:
        request.session["sid"] = await run_in_threadpool(services_of(request).change_password, user.id, old, new,
                                                         again, session_token=session_token(request))
    except ValidationError as exc:
        error = exc.problems[0].message if exc.problems and exc.problems[0].name is None else exc.headline
        return page(request, "account.html", user, status=400, message=None, error=error)
    return page(request, "account.html", user, message="Kata sandi sudah diganti.", error=None)


# -- tasks and cooperative home -------------------------------------------------------------


@router.get("/")
def home(request: Request) -> Response:
    return RedirectResponse(home_url(current_user(request)), status_code=303)


@router.get("/tugas", response_class=HTMLResponse)
def tasks(request: Request) -> Response:
    user = current_user(request)
    members = {m.slug: m for m in user.memberships}
    rows = [(members[summary.coop], summary, options)
            for summary, options in services_of(request).tasks(user.username) if summary.coop in members]
    rows.sort(key=lambda r: (not r[1].overdue, r[1].due is None, r[1].due or r[1].since))
    return page(request, "tasks.html", user, rows=rows, case_url=case_url, elsewhere=audit_pages(user))


def _startable(services: Services, user: User, slug: str) -> list[tuple[str, list[StartChoice]]]:
    """The procedures this person may start, grouped by category: the group of the most used one first."""
    groups: dict[str, list[StartChoice]] = {}
    for choice in services.start_choices(slug, user.username):  # most used first
        groups.setdefault(choice.category_label, []).append(choice)
    return list(groups.items())


@router.get("/k/{slug}", response_class=HTMLResponse)
def cooperative(request: Request, slug: str, semua: int = 0) -> Response:
    user = current_user(request)
    member = require_member(user, slug)
    services = services_of(request)
    cases = services.list_cases(slug, open_only=not semua)
    return page(request, "cooperative.html", user, member=member, cases=cases, case_url=case_url,
                startable=_startable(services, user, slug), all_cases=bool(semua),
                auditor=bool(member.roles & set(AUDITORS)))


# -- starting a case: a form that creates nothing until "Simpan draf" or "Ajukan" ---------------


@router.get("/k/{slug}/mulai", response_class=HTMLResponse)
def start_page(request: Request, slug: str, prosedur: str = "", sebagai: str = "") -> Response:
    user = current_user(request)
    require_member(user, slug)
    if not prosedur:
        return RedirectResponse(f"/k/{slug}#mulai", status_code=303)
    acting = acting_as(request, user, slug, sebagai)  # training mode only: checked against the database
    form = services_of(request).start_form(prosedur[:64], slug, acting or user.username)
    return _render_start(request, user, slug, form, errors=[], typed={}, headline=None, acting=acting)


def _render_start(request: Request, user: User, slug: str, form: StartForm, errors: list[FieldProblem],
                  typed: dict[str, str], headline: str | None, status: int = 200, comment: str = "",
                  ticked: set[str] | None = None, acting: str | None = None, grids: dict[str, Grid] | None = None,
                  more: str = "") -> Response:
    names = {i.name for i in form.inputs}
    field_errors = {p.name: p.message for p in errors if p.name in names}
    general = [str(p) for p in errors if p.name not in names]
    return page(request, "start.html", user, status=status, form=form, slug=slug, inputs=form.inputs,
                field_errors=field_errors, general=general, typed=typed, headline=headline, checks=form.checks,
                ticked=ticked or set(), comment=comment, request_id=_new_request_id, acting=acting,
                latihan=start_panel(request, user, slug, form, acting), tables=_tables(form.inputs, grids, more))


@router.post("/k/{slug}/mulai")
async def start_case(request: Request, slug: str) -> Response:
    """Save the start form as a draft, or save it and submit it at once (``tombol=ajukan``).

    Nothing is created when a value is refused: the form comes back with what was typed. When the
    draft was saved but submitting it was refused, the draft's own page says why (it exists now).
    """
    user = await run_in_threadpool(current_user, request)
    require_member(user, slug)
    form = await read_form(request)
    services = services_of(request)
    workflow = str(form.get("prosedur", ""))[:64]
    submitting = str(form.get("tombol", "draf")) == "ajukan"
    acting = await run_in_threadpool(acting_as, request, user, slug, str(form.get("sebagai", "")))
    start = await run_in_threadpool(services.start_form, workflow, slug, acting or user.username)
    typed, grids = form_values(form)  # a ticked list: comma separated; a list field's table: its rows as JSON
    ticked = {str(k)[2:] for k in form if str(k).startswith("c.")}
    comment = str(form.get("comment", ""))[:4000]
    if more := str(form.get("tambah", ""))[:64]:  # "Tambah baris": the form again with more rows, nothing saved
        return _render_start(request, user, slug, start, errors=[], typed=typed, headline=None, comment=comment,
                             ticked=ticked, acting=acting, grids=grids, more=more)
    labels = {i.name: i.spec.label for i in start.inputs}
    try:
        uploads = {str(k)[2:]: await _read_upload(v, labels.get(str(k)[2:], str(k)[2:]), str(k)[2:],
                                                  services.settings.max_attachment_mb)
                   for k, v in form.multi_items()
                   if str(k).startswith("a.") and isinstance(v, UploadFile) and v.filename}
        opening = None if submitting and start.submit else comment or None
        if acting:  # training mode: started as the practice colleague, the trainee named on the trail
            number = await run_in_threadpool(
                partial(services.training.start_as, user.username, acting, slug, workflow, values=typed,
                        files=uploads, comment=opening, request_id=_request_id(form)))
        else:
            number = await run_in_threadpool(
                services.open_case, workflow, slug, user.username, values=typed, files=uploads, comment=opening,
                request_id=_request_id(form))
    except ValidationError as exc:
        return _render_start(request, user, slug, start, errors=exc.problems, typed=typed, headline=exc.headline,
                             status=exc.http_status, comment=comment, ticked=ticked, acting=acting, grids=grids)
    if not submitting or start.submit is None:
        request.session["flash"] = f"Draf {number} tersimpan. Lengkapi bila perlu, lalu ajukan bila sudah siap."
        return RedirectResponse(case_url(slug, number), status_code=303)
    try:
        if acting:
            result = await run_in_threadpool(partial(
                services.training.act_as, user.username, acting, slug, number, start.submit, values={},
                checks=sorted(ticked), comment=comment or None, files={}, expected_step=0,
                session_token=session_token(request), request_id=_request_id(form, ":ajukan")))
        else:
            result = await run_in_threadpool(
                services.act, number, start.submit, user.username, values={}, checks=sorted(ticked),
                comment=comment or None, files={}, coop_slug=slug, expected_step=0, member_only=True,
                session_token=session_token(request), request_id=_request_id(form, ":ajukan"))
    except (NotFoundError, LoginRequiredError):
        raise
    except ValidationError as exc:
        return await run_in_threadpool(
            _refused, request, slug, number, errors=exc.problems, typed=typed,
            headline=f"Draf {number} sudah tersimpan, tetapi belum dapat diajukan. {exc.headline}",
            status=exc.http_status, comment=comment, ticked=ticked, acting=acting)
    except TatakelolaError as exc:
        return await run_in_threadpool(
            _refused, request, slug, number, errors=[], typed={},
            headline=f"Draf {number} sudah tersimpan, tetapi belum dapat diajukan. {exc.message}",
            status=exc.http_status, acting=acting)
    request.session["flash"] = f"{number} diajukan ('{result.label}'); status kini: {result.state_title}."
    return RedirectResponse(case_url(slug, number) + "?ok=1", status_code=303)


# -- the guided step page -------------------------------------------------------------------


def _case_view(request: Request, user: User, slug: str, number: str, acting: str | None = None) -> CaseView:
    require_member(user, slug)
    return services_of(request).show(number, acting or user.username, coop_slug=slug)


@router.get("/k/{slug}/kasus/{prefix}/{year}/{seq}", response_class=HTMLResponse)
def case_page(request: Request, slug: str, prefix: str, year: str, seq: str, konfirmasi: str = "",
              sebagai: str = "") -> Response:
    user = current_user(request)
    require_member(user, slug)
    acting = acting_as(request, user, slug, sebagai)  # training mode only: checked against the database
    view = _case_view(request, user, slug, f"{prefix}/{year}/{seq}", acting)
    return _render_case(request, user, slug, view, errors=[], typed={}, headline=None, confirm=konfirmasi[:64],
                        acting=acting)


#: Decisions that end or undo someone's work: the step page asks for a reason and a "Ya" first.
CONFIRMED_KINDS = ("reject", "return")


def _needs_confirmation(services: Services, prefix: str, action: str) -> bool:
    """Whether ``action`` of the procedure numbering its cases ``prefix`` is a reject or return.

    Read from the procedures loaded in memory (no unit of work: a decision stays one), so a case
    pinned to a procedure version no longer loaded is not asked twice; the engine still requires
    its reason."""
    for loaded in services.registry.all():
        d = loaded.definition
        if d.number_prefix == prefix:
            return any(a.id == action and a.kind in CONFIRMED_KINDS for a in d.actions)
    return False


def _tables(inputs: Sequence[FormInput], grids: dict[str, Grid] | None, more: str) -> dict[str, Grid]:
    """Each list field's table of inputs: the rows as typed (else as stored) and empty rows to fill."""
    return {i.name: grid_of((grids or {}).get(i.name, i.rows), more=i.name == more,
                            most=min(i.spec.max_rows or MAX_FORM_ROWS, FORM_CELLS // max(len(i.spec.columns or {}), 1)))
            for i in inputs if i.spec.type == "list"}


def _render_case(request: Request, user: User, slug: str, view: CaseView, errors: list[FieldProblem],
                 typed: dict[str, str], headline: str | None, status: int = 200, comment: str = "",
                 ticked: set[str] | None = None, confirm: str = "", acting: str | None = None,
                 grids: dict[str, Grid] | None = None, more: str = "") -> Response:
    names = {i.name for i in view.inputs} | ({"comment"} if confirm else set())
    field_errors = {p.name: p.message for p in errors if p.name in names}
    general = [str(p) for p in errors if p.name not in names]
    checks = list(dict.fromkeys(c for o in view.options if o.allowed for c in o.checks))
    labels = dict(view.checklist)
    asked = next((o for o in view.options if o.allowed and o.id == confirm and o.kind in CONFIRMED_KINDS), None)
    return page(request, "case.html", user, status=status, view=view, slug=slug, inputs=view.inputs,
                issued=view.issued, decided=view.decided, field_errors=field_errors, general=general, typed=typed,
                headline=headline, checks=[(c, labels.get(c, c)) for c in checks], ticked=ticked or set(),
                comment=comment, files=view.files, message=None, url=case_url(slug, view.summary.number),
                quote=quote, confirm=asked, auditor=user.holds(slug, *AUDITORS), request_id=_new_request_id,
                acting=acting, latihan=case_panel(request, user, slug, view, acting),
                tables=_tables(view.inputs, grids, more))


def _refused(request: Request, slug: str, number: str, errors: list[FieldProblem], typed: dict[str, str],
             headline: str | None, status: int, comment: str = "", ticked: set[str] | None = None,
             confirm: str = "", acting: str | None = None, grids: dict[str, Grid] | None = None,
             more: str = "") -> Response:
    """The step page again, saying why the decision was refused (it reads the case: run in the thread pool).

    ``acting``: the practice colleague (training mode) the decision was taken as, already checked."""
    user = current_user(request)
    return _render_case(request, user, slug, _case_view(request, user, slug, number, acting), errors=errors,
                        typed=typed, headline=headline, status=status, comment=comment, ticked=ticked,
                        confirm=confirm, acting=acting, grids=grids, more=more)


async def _read_upload(upload: UploadFile, label: str, name: str, limit_mb: float) -> tuple[str, bytes]:
    limit = int(limit_mb * 1024 * 1024)
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLargeError([FieldProblem(label, f"berkas terlalu besar (maksimal {limit_mb:g} MB)", name)])
    return upload.filename or "lampiran", content


@router.post("/k/{slug}/kasus/{prefix}/{year}/{seq}/aksi")
async def act(request: Request, slug: str, prefix: str, year: str, seq: str) -> Response:
    """One decision: the form goes to the use case as typed; it runs in one unit of work."""
    username = signed_in_username(request)
    number = f"{prefix}/{year}/{seq}"
    form = await read_form(request)
    services = services_of(request)
    action = str(form.get("action", ""))[:64]
    typed, grids = form_values(form)  # a ticked list: comma separated; a list field's table: its rows as JSON
    ticked = {str(k)[2:] for k in form if str(k).startswith("c.")}
    comment = str(form.get("comment", ""))[:4000]
    step = form.get("step")
    expected = int(str(step)) if isinstance(step, str) and step.isdigit() else None
    sebagai = str(form.get("sebagai", ""))[:64]
    # Training mode: acting as a practice colleague, only in the owner's sandbox (checked in the database).
    acting = await run_in_threadpool(services.training.colleague, username, slug, sebagai) if sebagai else None
    if more := str(form.get("tambah", ""))[:64]:  # "Tambah baris": the form again with more rows, nothing decided
        return await run_in_threadpool(_refused, request, slug, number, errors=[], typed=typed, headline=None,
                                       status=200, comment=comment, ticked=ticked, acting=acting, grids=grids,
                                       more=more)
    if _needs_confirmation(services, prefix, action):
        confirmed = str(form.get("konfirmasi", "")) == "1"
        if not confirmed or not comment.strip():
            # First press (or no reason yet): nothing is decided; the page asks for the reason and a "Ya".
            problems = [FieldProblem("Alasan", "tulis alasannya", "comment")] if confirmed else []
            return await run_in_threadpool(
                _refused, request, slug, number, errors=problems, typed={}, comment=comment, confirm=action,
                headline="Alasan wajib diisi." if confirmed else None, status=400 if confirmed else 200,
                acting=acting)
    try:
        uploads = {str(k)[2:]: await _read_upload(v, str(k)[2:], str(k)[2:], services.settings.max_attachment_mb)
                   for k, v in form.multi_items()
                   if str(k).startswith("a.") and isinstance(v, UploadFile) and v.filename}
        if acting:
            result = await run_in_threadpool(partial(
                services.training.act_as, username, acting, slug, number, action, values=typed,
                checks=sorted(ticked), comment=comment or None, files=uploads, expected_step=expected,
                session_token=session_token(request), request_id=_request_id(form)))
        else:
            result = await run_in_threadpool(
                services.act, number, action, username, values=typed, checks=sorted(ticked),
                comment=comment or None, files=uploads, coop_slug=slug, expected_step=expected, member_only=True,
                session_token=session_token(request), request_id=_request_id(form))
    except (NotFoundError, LoginRequiredError):
        raise
    except ValidationError as exc:
        return await run_in_threadpool(_refused, request, slug, number, errors=exc.problems, typed=typed,
                                       headline=exc.headline, status=exc.http_status, comment=comment,
                                       ticked=ticked, acting=acting, grids=grids)
    except TatakelolaError as exc:
        return await run_in_threadpool(_refused, request, slug, number, errors=[], typed={}, headline=exc.message,
                                       status=exc.http_status, acting=acting)
    request.session["flash"] = (f"'{result.label}' tercatat; status kini: {result.state_title}." if result.fired else
                                f"Suara Anda tercatat ({result.votes} dari {result.needed}).")
    return RedirectResponse(case_url(slug, number) + "?ok=1", status_code=303)


@router.get("/k/{slug}/kasus/{prefix}/{year}/{seq}/lampiran/{sha256}")
def attachment(request: Request, slug: str, prefix: str, year: str, seq: str, sha256: str) -> Response:
    user = current_user(request)
    require_member(user, slug)
    name, media_type, content = services_of(request).attachment(slug, f"{prefix}/{year}/{seq}", sha256)
    safe = media_type if media_type in ("application/pdf", "image/jpeg", "image/png") else "application/octet-stream"
    return Response(content, media_type=safe, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


@router.get("/k/{slug}/kasus/{prefix}/{year}/{seq}/lampiran/{sha256}/pratinjau.png")
def attachment_preview(request: Request, slug: str, prefix: str, year: str, seq: str, sha256: str) -> Response:
    user = current_user(request)
    require_member(user, slug)
    picture = services_of(request).attachment_preview(slug, f"{prefix}/{year}/{seq}", sha256)
    return Response(picture, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


# -- procedures -----------------------------------------------------------------------------


@router.get("/prosedur/{workflow}", response_class=HTMLResponse)
def procedure(request: Request, workflow: str) -> Response:
    user = current_user(request)
    # Conditions quote the AD/ART values of the reader's (first) cooperative, as the SOP PDF link does.
    slug = user.memberships[0].slug if user.memberships else None
    view = services_of(request).procedures.view(workflow, slug)
    watcher = any(m.roles & set(AUDITORS) for m in user.memberships)  # pengawas and Dinas see the pinned hash
    return page(request, "procedure.html", user, view=view, loaded=view.loaded, d=view.definition, coop=slug,
                auditor=watcher)


# -- pengawas: trail, checkpoint, bundle, findings ------------------------------------------


@router.get("/k/{slug}/jejak", response_class=HTMLResponse)
def trail(request: Request, slug: str, verified: int = 0) -> Response:
    user = current_user(request)
    member = require_role(user, slug, *AUDITORS)
    services = services_of(request)
    report = services.verify(slug)[0] if verified else None
    checkpoint = services.latest_checkpoint(slug)
    return page(request, "trail.html", user, member=member, report=report, checkpoint=checkpoint,
                now=services.clock())


@router.post("/k/{slug}/jejak/verifikasi")
async def verify_now(request: Request, slug: str) -> Response:
    user = await run_in_threadpool(current_user, request)
    require_role(user, slug, *AUDITORS)
    await read_form(request)
    return RedirectResponse(f"/k/{slug}/jejak?verified=1", status_code=303)


@router.get("/k/{slug}/jejak/checkpoint.txt")
def checkpoint_download(request: Request, slug: str) -> Response:
    user = current_user(request)
    require_role(user, slug, *AUDITORS)
    checkpoint = services_of(request).latest_checkpoint(slug)
    if checkpoint is None:
        raise NotFoundError("Belum ada checkpoint.")
    return Response(checkpoint.note, media_type="text/plain; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="checkpoint-{slug}-{checkpoint.size}.txt"'})


@router.get("/k/{slug}/jejak/bundel.zip")
def bundle_download(request: Request, slug: str) -> Response:
    user = current_user(request)
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
    user = current_user(request)
    member = require_role(user, slug, *AUDITORS)
    report = services_of(request).findings(slug)
    return page(request, "findings.html", user, member=member, report=report, case_url=case_url)


# -- Dinas ----------------------------------------------------------------------------------


@router.get("/dinas", response_class=HTMLResponse)
def dinas(request: Request) -> Response:
    user = current_user(request)
    if not user.is_dinas:
        raise PermissionDeniedError("Halaman ini untuk petugas Dinas Koperasi.")
    services = services_of(request)
    return page(request, "dinas.html", user, rows=services.dinas_overview(user), year=services.today().year)
