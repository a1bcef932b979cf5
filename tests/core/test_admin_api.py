"""Staff API: login, roles enforced server-side, program validation, adjustments, audit."""

from __future__ import annotations

import pytest

from loyalty import db
from tests.helpers import Api, balances, ledger_rows


async def test_login_wrong_password_is_401(api: Api) -> None:
    await api.staff_headers("admin")
    r = await api.client.post(
        "/v1/admin/login", json={"email": "admin@test.example", "password": "x"}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"
    r = await api.client.post("/v1/admin/login", json={"email": "nobody@x.io", "password": "x"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_credentials"


async def test_no_token_no_admin(api: Api) -> None:
    r = await api.client.get("/v1/admin/program")
    assert r.status_code == 401
    r = await api.client.get("/v1/admin/program", headers={"authorization": "Bearer nope"})
    assert r.status_code == 401


async def test_grant_and_remove_points_with_reason_are_audited(api: Api) -> None:
    staff = await api.staff_headers("staff")
    await api.order("o-1", customer_id="c-1", total_minor=1_000, status="completed")
    r = await api.client.post(
        "/v1/admin/members/c-1/adjustments",
        json={"points": 250, "reason": "Goodwill for late delivery", "idempotency_key": "t-1"},
        headers=staff,
    )
    assert r.status_code == 201 and r.json()["balance"]["available"] == 350
    again = await api.client.post(
        "/v1/admin/members/c-1/adjustments",
        json={"points": 250, "reason": "Goodwill for late delivery", "idempotency_key": "t-1"},
        headers=staff,
    )
    assert again.json()["applied"] is False and again.json()["balance"]["available"] == 350
    r = await api.client.post(
        "/v1/admin/members/c-1/adjustments",
        json={"points": -50, "reason": "Duplicate goodwill"},
        headers=staff,
    )
    assert r.json()["balance"]["available"] == 300
    rows = [r for r in await ledger_rows("c-1") if r["kind"] == "adjustment"]
    assert [r["available"] for r in rows] == [250, -50]
    admin = await api.staff_headers("admin")
    audit = (await api.client.get("/v1/admin/audit?target=c-1", headers=admin)).json()
    assert [(a["actor"], a["action"], a["details"]["points"]) for a in audit] == [
        ("staff@test.example", "member.adjust", -50),
        ("staff@test.example", "member.adjust", 250),
    ]
    events = await db.fetch(
        "SELECT event FROM notification WHERE event LIKE 'points_%' ORDER BY id"
    )
    assert [e["event"] for e in events] == ["points_earned", "points_added", "points_removed"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"points": 10}, 400),
        ({"points": 10, "reason": "x"}, 400),
        ({"points": 0, "reason": "nothing at all"}, 422),
        ({"points": -5000, "reason": "too much removed"}, 409),
    ],
)
async def test_bad_adjustments_are_refused(api: Api, body: dict[str, object], code: int) -> None:
    staff = await api.staff_headers("staff")
    await api.order("o-1", customer_id="c-1", total_minor=1_000, status="completed")
    r = await api.client.post("/v1/admin/members/c-1/adjustments", json=body, headers=staff)
    assert r.status_code == code, r.text
    assert (await balances("c-1"))["available"] == 100


async def test_roles_are_enforced_server_side(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=1_000)
    marketing = await api.staff_headers("marketing")
    staff = await api.staff_headers("staff")
    r = await api.client.post(
        "/v1/admin/members/c-1/adjustments",
        json={"points": 10, "reason": "should not work"},
        headers=marketing,
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    program = (await api.client.get("/v1/admin/program", headers=staff)).json()
    r = await api.client.put("/v1/admin/program", json=program["rules"], headers=staff)
    assert r.status_code == 403
    r = await api.client.put("/v1/admin/program", json=program["rules"], headers=marketing)
    assert r.status_code == 200
    r = await api.client.get("/v1/admin/staff", headers=staff)
    assert r.status_code == 403


async def test_program_validation_names_the_field(api: Api) -> None:
    marketing = await api.staff_headers("marketing")
    rules = (await api.client.get("/v1/admin/program", headers=marketing)).json()["rules"]
    bad = {**rules, "coupon": {**rules["coupon"], "value": 250}}
    r = await api.client.put("/v1/admin/program", json=bad, headers=marketing)
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "coupon.value"
    r = await api.client.put(
        "/v1/admin/program", json={**rules, "earn_points": -1}, headers=marketing
    )
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "earn_points"
    r = await api.client.put(
        "/v1/admin/program", json={**rules, "timezone": "Mars/Base"}, headers=marketing
    )
    assert r.status_code == 422
    ok = await api.client.put(
        "/v1/admin/program", json={**rules, "earn_points": 20}, headers=marketing
    )
    assert ok.status_code == 200 and ok.json()["version"] == 1
    out = await api.order("o-1", customer_id="c-1", total_minor=1_000)
    assert out["points"] == 200


async def test_block_unblock_needs_reason_and_is_audited(api: Api) -> None:
    staff = await api.staff_headers("staff")
    await api.order("o-1", customer_id="c-1", total_minor=1_000)
    r = await api.client.post("/v1/admin/members/c-1/block", json={"reason": ""}, headers=staff)
    assert r.status_code == 400
    r = await api.client.post(
        "/v1/admin/members/c-1/block", json={"reason": "chargeback"}, headers=staff
    )
    assert r.json()["blocked"] is True
    r = await api.client.post(
        "/v1/admin/members/c-1/unblock", json={"reason": "resolved"}, headers=staff
    )
    assert r.json()["blocked"] is False
    actions = await db.fetch("SELECT action, reason FROM audit_log ORDER BY id")
    assert [(a["action"], a["reason"]) for a in actions] == [
        ("member.block", "chargeback"),
        ("member.unblock", "resolved"),
    ]


async def test_member_search_and_staff_management(api: Api) -> None:
    admin = await api.staff_headers("admin")
    body = {"email": "Kari@Example.no", "name": "Kari <b>Nordmann</b>", "phone": "+4799999999"}
    r = await api.shop_put("/v1/shop/customers/c-9", body)
    assert r.status_code == 200, r.text
    for q in ("c-9", "kari@example.no", "+4799999999", "nordmann"):
        found = (await api.client.get("/v1/admin/members", params={"q": q}, headers=admin)).json()
        assert [m["customer_id"] for m in found] == ["c-9"], q
    r = await api.client.post(
        "/v1/admin/staff",
        json={"email": "new@test.example", "password": "long-password-1", "role": "staff"},
        headers=admin,
    )
    assert r.status_code == 201
    r = await api.client.patch(
        "/v1/admin/staff/new@test.example", json={"active": False}, headers=admin
    )
    assert r.json()["active"] is False
    r = await api.client.post(
        "/v1/admin/login", json={"email": "new@test.example", "password": "long-password-1"}
    )
    assert r.status_code == 401
