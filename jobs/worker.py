"""The arq worker: runs queued jobs and the cron schedule, both read from ``jobs.table``.

Each queued/cron function opens nothing itself: the database pool and shared clients are made
in ``on_startup`` and kept on the worker context, as arq recommends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import datetime
from typing import Any

import redis.exceptions
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


log = logging.getLogger("loyalty.worker")
REDIS_LOST: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    OSError,
)
BACKOFF_S = (1.0, 30.0)
"""First and longest wait between reconnects (doubling in between)."""
STEADY_S = 60.0
"""A worker that ran this long before losing Redis starts its back-off from the first step."""


def build_worker(
    settings: Settings,
    *,
    clock: Clock | None = None,
    burst: bool = False,
    manage_pool: bool = True,
    queue_name: str | None = None,
    sweep_on_start: bool = False,
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
        if sweep_on_start:  # deliver at once what was written while no worker listened
            await ctx["redis"].enqueue_job("deliver", _job_id=f"deliver:start:{uuid.uuid4().hex}")

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


async def keep_working(
    settings: Settings, *, clock: Clock | None = None, manage_pool: bool = True
) -> None:
    """Run the worker for good: when Redis goes away (a restart, a network cut), or the worker
    stops on any other error, it is wound down and built again, waiting 1, 2, 4 ... 30 s
    between attempts, instead of exiting. Each new worker sweeps the outbox at once, so what
    was written meanwhile (the API keeps accepting requests; its kicks are lost) goes out as
    soon as Redis is back."""
    if manage_pool:
        assert settings.database_url
        db.configure(settings.database_url)
        await db.open_pool(settings.db_pool_size)
    delay = BACKOFF_S[0]
    try:
        while True:
            worker = build_worker(settings, clock=clock, manage_pool=False, sweep_on_start=True)
            started = time.monotonic()
            try:
                await worker.async_run()
                return
            except (Exception, asyncio.CancelledError) as exc:
                if _cancelled_from_outside(exc):
                    raise
                if time.monotonic() - started > STEADY_S:
                    delay = BACKOFF_S[0]
                _log_stop(exc, delay)
            finally:
                await _wind_down(worker)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_S[1])
    finally:
        if manage_pool:
            await db.close_pool()


def _cancelled_from_outside(exc: BaseException) -> bool:
    """A cancellation of this supervisor (shutdown), as opposed to one that escaped a job."""
    task = asyncio.current_task()
    return isinstance(exc, asyncio.CancelledError) and task is not None and task.cancelling() > 0


def _log_stop(exc: BaseException, delay: float) -> None:
    """Redis going away is expected (a warning); anything else that stopped the worker (a job
    failing to report to a dying Redis surfaces as its own error) gets its traceback."""
    if isinstance(exc, REDIS_LOST):
        log.warning("redis unavailable (%s); worker reconnects in %.0f s", exc, delay)
    else:
        log.warning("worker stopped (%r); restarting in %.0f s", exc, delay, exc_info=exc)


async def _wind_down(worker: Worker, grace_s: float = 3.0) -> None:
    """Let the jobs in flight finish (they need PostgreSQL, not Redis), cancel the rest,
    close the senders and drop the dead Redis connection without waiting for it."""
    running = [t for t in worker.tasks.values() if not t.done()]
    if running:
        _, late = await asyncio.wait(running, timeout=grace_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
    with contextlib.suppress(Exception):
        await notify_runtime.stop(worker.ctx.get("delivery"))
    pool = worker._pool
    worker._pool = None
    if pool is not None:
        with contextlib.suppress(Exception):
            await pool.aclose()
