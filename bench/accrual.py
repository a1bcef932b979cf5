"""Accrual throughput: signed order PUTs (placed, then completed) through the real HTTP server,
compared in the same run with pgbench's TPC-B-like TPS on the same PostgreSQL and client count.

    .venv/bin/python bench/accrual.py [--clients 16] [--seconds 20] [--workers 2]
        [--tiers-campaigns]   # then again with 3 tiers and 5 running campaigns, both printed

Last line: ``orders_per_s=<n> pgbench_tps=<n> ratio=<x> p99_ms=<x>`` (p99 of single PUTs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import signing
from bench import common
from loyalty.embedded import free_port

SECRET = "bench-shop-secret"


async def client(
    port: int, n: int, stop_at: float, latencies: list[float], done: list[int], prefix: str = "b"
) -> None:
    http = common.Http(port)
    i = 0
    while time.monotonic() < stop_at:
        order_id = f"{prefix}{n}-{i}"
        for status in ("placed", "completed"):
            body = json.dumps(
                {
                    "customer_id": f"cust-{n}-{i % 50}",
                    "status": status,
                    "currency": "EUR",
                    "total_minor": 1_000 + i,
                    "placed_at": datetime.now(UTC).isoformat(),
                }
            ).encode()
            path = f"/v1/shop/orders/{order_id}"
            sig = signing.sign(
                SECRET, method="PUT", path=path, body=body, timestamp=int(time.time())
            )
            headers = {"content-type": "application/json", signing.HEADER: sig}
            t0 = time.perf_counter()
            code = await http.request("PUT", path, body, headers)
            latencies.append((time.perf_counter() - t0) * 1000)
            if code != 200:
                raise RuntimeError(f"order PUT answered {code}")
        done[0] += 1
        i += 1


async def drive(
    port: int, clients: int, seconds: float, prefix: str = "b"
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    done = [0]
    warm_until = time.monotonic() + 2
    await asyncio.gather(*(client(port, n, warm_until, [], [0], prefix) for n in range(clients)))
    start = time.monotonic()
    await asyncio.gather(
        *(client(port, 1000 + n, start + seconds, latencies, done, prefix) for n in range(clients))
    )
    return done[0] / (time.monotonic() - start), latencies


def pgbench_tps(server_url: str, clients: int, seconds: int) -> float:
    url = common.fresh_database(server_url, "loyalty_bench_pgbench")
    exe = common.pgbench_path()
    subprocess.run([exe, "-i", "-q", "-s", "10", url], check=True, capture_output=True)
    out = subprocess.run(
        [exe, "-c", str(clients), "-j", "2", "-T", str(seconds), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    assert match, out
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tiers-campaigns", action="store_true")
    args = parser.parse_args()
    rich: tuple[float, list[float]] | None = None
    with common.servers() as (server_url, redis_url):
        db_url = common.fresh_database(server_url, "loyalty_bench_accrual")
        common.migrate(db_url)
        port = int(os.environ.get("BENCH_PORT") or 0) or free_port()
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "LOYALTY_SHOP_SECRET": SECRET,
            "LOYALTY_DB_POOL_SIZE": str(max(4, args.clients // args.workers + 2)),
        }
        with common.api_server(env, port=port, workers=args.workers):
            orders_s, lat = asyncio.run(drive(port, args.clients, args.seconds))
            if args.tiers_campaigns:  # same server, same run: the rich program (rules 12-13)
                asyncio.run(save_rich_program(db_url))
                rich = asyncio.run(drive(port, args.clients, args.seconds, prefix="r"))
        tps = pgbench_tps(server_url, args.clients, args.seconds)
    p50, p99 = common.percentile(lat, 50), common.percentile(lat, 99)
    print(
        f"clients={args.clients} api_workers={args.workers} seconds={args.seconds} "
        f"cpus={os.cpu_count()}"
    )
    print(f"order PUTs: {len(lat)}  p50_ms={p50:.1f}  p99_ms={p99:.1f}")
    if rich is not None:
        print(
            f"plain_orders_per_s={orders_s:.0f} p99_ms={p99:.1f} | 3 tiers + 5 campaigns: "
            f"orders_per_s={rich[0]:.0f} p99_ms={common.percentile(rich[1], 99):.1f} "
            f"rich_vs_plain={rich[0] / orders_s:.2f}"
        )
    print(
        f"orders_per_s={orders_s:.0f} pgbench_tps={tps:.0f} ratio={orders_s / tps:.2f} "
        f"p99_ms={p99:.1f}"
        + (
            f" rich_orders_per_s={rich[0]:.0f} rich_vs_plain={rich[0] / orders_s:.2f}"
            if rich
            else ""
        )
    )


async def save_rich_program(db_url: str) -> None:
    """Store the 3-tier, 5-campaign program; the API picks it up within its 1 s rules cache
    (the drive's 2 s warm-up covers that)."""
    import asyncpg

    from bench.rules_program import rules_json

    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            """INSERT INTO program (id, rules, version, updated_at) VALUES (1, $1::jsonb, 2, now())
               ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules,
                 version = program.version + 1""",
            rules_json(datetime.now(UTC)),
        )
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
