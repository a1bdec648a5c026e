"""Sessions a person can end: logout, password change, end of term, expiry; the login throttle,
proxy headers, the password policy and no-store caching. Each test is a tester's report."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from itsdangerous import TimestampSigner
from sqlalchemy import select, update
from typer.testing import CliRunner

from engine.adapters.store.models import Person, RoleAssignment, WebSession
from engine.errors import ValidationError
from engine.services import Services
from engine.services.admin import LoginThrottle
from tests.conftest import Clock
from tests.helpers import KAS_VERIFY_CHECKS, submitted_kas
from tests.web.conftest import Browser

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
OWN = "kkmp-sentanan"
COOKIE = "tatakelola_sesi"
STRONG = "Kopi-Tubruk-Sentanan"


class Monotonic:
    """A controllable ``time.monotonic`` for the login throttle."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(web_services: Services) -> Monotonic:
    clock = Monotonic()
    web_services.accounts.throttle.clock = clock
    return clock


def replay(app: Any, cookie: str) -> TestClient:
    """Another browser that holds a saved copy of a session cookie."""
    client = TestClient(app, raise_server_exceptions=False)
    client.cookies.set(COOKIE, cookie)
    return client


def cookie_contents(cookie: str) -> dict[str, Any]:
    payload = TimestampSigner("test-secret").unsign(cookie.encode(), max_age=None)
    return dict(json.loads(base64.b64decode(payload)))


def sessions_of(services: Services, username: str) -> list[WebSession]:
    with services.db.session() as session:
        person_id = session.scalar(select(Person.id).where(Person.username == username))
        return list(session.scalars(select(WebSession).where(WebSession.person_id == person_id)
                                    .order_by(WebSession.created_at)))


# -- logout ----------------------------------------------------------------------------------


def test_a_cookie_saved_before_logout_opens_nothing_afterwards(app, as_user) -> None:
    sri = as_user("sri")
    saved = sri.client.cookies[COOKIE]
    assert replay(app, saved).get("/tugas", follow_redirects=False).status_code == 200

    assert sri.post_form("/logout", {}).status_code == 200  # followed to the login page

    page = replay(app, saved).get("/tugas", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    api = replay(app, saved).get("/api/tugas")
    assert api.status_code == 401 and "masuk" in api.json()["error"]


def test_a_decision_from_a_cookie_saved_before_logout_is_refused_and_writes_nothing(
        app, as_user, web_services: Services, files) -> None:
    number = submitted_kas(web_services, 900_000, files("n.pdf"))
    url = f"/k/{OWN}/kasus/{number}"
    sri = as_user("sri")
    token = sri.csrf(url)
    saved = sri.client.cookies[COOKIE]
    sri.post_form("/logout", {})

    form = {"csrf": token, "action": "verifikasi", **{f"c.{c}": "1" for c in KAS_VERIFY_CHECKS}}
    page = replay(app, saved).post(url + "/aksi", data=form, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    api = replay(app, saved).post(f"/api/koperasi/{OWN}/kasus/{number}/aksi", headers={"X-CSRF-Token": token},
                                  json={"action": "verifikasi", "checks": list(KAS_VERIFY_CHECKS)})
    assert api.status_code == 401
    assert web_services.show(number, "sri").summary.state == "verifikasi_bendahara"


def test_the_api_can_log_out_too(app) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    login = client.post("/api/login", json={"username": "bambang", "password": "bambang-demo"})
    csrf = login.json()["csrf"]
    saved = client.cookies[COOKIE]
    assert client.post("/api/logout").status_code == 403  # without the CSRF header
    assert client.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert replay(app, saved).get("/api/koperasi").status_code == 401


def test_the_cookie_holds_a_token_whose_hash_alone_is_stored(browser: Browser, web_services: Services) -> None:
    browser.login("sri")
    contents = cookie_contents(browser.client.cookies[COOKIE])
    assert "uid" not in contents and contents["user"] == "sri"
    token = contents["sid"]
    [row] = sessions_of(web_services, "sri")
    assert row.id == hashlib.sha256(token.encode()).hexdigest() and token not in row.id
    assert row.revoked_at is None and row.user_agent == "testclient"


# -- password change -------------------------------------------------------------------------


def test_a_password_change_ends_every_other_session_of_that_person(app, as_user, web_services: Services) -> None:
    phone, laptop = as_user("siti"), as_user("siti")
    api = TestClient(app, raise_server_exceptions=False)
    assert api.post("/api/login", json={"username": "siti", "password": "siti-demo"}).status_code == 200
    before = phone.client.cookies[COOKIE]

    changed = phone.post_form("/akun/sandi", {"lama": "siti-demo", "baru": STRONG, "ulang": STRONG})
    assert changed.status_code == 200 and "sudah diganti" in changed.text

    stale = laptop.client.get("/tugas", follow_redirects=False)
    assert stale.status_code == 303 and stale.headers["location"].startswith("/login")
    assert api.get("/api/tugas").status_code == 401
    # The browser that changed it goes on, under a fresh token; its old token is dead like the others.
    assert phone.client.get("/tugas", follow_redirects=False).status_code == 200
    assert cookie_contents(phone.client.cookies[COOKIE])["sid"] != cookie_contents(before)["sid"]
    assert replay(app, before).get("/tugas", follow_redirects=False).status_code == 303
    rows = sessions_of(web_services, "siti")
    assert [r.reason for r in rows if r.revoked_at is not None] == ["kata sandi diganti"] * 3
    assert len([r for r in rows if r.revoked_at is None]) == 1


def test_an_operator_password_reset_ends_every_session(as_user, web_services: Services) -> None:
    siti = as_user("siti")
    web_services.set_password("siti", STRONG)
    assert siti.client.get("/tugas", follow_redirects=False).status_code == 303
    assert {r.reason for r in sessions_of(web_services, "siti")} == {"kata sandi diatur ulang"}


# -- end of term, expiry ----------------------------------------------------------------------


def test_a_person_whose_last_term_ended_is_logged_out(as_user, web_services: Services, clock: Clock) -> None:
    hadi = as_user("hadi")  # ketua of kkmp-kranggan, no other role anywhere
    assert hadi.client.get("/tugas", follow_redirects=False).status_code == 200
    with web_services.db.session() as session:
        hadi_id = session.scalar(select(Person.id).where(Person.username == "hadi"))
        session.execute(update(RoleAssignment).where(RoleAssignment.person_id == hadi_id)
                        .values(ends_on=clock().date() - timedelta(days=1)))

    page = hadi.client.get("/tugas", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert [r.reason for r in sessions_of(web_services, "hadi")] == ["masa jabatan berakhir"]
    again = hadi.login("hadi")
    assert again.status_code == 401 and "masa jabatan berakhir" in again.text


def test_a_session_expires_after_the_configured_hours(as_user, web_services: Services, clock: Clock) -> None:
    sri = as_user("sri")
    clock.advance(hours=web_services.settings.session_hours - 0.1)
    assert sri.client.get("/tugas", follow_redirects=False).status_code == 200
    clock.advance(hours=0.2)
    assert sri.client.get("/tugas", follow_redirects=False).status_code == 303
    assert sri.client.get("/api/tugas").status_code == 401


# -- the throttle ------------------------------------------------------------------------------


def _wait_of(text: str) -> int:
    found = re.search(r"Coba lagi dalam (\d+) (detik|menit)", text)
    assert found, text[:300]
    return int(found.group(1)) * (60 if found.group(2) == "menit" else 1)


def test_logging_in_to_ones_own_account_between_guesses_does_not_reset_the_address(
        browser: Browser, ticks: Monotonic) -> None:
    answers = []
    for attempt in range(12):
        response = browser.login("sri", "salah-sandi" if attempt % 2 == 0 else None)
        answers.append(response.status_code)
        ticks.now += 1  # a guess every second: well over 12 a minute
    assert 429 in answers, answers
    refused = browser.login("sri")
    assert refused.status_code == 429 and "Terlalu banyak percobaan" in refused.text
    ticks.now += _wait_of(refused.text)
    assert browser.login("sri").status_code == 303  # the real person gets in after the wait: no lock-out


def test_the_waits_grow_and_are_forgotten_over_the_window() -> None:
    clock = Monotonic()
    throttle = LoginThrottle(limit=3, window=300, clock=clock)
    for _ in range(3):
        assert throttle.blocked_for("a:x") == 0
        throttle.failed("a:x")
    waits = []
    for _ in range(5):
        wait = throttle.blocked_for("a:x")
        waits.append(wait)
        clock.now += wait - 1
        assert throttle.blocked_for("a:x") == 1
        clock.now += 1
        assert throttle.blocked_for("a:x") == 0
        throttle.failed("a:x")
    assert waits == [2, 4, 8, 16, 32]
    assert throttle.delay(40) == 300  # never longer than the window
    clock.now += 301
    assert throttle.blocked_for("a:x") == 0
    throttle.failed("a:x")
    assert throttle.blocked_for("a:x") == 0  # the old failures are forgotten: below the limit again


def test_a_success_clears_only_the_user_names_counter(browser: Browser, ticks: Monotonic) -> None:
    for _ in range(4):
        assert browser.login("bambang", "salah-sandi").status_code == 401
    assert browser.login("sri").status_code == 303  # fifth attempt from this address, a good one
    assert browser.login("fajar", "salah-sandi").status_code == 401  # fifth failure from this address
    assert browser.login("agus").status_code == 429  # the address waits, whoever logs in


def test_x_forwarded_for_from_the_test_client_is_ignored(browser: Browser, ticks: Monotonic) -> None:
    for i in range(5):
        response = browser.client.post("/api/login", json={"username": f"tamu{i}", "password": "salah-sandi"},
                                       headers={"X-Forwarded-For": f"203.0.113.{i}"})
        assert response.status_code == 401
    blocked = browser.client.post("/api/login", json={"username": "tamu9", "password": "salah-sandi"},
                                  headers={"X-Forwarded-For": "198.51.100.7"})
    assert blocked.status_code == 429  # counted against the real peer, not the header


# -- tatakelola serve: whose X-Forwarded-For is believed ----------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve_with(web_services: Services, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run ``tatakelola serve`` with these options, on a real uvicorn, as the command configures it."""
    from engine.cli import app as cli_app

    @contextlib.contextmanager
    def run(*options: str) -> Iterator[str]:
        captured: dict[str, Any] = {}
        monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: captured.update(app=app, **kwargs))
        monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
        result = CliRunner().invoke(cli_app, ["--db", web_services.settings.db_url,
                                              "--key", str(web_services.settings.resolved_key_path),
                                              "serve", *options])
        assert result.exit_code == 0, result.output
        port = _free_port()
        config = {k: v for k, v in captured.items() if k not in ("app", "host", "port", "log_level")}
        server = uvicorn.Server(uvicorn.Config(captured["app"], host="127.0.0.1", port=port, log_level="warning",
                                               **config))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)
            captured["app"].state.services.db.dispose()

    return run


def _spray(base: str) -> list[int]:
    """Six wrong logins to six user names from 127.0.0.1, each claiming another address."""
    with httpx.Client(base_url=base) as client:
        return [client.post("/api/login", json={"username": f"tamu{i}", "password": "salah-sandi"},
                            headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(6)]


def test_serve_believes_no_forwarded_address_by_default(serve_with) -> None:  # type: ignore[no-untyped-def]
    with serve_with() as base:
        assert _spray(base) == [401] * 5 + [429]


def test_serve_believes_the_proxy_it_is_told_about(serve_with) -> None:  # type: ignore[no-untyped-def]
    with serve_with("--proxy", "127.0.0.1") as base:
        assert _spray(base) == [401] * 6


def test_serve_refuses_a_proxy_that_is_not_an_address(web_services: Services) -> None:
    from engine.cli import app as cli_app

    result = CliRunner().invoke(cli_app, ["--db", web_services.settings.db_url, "serve", "--proxy", "proxy.lokal"])
    assert result.exit_code != 0 and "bukan alamat IP" in str(result.exception)


# -- the password policy --------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "why"), [
    ("12345678", "minimal 10 karakter"),
    ("password123", "paling sering dipakai"),
    ("1234567890", "paling sering dipakai"),
    ("maemunah2026", "nama Anda sendiri"),  # siti is Siti Maemunah
    ("qwertyuiop", "paling sering dipakai"),
])
def test_weak_passwords_are_refused_in_indonesian(as_user, password: str, why: str) -> None:
    siti = as_user("siti")
    refused = siti.post_form("/akun/sandi", {"lama": "siti-demo", "baru": password, "ulang": password})
    alert = re.search(r'role="alert">([^<]*)<', refused.text)
    assert refused.status_code == 400 and alert and why in alert.group(1), refused.text[-800:]
    assert not re.search(r"\b(common|password|word|add|avoid|guess)\b", alert.group(1), re.IGNORECASE)
    assert as_user("anon").login("siti").status_code == 303  # nothing changed


def test_a_strong_password_is_accepted(as_user) -> None:
    siti = as_user("siti")
    assert siti.post_form("/akun/sandi", {"lama": "siti-demo", "baru": STRONG, "ulang": STRONG}).status_code == 200
    assert as_user("anon").login("siti", STRONG).status_code == 303


def test_the_operator_command_checks_the_password_too(web_services: Services) -> None:
    with pytest.raises(ValidationError, match="paling sering dipakai"):
        web_services.set_password("siti", "password123")
    settings = web_services.settings
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("TATAKELOLA_DEBUG", None)
    command = [sys.executable, "-m", "engine", "--db", settings.db_url, "--key", str(settings.resolved_key_path),
               "user", "password", "siti", "--stdin"]
    weak = subprocess.run(command, input="12345678\n", capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert weak.returncode != 0 and "minimal 10 karakter" in weak.stderr and "Traceback" not in weak.stderr
    strong = subprocess.run(command, input=STRONG + "\n", capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=120)
    assert strong.returncode == 0, strong.stderr


# -- caching ----------------------------------------------------------------------------------------


def test_signed_in_pages_and_api_answers_are_not_stored_but_static_files_may_be(as_user) -> None:
    sri = as_user("sri")
    for path in ("/tugas", "/akun", "/api/tugas", f"/k/{OWN}"):
        assert sri.client.get(path).headers.get("cache-control") == "no-store", path
    assert "no-store" not in sri.client.get("/static/app.css").headers.get("cache-control", "")
