"""Web fixtures: the app over the test database, with demo logins."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from functools import cache

import pytest
from sqlalchemy import select

from engine.adapters.passwords import hash_password
from engine.adapters.store.models import Person
from engine.demo import DEMO_CITY, demo_password
from engine.services import Services
from engine.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

USERS = ("sri", "bambang", "fajar", "agus", "heru", "siti", "ratna", "hadi", "wahyu")


@cache
def _hash(password: str) -> str:
    # argon2 is slow on purpose: hash each demo password once per run. The demo passwords are weak on
    # purpose too, so they skip the password policy exactly as the demo set-up does.
    return hash_password(password, check_strength=False)


@pytest.fixture
def web_services(services: Services) -> Services:
    services.import_org(DEMO_CITY)
    with services.db.session() as session:
        for person in session.scalars(select(Person).where(Person.username.in_(USERS))):
            person.password_hash = _hash(demo_password(person.username))
    return services


@pytest.fixture
def app(web_services: Services):  # type: ignore[no-untyped-def]
    return create_app(web_services.settings, services=web_services, secret_key="test-secret")


class Browser:
    """A TestClient that logs in and submits forms with their CSRF token."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.client = TestClient(app, raise_server_exceptions=False)

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path)
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match, page.text[:500]
        return match.group(1)

    def login(self, username: str, password: str | None = None):  # type: ignore[no-untyped-def]
        token = self.csrf()
        return self.client.post("/login", data={"csrf": token, "username": username,
                                                "password": password or demo_password(username), "next": "/tugas"},
                                follow_redirects=False)

    def post_form(self, path: str, data: dict[str, str], files=None, token_from: str | None = None):  # type: ignore[no-untyped-def]
        token = self.csrf(token_from or "/akun")
        return self.client.post(path, data={"csrf": token, **data}, files=files)


@pytest.fixture
def browser(app) -> Iterator[Browser]:  # type: ignore[no-untyped-def]
    yield Browser(app)


@pytest.fixture
def as_user(app):  # type: ignore[no-untyped-def]
    def make(username: str) -> Browser:
        b = Browser(app)
        if username != "anon":
            response = b.login(username)
            assert response.status_code in (200, 303), response.text[:300]
        return b
    return make
