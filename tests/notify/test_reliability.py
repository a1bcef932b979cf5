"""Crash and outage safety: a worker killed mid-batch, Redis down at the event, the kick."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
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
        "LOYALTY_DELIVERY_CHUNK": "4",
        "LOYALTY_DELIVERY_LEASE_S": "300",
        "LOYALTY_DB_POOL_SIZE": "3",
    }


async def wait_until(check: Any, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not (await check() if asyncio.iscoroutinefunction(check) else check()):
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def test_a_worker_killed_mid_batch_and_restarted_sends_nothing_twice(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    clock.set(datetime.now(UTC).replace(microsecond=0))  # the real worker's cron uses real time
    ids = [
        await member(
            api,
            f"m{i}",
            email=f"m{i}@example.com",
            devices=((android(i), "android", "fcm"), (iphone(i), "ios", "apns")),
        )
        for i in range(MEMBERS)
    ]
    await settle(settings, clock, redis, fakes)
    for n, member_id in enumerate(ids):
        await coupon_issued(member_id, clock, coupon_id=100 + n)
    fakes.fcm.behave(android(9), "hang")  # the 2nd claim of 8, its 1st FCM chunk of 4

    async def others_recorded() -> bool:  # claim 2's APNs and emails are sent and recorded
        sent = await deliveries(status="sent")
        return sum(r["provider"] != "fcm" for r in sent) == 32

    await redis.enqueue_job("deliver", as_of=clock.now().isoformat(), _job_id="kill-test")
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
        await wait_until(others_recorded)
    finally:
        proc.kill()  # SIGKILL: no cleanup runs
        await proc.wait()
    assert len(fakes.fcm.messages) == 12, log.read_text()[-3000:]
    assert len(await deliveries(status="sending")) == 4

    # arq re-runs a job whose worker died once its in-progress lock expires (job_timeout);
    # let that happen now instead of in 5 minutes. It claims nothing: the leases still hold.
    assert await redis.delete(in_progress_key_prefix + "kill-test") == 1
    fakes.reset()
    clock.advance(seconds=301)  # the dead worker's lease has run out
    await run_worker(settings, clock, redis)

    interrupted = await deliveries(status="failed")
    assert sorted(r["target"] for r in interrupted) == [android(i) for i in range(8, 12)]
    assert {r["reason"] for r in interrupted} == {"interrupted"}
    assert len(await deliveries(status="sent")) == 3 * MEMBERS - 4
    # The restarted worker sent exactly what the dead one had not started.
    assert sorted(fakes.fcm.tokens()) == sorted(android(i) for i in range(12, MEMBERS))
    assert sorted(fakes.apns.tokens()) == sorted(iphone(i) for i in range(16, MEMBERS))
    assert len(fakes.smtp.messages) == MEMBERS - 16
    statuses = await db.fetch("SELECT DISTINCT status FROM notification")
    assert [r["status"] for r in statuses] == ["done"]


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
