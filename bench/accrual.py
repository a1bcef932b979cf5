"""Accrual throughput: signed order PUTs (placed, then completed) through the real HTTP server,
compared in the same run with pgbench's TPC-B-like TPS on the same PostgreSQL and client count.

    .venv/bin/python bench/accrual.py [--clients 16] [--seconds 20] [--workers 1,2]
        [--tiers-campaigns]   # each run then measures the rich program too, same server

Each API process count in ``--workers`` gets its own run on a fresh database (one line each,
side by side); pgbench runs once after them. The API runs with ``LOYALTY_DB_STATS=1``, so each
answer carries ``X-DB-Statements`` (statements the request sent, BEGIN and COMMIT included;
one round trip each once asyncpg has them prepared, see ``loyalty.dbstats``); API CPU is the
API process tree's user+system time over the measured window (from /proc) divided by PUTs.

Last line, for the fastest process count: ``orders_per_s=<n> pgbench_tps=<n> ratio=<x>
p99_ms=<x> round_trips_per_put=<x> api_cpu_ms_per_put=<x> best_workers=<n> load=<1 5 15>``
(p99 of single PUTs). With ``--tiers-campaigns`` each process count's run, after the plain
demo program, stores the rich program of ``bench/rules_program.py`` (3 tiers, 5 running
campaigns) and drives the same server again with new orders; its line and the last line gain
``rich_orders_per_s=<n> rich_vs_plain=<x>`` (rich over plain, same run).
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


async def client(port: int, n: int, stop_at: float, tally: Tally, prefix: str = "b") -> None:
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
    rich: Run | None = None
    """The same server's figures with the rich program (``--tiers-campaigns``)."""


async def drive(
    port: int, clients: int, seconds: float, server_pid: int, db: str, prefix: str = "b"
) -> Run:
    warm_until = time.monotonic() + 2  # also covers the API's 1 s rules cache after a change
    await asyncio.gather(*(client(port, n, warm_until, Tally(), prefix) for n in range(clients)))
    tally = Tally()
    api0, pg0 = common.cpu_seconds(root=server_pid), common.cpu_seconds(match=db)
    start = time.monotonic()
    await asyncio.gather(
        *(client(port, 1000 + n, start + seconds, tally, prefix) for n in range(clients))
    )
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


async def save_rich_program(db_url: str) -> None:
    """Store the 3-tier, 5-campaign program as a new version of the program row; the API
    picks it up within its 1 s rules cache (the drive's 2 s warm-up covers that)."""
    import asyncpg

    from bench.rules_program import rules_json

    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            """INSERT INTO program (id, rules, version, updated_at) VALUES (1, $1::jsonb, 2, now())
               ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules,
                 version = program.version + 1, updated_at = now()""",
            rules_json(datetime.now(UTC)),
        )
    finally:
        await conn.close()


def run_api(
    server_url: str,
    redis_url: str,
    clients: int,
    seconds: int,
    workers: int,
    port: int,
    rich: bool = False,
) -> Run:
    """The order load against ``loyalty api --workers N`` on a fresh database (then, with
    ``rich``, again on the same server with the rich program)."""
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
        if rich:
            asyncio.run(save_rich_program(db_url))
            run.rich = asyncio.run(drive(port, clients, seconds, server.pid, name, prefix="r"))
            run.rich.workers = workers
    run.workers = workers
    return run


def rich_figures(run: Run) -> str:
    """`` rich_orders_per_s=<n> rich_vs_plain=<x>`` (empty without ``--tiers-campaigns``)."""
    if run.rich is None:
        return ""
    return (
        f" rich_orders_per_s={run.rich.orders_per_s:.0f}"
        f" rich_vs_plain={run.rich.orders_per_s / run.orders_per_s:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", default="1,2", help="API process counts to compare")
    parser.add_argument("--port", type=int, default=0, help="API port (default: any free one)")
    parser.add_argument(
        "--tiers-campaigns",
        action="store_true",
        help="also measure the rich program (3 tiers, 5 running campaigns) in the same run",
    )
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    with common.servers() as (server_url, redis_url):
        port = args.port or common.free_port()
        runs = [
            run_api(
                server_url, redis_url, args.clients, args.seconds, w, port, args.tiers_campaigns
            )
            for w in counts
        ]
        tps = pgbench_tps(server_url, args.clients, args.seconds)
    print(f"clients={args.clients} seconds={args.seconds} cpus={os.cpu_count()}")
    for r in runs:
        print(
            f"--workers {r.workers}: orders_per_s={r.orders_per_s:.0f}"
            f" ratio={r.orders_per_s / tps:.2f}"
            f" p50_ms={r.p50_ms:.1f} p99_ms={r.p99_ms:.1f} round_trips_per_put={r.round_trips:.2f}"
            f" api_cpu_ms_per_put={r.api_cpu_ms:.2f} pg_cpu_ms_per_put={r.pg_cpu_ms:.2f}"
        )
        if r.rich is not None:
            print(
                f"--workers {r.workers}, 3 tiers + 5 campaigns:"
                f" orders_per_s={r.rich.orders_per_s:.0f} p50_ms={r.rich.p50_ms:.1f}"
                f" p99_ms={r.rich.p99_ms:.1f} round_trips_per_put={r.rich.round_trips:.2f}"
                f" api_cpu_ms_per_put={r.rich.api_cpu_ms:.2f}" + rich_figures(r)
            )
    best = max(runs, key=lambda r: r.orders_per_s)
    print(
        f"orders_per_s={best.orders_per_s:.0f} pgbench_tps={tps:.0f} "
        f"ratio={best.orders_per_s / tps:.2f} p99_ms={best.p99_ms:.1f} "
        f"round_trips_per_put={best.round_trips:.2f} api_cpu_ms_per_put={best.api_cpu_ms:.2f} "
        f"best_workers={best.workers}{rich_figures(best)} load={common.loadavg()}"
    )


if __name__ == "__main__":
    main()
