"""One error body for every failure: ``{"error": {"code", "message", "details"}}``.

Domain errors keep their code; Litestar's own (validation, 401, 404, 413...) get a code from
their status; anything unexpected is logged and answered 500 without internals.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from loyalty.db import CONNECTION_ERRORS, TRANSIENT_ERRORS
from loyalty.errors import DomainError

log = logging.getLogger("loyalty.api")

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "unavailable",
}


def error_response(status: int, code: str, message: str, details: Any = None) -> Response[Any]:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return Response(content=body, status_code=status, media_type="application/json")


def domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    response = error_response(exc.status, exc.code, exc.message, exc.details)
    if "retry_after" in exc.details:
        response.headers["Retry-After"] = str(exc.details["retry_after"])
    return response


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        return error_response(400, "validation_error", str(exc.detail), {"errors": exc.extra})
    status = exc.status_code
    if status >= 500:
        log.error("http error %s: %s", status, exc.detail)
    response = error_response(
        status,
        _CODES.get(status, "error"),
        str(exc.detail),
        exc.extra if isinstance(exc.extra, dict) else None,
    )
    response.headers.update(exc.headers or {})  # Allow of a 405, Retry-After...
    return response


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "internal error; it has been logged")


def transient_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A deadlock victim or serialization failure that retries did not clear: nothing was
    written (the transaction rolled back whole), so the caller may simply send it again."""
    log.warning("transient database conflict on %s %s: %s", request.method, request.url.path, exc)
    response = error_response(503, "retry", "the request collided with another; send it again")
    response.headers["Retry-After"] = "1"
    return response


def database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The database connection was lost (a terminated backend, a restart, a full pool) and the
    retry did not clear it, or Redis is down for a request that needs it (the checkout's
    rate limit): nothing half-done is left (the transaction did not commit, or committed an
    idempotent change the same request will find done), so sending it again is safe."""
    log.warning("storage unavailable on %s %s: %r", request.method, request.url.path, exc)
    response = error_response(503, "unavailable", "a storage server is briefly unavailable; retry")
    response.headers["Retry-After"] = "2"
    return response


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    **{error: transient_error for error in TRANSIENT_ERRORS},
    **{error: database_unavailable for error in CONNECTION_ERRORS},
    redis.exceptions.ConnectionError: database_unavailable,
    redis.exceptions.TimeoutError: database_unavailable,
    HTTPException: http_error,
    Exception: unexpected_error,
}
