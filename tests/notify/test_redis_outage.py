"""Redis killed under ``loyalty run`` and brought back: the process stays up, /health names
what is down, requests during the outage are accepted, and their push and email arrive
exactly once after Redis returns (the worker reconnects and sweeps the outbox)."""

from __future__ import annotations

import asyncio
import shutil
import signal
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from loyalty import db
from loyalty.clock import FrozenClock
from loyalty.settings import Settings
from tests.chaos import support
from tests.helpers import Api, assert_ledger_consistent
from tests.notify.conftest import Fakes

TOKEN = "android-fcm-token-outage-0001"
pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


async def _health(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    r = await client.get("/health")
    return r.status_code, r.json()


async def _until_health(client: httpx.AsyncClient, status: int, timeout_s: float = 60) -> None:
    async def reached() -> bool:
        return (await _health(client))[0] == status

    await support.wait_for(reached, timeout_s)


async def test_redis_lost_and_back_under_loyalty_run(
    settings: Settings, fakes: Fakes, database_url: str
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="chaos-redis-"))
    redis_port = support.port()
    api_port = support.port(avoid=frozenset({redis_port}))
    env = support.command_env(
        settings,
        **fakes.env,
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        LOYALTY_PORT=str(api_port),
        LOYALTY_DB_POOL_SIZE="4",
    )
    async with (
        support.redis_server(redis_port, folder) as redis_proc,
        support.command(["run", "--no-demo"], env, folder / "run.log") as proc,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as client,
    ):
        await _until_health(client, 200)
        api = Api(client=client, settings=settings, clock=FrozenClock(datetime.now(UTC)))
        kari = {"email": "kari@example.no", "timezone": support.daytime_zone()}  # no quiet hours
        r = await api.shop_put("/v1/shop/customers/kari", kari)
        assert r.status_code == 200, r.text
        r = await client.put(
            f"/v1/me/devices/{TOKEN}",
            json={"platform": "android", "provider": "fcm"},
            headers=api.shopper("kari"),
        )
        assert r.status_code == 200, r.text
        staff = await api.staff_headers("staff")

        redis_proc.kill()
        await redis_proc.wait()
        await _until_health(client, 503)
        _, body = await _health(client)
        assert body["database"] == "ok" and body["redis"] != "ok", body
        api.clock.set(datetime.now(UTC))
        r = await api.shop_put(
            "/v1/shop/orders/o-1",
            {
                "customer_id": "kari",
                "status": "completed",
                "currency": "EUR",
                "total_minor": 5000,
                "placed_at": api.clock.now().isoformat(),
            },
        )
        assert r.status_code == 200, r.text
        r = await client.post(
            "/v1/admin/members/kari/adjustments",
            json={"points": 500, "reason": "late parcel"},
            headers=staff,
        )
        assert r.status_code == 201, r.text
        await asyncio.sleep(2)  # the worker has tried to reconnect at least once meanwhile
        assert proc.returncode is None, (folder / "run.log").read_text()[-3000:]

        async with support.redis_server(redis_port, folder):
            await _until_health(client, 200)
            await support.wait_for(lambda: _delivered(fakes), 40)
            await asyncio.sleep(1.5)  # time for a duplicate to show, if there were one
            assert len([p for p in _pushes(fakes) if p["data"]["event"] == "points_added"]) == 1
            assert [m["Subject"] for m in fakes.mails_to("kari@example.no")].count(
                "You received 500 points"
            ) == 1
            note = await db.fetchval("SELECT status FROM notification WHERE event = 'points_added'")
            assert note == "done"
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 10)
    log = (folder / "run.log").read_text()
    assert ("reconnects in" in log or "restarting in" in log) and "internal_error" not in log, log[
        -3000:
    ]
    await assert_ledger_consistent()


def _pushes(fakes: Fakes) -> list[dict[str, Any]]:
    return fakes.pushes_to(TOKEN)


async def _delivered(fakes: Fakes) -> bool:
    return any(p["data"]["event"] == "points_added" for p in _pushes(fakes)) and bool(
        [m for m in fakes.mails_to("kari@example.no") if m["Subject"] == "You received 500 points"]
    )
