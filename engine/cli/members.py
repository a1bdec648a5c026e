"""``anggota``: the Buku Daftar Anggota (member register) — import, export, list, template.

The register itself is fed by the admission and resignation procedures; these commands are for
the sekretaris who keeps it: bring an existing register in from Excel, hand out a copy, see who
was a member on a meeting's date. Exports mask NIKs unless ``--nik-lengkap`` is given.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from engine.cli._context import cli_context
from engine.cli._output import shown
from engine.errors import FieldProblem, PayloadTooLargeError, ValidationError

__all__ = ["members_app"]

members_app = typer.Typer(
    help="Buku Daftar Anggota: impor/ekspor Excel, daftar anggota pada suatu tanggal, templat isian.",
    no_args_is_help=True,
)

Coop = Annotated[str, typer.Option("--coop", help="Kode koperasi, mis. kkmp-sentanan.")]


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    from engine.domain.limits import parse_date

    try:
        return parse_date(text)
    except ValueError as exc:
        raise ValidationError([FieldProblem(option, f"'{text[:40]}': {exc}")], headline="Tanggal tidak sah:") from None


@members_app.command("impor")
def members_import(
    ctx: typer.Context,
    coop: Coop,
    file: Annotated[Path, typer.Argument(help="Buku kerja Excel (.xlsx) Buku Daftar Anggota.")],
    as_user: Annotated[str | None, typer.Option("--as", help="Pengurus yang mengimpor (dicatat di jejak; tanpa ini "
                                                             "tercatat 'operator').")] = None,
) -> None:
    """Impor Buku Daftar Anggota dari Excel: tambah/ubah per nomor anggota; setiap sel yang salah disebutkan."""
    cli = cli_context(ctx)
    if not file.is_file():
        raise ValidationError([FieldProblem(str(file), "berkas tidak ditemukan")], headline="Berkas tidak ditemukan:")
    limit_mb = cli.settings.max_workbook_mb
    if file.stat().st_size > limit_mb * 1024 * 1024:
        raise PayloadTooLargeError([FieldProblem(str(file), f"lebih dari {limit_mb:g} MB")],
                                   headline="Berkas Buku Daftar Anggota terlalu besar:")
    result = cli.services.members.import_workbook(coop, file.read_bytes(), as_user)
    if result.changed:
        cli.out.print(f"Buku Daftar Anggota {shown(result.coop)}: {result.lines} baris dibaca, {result.added} "
                      f"ditambah, {result.updated} diubah; tercatat di jejak persetujuan.")
    else:
        cli.out.print(f"Buku Daftar Anggota {shown(result.coop)}: {result.lines} baris dibaca, tidak ada perubahan.")


@members_app.command("ekspor")
def members_export(
    ctx: typer.Context,
    coop: Coop,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Berkas .xlsx keluaran.")] = None,
    full_nik: Annotated[bool, typer.Option("--nik-lengkap", help="Tulis NIK lengkap (data pribadi; berkas dapat "
                                                                 "diimpor ulang). Tanpa ini NIK disamarkan.")] = False,
) -> None:
    """Ekspor seluruh Buku Daftar Anggota ke Excel (NIK disamarkan kecuali --nik-lengkap)."""
    cli = cli_context(ctx)
    services = cli.services
    data = services.members.export_workbook(coop, full_nik)
    target = output or Path(f"Buku-Daftar-Anggota-{coop}-{services.today().isoformat()}.xlsx")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    cli.out.print(f"Buku Daftar Anggota ditulis ke {shown(str(target))}")
    if full_nik:
        cli.err.print("[bold red]Perhatian:[/] berkas ini berisi NIK lengkap (data pribadi). Simpan di tempat aman, "
                      "jangan dibagikan, hapus setelah dipakai.")
    else:
        cli.err.print("NIK disamarkan; berkas ini tidak dapat diimpor ulang (pakai --nik-lengkap untuk itu).")


@members_app.command("daftar")
def members_list(
    ctx: typer.Context,
    coop: Coop,
    on: Annotated[str | None, typer.Option("--tanggal", help="Keadaan pada tanggal ini, mis. tanggal rapat "
                                                             "(TTTT-BB-HH; default hari ini).")] = None,
    include_former: Annotated[bool, typer.Option("--semua", help="Tampilkan juga yang sudah berhenti.")] = False,
) -> None:
    """Daftar anggota pada suatu tanggal (NIK disamarkan) dan jumlahnya."""
    from engine.domain.values import format_date_id, format_rupiah

    cli = cli_context(ctx)
    services = cli.services
    day = _day(on, "--tanggal") or services.today()
    rows = services.members.register(coop, day, include_former)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Nomor", overflow="fold", min_width=9)
    table.add_column("Nama", min_width=12)
    table.add_column("NIK", no_wrap=True)
    table.add_column("Masuk", no_wrap=True)
    if include_former:  # on the day itself everyone listed is a member: no "Keluar" to show
        table.add_column("Keluar", no_wrap=True)
    table.add_column("Simpanan\npokok (Rp)", justify="right", no_wrap=True)
    wide = cli.out.width >= 100  # a phone-sized terminal gets the register without the source column
    if wide:
        table.add_column("Sumber", overflow="fold")
    for row in rows:
        left = [row.left_on.strftime("%d-%m-%Y") if row.left_on else "—"] if include_former else []
        cells = [row.number, row.name, row.nik_masked, row.joined_on.strftime("%d-%m-%Y"), *left,
                 format_rupiah(row.simpanan_pokok).removeprefix("Rp "), *([row.source] if wide else [])]
        table.add_row(*(shown(c) for c in cells))
    active = sum(1 for r in rows if r.status == "aktif")
    former = len(rows) - active
    if rows:
        cli.out.print(table)
    total = f"{active} anggota pada {format_date_id(day)}"
    if include_former:
        total += f"; {former} sudah berhenti sebelumnya"
    cli.out.print(total)


@members_app.command("contoh")
def members_template(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="Berkas .xlsx keluaran.")] = Path(
        "contoh-buku-daftar-anggota.xlsx"),
) -> None:
    """Templat Buku Daftar Anggota kosong dengan dua baris contoh (hapus sebelum impor)."""
    from engine.services.members import example_workbook

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(example_workbook())
    cli_context(ctx).out.print(f"Templat Buku Daftar Anggota ditulis ke {shown(str(output))}; isi mulai baris 6, "
                               f"lalu: tatakelola anggota impor --coop KODE {shown(str(output))}")
