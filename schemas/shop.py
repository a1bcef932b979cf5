"""Bodies of the shop backend's server-to-server API (signed requests)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.common import Currency, Id, Locale, Minor, Points

OrderStatus = Literal["placed", "paid", "completed", "cancelled", "refunded"]
Channel = Literal["app", "web", "pos"]


class OrderItem(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    sku: Annotated[str, Meta(min_length=1, max_length=64)]
    quantity: Annotated[int, Meta(gt=0, le=100_000)]
    unit_price_minor: Minor
    category: Annotated[str, Meta(max_length=64)] | None = None


class OrderIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """The order's current state, as the shop sees it. Sending it twice changes nothing."""

    customer_id: Id
    status: OrderStatus
    currency: Currency
    total_minor: Minor
    placed_at: datetime
    refunded_minor: Minor = 0
    channel: Channel | None = None
    store_id: Annotated[str, Meta(max_length=64)] | None = None
    items: Annotated[list[OrderItem], Meta(max_length=1000)] = []
    coupon_code: Annotated[str, Meta(max_length=64)] | None = None
    points_redeemed: Points = 0
    referral_code: Annotated[str, Meta(max_length=32)] | None = None


class OrderOut(msgspec.Struct):
    order_id: str
    customer_id: str
    status: OrderStatus
    points: int
    points_state: Literal["none", "pending", "confirmed", "void"]
    clawed_back: int
    changed: bool
    flags: list[str]


class CustomerIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    phone: (
        Annotated[str, Meta(max_length=32, description="Any common spelling; stored as E.164.")]
        | None
    ) = None
    name: Annotated[str, Meta(max_length=200)] | None = None
    birthday: date | None = None
    locale: Locale | None = None
    timezone: Annotated[str, Meta(max_length=64)] | None = None
    newsletter: bool | None = None
    referral_code: Annotated[str, Meta(max_length=32)] | None = None
    sms_opt_in: bool | None = None


class CustomerOut(msgspec.Struct):
    customer_id: str
    email: str | None
    phone: str | None
    name: str | None
    birthday: date | None
    locale: str
    timezone: str | None
    newsletter: bool
    blocked: bool
    sms_opt_in: bool = True
