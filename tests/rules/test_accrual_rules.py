"""Rule 12 on the pure accrual function: Open Loyalty's own numbers, campaigns, the breakdown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty import accrual
from schemas.earning import Campaign, TierLevel
from schemas.program import ProgramRules
from schemas.shop import OrderItem

PLACED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CART = [
    OrderItem(sku="SKU123", category="red", quantity=1, unit_price_minor=1_200),
    OrderItem(sku="SKU000", category="blue", quantity=1, unit_price_minor=10_000),
    OrderItem(sku="delivery", category="delivery", quantity=1, unit_price_minor=4_000),
]


def order(items: list[OrderItem] = CART, **kw: object) -> accrual.OrderFacts:
    total = sum(i.quantity * i.unit_price_minor for i in items) if items else 15_200
    fields: dict[str, object] = dict(
        total_minor=total, items=items, channel="web", store_id=None, placed_at=PLACED
    )
    fields.update(kw)
    return accrual.OrderFacts(**fields)  # type: ignore[arg-type]


def earn(rules: ProgramRules, facts: accrual.OrderFacts | None = None, **kw: object) -> int:
    cs = kw.pop("campaigns", rules.campaigns)
    breakdown = accrual.compute(rules, facts or order(), campaigns=cs, **kw)  # type: ignore[arg-type]
    assert breakdown.points == sum(x.points for x in breakdown.lines) + sum(
        b.points for b in breakdown.bonuses
    )
    return breakdown.points


def four_per_unit(**kw: object) -> ProgramRules:
    return ProgramRules(earn_points=4, rate_unit_minor=100, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "points"),
    [
        ({}, 608),
        ({"sku_rates": {"SKU000": 0}}, 208),
        ({"category_rates": {"red": 0}}, 560),
        ({"category_rates": {"red": 0, "delivery": 0}}, 400),
        ({"sku_rates": {"SKU123": 12}}, 704),
        ({"min_order_minor": 30_000}, 0),
    ],
    ids=["plain", "sku000-excluded", "red-excluded", "red-delivery-excluded", "x3", "min-300"],
)
def test_open_loyalty_numbers(overrides: dict[str, object], points: int) -> None:
    assert earn(four_per_unit(**overrides), tier=None) == points


def test_fixed_points_per_unit_replace_the_rate_and_are_not_multiplied() -> None:
    coffee = [OrderItem(sku="coffee", quantity=3, unit_price_minor=3_500)]
    double = Campaign(
        id="x2",
        name="Double",
        starts_at=PLACED,
        ends_at=PLACED.replace(day=2),
        multiplier_pct=200,
    )
    rules = ProgramRules(sku_points={"coffee": 15}, campaigns=[double])
    breakdown = accrual.compute(rules, order(coffee), campaigns=[double], tier=None)
    assert breakdown.points == 45
    assert breakdown.lines[0].fixed == 45 and breakdown.lines[0].rate == 0


def test_points_per_order_store_and_channel_rates() -> None:
    rules = ProgramRules(points_per_order=50, channel_rates={"web": 20}, store_rates={"oslo-1": 30})
    assert earn(rules, order(total_minor=10_000, items=[]), tier=None) == 2_000 + 50
    assert earn(rules, order(total_minor=10_000, items=[], store_id="oslo-1"), tier=None) == 3_050
    assert earn(rules, order(total_minor=10_000, items=[], channel="pos"), tier=None) == 1_050


def _campaign(**kw: object) -> Campaign:
    fields: dict[str, object] = dict(
        id="c", name="C", starts_at=datetime(2026, 12, 1), ends_at=datetime(2026, 12, 8)
    )
    fields.update(kw)
    return Campaign(**fields)  # type: ignore[arg-type]


def test_campaigns_add_their_extra_percent_and_bonus_is_unscaled() -> None:
    double = _campaign(id="x2", multiplier_pct=200)
    red = _campaign(id="red", multiplier_pct=150, categories=["red"], bonus_points=7)
    gold = TierLevel(id="gold", name="Gold", threshold=0, earn_multiplier_pct=125)
    rules = four_per_unit(campaigns=[double, red], sku_points={"delivery": 10}, points_per_order=5)
    rules.tiers.enabled = True
    rules.tiers.levels = [gold]
    breakdown = accrual.compute(rules, order(), campaigns=rules.campaigns, tier=gold)
    by_sku = {x.sku: x for x in breakdown.lines}
    # red line: 48 base points x (100 + 25 + 100 + 50) % = 132; blue: 400 x 225 % = 900
    assert by_sku["SKU123"].multiplier_pct == 275 and by_sku["SKU123"].points == 132
    assert by_sku["SKU000"].points == 900
    assert by_sku["delivery"].points == 10 and by_sku["delivery"].multiplied == 0
    assert {b.source: b.points for b in breakdown.bonuses} == {
        "points_per_order": 5,
        "campaign:red": 7,
    }
    assert breakdown.points == 132 + 900 + 10 + 5 + 7


def test_campaign_narrowing_and_program_time_zone() -> None:
    rules = four_per_unit(timezone="Europe/Oslo")
    # naive campaign times are Oslo wall-clock: 2026-12-01 00:00 Oslo is 23:00 UTC the day before
    c = _campaign(multiplier_pct=200)
    assert accrual.is_running(rules, c, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert not accrual.is_running(rules, c, datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    assert not accrual.is_running(rules, c, datetime(2026, 12, 7, 23, 0, tzinfo=UTC))
    for narrowed in (
        _campaign(multiplier_pct=200, channels=["pos"]),
        _campaign(multiplier_pct=200, stores=["bergen"]),
        _campaign(multiplier_pct=200, skus=["nothing-like-it"]),
        _campaign(multiplier_pct=200, tiers=["gold"]),
        _campaign(multiplier_pct=200, min_order_minor=20_000),
    ):
        assert earn(rules, campaigns=[narrowed], tier=None) == 608


def test_blocked_or_empty_order_earns_nothing_with_a_reason() -> None:
    rules = four_per_unit()
    assert accrual.compute(rules, order(total_minor=0), campaigns=[], tier=None).reason == (
        "no_amount"
    )


items = st.lists(
    st.builds(
        OrderItem,
        sku=st.sampled_from(["a", "b", "c", "coffee"]),
        quantity=st.integers(1, 5),
        unit_price_minor=st.integers(0, 50_000),
        category=st.sampled_from([None, "red", "blue"]),
    ),
    max_size=6,
)
campaigns = st.lists(
    st.builds(
        _campaign,
        id=st.sampled_from(["p", "q", "r"]),
        multiplier_pct=st.integers(0, 400),
        bonus_points=st.integers(0, 100),
        categories=st.sampled_from([[], ["red"]]),
    ),
    max_size=3,
)


@given(
    lines=items,
    total=st.integers(0, 200_000),
    rate=st.integers(0, 50),
    unit=st.integers(1, 1_000),
    cs=campaigns,
    tier_pct=st.integers(0, 300),
    fixed=st.integers(0, 30),
    per_order=st.integers(0, 100),
)
def test_the_breakdown_sums_to_the_points_and_rate_points_floor_once(
    lines: list[OrderItem],
    total: int,
    rate: int,
    unit: int,
    cs: list[Campaign],
    tier_pct: int,
    fixed: int,
    per_order: int,
) -> None:
    tier = TierLevel(id="t", name="T", earn_multiplier_pct=tier_pct)
    rules = ProgramRules(
        earn_points=rate,
        rate_unit_minor=unit,
        sku_points={"coffee": fixed},
        category_rates={"blue": rate * 2},
        points_per_order=per_order,
    )
    b = accrual.compute(rules, order(lines, total_minor=total), campaigns=cs, tier=tier)
    assert b.points == sum(x.points for x in b.lines) + sum(x.points for x in b.bonuses)
    for x in b.lines:
        assert x.points == x.base + x.multiplied + x.fixed
    assert all(x.points >= 0 for x in b.lines)


@given(
    lines=items,
    total=st.integers(0, 200_000),
    rate=st.integers(0, 50),
    cs=campaigns,
    tier_pct=st.integers(0, 300),
    fixed=st.integers(0, 30),
)
def test_the_lean_points_equal_the_breakdown(
    lines: list[OrderItem], total: int, rate: int, cs: list[Campaign], tier_pct: int, fixed: int
) -> None:
    tier = TierLevel(id="t", name="T", earn_multiplier_pct=tier_pct)
    skus = {"coffee": fixed} if fixed % 2 else {}  # even: the uniform fast path
    rules = ProgramRules(
        earn_points=rate, sku_points=skus, points_per_order=3, channel_rates={"app": 7}
    )
    facts = order(lines, total_minor=total, channel="app")
    full = accrual.compute(rules, facts, campaigns=cs, tier=tier).points
    assert accrual.points(rules, facts, campaigns=cs, tier=tier) == full
