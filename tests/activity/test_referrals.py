"""Referrals end to end through the HTTP API: code, friend, first order, refund, abuse."""

from __future__ import annotations

import asyncio
from typing import Any

from loyalty import db
from schemas.program import ActivityRules, CappedActivity, CouponTerms, ReferralReward, Referrals
from tests.activity.support import set_activity
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows

FRIEND_COUPON = CouponTerms(
    kind="amount_off", value=1_000, min_order_minor=0, valid_days=60, title="10 EUR welcome"
)
RULES = ActivityRules(
    referral=Referrals(
        enabled=True,
        referrer=ReferralReward(kind="points", points=500),
        friend=ReferralReward(kind="coupon", coupon=FRIEND_COUPON),
        min_order_minor=2_000,
        share_link="https://shop.example/r/{code}",
    )
)


async def referral(api: Api, customer_id: str) -> dict[str, Any]:
    response = await api.client.get("/v1/me/referral", headers=api.shopper(customer_id))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def coupons_of(customer_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT c.source, c.status, c.title, c.value FROM coupon c
           JOIN member m ON m.id = c.member WHERE m.customer_id = $1 ORDER BY c.id""",
        customer_id,
    )
    return [dict(r) for r in rows]


async def referral_state(friend: str) -> tuple[str, str | None]:
    row = await db.fetchrow(
        """SELECT r.state, r.reason FROM referral r JOIN member m ON m.id = r.friend
           WHERE m.customer_id = $1""",
        friend,
    )
    assert row is not None
    return row["state"], row["reason"]


async def test_code_is_made_once_and_readable(api: Api) -> None:
    await set_activity(api, RULES)
    first = await referral(api, "anna")
    again = await referral(api, "anna")
    code = first["code"]
    assert code == again["code"] and len(code) == 8
    assert not set(code) & set("01OI") and code.isupper()
    assert first["share_link"] == f"https://shop.example/r/{code}"
    assert first["enabled"] is True and first["friends_rewarded"] == 0
    assert first["rules"]["referrer"]["points"] == 500
    assert (await referral(api, "bob"))["code"] != code


async def test_friend_first_order_rewards_both_and_refund_takes_it_back(api: Api) -> None:
    await set_activity(api, RULES)
    code = (await referral(api, "anna"))["code"]
    typed = f"{code[:4].lower()}-{code[4:]}"  # what a shopper types is normalised
    response = await api.shop_put("/v1/shop/customers/bob", {"name": "Bob", "referral_code": typed})
    assert response.status_code == 200, response.text
    assert await referral_state("bob") == ("pending", None)

    placed = await api.order("o-1", customer_id="bob", total_minor=5_000, status="paid")
    assert "referral_rewarded" not in placed["flags"]
    assert (await balances("anna"))["available"] == 0
    done = await api.order("o-1", customer_id="bob", total_minor=5_000, status="completed")
    assert "referral_rewarded" in done["flags"]
    assert (await balances("anna"))["available"] == 500
    assert [(c["source"], c["status"], c["value"]) for c in await coupons_of("bob")] == [
        ("referral", "active", 1_000)
    ]
    assert (await balances("bob"))["available"] == 500  # the order's own points
    events = {r["event"] for r in await db.fetch("SELECT event FROM notification")}
    assert {"referral_success", "coupon_issued"} <= events
    me = await referral(api, "anna")
    assert (me["friends_rewarded"], me["points_earned"]) == (1, 500)

    # A second "first order", even carrying the code, earns nothing.
    second = await api.order(
        "o-2", customer_id="bob", total_minor=9_000, status="completed", referral_code=code
    )
    assert "referral_rewarded" not in second["flags"]
    assert "referral_attached" in second["flags"]  # already Anna's friend: nothing new
    assert (await balances("anna"))["available"] == 500

    # Refunding the first order takes the referral reward back.
    refunded = await api.order(
        "o-1", customer_id="bob", total_minor=5_000, status="refunded", refunded_minor=5_000
    )
    assert "referral_reversed" in refunded["flags"]
    assert (await balances("anna"))["available"] == 0
    assert [c["status"] for c in await coupons_of("bob")] == ["void"]
    assert await referral_state("bob") == ("reversed", None)
    kinds = [(r["kind"], r["available"]) for r in await ledger_rows("anna")]
    assert kinds == [("referral", 500), ("referral_reversal", -500)]
    # Replaying the refund changes nothing.
    await api.order(
        "o-1", customer_id="bob", total_minor=5_000, status="refunded", refunded_minor=5_000
    )
    assert (await balances("anna"))["available"] == 0
    await assert_ledger_consistent()


async def test_code_on_the_order_itself_and_a_partial_refund(api: Api) -> None:
    await set_activity(api, RULES)
    code = (await referral(api, "anna"))["code"]
    done = await api.order(
        "o-1", customer_id="carl", total_minor=5_000, status="completed", referral_code=code
    )
    assert {"referral_attached", "referral_rewarded"} <= set(done["flags"])
    assert (await balances("anna"))["available"] == 500
    # Refunds that keep the order at the minimum (20 EUR) keep the reward; below it, not.
    kept = await api.order(
        "o-1", customer_id="carl", total_minor=5_000, status="refunded", refunded_minor=3_000
    )
    assert "referral_reversed" not in kept["flags"]
    assert (await balances("anna"))["available"] == 500
    gone = await api.order(
        "o-1", customer_id="carl", total_minor=5_000, status="refunded", refunded_minor=3_001
    )
    assert "referral_reversed" in gone["flags"]
    assert (await balances("anna"))["available"] == 0
    await assert_ledger_consistent()


async def test_the_referrers_reward_may_be_a_coupon_and_the_friends_points(api: Api) -> None:
    rules = ActivityRules(
        referral=Referrals(
            enabled=True,
            referrer=ReferralReward(kind="coupon", coupon=FRIEND_COUPON),
            friend=ReferralReward(kind="points", points=300),
        )
    )
    await set_activity(api, rules)
    code = (await referral(api, "anna"))["code"]
    await api.order(
        "o-1", customer_id="dina", total_minor=1_000, status="completed", referral_code=code
    )
    assert [c["source"] for c in await coupons_of("anna")] == ["referral"]
    assert (await balances("dina"))["available"] == 100 + 300
    await api.order("o-1", customer_id="dina", total_minor=1_000, status="cancelled")
    assert [c["status"] for c in await coupons_of("anna")] == ["void"]
    assert (await balances("dina"))["available"] == 0
    await assert_ledger_consistent()


async def test_self_referral_unknown_codes_and_old_customers_earn_nothing(api: Api) -> None:
    await set_activity(api, RULES)
    code = (await referral(api, "anna"))["code"]
    own = await api.order(
        "o-1", customer_id="anna", total_minor=5_000, status="completed", referral_code=code
    )
    assert "referral_self" in own["flags"]
    unknown = await api.order(
        "o-2", customer_id="erik", total_minor=5_000, status="completed", referral_code="ZZZZZZZZ"
    )
    assert "referral_unknown_code" in unknown["flags"]
    # Erik already has a completed order: he is no new customer any more.
    late = await api.order(
        "o-3", customer_id="erik", total_minor=5_000, status="completed", referral_code=code
    )
    assert "referral_not_first_order" in late["flags"]
    # Same e-mail as the referrer under another customer id: self-referral too.
    await api.shop_put("/v1/shop/customers/anna", {"email": "anna@example.com"})
    await api.shop_put(
        "/v1/shop/customers/anna-2", {"email": "ANNA@example.com", "referral_code": code}
    )
    await api.order("o-4", customer_id="anna-2", total_minor=5_000, status="completed")
    assert (await balances("anna"))["available"] == 500  # her own order's points only
    assert await db.fetchval("SELECT count(*) FROM referral") == 0
    await assert_ledger_consistent()


async def test_a_first_order_below_the_minimum_voids_the_referral(api: Api) -> None:
    await set_activity(api, RULES)
    code = (await referral(api, "anna"))["code"]
    await api.shop_put("/v1/shop/customers/finn", {"referral_code": code})
    small = await api.order("o-1", customer_id="finn", total_minor=1_999, status="completed")
    assert "referral_void_order_below_minimum" in small["flags"]
    await api.order("o-2", customer_id="finn", total_minor=9_000, status="completed")
    assert await referral_state("finn") == ("void", "order_below_minimum")
    assert (await balances("anna"))["available"] == 0


async def test_blocked_referrer_gets_nothing_but_the_friend_does(api: Api) -> None:
    await set_activity(api, RULES)
    code = (await referral(api, "anna"))["code"]
    staff = await api.staff_headers("staff")
    response = await api.client.post(
        "/v1/admin/members/anna/block", json={"reason": "fraud check"}, headers=staff
    )
    assert response.status_code in (200, 201), response.text
    await api.order(
        "o-1", customer_id="gro", total_minor=5_000, status="completed", referral_code=code
    )
    assert (await balances("anna"))["available"] == 0
    assert len(await coupons_of("gro")) == 1


async def test_referrals_switched_off_attach_nothing(api: Api) -> None:
    code = (await referral(api, "anna"))["code"]
    off = await api.order(
        "o-1", customer_id="hans", total_minor=5_000, status="completed", referral_code=code
    )
    assert "referral_disabled" in off["flags"]
    assert (await referral(api, "anna"))["enabled"] is False


async def test_referral_reward_races_the_referrers_own_orders_and_events(api: Api) -> None:
    """The reward locks the referrer's row inside the friend's order transaction while the
    referrer's own orders and app events lock it too: everything completes, nothing twice."""
    rules = ActivityRules(
        referral=RULES.referral,
        visit=CappedActivity(enabled=True, points=10),
    )
    await set_activity(api, rules)
    code = (await referral(api, "anna"))["code"]
    await api.shop_put("/v1/shop/customers/ivar", {"referral_code": code})
    calls = [
        api.shop_put(
            "/v1/shop/orders/friend-1",
            {
                "customer_id": "ivar",
                "status": "completed",
                "currency": "EUR",
                "total_minor": 5_000,
                "placed_at": api.clock.now().isoformat(),
            },
        ),
        *(
            api.shop_put(
                f"/v1/shop/orders/anna-{i}",
                {
                    "customer_id": "anna",
                    "status": "completed",
                    "currency": "EUR",
                    "total_minor": 1_000,
                    "placed_at": api.clock.now().isoformat(),
                },
            )
            for i in range(15)
        ),
        *(
            api.client.post(
                "/v1/me/events", json={"type": "visit", "id": f"v-{i}"}, headers=api.shopper("anna")
            )
            for i in range(5)
        ),
    ]
    answers = await asyncio.gather(*calls)
    assert [a.status_code for a in answers] == [200] * len(calls), [a.text for a in answers]
    assert (await balances("anna"))["available"] == 500 + 15 * 100 + 10
    assert await referral_state("ivar") == ("rewarded", None)
    await assert_ledger_consistent()
