"""The jobs as the worker and an operator run them, and the reminder rules beyond rolling."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta

import pytest

from jobs import table
from loyalty import db
from loyalty.clock import FrozenClock
from loyalty.settings import Settings
from tests.helpers import Api, balances
from tests.validity.support import assert_consistent, job, notifications, set_validity


@pytest.mark.pure
def test_jobs_are_registered_and_scheduled() -> None:
    scheduled = {job.name for job in table.JOBS if job.schedule is not None}
    assert {"expire", "remind", "summary"} <= scheduled


async def test_loyalty_jobs_run_expire_as_of_a_date(
    api: Api, clock: FrozenClock, settings: Settings
) -> None:
    clock.set(datetime(2025, 12, 1, 12, tzinfo=UTC))
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "loyalty.cli",
        "jobs",
        "run",
        "expire",
        "--as-of",
        "2027-01-01",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert "'entries': 1" in out.decode() and "2027-01-01" in out.decode()
    assert (await balances("c-1"))["expired"] == 1_000
    await assert_consistent()


async def test_per_lot_reminds_of_each_lot_date_and_skips_blocked_members(
    api: Api, clock: FrozenClock
) -> None:
    await set_validity(api, policy="per_lot", days=30, reminder_days=[7])
    start = datetime(2026, 3, 2, 12, tzinfo=UTC)
    for customer_id in ("c-1", "blocked"):
        clock.set(start)
        await api.order(
            f"{customer_id}-1", customer_id=customer_id, total_minor=1_000, status="completed"
        )
        clock.set(start + timedelta(days=3))
        await api.order(
            f"{customer_id}-2", customer_id=customer_id, total_minor=2_000, status="completed"
        )
    r = await api.client.post(
        "/v1/admin/members/blocked/block",
        json={"reason": "fraud check"},
        headers=await api.staff_headers(),
    )
    assert r.status_code == 200, r.text
    for day in range(20, 40):
        await job("remind", start + timedelta(days=day))
        await job("expire", start + timedelta(days=day))
    sent = [
        ((n["created_at"] - start).days, n["data"]["points"], n["data"]["expires_on"])
        for n in await notifications("c-1", "points_expiring")
    ]
    assert sent == [(23, 100, "2026-04-01"), (26, 200, "2026-04-04")]
    assert await notifications("blocked", "points_expiring") == []
    assert await db.fetchval("SELECT count(*) FROM ledger_entry WHERE kind = 'expire'") == 4
    await assert_consistent()


async def test_never_sends_no_reminders_and_expires_nothing(api: Api, clock: FrozenClock) -> None:
    await set_validity(api, policy="never")
    await api.order("o-1", customer_id="c-1", total_minor=1_000, status="completed")
    for days in (300, 360, 400, 800):
        assert (await job("remind", clock.now() + timedelta(days=days)))["sent"] == 0
        assert (await job("expire", clock.now() + timedelta(days=days)))["entries"] == 0
