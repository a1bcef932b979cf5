"""The order path's fast paths (a replay answered from one read, coalesced delivery kicks), the
statement counter the benchmarks read (``LOYALTY_DB_STATS``) and the scale-out compose file."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import yaml
from arq.connections import ArqRedis
from litestar import Litestar, get

from loyalty import db, dbstats
from loyalty.notify import kick
from tests.helpers import Api, ledger_rows

ROOT = Path(__file__).resolve().parent.parent.parent


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


async def test_concurrent_kicks_coalesce_and_cover_every_notification(redis: ArqRedis) -> None:
    """Twenty requests kicking at once make a few ``deliver`` jobs, not twenty; the first goes
    out at once and the ids written meanwhile ride on the next one."""
    await asyncio.gather(*(kick.kick_coalesced(redis, [i]) for i in range(1, 21)))
    queued = sorted(j.decode() for j in await redis.zrange("arq:queue", 0, -1))
    assert 1 < len(queued) < 20
    assert "deliver:n1" in queued and "deliver:n2" in queued  # n2..n20 rode together
    await kick.kick_coalesced(redis, [21])  # nothing in flight: kicked on its own
    assert await redis.zscore("arq:queue", "deliver:n21") is not None


def test_compose_file_runs_every_part_with_real_settings() -> None:
    """compose.yaml (scale-out: API replicas behind nginx, workers, one-shot migrate) parses
    and names only settings the engine reads. Images cannot be run on this machine."""
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = spec["services"]
    assert {"postgres", "redis", "migrate", "api", "worker", "proxy"} <= set(services)
    assert services["api"]["command"][:2] == ["loyalty", "api"]
    assert services["worker"]["command"] == ["loyalty", "worker"]
    assert services["migrate"]["command"] == ["loyalty", "migrate"]
    for name in ("api", "worker"):
        assert "replicas" in services[name]["deploy"]
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    settings_source = (ROOT / "loyalty" / "settings.py").read_text()
    for name in services["api"]["environment"]:
        assert f'"{name}"' in settings_source, f"{name} is not a setting"
    assert "server api:8000;" in spec["configs"]["nginx"]["content"]
