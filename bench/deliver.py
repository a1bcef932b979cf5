"""Outbox delivery benchmark: the whole pipeline of the ``deliver`` job, end to end.

    .venv/bin/python bench/deliver.py [--members 20000] [--email] [--parallel 2] [--skip]
    .venv/bin/python bench/deliver.py --backlog 200000     # the same, said as a backlog

Seeds ``--members`` members with one device each (half Android/FCM, half iOS/APNs) and one
``coupon_issued`` notification each, then runs ``loyalty.notify.delivery.run`` (claim with
SKIP LOCKED, plan, render per locale, send, record) ``--parallel`` times concurrently, as
concurrent ``deliver`` jobs of one worker process would, until the outbox is empty. Providers
are the loopback fakes in a subprocess (``python -m loyalty.fakes``); ``--skip`` uses senders
that answer "not configured" instead, which leaves only our own cost (database and
rendering). ``--email`` gives every member an address (SMTP is one kept connection and
one message at a time, so it dominates). The last line is
``notifications_per_s=<n> pushes_per_s=<n> lag_to_last_s=<n> rss_mb=<n>``: the whole
backlog is due when the jobs start, so ``lag_to_last_s`` is how long the last notification of
it waits until its push is sent and recorded (the run ends when the outbox is empty).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import os
import pstats
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import fresh_database, migrate, servers  # noqa: E402
from bench.push import start_fakes, stop_fakes  # noqa: E402
from loyalty import db  # noqa: E402
from loyalty.notify import delivery  # noqa: E402
from loyalty.notify.runtime import build  # noqa: E402
from loyalty.settings import Settings  # noqa: E402

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def seed(members: int, email: bool) -> None:
    """Members, devices and one pending coupon notification each, in a few statements."""
    await db.execute(
        """INSERT INTO member (customer_id, email, name, locale, created_at, updated_at,
               available, lifetime)
           SELECT 'c' || n, CASE WHEN $2 THEN 'c' || n || '@example.com' END,
                  'Member ' || n, CASE WHEN n % 3 = 0 THEN 'nb' ELSE 'en' END, $3, $3, 500, 5500
           FROM generate_series(1, $1) AS n""",
        members,
        email,
        NOW,
    )
    await db.execute(
        """INSERT INTO device (token, member, platform, provider, created_at, updated_at)
           SELECT CASE WHEN id % 2 = 0 THEN 'fcm-' || id ELSE lpad(to_hex(id), 64, '0') END,
                  id, CASE WHEN id % 2 = 0 THEN 'android' ELSE 'ios' END,
                  CASE WHEN id % 2 = 0 THEN 'fcm' ELSE 'apns' END, $1, $1
           FROM member""",
        NOW,
    )
    await db.execute(
        """INSERT INTO notification (member, event, data, dedupe_key, status, attempts,
               next_attempt_at, created_at)
           SELECT id, 'coupon_issued',
                  jsonb_build_object('coupon_id', id, 'coupon_code', 'CODE-' || id,
                                     'coupon_title', '10 % off your next order',
                                     'expires_at', $2::text),
                  'bench:' || id, 'pending', 0, $1, $1
           FROM member""",
        NOW,
        (NOW + timedelta(days=30)).isoformat(),
    )


async def deliver(
    settings: Settings, parallel: int, profile: str | None
) -> tuple[float, float, dict[str, int]]:
    runtime = build(settings)
    totals: collections.Counter[str] = collections.Counter()
    profiler = cProfile.Profile() if profile else None
    try:
        cpu, started = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()

        async def job_chain() -> None:
            """A pass ends at the job's time budget; the job then runs again, as here."""
            while True:
                counts = await delivery.run(
                    runtime.senders, now=NOW, deep_link=settings.deep_link, policy=runtime.policy
                )
                totals.update(counts)
                if not counts.get("notifications"):
                    return

        await asyncio.gather(*(job_chain() for _ in range(parallel)))
        if profiler:
            profiler.disable()
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await runtime.senders.close()
    if profiler and profile:
        profiler.dump_stats(profile)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return seconds, cpu_s, dict(totals)


async def bench(args: argparse.Namespace, db_url: str, env: dict[str, str]) -> None:
    db.configure(db_url)
    await db.open_pool(10)
    try:
        await seed(args.members, args.email)
        settings = Settings(delivery_env=env)
        seconds, cpu_s, totals = await deliver(settings, args.parallel, args.profile)
        rows = await db.fetch(
            "SELECT channel, status, count(*) AS n FROM delivery "
            "GROUP BY channel, status ORDER BY 1, 2"
        )
    finally:
        await db.close_pool()
    pushes = sum(r["n"] for r in rows if r["channel"] == "push" and r["status"] == "sent")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"members={args.members} parallel={args.parallel} email={args.email} "
        f"senders={'skip' if args.skip else 'fakes'} seconds={seconds:.2f} "
        f"load={os.getloadavg()[0]:.1f}/{os.cpu_count()}cpu"
    )
    print(f"counts={totals} rows={[tuple(r) for r in rows]}")
    print(f"worker_cpu_s={cpu_s:.2f} cpu_us_per_notification={cpu_s / args.members * 1e6:.0f}")
    print(
        f"notifications_per_s={args.members / seconds:.0f} pushes_per_s={pushes / seconds:.0f} "
        f"lag_to_last_s={seconds:.1f} rss_mb={rss_mb:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", "--backlog", type=int, default=20_000,
                        help="members, one device and one due notification each")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--email", action="store_true")
    parser.add_argument("--skip", action="store_true", help="senders answer 'not configured'")
    parser.add_argument("--profile", default=None, help="write cProfile stats to this file")
    args = parser.parse_args()
    with servers() as (server_url, _), tempfile.TemporaryDirectory() as folder:
        db_url = fresh_database(server_url, "loyalty_bench_deliver")
        migrate(db_url)
        process, env = (None, {}) if args.skip else start_fakes(Path(folder))
        try:
            asyncio.run(bench(args, db_url, env))
        finally:
            if process is not None:
                stop_fakes(process)


if __name__ == "__main__":
    main()
