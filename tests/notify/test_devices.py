"""Devices: PUT/DELETE /v1/me/devices/{token}, through the API as the app calls it."""

from __future__ import annotations

import asyncio

from loyalty import db
from tests.helpers import Api

FCM_TOKEN = "fcm-token-abcdefghijklmnopqrstuvwxyz:APA91b-0123456789"
APNS_TOKEN = "a" * 64


async def put_device(api: Api, customer: str, token: str, **body: object) -> tuple[int, dict]:
    payload = {"platform": "android", "provider": "fcm", **body}
    r = await api.client.put(f"/v1/me/devices/{token}", json=payload, headers=api.shopper(customer))
    return r.status_code, r.json() if r.content else {}


async def owners(token: str) -> list[str]:
    rows = await db.fetch(
        "SELECT m.customer_id FROM device d JOIN member m ON m.id = d.member WHERE d.token = $1",
        token,
    )
    return [r["customer_id"] for r in rows]


async def test_register_is_idempotent_and_lists(api: Api) -> None:
    for _ in range(3):
        status, body = await put_device(api, "c1", FCM_TOKEN, locale="nb", app_version="3.1.0")
        assert status == 200, body
    assert body["platform"] == "android" and body["locale"] == "nb"
    r = await api.client.get("/v1/me/devices", headers=api.shopper("c1"))
    assert [d["token"] for d in r.json()] == [FCM_TOKEN]
    assert await db.fetchval("SELECT count(*) FROM device") == 1


async def test_a_token_moves_to_the_member_who_registers_it_last(api: Api) -> None:
    await put_device(api, "c1", APNS_TOKEN, platform="ios", provider="apns")
    status, _ = await put_device(api, "c2", APNS_TOKEN, platform="ios", provider="apns")
    assert status == 200
    assert await owners(APNS_TOKEN) == ["c2"]
    r = await api.client.get("/v1/me/devices", headers=api.shopper("c1"))
    assert r.json() == []


async def test_concurrent_registrations_leave_one_row(api: Api) -> None:
    results = await asyncio.gather(*(put_device(api, f"c{i % 3}", FCM_TOKEN) for i in range(20)))
    assert {status for status, _ in results} == {200}
    assert await db.fetchval("SELECT count(*) FROM device") == 1


async def test_bad_registrations_are_refused_with_the_field(api: Api) -> None:
    cases = [
        ({"platform": "android", "provider": "apns"}, APNS_TOKEN, 422, "provider"),
        ({"platform": "ios", "provider": "apns"}, "not-hex-token-0123456789", 422, "token"),
        ({"platform": "windows", "provider": "fcm"}, FCM_TOKEN, 400, None),
        ({"platform": "ios", "provider": "fcm", "colour": "red"}, FCM_TOKEN, 400, None),
        ({"platform": "ios", "provider": "fcm", "locale": "english"}, FCM_TOKEN, 400, None),
        ({"platform": "ios", "provider": "fcm"}, "short", 400, None),
        ({"platform": "ios", "provider": "fcm"}, "bad%20token%20with%20spaces", 400, None),
    ]
    for body, token, status, field in cases:
        r = await api.client.put(f"/v1/me/devices/{token}", json=body, headers=api.shopper("c1"))
        assert r.status_code == status, (body, r.text)
        assert "error" in r.json()
        if field:
            assert r.json()["error"]["details"]["field"] == field
    assert await db.fetchval("SELECT count(*) FROM device") == 0


async def test_needs_a_shopper_token(api: Api) -> None:
    r = await api.client.put(
        f"/v1/me/devices/{FCM_TOKEN}", json={"platform": "android", "provider": "fcm"}
    )
    assert r.status_code == 401


async def test_delete_removes_only_my_device(api: Api) -> None:
    await put_device(api, "c1", FCM_TOKEN)
    r = await api.client.delete(f"/v1/me/devices/{FCM_TOKEN}", headers=api.shopper("c2"))
    assert r.status_code == 204
    assert await owners(FCM_TOKEN) == ["c1"]
    r = await api.client.delete(f"/v1/me/devices/{FCM_TOKEN}", headers=api.shopper("c1"))
    assert r.status_code == 204
    assert await owners(FCM_TOKEN) == []
    r = await api.client.delete(f"/v1/me/devices/{FCM_TOKEN}", headers=api.shopper("c1"))
    assert r.status_code == 204
