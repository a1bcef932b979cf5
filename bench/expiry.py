"""Expiry at scale: members with due points, built with set-based SQL (generate_series, not the
API) in a fresh database, then the reminder selection and the expiry job timed as the worker
runs them. Members are spread over three time zones and three expiry days.

    .venv/bin/python bench/expiry.py [--members 1000000] [--policy rolling|per_lot]

Uses DATABASE_URL's server when set (in a database of its own), else an embedded PostgreSQL in
``.data/bench-expiry`` (not the other benchmarks' server: each stops its server when it ends).
Last line: ``members=<n> expiry_s=<x> reminders_s=<x> rss_mb=<n>`` (peak RSS of this process).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg

from bench import common
from loyalty import db, ledger, program, reactions_table
from schemas.program import ProgramRules, Validity

Policy = Literal["rolling", "per_lot", "never"]
EARNED = datetime(2025, 6, 1, 12, tzinfo=UTC)
REMIND_AT = datetime(2026, 6, 3, 12, tzinfo=UTC)  # 7 to 9 days before the last valid days
EXPIRE_AT = datetime(2026, 6, 14, 12, tzinfo=UTC)  # after every member's date

# $1 members, $2 earned at, $3 policy. Zones: the program's (NULL), New York, Tokyo; last valid
# local days 10, 11 and 12 June 2026; 100 to 1099 points each.
BUILD: list[tuple[str, int]] = [
    (
        """INSERT INTO member (id, customer_id, timezone, available, lifetime, last_order_at,
           points_expire_at, created_at, updated_at)
       SELECT g, 'bench-' || g, z.tz, 100 + g % 1000, 100 + g % 1000, $2,
              ((date '2026-06-11' + (g % 3))::timestamp AT TIME ZONE coalesce(z.tz, 'Europe/Oslo')),
              $2, $2
       FROM generate_series(1, $1::int) g
       CROSS JOIN LATERAL
           (SELECT (ARRAY[NULL, 'America/New_York', 'Asia/Tokyo'])[1 + g % 3] AS tz) z""",
        2,
    ),
    ("SELECT setval(pg_get_serial_sequence('member', 'id'), $1::int)", 1),
    (
        """INSERT INTO ledger_entry (id, member, kind, available, lifetime, idempotency_key,
           effective_at, created_at, meta)
       SELECT g, g, 'adjustment', 100 + g % 1000, 100 + g % 1000, 'bench:' || g, $2, $2, '{}'
       FROM generate_series(1, $1::int) g""",
        2,
    ),
    ("SELECT setval(pg_get_serial_sequence('ledger_entry', 'id'), $1::int)", 1),
    (
        """INSERT INTO point_lot (id, member, entry, earned_at, expires_at, points, remaining)
       SELECT m.id, m.id, m.id, $2, CASE WHEN $3 = 'per_lot' THEN m.points_expire_at END,
              m.available, m.available
       FROM member m WHERE $1::int > 0""",
        3,
    ),
    ("SELECT setval(pg_get_serial_sequence('point_lot', 'id'), $1::int)", 1),
]


async def build(n: int, policy: str) -> float:
    started = time.perf_counter()
    async with db.transaction():
        rules = ProgramRules(validity=Validity(policy=cast(Policy, policy)))
        await program.save_rules(rules, actor=None, now=EARNED)
        for sql, arity in BUILD:
            await db.execute(sql, *(n, EARNED, policy)[:arity])
    if policy == "per_lot":
        await db.execute("UPDATE member SET points_expire_at = NULL")
    await db.execute("VACUUM ANALYZE member, ledger_entry, point_lot")
    return time.perf_counter() - started


async def timed(name: str, as_of: datetime) -> tuple[float, dict[str, Any]]:
    from jobs import table

    started = time.perf_counter()
    report = await table.run(name, as_of)
    return time.perf_counter() - started, report


def rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


async def bench(url: str, n: int, policy: str) -> None:
    db.configure(url)
    await db.open_pool(4)
    try:
        print(f"built {n} members in {await build(n, policy):.1f}s (rss {rss_mb()} MB)", flush=True)
        reminders_s, sent = await timed("remind", REMIND_AT)
        print(f"remind: {reminders_s:.1f}s {sent} (rss {rss_mb()} MB)", flush=True)
        expiry_s, done = await timed("expire", EXPIRE_AT)
        print(f"expire: {expiry_s:.1f}s {done} (rss {rss_mb()} MB)", flush=True)
        again_s, twice = await timed("expire", EXPIRE_AT)
        print(f"expire again: {again_s:.2f}s entries={twice['entries']}", flush=True)
        drift, lots = await ledger.drift(limit=5), await ledger.lot_drift(limit=5)
        print(f"check: ledger drift {drift or 'none'}, lot drift {lots or 'none'}", flush=True)
        assert sent["sent"] == n and done["entries"] == n and not drift and not lots
    finally:
        await db.close_pool()
    print(f"members={n} expiry_s={expiry_s:.1f} reminders_s={reminders_s:.1f} rss_mb={rss_mb()}")


# Settings of the benchmark's own embedded server, sized like a production server rather than
# PostgreSQL's defaults for a tiny machine (128 MB of shared buffers, a checkpoint every 1 GB of
# WAL): a million members' expiry writes about 2 GB of WAL and touches every index of four
# tables. A DATABASE_URL server is used as it is.
TUNING = {"shared_buffers": "2GB", "max_wal_size": "4GB", "checkpoint_timeout": "30min"}


@contextmanager
def server() -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    from loyalty import embedded

    data = common.ROOT / ".data" / "bench-expiry"
    url, pg = embedded.start_postgres(data, "postgres")
    if asyncio.run(_tune(url)):
        pg.cleanup()  # stop; the next start reads postgresql.auto.conf
        url, pg = embedded.start_postgres(data, "postgres")
    try:
        yield url
    finally:
        pg.cleanup()


async def _tune(url: str) -> bool:
    """Apply :data:`TUNING` with ALTER SYSTEM; True if a restart is needed."""
    conn = await asyncpg.connect(url)
    try:
        changed = False
        for name, value in TUNING.items():
            if await conn.fetchval("SELECT current_setting($1)", name) != value:
                await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                changed = True
        return changed
    finally:
        await conn.close()


def main() -> None:
    reactions_table.install()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--policy", choices=("rolling", "per_lot"), default="rolling")
    args = parser.parse_args()
    with server() as server_url:
        url = common.fresh_database(server_url, "loyalty_bench_expiry")
        common.migrate(url)
        asyncio.run(bench(url, args.members, args.policy))


if __name__ == "__main__":
    main()
