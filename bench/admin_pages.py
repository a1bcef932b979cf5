"""Back-office pages under load: 100,000 members and 2,000,000 ledger entries.

Builds a fresh database with bulk SQL (generate_series; no per-row Python), starts the real
server (``python -m loyalty.cli api``) against it, logs in through the login form and times
each main page over HTTP, one request at a time. Prints p50/p95 per page; the target is
under 200 ms.

    .venv/bin/python bench/admin_pages.py            # embedded PostgreSQL/Redis unless
    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/admin_pages.py   # URLs are set
    options: --members N --entries N --requests N --reuse (time the database built before)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loyalty import db, embedded, migrate  # noqa: E402

DB_NAME = "loyalty_bench_admin"
LOG = ROOT / "bench" / "out" / "admin_pages_server.log"
ADMIN = ("bench-admin@example.com", "bench-admin-password")

FIRST = ["Kari", "Ola", "Anna", "Jonas", "Ingrid", "Lars", "Maja", "Emil", "Nora", "Henrik"]
LAST = ["Nordmann", "Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Haugen", "Dahl", "Lie"]


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


async def fresh_database(server_url: str) -> str:
    conn = await asyncpg.connect(with_database(server_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await conn.close()
    return with_database(server_url, DB_NAME)


def _array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


LOAD = [
    (
        "members",
        f"""INSERT INTO member (customer_id, email, phone, name, locale, created_at, updated_at,
               last_order_at, points_expire_at)
           SELECT 'c-' || g, 'user' || g || '@example.com', '+47' || (90000000 + g),
                  ({_array(FIRST)})[1 + g % 10] || ' ' || ({_array(LAST)})[1 + (g / 10) % 9]
                    || ' ' || g,
                  CASE WHEN g % 3 = 0 THEN 'nb' ELSE 'en' END,
                  now() - (g % 900) * interval '1 day', now(),
                  now() - (g % 400) * interval '1 day', now() + (365 - g % 400) * interval '1 day'
           FROM generate_series(1, $1::int) g WHERE $2::int > 0""",
    ),
    (
        "ledger entries",
        """INSERT INTO ledger_entry (member, kind, available, pending, lifetime, spent, expired,
               idempotency_key, order_id, reason, effective_at, created_at, meta)
           SELECT 1 + g % $2::int,
                  (ARRAY['earn_confirm','earn_confirm','earn_confirm','earn_confirm',
                         'earn_confirm','earn_confirm','earn_confirm','coupon_burn','expire',
                         'adjustment'])[1 + (g / $2::int) % 10],
                  CASE (g / $2::int) % 10 WHEN 7 THEN -50 WHEN 8 THEN -20 WHEN 9 THEN 10
                       ELSE 100 + g % 900 END,
                  0,
                  CASE (g / $2::int) % 10 WHEN 7 THEN 0 WHEN 8 THEN 0 WHEN 9 THEN 10
                       ELSE 100 + g % 900 END,
                  CASE (g / $2::int) % 10 WHEN 7 THEN 50 ELSE 0 END,
                  CASE (g / $2::int) % 10 WHEN 8 THEN 20 ELSE 0 END,
                  'bench:' || g,
                  CASE WHEN (g / $2::int) % 10 < 7 THEN 'o-' || g END,
                  CASE WHEN (g / $2::int) % 10 = 9 THEN 'goodwill' END,
                  now() - (g % 728) * interval '1 day', now(), '{}'::jsonb
           FROM generate_series(1, $1::int) g""",
    ),
    (
        "orders",
        """INSERT INTO shop_order (order_id, member, status, currency, total_minor,
               refunded_minor, channel, items, placed_at, points, points_state, clawed_back,
               state_digest, flags, created_at, updated_at)
           SELECT 'o-' || g, 1 + g % $2::int, 'completed', 'EUR', 1000 + g % 90000, 0,
                  (ARRAY['app','web','pos'])[1 + g % 3], '[]'::jsonb,
                  now() - (g % 728) * interval '1 day', 100 + g % 900, 'confirmed', 0, '',
                  '[]'::jsonb, now(), now()
           FROM generate_series(1, $1::int / 4) g""",
    ),
    (
        "audit rows",
        """INSERT INTO audit_log (at, actor, action, target, reason, details)
           SELECT now() - (g % 700) * interval '1 day', 'staff' || g % 20 || '@example.com',
                  (ARRAY['member.adjust','member.block','member.unblock','program.update'])
                    [1 + g % 4],
                  'c-' || (1 + g % $2::int), 'bench reason ' || g, '{"points": 10}'::jsonb
           FROM generate_series(1, $1::int / 10) g""",
    ),
    (
        "notifications",
        """INSERT INTO notification (member, event, data, dedupe_key, status, attempts,
               next_attempt_at, created_at, processed_at)
           SELECT 1 + g % $2::int, 'points_earned', '{}'::jsonb, 'bench:' || g,
                  (ARRAY['sent','sent','sent','failed'])[1 + g % 4], 1,
                  now() - (g % 700) * interval '1 day', now() - (g % 700) * interval '1 day',
                  now() - (g % 700) * interval '1 day'
           FROM generate_series(1, $1::int / 8) g""",
    ),
    (
        "balances from the ledger",
        """UPDATE member m SET available = l.available, lifetime = l.lifetime, spent = l.spent,
               expired = l.expired
           FROM (SELECT member, sum(available) AS available, sum(lifetime) AS lifetime,
                        sum(spent) AS spent, sum(expired) AS expired
                 FROM ledger_entry GROUP BY member) l
           WHERE l.member = m.id AND $1::int > 0 AND $2::int > 0""",
    ),
]


async def build(url: str, members: int, entries: int) -> None:
    db.configure(url)
    await db.open_pool(2)
    try:
        await migrate.migrate(quiet=True)
    finally:
        await db.close_pool()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET synchronous_commit = off")
        for label, sql in LOAD:
            started = time.perf_counter()
            await conn.execute(sql, entries if label != "members" else members, members)
            print(f"  {label:<26} {time.perf_counter() - started:6.1f} s", flush=True)
        started = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        print(f"  {'vacuum analyze':<26} {time.perf_counter() - started:6.1f} s", flush=True)
    finally:
        await conn.close()


def start_server(database_url: str, redis_url: str) -> tuple[subprocess.Popen[bytes], str]:
    LOG.parent.mkdir(exist_ok=True)
    port = embedded.free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOYALTY_PORT": str(port),
        "LOYALTY_ADMIN_EMAIL": ADMIN[0],
        "LOYALTY_ADMIN_PASSWORD": ADMIN[1],
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "loyalty.cli", "api"],
        cwd=ROOT,
        env=env,
        stdout=LOG.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}"


async def wait_ready(client: httpx.AsyncClient) -> None:
    for _ in range(600):
        try:
            if (await client.get("/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise SystemExit(f"the server did not become healthy in 60 s; see {LOG}")


async def login(client: httpx.AsyncClient) -> None:
    """Log in through the form; the Secure cookie is carried by hand over plain http."""
    form = await client.get("/admin/login")
    token = re.search(r'name="_login_csrf" value="([^"]+)"', form.text)
    assert token
    client.headers["cookie"] = f"loyalty_login_csrf={token.group(1)}"
    done = await client.post(
        "/admin/login",
        data={"email": ADMIN[0], "password": ADMIN[1], "_login_csrf": token.group(1)},
    )
    session = done.cookies.get("loyalty_staff") or re.search(
        r"loyalty_staff=([^;]+)", done.headers.get("set-cookie", "")
    ).group(1)  # type: ignore[union-attr]
    client.headers["cookie"] = f"loyalty_staff={session}"


async def timed(client: httpx.AsyncClient, paths: list[str], requests: int) -> list[float]:
    for path in paths[:3]:  # warm-up (templates compiled, caches filled)
        (await client.get(path)).raise_for_status()
    times = []
    for i in range(requests):
        path = paths[i % len(paths)]
        started = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return times


def pages(members: int) -> dict[str, list[str]]:
    rnd = random.Random(7)
    ids = [rnd.randint(1, members) for _ in range(50)]
    return {
        "search by name": [f"/admin/members?q={rnd.choice(LAST)}+{i}" for i in ids],
        "search by email": [f"/admin/members?q=user{i}@example.com" for i in ids],
        "search by phone": [f"/admin/members?q=%2B47{90000000 + i}" for i in ids],
        "member page": [f"/admin/members/c-{i}" for i in ids],
        "member ledger page 2": [f"/admin/members/c-{i}/ledger?before=1500000" for i in ids],
        "dashboard": ["/admin/"],
        "insight API (uncached)": ["/v1/admin/insight"],
        "audit log": ["/admin/audit"],
        "audit by member": [f"/admin/audit?target=c-{i}" for i in ids],
        "audit by action": ["/admin/audit?action=member.block"],
    }


async def measure(base: str, members: int, requests: int) -> list[tuple[str, float, float]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await wait_ready(client)
        await login(client)
        token = (
            await client.post("/v1/admin/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        ).json()["token"]
        results = []
        for name, paths in pages(members).items():
            if name.startswith("insight API"):
                client.headers["authorization"] = f"Bearer {token}"
            times = await timed(client, paths, requests)
            client.headers.pop("authorization", None)
            q = statistics.quantiles(times, n=100)
            results.append((name, statistics.median(times), q[94]))
        return results


async def run(args: argparse.Namespace, server_url: str, redis_url: str) -> int:
    proc = None
    try:
        url = with_database(server_url, DB_NAME)
        if not args.reuse:
            print(f"building {args.members:,} members and {args.entries:,} ledger entries")
            url = await fresh_database(server_url)
            await build(url, args.members, args.entries)
        proc, base = start_server(url, redis_url)
        results = await measure(base, args.members, args.requests)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"\n{'page':<24} {'p50 ms':>8} {'p95 ms':>8}   ({args.requests} requests each)")
    for name, p50, p95 in results:
        flag = "" if p95 < 200 else "  over 200 ms"
        print(f"{name:<24} {p50:8.1f} {p95:8.1f}{flag}")
    pages_only = [p95 for name, _, p95 in results if not name.startswith("insight API")]
    return 0 if all(p95 < 200 for p95 in pages_only) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=2_000_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--reuse", action="store_true", help="time the database built before")
    args = parser.parse_args()
    server_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    servers = None
    if not (server_url and redis_url):
        servers = embedded.start(
            ROOT / ".data" / "bench",
            database="postgres",
            need_postgres=not server_url,
            need_redis=not redis_url,
        )
    try:
        return asyncio.run(
            run(
                args,
                server_url or servers.database_url,  # type: ignore[union-attr]
                redis_url or servers.redis_url,  # type: ignore[union-attr]
            )
        )
    finally:
        if servers is not None:
            servers.stop()


if __name__ == "__main__":
    sys.exit(main())
