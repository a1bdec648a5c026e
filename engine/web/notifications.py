"""The signed-in person's notifications (``/pemberitahuan``) and their e-mail address (``/akun/email``).

Each person sees only their own messages; marking them read and changing the address are forms
with the session's CSRF token. The menu's badge comes with the signed-in user (``User.unread``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from engine.errors import ValidationError
from engine.web.rendering import page, read_form
from engine.web.security import current_user, services_of

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: How many messages the page lists (the newest).
SHOWN = 100


@router.get("/pemberitahuan", response_class=HTMLResponse)
def notifications(request: Request) -> Response:
    user = current_user(request)
    items = services_of(request).notifications.inbox(user.username, SHOWN)
    return page(request, "notifications.html", user, items=items, shown=SHOWN)


@router.post("/pemberitahuan/baca")
async def mark_all_read(request: Request) -> Response:
    await read_form(request)
    user = await run_in_threadpool(current_user, request)
    count = await run_in_threadpool(services_of(request).notifications.mark_read, user.username)
    request.session["flash"] = ("Semua pemberitahuan sudah ditandai dibaca." if count
                                else "Tidak ada pemberitahuan yang belum dibaca.")
    return RedirectResponse("/pemberitahuan", status_code=303)


@router.post("/akun/email")
async def set_email(request: Request) -> Response:
    form = await read_form(request)
    user = await run_in_threadpool(current_user, request)
    typed = str(form.get("email", ""))[:300]
    try:
        stored = await run_in_threadpool(services_of(request).notifications.set_email, user.username, typed)
    except ValidationError as exc:
        return page(request, "account.html", user, status=400, message=None, error=None,
                    email_error=exc.problems[0].message if exc.problems else exc.headline, email_typed=typed)
    request.session["flash"] = (f"Pemberitahuan akan dikirim juga ke {stored}." if stored
                                else "Alamat e-mail dihapus; pemberitahuan hanya tampil di aplikasi ini.")
    return RedirectResponse("/akun", status_code=303)
