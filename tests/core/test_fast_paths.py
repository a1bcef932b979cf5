"""The order path's fast paths (a replay answered from one read, coalesced delivery kicks), the
statement counter the benchmarks read (``LOYALTY_DB_STATS``) and the scale-out compose file."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
from litestar import Litestar, get

from loyalty import db, dbstats
from tests.helpers import Api, ledger_rows


async def test_exact_replay_takes_no_lock_and_writes_nothing(api: Api, database_url: str) -> None:
    """While another transaction holds the order row, a replay still answers at once (it only
    reads); a real change waits for the lock, as it must."""
    first = await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    holder = await asyncpg.connect(database_url)
    try:
        tx = holder.transaction()
        await tx.start()
        await holder.execute("SELECT 1 FROM shop_order WHERE order_id = 'o-1' FOR UPDATE")
        replay = await asyncio.wait_for(
            api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed"), 5
        )
        change = asyncio.create_task(
            api.order("o-1", customer_id="c-1", total_minor=10_000, status="cancelled")
        )
        await asyncio.sleep(0.3)
        assert not change.done()  # blocked on the row lock
        await tx.rollback()
        cancelled = await asyncio.wait_for(change, 5)
    finally:
        await holder.close()
    assert replay == {**first, "changed": False}
    assert cancelled["status"] == "cancelled" and cancelled["changed"] is True
    assert [r["kind"] for r in await ledger_rows("c-1")] == [
        "earn_pending",
        "earn_confirm",
        "clawback",
    ]


async def test_replay_of_another_customers_order_is_refused(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000)
    refused = await api.order("o-1", customer_id="c-2", total_minor=10_000, expect=409)
    assert refused["error"]["code"] == "order_customer_mismatch"


async def test_statement_counter_reports_each_requests_statements(database_url: str) -> None:
    """``LOYALTY_DB_STATS``: a pool of counting connections and a header per response."""

    @get("/three")
    async def three() -> dict[str, Any]:
        async with db.transaction():  # BEGIN, two statements, COMMIT
            await db.fetchval("SELECT 1")
            await db.execute("SELECT 2")
        return {"ok": True}

    saved = db.DB.pool
    db.DB.pool = None
    await db.open_pool(2, count_statements=True)
    try:
        app = Litestar([three], middleware=[dbstats.middleware])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = [await client.get("/three") for _ in range(2)]
    finally:
        await db.close_pool()
        db.DB.pool = saved
    assert [a.headers["x-db-statements"] for a in answers] == ["4", "4"]
