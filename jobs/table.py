"""Every job in one table: its name, its function and its schedule.

The arq worker (``jobs/worker.py``) and ``loyalty jobs run NAME`` read :data:`JOBS`. A job is
an adapter, ``async def fn(as_of: datetime) -> dict[str, Any]``: it calls domain services and
returns counts for the log. Add one: write the function in your area's ``jobs/<area>.py`` and
add its ``Job(...)`` line below (``schedule=None``: it runs only when asked or queued).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobs import activity, notify, scheduled, tiers, validity, webhooks

JobFn = Callable[[datetime], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Cron:
    """When arq runs a job (UTC): ``None`` means every hour / every minute, as in arq."""

    hour: int | None = None
    minute: int | None = None
    second: int | set[int] = 0


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    run: JobFn
    schedule: Cron | None = None


JOBS: tuple[Job, ...] = (
    # hourly: each time zone soon after 08:00 local
    Job("birthdays", activity.birthday_points, Cron(minute=5)),
    # the outbox sweeper: every minute, whatever Redis missed
    Job("deliver", notify.deliver, Cron(second=30)),
    # hourly: points expire soon after each time zone's midnight
    Job("expire", validity.expire, Cron(minute=2)),
    # daily: one run lands on each member's local day
    Job("remind", validity.remind, Cron(hour=8, minute=17)),
    # daily; sends from the scheduled local day, once
    Job("summary", validity.balance_summary, Cron(hour=7, minute=32)),
    Job("check-ledger", scheduled.check_ledger),
    # daily: members whose tier retention ended move down if they no longer qualify
    Job("tiers", tiers.tiers, Cron(hour=3, minute=41)),
    # webhook deliveries, their own queue and lease: every ten seconds
    Job("webhooks", webhooks.deliver_webhooks, Cron(second={0, 10, 20, 30, 40, 50})),
)
BY_NAME: dict[str, Job] = {job.name: job for job in JOBS}
assert len(BY_NAME) == len(JOBS), "two jobs share a name"


def get(name: str) -> Job:
    """The job called ``name``; ``KeyError`` names the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(BY_NAME))}") from None


async def run(name: str, as_of: datetime) -> dict[str, Any]:
    """Run one job once, as of ``as_of``."""
    return await get(name).run(as_of)
