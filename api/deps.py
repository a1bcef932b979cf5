"""Dependencies and guards shared by the controllers: settings, the clock, who is calling."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler

from api import signing, tokens
from loyalty import staff
from loyalty.clock import Clock
from loyalty.errors import Forbidden
from loyalty.settings import Settings

STAFF_COOKIE = "loyalty_staff"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def settings_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    settings: Settings = connection.app.state.settings
    return settings


def clock_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Clock:
    clock: Clock = connection.app.state.clock
    return clock


def client_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client's address as the server saw it (what login limits count per client)."""
    client = connection.scope.get("client")
    return str(client[0]) if client else "unknown"


async def provide_now(request: Request[Any, Any, Any]) -> datetime:
    return clock_of(request).now()


async def provide_settings(request: Request[Any, Any, Any]) -> Settings:
    return settings_of(request)


async def provide_customer_id(request: Request[Any, Any, Any]) -> str:
    """The shopper a request speaks for, from its bearer JWT."""
    return tokens.customer_id(
        settings_of(request), request.headers.get("authorization"), now=clock_of(request).now()
    )


async def verify_shop_signature(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of the shop API: method, path and raw body must carry the signature.
    ``OPTIONS`` only lists the methods, so it needs none."""
    if request.method == "OPTIONS":
        return
    settings = settings_of(request)
    body = await request.body()
    scope = request.scope
    signing.verify(
        settings.shop_secrets,
        request.headers.get(signing.HEADER.lower()),
        method=request.method,
        path=signing.request_target(
            scope.get("raw_path") or scope["path"].encode(), scope.get("query_string", b"")
        ),
        body=body,
        now=clock_of(request).now(),
        tolerance_s=settings.signature_tolerance_s,
    )


def csrf_for(secret: str, session_token: str) -> str:
    """The CSRF token bound to one page session (useless with another session or secret)."""
    return hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def _staff_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The bearer token, else the page session cookie; a cookie changes nothing without the
    page's CSRF token in ``X-CSRF-Token`` (a browser sends the cookie to any form's POST)."""
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    cookie = connection.cookies.get(STAFF_COOKIE)
    if cookie and connection.scope.get("method") in UNSAFE_METHODS:
        sent = connection.headers.get(CSRF_HEADER) or ""
        expected = csrf_for(settings_of(connection).session_secret, cookie)
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise Forbidden(
                "csrf_failed", "a session cookie needs the X-CSRF-Token header (or use a token)"
            )
    return cookie


async def authenticate_staff(
    connection: ASGIConnection[Any, Any, Any, Any],
) -> staff.StaffIdentity:
    identity = connection.scope.get("state", {}).get("staff")
    if isinstance(identity, staff.StaffIdentity):
        return identity
    identity = await staff.authenticate(
        _staff_token(connection) or "", now=clock_of(connection).now()
    )
    connection.scope.setdefault("state", {})["staff"] = identity
    return identity


def allow(permission: str) -> Any:
    """A guard: the caller must be logged-in staff whose role has ``permission``."""
    if permission not in staff.PERMISSIONS:
        raise ValueError(f"unknown permission {permission}")

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        identity = await authenticate_staff(connection)
        if not identity.can(permission):
            raise Forbidden(
                "forbidden",
                f"role {identity.role!r} may not do {permission}",
                permission=permission,
            )

    return guard


async def provide_staff(request: Request[Any, Any, Any]) -> staff.StaffIdentity:
    return await authenticate_staff(request)


Now = NamedDependency[datetime]
"""The injected clock's time, for handlers."""
Me = NamedDependency[staff.StaffIdentity]
"""The logged-in staff member, for handlers behind an :func:`allow` guard."""
CustomerId = NamedDependency[str]
"""The shopper's customer id from the bearer JWT."""
