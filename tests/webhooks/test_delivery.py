"""Webhook delivery end to end: events written with their cause, posted signed to a loopback
receiver, retried with back-off on 5xx/429/timeouts for 24 hours, never twice when healthy."""

from __future__ import annotations

import asyncio
import itertools

import httpx

from loyalty import db
from loyalty.clock import FrozenClock
from loyalty.fakes.webhooks import Receiver
from loyalty.webhooks import delivery, signing
from tests.helpers import Api
from tests.webhooks.conftest import deliver, subscribe

SECRET = "whsec_test_secret_0123456789"


async def test_a_503_twice_then_200_gets_the_same_event_three_times(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await subscribe(api, receiver.url("/crm"), ["member.created"], secret=SECRET)
    receiver.script("/crm", 503, 503)
    await api.shop_put("/v1/shop/customers/c-1", {"name": "Kari"})
    for _ in range(3):
        await deliver(clock, client)
        clock.advance(minutes=5)
    got = receiver.to("/crm")
    assert len(got) == 3
    assert len({r.json["id"] for r in got}) == 1
    assert got[0].json["type"] == "member.created"
    assert got[0].json["data"] == {"customer_id": "c-1"}
    assert set(got[0].json) == {"id", "type", "created_at", "data"}
    row = await db.fetchrow("SELECT status, attempts FROM webhook_delivery")
    assert (row["status"], row["attempts"]) == ("delivered", 3)
    tries = await db.fetch("SELECT status_code FROM webhook_attempt ORDER BY id")
    assert [t["status_code"] for t in tries] == [503, 503, 200]
    await deliver(clock.advance(hours=1) and clock, client)
    assert len(receiver.to("/crm")) == 3


async def test_signatures_verify_and_a_tampered_body_does_not(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await subscribe(api, receiver.url("/crm"), ["*"], secret=SECRET)
    await api.order("o-1", customer_id="c-1", total_minor=60_000, status="completed")
    await deliver(clock, client)
    got = receiver.to("/crm")
    assert {"member.created", "coupon.issued"} <= {r.json["type"] for r in got}
    now = clock.now().timestamp()
    assert all(receiver.verified(SECRET, r, now=now) for r in got)
    r = got[0]
    r.body = r.body.replace(b"c-1", b"c-2")
    assert not receiver.verified(SECRET, r, now=now)
    assert not receiver.verified("another-secret-entirely", got[1], now=now)
    assert not receiver.verified(SECRET, got[1], now=now + 3600)  # stale
    coupon = next(r for r in got if r.json["type"] == "coupon.issued").json["data"]["coupon"]
    assert coupon["source"] == "threshold" and coupon["code"]


async def test_a_healthy_receiver_never_gets_an_id_twice(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await subscribe(api, receiver.url("/a"), ["member.created"])
    await subscribe(api, receiver.url("/b"), ["member.created", "member.blocked"])
    for i in range(40):
        await api.shop_put(f"/v1/shop/customers/c-{i}", {"name": f"P{i}"})
    policy = delivery.Policy(allow_private=True, claim=7, concurrency=4)
    await asyncio.gather(*(delivery.run(clock.now, client, policy) for _ in range(4)))
    for path in ("/a", "/b"):
        ids = [r.json["id"] for r in receiver.to(path)]
        assert len(ids) == 40 and len(set(ids)) == 40, path
    assert (
        await db.fetchval("SELECT count(*) FROM webhook_delivery WHERE status <> 'delivered'") == 0
    )


async def test_retries_stop_after_24_hours_and_other_answers_fail_at_once(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await subscribe(api, receiver.url("/down"), ["member.created"])
    await subscribe(api, receiver.url("/gone"), ["member.created"])
    receiver.script("/down", *([500] * 200))
    receiver.script("/gone", 404)
    await api.shop_put("/v1/shop/customers/c-1", {"name": "Kari"})
    start = clock.now()
    while clock.now() - start < delivery.Policy().retry_for + delivery.Policy().retry_for / 4:
        await deliver(clock, client)
        clock.advance(minutes=20)
    rows = await db.fetch(
        """SELECT s.url, d.status, d.attempts FROM webhook_delivery d
           JOIN webhook_subscription s ON s.id = d.subscription ORDER BY s.id"""
    )
    down, gone = rows
    assert down["status"] == "failed" and 10 <= down["attempts"] <= 40
    assert gone["status"] == "failed" and gone["attempts"] == 1
    waits = await db.fetch(
        """SELECT a.at FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery
           JOIN webhook_subscription s ON s.id = d.subscription WHERE s.url LIKE '%/down'
           ORDER BY a.id"""
    )
    gaps = [(b["at"] - a["at"]).total_seconds() for a, b in itertools.pairwise(waits)]
    assert gaps[0] <= 1200 and max(gaps) >= 3600  # backing off, up to the hour cap


async def test_timeouts_and_dead_receivers_are_retried(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await subscribe(api, receiver.url("/slow"), ["member.created"])
    await subscribe(api, "http://127.0.0.1:9/closed", ["member.created"])
    receiver.hang("/slow")
    await api.shop_put("/v1/shop/customers/c-1", {"name": "Kari"})
    policy = delivery.Policy(allow_private=True, timeout_s=0.3)
    counts = await delivery.run(clock.now, client, policy)
    assert counts["retry"] == 2
    errors = {
        r["last_error"].split(":")[0]
        for r in await db.fetch("SELECT last_error FROM webhook_delivery")
    }
    assert errors == {"timeout", "connection"}
    assert await db.fetchval("SELECT count(*) FROM webhook_delivery WHERE status = 'pending'") == 2


async def test_a_subscription_failing_three_days_is_paused_and_staff_told(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    sub = await subscribe(api, receiver.url("/down"), ["member.created"])
    receiver.script("/down", *([503] * 1000))
    for day in range(4):
        await api.shop_put(f"/v1/shop/customers/c-{day}", {"name": "x"})
        for _ in range(24):
            await deliver(clock, client)
            clock.advance(hours=1)
    api._staff_tokens.clear()  # a login lasts 12 hours; four days went by
    listed = await api.client.get("/v1/admin/webhooks", headers=await api.staff_headers("admin"))
    assert listed.json()[0]["paused_at"] is not None
    audit = await db.fetch("SELECT actor, action FROM audit_log WHERE action = 'webhook.paused'")
    assert [tuple(a) for a in audit] == [("system", "webhook.paused")]
    sent = len(receiver.to("/down"))
    await api.shop_put("/v1/shop/customers/c-9", {"name": "x"})
    await deliver(clock, client)
    assert len(receiver.to("/down")) == sent  # paused: nothing more is sent
    r = await api.client.post(
        f"/v1/admin/webhooks/{sub['id']}/resume", headers=await api.staff_headers("admin")
    )
    assert r.status_code == 200 and r.json()["paused_at"] is None


async def test_no_subscription_no_rows(api: Api, clock: FrozenClock) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=60_000, status="completed")
    assert await db.fetchval("SELECT count(*) FROM webhook_event") == 0


async def test_points_changed_carries_the_entry_and_the_new_balances(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await subscribe(api, receiver.url("/dw"), ["points.changed"])
    await api.order("o-1", customer_id="c-1", total_minor=60_000)
    await api.order("o-1", customer_id="c-1", total_minor=60_000, status="completed")
    await api.order("o-1", customer_id="c-1", total_minor=60_000, status="completed")  # replay
    await deliver(clock, client)
    got = sorted((r.json for r in receiver.to("/dw")), key=lambda e: e["data"]["entry"]["id"])
    kinds = [e["data"]["entry"]["kind"] for e in got]
    assert kinds == ["earn_pending", "earn_confirm", "coupon_burn"]
    confirm = got[1]["data"]
    assert confirm["customer_id"] == "c-1" and confirm["entry"]["order_id"] == "o-1"
    assert confirm["entry"]["available"] == 6_000 and confirm["entry"]["pending"] == -6_000
    assert got[-1]["data"]["balances"] == {
        "available": 1_000,
        "pending": 0,
        "lifetime": 6_000,
        "spent": 5_000,
        "expired": 0,
    }
    assert len({e["id"] for e in got}) == 3


async def test_the_workers_lean_client_retries_times_out_and_signs_alike(
    api: Api, clock: FrozenClock, receiver: Receiver
) -> None:
    from loyalty.webhooks.transport import LeanPoster

    await subscribe(api, receiver.url("/crm"), ["member.created"], secret=SECRET)
    await subscribe(api, receiver.url("/slow"), ["member.created"])
    await subscribe(api, "http://127.0.0.1:9/closed", ["member.created"])
    receiver.script("/crm", 503, 429)
    receiver.hang("/slow")
    await api.shop_put("/v1/shop/customers/c-1", {"name": "Kari"})
    post = LeanPoster(timeout_s=0.3)
    policy = delivery.Policy(allow_private=True, timeout_s=0.3)
    try:
        for _ in range(3):
            await delivery.run(clock.now, post, policy)
            clock.advance(minutes=5)
    finally:
        await post.aclose()
    got = receiver.to("/crm")
    assert len(got) == 3 and len({r.json["id"] for r in got}) == 1
    assert got[0].headers["content-type"] == "application/json"
    assert all(
        signing.verify(
            SECRET,
            r.headers["x-loyalty-signature"],
            r.body,
            tolerance_s=3600,
            now=clock.now().timestamp(),
        )
        for r in got
    )
    rows = await db.fetch(
        """SELECT s.url, d.status, d.last_error FROM webhook_delivery d
           JOIN webhook_subscription s ON s.id = d.subscription ORDER BY s.id"""
    )
    assert [r["status"] for r in rows] == ["delivered", "pending", "pending"]
    assert rows[1]["last_error"] == "timeout" and rows[2]["last_error"].startswith("connection")


async def test_points_expiring_goes_out_with_the_reminder_once(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    from datetime import timedelta

    from tests.validity.support import job, notifications, set_validity

    await set_validity(api, policy="rolling", days=30, reminder_days=[7])
    await subscribe(api, receiver.url("/crm"), ["points.expiring"])
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    for day in range(20, 30):
        await job("remind", clock.now() + timedelta(days=day))
    assert len(await notifications("c-1", "points_expiring")) == 1
    clock.advance(days=30)  # the job ran "as of" those days; deliver after them
    await deliver(clock, client)
    got = [r.json for r in receiver.to("/crm")]
    assert [e["type"] for e in got] == ["points.expiring"]
    assert got[0]["data"]["customer_id"] == "c-1" and got[0]["data"]["points"] == 1_000
    assert got[0]["data"]["offset"] == 7
