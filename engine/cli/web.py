"""``serve`` (the web application) and ``demo`` (an example cooperative to try it on).

The web stack (FastAPI, uvicorn) and the demo are imported inside the commands only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.cli._context import cli_context
from engine.settings import Settings

__all__ = ["demo", "proxy_options", "serve"]


def demo(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Option("--dir", help="Folder basis data demo.")] = Path("tatakelola-demo"),
) -> None:
    """Buat KKMP contoh di Kota Mojokerto, jalankan beberapa kasus, dan verifikasi jejaknya."""
    from engine.demo import run_demo

    run_demo(directory, cli_context(ctx).out)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Alamat yang didengarkan.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Porta.")] = 8000,
    demo_mode: Annotated[bool, typer.Option("--demo", help="Jalankan di atas koperasi demo.")] = False,
    directory: Annotated[Path, typer.Option("--dir", help="Folder demo untuk --demo.")] = Path("tatakelola-demo"),
    secure_cookies: Annotated[bool, typer.Option("--secure-cookies", help="Cookie hanya lewat HTTPS.")] = False,
    proxy: Annotated[list[str] | None, typer.Option(
        "--proxy", metavar="ALAMAT",
        help="Alamat IP (atau jaringan CIDR) reverse proxy yang X-Forwarded-For-nya dipercaya; boleh berulang. "
             "Tanpa ini (dan tanpa TATAKELOLA_TRUSTED_PROXIES) alamat peminta adalah alamat koneksinya.")] = None,
) -> None:
    """Jalankan aplikasi web."""
    import uvicorn

    from engine.web import create_app

    cli = cli_context(ctx)
    proxies = cli.settings.trusted_proxies
    if proxy:
        proxies = Settings.from_env({}, trusted_proxies=tuple(proxy)).trusted_proxies  # validated like the variable
    if demo_mode:
        from engine.demo import demo_password, run_demo, set_demo_passwords

        services = run_demo(directory, Console(quiet=True))
        rows = set_demo_passwords(services)
        table = Table("Pengguna", "Kata sandi", "Nama", "Peran")
        for username, name, roles in rows:
            table.add_row(username, demo_password(username), escape(name), escape(roles))
        cli.out.print("[bold]Login demo[/] (hanya untuk basis data demo):")
        cli.out.print(table)
    else:
        services = cli.services
        services.require_schema()
    cli.out.print(f"Tatakelola berjalan di http://{host}:{port}/ — tekan Ctrl+C untuk berhenti.")
    uvicorn.run(create_app(services.settings, services=services, secure_cookies=secure_cookies),
                host=host, port=port, log_level="warning", **proxy_options(proxies))


def proxy_options(proxies: tuple[str, ...]) -> dict[str, Any]:
    """uvicorn's proxy settings: X-Forwarded-For/-Proto are believed only from the proxies named.

    uvicorn by default believes them from 127.0.0.1, which would let anything on the server
    machine pose as any address and slip past the per-address login throttle.
    """
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(proxies)}
