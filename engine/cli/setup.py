"""Setting up: ``init``, ``org import``/``org list``, ``user password``/``user set-email``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from engine.cli._context import cli_context
from engine.cli._output import shown

__all__ = ["init", "org_app", "user_app"]

org_app = typer.Typer(help="Data organisasi: koperasi, pengurus, pengawas, anggota.", no_args_is_help=True)
user_app = typer.Typer(help="Pengguna aplikasi web.", no_args_is_help=True)


def init(ctx: typer.Context) -> None:
    """Siapkan atau perbarui skema basis data dan buat kunci penanda tangan."""
    cli = cli_context(ctx)
    services = cli.services
    path, created = services.init()
    cli.out.print(f"Basis data siap: {services.database_url}")
    if created:
        cli.out.print(f"Kunci penanda tangan dibuat: {path} (simpan salinannya di tempat aman)")
    else:
        cli.out.print(f"Kunci penanda tangan dipakai: {path}")
    cli.out.print(f"Kunci verifikasi untuk pengawas: {services.signer.verifier_key}")
    certificate = services.document_certificate()
    if certificate is not None:
        cli.out.print(f"Sertifikat tanda tangan PDF: {shown(str(certificate.path))} "
                      f"({shown(certificate.subject)}, sidik SHA-256 {certificate.sha256})")


@org_app.command("import")
def org_import(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="Berkas organisasi (YAML).")]) -> None:
    """Impor koperasi, setting AD/ART, orang dan masa jabatan (aman diulang)."""
    cli = cli_context(ctx)
    summary = cli.services.import_org(file)
    cli.out.print(
        f"Impor selesai: koperasi +{summary.cooperatives_added} (diperbarui {summary.cooperatives_updated}), "
        f"orang +{summary.people_added} (diperbarui {summary.people_updated}), "
        f"jabatan +{summary.terms_added} (diperbarui {summary.terms_updated})"
        + (f", anggota +{summary.members_added} (diperbarui {summary.members_updated})"
           if summary.members_added or summary.members_updated else "") + "."
    )


@org_app.command("list")
def org_list(ctx: typer.Context) -> None:
    """Daftar koperasi."""
    cli = cli_context(ctx)
    table = Table("Kode", "Nama", "Kota", "Pemegang jabatan", "Kasus terbuka")
    for coop, holders, open_cases in cli.services.cooperatives():
        table.add_row(shown(coop.slug), shown(coop.name), shown(coop.city or "—"), str(holders), str(open_cases))
    cli.out.print(table)


@user_app.command("password")
def user_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Nama pengguna.")],
    stdin: Annotated[bool, typer.Option("--stdin", help="Baca kata sandi dari masukan standar.")] = False,
) -> None:
    """Atur kata sandi web seseorang (argon2id)."""
    cli = cli_context(ctx)
    if stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Kata sandi baru", hide_input=True, confirmation_prompt="Ulangi kata sandi")
    cli.services.set_password(username, password)
    cli.out.print(f"Kata sandi {shown(username)} sudah diatur.")


@user_app.command("set-email")
def user_set_email(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Nama pengguna.")],
    email: Annotated[str | None, typer.Argument(help="Alamat e-mail untuk pemberitahuan.")] = None,
    clear: Annotated[bool, typer.Option("--hapus", help="Hapus alamatnya (pemberitahuan hanya di aplikasi web).")]
    = False,
) -> None:
    """Atur alamat e-mail pemberitahuan seseorang."""
    from engine.errors import FieldProblem, ValidationError

    cli = cli_context(ctx)
    if (email is None) == (not clear):
        raise ValidationError([FieldProblem("EMAIL", "sebutkan alamatnya, atau --hapus untuk menghapus")],
                              headline="Alamat e-mail belum disebutkan:")
    stored = cli.services.notifications.set_email(username, None if clear else email)
    if stored is None:
        cli.out.print(f"Alamat e-mail {shown(username)} dihapus; pemberitahuannya hanya tampil di aplikasi web.")
    else:
        cli.out.print(f"Pemberitahuan untuk {shown(username)} dikirim ke {shown(stored)}.")
