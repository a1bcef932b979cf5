"""Helpers of the rewards tests: programs (examples 004 and 003), checkout calls, coupon rows."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from loyalty import db
from loyalty.demo import demo_rules
from schemas.program import CouponTerms, PointsAsMoney, ProgramRules, Validity
from tests.helpers import Api


def rules_004(**changes: Any) -> ProgramRules:
    """Example 004: EUR, 10 points per euro, 5000 points give a 10 % coupon (min 100 EUR)."""
    return msgspec.structs.replace(demo_rules(), **changes)


def rules_003(**points_changes: Any) -> ProgramRules:
    """Example 003: PLN, 10 points per zloty, points pay (100 points = 1 PLN) with its limits."""
    limits: dict[str, Any] = {
        "enabled": True,
        "points_per_unit": 100,
        "unit_minor": 100,
        "min_balance": 5_000,
        "min_order_minor": 40_000,
        "max_discount_minor": 50_000,
        "max_points_age_days": 365,
    }
    return ProgramRules(
        name="Example 003",
        currency="PLN",
        earn_points=10,
        rate_unit_minor=100,
        threshold_points=0,
        points_as_money=PointsAsMoney(**(limits | points_changes)),
        validity=Validity(policy="never"),
    )


async def set_program(api: Api, rules: ProgramRules) -> None:
    response = await api.client.put(
        "/v1/admin/program",
        content=msgspec.json.encode(rules),
        headers={**await api.staff_headers("marketing"), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def completed(
    api: Api, order_id: str, customer_id: str, total_minor: int, **extra: Any
) -> dict[str, Any]:
    extra.setdefault("currency", "EUR")
    return await api.order(
        order_id, customer_id=customer_id, total_minor=total_minor, status="completed", **extra
    )


def cart(customer_id: str, total_minor: int, **extra: Any) -> dict[str, Any]:
    return {"customer_id": customer_id, "total_minor": total_minor, **extra}


async def quote(api: Api, body: dict[str, Any]) -> httpx.Response:
    return await api.shop_post("/v1/shop/checkout/quote", body)


async def quote_ok(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    response = await quote(api, body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def reserve(api: Api, body: dict[str, Any]) -> httpx.Response:
    return await api.shop_post("/v1/shop/checkout/reserve", body)


async def my_coupons(api: Api, customer_id: str) -> dict[str, Any]:
    response = await api.client.get("/v1/me/coupons", headers=api.shopper(customer_id))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def grant(api: Api, customer_id: str, points: int) -> None:
    """Staff grant (the shop must have told us about the customer first)."""
    await api.shop_put(f"/v1/shop/customers/{customer_id}", {})
    response = await api.client.post(
        f"/v1/admin/members/{customer_id}/adjustments",
        json={"points": points, "reason": "test grant"},
        headers=await api.staff_headers("staff"),
    )
    assert response.status_code == 201, response.text


async def create_reward(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"title": "5 off", "points_cost": 1_000, "kind": "amount_off", "value": 500, **fields}
    response = await api.client.post(
        "/v1/admin/rewards", json=body, headers=await api.staff_headers("marketing")
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def events(event: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT member, data::text AS data, dedupe_key FROM notification WHERE event = $1"
        " ORDER BY id",
        event,
    )
    return [{**dict(r), "data": db.loads(r["data"])} for r in rows]


async def coupon_rows(customer_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT c.* FROM coupon c JOIN member m ON m.id = c.member
           WHERE m.customer_id = $1 ORDER BY c.id""",
        customer_id,
    )
    return [dict(r) for r in rows]


def free_terms() -> CouponTerms:
    return CouponTerms(
        kind="amount_off", value=1_000, min_order_minor=0, valid_days=10, title="10 off"
    )
