"""Test databases: one template per set of migrations (kept between runs), one copy per xdist
worker, and a fast per-test cleaning (:class:`Cleaner`).

The template is built from the real migrations, so every test runs against the schema that
production gets; it is named by a digest of the migrations, tables and Piccolo apps, so a
change to any of them builds a new one. With no DATABASE_URL/REDIS_URL the suite starts
embedded servers (see ``loyalty.embedded``); with them, it creates ``loyalty_test_*``
databases on that server and uses Redis databases 1-15 of that Redis, never the database
named in the URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def run_id() -> str:
    """Names this test run's databases, so concurrent runs on one server never collide."""
    return os.environ.setdefault("LOYALTY_TEST_RUN", str(os.getpid()))


def template_name() -> str:
    """The migrated template: one per set of migrations, kept between runs (building it runs
    every migration, 15-30 s on this machine; copying it takes a fraction of a second)."""
    return f"loyalty_test_tpl_{schema_hash()}"


_ROOT = Path(__file__).resolve().parent.parent


def schema_hash() -> str:
    """A digest of everything that shapes the migrated schema: the migrations, the Piccolo
    apps and tables, and the migration runner."""
    digest = hashlib.sha256()
    files = sorted(
        p
        for p in (_ROOT / "loyalty").rglob("*.py")
        if "piccolo" in p.as_posix() or p.name in ("tables.py", "migrate.py")
    )
    for path in files:
        digest.update(path.relative_to(_ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def with_redis_db(url: str, index: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{index}"))


async def _recreate(admin_url: str, name: str, template: str | None) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        suffix = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
    finally:
        await conn.close()


def build_template(server_url: str) -> None:
    """Make sure the template for the current migrations exists: reused when a run already
    built it, else built under a name of this run and renamed when complete (so a concurrent
    or interrupted build never leaves a half-migrated template under the shared name)."""

    async def build() -> None:
        from loyalty import db, migrate

        admin = with_database(server_url, "postgres")
        name = template_name()
        if await _exists(admin, name):
            return
        scratch = f"loyalty_test_{run_id()}_building"
        await _recreate(admin, scratch, None)
        db.configure(with_database(server_url, scratch))
        await db.open_pool(2)
        try:
            await migrate.migrate(quiet=True)
        finally:
            await db.close_pool()
        await _publish(admin, scratch, name)

    asyncio.run(build())


async def _exists(admin_url: str, name: str) -> bool:
    conn = await asyncpg.connect(admin_url)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def _publish(admin_url: str, scratch: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'ALTER DATABASE "{scratch}" RENAME TO "{name}"')
    except asyncpg.DuplicateDatabaseError:  # another run finished the same build first
        await conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
    finally:
        await conn.close()


async def worker_database(server_url: str, worker: str) -> str:
    """A fresh copy of the template for one xdist worker; returns its URL."""
    name = f"loyalty_test_{run_id()}_{worker}"
    await _recreate(with_database(server_url, "postgres"), name, template_name())
    return with_database(server_url, name)


def drop_run_databases(server_url: str) -> None:
    """Drop every database this run made (called when the run ends)."""

    async def drop() -> None:
        conn = await asyncpg.connect(with_database(server_url, "postgres"))
        try:
            names = await conn.fetch(
                "SELECT datname FROM pg_database WHERE datname LIKE $1",
                f"loyalty_test_{run_id()}_%",
            )
            for row in names:
                await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


class Cleaner:
    """Empties what the last test wrote, fast: one query finds the tables that hold rows, one
    statement deletes them (children before parents, so no cascade work), and one resets the
    sequences that were used (ids start at 1 again, as after ``TRUNCATE ... RESTART
    IDENTITY``). Deleting a few small tables costs milliseconds; truncating all of them cost
    0.3-1 s per test (new files for every table)."""

    def __init__(self, tables: list[str], order: list[str]) -> None:
        self.order = order
        self._probe = " UNION ALL ".join(
            f"SELECT '{t}' AS name WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables
        )

    @classmethod
    async def load(cls) -> Cleaner:
        from loyalty import db

        rows = await db.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'migration'"
        )
        tables = sorted(r["tablename"] for r in rows)
        links = await db.fetch(
            """SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent
               FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid <> c.confrelid"""
        )
        return cls(tables, _children_first(tables, [(r["child"], r["parent"]) for r in links]))

    async def clean(self) -> None:
        from loyalty import db

        dirty = {r["name"] for r in await db.fetch(self._probe)}
        if dirty:
            await db.execute("; ".join(f'DELETE FROM "{t}"' for t in self.order if t in dirty))
        await db.execute(
            """SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false)
               FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"""
        )


def _children_first(tables: list[str], links: list[tuple[str, str]]) -> list[str]:
    """Tables ordered so that every table comes before the tables it references."""
    parents = {t: {p for c, p in links if c == t and p in tables} for t in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        # a table is deletable once no remaining table references it
        remaining = [t for t in tables if t not in ordered]
        free = [t for t in remaining if not any(t in parents[o] for o in remaining if o != t)]
        if not free:
            raise RuntimeError(f"foreign keys form a cycle among {remaining}")
        ordered += free
    return ordered
