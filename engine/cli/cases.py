"""Cases: ``case start/act/show/list`` and ``tasks``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from engine.cli._context import cli_context
from engine.cli._options import CoopOpt
from engine.cli._output import shown
from engine.errors import UsageError

__all__ = ["case_app", "tasks"]

case_app = typer.Typer(help="Kasus: satu jalannya prosedur.", no_args_is_help=True)

AsUser = Annotated[str, typer.Option("--as", help="Pengguna yang bertindak (operator bertindak atas nama).")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", help="field=nilai (boleh berulang). Field daftar: JSON, mis. "
                  "calon='[{\"anggota\": \"siti\", \"jabatan\": \"Ketua\"}]', atau calon=@berkas.csv "
                  "(baris pertama: kode atau nama kolom; UTF-8, maks. 1 MB).")]
#: Largest CSV file a list field is read from (``--set calon=@calon.csv``).
CSV_MAX_BYTES = 1024 * 1024
AttachOpt = Annotated[list[str] | None, typer.Option("--attach", help="BERKAS atau field=BERKAS.")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="Catatan untuk riwayat.")]
RequestIdOpt = Annotated[str | None, typer.Option(
    "--request-id", help="ID permintaan (mis. UUID): bila perintah diulang dengan ID yang sama, hasil pertama "
                         "yang dikembalikan, bukan kasus kedua atau 'sudah diputuskan'.")]


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"tulis {option} field=nilai (diterima: {item!r})")
        result[name.strip()] = _csv_rows(value[1:], name.strip()) if _is_csv(value) else value
    return result


def _is_csv(value: str) -> bool:
    """``@berkas.csv``: the rows of a list field, read from a CSV file."""
    return value.startswith("@") and value.lower().endswith(".csv")


def _csv_rows(path_text: str, name: str) -> str:
    """A CSV file (header row: column ids or labels) as the JSON rows ``--set`` passes on; the service
    parses each cell by its column's rules."""
    import csv
    import io
    import json

    from engine.domain.definitions.model import MAX_LIST_ROWS

    path = Path(path_text)
    where = f"--set {name}=@{path_text[:80]}"
    try:
        size = path.stat().st_size
        if size > CSV_MAX_BYTES:
            raise UsageError(f"{where}: berkas terlalu besar ({size // 1024} KB, maksimal {CSV_MAX_BYTES // 1024} KB)")
        data = path.read_bytes()
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "nama berkas tidak sah"
        raise UsageError(f"{where}: berkas tidak dapat dibaca ({reason})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{where}: berkas bukan teks UTF-8; simpan ulang sebagai 'CSV UTF-8'") from None
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UsageError(f"{where}: berkas CSV tidak dapat dibaca ({exc})") from None
    while table and not any(cell.strip() for cell in table[-1]):  # blank lines at the end
        table.pop()
    if not table:
        return ""
    header = [cell.strip() for cell in table[0]]
    if len(table) - 1 > MAX_LIST_ROWS:
        raise UsageError(f"{where}: terlalu banyak baris ({len(table) - 1}, maksimal {MAX_LIST_ROWS})")
    rows = []
    for number, row in enumerate(table[1:], start=1):
        if len(row) > len(header):
            raise UsageError(f"{where}: baris {number} berisi {len(row)} sel, padahal judul kolomnya {len(header)}")
        rows.append({header[i]: cell for i, cell in enumerate(row) if header[i]})
    return json.dumps(rows, ensure_ascii=False)


def _files(items: list[str] | None) -> dict[str, Path]:
    result: dict[str, Path] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if sep and name and not _exists(item):
            result[name.strip()] = Path(value)
        else:
            result[""] = Path(item)
    return result


def _exists(path: str) -> bool:
    """Whether a file of that name exists (an impossible name, too long or with NUL, does not)."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


@case_app.command("start")
def case_start(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="ID prosedur.")],
    coop: Annotated[str, typer.Option("--coop", help="Kode koperasi.")],
    as_user: AsUser,
    set_: SetOpt = None,
    attach: AttachOpt = None,
    comment: CommentOpt = None,
    request_id: RequestIdOpt = None,
) -> None:
    """Mulai kasus baru; mencetak nomor kasus."""
    cli = cli_context(ctx)
    view = cli.services.start_case(workflow, coop, as_user, values=_pairs(set_, "--set"),
                                   files=_files(attach), comment=comment, request_id=request_id)
    cli.out.print(shown(view.summary.number))
    cli.err.print(f"Kasus {shown(view.summary.number)} dimulai; status: {shown(view.summary.status)}. "
                  f"Lihat: tatakelola case show {shown(view.summary.number)} --as {shown(as_user)}")


@case_app.command("act")
def case_act(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Nomor kasus, mis. KAS/2026/0001.")],
    action: Annotated[str, typer.Argument(help="ID aksi, mis. ajukan, setujui, tolak.")],
    as_user: AsUser,
    set_: SetOpt = None,
    check: Annotated[list[str] | None, typer.Option("--check", help="ID butir checklist yang sudah dipenuhi.")] = None,
    comment: CommentOpt = None,
    attach: AttachOpt = None,
    coop: CoopOpt = None,
    request_id: RequestIdOpt = None,
) -> None:
    """Ambil aksi pada kasus (ajukan, verifikasi, setujui, tolak, kembalikan ...)."""
    cli = cli_context(ctx)
    result = cli.services.act(case, action, as_user, values=_pairs(set_, "--set"), checks=check or [],
                              comment=comment, files=_files(attach), coop_slug=coop, request_id=request_id)
    if result.fired:
        cli.out.print(f"{shown(result.number)}: {shown(result.action)} tercatat (#{result.seq}); "
                      f"status kini: {shown(result.state_title)}.")
    else:
        cli.out.print(f"{shown(result.number)}: suara '{shown(result.action)}' tercatat (#{result.seq}); "
                      f"{result.votes} dari {result.needed} suara; status tetap: {shown(result.state_title)}.")


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="Nomor kasus.")],
    as_user: Annotated[str | None, typer.Option("--as", help="Tampilkan aksi untuk pengguna ini.")] = None,
    coop: CoopOpt = None,
) -> None:
    """Status, panduan, checklist, dan aksi yang boleh diambil (dengan alasannya bila tidak)."""
    from engine.cli._case_view import print_view  # Babel and the definitions: only once a case is shown

    cli = cli_context(ctx)
    services = cli.services
    print_view(cli.out, services.show(case, as_user, coop_slug=coop), services.tz)


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    coop: CoopOpt = None,
    open_: Annotated[bool, typer.Option("--open", help="Hanya kasus yang belum selesai.")] = False,
) -> None:
    """Daftar kasus."""
    from engine.cli._case_view import due_text

    cli = cli_context(ctx)
    table = Table("Nomor", "Koperasi", "Prosedur", "Status", "Tenggat")
    services = cli.services
    for s in services.list_cases(coop, open_only=open_):
        table.add_row(shown(s.number), shown(s.coop), shown(s.title), shown(s.status),
                      due_text(s.due, s.overdue, services.tz))
    cli.out.print(table)


def tasks(ctx: typer.Context, as_user: AsUser, coop: CoopOpt = None) -> None:
    """Tugas saya: kasus yang menunggu tindakan pengguna ini."""
    from engine.cli._case_view import due_text

    cli = cli_context(ctx)
    services = cli.services
    rows = services.tasks(as_user, coop)
    if not rows:
        cli.out.print("Tidak ada tugas yang menunggu Anda.")
        return
    table = Table("Nomor", "Prosedur", "Status", "Tenggat", "Aksi Anda")
    for summary, options in rows:
        table.add_row(shown(summary.number), shown(summary.title), shown(summary.status),
                      due_text(summary.due, summary.overdue, services.tz),
                      shown(", ".join(o.id for o in options)))
    cli.out.print(table)
