"""Invariants of the discount maths and of codes (hypothesis), and of whole sequences of
earning, spending, refunding and cancelling through the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import db, ledger, program
from loyalty.rewards import codes, coupons, pricing
from schemas.coupon_kinds import COUPON_KINDS
from schemas.program import PointsAsMoney
from tests.helpers import Api, assert_ledger_consistent
from tests.rewards.support import cart, create_reward, reserve, rules_004, set_program

NOW = datetime(2026, 3, 2, tzinfo=UTC)
money = st.integers(min_value=0, max_value=10**9)

points_rules = st.builds(
    PointsAsMoney,
    enabled=st.booleans(),
    points_per_unit=st.integers(1, 1_000),
    unit_minor=st.integers(1, 1_000),
    min_balance=st.integers(0, 10_000),
    min_order_minor=st.integers(0, 100_000),
    max_discount_minor=st.integers(0, 100_000),
    max_points_age_days=st.integers(0, 400),
)


@st.composite
def wallets(draw: st.DrawFn) -> pricing.Wallet:
    available = draw(st.integers(-10_000, 10**7))
    recent = draw(st.integers(-10_000, max(available, -10_000)))
    return pricing.Wallet(available, recent, blocked=draw(st.booleans()))


@pytest.mark.pure
@given(
    rules=points_rules,
    wallet=wallets(),
    total=money,
    taken=st.integers(0, 10**9),
    requested=st.integers(0, 10**8),
)
def test_points_never_pay_more_than_allowed(
    rules: PointsAsMoney, wallet: pricing.Wallet, total: int, taken: int, requested: int
) -> None:
    payable = max(total - taken, 0)
    cart_ = pricing.Cart(total)
    result = pricing.points_discount(rules, wallet, cart_, payable, requested)
    assert 0 <= result.discount_minor <= payable
    assert 0 <= result.points_used <= max(requested, 0)
    if result.points_used:
        assert result.reasons == [] and rules.enabled and not wallet.blocked
        assert result.points_used <= min(wallet.available, wallet.recent)
        assert pricing.points_value(rules, result.points_used) == result.discount_minor
        assert not rules.max_discount_minor or result.discount_minor <= rules.max_discount_minor
        assert wallet.available >= rules.min_balance and total >= rules.min_order_minor
    top = result.max_points
    if top > 0:
        best = pricing.points_discount(rules, wallet, cart_, payable, top)
        assert best.reasons == [] and best.points_used == top


@pytest.mark.pure
@given(
    kind=st.sampled_from(COUPON_KINDS),
    value=st.integers(0, 100),
    total=money,
    minimum=money,
    shipping=money,
    price=st.integers(0, 10**6),
)
def test_coupons_never_discount_more_than_the_order(
    kind: str, value: int, total: int, minimum: int, shipping: int, price: int
) -> None:
    line = pricing.Cart(total, [_Line("sku", 1, price)], min(shipping, total))
    result = pricing.coupon_discount(pricing.Terms(kind, value, "sku", minimum), line)
    assert 0 <= result.discount_minor <= total
    assert (result.reasons == []) == (total >= minimum)


class _Line:
    def __init__(self, sku: str, quantity: int, unit_price_minor: int) -> None:
        self.sku, self.quantity, self.unit_price_minor = sku, quantity, unit_price_minor


@pytest.mark.pure
def test_codes_are_50_bits_in_the_read_aloud_alphabet() -> None:
    drawn = {codes.generate() for _ in range(2_000)}
    assert len(drawn) == 2_000 and codes.BITS == 50
    assert all(len(c) == 10 and set(c) <= set(codes.ALPHABET) for c in drawn)
    assert not set("0O1I") & set(codes.ALPHABET)
    code = drawn.pop()
    assert codes.normalise(f" {codes.display(code).lower()} ") == code


def _new(key: str) -> coupons.NewCoupon:
    return coupons.NewCoupon(
        title="t",
        kind="amount_off",
        value=1,
        min_order_minor=0,
        valid_days=1,
        source="test",
        issue_key=key,
    )


async def test_a_colliding_code_is_drawn_again_and_keys_issue_once(api: Api) -> None:
    await api.shop_put("/v1/shop/customers/p", {})
    member_id = await db.fetchval("SELECT id FROM member WHERE customer_id = 'p'")
    draws = iter(["AAAAABBBBB", "CCCCCDDDDD"])
    async with db.transaction():
        first, _ = await coupons.issue(member_id, _new("a"), now=NOW, generate=lambda: "AAAAABBBBB")
        second, _ = await coupons.issue(member_id, _new("b"), now=NOW, generate=lambda: next(draws))
        again, _ = await coupons.issue(member_id, _new("k"), now=NOW)
        same, _ = await coupons.issue(member_id, _new("k"), now=NOW)
    assert (first["code"], second["code"]) == ("AAAAABBBBB", "CCCCCDDDDD")
    assert again["id"] == same["id"]


steps = st.lists(
    st.tuples(
        st.sampled_from(["earn", "refund", "cancel", "unlock", "pay_points", "use_coupon"]),
        st.integers(1, 9),
    ),
    min_size=3,
    max_size=9,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps)
async def test_any_sequence_keeps_ledger_lots_and_coupons_consistent(
    api: Api, plan: list[tuple[str, int]]
) -> None:
    await _reset()
    api._staff_tokens.clear()
    rules = rules_004(
        threshold_points=3_000,
        points_as_money=PointsAsMoney(
            enabled=True, min_balance=0, min_order_minor=0, max_discount_minor=0
        ),
    )
    await set_program(api, rules)
    reward = await create_reward(api, points_cost=700)
    orders: list[str] = []
    for n, (step, size) in enumerate(plan):
        await _step(api, step, size, n, orders, reward["id"])
    await assert_ledger_consistent()
    assert await ledger.lot_drift() == []
    member = await db.fetchrow("SELECT spent, pending FROM member WHERE customer_id = 'p'")
    assert member is None or (member["spent"] >= 0 and member["pending"] >= 0)
    twice = await db.fetchval(
        "SELECT count(*) FROM (SELECT coupon_id FROM redemption WHERE status = 'committed'"
        " AND coupon_id IS NOT NULL GROUP BY coupon_id HAVING count(*) > 1) t"
    )
    assert twice == 0


async def _reset() -> None:
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
    )
    await db.execute(
        f"TRUNCATE {', '.join(t['tablename'] for t in tables)} RESTART IDENTITY CASCADE"
    )
    program._cache = None


async def _step(api: Api, step: str, size: int, n: int, orders: list[str], reward: int) -> None:
    base: dict[str, Any] = {"customer_id": "p", "currency": "EUR"}
    if step == "earn":
        orders.append(f"e-{n}")
        await api.order(f"e-{n}", total_minor=size * 10_000, status="completed", **base)
    elif step in ("refund", "cancel") and orders:
        order_id = orders[size % len(orders)]
        row = await db.fetchrow("SELECT total_minor FROM shop_order WHERE order_id = $1", order_id)
        assert row is not None
        refund = {"status": "refunded", "refunded_minor": row["total_minor"] * size // 10}
        change = {"status": "cancelled"} if step == "cancel" else refund
        await api.order(order_id, **{**base, "total_minor": row["total_minor"], **change})
    elif step == "unlock":
        await api.client.post(f"/v1/me/rewards/{reward}/unlock", headers=api.shopper("p"))
    elif step == "pay_points":
        body = cart("p", 50_000, points=size * 300, order_id=f"x-{n}")
        await reserve(api, body)
        await api.order(f"x-{n}", total_minor=50_000, points_redeemed=size * 300, **base)
        orders.append(f"x-{n}")
    elif step == "use_coupon":
        code = await db.fetchval("SELECT code FROM coupon WHERE status = 'active' LIMIT 1")
        if code:
            await api.order(f"c-{n}", total_minor=size * 5_000, coupon_code=code, **base)
            orders.append(f"c-{n}")
