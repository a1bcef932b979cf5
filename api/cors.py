"""CORS for the shopper widget: only the shop's origins (``LOYALTY_WIDGET_ORIGINS``).

The shopper API (``/v1/me...``) and the widget's files (``/widget/...``) may be called from
a browser page of an allowed origin: its preflight gets a 204 naming that origin (never
``*``), its requests get ``Access-Control-Allow-Origin``. A browser request from any other
origin is refused with 403 ``origin_not_allowed`` before it reaches a handler, so a page
elsewhere cannot even cause side effects with a stolen token. Requests without an ``Origin``
(the mobile app, servers) and same-origin ones pass untouched. Other paths (shop and staff
API, back office) get no CORS headers at all.

Installed around Litestar's whole ASGI handler (:func:`install`), so preflights are answered
before routing, for every shopper path alike.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

Start = Any  # an http.response.start message built here

PREFIXES = ("/v1/me", "/widget/")
ALLOW_METHODS = b"GET, POST, PUT, DELETE"
ALLOW_HEADERS = b"authorization, content-type, idempotency-key"
EXPOSE_HEADERS = b"retry-after"
MAX_AGE = b"600"


def applies(path: str) -> bool:
    return path == "/v1/me" or path.startswith(PREFIXES)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _same_origin(scope: Scope, origin: str) -> bool:
    host = _header(scope, b"host")
    return host is not None and origin.split("://", 1)[-1] == host.lower()


def _allowed_origins(scope: Scope) -> tuple[str, ...]:
    origins: tuple[str, ...] = scope["app"].state.settings.widget_origins
    return origins


async def _refuse(send: Send, origin: str) -> None:
    body = msgspec.json.encode(
        {
            "error": {
                "code": "origin_not_allowed",
                "message": "this origin may not call the shopper API from a browser",
                "details": {"origin": origin},
            }
        }
    )
    headers = [(b"content-type", b"application/json"), (b"vary", b"Origin")]
    start: Start = {"type": "http.response.start", "status": 403, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _preflight(send: Send, origin: str) -> None:
    headers = [
        (b"access-control-allow-origin", origin.encode()),
        (b"access-control-allow-methods", ALLOW_METHODS),
        (b"access-control-allow-headers", ALLOW_HEADERS),
        (b"access-control-max-age", MAX_AGE),
        (b"vary", b"Origin"),
    ]
    start: Start = {"type": "http.response.start", "status": 204, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": b"", "more_body": False})


def _with_cors(send: Send, origin: str | None) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            given = list(message.get("headers", []))
            vary = [v for k, v in given if k.lower() == b"vary"]
            headers = [h for h in given if h[0].lower() != b"vary"]
            headers.append((b"vary", b", ".join([*vary, b"Origin"])))
            if origin is not None:
                headers.append((b"access-control-allow-origin", origin.encode()))
                headers.append((b"access-control-expose-headers", EXPOSE_HEADERS))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def middleware(app: ASGIApp) -> ASGIApp:
    """Wrap ``app`` (Litestar's ASGI handler) with the widget's CORS policy."""

    async def cors(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not applies(scope["path"]):
            await app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None or _same_origin(scope, origin.lower()):
            await app(scope, receive, _with_cors(send, None))
            return
        allowed = origin.lower() in _allowed_origins(scope)
        preflight = scope.get("method") == "OPTIONS" and _header(
            scope, b"access-control-request-method"
        )
        if not allowed:
            await _refuse(send, origin)
        elif preflight:
            await _preflight(send, origin)
        else:
            await app(scope, receive, _with_cors(send, origin))

    return cors


def install(litestar_app: Any) -> None:
    """Put the policy around the app's whole handler (before routing, so preflights of every
    shopper path are answered here)."""
    litestar_app.asgi_handler = middleware(litestar_app.asgi_handler)
