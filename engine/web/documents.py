"""Document pages: SOP PDFs, Berita Acara, Buku SOP, RK/RAPB (with XLSX upload), audit report."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from engine.errors import FieldProblem, NotFoundError, TatakelolaError, ValidationError
from engine.web.rendering import AUDITORS, PLANNERS, page, read_form, read_workbook_upload
from engine.web.security import current_user, require_member, require_role, services_of

if TYPE_CHECKING:  # rendering loads on the first document request
    from engine.services.documents import DocumentService, IssuedPdf

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _documents(request: Request) -> DocumentService:
    return services_of(request).documents


def _pdf(issued: IssuedPdf) -> Response:
    return Response(issued.data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{issued.filename}"'})


def _year(value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise ValidationError([FieldProblem("Tahun", "harus antara 2000 dan 2100", "tahun")],
                              headline="Tahun tidak sah.")
    return int(value)


@router.get("/prosedur/{workflow}/sop.pdf")
def sop_pdf(request: Request, workflow: str, koperasi: str | None = None) -> Response:
    user = current_user(request)
    if koperasi:
        require_member(user, koperasi)
    return _pdf(_documents(request).sop(workflow, koperasi))


@router.get("/k/{slug}/kasus/{prefix}/{year}/{seq}/berita-acara.pdf")
def minutes_pdf(request: Request, slug: str, prefix: str, year: str, seq: str) -> Response:
    user = current_user(request)
    require_member(user, slug)
    return _pdf(_documents(request).minutes(f"{prefix}/{year}/{seq}", slug))


@router.get("/k/{slug}/dokumen", response_class=HTMLResponse)
def documents_page(request: Request, slug: str) -> Response:
    user = current_user(request)
    member = require_member(user, slug)
    services = services_of(request)
    return page(request, "documents.html", user, member=member, year=services.today().year + 1,
                today=services.today(), auditor=bool(member.roles & set(AUDITORS)),
                planner=bool(member.roles & set(PLANNERS)), result=None, problems=[], headline=None)


@router.get("/k/{slug}/dokumen/{kind}.pdf")
def plan_pdf(request: Request, slug: str, kind: str, tahun: str | None = None) -> Response:
    user = current_user(request)
    require_member(user, slug)
    documents = _documents(request)
    year = _year(tahun, services_of(request).today().year + 1)
    if kind == "buku-sop":
        return _pdf(documents.book(slug))
    if kind == "rencana-kerja":
        return _pdf(documents.work_plan(slug, year))
    if kind in ("rapb", "rapd"):
        return _pdf(documents.budget(slug, year))
    raise NotFoundError("Dokumen tidak dikenal.")


@router.get("/k/{slug}/dokumen/rapb.xlsx")
def budget_xlsx(request: Request, slug: str, tahun: str | None = None, contoh: int = 0) -> Response:
    user = current_user(request)
    require_member(user, slug)
    year = _year(tahun, services_of(request).today().year + 1)
    data = _documents(request).export_budget(slug, year, example=bool(contoh))
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="RAPB-{slug}-{year}.xlsx"'})


@router.post("/k/{slug}/dokumen/rapb")
async def budget_upload(request: Request, slug: str) -> Response:
    user = current_user(request)
    member = require_role(user, slug, *PLANNERS)
    form = await read_form(request)
    services = services_of(request)
    context: dict[str, Any] = {"member": member, "today": services.today(), "auditor": bool(
        member.roles & set(AUDITORS)), "planner": True, "result": None, "problems": [], "headline": None}
    try:
        year = _year(str(form.get("tahun", "")), services.today().year + 1)
        context["year"] = year
        filename, content = await read_workbook_upload(form, services.settings.max_workbook_mb)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(filename).name
            path.write_bytes(content)
            context["result"] = _documents(request).import_budget(slug, year, path, actor=user.username)
    except ValidationError as exc:
        context.update(problems=[f"{p.label}: {p.message}" for p in exc.problems], headline=exc.headline)
        return page(request, "documents.html", user, status=422, **context)
    except TatakelolaError as exc:
        context.update(headline=exc.message)
        return page(request, "documents.html", user, status=exc.http_status, **context)
    return page(request, "documents.html", user, **context)


@router.get("/k/{slug}/laporan-pengawas.pdf")
def audit_report_pdf(request: Request, slug: str, dari: str, sampai: str) -> Response:
    user = current_user(request)
    require_role(user, slug, *AUDITORS)
    try:
        start, end = date.fromisoformat(dari), date.fromisoformat(sampai)
    except ValueError:
        raise ValidationError([FieldProblem("Tanggal", "pakai TTTT-BB-HH", "dari")],
                              headline="Tanggal tidak sah; pakai TTTT-BB-HH.") from None
    if end < start:
        raise ValidationError([FieldProblem("Tanggal akhir", "sebelum tanggal awal", "sampai")],
                              headline="Tanggal akhir sebelum tanggal awal.")
    return _pdf(_documents(request).audit_report(slug, start, end))
