"""``doc``: issue and verify printed documents.

"RAPD", the spelling local officials often use, is accepted as an alias of RAPB in command
names; documents always print RAPB. The documents package pulls in WeasyPrint, so it is only
imported inside the commands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from engine.cli._context import CliContext, cli_context
from engine.errors import ChecksFailedError, FieldProblem, ValidationError

if TYPE_CHECKING:  # the documents package pulls in WeasyPrint: load it only when a doc command runs
    from engine.services.documents import DocumentService, IssuedPdf, PdfVerification

__all__ = ["doc_app"]

doc_app = typer.Typer(
    help="Dokumen cetak: SOP, Buku SOP, SOM, Rencana Kerja, RAPB, Berita Acara, laporan pengawas; verifikasi PDF.",
    no_args_is_help=True,
)


def _documents(ctx: typer.Context) -> DocumentService:
    return cli_context(ctx).services.documents


def _write(ctx: typer.Context, issued: IssuedPdf, output: Path | None) -> None:
    cli = cli_context(ctx)
    target = output or Path(issued.filename)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(issued.data)
    recorded = "tercatat di basis data" if issued.recorded else "tidak dicatat (basis data belum disiapkan)"
    signed = (f"ditandatangani {issued.signed_by}" if issued.signed_by else
              "tanpa tanda tangan digital (belum ada kunci instalasi; jalankan `tatakelola init`)")
    cli.out.print(f"Dokumen {escape(issued.number)} ({issued.pages} halaman) ditulis ke {escape(str(target))}")
    cli.err.print(f"SHA-256 {issued.sha256}; {recorded}; {escape(signed)}.")


def _parse_date(text: str, option: str) -> date:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    raise ValidationError([FieldProblem(option, f"tanggal '{text}' tidak dikenali; tulis TTTT-BB-HH atau HH-BB-TTTT")])


Output = Annotated[Path | None, typer.Option("-o", "--output", help="Berkas keluaran (default: nomor dokumen).")]
Coop = Annotated[str, typer.Option("--coop", help="Kode koperasi, mis. kkmp-sentanan.")]
Year = Annotated[int, typer.Option("--year", help="Tahun anggaran, mis. 2027.", min=2000, max=2100)]


def _command(name: str, *aliases: str, help_text: str | None = None) -> Callable[[Callable[..., None]],
                                                                                 Callable[..., None]]:
    """Register a command under its name and hidden aliases (e.g. ``rapd`` for ``budget``)."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        doc_app.command(name, help=help_text)(function)
        for alias in aliases:
            doc_app.command(alias, hidden=True, help=help_text)(function)
        return function

    return decorate


@_command("sop")
def doc_sop(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="ID prosedur, mis. pengeluaran_kas.")],
    output: Output = None,
    coop: Annotated[str | None, typer.Option("--coop", help="Isi nama pejabat dan setting koperasi ini.")] = None,
) -> None:
    """SOP satu prosedur (format Permenpan-RB 35/2012): sampul, identitas, bagan alir, ketentuan pelaksanaan."""
    _write(ctx, _documents(ctx).sop(workflow, coop), output)


@_command("book", "buku")
def doc_book(ctx: typer.Context, coop: Coop, output: Output = None) -> None:
    """Buku SOP koperasi: sampul, lembar pengesahan, daftar isi, dan semua prosedur."""
    _write(ctx, _documents(ctx).book(coop), output)


@_command("work-plan", "rk", "rencana-kerja")
def doc_work_plan(ctx: typer.Context, coop: Coop, year: Year, output: Output = None) -> None:
    """Rencana Kerja tahunan (organisasi dan kelembagaan, usaha, keuangan dan permodalan)."""
    _write(ctx, _documents(ctx).work_plan(coop, year), output)


@_command("budget", "rapb", "rapd")
def doc_budget(ctx: typer.Context, coop: Coop, year: Year, output: Output = None) -> None:
    """RAPB tahunan (juga dapat ditulis `doc rapd`): pendapatan, biaya, rencana SHU, investasi, sumber dana."""
    _write(ctx, _documents(ctx).budget(coop, year), output)


@_command("budget-import", "rapb-import", "rapd-import")
def doc_budget_import(
    ctx: typer.Context,
    coop: Coop,
    year: Year,
    file: Annotated[Path, typer.Argument(help="Buku kerja Excel (.xlsx) RAPB dan Rencana Kerja.")],
    as_user: Annotated[str | None, typer.Option("--as", help="Pengurus yang mengimpor (dicatat di jejak; "
                                                             "tanpa ini tercatat 'operator').")] = None,
) -> None:
    """Impor RAPB dan Rencana Kerja dari buku kerja Excel; setiap sel yang salah disebutkan."""
    if not file.is_file():
        raise ValidationError([FieldProblem(str(file), "berkas tidak ditemukan")])
    from engine.domain.budget import SECTIONS

    result = _documents(ctx).import_budget(coop, year, file, actor=as_user)
    parts = ", ".join(f"{SECTIONS[code].lower()} {count}" for code, count in result.lines.items() if count)
    state = "tidak berubah" if not result.changed else "disimpan"
    revision = f", revisi ke-{result.revision}" if result.revision else ""
    cli_context(ctx).out.print(f"RAPB {year} {result.coop} {state} (status {result.status}{revision}): {parts}; "
                               f"rencana kerja {result.plan_items} kegiatan.")


@_command("budget-export", "rapb-export", "rapd-export")
def doc_budget_export(
    ctx: typer.Context,
    coop: Coop,
    year: Year,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Berkas .xlsx keluaran.")] = None,
    example: Annotated[bool, typer.Option("--contoh", help="Tulis contoh isian, bukan data tersimpan.")] = False,
) -> None:
    """Ekspor RAPB dan Rencana Kerja ke Excel dengan tata letak yang sama dengan impor."""
    data = _documents(ctx).export_budget(coop, year, example=example)
    target = output or Path(f"RAPB-{year}.xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    cli_context(ctx).out.print(f"Buku kerja RAPB {year} ditulis ke {escape(str(target))}")


@_command("minutes", "berita-acara", "ba")
def doc_minutes(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Nomor kasus, mis. KAS/2026/0001.")],
    output: Output = None,
    coop: Annotated[str | None, typer.Option("--coop", help="Kode koperasi bila nomor kasus ganda.")] = None,
) -> None:
    """Berita Acara keputusan sebuah kasus, dengan bukti jejak tertanam."""
    _write(ctx, _documents(ctx).minutes(case, coop), output)


@_command("audit-report", "laporan-pengawas")
def doc_audit_report(
    ctx: typer.Context,
    coop: Coop,
    start: Annotated[str, typer.Option("--from", help="Tanggal awal periode (TTTT-BB-HH).")],
    end: Annotated[str, typer.Option("--to", help="Tanggal akhir periode (TTTT-BB-HH).")],
    output: Output = None,
) -> None:
    """Laporan jejak persetujuan untuk pengawas selama satu periode, dengan status verifikasinya."""
    _write(ctx, _documents(ctx).audit_report(coop, _parse_date(start, "--from"), _parse_date(end, "--to")), output)


@_command("lhp", "laporan-hasil-pengawasan")
def doc_lhp(
    ctx: typer.Context,
    coop: Coop,
    start: Annotated[str, typer.Option("--dari", help="Tanggal awal periode (TTTT-BB-HH).")],
    end: Annotated[str, typer.Option("--sampai", help="Tanggal akhir periode (TTTT-BB-HH).")],
    output: Annotated[Path | None, typer.Option("-o", "--out", "--output",
                                                help="Berkas keluaran (default: nomor dokumen).")] = None,
) -> None:
    """Laporan Hasil Pengawasan (LHP): kelembagaan, usaha, keuangan, temuan, rekomendasi, tindak lanjut."""
    _write(ctx, _documents(ctx).lhp(coop, _parse_date(start, "--dari"), _parse_date(end, "--sampai")), output)


@_command("som", "standar-operasional-manajemen")
def doc_som(
    ctx: typer.Context,
    coop: Coop,
    output: Annotated[Path | None, typer.Option("-o", "--out", "--output",
                                                help="Berkas keluaran (default: nomor dokumen).")] = None,
) -> None:
    """Standar Operasional Manajemen (SOM): organ, matriks kewenangan, uraian tugas, buku wajib, daftar SOP."""
    _write(ctx, _documents(ctx).som(coop), output)


def _verification(cli: CliContext, data: bytes, db: str | None, offline: bool) -> tuple[PdfVerification, bool]:
    """Check a PDF; against ``--db``, else the configured database, unless offline or none is named."""
    if offline or not (db or cli.db_configured):
        from zoneinfo import ZoneInfo

        from engine.services.documents import verify_pdf

        return verify_pdf(data, tz=ZoneInfo(cli.settings.timezone)), False
    services = cli.services if not db else cli.services_for(cli.settings.model_copy(update={"db_url": db}))
    return services.documents.verify(data), True


@doc_app.command("verify")
def doc_verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Berkas PDF terbitan Tatakelola.")],
    db: Annotated[str | None, typer.Option("--db", help="Cocokkan juga dengan basis data ini.")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="Jangan cocokkan dengan basis data.")] = False,
) -> None:
    """Periksa lampiran, bukti inklusi dan checkpoint sebuah PDF; keluar 1 bila ada yang tidak cocok."""
    cli = cli_context(ctx)
    out = cli.out
    if not file.is_file():
        raise ValidationError([FieldProblem(str(file), "berkas tidak ditemukan")])
    result, against_db = _verification(cli, file.read_bytes(), db, offline)
    title = f"{result.number} — {result.title}" if result.number else file.name
    out.print(f"[bold]{escape(title)}[/]")
    for check in result.checks:
        mark = "[green]✔[/]" if check.ok else "[red]✘[/]"
        out.print(f"  {mark} {escape(check.message)}")
    where = "dan dengan basis data" if against_db else "tanpa basis data"
    if result.ok:
        out.print(f"[green]Dokumen sah[/]: bukti tertanam cocok ({where}).")
        return
    first = result.problems[0].message if result.problems else "tidak ada bukti yang dapat diperiksa"
    first = re.sub(r"\s+", " ", first)
    out.print(f"[red]Dokumen TIDAK sah[/]: {escape(first)}")
    raise ChecksFailedError(f"Dokumen {file.name} tidak lolos verifikasi.")
