"""Dependencies and guards shared by the controllers: settings, the clock, who is calling."""

from __future__ import annotations

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


def settings_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Settings:
    settings: Settings = connection.app.state.settings
    return settings


def clock_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Clock:
    clock: Clock = connection.app.state.clock
    return clock


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
    """``before_request`` of the shop API: method, path and raw body must carry the signature."""
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


def _staff_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return connection.cookies.get(STAFF_COOKIE)


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
