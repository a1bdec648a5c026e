"""Sessions, CSRF and per-cooperative, per-role authorisation for the web app.

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
    "require_member",
    "require_role",
    "services_of",
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


def current_user(request: Request) -> User:
    """The signed-in user with the cooperatives they serve today; LoginRequiredError otherwise."""
    user_id = request.session.get("uid")
    user = services_of(request).user(user_id) if isinstance(user_id, int) else None
    if user is None:
        raise LoginRequiredError()
    return user


def signed_in_username(request: Request) -> str:
    """Who the signed cookie says is signed in, without a database read (the use case checks the rest)."""
    username = request.session.get("user")
    if isinstance(username, str) and isinstance(request.session.get("uid"), int):
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

    Returns the normalised user name; raises LoginRefusedError or TooManyAttemptsError.
    """
    address = request.client.host if request.client else "-"
    person_id, username = services_of(request).accounts.log_in(username, password, address)
    request.session.clear()
    request.session["uid"] = person_id
    request.session["user"] = username
    csrf_token(request)
    return username
