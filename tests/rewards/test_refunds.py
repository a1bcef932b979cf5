"""Cancellations and refunds: spent points come back, coupons come back or are voided."""

from __future__ import annotations

from typing import Any

from loyalty import db, ledger
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows
from tests.rewards.support import (
    cart,
    completed,
    coupon_rows,
    create_reward,
    my_coupons,
    quote_ok,
    reserve,
    rules_003,
    rules_004,
    set_program,
)

PLN: dict[str, Any] = {"customer_id": "ewa", "currency": "PLN"}


async def _assert_lots_consistent() -> None:
    assert await ledger.lot_drift() == []
    await assert_ledger_consistent()


async def test_cancelled_order_returns_its_points_and_coupon(api: Api) -> None:
    await set_program(api, rules_003())
    await completed(api, "earn", "ewa", 200_000, currency="PLN")  # 20,000 points
    reward = await create_reward(api, points_cost=1_000, value=2_000)
    unlocked = await api.client.post(
        f"/v1/me/rewards/{reward['id']}/unlock", headers=api.shopper("ewa")
    )
    code = unlocked.json()["coupon"]["code"]
    body = cart("ewa", 45_000, coupon_code=code, points=10_000, order_id="o-1")
    held = await reserve(api, body)
    assert held.status_code == 200, held.text
    assert held.json()["quote"]["final_total_minor"] == 45_000 - 2_000 - 10_000
    await api.order("o-1", total_minor=33_000, coupon_code=code, points_redeemed=10_000, **PLN)
    assert (await balances("ewa"))["available"] == 9_000
    assert (await my_coupons(api, "ewa"))["active"] == 0

    await api.order(
        "o-1",
        total_minor=33_000,
        status="cancelled",
        coupon_code=code,
        points_redeemed=10_000,
        **PLN,
    )
    assert (await balances("ewa"))["available"] == 19_000
    assert (await my_coupons(api, "ewa"))["active"] == 1
    kinds = [r["kind"] for r in await ledger_rows("ewa")]
    assert kinds[-3:] == ["checkout_redeem", "earn_cancel", "checkout_return"]
    again = await quote_ok(api, cart("ewa", 45_000, coupon_code=code))
    assert again["coupon"]["applied"]
    await _assert_lots_consistent()


async def test_refund_returns_spent_points_in_proportion(api: Api) -> None:
    await set_program(api, rules_003())
    await completed(api, "earn", "ewa", 200_000, currency="PLN")  # 20,000 points
    await api.order("o-1", total_minor=45_000, status="completed", points_redeemed=10_000, **PLN)
    after_buy = await balances("ewa")
    assert after_buy["spent"] == 10_000
    await api.order(
        "o-1",
        total_minor=45_000,
        status="refunded",
        refunded_minor=15_000,
        points_redeemed=10_000,
        **PLN,
    )
    returns = [r for r in await ledger_rows("ewa") if r["kind"] == "checkout_return"]
    assert [r["available"] for r in returns] == [3_333]  # floor(10,000 x 1/3)
    await api.order(
        "o-1",
        total_minor=45_000,
        status="refunded",
        refunded_minor=45_000,
        points_redeemed=10_000,
        **PLN,
    )
    returns = [r for r in await ledger_rows("ewa") if r["kind"] == "checkout_return"]
    assert sum(r["available"] for r in returns) == 10_000
    assert (await balances("ewa"))["spent"] == 0
    await _assert_lots_consistent()


async def test_clawback_voids_an_unused_coupon_bought_with_those_points(api: Api) -> None:
    await set_program(api, rules_004())
    await completed(api, "o-1", "kari", 50_000)  # 5000 points: a coupon, balance 0
    assert (await my_coupons(api, "kari"))["active"] == 1
    await api.order(
        "o-1", customer_id="kari", total_minor=50_000, status="refunded", refunded_minor=50_000
    )
    coupon = (await my_coupons(api, "kari"))["items"][0]
    assert coupon["status"] == "void"
    assert await balances("kari") == {
        "available": 0,
        "pending": 0,
        "lifetime": 0,
        "spent": 0,
        "expired": 0,
    }
    kinds = [(r["kind"], r["available"]) for r in await ledger_rows("kari")]
    assert kinds[-2:] == [("clawback", -5_000), ("coupon_void", 5_000)]
    await _assert_lots_consistent()


async def test_partial_refund_that_the_balance_covers_voids_nothing(api: Api) -> None:
    await set_program(api, rules_004())
    await completed(api, "o-1", "kari", 50_000)  # coupon from these points
    await completed(api, "o-2", "kari", 30_000)  # 3000 points left
    await api.order(
        "o-1", customer_id="kari", total_minor=50_000, status="refunded", refunded_minor=20_000
    )
    assert (await balances("kari"))["available"] == 1_000
    assert (await my_coupons(api, "kari"))["active"] == 1
    await _assert_lots_consistent()


async def test_clawback_after_the_coupon_was_used_leaves_a_negative_balance(api: Api) -> None:
    await set_program(api, rules_004())
    await completed(api, "o-1", "kari", 50_000)
    code = (await my_coupons(api, "kari"))["items"][0]["code"]
    await api.order("o-2", customer_id="kari", total_minor=20_000, coupon_code=code)
    await api.order(
        "o-1", customer_id="kari", total_minor=50_000, status="refunded", refunded_minor=50_000
    )
    assert (await balances("kari"))["available"] == -5_000
    assert (await coupon_rows("kari"))[0]["status"] == "used"

    reward = await create_reward(api, points_cost=1)
    unlock = await api.client.post(
        f"/v1/me/rewards/{reward['id']}/unlock", headers=api.shopper("kari")
    )
    assert unlock.status_code == 409 and unlock.json()["error"]["code"] == "insufficient_points"
    await completed(api, "o-3", "kari", 60_000)  # 6000 points repay the debt first
    assert (await balances("kari"))["available"] == 1_000
    assert (await my_coupons(api, "kari"))["active"] == 0
    await _assert_lots_consistent()


async def test_cancelling_releases_a_hold(api: Api) -> None:
    await set_program(api, rules_003())
    await completed(api, "earn", "ewa", 150_000, currency="PLN")
    held = await reserve(api, cart("ewa", 45_000, points=15_000, order_id="o-1"))
    assert held.status_code == 200
    await api.order("o-1", total_minor=45_000, status="cancelled", **PLN)
    status = await db.fetchval("SELECT status FROM redemption WHERE order_id = 'o-1'")
    assert status == "released"
    answer = await quote_ok(api, cart("ewa", 45_000, points=15_000))
    assert answer["points"]["applied"]
    again = await reserve(api, cart("ewa", 45_000, points=15_000, order_id="o-1"))
    assert again.status_code == 409 and again.json()["error"]["code"] == "order_closed"
