"""Bodies of the webhook subscriptions API (``/v1/admin/webhooks``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta


class WebhookIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    url: Annotated[str, Meta(min_length=8, max_length=2048)]
    events: Annotated[list[Annotated[str, Meta(max_length=48)]], Meta(min_length=1, max_length=50)]
    secret: Annotated[str, Meta(min_length=16, max_length=200)] | None = None
    description: Annotated[str, Meta(max_length=200)] | None = None


class WebhookOut(msgspec.Struct):
    id: int
    url: str
    events: list[str]
    secret: str
    description: str | None
    paused_at: datetime | None
    failing_since: datetime | None
    created_at: datetime


class AttemptOut(msgspec.Struct):
    number: int
    at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None


class DeliveryOut(msgspec.Struct):
    id: int
    event_id: str
    type: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    tries: list[AttemptOut]


class TestEventOut(msgspec.Struct):
    event_id: str


def delivery_out(row: dict[str, Any]) -> DeliveryOut:
    return msgspec.convert(row, DeliveryOut)
