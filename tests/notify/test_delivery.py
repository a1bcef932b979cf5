"""Issue 4's must-holds: the outbox delivered by a real arq worker to FCM, APNs and SMTP fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from arq.connections import ArqRedis

from loyalty import db
from loyalty.clock import FrozenClock
from loyalty.settings import Settings
from tests.helpers import Api
from tests.notify.conftest import (
    Fakes,
    coupon_issued,
    deliveries,
    member,
    run_worker,
    settle,
)

ANDROID = "android-fcm-token-0001:APA91bHPRgkF"
IOS_APNS = "ab" * 32
IOS_FCM = "ios-fcm-token-0002:APA91bXYZabcdefgh"
LINK = "shop://profile/discounts?coupon_id=42"
COUPON_STATUS = "SELECT status FROM notification WHERE event = 'coupon_issued'"


async def test_coupon_reaches_every_device_once_and_the_mailbox_in_the_members_language(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    kari = await member(
        api,
        "kari",
        locale="nb",
        email="kari@example.no",
        devices=((ANDROID, "android", "fcm"), (IOS_APNS, "ios", "apns")),
    )
    ola = await member(api, "ola", locale="en", email=None, devices=((IOS_FCM, "ios", "fcm"),))
    await settle(settings, clock, redis, fakes)
    await coupon_issued(kari, clock, coupon_id=42, code="KARI-CODE-42")
    await coupon_issued(ola, clock, coupon_id=43, code="OLA-CODE-43")

    await run_worker(settings, clock, redis)
    await run_worker(settings, clock.advance(hours=1) and clock, redis)  # nothing left to send

    [android] = fakes.pushes_to(ANDROID)
    assert android["data"]["deep_link"] == LINK
    assert android["android"]["notification"]["click_action"] == LINK
    assert android["notification"]["title"] == "Belønningen din er klar: 10 % off your next order"
    assert "KARI-CODE-42" in android["notification"]["body"]
    [apns] = fakes.pushes_to(IOS_APNS)
    assert apns["deep_link"] == LINK and apns["aps"]["alert"]["title"].startswith("Belønningen")
    [ios_fcm] = fakes.pushes_to(IOS_FCM)
    assert ios_fcm["data"]["deep_link"] == "shop://profile/discounts?coupon_id=43"
    assert ios_fcm["notification"]["title"] == "Your reward is here: 10 % off your next order"
    assert len(fakes.fcm.messages) == 2 and len(fakes.apns.requests) == 1

    [mail] = fakes.smtp.messages
    assert str(mail["To"]) == "kari@example.no"
    assert mail["Subject"] == "Belønningen din: 10 % off your next order"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Koden din: KARI-CODE-42" in text and "KARI-CODE-42" in html
    assert "Hei Kari," in text

    rows = await deliveries()
    assert sorted((r["channel"], r["target"], r["status"]) for r in rows) == sorted(
        [
            ("push", ANDROID, "sent"),
            ("push", IOS_APNS, "sent"),
            ("email", "kari@example.no", "sent"),
            ("push", IOS_FCM, "sent"),
            ("email", "", "skipped"),
        ]
    )
    assert {r["reason"] for r in rows if r["status"] == "skipped"} == {"no_email"}
    statuses = await db.fetch("SELECT status FROM notification WHERE event = 'coupon_issued'")
    assert {r["status"] for r in statuses} == {"done"}


async def test_unregistered_tokens_are_pruned(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    kari = await member(
        api,
        "kari",
        email="kari@example.no",
        devices=((ANDROID, "android", "fcm"), (IOS_APNS, "ios", "apns"), (IOS_FCM, "ios", "fcm")),
    )
    await settle(settings, clock, redis, fakes)
    fakes.fcm.behave(ANDROID, "unregistered")
    fakes.apns.behave(IOS_APNS, "unregistered")
    await coupon_issued(kari, clock)
    await run_worker(settings, clock, redis)

    left = await db.fetch("SELECT token FROM device")
    assert [r["token"] for r in left] == [IOS_FCM]
    pruned = await deliveries(status="pruned")
    assert {(r["target"], r["reason"]) for r in pruned} == {
        (ANDROID, "unregistered"),
        (IOS_APNS, "Unregistered"),
    }
    assert len(await deliveries(status="sent")) == 2  # the live phone and the mailbox
    await coupon_issued(kari, clock, coupon_id=44)
    fakes.reset()
    await run_worker(settings, clock, redis)
    assert len(fakes.fcm.messages) == 1 and fakes.apns.requests == []


async def test_rate_limits_and_server_errors_are_retried_later_then_delivered(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    kari = await member(
        api,
        "kari",
        email="kari@example.no",
        devices=((ANDROID, "android", "fcm"), (IOS_APNS, "ios", "apns")),
    )
    await settle(settings, clock, redis, fakes)
    fakes.fcm.set_default("rate_limited", retry_after_s=120)
    fakes.apns.behave(IOS_APNS, "server_error")
    fakes.smtp.behave("kari@example.no", "server_error")
    await coupon_issued(kari, clock)
    start = clock.now()
    await run_worker(settings, clock, redis)

    rows = {r["channel"] + ":" + (r["provider"] or ""): r for r in await deliveries()}
    assert {r["status"] for r in rows.values()} == {"retry"}
    assert rows["push:fcm"]["next_attempt_at"] == start + timedelta(seconds=120)
    assert start + timedelta(seconds=15) <= rows["push:apns"]["next_attempt_at"]
    assert rows["push:apns"]["next_attempt_at"] <= start + timedelta(seconds=30)
    note = await db.fetchrow(
        "SELECT status, next_attempt_at FROM notification WHERE event = 'coupon_issued'"
    )
    assert note["status"] == "pending"
    assert note["next_attempt_at"] == min(r["next_attempt_at"] for r in rows.values())

    fakes.reset()  # the providers are fine again
    clock.set(start + timedelta(seconds=60))
    await run_worker(settings, clock, redis)
    assert fakes.fcm.messages == [] and fakes.smtp.messages == []  # Retry-After is honoured
    assert len(fakes.pushes_to(IOS_APNS)) == 1  # 5xx: backoff (15-30 s the first time)

    clock.set(start + timedelta(seconds=121))
    await run_worker(settings, clock, redis)
    assert len(fakes.pushes_to(ANDROID)) == 1 and fakes.smtp.messages == []

    clock.set(start + timedelta(seconds=301))  # SMTP 4xx: the sender asks for 5 minutes
    await run_worker(settings, clock, redis)
    assert len(fakes.mails_to("kari@example.no")) == 1
    assert len(fakes.pushes_to(ANDROID)) == 1 and len(fakes.pushes_to(IOS_APNS)) == 1
    rows = await deliveries()
    assert {(r["status"], r["attempts"]) for r in rows} == {("sent", 2)}
    assert await db.fetchval(COUPON_STATUS) == "done"


async def test_retries_give_up_after_max_attempts(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    settings = replace(
        settings, delivery_env={**settings.delivery_env, "LOYALTY_DELIVERY_MAX_ATTEMPTS": "3"}
    )
    kari = await member(api, "kari", devices=((ANDROID, "android", "fcm"),))
    await settle(settings, clock, redis, fakes)
    fakes.fcm.set_default("server_error")
    await coupon_issued(kari, clock)
    for _ in range(4):
        await run_worker(settings, clock, redis)
        clock.advance(hours=2)
    [row] = await deliveries(channel="push")
    assert row["status"] == "failed" and row["reason"].startswith("gave_up after 3 attempts")
    assert fakes.fcm.send_count == 3
    assert await db.fetchval(COUPON_STATUS) == "done"


async def test_marketing_copy_is_what_devices_and_mailboxes_receive(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    h = await api.staff_headers("marketing")
    push = {
        "title": "{{ first_name }}, din rabatt er her!",
        "body": "{{ coupon_title }} med koden {{ coupon_code }} - {{ days_left }} dager igjen",
    }
    email = {
        "subject": "Kupong til {{ name }}",
        "body": "Koden er {{ coupon_code }}.",
        "html": "<h1>Hei {{ name }}</h1><p>Koden er <b>{{ coupon_code }}</b></p>",
    }
    for channel, body in (("push", push), ("email", email)):
        r = await api.client.put(
            f"/v1/admin/templates/coupon_issued/{channel}/nb", json=body, headers=h
        )
        assert r.status_code == 200, r.text
    kari = await member(
        api,
        "kari",
        locale="nb-NO",
        name="Kari <Nordmann>",
        email="kari@example.no",
        devices=((ANDROID, "android", "fcm"), (IOS_APNS, "ios", "apns")),
    )
    await settle(settings, clock, redis, fakes)
    await coupon_issued(kari, clock, code="KODE-1")
    await run_worker(settings, clock, redis)

    [android] = fakes.pushes_to(ANDROID)
    assert android["notification"] == {
        "title": "Kari, din rabatt er her!",
        "body": "10 % off your next order med koden KODE-1 - 30 dager igjen",
    }
    [apns] = fakes.pushes_to(IOS_APNS)
    assert apns["aps"]["alert"] == android["notification"]
    [mail] = fakes.smtp.messages
    assert mail["Subject"] == "Kupong til Kari <Nordmann>"
    assert mail.get_body(("plain",)).get_content().strip() == "Koden er KODE-1."
    html = mail.get_body(("html",)).get_content()
    assert "<h1>Hei Kari &lt;Nordmann&gt;</h1>" in html and "<b>KODE-1</b>" in html
