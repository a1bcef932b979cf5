"""Bodies of the till (``PUT /v1/shop/customers/by-phone/{phone}``), the shopper's order
history (``GET /v1/me/orders``), store credit, and SMS consent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from schemas.common import Locale
from schemas.earning import TierOut
from schemas.me import Balance, StoreCreditOut


class TillCustomerIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What the cashier may add while identifying the shopper (all optional)."""

    name: Annotated[str, Meta(max_length=200)] | None = None
    email: Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    birthday: date | None = None
    locale: Locale | None = None
    newsletter: bool | None = None
    sms_opt_in: bool | None = None


class TillCouponOut(msgspec.Struct, kw_only=True):
    code: str
    title: str
    kind: str
    value: int
    min_order_minor: int
    expires_at: datetime


class OrderSummaryOut(msgspec.Struct, kw_only=True):
    """One order as the shopper (and the till) sees it."""

    order_id: str
    status: str
    currency: str
    total_minor: int
    refunded_minor: int
    points_earned: Annotated[int, Meta(description="Points the order earned, less clawbacks.")]
    points_state: str
    points_used: int
    coupon_code: str | None
    channel: str | None
    store_id: str | None
    placed_at: datetime


class OrderPage(msgspec.Struct):
    items: list[OrderSummaryOut]
    next_cursor: str | None


class TillOut(msgspec.Struct, kw_only=True):
    """What a till shows: who, the balance, coupons to offer, whether points pay now."""

    customer_id: str
    created: Annotated[bool, Meta(description="True when this call created the member.")]
    name: str | None
    phone: str
    sms_opt_in: bool
    blocked: bool
    balance: Balance
    tier: Annotated[
        TierOut | None,
        Meta(description="The member's tier (as in ``GET /v1/me``); null when tiers are off."),
    ] = None
    coupons: list[TillCouponOut]
    store_credit: StoreCreditOut | None
    recent_orders: list[OrderSummaryOut]


class SmsConsentIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    opt_in: bool
    reason: Annotated[str, Meta(min_length=3, max_length=500)]


class SmsConsentOut(msgspec.Struct, kw_only=True):
    customer_id: str
    phone: str | None
    sms_opt_in: bool
    sms_block: str | None
