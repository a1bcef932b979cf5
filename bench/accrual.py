"""Accrual throughput: signed order PUTs (placed, then completed) through the real HTTP server,
compared in the same run with pgbench's TPC-B-like TPS on the same PostgreSQL and client count.

    .venv/bin/python bench/accrual.py [--clients 16] [--seconds 20] [--workers 1,2]

Each API process count in ``--workers`` gets its own run on a fresh database (one line each,
side by side); pgbench runs once after them. The API runs with ``LOYALTY_DB_STATS=1``, so each
answer carries ``X-DB-Statements`` (statements the request sent, BEGIN and COMMIT included;
one round trip each once asyncpg has them prepared, see ``loyalty.dbstats``); API CPU is the
API process tree's user+system time over the measured window (from /proc) divided by PUTs.

Last line, for the fastest process count: ``orders_per_s=<n> pgbench_tps=<n> ratio=<x>
p99_ms=<x> round_trips_per_put=<x> api_cpu_ms_per_put=<x> best_workers=<n> load=<1 5 15>``
(p99 of single PUTs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import signing
from bench import common

SECRET = "bench-shop-secret"


@dataclass
class Tally:
    """What the measured clients saw: PUT latencies and each answer's X-DB-Statements."""

    latencies: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    orders: int = 0


async def client(port: int, n: int, stop_at: float, tally: Tally) -> None:
    http = common.Http(port)
    i = 0
    while time.monotonic() < stop_at:
        order_id = f"b{n}-{i}"
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
            tally.latencies.append((time.perf_counter() - t0) * 1000)
            if http.statements is not None:
                tally.statements.append(http.statements)
            if code != 200:
                raise RuntimeError(f"order PUT answered {code}")
        tally.orders += 1
        i += 1


@dataclass
class Run:
    """One API process count's figures."""

    workers: int
    orders_per_s: float
    p50_ms: float
    p99_ms: float
    round_trips: float
    api_cpu_ms: float
    pg_cpu_ms: float


async def drive(port: int, clients: int, seconds: float, server_pid: int, db: str) -> Run:
    warm_until = time.monotonic() + 2
    await asyncio.gather(*(client(port, n, warm_until, Tally()) for n in range(clients)))
    tally = Tally()
    api0, pg0 = common.cpu_seconds(root=server_pid), common.cpu_seconds(match=db)
    start = time.monotonic()
    await asyncio.gather(*(client(port, 1000 + n, start + seconds, tally) for n in range(clients)))
    elapsed = time.monotonic() - start
    puts = max(len(tally.latencies), 1)
    return Run(
        workers=0,
        orders_per_s=tally.orders / elapsed,
        p50_ms=common.percentile(tally.latencies, 50),
        p99_ms=common.percentile(tally.latencies, 99),
        round_trips=statistics.fmean(tally.statements) if tally.statements else float("nan"),
        api_cpu_ms=(common.cpu_seconds(root=server_pid) - api0) * 1000 / puts,
        pg_cpu_ms=(common.cpu_seconds(match=db) - pg0) * 1000 / puts,
    )


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


def run_api(
    server_url: str, redis_url: str, clients: int, seconds: int, workers: int, port: int
) -> Run:
    """The order load against ``loyalty api --workers N`` on a fresh database."""
    name = "loyalty_bench_accrual"
    db_url = common.fresh_database(server_url, name)
    common.migrate(db_url)
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "LOYALTY_SHOP_SECRET": SECRET,
        "LOYALTY_DB_POOL_SIZE": str(max(4, clients // workers + 2)),
        "LOYALTY_DB_STATS": "1",
    }
    with common.api_server(env, port=port, workers=workers) as server:
        run = asyncio.run(drive(port, clients, seconds, server.pid, name))
    run.workers = workers
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", default="1,2", help="API process counts to compare")
    parser.add_argument("--port", type=int, default=0, help="API port (default: any free one)")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    with common.servers() as (server_url, redis_url):
        port = args.port or common.free_port()
        runs = [run_api(server_url, redis_url, args.clients, args.seconds, w, port) for w in counts]
        tps = pgbench_tps(server_url, args.clients, args.seconds)
    print(f"clients={args.clients} seconds={args.seconds} cpus={os.cpu_count()}")
    for r in runs:
        print(
            f"--workers {r.workers}: orders_per_s={r.orders_per_s:.0f}"
            f" ratio={r.orders_per_s / tps:.2f}"
            f" p50_ms={r.p50_ms:.1f} p99_ms={r.p99_ms:.1f} round_trips_per_put={r.round_trips:.2f}"
            f" api_cpu_ms_per_put={r.api_cpu_ms:.2f} pg_cpu_ms_per_put={r.pg_cpu_ms:.2f}"
        )
    best = max(runs, key=lambda r: r.orders_per_s)
    print(
        f"orders_per_s={best.orders_per_s:.0f} pgbench_tps={tps:.0f} "
        f"ratio={best.orders_per_s / tps:.2f} p99_ms={best.p99_ms:.1f} "
        f"round_trips_per_put={best.round_trips:.2f} api_cpu_ms_per_put={best.api_cpu_ms:.2f} "
        f"best_workers={best.workers} load={common.loadavg()}"
    )


if __name__ == "__main__":
    main()
