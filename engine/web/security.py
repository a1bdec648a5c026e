"""Sessions, CSRF and per-cooperative, per-role authorisation for the web app."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import HTTPException, Request

from engine.services import Services
from engine.web.queries import Membership, User, load_user

__all__ = [
    "MAX_UPLOAD_BYTES",
    "LoginRefused",
    "check_csrf",
    "csrf_token",
    "current_user",
    "log_in",
    "require_member",
    "require_role",
    "services_of",
]

MAX_UPLOAD_BYTES = 25 * 1024 * 1024


class LoginRequired(Exception):
    """Raised when a page needs a logged-in user; the app redirects to /login."""


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
        raise HTTPException(status_code=403, detail="Token formulir tidak sah atau kedaluwarsa. Muat ulang halaman.")


def current_user(request: Request, *, required: bool = True) -> User | None:
    """The logged-in user (memberships as of today), or raise LoginRequired."""
    user_id = request.session.get("uid")
    user = load_user(services_of(request), user_id) if isinstance(user_id, int) else None
    if user is None and required:
        raise LoginRequired()
    return user


def require_member(user: User, slug: str) -> Membership:
    """The user's membership in a cooperative; 404 when they hold no role there (nothing is revealed)."""
    member = user.membership(slug)
    if member is None:
        raise HTTPException(status_code=404, detail="Halaman tidak ditemukan.")
    return member


def require_role(user: User, slug: str, *roles: str) -> Membership:
    """Membership holding one of these roles; 403 otherwise."""
    member = require_member(user, slug)
    if not member.roles & set(roles):
        raise HTTPException(status_code=403, detail="Halaman ini hanya untuk " + ", ".join(roles) + ".")
    return member


class LoginRefused(Exception):
    """A login attempt that failed or is throttled; ``status`` is 401 or 429."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def log_in(request: Request, username: str, password: str) -> str:
    """Check a login (throttled per username and per address) and start a fresh session.

    Returns the normalised username; raises LoginRefused.
    """
    from engine.web.queries import authenticate

    username = username.strip().lower()[:64]
    throttle = request.app.state.throttle
    keys = (f"u:{username}", f"a:{request.client.host if request.client else '-'}")
    wait = throttle.blocked_for(*keys)
    if wait:
        raise LoginRefused(429, f"Terlalu banyak percobaan gagal. Coba lagi dalam {wait // 60 + 1} menit.")
    user_id = authenticate(services_of(request), username, password[:256])
    if user_id is None:
        throttle.failed(*keys)
        raise LoginRefused(401, "Nama pengguna atau kata sandi salah.")
    throttle.succeeded(*keys)
    request.session.clear()
    request.session["uid"] = user_id
    csrf_token(request)
    return username
