"""PostgreSQL backends killed under load: 503 with Retry-After while it lasts, never a 500,
recovery by itself, and a SIGTERM that stops the API within 5 seconds."""

from __future__ import annotations

import asyncio
import signal
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from loyalty.clock import FrozenClock
from loyalty.settings import Settings
from tests.chaos import support
from tests.helpers import Api, assert_ledger_consistent

CLIENTS = 8
ROUNDS = 5


async def _load(api: Api, n: int, stop: asyncio.Event, seen: Counter[int], bad: list[Any]) -> None:
    """One client: orders (retried on lost connections) and reads (not retried)."""
    i = 0
    while not stop.is_set():
        i += 1
        api.clock.set(datetime.now(UTC))
        if i % 3:
            payload = {
                "customer_id": f"c-{n}",
                "status": "completed" if i % 2 else "placed",
                "currency": "EUR",
                "total_minor": 1000 + i,
                "placed_at": api.clock.now().isoformat(),
            }
            r = await api.shop_put(f"/v1/shop/orders/o-{n}-{i // 2}", payload)
        else:
            r = await api.client.get("/v1/me", headers=api.shopper(f"c-{n}"))
        seen[r.status_code] += 1
        if r.status_code == 503:
            if "retry-after" not in r.headers or r.json()["error"]["code"] != "unavailable":
                bad.append((r.status_code, dict(r.headers), r.text[:200]))
            await asyncio.sleep(0.02)
        elif r.status_code >= 500:
            bad.append((r.status_code, r.text[:300]))


async def _kill_under_load(api: Api, database_url: str) -> tuple[Counter[int], list[Any], int]:
    for n in range(CLIENTS):
        r = await api.shop_put(f"/v1/shop/customers/c-{n}", {"email": f"c{n}@example.com"})
        assert r.status_code in (200, 201), r.text
    stop = asyncio.Event()
    seen: Counter[int] = Counter()
    bad: list[Any] = []
    clients = [asyncio.create_task(_load(api, n, stop, seen, bad)) for n in range(CLIENTS)]
    killed = 0
    for _ in range(ROUNDS):
        await asyncio.sleep(0.4)
        killed += await support.kill_backends(database_url)
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*clients), 30)
    return seen, bad, killed


async def _recovered(api: Api) -> None:
    """Within seconds every client is served again (no pool left hanging)."""
    deadline = time.monotonic() + 5
    for n in range(CLIENTS):
        while True:
            r = await api.client.get("/v1/me", headers=api.shopper(f"c-{n}"), timeout=5)
            if r.status_code == 200:
                break
            assert r.status_code == 503 and time.monotonic() < deadline, r.text
            await asyncio.sleep(0.1)


async def test_killed_backends_in_process_answer_503_then_recover(
    api: Api, database_url: str
) -> None:
    seen, bad, killed = await _kill_under_load(api, database_url)
    assert killed >= ROUNDS and not bad, (seen, bad[:5])
    await _recovered(api)
    await assert_ledger_consistent()


async def test_killed_backends_under_a_real_server_then_sigterm(
    settings: Settings, database_url: str, redis: Any
) -> None:
    port = support.port()
    env = support.command_env(settings, LOYALTY_PORT=str(port), LOYALTY_DB_POOL_SIZE="4")
    log = Path(tempfile.mkdtemp(prefix="chaos-api-")) / "api.log"
    base = f"http://127.0.0.1:{port}"
    async with (
        support.command(["api"], env, log) as proc,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
    ):
        await support.wait_for(lambda: _healthy(client))
        api = Api(client=client, settings=settings, clock=FrozenClock(datetime.now(UTC)))
        seen, bad, killed = await _kill_under_load(api, database_url)
        assert killed >= ROUNDS and not bad, (seen, bad[:5], log.read_text()[-3000:])
        await _recovered(api)
        await assert_ledger_consistent()
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 5)
        assert time.monotonic() - started < 5
    text = log.read_text()
    assert "Traceback" not in text and "internal_error" not in text, text[-3000:]


async def _healthy(client: httpx.AsyncClient) -> bool:
    return (await client.get("/health")).status_code == 200
