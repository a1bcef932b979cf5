"""Test databases: one template migrated per run, one copy per xdist worker.

The template is built from the real migrations, so every test runs against the schema that
production gets. With no DATABASE_URL/REDIS_URL the suite starts embedded servers (see
``loyalty.embedded``); with them, it creates ``loyalty_test_*`` databases on that server and
uses Redis databases 1-15 of that Redis, never the database named in the URL.
"""

from __future__ import annotations

import asyncio
import os
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def run_id() -> str:
    """Names this test run's databases, so concurrent runs on one server never collide."""
    return os.environ.setdefault("LOYALTY_TEST_RUN", str(os.getpid()))


def template_name() -> str:
    return f"loyalty_test_{run_id()}_template"


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
    """Create the template database from scratch and apply every migration to it."""

    async def build() -> None:
        from loyalty import db, migrate

        await _recreate(with_database(server_url, "postgres"), template_name(), None)
        db.configure(with_database(server_url, template_name()))
        await db.open_pool(2)
        try:
            await migrate.migrate(quiet=True)
        finally:
            await db.close_pool()

    asyncio.run(build())


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
