"""Subscriptions through the API and the back office: URL checks (SSRF), roles, the delivery
log per attempt, send test event, re-send, delete; erasure's ``member.erased``."""

from __future__ import annotations

import httpx
import pytest

from loyalty import db
from loyalty.clock import FrozenClock
from loyalty.errors import Invalid
from loyalty.fakes.webhooks import Receiver
from loyalty.webhooks import delivery, subscriptions
from tests.admin_ui.conftest import PagesAs
from tests.helpers import Api
from tests.webhooks.conftest import deliver, subscribe

REFUSED = [
    "http://127.0.0.1:9800/hook",
    "http://localhost/hook",
    "https://10.1.2.3/hook",
    "http://192.168.0.10/",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/",
]


@pytest.mark.parametrize("url", REFUSED)
async def test_private_addresses_are_refused_unless_allowed(url: str, clock: FrozenClock) -> None:
    with pytest.raises(Invalid) as refused:
        await subscriptions.create(
            url,
            ["*"],
            secret=None,
            description=None,
            allow_private=False,
            actor="a",
            now=clock.now(),
        )
    assert refused.value.code == "webhook_url_private"


async def test_only_http_urls_and_known_events(api: Api) -> None:
    admin = await api.staff_headers("admin")
    for body, code in (
        ({"url": "ftp://example.com/x", "events": ["*"]}, "webhook_url_scheme"),
        ({"url": "file:///etc/passwd", "events": ["*"]}, "webhook_url_scheme"),
        ({"url": "http://127.0.0.1:9800/x", "events": ["nope"]}, "webhook_events_invalid"),
    ):
        r = await api.client.post("/v1/admin/webhooks", json=body, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    staff = await api.staff_headers("staff")
    assert (await api.client.get("/v1/admin/webhooks", headers=staff)).status_code == 403


async def test_a_delivery_to_an_address_refused_later_fails(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await subscribe(api, receiver.url("/crm"), ["member.created"])
    await api.shop_put("/v1/shop/customers/c-1", {"name": "Kari"})
    await delivery.run(clock.now, client, delivery.Policy(allow_private=False))
    row = await db.fetchrow("SELECT status, last_error FROM webhook_delivery")
    assert row["status"] == "failed" and row["last_error"].startswith("refused")
    assert receiver.received == []


async def test_api_lists_tests_resends_and_deletes(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    admin = await api.staff_headers("admin")
    sub = await subscribe(api, receiver.url("/crm"), ["member.created"])
    assert sub["secret"].startswith("whsec_")
    test = await api.client.post(f"/v1/admin/webhooks/{sub['id']}/test", headers=admin)
    assert test.status_code == 202
    await deliver(clock, client)
    got = receiver.to("/crm")
    assert [r.json["type"] for r in got] == ["webhook.test"]
    assert got[0].json["id"] == test.json()["event_id"]
    log = (await api.client.get(f"/v1/admin/webhooks/{sub['id']}/deliveries", headers=admin)).json()
    assert log[0]["status"] == "delivered" and log[0]["tries"][0]["status_code"] == 200
    resend = await api.client.post(
        f"/v1/admin/webhooks/deliveries/{log[0]['id']}/resend", headers=admin
    )
    assert resend.status_code == 202
    await deliver(clock, client)
    assert [r.json["id"] for r in receiver.to("/crm")] == [got[0].json["id"]] * 2
    gone = await api.client.delete(f"/v1/admin/webhooks/{sub['id']}", headers=admin)
    assert gone.status_code == 204
    assert (await api.client.get("/v1/admin/webhooks", headers=admin)).json() == []
    await api.shop_put("/v1/shop/customers/c-1", {"name": "Kari"})
    assert (
        await db.fetchval("SELECT count(*) FROM webhook_event WHERE type = 'member.created'") == 0
    )


async def test_the_page_shows_attempts_and_its_buttons_work(
    api: Api,
    clock: FrozenClock,
    receiver: Receiver,
    client: httpx.AsyncClient,
    pages_as: PagesAs,
) -> None:
    admin = await pages_as("admin")
    form = {"url": receiver.url("/crm"), "events": ["member.created", "member.blocked"]}
    created = await admin.post("/admin/webhooks", form)
    assert created.status_code == 303, created.text
    sub_page = created.headers["location"]
    receiver.script("/crm", 503)
    await api.shop_put("/v1/shop/customers/c-1", {"name": "Kari"})
    await deliver(clock, client)
    clock.advance(minutes=5)
    await deliver(clock, client)
    html = (await admin.get(sub_page)).text
    assert "HTTP 503" in html and "HTTP 200" in html and "member.created" in html
    assert (await admin.post(f"{sub_page}/test", {})).status_code == 303
    await deliver(clock, client)
    assert [r.json["type"] for r in receiver.to("/crm")][-1] == "webhook.test"
    did = await db.fetchval("SELECT min(id) FROM webhook_delivery")
    assert (await admin.post(f"{sub_page}/deliveries/{did}/resend", {})).status_code == 303
    await deliver(clock, client)
    assert len(receiver.to("/crm")) == 4
    listing = (await admin.get("/admin/webhooks")).text
    assert receiver.url("/crm") in listing
    staff = await pages_as("staff")
    assert (await staff.get("/admin/webhooks")).status_code == 403


async def test_erasure_sends_member_erased_then_forgets_the_id(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await subscribe(api, receiver.url("/crm"), ["*"])
    await api.shop_put("/v1/shop/customers/kari-77", {"name": "Kari"})
    receiver.hang("/never")
    admin = await api.staff_headers("admin")
    r = await api.client.delete("/v1/admin/members/kari-77", headers=admin)
    assert r.status_code == 200, r.text
    rows = await db.fetch("SELECT type, data::text AS data FROM webhook_event ORDER BY id")
    assert [x["type"] for x in rows] == ["member.created", "member.erased"]
    assert rows[0]["data"] == "{}"  # earlier events lose the person at once
    await deliver(clock, client)
    erased = [x.json for x in receiver.to("/crm") if x.json["type"] == "member.erased"]
    assert erased and erased[0]["data"]["customer_id"] == "kari-77"
    left = await db.fetchval("SELECT string_agg(data::text, ' ') FROM webhook_event")
    assert "kari-77" not in left
