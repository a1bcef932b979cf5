"""SMS through the outbox: the till's welcome, retries, permanent errors, consent, quiet hours."""

from __future__ import annotations

from datetime import timedelta

from arq.connections import ArqRedis

from loyalty import db, outbox
from loyalty.clock import FrozenClock
from loyalty.fakes.twilio import FakeTwilio
from loyalty.settings import Settings
from tests.helpers import Api
from tests.sms.conftest import NUMBER, by_phone, deliver, pos_visit, sms_rows


async def test_welcome_text_once_after_the_first_confirmed_visit(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    kari = (await by_phone(api, "912 34 567", {"name": "Kari Nordmann", "locale": "nb"}))[
        "customer_id"
    ]
    await pos_visit(api, "pos-1", kari, status="placed", total=12_345)
    await deliver(settings, clock, redis)
    assert twilio.sent() == []  # not confirmed yet
    await pos_visit(api, "pos-1", kari, status="completed", total=12_345)
    await pos_visit(api, "pos-2", kari, status="completed")
    await deliver(settings, clock, redis)
    [sms] = twilio.to(NUMBER)
    assert sms.body == (
        "Velkommen i klubben, Kari! Du har 2 234 poeng. Du tjener poeng på hvert besøk."
    )
    [row] = await sms_rows("pos_welcome")
    assert (row["status"], row["provider"], row["provider_id"]) == ("sent", "twilio", sms.sid)
    await pos_visit(api, "pos-3", kari)
    await deliver(settings, clock, redis)
    assert len(twilio.to(NUMBER)) == 1


async def test_no_welcome_text_for_a_cancelled_visit_or_a_web_order(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    kari = (await by_phone(api, "91234567"))["customer_id"]
    await pos_visit(api, "pos-1", kari, status="placed")
    await pos_visit(api, "pos-1", kari, status="cancelled")
    await api.order("web-1", customer_id=kari, total_minor=5000, status="completed", channel="web")
    await deliver(settings, clock, redis)
    assert twilio.messages == []
    assert await db.fetchval("SELECT count(*) FROM notification WHERE event = 'pos_welcome'") == 0


async def test_a_429_is_retried_after_retry_after_and_delivered_once(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    kari = (await by_phone(api, "91234567"))["customer_id"]
    twilio.behave(NUMBER, "rate_limited")
    twilio.table.retry_after_s = 60
    await pos_visit(api, "pos-1", kari)
    await deliver(settings, clock, redis)
    [row] = await sms_rows("pos_welcome")
    assert row["status"] == "retry" and row["next_attempt_at"] == clock.now() + timedelta(
        seconds=60
    )
    assert twilio.sent() == [] and twilio.send_count == 1
    twilio.behave(NUMBER, "ok")
    await deliver(settings, clock, redis)  # not due yet: nothing is sent
    assert twilio.send_count == 1
    clock.advance(seconds=61)
    await deliver(settings, clock, redis)
    await deliver(settings, clock, redis)
    assert len(twilio.to(NUMBER)) == 1 and twilio.send_count == 2
    [row] = await sms_rows("pos_welcome")
    assert row["status"] == "sent" and row["attempts"] == 2


async def test_a_permanent_error_is_recorded_not_retried_and_marks_the_number(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    kari = (await by_phone(api, "91234567"))["customer_id"]
    twilio.behave(NUMBER, "unregistered")  # 21610: the recipient texted STOP to Twilio
    await pos_visit(api, "pos-1", kari)
    await deliver(settings, clock, redis)
    clock.advance(days=1)
    await deliver(settings, clock, redis)
    assert twilio.send_count == 1
    [row] = await sms_rows("pos_welcome")
    assert row["status"] == "failed" and row["reason"].startswith("number_refused: unsubscribed")
    marked = await db.fetchrow("SELECT sms_opt_in, sms_block FROM member WHERE phone = $1", NUMBER)
    assert (marked["sms_opt_in"], marked["sms_block"]) == (False, "unsubscribed")
    await coupon_for(kari, clock)
    await deliver(settings, clock, redis)
    assert twilio.send_count == 1
    assert [r["reason"] for r in await sms_rows("coupon_issued")] == ["number_unsubscribed"]


async def test_bad_numbers_never_reach_the_provider(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    kari = (await by_phone(api, "91234567"))["customer_id"]
    # a number stored before numbers were checked (written around the API on purpose)
    await db.execute("UPDATE member SET phone = '12345' WHERE customer_id = $1", kari)
    await coupon_for(kari, clock)
    await deliver(settings, clock, redis)
    assert twilio.send_count == 0
    assert [r["reason"] for r in await sms_rows("coupon_issued")] == ["invalid_phone"]


async def test_coupon_text_carries_the_code(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    kari = (await by_phone(api, "91234567", {"name": "Kari"}))["customer_id"]
    await coupon_for(kari, clock)
    await deliver(settings, clock, redis)
    [sms] = twilio.to(NUMBER)
    assert "LOYAL-ABCD-1234" in sms.body and sms.body.startswith("Your reward is here")


async def test_stop_by_text_is_signature_checked_and_opts_out(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    from twilio.request_validator import RequestValidator

    kari = (await by_phone(api, "91234567"))["customer_id"]
    url = "http://test/v1/sms/inbound"
    form = {"From": NUMBER, "To": twilio.from_number, "Body": "Stop", "MessageSid": "SM1"}
    signature = RequestValidator(twilio.auth_token).compute_signature(url, form)
    forged = await api.client.post(url, data=form, headers={"x-twilio-signature": "x" + signature})
    unsigned = await api.client.post(url, data=form)
    assert (forged.status_code, unsigned.status_code) == (401, 401)
    assert await db.fetchval("SELECT sms_opt_in FROM member WHERE phone = $1", NUMBER) is True
    r = await api.client.post(url, data=form, headers={"x-twilio-signature": signature})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    assert await db.fetchval("SELECT sms_opt_in FROM member WHERE phone = $1", NUMBER) is False
    await coupon_for(kari, clock)
    await deliver(settings, clock, redis)
    assert twilio.send_count == 0
    assert [r["reason"] for r in await sms_rows("coupon_issued")] == ["sms_opt_out"]
    start = {**form, "Body": "START"}
    signature = RequestValidator(twilio.auth_token).compute_signature(url, start)
    r = await api.client.post(url, data=start, headers={"x-twilio-signature": signature})
    assert await db.fetchval("SELECT sms_opt_in FROM member WHERE phone = $1", NUMBER) is True


async def test_staff_opt_a_member_out(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    kari = (await by_phone(api, "91234567"))["customer_id"]
    h = await api.staff_headers("staff")
    r = await api.client.put(
        f"/v1/admin/members/{kari}/sms", json={"opt_in": False, "reason": "asked at the till"},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 200 and r.json()["sms_opt_in"] is False
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'member.sms_opt_out'")
    await pos_visit(api, "pos-1", kari)
    await deliver(settings, clock, redis)
    assert twilio.send_count == 0


async def test_quiet_hours_hold_texts_until_morning_and_drop_marketing_ones(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    r = await api.shop_put(
        "/v1/shop/customers/kari",
        {"phone": "91234567", "timezone": "Europe/Oslo", "newsletter": True},
    )
    assert r.status_code == 200
    member_id = await db.fetchval("SELECT id FROM member WHERE customer_id = 'kari'")
    clock.set(clock.now().replace(hour=23))  # midnight in Oslo
    async with db.transaction():
        await outbox.enqueue(
            "birthday", member_id=member_id, dedupe_key="b", now=clock.now(), data={}
        )
    await coupon_for("kari", clock)
    await deliver(settings, clock, redis)
    assert twilio.send_count == 0
    assert {(r["event"], r["status"]) for r in await sms_rows()} == {
        ("birthday", "skipped"),
        ("coupon_issued", "retry"),
    }
    clock.set(clock.now().replace(hour=7, minute=1) + timedelta(days=1))  # 08:01 in Oslo
    await deliver(settings, clock, redis)
    assert len(twilio.to(NUMBER)) == 1


async def coupon_for(customer_id: str, clock: FrozenClock) -> None:
    from tests.notify.conftest import coupon_issued

    member_id = await db.fetchval("SELECT id FROM member WHERE customer_id = $1", customer_id)
    await coupon_issued(int(member_id), clock)
