"""The reward catalogue: marketing's CRUD, the shopper's list and unlocks, the coupon list."""

from __future__ import annotations

from loyalty import db
from loyalty.clock import FrozenClock
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows
from tests.rewards.support import (
    completed,
    create_reward,
    events,
    grant,
    my_coupons,
    rules_003,
    rules_004,
    set_program,
)


async def test_marketing_manages_the_catalogue_and_staff_only_read_it(api: Api) -> None:
    reward = await create_reward(api, title="5 off", points_cost=1_000)
    assert reward["active"] and reward["unlocked"] == 0
    staff = await api.staff_headers("staff")
    denied = await api.client.post(
        "/v1/admin/rewards", json={"title": "x", "points_cost": 1}, headers=staff
    )
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    listed = await api.client.get("/v1/admin/rewards", headers=staff)
    assert [r["title"] for r in listed.json()] == ["5 off"]

    marketing = await api.staff_headers("marketing")
    changed = await api.client.put(
        f"/v1/admin/rewards/{reward['id']}",
        json={"title": "6 off", "points_cost": 1_200, "value": 600},
        headers=marketing,
    )
    assert changed.status_code == 200 and changed.json()["points_cost"] == 1_200
    gone = await api.client.delete(f"/v1/admin/rewards/{reward['id']}", headers=marketing)
    assert gone.status_code == 204
    one = await api.client.get(f"/v1/admin/rewards/{reward['id']}", headers=staff)
    assert one.json()["active"] is False
    actions = await db.fetch(
        "SELECT action FROM audit_log WHERE action LIKE 'reward.%' ORDER BY id"
    )
    assert [a["action"] for a in actions] == ["reward.create", "reward.update", "reward.deactivate"]


async def test_bad_rewards_are_refused_with_the_field(api: Api) -> None:
    marketing = await api.staff_headers("marketing")
    cases = [
        ({"title": "x", "points_cost": 10, "kind": "percent_off", "value": 150}, 422, "value"),
        ({"title": "x", "points_cost": 10, "kind": "free_product"}, 422, "sku"),
        ({"title": "x", "points_cost": 0}, 400, None),
        ({"title": "x", "points_cost": 10, "kind": "cashback"}, 400, None),
    ]
    for body, status, field in cases:
        response = await api.client.post("/v1/admin/rewards", json=body, headers=marketing)
        assert response.status_code == status, (body, response.text)
        if field:
            assert response.json()["error"]["details"]["field"] == field
    missing = await api.client.get("/v1/admin/rewards/999", headers=marketing)
    assert missing.status_code == 404


async def test_unlock_spends_points_and_gives_a_coupon(api: Api, clock: FrozenClock) -> None:
    await set_program(api, rules_003())
    reward = await create_reward(api, title="20 PLN off", points_cost=3_000, value=2_000)
    await create_reward(api, title="big", points_cost=50_000)
    await grant(api, "ewa", 5_000)
    shown = await api.client.get("/v1/me/rewards", headers=api.shopper("ewa"))
    assert [(r["title"], r["affordable"], r["points_missing"]) for r in shown.json()["items"]] == [
        ("20 PLN off", True, 0),
        ("big", False, 45_000),
    ]
    unlocked = await api.client.post(
        f"/v1/me/rewards/{reward['id']}/unlock", headers=api.shopper("ewa")
    )
    assert unlocked.status_code == 201, unlocked.text
    body = unlocked.json()
    assert body["created"] and body["available_points"] == 2_000
    assert body["coupon"]["source"] == "reward" and body["coupon"]["value"] == 2_000
    spend = [r for r in await ledger_rows("ewa") if r["kind"] == "reward_unlock"]
    assert [(r["available"], r["spent"]) for r in spend] == [(-3_000, 3_000)]
    told = await events("reward_unlocked")
    assert told[0]["data"]["code"] == body["coupon"]["code"]
    assert told[0]["data"]["reward_title"] == "20 PLN off"

    short = await api.client.post(
        f"/v1/me/rewards/{reward['id']}/unlock", headers=api.shopper("ewa")
    )
    assert short.status_code == 409
    assert short.json()["error"]["details"] == {"available": 2_000, "needed": 3_000}
    unknown = await api.client.post("/v1/me/rewards/999/unlock", headers=api.shopper("ewa"))
    assert unknown.status_code == 404
    await assert_ledger_consistent()


async def test_a_retried_unlock_with_the_same_key_buys_once(api: Api) -> None:
    await set_program(api, rules_003())
    reward = await create_reward(api, points_cost=1_000)
    await grant(api, "ewa", 5_000)
    headers = {**api.shopper("ewa"), "Idempotency-Key": "tap-1"}
    first = await api.client.post(f"/v1/me/rewards/{reward['id']}/unlock", headers=headers)
    second = await api.client.post(f"/v1/me/rewards/{reward['id']}/unlock", headers=headers)
    assert first.json()["created"] and not second.json()["created"]
    assert first.json()["coupon"]["code"] == second.json()["coupon"]["code"]
    assert (await balances("ewa"))["spent"] == 1_000


async def test_a_staff_grant_crossing_the_threshold_issues_a_coupon(api: Api) -> None:
    await set_program(api, rules_004())
    await grant(api, "kari", 4_999)
    assert (await my_coupons(api, "kari"))["items"] == []
    await grant(api, "kari", 1)
    assert (await my_coupons(api, "kari"))["active"] == 1
    assert (await balances("kari"))["available"] == 0


async def test_coupon_list_puts_usable_first_then_used_and_expired(
    api: Api, clock: FrozenClock
) -> None:
    await set_program(api, rules_004())
    await completed(api, "o-1", "kari", 50_000)
    clock.advance(days=20)
    await completed(api, "o-2", "kari", 50_000)
    clock.advance(days=5)
    await completed(api, "o-3", "kari", 50_000)
    codes = [c["code"] for c in (await my_coupons(api, "kari"))["items"]]
    assert len(codes) == 3
    await api.order("o-4", customer_id="kari", total_minor=20_000, coupon_code=codes[1])
    clock.advance(days=6)  # the first coupon (30 days) has expired
    listing = (await my_coupons(api, "kari"))["items"]
    assert [c["status"] for c in listing] == ["active", "expired", "used"]  # latest change first
    assert listing[0]["code"] == codes[2]
    newcomer = await api.client.get("/v1/me/coupons", headers=api.shopper("new"))
    assert newcomer.json() == {"items": [], "active": 0}
    unauthorised = await api.client.get("/v1/me/coupons")
    assert unauthorised.status_code == 401
    staff_view = await api.client.get(
        "/v1/admin/members/kari/coupons", headers=await api.staff_headers("staff")
    )
    assert [c["status"] for c in staff_view.json()["items"]] == ["active", "expired", "used"]
