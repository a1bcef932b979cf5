"""Every way a delivery can end besides sent: skipped reasons, opens, test sends, policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from arq.connections import ArqRedis
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from loyalty import db, outbox
from loyalty.clock import FrozenClock
from loyalty.errors import NotFound
from loyalty.notify import delivery, opens
from loyalty.settings import Settings
from push.content import DeliveryResult
from tests.helpers import Api
from tests.notify.conftest import Fakes, coupon_issued, deliveries, member, run_worker, settle

ANDROID = "android-fcm-token-0001:APA91bHPRgkF"
IOS_APNS = "cd" * 32


async def enqueue(event: str, member_id: int, clock: FrozenClock, **data: object) -> int:
    async with db.transaction():
        await outbox.enqueue(
            event,
            member_id=member_id,
            dedupe_key=f"{event}:{member_id}",
            now=clock.now(),
            data=data,
        )
    return int(await db.fetchval("SELECT max(id) FROM notification"))


async def test_skipped_reasons_are_recorded(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    bare = await member(api, "bare")
    no_consent = await member(
        api,
        "quiet",
        email="q@example.com",
        newsletter=False,
        devices=((ANDROID, "android", "fcm"),),
    )
    await settle(settings, clock, redis, fakes)
    await coupon_issued(bare, clock)
    await enqueue("balance_summary", no_consent, clock)
    await run_worker(settings, clock, redis)
    rows = await deliveries() + await deliveries("balance_summary")
    assert sorted((r["channel"], r["status"], r["reason"]) for r in rows) == [
        ("email", "skipped", "no_consent"),
        ("email", "skipped", "no_email"),
        ("push", "skipped", "no_consent"),
        ("push", "skipped", "no_device"),
    ]
    assert fakes.fcm.messages == [] and fakes.smtp.messages == []


async def test_quiet_hours_defer_pushes_and_skip_marketing_ones(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    oslo = ZoneInfo("Europe/Oslo")
    kari = await member(
        api,
        "kari",
        email="kari@example.no",
        timezone="Europe/Oslo",
        newsletter=True,
        devices=((ANDROID, "android", "fcm"),),
    )
    await settle(settings, clock, redis, fakes)
    clock.set(datetime(2026, 3, 2, 23, 30, tzinfo=oslo).astimezone(UTC))
    await coupon_issued(kari, clock)
    await enqueue("balance_summary", kari, clock)
    await run_worker(settings, clock, redis)

    morning = datetime(2026, 3, 3, 8, 0, tzinfo=oslo)
    [push] = await deliveries(channel="push")
    assert (push["status"], push["reason"], push["next_attempt_at"]) == (
        "retry",
        "quiet_hours",
        morning,
    )
    [summary_push] = await deliveries("balance_summary", channel="push")
    assert (summary_push["status"], summary_push["reason"]) == ("skipped", "quiet_hours")
    assert len(fakes.mails_to("kari@example.no")) == 2  # email is silent: sent at once
    assert fakes.fcm.messages == []

    clock.set(morning.astimezone(UTC))
    await run_worker(settings, clock, redis)
    assert len(fakes.pushes_to(ANDROID)) == 1


async def test_a_provider_without_credentials_is_skipped_with_that_reason(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    no_apns = {k: v for k, v in settings.delivery_env.items() if "APNS" not in k}
    settings = replace(settings, delivery_env=no_apns)
    kari = await member(
        api,
        "kari",
        email="kari@example.no",
        devices=((ANDROID, "android", "fcm"), (IOS_APNS, "ios", "apns")),
    )
    await settle(settings, clock, redis, fakes)
    await coupon_issued(kari, clock)
    await run_worker(settings, clock, redis)
    outcome = {r["provider"]: (r["status"], r["reason"]) for r in await deliveries()}
    assert outcome == {
        "fcm": ("sent", None),
        "apns": ("skipped", "apns_not_configured"),
        "smtp": ("sent", None),
    }


async def test_opens_are_recorded_once_and_only_by_the_owner(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    kari = await member(api, "kari", devices=((ANDROID, "android", "fcm"),))
    ola = await member(api, "ola")
    await settle(settings, clock, redis, fakes)
    await coupon_issued(kari, clock)
    await run_worker(settings, clock, redis)
    [push] = fakes.pushes_to(ANDROID)
    notification_id = int(push["data"]["notification_id"])

    assert await opens.mark_opened(kari, notification_id, clock.now()) is True
    assert await opens.mark_opened(kari, notification_id, clock.now()) is False
    with pytest.raises(NotFound):
        await opens.mark_opened(ola, notification_id, clock.now())
    counts = await opens.delivery_counts(
        clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=1)
    )
    assert counts["opened"] == 1 and counts["push_sent"] == 2  # welcome + coupon


async def test_marketing_test_send_goes_through_the_real_providers(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    h = await api.staff_headers("marketing")
    await member(api, "kari", devices=((ANDROID, "android", "fcm"),))
    await settle(settings, clock, redis, fakes)
    url = "/v1/admin/templates/coupon_issued/{}/nb/test-send"
    r = await api.client.post(url.format("push"), json={"to": ANDROID}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["outcome"] == "sent"
    [push] = fakes.pushes_to(ANDROID)
    assert push["notification"]["title"].startswith("Belønningen din er klar")
    r = await api.client.post(
        url.format("push"), json={"to": IOS_APNS, "platform": "ios", "provider": "apns"}, headers=h
    )
    assert r.json()["outcome"] == "sent" and len(fakes.pushes_to(IOS_APNS)) == 1
    r = await api.client.post(url.format("email"), json={"to": "marketing@shop.example"}, headers=h)
    assert r.json()["outcome"] == "sent"
    [mail] = fakes.mails_to("marketing@shop.example")
    assert "LOYAL-7Q4K-2MXD" in mail.get_body(("plain",)).get_content()
    fakes.smtp.behave("gone@shop.example", "unregistered")
    r = await api.client.post(url.format("email"), json={"to": "gone@shop.example"}, headers=h)
    assert r.json()["outcome"] == "failed" and r.json()["reason"].startswith("smtp_550")

    for body, code in (
        ({"to": IOS_APNS}, "unknown_device"),
        ({"to": "not-an-address"}, "invalid_address"),
    ):
        channel = "push" if body["to"] == IOS_APNS else "email"
        r = await api.client.post(url.format(channel), json=body, headers=h)
        assert r.status_code == 422 and r.json()["error"]["code"] == code
    r = await api.client.post(
        url.format("push"), json={"to": ANDROID}, headers=await api.staff_headers("staff")
    )
    assert r.status_code == 403
    assert (
        await db.fetchval(
            "SELECT count(*) FROM delivery WHERE notification IN "
            "(SELECT id FROM notification WHERE event = 'coupon_issued')"
        )
        == 0
    )


# -- the policy as properties ------------------------------------------------------------------

POLICY = delivery.Policy()
DUE = delivery.DueDelivery(1, 1, "push", "fcm", "android", "t", "en", 0)


@hsettings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    attempts=st.integers(0, 10),
    after=st.one_of(st.none(), st.floats(0, 86_400)),
    seed=st.integers(0, 2**32),
)
def test_retries_are_spaced_and_bounded(attempts: int, after: float | None, seed: int) -> None:
    import random

    now = datetime(2026, 1, 1, tzinfo=UTC)
    row = replace(DUE, attempts=attempts)
    result = DeliveryResult(key="t", outcome="retry", reason="x", retry_after_s=after)
    status, _, when = delivery.decide(row, result, now, POLICY, random.Random(seed))
    if attempts + 1 >= POLICY.max_attempts:
        assert status == "failed" and when is None
        return
    assert status == "retry" and when is not None
    delay = (when - now).total_seconds()
    if after is not None:
        assert abs(delay - max(after, 1.0)) < 1e-5  # Retry-After exactly, never sooner
    else:
        ceiling = min(POLICY.backoff_cap_s, POLICY.backoff_base_s * 2**attempts)
        assert ceiling / 2 - 1e-5 <= delay <= ceiling + 1e-5


@hsettings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["Europe/Oslo", "America/New_York", "Asia/Tokyo", "UTC"]),
)
def test_quiet_hours_end_at_the_next_local_morning(moment: datetime, zone: str) -> None:
    end = delivery.quiet_hours_end(zone, moment, POLICY)
    local = moment.astimezone(ZoneInfo(zone))
    if 8 <= local.hour < 22:
        assert end is None
        return
    # 22:00 to 08:00 is 10 hours, 11 on the night the clocks go back (Europe/Oslo, late October)
    assert end is not None and moment < end <= moment + timedelta(hours=11, minutes=1)
    assert end.astimezone(ZoneInfo(zone)).hour == 8


def test_deep_link_carries_the_coupon() -> None:
    assert delivery.deep_link_for("shop://profile/discounts", {}) == "shop://profile/discounts"
    assert (
        delivery.deep_link_for("shop://d?tab=all", {"coupon_id": 7})
        == "shop://d?tab=all&coupon_id=7"
    )
