"""``tatakelola serve --workers N``: what reaches each worker process, and what is refused.

Each test is a tester's report. Workers are not started here (uvicorn spawns them); the tests
check the command's hand-over (the import string, the environment) and build worker apps the
way a worker does, from that environment alone.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from engine.cli.web import WORKER_APP, WORKER_APP_SECURE, worker_environment
from engine.demo import demo_password
from engine.errors import ConfigurationError
from engine.services import Services
from engine.settings import Settings
from engine.web.app import worker_app
from tests.conftest import ON_POSTGRES

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

VARIABLES = ("TATAKELOLA_DB", "TATAKELOLA_KEY", "TATAKELOLA_SECRET", "TATAKELOLA_SESSION_HOURS",
             "TATAKELOLA_TRUSTED_PROXIES", "TATAKELOLA_WORKFLOWS", "TATAKELOLA_ATTACHMENTS", "SOURCE_DATE_EPOCH")


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command writes TATAKELOLA_* for its workers; put every one back after the test."""
    for name in VARIABLES:
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)


def _serve(web_services: Services, monkeypatch: pytest.MonkeyPatch, *options: str) -> tuple[Any, dict[str, Any]]:
    from engine.cli import app as cli_app

    captured: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: captured.update(app=app, **kwargs))
    result = CliRunner().invoke(cli_app, ["--db", web_services.settings.db_url,
                                          "--key", str(web_services.settings.resolved_key_path), "serve", *options])
    return result, captured


def test_workers_start_from_an_import_string_with_the_settings_in_the_environment(
        web_services: Services, monkeypatch: pytest.MonkeyPatch, clean_environment: None) -> None:
    result, captured = _serve(web_services, monkeypatch, "--workers", "2", "--proxy", "127.0.0.1")
    assert result.exit_code == 0, result.output
    assert captured["app"] == WORKER_APP and captured["factory"] is True and captured["workers"] == 2
    assert captured["proxy_headers"] is True and captured["forwarded_allow_ips"] == ["127.0.0.1"]
    assert os.environ["TATAKELOLA_DB"] == web_services.settings.db_url
    assert os.environ["TATAKELOLA_KEY"] == str(web_services.settings.resolved_key_path)
    assert os.environ["TATAKELOLA_SECRET"]  # resolved once: every worker signs cookies with the same key
    rebuilt = Settings.from_env()
    assert (rebuilt.db_url, rebuilt.key_path, rebuilt.trusted_proxies) == (
        web_services.settings.db_url, web_services.settings.resolved_key_path, ("127.0.0.1",))
    assert "dengan 2 proses" in result.output
    if not ON_POSTGRES:
        assert "Peringatan" in result.output and "PostgreSQL" in result.output


def test_secure_cookies_reach_the_workers(web_services: Services, monkeypatch: pytest.MonkeyPatch,
                                          clean_environment: None) -> None:
    result, captured = _serve(web_services, monkeypatch, "--workers", "3", "--secure-cookies")
    assert result.exit_code == 0, result.output
    assert captured["app"] == WORKER_APP_SECURE


def test_one_worker_is_the_app_object_as_before(web_services: Services, monkeypatch: pytest.MonkeyPatch,
                                                clean_environment: None) -> None:
    result, captured = _serve(web_services, monkeypatch)
    assert result.exit_code == 0, result.output
    assert not isinstance(captured["app"], str) and "workers" not in captured
    assert "TATAKELOLA_SECRET" not in os.environ


def test_sqlite_in_memory_is_refused_for_several_workers(monkeypatch: pytest.MonkeyPatch,
                                                         clean_environment: None) -> None:
    from engine.cli import app as cli_app

    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: pytest.fail("must not start"))
    monkeypatch.setattr(Services, "require_schema", lambda self: None)
    result = CliRunner().invoke(cli_app, ["--db", "sqlite:///:memory:", "serve", "--workers", "2"])
    assert isinstance(result.exception, ConfigurationError) and "di memori" in str(result.exception)


def test_a_session_started_in_one_worker_is_honoured_by_another(
        web_services: Services, monkeypatch: pytest.MonkeyPatch, clean_environment: None) -> None:
    """Two worker apps built from the environment alone: log in on one, use the cookie on the other."""
    for name, value in worker_environment(web_services.settings, ()).items():
        monkeypatch.setenv(name, value)
    first, second = TestClient(worker_app()), TestClient(worker_app())
    token = first.get("/login").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    login = first.post("/login", data={"csrf": token, "username": "sri", "password": demo_password("sri")},
                       follow_redirects=False)
    assert login.status_code == 303
    second.cookies.update(first.cookies)
    assert second.get("/tugas", follow_redirects=False).status_code == 200
    fresh = second.get("/akun").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]  # login made a new one
    assert second.post("/logout", data={"csrf": fresh}, follow_redirects=False).status_code == 303
    assert first.get("/tugas", follow_redirects=False).status_code == 303  # ended in every worker
    for client in (first, second):
        client.app.state.services.db.dispose()  # type: ignore[attr-defined]


def test_health_endpoint_needs_no_session(browser) -> None:  # type: ignore[no-untyped-def]
    answer = browser.client.get("/sehat")
    assert answer.status_code == 200 and answer.text == "ok" and "set-cookie" not in answer.headers
