"""Per-lot validity (example 003): each accrual expires N days after it was earned."""

from __future__ import annotations

from datetime import time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import db, spending
from loyalty.clock import FrozenClock
from tests.helpers import Api, balances
from tests.validity.support import (
    DAY0,
    assert_consistent,
    customer,
    expire_entries,
    job,
    local,
    reset,
    set_validity,
)

OSLO = "Europe/Oslo"


async def _spend(customer_id: str, points: int, key: str, now: object) -> None:
    """The guarded debit every redemption (coupon, catalogue, points at checkout) goes through;
    the rewards area tests those HTTP paths, here only the lots matter."""
    member_id = await db.fetchval("SELECT id FROM member WHERE customer_id = $1", customer_id)
    async with db.transaction():
        await spending.spend(member_id, points, kind="redeem", key=key, now=now)  # type: ignore[arg-type]


async def _expiring(api: Api, customer_id: str) -> tuple[int, str | None]:
    balance = (await api.me(customer_id))["balance"]
    return balance["expiring_points"], balance["expires_on"]


def _on(day: int) -> str:
    return (DAY0 + timedelta(days=day)).isoformat()


async def test_example_003_1000_500_then_800_spent(api: Api, clock: FrozenClock) -> None:
    await set_validity(api, policy="per_lot", days=365)
    clock.set(local(0, OSLO))
    await customer(api, "c-1", OSLO)
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    clock.set(local(100, OSLO))
    await api.order("o-2", customer_id="c-1", total_minor=5_000, status="completed")
    clock.set(local(150, OSLO))
    await _spend("c-1", 800, "spend-1", clock.now())
    assert await _expiring(api, "c-1") == (200, _on(365))
    await assert_consistent()

    for day, at, expired, available in (
        (365, time(23, 59, 59), 0, 700),
        (366, time(0), 200, 500),
        (465, time(23, 59, 59), 200, 500),
        (466, time(0), 700, 0),
    ):
        clock.set(local(day, OSLO, at))
        await job("expire", clock.now())
        b = await balances("c-1")
        assert (b["expired"], b["available"], b["spent"]) == (expired, available, 800), day
        await assert_consistent()
        if day == 366:
            assert await _expiring(api, "c-1") == (500, _on(465))
    assert [(e["expired"], e["meta"]["expires_on"]) for e in await expire_entries("c-1")] == [
        (200, _on(365)),
        (500, _on(465)),
    ]
    uses = await db.fetch(
        """SELECT u.points, l.points AS lot FROM lot_use u JOIN point_lot l ON l.id = u.lot
           JOIN ledger_entry e ON e.id = u.entry WHERE e.kind = 'expire' ORDER BY u.id"""
    )
    assert [(u["points"], u["lot"]) for u in uses] == [(200, 1000), (500, 500)]


async def test_a_reversed_spend_returns_points_to_their_own_lots_and_dates(
    api: Api, clock: FrozenClock
) -> None:
    await set_validity(api, policy="per_lot", days=365)
    clock.set(local(0, OSLO))
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    clock.set(local(200, OSLO))
    await api.order("o-2", customer_id="c-1", total_minor=10_000, status="completed")
    await _spend("c-1", 1_500, "spend-1", clock.now())
    clock.set(local(300, OSLO))
    async with db.transaction():
        await spending.give_back("spend-1", 1_500, key="back-1", now=clock.now())
    assert await _expiring(api, "c-1") == (1_000, _on(365))
    clock.set(local(366, OSLO, time(1)))
    await job("expire", clock.now())
    assert (await balances("c-1"))["available"] == 1_000
    await assert_consistent()


async def test_points_restored_after_their_lot_expired_expire_at_the_next_run(
    api: Api, clock: FrozenClock
) -> None:
    await set_validity(api, policy="per_lot", days=365)
    clock.set(local(0, OSLO))
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    clock.set(local(150, OSLO))
    await _spend("c-1", 800, "spend-1", clock.now())
    clock.set(local(366, OSLO))
    await job("expire", clock.now())
    clock.set(local(400, OSLO))
    async with db.transaction():
        await spending.give_back("spend-1", 800, key="back-1", now=clock.now())
    await job("expire", clock.now())
    keys = [e["idempotency_key"].rsplit(":", 2)[1:] for e in await expire_entries("c-1")]
    assert keys == [[_on(365), "0"], [_on(365), "200"]]
    assert (await balances("c-1"))["expired"] == 1_000
    await assert_consistent()


async def test_a_new_n_applies_to_lots_earned_from_then_on(api: Api, clock: FrozenClock) -> None:
    await set_validity(api, policy="per_lot", days=365)
    clock.set(local(0, OSLO))
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    await set_validity(api, policy="per_lot", days=30)
    clock.set(local(10, OSLO))
    await api.order("o-2", customer_id="c-1", total_minor=2_000, status="completed")
    assert await _expiring(api, "c-1") == (200, _on(40))
    clock.set(local(41, OSLO))
    await job("expire", clock.now())
    b = await balances("c-1")
    assert (b["expired"], b["available"]) == (200, 1_000)
    assert await _expiring(api, "c-1") == (1_000, _on(365))


async def test_points_earned_under_rolling_keep_the_rolling_rule(
    api: Api, clock: FrozenClock
) -> None:
    clock.set(local(0, OSLO))
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    await set_validity(api, policy="per_lot", days=100)
    clock.set(local(50, OSLO))
    await api.order("o-2", customer_id="c-1", total_minor=1_000, status="completed")
    clock.set(local(151, OSLO))
    await job("expire", clock.now())
    b = await balances("c-1")
    assert (b["expired"], b["available"]) == (100, 1_000)  # the new lot went; the old follows
    assert await _expiring(api, "c-1") == (1_000, _on(365))  # the rolling date, never shorter
    clock.set(local(366, OSLO))
    await job("expire", clock.now())
    assert (await balances("c-1"))["available"] == 0
    await assert_consistent()


ops = st.lists(
    st.tuples(st.integers(1, 20), st.sampled_from(["earn", "spend"]), st.integers(1, 50)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=ops)
async def test_expired_points_are_what_a_fifo_model_says(
    api: Api, clock: FrozenClock, steps: list[tuple[int, str, int]]
) -> None:
    """Earn and spend on random days (N = 30): after each day's expiry run, the member's
    expired and available points equal a first-in-first-out model of dated lots."""
    await reset()
    await set_validity(api, policy="per_lot", days=30)
    await customer(api, "c-1")
    lots: list[list[int]] = []  # [last valid day, remaining]
    expired, day = 0, 0
    for n, (gap, op, amount) in enumerate(steps):
        day += gap
        clock.set(local(day, OSLO))
        await job("expire", clock.now())
        expired += sum(r for last, r in lots if last < day)
        lots = [lot for lot in lots if lot[0] >= day]
        if op == "earn":
            await api.order(
                f"o-{n}", customer_id="c-1", total_minor=amount * 100, status="completed"
            )
            lots.append([day + 30, amount * 10])
        elif (have := sum(r for _, r in lots)) > 0:
            take = min(have, amount * 5)
            await _spend("c-1", take, f"s-{n}", clock.now())
            for lot in lots:
                used = min(lot[1], take)
                lot[1], take = lot[1] - used, take - used
        b = await balances("c-1")
        assert (b["expired"], b["available"]) == (expired, sum(r for _, r in lots))
    await assert_consistent()
