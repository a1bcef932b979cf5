"""HTTP-level rules that hold for every route, in one ASGI middleware.

- **No NUL characters.** PostgreSQL text and jsonb cannot hold U+0000, so a NUL anywhere in
  the path, the query string or a JSON / form body is a 400 (``nul_character``) before any
  handler runs, instead of a database error later. This is the one place it is checked.
- **A too-large body gets its 413.** Litestar stops reading at the size limit and answers;
  if the server then closed the connection with the client still sending, the client would
  see a reset instead of the answer. The rest of the body is read and dropped first (up to
  :data:`DRAIN_LIMIT`), and the connection is closed after the answer.
- **JSON bodies are decoded strictly** (:class:`StrictRequest`): ``"1000"`` where an integer
  is expected is a 400, not silently converted (Litestar converts bodies with
  ``strict=False``); JSON nested too deep for the decoder is a 400, not a RecursionError. A
  handler with ``opt={BOUNDS_STATUS: 422}`` answers values outside their declared bounds with
  422 ``invalid_value`` naming the field (the program document does).
- **OPTIONS names every method** of its path (Litestar's automatic OPTIONS handler only knows
  the methods of the first handler registered for a path).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.enums import ScopeType
from litestar.exceptions import ClientException, ValidationException
from litestar.routes import HTTPRoute
from litestar.types import ASGIApp, Empty, Message, Receive, Scope, Send

from loyalty.errors import DomainError, Invalid

BOUNDS_STATUS = "bounds_status"
"""Handler ``opt`` key: the status for a value outside its bounds (400 when not set)."""

DRAIN_LIMIT = 64 * 1024 * 1024
"""Bytes of an oversized body read and dropped before its 413 (more: the connection is cut)."""

_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_FORM_NUL = re.compile(rb"%00")
_TAIL = 16  # bytes kept between chunks so an escape split across two chunks is still seen


class NulCharacter(DomainError):
    status = 400

    def __init__(self, where: str) -> None:
        super().__init__("nul_character", f"NUL characters are not allowed (in the {where})")


class StrictRequest(Request[Any, Any, Any]):
    """A request whose JSON body is checked strictly against the handler's body type."""

    async def json(self) -> Any:
        if self._json is Empty and self._connection_state.json is Empty:
            field = self.route_handler.parsed_data_field
            body = await self.body()
            if field is not None and body:
                self._check(body, field.annotation)
        try:
            return await super().json()
        except RecursionError:
            raise ClientException("the JSON body is nested too deeply") from None

    def _check(self, body: bytes, annotation: Any) -> None:
        try:
            msgspec.json.decode(body, type=annotation, strict=True)
        except msgspec.ValidationError as exc:
            message, _, where = str(exc).partition(" - at `")
            key = where.rstrip("`").removeprefix("$").lstrip(".") or "data"
            if self.route_handler.opt.get(BOUNDS_STATUS) == 422 and _is_bound(message):
                raise Invalid("invalid_value", f"{key}: {message}", field=key) from None
            raise ValidationException(
                f"Validation failed for {self.method} {self.url.path}",
                extra=[{"message": message, "key": key, "source": "body"}],
            ) from None
        except RecursionError:
            raise ClientException("the JSON body is nested too deeply") from None
        except (msgspec.DecodeError, TypeError):
            return  # not JSON, or not a msgspec type: Litestar's own decoding reports it


def _is_bound(message: str) -> bool:
    """True for msgspec's "out of bounds" messages (not for a wrong type)."""
    return message.startswith("Expected `") and ", got `" not in message


def _body_pattern(scope: Scope) -> re.Pattern[bytes] | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            if b"json" in value:
                return _JSON_NUL
            if b"x-www-form-urlencoded" in value:
                return _FORM_NUL
            return None
    return _JSON_NUL  # no content type: the API reads JSON


def _checking_receive(receive: Receive, pattern: re.Pattern[bytes]) -> Receive:
    tail = b""

    async def checked() -> Any:
        nonlocal tail
        message = await receive()
        if message["type"] == "http.request":
            window = tail + message.get("body", b"")
            if pattern.search(window):
                raise NulCharacter("body")
            tail = window[-_TAIL:]
        return message

    return checked


async def _drain(receive: Receive) -> bool:
    """Read what is left of the request body. False when the client sends too much."""
    read = 0
    while read <= DRAIN_LIMIT:
        message = await receive()
        if message["type"] != "http.request":
            return False
        read += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


def middleware(app: ASGIApp) -> ASGIApp:
    """Litestar middleware applying the rules of this module."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        target = scope.get("raw_path") or b""
        if b"%00" in target or b"\x00" in target or _FORM_NUL.search(scope["query_string"]):
            raise NulCharacter("path or query string")
        pattern = _body_pattern(scope)
        if pattern is not None:
            receive = _checking_receive(receive, pattern)
        allow = scope["app"].state.get(_ALLOW, {}).get(id(scope.get("route_handler")))

        async def answering(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 413:
                    await _drain(receive)
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
                if allow is not None and scope.get("method") == "OPTIONS":
                    headers = [(k, v) for k, v in message.get("headers", []) if k != b"allow"]
                    message["headers"] = [*headers, (b"allow", allow)]
            await send(message)

        await app(scope, receive, answering)

    return wrapped


_ALLOW = "allow_by_options_handler"


def index_options(app: Litestar) -> None:
    """Remember each route's full method list for its OPTIONS handler (see the module)."""
    allow: dict[int, bytes] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            methods = ", ".join(sorted({*route.methods, "OPTIONS"})).encode()
            for handler in route.route_handlers:
                if "OPTIONS" in handler.http_methods:
                    allow[id(handler)] = methods
    app.state[_ALLOW] = allow
