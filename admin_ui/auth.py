"""Who is on a back-office page, what they may do, and proof that a form came from us.

- The session is the token of :func:`loyalty.staff.login` in the ``loyalty_staff`` cookie
  (``api.deps.STAFF_COOKIE``): HttpOnly, Secure, SameSite=Strict, 12 hours. The same cookie
  authenticates ``/v1/admin`` calls, so the pages and the API share one session store.
- Every POST carries ``_csrf`` (or the ``X-CSRF-Token`` header): an HMAC of the session token
  with ``settings.session_secret``. It cannot be computed without the HttpOnly cookie, and is
  checked in the page guard before any handler runs; a missing or wrong one is a 403.
- Every page declares a permission of :data:`loyalty.staff.PERMISSIONS`; the guard checks the
  role server-side whatever the navigation shows. No session: a redirect to the login page.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler

from api.deps import CSRF_HEADER, STAFF_COOKIE, UNSAFE_METHODS, clock_of, settings_of
from api.deps import csrf_for as csrf_for  # the pages' forms and the API share one token
from loyalty import staff
from loyalty.errors import Forbidden, Unauthorized

CSRF_FIELD = "_csrf"
LOGIN_CSRF_COOKIE = "loyalty_login_csrf"
FLASH_COOKIE = "loyalty_flash"


class LoginRequired(Exception):
    """No valid session: pages answer with a redirect to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__("login required")
        self.next_path = next_path


def session_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return connection.cookies.get(STAFF_COOKIE) or None


async def current_staff(connection: ASGIConnection[Any, Any, Any, Any]) -> staff.StaffIdentity:
    """The logged-in staff member from the session cookie, or :class:`LoginRequired`."""
    state = connection.scope.setdefault("state", {})
    known = state.get("staff")
    if isinstance(known, staff.StaffIdentity):
        return known
    token = session_token(connection)
    if token is None:
        raise LoginRequired(_here(connection))
    try:
        identity = await staff.authenticate(token, now=clock_of(connection).now())
    except Unauthorized as exc:
        raise LoginRequired(_here(connection)) from exc
    state["staff"] = identity
    return identity


def actor(request: Request[Any, Any, Any]) -> str:
    """The signed-in staff member's email: who an audited action is recorded as."""
    return str(request.scope["state"]["staff"].email)


def _here(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    path = connection.url.path
    query = connection.url.query
    return f"{path}?{query}" if query else path


async def check_csrf(request: Request[Any, Any, Any]) -> None:
    """Refuse (403) an unsafe request whose token does not match its session."""
    token = session_token(request) or ""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        sent = (await request.form()).get(CSRF_FIELD)
    expected = csrf_for(settings_of(request).session_secret, token)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("csrf_failed", "the form's security token is missing or wrong")


def require(permission: str) -> Any:
    """A page guard: a session (else login), the CSRF token on posts, then the role."""
    if permission not in staff.PERMISSIONS:
        raise ValueError(f"unknown permission {permission}")

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        identity = await current_staff(connection)
        if isinstance(connection, Request) and connection.method in UNSAFE_METHODS:
            await check_csrf(connection)
        if not identity.can(permission):
            raise Forbidden(
                "forbidden",
                f"your role ({identity.role}) may not do this ({permission})",
                permission=permission,
            )

    return guard


def session_cookie(token: str) -> Cookie:
    return Cookie(
        key=STAFF_COOKIE,
        value=token,
        path="/",
        max_age=int(staff.SESSION_TTL.total_seconds()),
        secure=True,
        httponly=True,
        samesite="strict",
    )


def login_csrf_cookie(value: str) -> Cookie:
    """Login forms carry a random value also set in this cookie (no login CSRF)."""
    return Cookie(
        key=LOGIN_CSRF_COOKIE,
        value=value,
        path="/admin/login",
        max_age=3600,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def check_login_csrf(request: Request[Any, Any, Any], sent: str | None) -> None:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if (
        not cookie
        or not isinstance(sent, str)
        or not hmac.compare_digest(cookie.encode(), sent.encode())
    ):
        raise Forbidden("csrf_failed", "the login form expired; reload the page and try again")


def flash_cookie(message: str) -> Cookie:
    """A one-shot message for the page after a redirect (the next page shows and clears it)."""
    return Cookie(
        key=FLASH_COOKIE,
        value=quote(message[:300]),
        path="/admin",
        max_age=60,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def safe_next(value: str | None) -> str:
    """Only back-office paths are followed after login (no open redirect)."""
    if value and value.startswith("/admin") and not value.startswith("//") and "\\" not in value:
        return value
    return "/admin/"


def login_redirect(_: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    target = "/admin/login"
    if exc.next_path not in ("/admin", "/admin/", "/admin/logout"):
        target += "?next=" + quote(exc.next_path, safe="")
    return Response(content="", status_code=303, headers={"location": target})
