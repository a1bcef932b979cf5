"""Webhook delivery speed: deliveries/s of one worker process to a loopback receiver.

    .venv/bin/python bench/webhooks.py [--events 20000] [--port 9850]

Seeds ``--events`` ``points.changed`` events with one pending delivery each (set-based SQL, in
a fresh database), then runs ``loyalty.webhooks.delivery.run`` (claim with SKIP LOCKED and a
lease, sign, POST over keep-alive HTTP/1.1, record every attempt, subscription health) until
the queue is empty. The receiver (``python -m loyalty.fakes.webhooks``) runs in its own process,
so the CPU measured is the worker's. Last line: ``deliveries=<n> seconds=<s>
deliveries_per_s=<n> cpu_us_per_delivery=<n> per_process_cpu_bound=<n>/s rss_mb=<n>
loadavg=<1m>``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PYTHON, fresh_database, migrate, servers  # noqa: E402
from loyalty import db  # noqa: E402
from loyalty.webhooks import delivery, runtime  # noqa: E402

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


async def seed(events: int, url: str) -> None:
    await db.execute(
        """INSERT INTO webhook_subscription (url, secret, events, active, created_at)
           VALUES ($1, 'whsec_bench_secret_0123456789', '["*"]', true, $2)""",
        url,
        NOW,
    )
    await db.execute(
        """INSERT INTO webhook_event (event_id, type, member, data, dedupe_key, created_at)
           SELECT 'evt_' || md5(n::text), 'points.changed', NULL,
                  jsonb_build_object('customer_id', 'c-' || n,
                      'entry', jsonb_build_object('id', n, 'kind', 'earn_confirm',
                          'order_id', 'o-' || n, 'available', 120, 'pending', -120,
                          'lifetime', 120, 'spent', 0, 'expired', 0),
                      'balances', jsonb_build_object('available', 1200, 'pending', 0,
                          'lifetime', 6200, 'spent', 5000, 'expired', 0)),
                  'bench:' || n, $2
           FROM generate_series(1, $1::int) n""",
        events,
        NOW,
    )
    await db.execute(
        """INSERT INTO webhook_delivery (event, subscription, status, attempts, next_attempt_at,
               created_at)
           SELECT e.id, s.id, 'pending', 0, $1, $1 FROM webhook_event e, webhook_subscription s""",
        NOW,
    )


async def measure(db_url: str, events: int, port: int) -> tuple[int, float, float]:
    db.configure(db_url)
    await db.open_pool(8)
    await seed(events, f"http://127.0.0.1:{port}/hook")
    client = runtime.make_client()
    policy = delivery.Policy(allow_private=True, budget_s=3600)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    counts = await delivery.run(lambda: NOW, client, policy)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    await client.aclose()
    await db.close_pool()
    return counts["delivered"], wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=9850)
    args = parser.parse_args()
    receiver = subprocess.Popen(
        [PYTHON, "-m", "loyalty.fakes.webhooks", str(args.port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        receiver.stdout.readline()  # listening
        with servers() as (server_url, _redis):
            db_url = fresh_database(server_url, "bench_webhooks")
            migrate(db_url)
            delivered, wall, cpu = asyncio.run(measure(db_url, args.events, args.port))
    finally:
        receiver.terminate()
        receiver.wait(10)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    load = Path("/proc/loadavg").read_text().split()[0]
    print(
        f"deliveries={delivered} seconds={wall:.1f} deliveries_per_s={delivered / wall:.0f} "
        f"cpu_us_per_delivery={cpu / max(delivered, 1) * 1e6:.0f} "
        f"per_process_cpu_bound={delivered / max(cpu, 1e-9):.0f}/s rss_mb={rss} loadavg={load}"
    )


if __name__ == "__main__":
    main()
