"""Real concurrent requests racing for one balance or one coupon (rule: never overspend)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from loyalty import db
from tests.helpers import Api, assert_ledger_consistent, balances
from tests.rewards.support import (
    cart,
    completed,
    create_reward,
    grant,
    my_coupons,
    reserve,
    rules_003,
    rules_004,
    set_program,
)

RACERS = 100


async def test_100_concurrent_unlocks_spend_exactly_the_balance(api: Api) -> None:
    await set_program(api, rules_003())
    reward = await create_reward(api, points_cost=1_000)
    await grant(api, "ewa", 10_500)
    headers = api.shopper("ewa")
    url = f"/v1/me/rewards/{reward['id']}/unlock"
    answers = await asyncio.gather(*(api.client.post(url, headers=headers) for _ in range(RACERS)))
    assert Counter(a.status_code for a in answers) == {201: 10, 409: 90}
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
        "insufficient_points"
    }
    assert (await balances("ewa"))["available"] == 500
    assert len({a.json()["coupon"]["code"] for a in answers if a.status_code == 201}) == 10
    await assert_ledger_consistent()


async def test_100_concurrent_reserves_hold_exactly_the_balance(api: Api) -> None:
    await set_program(api, rules_003())
    await completed(api, "earn", "ewa", 150_000, currency="PLN")  # 15,000 points
    answers = await asyncio.gather(
        *(reserve(api, cart("ewa", 45_000, points=5_000, order_id=f"o-{n}")) for n in range(RACERS))
    )
    assert Counter(a.status_code for a in answers) == {200: 3, 409: 97}
    held = await db.fetchval("SELECT sum(points) FROM redemption WHERE status = 'held'")
    assert held == 15_000
    winners = [f"o-{n}" for n, a in enumerate(answers) if a.status_code == 200]
    for order_id in winners:
        done = await api.order(
            order_id, customer_id="ewa", total_minor=45_000, currency="PLN", points_redeemed=5_000
        )
        assert done["flags"] == []
    after = await balances("ewa")
    assert (after["available"], after["spent"]) == (0, 15_000)
    await assert_ledger_consistent()


async def test_100_concurrent_reserves_of_one_coupon_let_one_through(api: Api) -> None:
    await set_program(api, rules_004())
    await completed(api, "earn", "kari", 50_000)
    code = (await my_coupons(api, "kari"))["items"][0]["code"]
    answers = await asyncio.gather(
        *(
            reserve(api, cart("kari", 20_000, coupon_code=code, order_id=f"o-{n}"))
            for n in range(RACERS)
        )
    )
    assert Counter(a.status_code for a in answers) == {200: 1, 409: 99}
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {
        "coupon_reserved"
    }


async def test_concurrent_orders_carrying_one_coupon_use_it_once(api: Api) -> None:
    await set_program(api, rules_004())
    await completed(api, "earn", "kari", 50_000)
    code = (await my_coupons(api, "kari"))["items"][0]["code"]
    results = await asyncio.gather(  # 30 new orders of one member at once, one coupon
        *(
            api.order(f"o-{n}", customer_id="kari", total_minor=20_000, coupon_code=code)
            for n in range(30)
        )
    )
    flags = Counter(tuple(r["flags"]) for r in results)
    assert flags == {(): 1, ("coupon_already_used",): 29}
    used = await db.fetchval("SELECT count(*) FROM redemption WHERE coupon_id IS NOT NULL")
    assert used == 1
    await assert_ledger_consistent()


async def test_concurrent_orders_paying_with_points_never_overspend(api: Api) -> None:
    await set_program(api, rules_003())
    await completed(api, "earn", "ewa", 150_000, currency="PLN")  # 15,000 points
    pln: dict[str, Any] = {"customer_id": "ewa", "total_minor": 45_000, "currency": "PLN"}
    results = await asyncio.gather(
        *(api.order(f"o-{n}", points_redeemed=5_000, **pln) for n in range(20))
    )
    flags = Counter(tuple(r["flags"]) for r in results)
    assert flags[()] == 3
    assert all(f[0].startswith("points_refused:") for f in flags if f)
    assert sum(flags.values()) == 20
    assert (await balances("ewa"))["available"] == 0
    await assert_ledger_consistent()
