"""The Standar Operasional Manajemen (SOM) page and its PDF: ``/k/<slug>/som`` and ``/k/<slug>/som.pdf``.

Readers are the pengurus, the pengawas and the Dinas of the cooperative, as for the LHP: anyone else holding a
role there is refused with 403, a stranger gets 404 (nothing is revealed). Both are GET only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from engine.errors import PermissionDeniedError
from engine.services import User
from engine.services.dto import Membership
from engine.web.rendering import page
from engine.web.security import current_user, require_member, services_of

__all__ = ["READERS", "router"]

router = APIRouter(include_in_schema=False)

#: Who may read a cooperative's SOM (the same set the service checks).
READERS = frozenset({"pengurus", "pengawas", "ketua_pengawas", "dinas"})


def _reader(user: User, slug: str) -> Membership:
    member = require_member(user, slug)  # 404 for a stranger
    if not member.roles & READERS:
        raise PermissionDeniedError("Standar Operasional Manajemen hanya untuk pengurus, pengawas dan petugas Dinas.")
    return member


@router.get("/k/{slug}/som", response_class=HTMLResponse)
def som_page(request: Request, slug: str) -> Response:
    user = current_user(request)
    member = _reader(user, slug)
    from engine.services.documents.som import som_page as build  # the documents package loads WeasyPrint

    org, view = build(services_of(request).documents, slug, actor=user.username)
    return page(request, "som.html", user, member=member, org=org, s=view)


@router.get("/k/{slug}/som.pdf")
def som_pdf(request: Request, slug: str) -> Response:
    user = current_user(request)
    _reader(user, slug)
    issued = services_of(request).documents.som(slug, actor=user.username)
    return Response(issued.data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{issued.filename}"'})
