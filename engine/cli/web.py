"""``serve`` (the web application) and ``demo`` (an example cooperative to try it on).

The web stack (FastAPI, uvicorn) and the demo are imported inside the commands only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from engine.cli._context import cli_context
from engine.errors import ConfigurationError

if TYPE_CHECKING:
    from engine.services import Services
    from engine.settings import Settings

__all__ = ["WORKER_APP", "WORKER_APP_SECURE", "demo", "proxy_options", "serve", "worker_environment"]

#: What each process of ``serve --workers N`` imports and calls (uvicorn's app factory, by import string).
WORKER_APP = "engine.web.app:worker_app"
WORKER_APP_SECURE = "engine.web.app:worker_app_secure_cookies"


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
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64,
        help="Jumlah proses web (untuk PostgreSQL; dengan SQLite penulisan tetap antre satu per satu). "
             "Batas percobaan login dihitung per proses.")] = 1,
) -> None:
    """Jalankan aplikasi web."""
    import uvicorn

    from engine.web import create_app
    from engine.web.app import warm_up

    cli = cli_context(ctx)
    proxies = cli.settings.trusted_proxies
    if proxy:
        from engine.settings import Settings

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
    if workers > 1:
        environment = worker_environment(services.settings, proxies)
        _check_workers(services, workers, environment, cli.err)
        services.db.dispose()  # the workers open their own connections
        os.environ.update(environment)  # spawned workers inherit it; each builds Settings.from_env()
        cli.out.print(f"Tatakelola berjalan di http://{host}:{port}/ dengan {workers} proses — "
                      "tekan Ctrl+C untuk berhenti.")
        uvicorn.run(WORKER_APP_SECURE if secure_cookies else WORKER_APP, factory=True, workers=workers,
                    host=host, port=port, log_level="warning", **proxy_options(proxies))
        return
    app = create_app(services.settings, services=services, secure_cookies=secure_cookies)
    warm_up(app)
    cli.out.print(f"Tatakelola berjalan di http://{host}:{port}/ — tekan Ctrl+C untuk berhenti.")
    uvicorn.run(app, host=host, port=port, log_level="warning", **proxy_options(proxies))


def worker_environment(settings: Settings, proxies: tuple[str, ...]) -> dict[str, str]:
    """The TATAKELOLA_* variables from which each worker process rebuilds these settings.

    ``serve --workers N`` starts N fresh processes (uvicorn spawns them and imports the app
    factory by name), so settings travel the way every process receives them: the environment,
    read by ``Settings.from_env``. The cookie secret travels resolved, so that N workers never race
    to create the secret file and all of them sign cookies with the same key.
    """
    from engine.web.app import cookie_secret

    env = {"TATAKELOLA_DB": settings.db_url, "TATAKELOLA_SECRET": cookie_secret(settings),
           "TATAKELOLA_SESSION_HOURS": repr(settings.session_hours),
           "TATAKELOLA_TRUSTED_PROXIES": ",".join(proxies)}
    if settings.key_path is not None:
        env["TATAKELOLA_KEY"] = str(settings.key_path)
    if settings.workflow_dirs:
        env["TATAKELOLA_WORKFLOWS"] = os.pathsep.join(str(p) for p in settings.workflow_dirs)
    if settings.attachments_dir is not None:
        env["TATAKELOLA_ATTACHMENTS"] = str(settings.attachments_dir)
    if settings.source_date_epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(settings.source_date_epoch)
    return env


def _check_workers(services: Services, workers: int, environment: dict[str, str], err: Console) -> None:
    """Refuse what N processes cannot share; warn where they can but gain little (SQLite)."""
    if services.db.dialect == "sqlite":
        if services.db.sqlite_path is None:
            raise ConfigurationError(
                f"--workers {workers} tidak dapat dipakai dengan SQLite di memori: setiap proses akan punya "
                "basis datanya sendiri. Pakai berkas SQLite dengan --workers 1, atau PostgreSQL.")
        err.print(f"[yellow]Peringatan[/]: --workers {workers} dengan SQLite. Halaman dibaca oleh {workers} proses, "
                  "tetapi setiap penulisan tetap antre satu per satu (satu kunci untuk seluruh berkas), dan berkas "
                  "basis data harus berada di disk lokal, bukan folder jaringan. Untuk banyak pengguna sekaligus "
                  "pakai PostgreSQL.")
    from engine.settings import Settings

    rebuilt = Settings.from_env({**os.environ, **environment})
    expected = services.settings.model_copy(update={"web_secret": rebuilt.web_secret,
                                                    "trusted_proxies": rebuilt.trusted_proxies})
    if rebuilt.model_dump() != expected.model_dump():
        differs = sorted(k for k, v in rebuilt.model_dump().items() if expected.model_dump()[k] != v)
        raise ConfigurationError(
            "Setelan ini tidak dapat diteruskan ke proses pekerja lewat variabel TATAKELOLA_* "
            f"({', '.join(differs)}); jalankan dengan --workers 1.")


def proxy_options(proxies: tuple[str, ...]) -> dict[str, Any]:
    """uvicorn's proxy settings: X-Forwarded-For/-Proto are believed only from the proxies named.

    uvicorn by default believes them from 127.0.0.1, which would let anything on the server
    machine pose as any address and slip past the per-address login throttle.
    """
    if not proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(proxies)}
