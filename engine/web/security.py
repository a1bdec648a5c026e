"""Sessions, CSRF and per-cooperative, per-role authorisation for the web app.

The signed cookie holds a random session token (``sid``), the user name it was issued to
(``user``), the CSRF token, the language and a flash message; the session itself lives in the
database (``Services.sessions``), so logging out, a password change or the end of a person's
last term ends it everywhere, and a saved copy of the cookie opens nothing afterwards.

Refusals are errors of the engine's one tree (``LoginRequiredError``, ``FormExpiredError``,
``NotFoundError``, ``PermissionDeniedError``); the app maps them to pages or JSON in one place.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request

from engine.errors import FormExpiredError, LoginRequiredError, NotFoundError, PermissionDeniedError
from engine.services import Services, User
from engine.services.dto import Membership

__all__ = [
    "check_csrf",
    "csrf_token",
    "current_user",
    "log_in",
    "log_out",
    "require_member",
    "require_role",
    "services_of",
    "session_token",
    "signed_in_username",
]


def services_of(request: Request) -> Services:
    """The Services bound to the app."""
    services: Services = request.app.state.services
    return services


def csrf_token(request: Request) -> str:
    """This session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: Any) -> None:
    """Refuse a state-changing request whose token does not match the session's."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not isinstance(submitted, str) or not hmac.compare_digest(
            expected.encode(), submitted.encode()):
        raise FormExpiredError("Token formulir tidak sah atau kedaluwarsa. Muat ulang halaman.")


def _forget(request: Request) -> None:
    """Drop a dead session from the cookie (language and CSRF token stay)."""
    request.session.pop("sid", None)
    request.session.pop("user", None)


def session_token(request: Request) -> str:
    """This browser's session token; LoginRequiredError when it has none (not checked here)."""
    token = request.session.get("sid")
    if not isinstance(token, str) or not token:
        raise LoginRequiredError()
    return token


def current_user(request: Request) -> User:
    """The signed-in user with the cooperatives they serve today; LoginRequiredError otherwise.

    The session is looked up in the database on every call: an ended or expired one is refused.
    """
    user = services_of(request).session_user(session_token(request))
    if user is None or user.username != request.session.get("user"):
        _forget(request)
        raise LoginRequiredError()
    return user


def signed_in_username(request: Request) -> str:
    """Who the signed cookie says is signed in, without a database read.

    Only for a call that checks the session itself: pass ``session_token(request)`` along
    (``Services.act(..., session_token=...)`` refuses an ended session or another person's).
    """
    username = request.session.get("user")
    if isinstance(username, str) and username:
        session_token(request)
        return username
    return current_user(request).username


def require_member(user: User, slug: str) -> Membership:
    """The user's membership in a cooperative; 404 when they hold no role there (nothing is revealed)."""
    member = user.membership(slug)
    if member is None:
        raise NotFoundError("Halaman tidak ditemukan.")
    return member


def require_role(user: User, slug: str, *roles: str) -> Membership:
    """Membership holding one of these roles; 403 otherwise."""
    member = require_member(user, slug)
    if not member.roles & set(roles):
        raise PermissionDeniedError("Halaman ini hanya untuk " + ", ".join(roles) + ".")
    return member


def log_in(request: Request, username: str, password: str) -> str:
    """Check a login (throttled per user name and per address) and start a fresh session.

    The address is the TCP peer; it is a proxy's ``X-Forwarded-For`` only when ``serve`` was told
    to trust that proxy (``--proxy``), which uvicorn then applies before the app sees the request.

    Returns the normalised user name; raises LoginRefusedError or TooManyAttemptsError.
    """
    address = request.client.host if request.client else "-"
    previous = request.session.get("sid")
    token, username = services_of(request).log_in(
        username, password, address, user_agent=request.headers.get("user-agent"),
        replaces=previous if isinstance(previous, str) else None)
    request.session.clear()
    request.session["sid"] = token
    request.session["user"] = username
    csrf_token(request)
    return username


def log_out(request: Request) -> None:
    """End this browser's session (in the database, not just the cookie)."""
    token = request.session.get("sid")
    if isinstance(token, str) and token:
        services_of(request).log_out(token)
    request.session.clear()
