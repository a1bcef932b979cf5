"""What-if replay speed (rule 14): 100,000 stored orders replayed under the current (demo) and
a proposed program with 3 tiers and 5 running campaigns, in-process against PostgreSQL.

    .venv/bin/python bench/simulate.py [--orders 100000] [--members 5000]

Last line: ``orders=<n> members=<n> seconds=<x> orders_per_s=<n>`` (both rule sets, load included).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.rules_program import rich_rules

SEED = """
INSERT INTO member (customer_id, locale, newsletter, blocked, available, pending, lifetime,
                    spent, expired, created_at, updated_at)
SELECT 'sim-' || g, 'en', false, false, 0, 0, 0, 0, 0, now(), now()
FROM generate_series(1, $1) g;
"""
ORDERS = """
INSERT INTO shop_order (order_id, member, status, currency, total_minor, refunded_minor, channel,
    store_id, items, points_redeemed, placed_at, points, points_state, clawed_back,
    state_digest, flags, created_at, updated_at)
SELECT 'sim-o-' || g, 1 + (g % $2), CASE WHEN g % 20 = 0 THEN 'cancelled' ELSE 'completed' END,
       'EUR', 2000 + (g % 97) * 100, CASE WHEN g % 25 = 0 THEN 500 ELSE 0 END,
       (ARRAY['app', 'web', 'pos'])[1 + g % 3], NULL,
       jsonb_build_array(
         jsonb_build_object('sku', 'coffee', 'category', 'drinks', 'quantity', 1 + g % 3,
                            'unit_price_minor', 350),
         jsonb_build_object('sku', 'sku-' || (g % 50), 'category',
                            (ARRAY['red', 'blue', 'green'])[1 + g % 3], 'quantity', 1,
                            'unit_price_minor', 1500 + (g % 97) * 100)),
       0, now() - ((g % 80) || ' days')::interval - ((g % 1440) || ' minutes')::interval,
       0, 'confirmed', 0, 'x', '[]', now(), now()
FROM generate_series(1, $1) g;
"""


async def run(db_url: str, orders: int, members: int) -> float:
    import asyncpg

    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(SEED, members)
        await conn.execute(ORDERS, orders, members)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    from loyalty import db, simulate

    db.configure(db_url)
    await db.open_pool(4)
    try:
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        result = await simulate.what_if(rich_rules(now), days=90, now=now)
        seconds = time.perf_counter() - t0
    finally:
        await db.close_pool()
    print(f"current: {result.current}")
    print(f"proposed: {result.proposed}")
    assert result.orders == orders, result.orders
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=5_000)
    args = parser.parse_args()
    with common.servers() as (server_url, _redis_url):
        db_url = common.fresh_database(server_url, "loyalty_bench_simulate")
        common.migrate(db_url)
        seconds = asyncio.run(run(db_url, args.orders, args.members))
    print(
        f"orders={args.orders} members={args.members} seconds={seconds:.2f} "
        f"orders_per_s={args.orders / seconds:.0f}"
    )


if __name__ == "__main__":
    main()
