"""Shared schema pieces: constrained scalar types and the error body."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

Id = Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")]
Minor = Annotated[int, Meta(ge=0, le=10**13, description="Money in minor units (cents, øre).")]
Points = Annotated[int, Meta(ge=0, le=10**12)]
Currency = Annotated[str, Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")]
Locale = Annotated[str, Meta(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_length=16)]
Title = Annotated[str, Meta(min_length=1, max_length=200)]
LocalTitle = Annotated[
    Title | dict[Locale, Title],
    Meta(description='One text, or one per locale ({"en": ..., "nb": ...}).'),
]
Description = Annotated[str, Meta(max_length=2000)]
LocalDescription = Annotated[
    Description | dict[Locale, Description], Meta(description="One text, or one per locale.")
]


class ErrorDetail(msgspec.Struct):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorBody(msgspec.Struct):
    """Every 4xx/5xx answer: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


class Page(msgspec.Struct):
    next_cursor: str | None
