"""Training mode ("latihan"): the /latihan page and what the step and start pages show in a sandbox.

A sandbox's pages carry the "LATIHAN" banner (base.html, from the membership's ``training`` flag), a
"Panduan latihan" box (what the step means, who does it in real life, what comes next, what the engine
refuses) and links to act as a practice colleague. Whether someone may act as a colleague is decided
by the services from the database (:meth:`Training.colleague`), never from the form alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from engine.domain.definitions.model import Action, Definition
from engine.domain.definitions.phrase import phrase_guard
from engine.domain.roles import expand_roles, role_label
from engine.errors import GuardError, NotFoundError
from engine.services import CaseView, Services, User
from engine.services.dto import CATEGORY_LABELS, StartForm
from engine.services.training import Sandbox
from engine.web.rendering import case_url, page, read_form
from engine.web.security import current_user, services_of

__all__ = ["TrainingPanel", "acting_as", "case_panel", "router", "start_panel"]

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Choice:
    """Someone the trainee may act as on this step (or himself: ``username`` empty)."""

    username: str
    name: str
    roles: str
    current: bool


@dataclass(frozen=True)
class TrainingPanel:
    """The "Panduan latihan" box of a sandbox page."""

    guidance: str | None
    real_life: str
    next_steps: list[str]
    mistakes: list[str]
    choices: list[Choice] = field(default_factory=list)
    acting_name: str | None = None
    #: The page the "Bertindak sebagai" links return to (with ``sebagai=`` added).
    link: str = ""


def acting_as(request: Request, user: User, slug: str, sebagai: str) -> str | None:
    """The practice colleague the signed-in trainee acts as on a sandbox page; None when none is asked.

    Refused (403) unless the cooperative is a sandbox, the user owns it and the colleague is one of its own.
    """
    if not sebagai:
        return None
    return services_of(request).training.colleague(user.username, slug, sebagai[:64])


def _roles(roles: tuple[str, ...]) -> str:
    """Seats as people read them; "Anggota" only for someone who holds no other."""
    shown = [r for r in roles if r != "anggota"] or list(roles)
    return ", ".join(role_label(r) for r in shown)


def _is_sandbox(user: User, slug: str) -> bool:
    member = user.membership(slug)
    return bool(member and member.training)


def _definition(services: Services, workflow: str) -> Definition | None:
    try:
        return services.registry.get(workflow).definition
    except Exception:  # a procedure no longer loaded: the page simply has no guidance box
        return None


def _mistakes(d: Definition, actions: list[Action]) -> list[str]:
    """What the engine would refuse at this step, in plain words."""
    out: list[str] = []
    for a in actions:
        if a.kind == "approve" or a.not_by:
            earlier = [x.display for x in d.actions if x.id in a.not_by]
            who = f"yang melakukan '{', '.join(dict.fromkeys(earlier))}'" if earlier else "Pengaju"
            out.append(f"{a.display}: {who[0].upper() + who[1:]} tidak dapat menyetujui atau memeriksa sendiri "
                       "(pemisahan tugas). Bertindaklah sebagai rekan lain.")
        if a.quorum is not None:
            role = role_label(a.quorum.role or a.roles[0])
            out.append(f"{a.display}: perlu {a.quorum.count} suara {role} yang berbeda; satu orang hanya satu suara.")
        if a.requires_comment or a.kind in ("reject", "return"):
            out.append(f"{a.display}: alasan wajib ditulis di Catatan.")
        required = [d.fields[n].label for n in a.requires if n in d.fields]
        if required:
            out.append(f"{a.display}: wajib diisi dulu — {', '.join(required)}.")
        if a.when:
            try:
                out.append(f"{a.display}: hanya bila {phrase_guard(a.when, d)}.")
            except GuardError:  # a guard the phrase book cannot word: the engine still checks it
                continue
    if any(a.checks != "none" and a.kind in ("submit", "verify", "approve") for a in actions):
        out.append("Checklist langkah ini wajib dicentang sebelum memutuskan.")
    return list(dict.fromkeys(out))


def _panel(services: Services, user: User, sandbox: Sandbox | None, d: Definition, state_id: str,
           titles: dict[str, str], acting: str | None, guidance: str | None, link: str) -> TrainingPanel:
    actions = d.actions_from(state_id)
    roles = list(dict.fromkeys(r for a in actions for r in a.roles))
    real_life = ", ".join(role_label(r) for r in roles) or "tidak ada (langkah terakhir)"
    nexts = []
    for a in actions:
        target = titles.get(a.to) or (d.states[a.to].title if a.to in d.states else a.to)
        nexts.append(f"{a.display} → {target}")
    choices: list[Choice] = []
    acting_name = None
    if sandbox is not None:
        mine = expand_roles(set(sandbox.trainee_roles))
        choices.append(Choice("", f"{user.full_name} (Anda sendiri)", _roles(sandbox.trainee_roles), acting is None))
        for c in sandbox.colleagues:
            if expand_roles(set(c.roles)) & set(roles) or c.username == acting:
                choices.append(Choice(c.username, c.name, _roles(c.roles), c.username == acting))
                if c.username == acting:
                    acting_name = c.name
        if not mine & set(roles) and acting is None:
            choices[0] = Choice("", choices[0].name, choices[0].roles, True)
    return TrainingPanel(guidance, real_life, nexts, _mistakes(d, actions), choices, acting_name, link)


def case_panel(request: Request, user: User, slug: str, view: CaseView, acting: str | None) -> TrainingPanel | None:
    """The guidance box of a sandbox's step page (None anywhere else)."""
    if not _is_sandbox(user, slug):
        return None
    services = services_of(request)
    d = _definition(services, view.summary.workflow)
    if d is None or view.summary.state not in d.states:
        return None
    sandbox = services.training.current(user.username)
    if sandbox is not None and sandbox.slug != slug:
        sandbox = None  # an old sandbox: read only the guidance
    return _panel(services, user, sandbox, d, view.summary.state, view.state_titles, acting, view.guidance,
                  case_url(slug, view.summary.number))


def start_panel(request: Request, user: User, slug: str, form: StartForm, acting: str | None) -> TrainingPanel | None:
    """The guidance box of a sandbox's start form (None anywhere else)."""
    if not _is_sandbox(user, slug):
        return None
    services = services_of(request)
    d = _definition(services, form.workflow)
    if d is None:
        return None
    sandbox = services.training.current(user.username)
    if sandbox is not None and sandbox.slug != slug:
        sandbox = None
    return _panel(services, user, sandbox, d, d.initial_state, {}, acting, form.guidance,
                  f"/k/{slug}/mulai?prosedur={form.workflow}")


# -- the /latihan page ---------------------------------------------------------------------------


def _procedures(services: Services) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(category label, [(id, title, SOP number)]) of every loaded procedure."""
    groups: dict[str, list[tuple[str, str, str]]] = {}
    for loaded in sorted(services.registry.all(), key=lambda x: (x.definition.category, x.definition.title)):
        d = loaded.definition
        groups.setdefault(CATEGORY_LABELS.get(d.category, d.category.capitalize()), []).append(
            (d.id, d.title, d.sop.nomor))
    return list(groups.items())


@router.get("/latihan", response_class=HTMLResponse)
def training_page(request: Request) -> Response:
    user = current_user(request)
    services = services_of(request)
    sandbox = services.training.current(user.username)
    cases = services.list_cases(sandbox.slug, open_only=True) if sandbox else []
    return page(request, "training.html", user, sandbox=sandbox, procedures=_procedures(services), cases=cases,
                case_url=case_url)


@router.post("/latihan/buka")
async def open_sandbox(request: Request) -> Response:
    user = await run_in_threadpool(current_user, request)
    await read_form(request)
    sandbox = await run_in_threadpool(services_of(request).training.open_for, user.username)
    request.session["flash"] = (f"Ruang latihan {sandbox.name} siap." if sandbox.created
                                else f"Ruang latihan Anda: {sandbox.name}.")
    return RedirectResponse("/latihan", status_code=303)


@router.post("/latihan/ulang")
async def reset_sandbox(request: Request) -> Response:
    user = await run_in_threadpool(current_user, request)
    await read_form(request)
    sandbox = await run_in_threadpool(services_of(request).training.reset, user.username)
    request.session["flash"] = (f"Ruang latihan baru dibuka ({sandbox.slug}). Latihan sebelumnya tetap tersimpan "
                                "di jejaknya sendiri.")
    return RedirectResponse("/latihan", status_code=303)


@router.post("/latihan/mulai")
async def start_practice(request: Request) -> Response:
    """Open (or reuse) the sandbox and go to the procedure's start form there, as whoever starts it."""
    user = await run_in_threadpool(current_user, request)
    form = await read_form(request)
    services = services_of(request)
    workflow = str(form.get("prosedur", ""))[:64]
    d = _definition(services, workflow)
    if d is None:
        raise NotFoundError(f"Prosedur '{workflow}' tidak ditemukan.")
    sandbox = await run_in_threadpool(services.training.open_for, user.username)
    starters = {r for a in d.actions_from(d.initial_state) for r in a.roles}
    target = f"/k/{sandbox.slug}/mulai?prosedur={d.id}"
    if not expand_roles(set(sandbox.trainee_roles)) & starters:
        colleague = next((c for c in sandbox.colleagues if expand_roles(set(c.roles)) & starters), None)
        if colleague is not None:
            target += f"&sebagai={colleague.username}"
    return RedirectResponse(target, status_code=303)
