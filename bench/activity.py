"""Activity at scale: ``POST /v1/me/events`` through the real HTTP server (many members, then
one hot member whose row lock serialises its events), and the birthday job over a large
member table built with set-based SQL.

    .venv/bin/python bench/activity.py [--clients 16] [--seconds 10] [--members 1000000]

Uses DATABASE_URL's server when set (in a database of its own), else an embedded PostgreSQL.
Last line: ``events_per_s=<n> hot_member_events_per_s=<n> p99_ms=<x> members=<n>
birthday_select_s=<x> birthday_awards=<n> birthday_run_s=<x>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api import tokens
from bench import common
from loyalty import db, program, reactions_table
from loyalty.activity import birthdays
from loyalty.embedded import free_port
from loyalty.settings import Settings
from schemas.program import (
    ActivityReward,
    ActivityRules,
    CappedActivity,
    ProductViews,
    ProgramRules,
)

JWT_SECRET = "bench-jwt-secret-long-enough-for-hs256"
RULES = ProgramRules(
    threshold_points=0,
    activity=ActivityRules(
        visit=CappedActivity(enabled=True, points=10),
        product_view=ProductViews(enabled=True, points=5, cap_count=3, skus=["A", "B", "C"]),
        birthday=ActivityReward(enabled=True, points=500),
    ),
)
AS_OF = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


def token(customer_id: str) -> str:
    settings = Settings(jwt_secret=JWT_SECRET)
    return tokens.issue(settings, customer_id, now=datetime.now(UTC), ttl=timedelta(hours=2))


async def client(
    port: int,
    customers: list[str],
    tag: str,
    stop_at: float,
    latencies: list[float],
    done: list[int],
) -> None:
    """Post events (ids unique to this client) for ``customers`` in turn until ``stop_at``."""
    http = common.Http(port)
    auth = [f"Bearer {token(c)}" for c in customers]
    i = 0
    while time.monotonic() < stop_at:
        event: dict[str, str] = {"type": "visit", "id": f"{tag}-{i}"}
        if i % 2 == 0:
            event = {"type": "product_view", "id": f"{tag}-{i}", "sku": "ABCD"[i % 4]}
        headers = {"content-type": "application/json", "authorization": auth[i % len(auth)]}
        t0 = time.perf_counter()
        code = await http.request("POST", "/v1/me/events", json.dumps(event).encode(), headers)
        latencies.append((time.perf_counter() - t0) * 1000)
        if code != 200:
            raise RuntimeError(f"event answered {code}")
        done[0] += 1
        i += 1


async def drive(port: int, clients: int, seconds: float, *, hot: bool) -> tuple[float, list[float]]:
    """Many members (50 per client), or every client on one hot member."""
    latencies: list[float] = []
    done = [0]
    start = time.monotonic()

    def customers(n: int) -> list[str]:
        return ["hot"] if hot else [f"m{n}-{k}" for k in range(50)]

    await asyncio.gather(
        *(
            client(
                port, customers(n), f"{'h' if hot else 'c'}{n}", start + seconds, latencies, done
            )
            for n in range(clients)
        )
    )
    return done[0] / (time.monotonic() - start), latencies


BUILD_MEMBERS = """
INSERT INTO member (customer_id, birthday, timezone, created_at, updated_at)
SELECT 'bday-' || g, date '1970-01-01' + (g % 366) + ((g % 40) * 365),
       (ARRAY[NULL, 'America/New_York', 'Asia/Tokyo', 'Pacific/Auckland'])[1 + g % 4], $2, $2
FROM generate_series(1, $1::int) g
"""


async def birthday_bench(db_url: str, members: int) -> tuple[float, int, float]:
    db.configure(db_url)
    await db.open_pool(4)
    try:
        await db.execute(BUILD_MEMBERS, members, AS_OF)
        await db.execute("VACUUM ANALYZE member")
        t0 = time.perf_counter()
        due = await birthdays.due(AS_OF)
        select_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        run = await birthdays.run(AS_OF)
        run_s = time.perf_counter() - t0
        assert run.awarded == len(due), (run, len(due))
        return select_s, run.awarded, run_s
    finally:
        await db.close_pool()


async def save_rules(db_url: str) -> None:
    db.configure(db_url)
    await db.open_pool(2)
    try:
        await program.save_rules(RULES, actor=None, now=AS_OF)
    finally:
        await db.close_pool()


def main() -> None:
    reactions_table.install()
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--members", type=int, default=1_000_000)
    args = parser.parse_args()
    with common.servers() as (server_url, redis_url):
        db_url = common.fresh_database(server_url, "loyalty_bench_activity")
        common.migrate(db_url)
        asyncio.run(save_rules(db_url))
        port = free_port()
        env = {
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "LOYALTY_JWT_SECRET": JWT_SECRET,
            "LOYALTY_DB_POOL_SIZE": str(max(4, args.clients // args.workers + 2)),
        }
        with common.api_server(env, port=port, workers=args.workers):
            rate, lat = asyncio.run(drive(port, args.clients, args.seconds, hot=False))
            hot_rate, hot_lat = asyncio.run(drive(port, args.clients, args.seconds, hot=True))
        select_s, awarded, run_s = asyncio.run(birthday_bench(db_url, args.members))
    p50, p99 = common.percentile(lat, 50), common.percentile(lat, 99)
    print(f"clients={args.clients} api_workers={args.workers} seconds={args.seconds}")
    print(f"events: {len(lat)} p50_ms={p50:.1f} p99_ms={p99:.1f}")
    print(f"hot member: {len(hot_lat)} p99_ms={common.percentile(hot_lat, 99):.1f}")
    print(
        f"events_per_s={rate:.0f} hot_member_events_per_s={hot_rate:.0f} p99_ms={p99:.1f} "
        f"members={args.members} birthday_select_s={select_s:.2f} "
        f"birthday_awards={awarded} birthday_run_s={run_s:.2f}"
    )


if __name__ == "__main__":
    main()
