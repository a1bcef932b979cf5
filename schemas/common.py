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

# Bounded types for settings and free text: every number has a sane bound and every text a
# length its column holds (a 500 from the database is never the way to say "too big"). NUL
# characters are refused for every field at once by ``api.http``.
Count = Annotated[int, Meta(ge=0, le=10**9)]
"""A point amount, count or threshold in a setting (a billion is far past any real program)."""
PositiveCount = Annotated[int, Meta(ge=1, le=10**9)]
Rate = Annotated[int, Meta(ge=0, le=10_000, description="Points per rate unit.")]
"""An earn rate: points per ``rate_unit_minor``; 10,000 per cent is already absurd."""
Days = Annotated[int, Meta(ge=1, le=36_500)]
MinorLimit = Annotated[int, Meta(ge=0, le=10**12, description="Minor units.")]
Name = Annotated[str, Meta(max_length=200)]
"""A person's or a thing's name; the name and title columns hold 200."""
Sku = Annotated[str, Meta(min_length=1, max_length=64)]
Line = Annotated[str, Meta(max_length=1000)]
"""One line of marketing text or a URL kept in a setting."""
StaffEmail = Annotated[str, Meta(pattern=r"^[^@\s]+@[^@\s]+$", max_length=200)]
"""Staff emails end up in the audit log's 200-character ``target``."""


class ErrorDetail(msgspec.Struct):
    code: str
    message: str
    details: dict[str, Any]


class ErrorBody(msgspec.Struct):
    """Every 4xx/5xx answer: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorDetail


class Page(msgspec.Struct):
    next_cursor: str | None
