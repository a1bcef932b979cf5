"""The discount maths of checkout: pure functions on integers, no database, no clock.

A cart gets at most one coupon, then points for part of what is left (rule 5). Every check
that fails becomes a :class:`Reason` with a stable code, so the shop can show why nothing (or
less) applies. Money is minor units; points convert as ``points_per_unit`` points =
``unit_minor`` minor units, rounded down, and only the points that buy whole minor units are
charged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from schemas.coupon_kinds import PRODUCT_KINDS
from schemas.program import PointsAsMoney


@dataclass(frozen=True, slots=True)
class Reason:
    """Why (part of) a discount does not apply. ``code`` is stable; ``message`` is English."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)


class Line(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price_minor(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Cart:
    total_minor: int
    items: Sequence[Line] = ()
    shipping_minor: int = 0


@dataclass(frozen=True, slots=True)
class Terms:
    """What a coupon gives: ``value`` is a percentage or minor units depending on ``kind``."""

    kind: str
    value: int
    sku: str | None = None
    min_order_minor: int = 0


@dataclass(frozen=True, slots=True)
class CouponResult:
    discount_minor: int
    free_shipping: bool
    reasons: list[Reason]


def coupon_discount(terms: Terms, cart: Cart) -> CouponResult:
    """The discount ``terms`` give on ``cart``, or the reasons they give none."""
    if cart.total_minor < terms.min_order_minor:
        reason = Reason(
            "order_below_coupon_minimum",
            "the order total is below this coupon's minimum",
            {"min_order_minor": terms.min_order_minor},
        )
        return CouponResult(0, False, [reason])
    if terms.kind in PRODUCT_KINDS:
        unit_price = _unit_price(cart.items, terms.sku)
        if unit_price is None:
            reason = Reason(
                "product_not_in_cart", "the coupon's product is not in the cart", {"sku": terms.sku}
            )
            return CouponResult(0, False, [reason])
        base = unit_price if terms.kind == "free_product" else unit_price * terms.value // 100
        return CouponResult(min(base, cart.total_minor), False, [])
    if terms.kind == "free_shipping":
        return CouponResult(min(cart.shipping_minor, cart.total_minor), True, [])
    if terms.kind == "amount_off":
        return CouponResult(min(terms.value, cart.total_minor), False, [])
    return CouponResult(cart.total_minor * terms.value // 100, False, [])


def _unit_price(items: Sequence[Line], sku: str | None) -> int | None:
    """The highest unit price of ``sku`` in the cart (one unit is discounted)."""
    prices = [line.unit_price_minor for line in items if line.sku == sku and line.quantity > 0]
    return max(prices) if prices else None


@dataclass(frozen=True, slots=True)
class Wallet:
    """The member's points as checkout sees them, other orders' holds already subtracted.

    ``recent`` is what the age limit leaves usable (equal to ``available`` without a limit).
    """

    available: int
    recent: int
    blocked: bool = False


@dataclass(frozen=True, slots=True)
class PointsResult:
    points_used: int
    discount_minor: int
    max_points: int
    reasons: list[Reason]


def points_value(rules: PointsAsMoney, points: int) -> int:
    """Minor units ``points`` are worth (rounded down)."""
    return max(points, 0) * rules.unit_minor // rules.points_per_unit


def points_cost(rules: PointsAsMoney, minor: int) -> int:
    """The fewest points worth ``minor`` minor units."""
    return -(-max(minor, 0) * rules.points_per_unit // rules.unit_minor)


def most_points_within(rules: PointsAsMoney, minor: int) -> int:
    """The most points worth at most ``minor`` minor units."""
    return ((max(minor, 0) + 1) * rules.points_per_unit - 1) // rules.unit_minor


def max_points(rules: PointsAsMoney, wallet: Wallet, cart: Cart, payable_minor: int) -> int:
    """The most points this cart can take, charged exactly (0 when a gate is closed)."""
    if gate_reasons(rules, wallet, cart):
        return 0
    cap = payable_minor
    if rules.max_discount_minor:
        cap = min(cap, rules.max_discount_minor)
    usable = max(min(wallet.available, wallet.recent), 0)
    best = min(usable, most_points_within(rules, cap))
    return points_cost(rules, points_value(rules, best))


def gate_reasons(rules: PointsAsMoney, wallet: Wallet, cart: Cart) -> list[Reason]:
    """Checks that decide whether points can be used at all on this cart."""
    reasons = []
    if not rules.enabled:
        reasons.append(Reason("points_disabled", "points cannot pay for orders in this program"))
        return reasons
    if wallet.blocked:
        reasons.append(Reason("member_blocked", "a blocked member cannot spend points"))
    if wallet.available < rules.min_balance:
        reasons.append(
            Reason(
                "below_min_balance",
                "the points balance is below the minimum for paying with points",
                {"min_balance": rules.min_balance, "available": max(wallet.available, 0)},
            )
        )
    if cart.total_minor < rules.min_order_minor:
        reasons.append(
            Reason(
                "order_below_points_minimum",
                "the order total is below the minimum for paying with points",
                {"min_order_minor": rules.min_order_minor},
            )
        )
    return reasons


def points_discount(
    rules: PointsAsMoney, wallet: Wallet, cart: Cart, payable_minor: int, requested: int
) -> PointsResult:
    """Pay ``requested`` points towards ``payable_minor``, or say why not (all reasons)."""
    top = max_points(rules, wallet, cart, payable_minor)
    reasons = gate_reasons(rules, wallet, cart)
    if requested <= 0:
        return PointsResult(0, 0, top, reasons)
    value = points_value(rules, requested)
    reasons += _amount_reasons(rules, wallet, value, requested, payable_minor, top)
    if reasons:
        return PointsResult(0, 0, top, reasons)
    return PointsResult(points_cost(rules, value), value, top, [])


def _amount_reasons(
    rules: PointsAsMoney, wallet: Wallet, value: int, requested: int, payable: int, top: int
) -> list[Reason]:
    """Checks on the amount asked for: balance, age limit, maximum discount, order total."""
    reasons = []
    if requested > wallet.available:
        reasons.append(
            Reason(
                "insufficient_points",
                "not enough points",
                {"available": max(wallet.available, 0), "requested": requested},
            )
        )
    elif requested > wallet.recent:
        reasons.append(
            Reason(
                "points_too_old",
                f"points older than {rules.max_points_age_days} days cannot be used",
                {"usable": max(wallet.recent, 0), "max_points_age_days": rules.max_points_age_days},
            )
        )
    if rules.max_discount_minor and value > rules.max_discount_minor:
        reasons.append(
            Reason(
                "above_max_points_discount",
                "the points asked for are worth more than the maximum discount",
                {"max_discount_minor": rules.max_discount_minor, "max_points": top},
            )
        )
    if value > payable:
        reasons.append(
            Reason(
                "above_order_total",
                "the points asked for are worth more than what is left to pay",
                {"payable_minor": payable, "max_points": top},
            )
        )
    return reasons
