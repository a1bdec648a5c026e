"""Document pages: SOP PDFs, Berita Acara, Buku SOP, RK/RAPB (with XLSX upload), audit report, LHP."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from engine.errors import FieldProblem, NotFoundError, TatakelolaError, ValidationError
from engine.services import User
from engine.services.dto import Membership
from engine.web.rendering import AUDITORS, PLANNERS, page, read_form, read_workbook_upload
from engine.web.security import current_user, require_member, require_role, services_of

if TYPE_CHECKING:  # rendering loads on the first document request
    from engine.services.documents import BudgetImport, DocumentService, IssuedPdf
    from engine.services.documents.cache import Prepared

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Seconds after which the "being prepared" page asks again.
_REFRESH_S = 3


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


def _retrieved(waited: asyncio.Future[IssuedPdf]) -> None:
    """A build that failed after its request stopped waiting is told by the next request, not logged here."""
    if not waited.cancelled():
        waited.exception()


async def _deliver(request: Request, user: User, prepared: Prepared) -> Response:
    """The PDF when it is ready (or becomes ready within ``document_wait_s``), else the "being prepared" page.

    The build goes on in the document worker thread whatever the request does; the waiting is on
    the event loop without blocking it, and recording the hand-out runs in the thread pool.
    """
    issued = prepared.issued
    if issued is None:
        future = prepared.future
        assert future is not None
        wait = services_of(request).settings.document_wait_s
        if future.done() or wait > 0:
            waited = asyncio.wrap_future(future)
            waited.add_done_callback(_retrieved)
            try:  # shielded: a request that stops waiting never cancels a build others may share
                issued = await asyncio.wait_for(asyncio.shield(waited), timeout=wait)
            except TimeoutError:
                issued = None
        if issued is None:
            response = page(request, "preparing.html", user, status=202, title=prepared.recipe.meta.title,
                            again=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""))
            response.headers["Refresh"] = str(_REFRESH_S)
            response.headers["Retry-After"] = str(_REFRESH_S)
            return response
    return _pdf(await run_in_threadpool(_documents(request).hand_out, prepared, issued))


@router.get("/prosedur/{workflow}/sop.pdf")
async def sop_pdf(request: Request, workflow: str, koperasi: str | None = None) -> Response:
    def prepare() -> tuple[User, Prepared]:
        user = current_user(request)
        if koperasi:
            require_member(user, koperasi)
        return user, _documents(request).prepare_sop(workflow, koperasi)

    return await _deliver(request, *await run_in_threadpool(prepare))


@router.get("/k/{slug}/dokumen/buku-sop.pdf")
async def book_pdf(request: Request, slug: str) -> Response:
    def prepare() -> tuple[User, Prepared]:
        user = current_user(request)
        require_member(user, slug)
        return user, _documents(request).prepare_book(slug)

    return await _deliver(request, *await run_in_threadpool(prepare))


@router.get("/k/{slug}/kasus/{prefix}/{year}/{seq}/berita-acara.pdf")
def minutes_pdf(request: Request, slug: str, prefix: str, year: str, seq: str) -> Response:
    user = current_user(request)
    require_member(user, slug)
    return _pdf(_documents(request).minutes(f"{prefix}/{year}/{seq}", slug))


def _page_context(request: Request, member: Membership, year: int) -> dict[str, Any]:
    """What the Dokumen page shows besides the upload result: the year's stored RAPB/RK, if any."""
    services = services_of(request)
    return {"member": member, "year": year, "today": services.today(),
            "auditor": bool(member.roles & set(AUDITORS)), "planner": bool(member.roles & set(PLANNERS)),
            "limit_mb": f"{services.settings.max_workbook_mb:g}".replace(".", ","),
            "summary": _documents(request).budget_summary(member.slug, year),
            "result": None, "problems": [], "headline": None}


@router.get("/k/{slug}/dokumen", response_class=HTMLResponse)
def documents_page(request: Request, slug: str, tahun: str | None = None) -> Response:
    user = current_user(request)
    member = require_member(user, slug)
    year = _year(tahun, services_of(request).today().year + 1)
    return page(request, "documents.html", user, **_page_context(request, member, year))


def _no_budget(request: Request, user: User, slug: str, year: int) -> Response:
    """No RAPB/RK for that year yet: say so, and point to the upload form (never to a command)."""
    planner = user.holds(slug, *PLANNERS)
    who = "Unggah buku kerja RAPB (Excel)" if planner else "RAPB diunggah oleh pengurus atau manajer"
    message = (f"Belum ada RAPB tahun buku {year} untuk koperasi ini. {who} di halaman Dokumen; "
               "setelah itu dokumen ini dapat diunduh.")
    target = f"/k/{slug}/dokumen#unggah-rapb" if planner else f"/k/{slug}/dokumen"
    return page(request, "error.html", user, status=404, message=message, link=(target, "Buka halaman Dokumen"))


@router.get("/k/{slug}/dokumen/{kind}.pdf")
def plan_pdf(request: Request, slug: str, kind: str, tahun: str | None = None) -> Response:
    user = current_user(request)
    require_member(user, slug)
    documents = _documents(request)
    year = _year(tahun, services_of(request).today().year + 1)
    if kind not in ("rencana-kerja", "rapb", "rapd"):
        raise NotFoundError("Dokumen tidak dikenal.")
    try:
        return _pdf(documents.work_plan(slug, year) if kind == "rencana-kerja" else documents.budget(slug, year))
    except NotFoundError:  # the cooperative exists (require_member): what is missing is that year's RAPB
        return _no_budget(request, user, slug, year)


@router.get("/k/{slug}/dokumen/rapb.xlsx")
def budget_xlsx(request: Request, slug: str, tahun: str | None = None, contoh: int = 0) -> Response:
    user = current_user(request)
    require_member(user, slug)
    year = _year(tahun, services_of(request).today().year + 1)
    try:
        data = _documents(request).export_budget(slug, year, example=bool(contoh))
    except NotFoundError:
        return _no_budget(request, user, slug, year)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="RAPB-{slug}-{year}.xlsx"'})


def _import_budget(documents: DocumentService, slug: str, year: int, filename: str, content: bytes,
                   actor: str) -> BudgetImport:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(filename).name or "rapb.xlsx")
        path.write_bytes(content)
        return documents.import_budget(slug, year, path, actor=actor)


@router.post("/k/{slug}/dokumen/rapb")
async def budget_upload(request: Request, slug: str) -> Response:
    user = await run_in_threadpool(current_user, request)
    member = require_role(user, slug, *PLANNERS)
    form = await read_form(request)
    services = services_of(request)
    year = services.today().year + 1
    result: BudgetImport | None = None
    problems: list[FieldProblem] = []
    headline: str | None = None
    status = 200
    try:
        year = _year(str(form.get("tahun", "")), year)
        filename, content = await read_workbook_upload(form, services.settings.max_workbook_mb)
        # Reading the workbook and writing the budget run in a worker thread: never on the event loop.
        result = await run_in_threadpool(_import_budget, _documents(request), slug, year, filename, content,
                                         user.username)
    except ValidationError as exc:
        problems, headline, status = list(exc.problems), exc.headline, exc.http_status
    except TatakelolaError as exc:
        headline, status = exc.message, exc.http_status
    context = await run_in_threadpool(_page_context, request, member, year)
    context.update(result=result, problems=problems, headline=headline)
    return page(request, "documents.html", user, status=status, **context)


def _period(dari: str, sampai: str) -> tuple[date, date]:
    """A report's period from the form's two dates (ISO), the end not before the start."""
    try:
        start, end = date.fromisoformat(dari), date.fromisoformat(sampai)
    except ValueError:
        raise ValidationError([FieldProblem("Tanggal", "pakai TTTT-BB-HH", "dari")],
                              headline="Tanggal tidak sah; pakai TTTT-BB-HH.") from None
    if end < start:
        raise ValidationError([FieldProblem("Tanggal akhir", "sebelum tanggal awal", "sampai")],
                              headline="Tanggal akhir sebelum tanggal awal.")
    return start, end


@router.get("/k/{slug}/laporan-pengawas.pdf")
def audit_report_pdf(request: Request, slug: str, dari: str, sampai: str) -> Response:
    user = current_user(request)
    require_role(user, slug, *AUDITORS)
    start, end = _period(dari, sampai)
    return _pdf(_documents(request).audit_report(slug, start, end))


@router.get("/k/{slug}/lhp.pdf")
def lhp_pdf(request: Request, slug: str, dari: str, sampai: str) -> Response:
    """The Laporan Hasil Pengawasan: pengawas of the cooperative and Dinas officers only."""
    user = current_user(request)
    require_role(user, slug, *AUDITORS)
    start, end = _period(dari, sampai)
    return _pdf(_documents(request).lhp(slug, start, end, actor=user.username))
