"""Bodies of the shop's checkout calls: ``POST /v1/shop/checkout/quote`` and ``/reserve``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from schemas.common import Currency, Id, Minor, Points
from schemas.shop import OrderItem


class QuoteIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A cart: what discount would a coupon code and/or points give?"""

    customer_id: Id
    total_minor: Annotated[Minor, Meta(description="Order total before any discount.")]
    items: Annotated[list[OrderItem], Meta(max_length=1000)] = []
    coupon_code: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    points: Annotated[
        Points | None,
        Meta(description="Points to pay with; 0 asks only how many could be used."),
    ] = None
    currency: Currency | None = None
    shipping_minor: Annotated[Minor, Meta(description="The shipping part of the total.")] = 0
    order_id: Annotated[
        Id | None, Meta(description="Ignore this order's own hold when re-quoting it.")
    ] = None


class ReserveIn(QuoteIn, kw_only=True, forbid_unknown_fields=True):
    """The same cart plus the order id the hold is for."""

    order_id: Id


class ReasonOut(msgspec.Struct):
    """Why a discount does not apply; ``code`` is stable, ``message`` is English."""

    code: str
    message: str
    details: dict[str, Any] = {}


class CouponQuote(msgspec.Struct):
    code: str
    applied: bool
    discount_minor: int
    free_shipping: bool
    title: str | None
    kind: str | None
    expires_at: datetime | None
    reasons: list[ReasonOut]


class PointsQuote(msgspec.Struct):
    requested: int
    applied: bool
    points_used: int
    discount_minor: int
    max_points: Annotated[int, Meta(description="The most points this cart could take.")]
    available: int
    reasons: list[ReasonOut]


class QuoteOut(msgspec.Struct):
    """The discount and the final total, or every reason (part of) it does not apply."""

    customer_id: str
    currency: str
    total_minor: int
    discount_minor: int
    final_total_minor: int
    coupon: CouponQuote | None
    points: PointsQuote | None
    reasons: list[ReasonOut]


class ReservationOut(msgspec.Struct):
    """A hold on the coupon and points for ``order_id`` until ``expires_at``."""

    order_id: str
    expires_at: datetime
    coupon_code: str | None
    points: int
    quote: QuoteOut
