"""Rules left open (issue 18 item 8) as delivery sees them: quiet hours are the program's, a
reminder whose date moved is withdrawn, a reversed referral is announced to the referrer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from arq.connections import ArqRedis

from loyalty.clock import FrozenClock
from loyalty.settings import Settings
from schemas.program import ProgramRules, QuietHours
from tests.helpers import Api
from tests.notify.conftest import Fakes, coupon_issued, deliveries, member, run_worker, settle
from tests.validity.support import job, set_program

ANDROID = "android-fcm-token-rules-0001:APA91b"


async def test_quiet_hours_are_the_programs_in_its_time_zone(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    await set_program(api, timezone="UTC", quiet_hours=QuietHours(start="11:00", end="13:30"))
    kari = await member(
        api, "kari", email="kari@example.no", devices=((ANDROID, "android", "fcm"),)
    )
    await settle(settings, clock, redis, fakes)
    assert clock.now().hour == 12  # the member has no zone: the program's (UTC) counts
    await coupon_issued(kari, clock, coupon_id=1)
    await run_worker(settings, clock, redis)
    [push] = await deliveries(channel="push")
    assert (push["status"], push["reason"]) == ("retry", "quiet_hours")
    assert push["next_attempt_at"] == clock.now().replace(hour=13, minute=30)
    assert fakes.fcm.messages == [] and len(fakes.mails_to("kari@example.no")) == 1

    await set_program(api, timezone="UTC", quiet_hours=None)
    await coupon_issued(kari, clock, coupon_id=2)
    await run_worker(settings, clock, redis)
    assert len(fakes.pushes_to(ANDROID)) == 1  # no quiet hours: the second goes at once


async def test_quiet_hours_are_validated(api: Api) -> None:
    headers = {**await api.staff_headers("marketing"), "content-type": "application/json"}
    rules = msgspec.to_builtins(ProgramRules())
    for bad in ({"start": "22:00", "end": "22:00"}, {"start": "7:00", "end": "08:00"}):
        body = msgspec.json.encode({**rules, "quiet_hours": bad})
        r = await api.client.put("/v1/admin/program", content=body, headers=headers)
        assert r.status_code in (400, 422), r.text
        assert "quiet_hours" in r.text


async def test_a_reminder_queued_before_a_new_order_is_withdrawn(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    for name in ("kept", "moved"):
        await member(api, name, email=f"{name}@example.com", timezone="UTC")
        await api.order(f"o-{name}", customer_id=name, total_minor=10_000, status="completed")
    await settle(settings, clock, redis, fakes)
    clock.set(clock.now() + timedelta(days=306))  # 60 days before the rolling date
    assert (await job("remind", clock.now()))["sent"] == 2
    await api.order("o-moved-2", customer_id="moved", total_minor=1_000, status="completed")
    await run_worker(settings, clock, redis)

    rows = await deliveries("points_expiring")
    assert [r["target"] for r in rows if r["status"] == "sent"] == ["kept@example.com"]
    withdrawn = sorted((r["channel"], r["status"]) for r in rows if r["reason"] == "superseded")
    assert withdrawn == [("email", "skipped"), ("push", "skipped")]
    subjects = [str(m["Subject"]) for m in fakes.mails_to("moved@example.com")]
    assert not any("expire" in s.lower() for s in subjects), subjects


async def test_a_reversed_referral_is_announced_to_the_referrer(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    from tests.activity.support import set_activity
    from tests.activity.test_referrals import RULES, referral

    await set_activity(api, RULES)
    await member(api, "anna", email="anna@example.com", locale="nb")
    code = (await referral(api, "anna"))["code"]
    r = await api.shop_put("/v1/shop/customers/bob", {"name": "Bob", "referral_code": code})
    assert r.status_code == 200, r.text
    await api.order("o-1", customer_id="bob", total_minor=5_000, status="completed")
    await settle(settings, clock, redis, fakes)
    clock.set(clock.now() + timedelta(days=2))
    await api.order(
        "o-1", customer_id="bob", total_minor=5_000, status="refunded", refunded_minor=5_000
    )
    await run_worker(settings, clock, redis)
    # Only the reversal counts here (a late mail of the first settle may still arrive under load).
    subject = "Vervebelønningen din er trukket tilbake"
    [mail] = [m for m in fakes.mails_to("anna@example.com") if m["Subject"] == subject]
    body = mail.get_body(("plain",)).get_content()
    assert "500 poengene du fikk, er trukket tilbake" in body.replace("\xa0", " ")
    assert datetime.now(UTC).year >= 2026
