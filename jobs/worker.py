"""The arq worker: runs queued jobs and the cron schedule.

Each queued/cron function opens nothing itself: the database pool and shared clients are made
in ``on_startup`` and kept on the worker context, as arq recommends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arq.connections import RedisSettings
from arq.cron import CronJob, cron
from arq.worker import Worker

from jobs.registry import load_all
from loyalty import db, reactions_table
from loyalty.clock import Clock, SystemClock
from loyalty.notify import runtime as notify_runtime
from loyalty.settings import Settings


def _as_arq(name: str) -> Any:
    async def run(ctx: dict[str, Any], as_of: str | None = None) -> dict[str, Any]:
        clock: Clock = ctx["clock"]
        when = datetime.fromisoformat(as_of) if as_of else clock.now()
        return await load_all()[name](when)

    run.__name__ = name.replace("-", "_")
    run.__qualname__ = run.__name__
    return run


CRON_SCHEDULE: dict[str, dict[str, Any]] = {
    # name -> arq cron keyword arguments (UTC). Jobs not listed run only when asked.
    "birthdays": {"minute": 5},  # hourly: each time zone soon after 08:00 local
    "deliver": {"second": 30},  # the outbox sweeper: every minute, whatever Redis missed
    "expire": {"minute": 2},  # hourly: points expire soon after each time zone's midnight
    "remind": {"hour": 8, "minute": 17},  # daily: one run lands on each member's local day
    "summary": {"hour": 7, "minute": 32},  # daily; sends from the scheduled local day, once
    "tiers": {"hour": 3, "minute": 41},  # daily: moves down members whose retention ended
}


def build_worker(
    settings: Settings,
    *,
    clock: Clock | None = None,
    burst: bool = False,
    manage_pool: bool = True,
    queue_name: str | None = None,
) -> Worker:
    """An arq worker for every registered job, with the cron schedule."""
    reactions_table.install()
    registry = load_all()
    functions = [_as_arq(name) for name in registry]
    by_name = {f.__name__: f for f in functions}
    crons: list[CronJob] = [
        cron(by_name[name.replace("-", "_")], name=f"cron:{name}", unique=True, **kwargs)
        for name, kwargs in CRON_SCHEDULE.items()
    ]

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["clock"] = clock or SystemClock()
        ctx["settings"] = settings
        if manage_pool:
            assert settings.database_url
            db.configure(settings.database_url)
            await db.open_pool(settings.db_pool_size)
        ctx["delivery"] = await notify_runtime.start(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await notify_runtime.stop(ctx.get("delivery"))
        if manage_pool:
            await db.close_pool()

    assert settings.redis_url
    kwargs: dict[str, Any] = {"queue_name": queue_name} if queue_name else {}
    return Worker(
        functions=functions,
        cron_jobs=crons,
        redis_settings=RedisSettings.from_dsn(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        burst=burst,
        poll_delay=0.05 if burst else 0.5,
        handle_signals=False,
        max_jobs=20,
        keep_result=60,
        **kwargs,
    )
