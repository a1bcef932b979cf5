"""Rolling validity (example 004) with a controlled clock, in the member's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from loyalty import db
from loyalty.clock import FrozenClock
from tests.helpers import Api, balances
from tests.validity.support import (
    DAY0,
    assert_consistent,
    customer,
    day_of,
    expire_entries,
    job,
    local,
    notifications,
    set_validity,
)

NY = "America/New_York"
# Every day around the dates that matter (the first order's date and its reminders, the final
# date and its reminders), weekly in between: the jobs run many times on each reminder's day
# window, so "once each" is tested, at a third of the cost of 565 daily runs.
SCHEDULE = sorted(
    {*range(1, 15), *range(196, 206), *range(295, 372), *range(495, 566)} | set(range(1, 566, 7))
)


async def _day(clock: FrozenClock, day: int, tz: str, at: time = time(12)) -> None:
    """Move to ``day`` (local ``at``) and run the two daily jobs, as the worker would."""
    clock.set(local(day, tz, at))
    await job("remind", clock.now())
    await job("expire", clock.now())


async def test_orders_on_day_0_and_200_expire_at_end_of_day_565(
    api: Api, clock: FrozenClock
) -> None:
    clock.set(local(0, NY))
    await customer(api, "c-1", NY)
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    for day in SCHEDULE:
        if day == 200:
            clock.set(local(200, NY))
            await api.order("o-2", customer_id="c-1", total_minor=5_000, status="completed")
        await _day(clock, day, NY)
        if day in (366, 565):
            assert (await balances("c-1"))["available"] == 1_500, f"expired early on day {day}"
            await assert_consistent()

    end = local(566, NY, time(0))
    balance = (await api.me("c-1"))["balance"]
    assert balance["expires_at"] == end.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert balance["expires_on"] == (DAY0 + timedelta(days=565)).isoformat()
    assert balance["expiring_points"] == 1_500

    await _day(clock, 565, NY, time(23, 59, 59, 999_999))
    assert await expire_entries("c-1") == []
    await _day(clock, 566, NY, time(0))
    [entry] = await expire_entries("c-1")
    assert (entry["available"], entry["expired"]) == (-1_500, 1_500)
    assert entry["effective_at"] == end and entry["meta"]["expires_on"] == "2027-09-18"
    assert (await balances("c-1"))["expired"] == 1_500
    assert (await api.me("c-1"))["balance"]["expires_at"] is None
    await assert_consistent()

    sent = [
        (day_of(n["created_at"], NY), n["data"]["offset"], n["data"]["expires_on"])
        for n in await notifications("c-1", "points_expiring")
    ]
    assert sent == [(565 - k, k, "2027-09-18") for k in (60, 30, 14, 7)]
    [expired] = await notifications("c-1", "points_expired")
    assert expired["data"]["points"] == 1_500


async def test_a_new_order_drops_the_old_dates_remaining_reminders(
    api: Api, clock: FrozenClock
) -> None:
    clock.set(local(0, NY))
    await customer(api, "c-1", NY)
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    for day in range(300, 311):
        await _day(clock, day, NY)
    first = await notifications("c-1", "points_expiring")
    assert [(day_of(n["created_at"], NY), n["data"]["offset"]) for n in first] == [(305, 60)]

    await api.order("o-2", customer_id="c-1", total_minor=1_000, status="completed")
    for day in range(311, 370):
        await _day(clock, day, NY)
    assert await notifications("c-1", "points_expiring") == first
    assert await expire_entries("c-1") == []
    await _day(clock, 310 + 365 - 60, NY)
    later = (await notifications("c-1", "points_expiring"))[-1]["data"]
    assert (later["offset"], later["days_left"], later["points"]) == (60, 60, 1_100)


async def test_a_member_who_joins_ten_days_before_expiry_gets_only_the_7_day_one(
    api: Api, clock: FrozenClock
) -> None:
    clock.set(local(0, NY))
    await customer(api, "c-1", NY)
    history = local(-355, NY)
    await api.order(
        "old", customer_id="c-1", total_minor=2_000, status="completed", placed_at=history
    )
    for day in range(0, 12):
        await _day(clock, day, NY)
    sent = [
        (day_of(n["created_at"], NY), n["data"]["offset"])
        for n in await notifications("c-1", "points_expiring")
    ]
    assert sent == [(3, 7)]
    [entry] = await expire_entries("c-1")
    assert entry["expired"] == 200 and day_of(entry["effective_at"], NY) == 11


async def test_expiry_follows_the_local_day_across_daylight_saving(
    api: Api, clock: FrozenClock
) -> None:
    await set_validity(api, days=30)
    oslo_order = datetime(2026, 3, 1, 12, tzinfo=UTC)  # winter time; expiry in summer time
    ny_order = datetime(2026, 10, 20, 16, tzinfo=UTC)  # summer time; expiry in winter time
    clock.set(oslo_order)
    await customer(api, "oslo", "Europe/Oslo")
    await api.order("o-1", customer_id="oslo", total_minor=1_000, status="completed")
    clock.set(ny_order)
    await customer(api, "ny", NY)
    await api.order("o-2", customer_id="ny", total_minor=1_000, status="completed")

    oslo_end = datetime(2026, 3, 31, 22, tzinfo=UTC)  # 00:00 CEST on 1 April
    ny_end = datetime(2026, 11, 20, 5, tzinfo=UTC)  # 00:00 EST on 20 November
    for end, who in ((oslo_end, "oslo"), (ny_end, "ny")):
        await job("expire", end - timedelta(microseconds=1))
        assert await expire_entries(who) == [], who
        await job("expire", end)
        [entry] = await expire_entries(who)
        assert entry["effective_at"] == end and entry["expired"] == 100
    await assert_consistent()


async def test_running_twice_or_two_workers_at_once_expires_once(
    api: Api, clock: FrozenClock
) -> None:
    import asyncio

    for i in range(40):
        await api.order(f"o-{i}", customer_id=f"c-{i}", total_minor=1_000 + i, status="completed")
    later = clock.now() + timedelta(days=367)
    results = await asyncio.gather(*(job("expire", later) for _ in range(4)))
    assert sum(r["entries"] for r in results) == 40
    assert (await job("expire", later))["entries"] == 0
    count = await db.fetchval("SELECT count(*) FROM ledger_entry WHERE kind = 'expire'")
    assert count == 40
    assert (
        await db.fetchval("SELECT count(*) FROM notification WHERE event = 'points_expired'") == 40
    )
    await assert_consistent()


async def test_orders_racing_the_expiry_job_keep_the_ledger_whole(
    api: Api, clock: FrozenClock
) -> None:
    import asyncio

    for i in range(30):
        await api.order(f"o-{i}", customer_id=f"c-{i}", total_minor=2_000, status="completed")
    clock.advance(days=367)
    orders = [
        api.order(f"n-{i}", customer_id=f"c-{i}", total_minor=1_000, status="completed")
        for i in range(0, 30, 2)
    ]
    await asyncio.gather(job("expire", clock.now()), *orders)
    await job("expire", clock.now())
    await assert_consistent()
    for i in range(30):
        b = await balances(f"c-{i}")
        assert b["available"] + b["expired"] == b["lifetime"]
        assert b["expired"] in (0, 200)


async def test_points_without_an_order_get_a_date_when_first_seen(
    api: Api, clock: FrozenClock
) -> None:
    await customer(api, "c-1")
    response = await api.client.post(
        "/v1/admin/members/c-1/adjustments",
        json={"points": 300, "reason": "goodwill"},
        headers=await api.staff_headers(),
    )
    assert response.status_code == 201, response.text
    report = await job("expire", clock.now())
    assert report["stamped"] == 1 and report["entries"] == 0
    me = (await api.me("c-1"))["balance"]
    assert me["expiring_points"] == 300
    assert me["expires_on"] == (DAY0 + timedelta(days=365)).isoformat()


async def test_never_then_rolling_expires_nothing_at_once(api: Api, clock: FrozenClock) -> None:
    await set_validity(api, policy="never")
    await api.order("o-1", customer_id="c-1", total_minor=1_000, status="completed")
    clock.advance(days=800)
    assert (await job("expire", clock.now()))["entries"] == 0
    assert (await api.me("c-1"))["balance"]["expires_at"] is None
    await set_validity(api, policy="rolling", days=365)
    assert (await job("expire", clock.now()))["stamped"] == 1
    assert (await job("expire", clock.now() + timedelta(days=364)))["entries"] == 0
    assert (await job("expire", clock.now() + timedelta(days=367)))["entries"] == 1
    await assert_consistent()


async def test_a_bad_time_zone_is_refused(api: Api) -> None:
    response = await api.shop_put("/v1/shop/customers/c-1", {"timezone": "Mars/Olympus"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_timezone"
