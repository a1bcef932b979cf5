"""Bodies of the notification endpoints: the app's devices and marketing's templates."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from schemas.common import Locale

Platform = Literal["ios", "android"]
PushProvider = Literal["fcm", "apns"]
Sample = dict[Annotated[str, Meta(max_length=48)], str | int | None]


class DeviceIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The app registers its push token (``PUT /v1/me/devices/{token}``)."""

    platform: Platform
    provider: Annotated[
        PushProvider, Meta(description="fcm for Android and FCM-based iOS apps; apns for iOS.")
    ]
    locale: Locale | None = None
    app_version: Annotated[str, Meta(min_length=1, max_length=32)] | None = None


class DeviceOut(msgspec.Struct):
    token: str
    platform: str
    provider: str
    locale: str | None
    app_version: str | None
    created_at: datetime
    updated_at: datetime


class TemplateIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Marketing's copy. A push has ``title`` and ``body``; an email has ``subject``,
    ``body`` (the text part) and optionally ``html`` (else made from the text)."""

    body: Annotated[str, Meta(min_length=1, max_length=50_000)]
    title: Annotated[str, Meta(min_length=1, max_length=500)] | None = None
    subject: Annotated[str, Meta(min_length=1, max_length=500)] | None = None
    html: Annotated[str, Meta(min_length=1, max_length=200_000)] | None = None


class TemplateOut(msgspec.Struct, kw_only=True):
    event: str
    channel: str
    locale: str
    body: str
    title: str | None = None
    subject: str | None = None
    html: str | None = None
    custom: bool
    written_in: Annotated[str, Meta(description="The locale the copy is written in (fallback).")]
    version: int | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    placeholders: list[str]


class PreviewIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A draft to preview (leave ``body`` out to preview the saved copy) and sample values
    to use instead of the made-up ones."""

    body: Annotated[str, Meta(min_length=1, max_length=50_000)] | None = None
    title: Annotated[str, Meta(min_length=1, max_length=500)] | None = None
    subject: Annotated[str, Meta(min_length=1, max_length=500)] | None = None
    html: Annotated[str, Meta(min_length=1, max_length=200_000)] | None = None
    sample: Sample | None = None


class SmsLengthOut(msgspec.Struct, kw_only=True):
    """What a text costs: GSM-7 holds 160 characters in one SMS (153 per part when split),
    UCS-2 (any character outside GSM-7) 70 (67 per part). ``units`` is what the limits
    count: septets (an extension character such as ``€`` takes two) or UTF-16 code units."""

    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    units: int
    segments: int
    per_segment: int
    non_gsm: Annotated[list[str], Meta(description="Characters that forced UCS-2.")]


class RenderedOut(msgspec.Struct, kw_only=True):
    event: str
    channel: str
    locale: str
    body: str
    title: str | None = None
    subject: str | None = None
    html: str | None = None
    deep_link: str | None = None
    values: dict[str, Any]
    sms: SmsLengthOut | None = None


class TestSendIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Send the copy, rendered with sample values, to one device token, email address or
    phone number (``sms``).

    For a token that is not registered, say its ``platform`` and ``provider``."""

    to: Annotated[str, Meta(min_length=3, max_length=1024)]
    platform: Platform | None = None
    provider: PushProvider | None = None
    sample: Sample | None = None


class TestSendOut(msgspec.Struct, kw_only=True):
    channel: str
    to: str
    outcome: Annotated[str, Meta(description="sent, failed, pruned, retry or skipped")]
    reason: str
    provider_id: str | None
    rendered: RenderedOut
