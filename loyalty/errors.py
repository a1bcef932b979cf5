"""Domain errors carry a stable machine-readable code; the API maps them to 4xx bodies."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no. ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class Unauthorized(DomainError):
    status = 401


class Invalid(DomainError):
    status = 422


class RateLimited(DomainError):
    """Too many attempts; ``details["retry_after"]`` seconds until the next is allowed."""

    status = 429
