"""Keyset pages handed to a few concurrent workers: how the jobs walk a million members.

One producer reads pages of member ids in index order (cheap, no locks); up to ``workers``
consumers each process one page in a transaction of their own. At most ``workers + 1`` pages are
in memory, whatever the number of members.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from loyalty import db

WORKERS = 2
FLOOR = datetime(1, 1, 1, tzinfo=UTC)

Work = Callable[[list[int]], Awaitable[None]]


async def pages(sql: str, *args: Any) -> AsyncIterator[list[int]]:
    """Run ``sql`` (keyset after ``$2, $3``, other parameters ``args``: ``$1`` then ``$4``...)
    until it returns no rows. It answers ``ids, seen, last_at, last_id``; ``ids`` may be empty
    while ``seen`` is not (nothing to do on that page)."""
    first, rest = args[0], args[1:]
    after: tuple[datetime, int] = (FLOOR, 0)
    while True:
        row = await db.fetchrow(sql, first, *after, *rest)
        assert row is not None
        if not row["seen"]:
            return
        yield list(row["ids"] or [])
        after = (row["last_at"], row["last_id"])


async def fan_out(source: AsyncIterator[list[int]], work: Work, workers: int = WORKERS) -> int:
    """Give each page of ``source`` to ``work``, ``workers`` at a time; the first failure
    cancels the rest and is raised. Returns the number of pages."""
    slots = asyncio.Semaphore(workers)
    count = 0
    async with asyncio.TaskGroup() as group:
        async for ids in source:
            await slots.acquire()
            group.create_task(_release_after(work(ids), slots))
            count += 1
    return count


async def _release_after(job: Awaitable[None], slots: asyncio.Semaphore) -> None:
    try:
        await job
    finally:
        slots.release()


async def custom_plans() -> None:
    """Plan this transaction's statements for their actual parameters: the batches pass
    arrays of thousands of ids, which a generic plan would guess at."""
    await db.execute("SET LOCAL plan_cache_mode = force_custom_plan")
