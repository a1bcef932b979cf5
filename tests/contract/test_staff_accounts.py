"""Staff accounts (issue 18 item 6): throttled logins, no cookie-only writes to /v1/admin, and
no way to lose the last active admin."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from api.deps import csrf_for
from loyalty import audit, login_limits, staff
from tests.helpers import Api

ADMIN = ("boss@test.example", "boss-password-1")


async def api_login(api: Api, email: str, password: str) -> httpx.Response:
    return await api.client.post("/v1/admin/login", json={"email": email, "password": password})


async def test_api_login_is_throttled_per_account_with_retry_after_and_audited(api: Api) -> None:
    await staff.ensure_account(*ADMIN, "admin", now=api.clock.now())
    for _ in range(login_limits.PER_ACCOUNT):
        assert (await api_login(api, ADMIN[0], "wrong-password")).status_code == 401
    refused = await api_login(api, ADMIN[0], ADMIN[1])  # even the right password, for now
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(refused.headers["retry-after"]) <= login_limits.WINDOW.total_seconds()
    await api_login(api, ADMIN[0], ADMIN[1])
    rows = await audit.search(actor=ADMIN[0], action="staff.login_throttled", target=None, limit=9)
    assert len(rows) == 1  # audited once per window, not once per attempt
    api.clock.advance(minutes=15)
    assert (await api_login(api, ADMIN[0], ADMIN[1])).status_code == 200


async def test_api_login_is_throttled_per_client_across_accounts(api: Api) -> None:
    for n in range(login_limits.PER_CLIENT):
        await api_login(api, f"nobody{n}@test.example", "wrong-password")
    await staff.ensure_account(*ADMIN, "admin", now=api.clock.now())
    last = await api_login(api, ADMIN[0], ADMIN[1])
    assert last.status_code == 429, last.text


async def test_a_good_login_clears_the_account_failures(api: Api) -> None:
    await staff.ensure_account(*ADMIN, "admin", now=api.clock.now())
    for _ in range(3):
        for _ in range(login_limits.PER_ACCOUNT - 1):
            await api_login(api, ADMIN[0], "wrong-password")
        assert (await api_login(api, ADMIN[0], ADMIN[1])).status_code == 200


def login_csrf(html: str) -> str:
    found = re.search(r'name="_login_csrf" value="([^"]*)"', html)
    assert found
    return found.group(1)


async def page_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await client.get("/admin/login")
    data = {"email": email, "password": password, "_login_csrf": login_csrf(form.text)}
    return await client.post("/admin/login", data=data)


def browser(app: Any) -> httpx.AsyncClient:
    """A cookie-keeping client over https (the session cookie is Secure)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test")


async def test_page_login_is_throttled_too(api: Api, app: Any) -> None:
    await staff.ensure_account(*ADMIN, "admin", now=api.clock.now())
    client = browser(app)
    for _ in range(login_limits.PER_ACCOUNT):
        assert (await page_login(client, ADMIN[0], "wrong-password")).status_code == 401
    refused = await page_login(client, ADMIN[0], ADMIN[1])
    assert refused.status_code == 429
    assert "retry-after" in refused.headers and "too many failed logins" in refused.text


async def test_the_page_cookie_alone_cannot_write_through_the_api(api: Api, app: Any) -> None:
    await staff.ensure_account(*ADMIN, "admin", now=api.clock.now())
    await api.order("o-1", customer_id="c-1", total_minor=1_000)
    client = browser(app)
    assert (await page_login(client, ADMIN[0], ADMIN[1])).status_code == 303
    cookie = client.cookies.get("loyalty_staff")
    assert cookie
    body = {"points": 250, "reason": "Goodwill for a late parcel"}
    path = "/v1/admin/members/c-1/adjustments"
    forged = await client.post(path, json=body)  # what a cross-site form would send
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_failed"
    wrong = await client.post(path, json=body, headers={"x-csrf-token": "0" * 64})
    assert wrong.status_code == 403
    assert (await client.get("/v1/admin/members/c-1")).status_code == 200  # reads are fine
    token = csrf_for(api.settings.session_secret, cookie)
    ok = await client.post(path, json=body, headers={"x-csrf-token": token})
    assert ok.status_code == 201 and ok.json()["applied"] is True


async def test_an_admin_cannot_demote_or_deactivate_themselves(api: Api) -> None:
    me = await api.staff_headers("admin")
    for change in ({"role": "staff"}, {"active": False}, {"role": "marketing", "active": True}):
        response = await api.client.patch(
            "/v1/admin/staff/admin@test.example", json=change, headers=me
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "self_lockout"
    assert (await api.client.get("/v1/admin/staff", headers=me)).status_code == 200


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(api: Api) -> None:
    first = await api.staff_headers("admin")
    await staff.ensure_account(*ADMIN, "admin", now=api.clock.now())
    token = (await api_login(api, *ADMIN)).json()["token"]
    second = {"authorization": f"Bearer {token}"}
    results = await asyncio.gather(
        api.client.patch(f"/v1/admin/staff/{ADMIN[0]}", json={"active": False}, headers=first),
        api.client.patch(
            "/v1/admin/staff/admin@test.example", json={"role": "staff"}, headers=second
        ),
    )
    codes = sorted(r.status_code for r in results)
    # The loser is refused as the last admin (409), as no longer an admin (403), or, when the
    # winner's change revoked its session first, as signed out (401): never both succeed.
    assert codes in ([200, 409], [200, 403], [200, 401]), [r.text for r in results]
    rows = await staff.list_staff()
    assert sum(1 for r in rows if r["role"] == "admin" and r["active"]) == 1
