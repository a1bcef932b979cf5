"""Rule 1: how many points an order earns. Pure functions, integer maths only.

``points = floor(order amount x rate)``. With SKU or category overrides, the order total is
split over its lines in proportion to their list value and each share earns at its own rate;
the sum is floored once, so splitting never loses points to rounding. Shipping or discounts
(total different from the sum of lines) scale every line's share alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Protocol

from schemas.program import ProgramRules


class Line(Protocol):
    @property
    def sku(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price_minor(self) -> int: ...


def eligible(rules: ProgramRules, *, channel: str | None, store_id: str | None) -> bool:
    """Whether the program covers this sales channel and store."""
    if not rules.active:
        return False
    if rules.channels and channel not in rules.channels:
        return False
    return not (rules.stores and store_id not in rules.stores)


def line_rate(rules: ProgramRules, line: Line) -> int:
    """SKU override first, then category, then the base rate."""
    if line.sku in rules.sku_rates:
        return rules.sku_rates[line.sku]
    if line.category is not None and line.category in rules.category_rates:
        return rules.category_rates[line.category]
    return rules.earn_points


def points_for(rules: ProgramRules, total_minor: int, lines: Sequence[Line]) -> int:
    """Points an order of ``total_minor`` with ``lines`` earns (before channel checks)."""
    if total_minor <= 0:
        return 0
    unit = rules.rate_unit_minor
    values = [line.quantity * line.unit_price_minor for line in lines]
    list_total = sum(values)
    if list_total <= 0 or not (rules.sku_rates or rules.category_rates):
        return total_minor * rules.earn_points // unit
    earned = sum(
        (
            Fraction(total_minor * value, list_total) * line_rate(rules, line)
            for line, value in zip(lines, values, strict=True)
        ),
        start=Fraction(0),
    )
    return int(earned // unit)


def clawback_target(points: int, total_minor: int, refunded_minor: int) -> int:
    """Points to have taken back once ``refunded_minor`` of ``total_minor`` is refunded.

    Rule 2: in proportion, floored, so a full refund takes back exactly what was earned.
    """
    if total_minor <= 0:
        return points
    refunded = min(max(refunded_minor, 0), total_minor)
    return points * refunded // total_minor
