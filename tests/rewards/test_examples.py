"""The worked examples of PRODUCT.md rules 3 and 5, end to end through the HTTP API."""

from __future__ import annotations

from datetime import timedelta

from loyalty.clock import FrozenClock
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows
from tests.rewards.support import (
    cart,
    completed,
    events,
    my_coupons,
    quote_ok,
    reserve,
    rules_003,
    rules_004,
    set_program,
)


async def test_example_004_500_eur_gives_one_10_percent_coupon(
    api: Api, clock: FrozenClock
) -> None:
    await set_program(api, rules_004())
    await completed(api, "o-1", "kari", 20_000)
    await completed(api, "o-2", "kari", 15_000)
    assert (await my_coupons(api, "kari"))["items"] == []
    await completed(api, "o-3", "kari", 15_000)  # 500 EUR in all: 5000 points

    listing = await my_coupons(api, "kari")
    assert listing["active"] == 1 and len(listing["items"]) == 1
    coupon = listing["items"][0]
    assert (coupon["kind"], coupon["value"], coupon["min_order_minor"]) == (
        "percent_off",
        10,
        10_000,
    )
    assert coupon["status"] == "active" and coupon["source"] == "threshold"
    assert coupon["expires_at"].startswith((clock.now() + timedelta(days=30)).date().isoformat())
    assert await balances("kari") == {
        "available": 0,
        "pending": 0,
        "lifetime": 5_000,
        "spent": 5_000,
        "expired": 0,
    }
    burns = [r for r in await ledger_rows("kari") if r["kind"] == "coupon_burn"]
    assert [(b["available"], b["spent"]) for b in burns] == [(-5_000, 5_000)]
    issued = await events("coupon_issued")
    assert [e["data"]["code"] for e in issued] == [coupon["code"]]

    code = coupon["code"]
    small = await quote_ok(api, cart("kari", 9_000, coupon_code=code))
    assert small["discount_minor"] == 0 and small["final_total_minor"] == 9_000
    assert [r["code"] for r in small["reasons"]] == ["order_below_coupon_minimum"]

    big = await quote_ok(api, cart("kari", 20_000, coupon_code=code))
    assert big["coupon"]["applied"] and big["discount_minor"] == 2_000
    assert big["final_total_minor"] == 18_000 and big["reasons"] == []

    held = await reserve(api, cart("kari", 20_000, coupon_code=code, order_id="o-4"))
    assert held.status_code == 200, held.text
    order = await api.order(
        "o-4", customer_id="kari", total_minor=18_000, status="paid", coupon_code=code
    )
    assert order["flags"] == []
    listing = await my_coupons(api, "kari")
    assert listing["active"] == 0 and listing["items"][0]["status"] == "used"
    assert listing["items"][0]["used_order_id"] == "o-4"
    again = await quote_ok(api, cart("kari", 20_000, coupon_code=code))
    assert [r["code"] for r in again["reasons"]] == ["coupon_invalid"]
    assert [e["data"]["order_id"] for e in await events("reward_redeemed")] == ["o-4"]
    await assert_ledger_consistent()


async def test_example_004_one_coupon_per_threshold_crossed(api: Api) -> None:
    await set_program(api, rules_004())
    await completed(api, "o-1", "ola", 123_456)  # 12,345 points: two thresholds
    listing = await my_coupons(api, "ola")
    assert listing["active"] == 2
    assert len({c["code"] for c in listing["items"]}) == 2
    assert (await balances("ola"))["available"] == 2_345
    await assert_ledger_consistent()


async def _points_customer(api: Api, customer_id: str, total_minor: int, **extra: object) -> None:
    await completed(
        api, f"{customer_id}-history", customer_id, total_minor, currency="PLN", **extra
    )


async def test_example_003_points_pay_150_of_a_450_pln_order(api: Api) -> None:
    await set_program(api, rules_003())
    for n in range(3):  # 1,500 PLN of completed orders: 15,000 points
        await completed(api, f"o-{n}", "ewa", 50_000, currency="PLN")
    assert (await balances("ewa"))["available"] == 15_000

    answer = await quote_ok(api, cart("ewa", 45_000, points=15_000))
    assert answer["points"]["applied"] and answer["points"]["points_used"] == 15_000
    assert answer["discount_minor"] == 15_000  # 150 PLN paid by points
    assert answer["final_total_minor"] == 30_000  # 300 PLN to pay

    held = await reserve(api, cart("ewa", 45_000, points=15_000, order_id="o-buy"))
    assert held.status_code == 200, held.text
    order = await api.order(
        "o-buy", customer_id="ewa", total_minor=45_000, currency="PLN", points_redeemed=15_000
    )
    assert order["flags"] == []
    assert (await balances("ewa"))["available"] == 0
    redeem = [r for r in await ledger_rows("ewa") if r["kind"] == "checkout_redeem"]
    assert [(r["available"], r["spent"], r["order_id"]) for r in redeem] == [
        (-15_000, 15_000, "o-buy")
    ]
    await assert_ledger_consistent()


async def test_example_003_min_balance_5000_refused_one_point_below(api: Api) -> None:
    await set_program(api, rules_003())
    await _points_customer(api, "low", 49_990)  # 4,999 points
    await _points_customer(api, "ok", 50_000)  # 5,000 points
    refused = await quote_ok(api, cart("low", 45_000, points=4_999))
    assert [r["code"] for r in refused["reasons"]] == ["below_min_balance"]
    assert refused["final_total_minor"] == 45_000
    accepted = await quote_ok(api, cart("ok", 45_000, points=5_000))
    assert accepted["reasons"] == [] and accepted["discount_minor"] == 5_000


async def test_example_003_min_order_400_pln_refused_one_grosz_below(api: Api) -> None:
    await set_program(api, rules_003())
    await _points_customer(api, "ewa", 150_000)
    refused = await quote_ok(api, cart("ewa", 39_999, points=10_000))
    assert [r["code"] for r in refused["reasons"]] == ["order_below_points_minimum"]
    assert refused["points"]["max_points"] == 0
    accepted = await quote_ok(api, cart("ewa", 40_000, points=10_000))
    assert accepted["reasons"] == [] and accepted["final_total_minor"] == 30_000


async def test_example_003_max_discount_500_pln_refused_one_grosz_above(api: Api) -> None:
    await set_program(api, rules_003())
    await _points_customer(api, "ewa", 600_000)  # 60,000 points
    refused = await quote_ok(api, cart("ewa", 100_000, points=50_001))
    assert [r["code"] for r in refused["reasons"]] == ["above_max_points_discount"]
    assert refused["points"]["max_points"] == 50_000
    accepted = await quote_ok(api, cart("ewa", 100_000, points=50_000))
    assert accepted["discount_minor"] == 50_000 and accepted["final_total_minor"] == 50_000


async def test_example_003_points_older_than_365_days_refused(api: Api, clock: FrozenClock) -> None:
    await set_program(api, rules_003())
    now = clock.now()
    await _points_customer(api, "old", 100_000, placed_at=now - timedelta(days=366))
    await _points_customer(api, "edge", 100_000, placed_at=now - timedelta(days=365))
    refused = await quote_ok(api, cart("old", 45_000, points=10_000))
    assert [r["code"] for r in refused["reasons"]] == ["points_too_old"]
    assert refused["points"]["max_points"] == 0
    accepted = await quote_ok(api, cart("edge", 45_000, points=10_000))
    assert accepted["reasons"] == [] and accepted["discount_minor"] == 10_000
    held = await reserve(api, cart("old", 45_000, points=10_000, order_id="o-old"))
    assert held.status_code == 409 and held.json()["error"]["code"] == "points_too_old"
