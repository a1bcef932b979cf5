"""Bulk import speed: an order history file through ``loyalty import orders`` (the command, in
its own process), in a fresh database, with the process's RSS sampled while it runs.

    .venv/bin/python bench/import.py [--orders 200000] [--customers 20000] [--workers 8]
                                     [--processes 1]

``--processes N`` runs ``loyalty import --processes N`` (N processes, each a share of the
customers); RSS is the sum over the command's processes.

The file is NDJSON: 90 % of orders one ``completed`` row, 10 % ``placed`` then ``completed``,
a year of ``placed_at`` dates, the demo program (10 points per euro, 5,000-point coupons,
rolling validity). Uses DATABASE_URL's server when set, else an embedded PostgreSQL.
Last line: ``orders=<n> rows=<n> seconds=<s> orders_per_s=<n> rows_per_s=<n>
rss_mb_first=<n> rss_mb_max=<n> loadavg=<1m>``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import msgspec
import psutil

from bench import common
from loyalty import db, demo, program

START = datetime(2025, 11, 1, 9, tzinfo=UTC)


def write_orders(path: Path, orders: int, customers: int) -> int:
    """The history file, written as it is generated (flat memory); returns its row count."""
    rows = 0
    enc = msgspec.json.Encoder()
    with path.open("wb") as f:
        for n in range(orders):
            base = {
                "order_id": f"o-{n}",
                "customer_id": f"c-{(n * 7919) % customers}",
                "currency": "EUR",
                "total_minor": 1_000 + (n * 37) % 90_000,
                "placed_at": (START + timedelta(seconds=n * 30)).isoformat(),
                "channel": "web",
            }
            if n % 10 == 0:
                f.write(enc.encode({**base, "status": "placed"}) + b"\n")
                rows += 1
            f.write(enc.encode({**base, "status": "completed"}) + b"\n")
            rows += 1
    return rows


async def seed_program(db_url: str) -> None:
    db.configure(db_url)
    await db.open_pool(2)
    await program.save_rules(demo.demo_rules(), actor=None, now=datetime.now(UTC))
    await db.close_pool()


def run_import(
    env: dict[str, str], path: Path, workers: int, processes: int
) -> tuple[float, list[float]]:
    """Seconds the command took and its RSS samples (MB, all its processes), every 0.5 s."""
    cmd = [common.PYTHON, "-m", "loyalty.cli", "import", "orders", str(path)]
    cmd += ["--workers", str(workers), "--processes", str(processes), "--restart"]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=common.ROOT)
    ps = psutil.Process(proc.pid)
    samples: list[float] = []
    while proc.poll() is None:
        try:
            tree = [ps, *ps.children(recursive=True)]
            samples.append(sum(p.memory_info().rss for p in tree) / 2**20)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.5)
    return time.monotonic() - started, samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1)
    args = parser.parse_args()
    data = common.ROOT / ".data" / "bench-import"
    data.mkdir(parents=True, exist_ok=True)
    path = data / "orders.ndjson"
    rows = write_orders(path, args.orders, args.customers)
    with common.servers() as (server_url, redis_url):
        db_url = common.fresh_database(server_url, "bench_import")
        common.migrate(db_url)
        asyncio.run(seed_program(db_url))
        env = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "LOYALTY_DB_POOL_SIZE": "12"}
        seconds, rss = run_import(env, path, args.workers, args.processes)
    first = rss[min(len(rss) - 1, 4)] if rss else float("nan")
    print(f"rss samples (MB) every 0.5 s: {[round(x) for x in rss[:: max(len(rss) // 20, 1)]]}")
    load = Path("/proc/loadavg").read_text().split()[0]
    print(
        f"orders={args.orders} rows={rows} processes={args.processes} seconds={seconds:.1f} "
        f"orders_per_s={args.orders / seconds:.0f} rows_per_s={rows / seconds:.0f} "
        f"rss_mb_first={first:.0f} rss_mb_max={max(rss, default=float('nan')):.0f} "
        f"loadavg={load}"
    )


if __name__ == "__main__":
    main()
