"""The till: find-or-create by phone, one member per number, merging with the shop's id."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from loyalty import db
from loyalty.clock import FrozenClock
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows
from tests.sms.conftest import NUMBER, by_phone, pos_visit


async def members_with(phone: str) -> list[str]:
    rows = await db.fetch("SELECT customer_id FROM member WHERE phone = $1", phone)
    return [r["customer_id"] for r in rows]


async def test_two_spellings_of_one_number_are_one_member(api: Api) -> None:
    first = await by_phone(api, "+47 912 34 567")
    second = await by_phone(api, "004791234567")
    local = await by_phone(api, "91234567")  # the program's country (NO) is the default
    assert first["created"] and not second["created"] and not local["created"]
    assert first["customer_id"] == second["customer_id"] == local["customer_id"]
    assert first["phone"] == NUMBER
    assert await db.fetchval("SELECT count(*) FROM member") == 1


async def test_an_invalid_number_is_a_422_naming_the_field(api: Api) -> None:
    r = await api.shop_put(f"/v1/shop/customers/by-phone/{quote('12 34')}", {})
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "phone"
    r = await api.shop_put("/v1/shop/customers/kari", {"phone": "not a phone"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"
    assert await db.fetchval("SELECT count(*) FROM member") == 0


async def test_twenty_tills_typing_one_new_number_make_one_member(api: Api) -> None:
    spellings = ["+47 912 34 567", "004791234567", "91234567", "+4791234567"] * 5
    answers = await asyncio.gather(*(by_phone(api, s) for s in spellings))
    assert len({a["customer_id"] for a in answers}) == 1
    assert sum(a["created"] for a in answers) == 1
    assert await db.fetchval("SELECT count(*) FROM member") == 1
    assert await db.fetchval("SELECT count(*) FROM notification WHERE event = 'welcome'") == 1


async def test_the_shops_id_later_renames_the_by_phone_member(api: Api) -> None:
    till = await by_phone(api, "91234567", {"name": "Kari Nordmann"})
    await pos_visit(api, "pos-1", till["customer_id"])
    r = await api.shop_put("/v1/shop/customers/shop-42", {"phone": "+47 912 34 567"})
    assert r.status_code == 200, r.text
    assert await members_with(NUMBER) == ["shop-42"]
    assert await db.fetchval("SELECT count(*) FROM member") == 1
    assert (await balances("shop-42"))["available"] == 1000
    assert [e["order_id"] for e in await ledger_rows("shop-42")] == ["pos-1", "pos-1"]
    again = await by_phone(api, "004791234567")
    assert again["customer_id"] == "shop-42" and not again["created"]


async def test_a_shop_customer_and_a_by_phone_member_merge_into_one(
    api: Api, clock: FrozenClock
) -> None:
    r = await api.shop_put("/v1/shop/customers/shop-7", {"email": "kari@example.no"})
    assert r.status_code == 200
    await api.order("web-1", customer_id="shop-7", total_minor=20_000, status="completed")
    till = await by_phone(api, "+4791234567", {"name": "Kari"})
    await pos_visit(api, "pos-1", till["customer_id"], total=30_000)
    await pos_visit(api, "pos-2", till["customer_id"], status="placed", total=5_000)
    r = await api.shop_put("/v1/shop/customers/shop-7", {"phone": "912 34 567"})
    assert r.status_code == 200, r.text
    assert await db.fetchval("SELECT count(*) FROM member") == 1
    # 2000 + 3000 confirmed reach the 5000 threshold together: the coupon is issued on merge
    assert await balances("shop-7") == {
        "available": 0,
        "pending": 500,
        "lifetime": 5000,
        "spent": 5000,
        "expired": 0,
    }
    assert await db.fetchval("SELECT count(*) FROM coupon") == 1
    orders = {e["order_id"] for e in await ledger_rows("shop-7")}
    assert orders >= {"web-1", "pos-1", "pos-2"}
    await assert_ledger_consistent()
    me = await api.me("shop-7")
    assert me["name"] == "Kari" and me["email"] == "kari@example.no" and me["phone"] == NUMBER
    # the merged history answers the order PUTs of both ids' orders under one member
    again = await api.order(
        "pos-2", customer_id="shop-7", total_minor=5_000, status="completed", channel="pos"
    )
    assert again["points_state"] == "confirmed"
    audit = await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'member.merge'")
    assert audit == 1


async def test_a_number_of_another_shop_customer_is_a_conflict(api: Api) -> None:
    assert (await api.shop_put("/v1/shop/customers/a", {"phone": NUMBER})).status_code == 200
    r = await api.shop_put("/v1/shop/customers/b", {"phone": "91234567"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_taken"
    assert await members_with(NUMBER) == ["a"]


async def test_the_till_answer_shows_balance_coupons_credit_and_recent_orders(
    api: Api, clock: FrozenClock
) -> None:
    h = await api.staff_headers("admin")
    rules = (await api.client.get("/v1/admin/program", headers=h)).json()["rules"]
    rules["points_as_money"] = {**rules["points_as_money"], "enabled": True}
    assert (await api.client.put("/v1/admin/program", json=rules, headers=h)).status_code == 200
    till = await by_phone(api, "91234567")
    assert till["store_credit"]["can_pay_now"] is False
    for i in range(6):
        await pos_visit(api, f"pos-{i}", till["customer_id"], total=10_000)
    shown = await by_phone(api, "91234567")
    assert shown["balance"]["available"] == 1000  # 6000 earned, 5000 burnt for the coupon
    [coupon] = shown["coupons"]
    assert coupon["code"] and coupon["title"]
    assert [o["order_id"] for o in shown["recent_orders"]] == ["pos-5", "pos-4", "pos-3"]
    assert shown["store_credit"] == {
        "value_minor": 1000,
        "currency": "EUR",
        "can_pay_now": False,
        "reasons": ["below_min_balance"],
        "min_order_minor": 40_000,
        "max_discount_minor": 50_000,
    }
    me = await api.me(till["customer_id"])
    assert me["store_credit"]["value_minor"] == 1000 and shown["tier"] is None


async def test_my_orders_newest_first_with_a_cursor(api: Api, clock: FrozenClock) -> None:
    from datetime import timedelta

    start = clock.now()
    for i in range(5):
        await api.order(
            f"o-{i}",
            customer_id="kari",
            total_minor=1000 * (i + 1),
            status="completed",
            placed_at=start + timedelta(hours=i),
            coupon_code=None,
        )
    await api.order("o-x", customer_id="kari", total_minor=500, status="cancelled")
    h = api.shopper("kari")
    first = (await api.client.get("/v1/me/orders?limit=2", headers=h)).json()
    assert [o["order_id"] for o in first["items"]] == ["o-4", "o-3"]
    assert first["items"][0]["points_earned"] == 500 and first["items"][0]["status"] == "completed"
    seen = [o["order_id"] for o in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = (await api.client.get(f"/v1/me/orders?limit=2&cursor={cursor}", headers=h)).json()
        seen += [o["order_id"] for o in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(["o-0", "o-1", "o-2", "o-3", "o-4", "o-x"])
    bad = await api.client.get("/v1/me/orders?cursor=nope", headers=h)
    assert bad.status_code == 422


async def test_merging_keeps_activity_devices_and_the_ledger_consistent(api: Api) -> None:
    """Rows under a per-member unique key on both sides keep the shop member's; others move."""
    assert (await api.shop_put("/v1/shop/customers/shop-9", {"name": "K"})).status_code == 200
    till = (await by_phone(api, "91234567"))["customer_id"]
    for who in ("shop-9", till):
        r = await api.client.post(
            "/v1/me/events", json={"type": "visit", "id": "e-1"}, headers=api.shopper(who)
        )
        assert r.status_code in (200, 201), r.text
    r = await api.client.put(
        "/v1/me/devices/till-phone-token-000000000001",
        json={"platform": "android", "provider": "fcm"},
        headers=api.shopper(till),
    )
    assert r.status_code == 200, r.text
    await pos_visit(api, "pos-1", till)
    r = await api.shop_put("/v1/shop/customers/shop-9", {"phone": "+4791234567"})
    assert r.status_code == 200, r.text
    owner = await db.fetchval("SELECT id FROM member WHERE customer_id = 'shop-9'")
    assert await db.fetchval("SELECT count(*) FROM member") == 1
    assert await db.fetchval("SELECT count(*) FROM activity_event WHERE member = $1", owner) == 1
    assert await db.fetchval("SELECT member FROM device") == owner
    assert await db.fetchval("SELECT count(*) FROM shop_order WHERE member = $1", owner) == 1
    await assert_ledger_consistent()
    from loyalty import ledger

    assert await ledger.lot_drift() == []
