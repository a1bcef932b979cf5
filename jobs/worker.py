"""The arq worker: runs queued jobs and the cron schedule, both read from ``jobs.table``.

Each queued/cron function opens nothing itself: the database pool and shared clients are made
in ``on_startup`` and kept on the worker context, as arq recommends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arq.connections import RedisSettings
from arq.cron import CronJob, cron
from arq.worker import Worker

from jobs import table
from loyalty import db, metrics, reactions_table
from loyalty.clock import Clock, SystemClock
from loyalty.notify import runtime as notify_runtime
from loyalty.settings import Settings
from loyalty.webhooks import runtime as webhooks_runtime


def _as_arq(job: table.Job) -> Any:
    """The arq function of ``job`` (a Python name: ``check-ledger`` is ``check_ledger``)."""

    async def run(ctx: dict[str, Any], as_of: str | None = None) -> dict[str, Any]:
        clock: Clock = ctx["clock"]
        when = datetime.fromisoformat(as_of) if as_of else clock.now()
        async with metrics.timed_job(job.name):
            return await job.run(when)

    run.__name__ = job.name.replace("-", "_")
    run.__qualname__ = run.__name__
    return run


def build_worker(
    settings: Settings,
    *,
    clock: Clock | None = None,
    burst: bool = False,
    manage_pool: bool = True,
    queue_name: str | None = None,
) -> Worker:
    """An arq worker for every job of the table, with their schedules."""
    reactions_table.install()
    functions = {job.name: _as_arq(job) for job in table.JOBS}
    crons: list[CronJob] = [
        cron(
            functions[job.name],
            name=f"cron:{job.name}",
            unique=True,
            hour=job.schedule.hour,
            minute=job.schedule.minute,
            second=job.schedule.second,
        )
        for job in table.JOBS
        if job.schedule is not None
    ]

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["clock"] = clock or SystemClock()
        ctx["settings"] = settings
        if manage_pool:
            assert settings.database_url
            db.configure(settings.database_url)
            await db.open_pool(settings.db_pool_size)
        ctx["delivery"] = await notify_runtime.start(settings)
        ctx["webhooks"] = await webhooks_runtime.start(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        await notify_runtime.stop(ctx.get("delivery"))
        await webhooks_runtime.stop(ctx.get("webhooks"))
        if manage_pool:
            await db.close_pool()

    assert settings.redis_url
    kwargs: dict[str, Any] = {"queue_name": queue_name} if queue_name else {}
    return Worker(
        functions=list(functions.values()),
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
