"""The program document: every rule marketing controls, validated on save.

Defaults are the demo program (example 004). Money is in minor units; rates are "points per
``rate_unit_minor`` minor units", so "10 points per euro" is exact integer arithmetic
(``earn_points=10, rate_unit_minor=100``). New settings get defaults here so older saved
programs keep loading.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta


class InvalidRules(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


NonNeg = Annotated[int, Meta(ge=0)]
Positive = Annotated[int, Meta(gt=0)]
Channel = Literal["app", "web", "pos"]
Status = Literal["placed", "paid", "completed", "cancelled", "refunded"]


class CouponTerms(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a threshold coupon gives. ``value`` is percent (1-100) or minor units by kind."""

    kind: Literal[
        "percent_off", "amount_off", "free_shipping", "free_product", "percent_off_product"
    ] = "percent_off"
    value: NonNeg = 10
    sku: str | None = None
    min_order_minor: NonNeg = 10_000
    valid_days: Positive = 30
    title: str = "10 % off your next order"


class PointsAsMoney(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Rule 5: points pay part of an order (example 003 numbers as the example)."""

    enabled: bool = False
    points_per_unit: Positive = 100
    unit_minor: Positive = 100
    min_balance: NonNeg = 5_000
    min_order_minor: NonNeg = 40_000
    max_discount_minor: NonNeg = 50_000
    max_points_age_days: NonNeg = 365


class Validity(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    policy: Literal["rolling", "per_lot", "never"] = "rolling"
    days: Positive = 365
    reminder_days: list[Positive] = msgspec.field(default_factory=lambda: [60, 30, 14, 7])


class ProgramRules(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Every setting marketing controls. Defaults are the demo program (example 004)."""

    name: str = "Loyalty club"
    currency: str = "EUR"
    active: bool = True
    earn_points: NonNeg = 10
    rate_unit_minor: Positive = 100
    sku_rates: dict[str, NonNeg] = msgspec.field(default_factory=dict)
    category_rates: dict[str, NonNeg] = msgspec.field(default_factory=dict)
    channels: list[Channel] = msgspec.field(default_factory=list)
    stores: list[str] = msgspec.field(default_factory=list)
    confirm_status: Literal["paid", "completed"] = "completed"
    threshold_points: NonNeg = 5_000
    coupon: CouponTerms = msgspec.field(default_factory=CouponTerms)
    points_as_money: PointsAsMoney = msgspec.field(default_factory=PointsAsMoney)
    validity: Validity = msgspec.field(default_factory=Validity)
    timezone: str = "Europe/Oslo"
    default_locale: str = "en"
    locales: list[str] = msgspec.field(default_factory=lambda: ["en", "nb"])

    def validate(self) -> None:
        """Cross-field checks msgspec's per-field constraints cannot express."""
        _check(len(self.currency) == 3 and self.currency.isupper(), "currency", "ISO 4217 code")
        coupon = self.coupon
        if coupon.kind in ("percent_off", "percent_off_product"):
            _check(1 <= coupon.value <= 100, "coupon.value", "a percentage from 1 to 100")
        if coupon.kind in ("free_product", "percent_off_product"):
            _check(bool(coupon.sku), "coupon.sku", "a SKU for this coupon kind")
        _check(self.default_locale in self.locales, "default_locale", "one of locales")
        _check(_valid_timezone(self.timezone), "timezone", "an IANA time zone")
        offsets = self.validity.reminder_days
        _check(len(set(offsets)) == len(offsets), "validity.reminder_days", "distinct offsets")


def _valid_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _check(ok: bool, field: str, expected: str) -> None:
    if not ok:
        raise InvalidRules(field, f"{field} must be {expected}")
