"""Rule 12 through the API: program fields, campaigns (admin API, /v1/me), the stored breakdown,
and invalid rules refused whole."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from loyalty import db
from tests.helpers import Api, assert_ledger_consistent

CART = [
    {"sku": "SKU123", "category": "red", "quantity": 1, "unit_price_minor": 1_200},
    {"sku": "SKU000", "category": "blue", "quantity": 1, "unit_price_minor": 10_000},
    {"sku": "delivery", "category": "delivery", "quantity": 1, "unit_price_minor": 4_000},
]


async def put_rules(api: Api, **changes: Any) -> Any:
    staff = await api.staff_headers("marketing")
    rules = (await api.client.get("/v1/admin/program", headers=staff)).json()["rules"]
    return await api.client.put("/v1/admin/program", json={**rules, **changes}, headers=staff)


def campaign(api: Api, cid: str = "x2", *, days: tuple[int, int] = (-1, 6), **kw: Any) -> Any:
    now = api.clock.now()
    return {
        "id": cid,
        "name": f"Campaign {cid}",
        "starts_at": (now + timedelta(days=days[0])).isoformat(),
        "ends_at": (now + timedelta(days=days[1])).isoformat(),
        **kw,
    }


async def test_open_loyalty_cart_through_the_api_with_breakdown(api: Api) -> None:
    r = await put_rules(api, earn_points=4, category_rates={"red": 0})
    assert r.status_code == 200, r.text
    out = await api.order("o-1", customer_id="c-1", total_minor=15_200, items=CART)
    assert out["points"] == 560
    raw = await db.fetchval("SELECT breakdown::text FROM shop_order WHERE order_id = 'o-1'")
    breakdown = db.loads(raw)
    assert breakdown["points"] == 560
    assert [line["points"] for line in breakdown["lines"]] == [0, 400, 160]


async def test_campaigns_admin_api_and_me(api: Api) -> None:
    staff = await api.staff_headers("marketing")
    for body in (
        campaign(api, "x2", multiplier_pct=200),
        campaign(api, "later", days=(3, 5), bonus_points=100),
        campaign(api, "past", days=(-9, -2), bonus_points=100),
    ):
        r = await api.client.post("/v1/admin/campaigns", json=body, headers=staff)
        assert r.status_code == 201, r.text
    again = await api.client.post("/v1/admin/campaigns", json=campaign(api), headers=staff)
    assert again.status_code == 409
    listed = (await api.client.get("/v1/admin/campaigns", headers=staff)).json()
    assert {c["id"]: c["state"] for c in listed} == {
        "past": "ended",
        "x2": "running",
        "later": "upcoming",
    }
    await api.order("o-0", customer_id="c-1", total_minor=0)
    me = await api.me("c-1")
    assert [c["id"] for c in me["campaigns"]] == ["x2"]
    assert me["tier"] is None
    out = await api.order("o-1", customer_id="c-1", total_minor=10_000)
    assert out["points"] == 2_000
    ended = await api.client.post("/v1/admin/campaigns/x2/end", headers=staff)
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    called_off = await api.client.post("/v1/admin/campaigns/later/end", headers=staff)
    assert called_off.status_code == 200 and called_off.json() is None
    listed = (await api.client.get("/v1/admin/campaigns?state=ended", headers=staff)).json()
    assert [c["id"] for c in listed] == ["past", "x2"]
    assert (await api.me("c-1"))["campaigns"] == []
    admin = await api.staff_headers("admin")
    audit = (await api.client.get("/v1/admin/audit?action=campaign.end", headers=admin)).json()
    assert [a["target"] for a in audit] == ["campaign:x2"]


async def test_editing_or_ending_a_campaign_leaves_placed_orders_alone(api: Api) -> None:
    staff = await api.staff_headers("marketing")
    body = campaign(api, "x3", multiplier_pct=300, bonus_points=50)
    assert (await api.client.post("/v1/admin/campaigns", json=body, headers=staff)).is_success
    placed = await api.order("o-1", customer_id="c-1", total_minor=10_000)
    assert placed["points"] == 3_050
    edited = {**body, "multiplier_pct": 100, "bonus_points": 0}
    r = await api.client.put("/v1/admin/campaigns/x3", json=edited, headers=staff)
    assert r.status_code == 200, r.text
    api.clock.advance(hours=1)
    repriced = await api.order("o-1", customer_id="c-1", total_minor=12_000, status="paid")
    assert repriced["points"] == 3_650  # new total, the terms it was placed under
    assert (await api.client.post("/v1/admin/campaigns/x3/end", headers=staff)).is_success
    done = await api.order("o-1", customer_id="c-1", total_minor=12_000, status="completed")
    assert done["points"] == 3_650 and done["points_state"] == "confirmed"
    fresh = await api.order("o-2", customer_id="c-1", total_minor=10_000)
    assert fresh["points"] == 1_000
    await assert_ledger_consistent()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        (
            {"tiers": {"levels": [{"id": "a", "name": "A"}, {"id": "b", "name": "B"}]}},
            "tiers.levels[1].threshold",
        ),
        ({"campaigns": "ends-before-start"}, "campaigns[0].ends_at"),
        ({"campaigns": "negative"}, "campaigns[0].multiplier_pct"),
        ({"campaigns": "unknown-tier"}, "campaigns[0].tiers"),
        (
            {"tiers": {"levels": [{"id": "a", "name": "A", "earn_multiplier_pct": -5}]}},
            "tiers.levels[0].earn_multiplier_pct",
        ),
        ({"sku_points": {"coffee": -1}}, "sku_points.coffee"),
    ],
)
async def test_invalid_rules_are_422_naming_the_field_and_nothing_is_saved(
    api: Api, changes: dict[str, Any], field: str
) -> None:
    bad = {
        "ends-before-start": [campaign(api, days=(2, 1))],
        "negative": [campaign(api, multiplier_pct=-100)],
        "unknown-tier": [campaign(api, tiers=["platinum"])],
    }
    if isinstance(changes.get("campaigns"), str):
        changes = {"campaigns": bad[changes["campaigns"]]}
    r = await put_rules(api, **changes)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"]["field"] == field
    assert await db.fetchval("SELECT count(*) FROM program") == 0
    staff = await api.staff_headers("marketing")
    if "campaigns" in changes:
        r = await api.client.post(
            "/v1/admin/campaigns", json=changes["campaigns"][0], headers=staff
        )
        assert r.status_code == 422 and r.json()["error"]["details"]["field"] == field
        assert await db.fetchval("SELECT count(*) FROM program") == 0
