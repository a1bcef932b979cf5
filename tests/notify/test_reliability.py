"""Crash and outage safety: a worker killed mid-batch, Redis down at the event, the kick."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix

from jobs import table
from jobs.worker import build_worker
from loyalty import db
from loyalty.clock import FrozenClock
from loyalty.embedded import free_port
from loyalty.settings import Settings
from tests.chaos.support import daytime_zone
from tests.helpers import Api
from tests.notify.conftest import (
    Fakes,
    close_worker,
    coupon_issued,
    deliveries,
    member,
    run_worker,
    settle,
)

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 24


def android(i: int) -> str:
    return f"android-token-{i:04d}:APA91b"


def iphone(i: int) -> str:
    return f"{i:064x}"


def subprocess_env(settings: Settings, fakes: Fakes) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    return {
        **keep,
        **fakes.env,
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "LOYALTY_DELIVERY_CLAIM": "8",
        "LOYALTY_DELIVERY_LANES": "4",
        "LOYALTY_DELIVERY_LEASE_S": "300",
        "LOYALTY_DB_POOL_SIZE": "3",
    }


async def wait_until(check: Any, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not (await check() if asyncio.iscoroutinefunction(check) else check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def _clear_of_the_sweeper() -> None:
    """The killed worker runs the real cron (``deliver`` at second 30 of each minute); start
    just after it, so no second pass claims notifications while the test watches."""
    second = datetime.now(UTC).second
    if 15 <= second < 31:
        await asyncio.sleep(31 - second)


async def test_a_worker_killed_mid_batch_loses_nothing_and_misrecords_nothing(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    """SIGKILL while one push and one email are in flight (their providers never answer):
    every other message answered is recorded, nothing unanswered is recorded, the rest is
    still queued; after a restart everything is sent once, and only the two in flight go
    again, under the same collapse id and Message-ID."""
    await _clear_of_the_sweeper()
    clock.set(datetime.now(UTC).replace(microsecond=0))  # the real worker's cron uses real time
    zone = daytime_zone()  # real time: no quiet hours
    ids = [
        await member(
            api,
            f"m{i}",
            email=f"m{i}@example.com",
            timezone=zone,
            devices=((android(i), "android", "fcm"), (iphone(i), "ios", "apns")),
        )
        for i in range(MEMBERS)
    ]
    await settle(settings, clock, redis, fakes)
    for n, member_id in enumerate(ids):
        await coupon_issued(member_id, clock, coupon_id=100 + n)
    fakes.fcm.behave(android(9), "hang")  # claim 2 of 8: one FCM lane of 4 stalls
    fakes.smtp.behave("m10@example.com", "hang")  # and the one SMTP lane, at its 3rd mail
    in_flight = {("fcm", android(9)), ("smtp", "m10@example.com")}  # with no timeout: sending

    async def all_but_those_answered() -> bool:  # claims 1 and 2, minus in flight and behind
        rows = await deliveries()
        timed_out = [r for r in rows if r["status"] == "retry" and r["reason"] == "timeout"]
        hung = any(r["target"] == "m10@example.com" and r["status"] == "sending" for r in rows)
        return hung and sum(r["status"] == "sent" for r in rows) + len(timed_out) >= 41

    log = Path(tempfile.mkdtemp(prefix="killed-worker-")) / "worker.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "loyalty.cli",
            "worker",
            cwd=ROOT,
            env=subprocess_env(settings, fakes),
            stdout=out,
            stderr=out,
        )
    try:
        await wait_until(lambda: android(9) in fakes.fcm.tokens())
        await wait_until(all_but_those_answered)
    finally:
        proc.kill()  # SIGKILL: no cleanup runs
        await proc.wait()
    before = _received(fakes)
    rows = await deliveries()
    recorded = {(r["provider"], r["target"]) for r in rows if r["status"] == "sent"}
    # The window of uncertainty is what was `sending` at the kill, plus, on a loaded machine,
    # rows whose provider call timed out (`retry`: the provider's own duplicate case) and any
    # row a concurrent sweep had in hand. Outside it the record matches what arrived exactly.
    window = {(r["provider"], r["target"]) for r in rows if r["status"] in ("sending", "retry")}
    assert in_flight <= window | recorded
    assert ("smtp", "m10@example.com") in window  # its SMTP server never answered
    odd = [
        (r["target"][-6:], r["status"], r["reason"], r["attempts"])
        for r in rows
        if (r["provider"], r["target"]) in set(before) - recorded - window
    ]
    assert not odd, (odd, log.read_text()[-2000:])  # nothing arrived unrecorded
    assert recorded <= set(before)  # nothing recorded that did not arrive
    queued = {(r["provider"], r["target"]) for r in rows if r["status"] == "queued"}
    assert not queued & set(before)  # nothing not started had gone out
    assert max(before.values()) == 1
    first_push = fakes.pushes_to(android(9))[0]

    # The worker's pass was the sweep it enqueues at start. arq re-runs a job whose worker
    # died once its in-progress lock expires (job_timeout); let that happen now instead of
    # in 5 minutes. It claims nothing: the leases still hold.
    [lock] = await redis.keys(in_progress_key_prefix + "deliver:start:*")
    assert await redis.delete(lock) == 1
    fakes.reset()
    clock.advance(seconds=330)  # the dead worker's lease (5 min from its real start) is out
    await run_worker(settings, clock, redis)

    final = await deliveries()
    assert len(final) == 3 * MEMBERS and {r["status"] for r in final} == {"sent"}  # none lost
    after = _received(fakes)
    total = before + after
    assert set(total) == {(r["provider"], r["target"]) for r in final}
    twice = {key for key, n in total.items() if n > 1}
    assert ("fcm", android(9)) in twice and twice <= window  # copies only from the window
    [again] = fakes.pushes_to(android(9))
    assert again["android"]["collapse_key"] == first_push["android"]["collapse_key"]
    assert again["android"]["notification"]["tag"] == first_push["android"]["collapse_key"]
    [mail] = fakes.mails_to("m10@example.com")
    row = next(r for r in rows if r["target"] == "m10@example.com")
    assert mail["Message-ID"] == f"<d{row['id']}.n{row['notification']}@example.com>"
    statuses = await db.fetch("SELECT DISTINCT status FROM notification")
    assert [r["status"] for r in statuses] == ["done"]


def _received(fakes: Fakes) -> Counter[tuple[str, str]]:
    """What reached each fake provider, by (provider, target)."""
    found: Counter[tuple[str, str]] = Counter(("fcm", t) for t in fakes.fcm.tokens())
    found.update(("apns", r.token) for r in fakes.apns.requests)
    found.update(("smtp", str(m["To"])) for m in fakes.smtp.messages)
    return found


async def test_nothing_is_lost_when_redis_is_down_at_the_event(
    api: Api, app: Any, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    await member(
        api,
        "kari",
        email="kari@example.no",
        devices=(("android-fcm-token-kari-0001", "android", "fcm"),),
    )
    await settle(settings, clock, redis, fakes)
    dead = ArqRedis(host="127.0.0.1", port=free_port())
    app.state.redis = dead
    try:
        r = await api.client.post(
            "/v1/admin/members/kari/adjustments",
            json={"points": 500, "reason": "late delivery"},
            headers=await api.staff_headers("staff"),
        )
        assert r.status_code == 201, r.text
    finally:
        app.state.redis = redis
        await dead.aclose()
    note = await db.fetchrow("SELECT id, status FROM notification WHERE event = 'points_added'")
    assert note["status"] == "pending" and await redis.zcard("arq:queue") == 0

    assert table.get("deliver").schedule is not None  # the sweeper runs `deliver` every minute
    await run_worker(settings, clock, redis)
    assert len(fakes.pushes_to("android-fcm-token-kari-0001")) == 1
    [mail] = fakes.mails_to("kari@example.no")
    assert mail["Subject"] == "You received 500 points"
    assert await db.fetchval("SELECT status FROM notification WHERE id = $1", note["id"]) == "done"


async def test_a_request_that_writes_notifications_kicks_the_worker(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    await member(api, "kari", email="kari@example.no")
    r = await api.client.post(
        "/v1/admin/members/kari/adjustments",
        json={"points": 500, "reason": "goodwill"},
        headers=await api.staff_headers("staff"),
    )
    await settle(settings, clock, redis, fakes)
    r = await api.client.post(
        "/v1/admin/members/kari/adjustments",
        json={"points": -100, "reason": "correction"},
        headers=await api.staff_headers("staff"),
    )
    assert r.status_code == 201
    note_id = await db.fetchval("SELECT id FROM notification WHERE event = 'points_removed'")
    queued = [j.decode() for j in await redis.zrange("arq:queue", 0, -1)]
    assert queued == [f"deliver:n{note_id}"]
    r = await api.client.get("/v1/me", headers=api.shopper("kari"))  # writes nothing
    assert await redis.zcard("arq:queue") == 1

    worker = build_worker(settings, clock=clock, burst=True, manage_pool=False)
    try:
        await worker.run_check()
    finally:
        await close_worker(worker)
    [mail] = fakes.mails_to("kari@example.no")
    assert mail["Subject"] == "100 points were removed"
    assert (await db.fetchval("SELECT status FROM notification WHERE id = $1", note_id)) == "done"


async def test_two_workers_at_once_send_each_message_once(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    ids = [
        await member(
            api, f"m{i}", email=f"m{i}@example.com", devices=((android(i), "android", "fcm"),)
        )
        for i in range(12)
    ]
    await settle(settings, clock, redis, fakes)
    for n, member_id in enumerate(ids):
        await coupon_issued(member_id, clock, coupon_id=200 + n)
    small = replace(settings, delivery_env={**settings.delivery_env, "LOYALTY_DELIVERY_CLAIM": "2"})
    await run_worker(small, clock, redis, workers=3)
    assert sorted(fakes.fcm.tokens()) == sorted(android(i) for i in range(12))
    assert len(fakes.smtp.messages) == 12
    assert len(await deliveries(status="sent")) == 24
