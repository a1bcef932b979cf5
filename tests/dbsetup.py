"""Test databases: one template migrated per run, one copy per xdist worker.

The template is built from the real migrations, so every test runs against the schema that
production gets. With no DATABASE_URL/REDIS_URL the suite starts embedded servers (see
``loyalty.embedded``); with them, it creates ``loyalty_test_*`` databases on that server and
uses Redis databases 1-15 of that Redis, never the database named in the URL.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import asyncpg

TEMPLATE = "loyalty_test_template"


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

        await _recreate(with_database(server_url, "postgres"), TEMPLATE, None)
        db.configure(with_database(server_url, TEMPLATE))
        await db.open_pool(2)
        try:
            await migrate.migrate(quiet=True)
        finally:
            await db.close_pool()

    asyncio.run(build())


async def worker_database(server_url: str, worker: str) -> str:
    """A fresh copy of the template for one xdist worker; returns its URL."""
    name = f"loyalty_test_{worker}"
    await _recreate(with_database(server_url, "postgres"), name, TEMPLATE)
    return with_database(server_url, name)
