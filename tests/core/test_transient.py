"""A deadlock victim is retried, and never reaches the caller as a 500."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from litestar import get

from api.app import create_app
from loyalty import db
from loyalty.settings import Settings


async def test_retry_transient_retries_then_gives_up() -> None:
    calls = 0

    @db.retry_transient(attempts=3)
    async def flaky(fail_times: int) -> str:
        nonlocal calls
        calls += 1
        if calls <= fail_times:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        return "done"

    assert await flaky(2) == "done" and calls == 3
    calls = 0
    try:
        await flaky(3)
    except asyncpg.exceptions.DeadlockDetectedError:
        pass
    else:
        raise AssertionError("a third failure must propagate")


async def test_an_unresolved_deadlock_answers_503_with_retry_after(
    settings: Settings, redis: Any
) -> None:
    @get("/boom")
    async def boom() -> None:
        raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")

    app = create_app(settings, redis=redis, manage_resources=False, extra_handlers=[boom])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.get("/boom")
    assert r.status_code == 503 and r.headers["retry-after"] == "1"
    assert r.json()["error"]["code"] == "retry"
