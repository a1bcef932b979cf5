"""Rules 1 and 12: how many points an order earns, and why. Pure functions, integer maths.

:func:`compute` is the one place an order's points are worked out. It returns a
:class:`Breakdown` (line by line: rate, base points, what multipliers added, fixed points; then
the order's bonuses), kept on the order so staff can answer "why 2,020 points?".

- The paid total is split over the lines in proportion to their list value; each share earns at
  its line's rate (``sku_points`` replace the rate with fixed points per unit; else
  ``sku_rates``, ``category_rates``, ``store_rates``, ``channel_rates``, the base rate).
- Multipliers (the member's tier and every matching campaign) scale the rate points of the
  lines they match; they add up: 100 + (tier - 100) + each campaign's (pct - 100), never below 0.
- The rate points of the whole order are floored once, then handed to the lines by cumulative
  floors, so the lines always sum to the order's rate points and splitting never loses a point.
- Fixed points (``sku_points`` x quantity, ``points_per_order``) and campaign ``bonus_points``
  are added unscaled. Below ``min_order_minor`` nothing is earned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import msgspec

from schemas.earning import Campaign, TierLevel
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


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What of an order decides its points."""

    total_minor: int
    items: Sequence[Line]
    channel: str | None
    store_id: str | None
    placed_at: datetime


class LineBreakdown(msgspec.Struct, kw_only=True):
    """One line's points: ``points = base + multiplied + fixed``."""

    sku: str | None
    category: str | None
    quantity: int
    value_minor: int
    rate: int
    base: int
    multiplier_pct: int
    multiplied: int
    fixed: int
    points: int
    campaigns: list[str] = msgspec.field(default_factory=list)


class Bonus(msgspec.Struct, kw_only=True):
    source: str  # "points_per_order" or "campaign:<id>"
    points: int


class Breakdown(msgspec.Struct, kw_only=True):
    """The points of an order and how they add up; ``campaigns`` and ``tier`` are the terms
    that applied when the order was first seen (later edits to the program leave them be)."""

    points: int
    lines: list[LineBreakdown] = msgspec.field(default_factory=list)
    bonuses: list[Bonus] = msgspec.field(default_factory=list)
    campaigns: list[Campaign] = msgspec.field(default_factory=list)
    tier: str | None = None
    tier_multiplier_pct: int = 100
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class _Item:
    sku: str | None
    category: str | None
    quantity: int
    value: int


def eligible(rules: ProgramRules, *, channel: str | None, store_id: str | None) -> bool:
    """Whether the program covers this sales channel and store."""
    if not rules.active:
        return False
    if rules.channels and channel not in rules.channels:
        return False
    return not (rules.stores and store_id not in rules.stores)


def as_program_time(rules: ProgramRules, moment: datetime) -> datetime:
    """A campaign time without an offset is wall-clock time in the program's zone."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=ZoneInfo(rules.timezone))
    return moment


def is_running(rules: ProgramRules, campaign: Campaign, at: datetime) -> bool:
    start = as_program_time(rules, campaign.starts_at)
    return start <= at < as_program_time(rules, campaign.ends_at)


def running_at(rules: ProgramRules, at: datetime) -> list[Campaign]:
    """The campaigns whose window contains ``at`` (an order's ``placed_at``)."""
    return [c for c in rules.campaigns if is_running(rules, c, at)]


def windows(rules: ProgramRules) -> list[tuple[datetime, datetime, Campaign]]:
    """Each campaign with its window as instants (for replays judging many orders)."""
    return [
        (as_program_time(rules, c.starts_at), as_program_time(rules, c.ends_at), c)
        for c in rules.campaigns
    ]


def tier_level(rules: ProgramRules, tier_id: str | None) -> TierLevel | None:
    if not rules.tiers.enabled or tier_id is None:
        return None
    return next((level for level in rules.tiers.levels if level.id == tier_id), None)


def line_rate(rules: ProgramRules, item: _Item, order: OrderFacts) -> int:
    """Rate points per ``rate_unit_minor``: SKU, category, store, channel, then the base."""
    if item.sku is not None and item.sku in rules.sku_rates:
        return rules.sku_rates[item.sku]
    if item.category is not None and item.category in rules.category_rates:
        return rules.category_rates[item.category]
    if order.store_id is not None and order.store_id in rules.store_rates:
        return rules.store_rates[order.store_id]
    if order.channel is not None and order.channel in rules.channel_rates:
        return rules.channel_rates[order.channel]
    return rules.earn_points


def compute(
    rules: ProgramRules,
    order: OrderFacts,
    *,
    campaigns: Sequence[Campaign],
    tier: TierLevel | None,
) -> Breakdown:
    """The points ``order`` earns under ``rules`` with these campaigns and this tier."""
    tier_pct = tier.earn_multiplier_pct if tier else 100
    result = Breakdown(
        points=0,
        campaigns=list(campaigns),
        tier=tier.id if tier else None,
        tier_multiplier_pct=tier_pct,
    )
    if order.total_minor <= 0:
        result.reason = "no_amount"
        return result
    if order.total_minor < rules.min_order_minor:
        result.reason = "below_min_order"
        return result
    items = _items(order)
    matching = [c for c in campaigns if _order_matches(c, order, items, tier)]
    result.lines = _lines(rules, order, items, matching, tier_pct)
    bonuses = [Bonus(source="points_per_order", points=rules.points_per_order)]
    bonuses += [Bonus(source=f"campaign:{c.id}", points=c.bonus_points) for c in matching]
    result.bonuses = [b for b in bonuses if b.points]
    result.points = sum(x.points for x in result.lines) + sum(b.points for b in result.bonuses)
    return result


def points(
    rules: ProgramRules,
    order: OrderFacts,
    *,
    campaigns: Sequence[Campaign],
    tier: TierLevel | None,
) -> int:
    """``compute(...).points`` without building the breakdown (the what-if replay).

    The same sums: the lines' cumulative floors add up to one floor of the whole order's rate
    points, so the total needs no per-line split (a test holds the two equal)."""
    if order.total_minor <= 0 or order.total_minor < rules.min_order_minor:
        return 0
    tier_extra = (tier.earn_multiplier_pct if tier else 100) - 100
    by_line = rules.sku_rates or rules.category_rates or rules.sku_points
    if not by_line and not any(c.skus or c.categories for c in campaigns):
        return _uniform_points(rules, order, campaigns, tier, tier_extra)
    items = _items(order)
    matching = [c for c in campaigns if _order_matches(c, order, items, tier)]
    scaled = fixed = 0
    for item in items:
        fixed_each = rules.sku_points.get(item.sku) if item.sku is not None else None
        if fixed_each is not None:
            fixed += fixed_each * item.quantity
            continue
        pct = 100 + tier_extra
        for c in matching:
            if _line_matches(c, item):
                pct += c.multiplier_pct - 100
        scaled += order.total_minor * item.value * line_rate(rules, item, order) * max(pct, 0)
    denominator = sum(i.value for i in items) * rules.rate_unit_minor * 100
    bonus = rules.points_per_order + sum(c.bonus_points for c in matching)
    return scaled // denominator + fixed + bonus


def _uniform_points(
    rules: ProgramRules,
    order: OrderFacts,
    campaigns: Sequence[Campaign],
    tier: TierLevel | None,
    tier_extra: int,
) -> int:
    """Every line earns at one rate and one multiplier: the split over lines cancels out."""
    no_lines: list[_Item] = [_Item(None, None, 1, 1)]
    matching = [c for c in campaigns if _order_matches(c, order, no_lines, tier)]
    pct = max(100 + tier_extra + sum(c.multiplier_pct - 100 for c in matching), 0)
    rate = line_rate(rules, no_lines[0], order)
    scaled = order.total_minor * rate * pct // (rules.rate_unit_minor * 100)
    return scaled + rules.points_per_order + sum(c.bonus_points for c in matching)


def _items(order: OrderFacts) -> list[_Item]:
    items = [
        _Item(i.sku, i.category, i.quantity, i.quantity * i.unit_price_minor) for i in order.items
    ]
    if sum(i.value for i in items) <= 0:  # no lines (or only free ones): the total is one line
        items.append(_Item(None, None, 1, order.total_minor))
    return items


def _order_matches(
    c: Campaign, order: OrderFacts, items: list[_Item], tier: TierLevel | None
) -> bool:
    if c.channels and order.channel not in c.channels:
        return False
    if c.stores and order.store_id not in c.stores:
        return False
    if c.tiers and (tier is None or tier.id not in c.tiers):
        return False
    if order.total_minor < c.min_order_minor:
        return False
    return any(_line_matches(c, item) for item in items)


def _line_matches(c: Campaign, item: _Item) -> bool:
    if not (c.skus or c.categories):
        return True
    return (item.sku is not None and item.sku in c.skus) or (
        item.category is not None and item.category in c.categories
    )


def _lines(
    rules: ProgramRules,
    order: OrderFacts,
    items: list[_Item],
    matching: list[Campaign],
    tier_pct: int,
) -> list[LineBreakdown]:
    # Exact rate points of a line are total * value * rate * pct / (list_total * unit * 100):
    # integer numerators over one common denominator, floored cumulatively (no floats).
    denominator = sum(i.value for i in items) * rules.rate_unit_minor * 100
    out: list[LineBreakdown] = []
    base_sum = scaled_sum = 0
    for item in items:
        fixed_each = rules.sku_points.get(item.sku) if item.sku is not None else None
        rate = 0 if fixed_each is not None else line_rate(rules, item, order)
        hits = [c for c in matching if _line_matches(c, item)] if matching else []
        pct = max(0, 100 + (tier_pct - 100) + sum(c.multiplier_pct - 100 for c in hits))
        exact = order.total_minor * item.value * rate
        base_before, scaled_before = base_sum // denominator, scaled_sum // denominator
        base_sum += exact * 100
        scaled_sum += exact * pct
        base = base_sum // denominator - base_before
        rate_points = scaled_sum // denominator - scaled_before
        fixed = (fixed_each or 0) * item.quantity
        out.append(
            LineBreakdown(
                sku=item.sku,
                category=item.category,
                quantity=item.quantity,
                value_minor=item.value,
                rate=rate,
                base=base,
                multiplier_pct=pct,
                multiplied=rate_points - base,
                fixed=fixed,
                points=rate_points + fixed,
                campaigns=[c.id for c in hits if c.multiplier_pct != 100],
            )
        )
    return out


def clawback_target(points: int, total_minor: int, refunded_minor: int) -> int:
    """Points to have taken back once ``refunded_minor`` of ``total_minor`` is refunded.

    Rule 2: in proportion, floored, so a full refund takes back exactly what was earned.
    """
    if total_minor <= 0:
        return points
    refunded = min(max(refunded_minor, 0), total_minor)
    return points * refunded // total_minor
