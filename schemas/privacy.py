"""Bodies of the data-rights API: a member's export and the answer to an erasure."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec


class ExportProfile(msgspec.Struct):
    customer_id: str
    email: str | None
    phone: str | None
    name: str | None
    birthday: date | None
    locale: str
    timezone: str | None
    newsletter: bool
    blocked: bool
    blocked_reason: str | None
    last_order_at: datetime | None
    points_expire_at: datetime | None
    referral_code: str | None
    referred_by: str | None
    created_at: datetime
    updated_at: datetime


class ExportConsents(msgspec.Struct):
    newsletter: bool
    push: bool


class ExportBalance(msgspec.Struct):
    available: int
    pending: int
    lifetime: int
    spent: int
    expired: int


class ExportEntry(msgspec.Struct):
    id: int
    kind: str
    available: int
    pending: int
    lifetime: int
    spent: int
    expired: int
    order_id: str | None
    coupon_id: int | None
    reason: str | None
    effective_at: datetime
    created_at: datetime
    meta: dict[str, Any]


class ExportOrder(msgspec.Struct):
    order_id: str
    status: str
    currency: str
    total_minor: int
    refunded_minor: int
    channel: str | None
    store_id: str | None
    items: list[dict[str, Any]]
    coupon_code: str | None
    points_redeemed: int
    placed_at: datetime
    points: int
    points_state: str
    clawed_back: int
    created_at: datetime
    updated_at: datetime


class ExportCoupon(msgspec.Struct):
    id: int
    code: str
    source: str
    title: str
    kind: str
    value: int
    sku: str | None
    min_order_minor: int
    points_cost: int
    status: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_order_id: str | None
    voided_at: datetime | None
    void_reason: str | None


class ExportDevice(msgspec.Struct):
    token: str
    platform: str
    provider: str
    locale: str | None
    app_version: str | None
    created_at: datetime
    updated_at: datetime


class ExportDelivery(msgspec.Struct):
    channel: str
    provider: str | None
    target: str
    status: str
    reason: str | None
    sent_at: datetime | None


class ExportNotification(msgspec.Struct):
    id: int
    event: str
    data: dict[str, Any]
    status: str
    created_at: datetime
    processed_at: datetime | None
    deliveries: list[ExportDelivery]


class ExportActivity(msgspec.Struct):
    client_event_id: str
    type: str
    channel: str
    subject: str | None
    outcome: str
    points: int
    created_at: datetime


class ExportReferral(msgspec.Struct):
    role: str
    state: str
    source: str
    order_id: str | None
    points: int
    created_at: datetime
    decided_at: datetime | None


class ExportOut(msgspec.Struct):
    """Everything the engine holds about one member (GDPR access and portability)."""

    exported_at: datetime
    customer_id: str
    profile: ExportProfile
    consents: ExportConsents
    balance: ExportBalance
    ledger: list[ExportEntry]
    orders: list[ExportOrder]
    coupons: list[ExportCoupon]
    devices: list[ExportDevice]
    notifications: list[ExportNotification]
    activity: list[ExportActivity]
    referrals: list[ExportReferral]


class ErasureOut(msgspec.Struct):
    """What an erasure did. The person is gone; ``member_ref`` is the anonymous record left
    for the ledger's sums."""

    erased: bool
    member_ref: str
    coupons_voided: int
    points_forfeited: int
    pending_dropped: int
    erased_at: datetime
