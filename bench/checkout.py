"""Checkout quotes at a fixed rate: signed ``POST /v1/shop/checkout/quote`` through the real
HTTP server (uvicorn in a subprocess), open loop, latency counted from each request's
scheduled send time (so a stalled server cannot hide its queue).

    .venv/bin/python bench/checkout.py [--rate 300] [--seconds 20] [--members 200] [--workers 1]

Uses DATABASE_URL/REDIS_URL's servers when set (in a database of its own), else embedded ones.
Carts mix a coupon code, points, and both, for members who have points and a coupon.
Last line: ``quotes_per_s=<n> p50_ms=<x> p99_ms=<x> api_cpu_ms=<x> load=<1 5 15 min>``
(API CPU per quote: the API process tree's CPU time over the run, warm-up included).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import signing
from bench import common
from loyalty import db, orders, program, reactions_table
from loyalty.rewards import catalogue, codes
from schemas.program import PointsAsMoney, ProgramRules
from schemas.rewards import RewardIn
from schemas.shop import OrderIn

SECRET = "bench-shop-secret"
STATEMENTS: list[int] = []  # X-DB-Statements of each quote (LOYALTY_DB_STATS=1)
RULES = ProgramRules(
    threshold_points=0,
    points_as_money=PointsAsMoney(enabled=True, min_balance=1_000, min_order_minor=5_000),
)


async def seed(db_url: str, members: int) -> list[tuple[str, str]]:
    """Members with 30,000 points (one order) and one catalogue coupon each: (id, code)."""
    db.configure(db_url)
    await db.open_pool(4)
    now = datetime.now(UTC)
    try:
        await program.save_rules(RULES, actor=None, now=now)
        reward = await catalogue.create(
            RewardIn(title="10 off", points_cost=1_000, value=1_000), actor="bench", now=now
        )
        found = []
        for n in range(members):
            customer = f"bench-{n}"
            state = OrderIn(
                customer_id=customer,
                status="completed",
                currency="EUR",
                total_minor=300_000,
                placed_at=now,
            )
            await orders.report(f"seed-{n}", state, now=now)
            coupon, _ = await catalogue.unlock(customer, reward["id"], now=now)
            found.append((customer, codes.display(coupon["code"])))
        return found
    finally:
        await db.close_pool()


def body_for(i: int, members: list[tuple[str, str]]) -> bytes:
    customer, code = members[i % len(members)]
    cart: dict[str, object] = {"customer_id": customer, "total_minor": 20_000 + i % 7_000}
    if i % 3 != 1:
        cart["coupon_code"] = code
    if i % 3 != 0:
        cart["points"] = 5_000
    cart["items"] = [{"sku": "sku-1", "quantity": 2, "unit_price_minor": 10_000}]
    return json.dumps(cart).encode()


class Pool:
    """Idle keep-alive connections; a new one opens when all are busy (open loop)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[common.Http] = []

    async def send(self, body: bytes) -> int:
        http = self.idle.pop() if self.idle else common.Http(self.port)
        headers = {
            "content-type": "application/json",
            signing.HEADER: signing.sign(
                SECRET,
                method="POST",
                path="/v1/shop/checkout/quote",
                body=body,
                timestamp=int(time.time()),
            ),
        }
        try:
            status = await http.request("POST", "/v1/shop/checkout/quote", body, headers)
        except (IndexError, ConnectionError, asyncio.IncompleteReadError):
            http = common.Http(self.port)  # the server closed an idle keep-alive connection
            status = await http.request("POST", "/v1/shop/checkout/quote", body, headers)
        self.idle.append(http)
        if http.statements is not None:
            STATEMENTS.append(http.statements)
        return status


async def drive(
    port: int, members: list[tuple[str, str]], rate: float, seconds: float
) -> tuple[int, float, list[float], int]:
    """Send ``rate`` quotes a second for ``seconds``; (sent, elapsed, latencies_ms, errors)."""
    pool = Pool(port)
    latencies: list[float] = []
    errors = [0]

    async def one(i: int, due: float) -> None:
        status = await pool.send(body_for(i, members))
        latencies.append((time.perf_counter() - due) * 1000)
        if status != 200:
            errors[0] += 1

    for i in range(200):  # warm up connections and the server's caches
        await pool.send(body_for(i, members))
    total = int(rate * seconds)
    tasks = []
    gc.collect()
    gc.disable()  # the load generator must not pause: a GC stall would count as latency
    start = time.perf_counter() + 0.05
    for i in range(total):  # each request starts at its own due time, whatever came before
        due = start + i / rate
        await asyncio.sleep(max(due - time.perf_counter(), 0))
        tasks.append(asyncio.create_task(one(i, due)))
    await asyncio.gather(*tasks)
    gc.enable()
    return total, time.perf_counter() - start, latencies, errors[0]


def main() -> None:
    reactions_table.install()
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=300)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=0, help="API port (default: any free one)")
    args = parser.parse_args()
    with common.servers() as (server_url, redis_url):
        db_url = common.fresh_database(server_url, "loyalty_bench_checkout")
        common.migrate(db_url)
        members = asyncio.run(seed(db_url, args.members))
        port = args.port or common.free_port()
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "LOYALTY_SHOP_SECRET": SECRET,
            "LOYALTY_DB_POOL_SIZE": "10",
            "LOYALTY_DB_STATS": "1",
        }
        with common.api_server(env, port=port, workers=args.workers) as server:
            pg = "loyalty_bench_checkout"
            before = (
                common.cpu_seconds(root=server.pid),
                common.cpu_seconds(match=pg),
                time.process_time(),
            )
            sent, elapsed, lat, errors = asyncio.run(drive(port, members, args.rate, args.seconds))
            n = sent + 200  # the warm-up quotes are in the CPU counters too
            api_ms = (common.cpu_seconds(root=server.pid) - before[0]) * 1000 / n
            pg_ms = (common.cpu_seconds(match=pg) - before[1]) * 1000 / n
            client_ms = (time.process_time() - before[2]) * 1000 / n
    p50, p99 = common.percentile(lat, 50), common.percentile(lat, 99)
    print(
        f"rate={args.rate:.0f}/s seconds={args.seconds:.0f} members={args.members} "
        f"api_workers={args.workers} cpus={os.cpu_count()} quotes={sent} errors={errors}"
    )
    print(
        f"cpu per quote: api_ms={api_ms:.2f} postgres_ms={pg_ms:.2f} client_ms={client_ms:.2f} "
        f"db_round_trips={statistics.fmean(STATEMENTS) if STATEMENTS else float('nan'):.2f}"
    )
    print(
        f"p50_ms={p50:.2f} p90_ms={common.percentile(lat, 90):.2f} p99_ms={p99:.2f} "
        f"max_ms={max(lat):.1f}"
    )
    print(
        f"quotes_per_s={sent / elapsed:.0f} p50_ms={p50:.2f} p99_ms={p99:.2f} "
        f"api_cpu_ms={api_ms:.2f} load={common.loadavg()}"
    )


if __name__ == "__main__":
    main()
