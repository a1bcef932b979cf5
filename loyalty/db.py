"""The one PostgreSQL engine and the few helpers every service uses.

Piccolo tables are bound to :data:`DB`; its URL is set by :func:`configure` before the pool
opens, so tests and the CLI can aim the same code at different databases. Raw SQL goes
through :func:`fetch`/:func:`fetchrow`/:func:`execute`, which run inside the current Piccolo
transaction when there is one, so ORM queries and hand-written atomic statements share it.
"""

from __future__ import annotations

import asyncio
import functools
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

import asyncpg
import msgspec
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction


class _Engine(PostgresEngine):
    """Piccolo's engine connects at construction to check the server version; ours is built
    at import, before the URL is known, so that check runs in :func:`open_pool` instead."""

    async def check_version(self) -> None:
        return None

    async def prep_database(self) -> None:
        return None


F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

DB = _Engine(config={"dsn": "postgresql://postgres@127.0.0.1:5432/loyalty"})


def configure(database_url: str) -> None:
    """Point the engine at ``database_url`` (call before :func:`open_pool`)."""
    DB.config = {"dsn": database_url}


def dumps(value: Any) -> str:
    """JSON text for a ``jsonb`` parameter (raw SQL passes JSON as text, like Piccolo does)."""
    return msgspec.json.encode(value).decode()


def loads(value: str | bytes | None) -> Any:
    return None if value is None else msgspec.json.decode(value)


async def _keep_session(_: asyncpg.Connection) -> None:
    """Pool release without asyncpg's reset query (RESET ALL, UNLISTEN, advisory unlock).

    We keep no session state on connections (settings are ``SET LOCAL``, no LISTEN, no session
    advisory locks), and the reset costs a round trip on every release: on the order path that
    was one extra statement per statement run outside a transaction.
    """


async def open_pool(size: int = 10, *, count_statements: bool = False) -> None:
    """Open the pool; ``count_statements`` (``LOYALTY_DB_STATS``) counts each request's
    statements for the benchmarks (``loyalty.dbstats``)."""
    if DB.pool is None:
        extra: dict[str, Any] = {}
        if count_statements:
            from loyalty.dbstats import CountingConnection

            extra["connection_class"] = CountingConnection
        await DB.start_connection_pool(min_size=1, max_size=size, reset=_keep_session, **extra)


async def close_pool() -> None:
    if DB.pool is not None:
        await DB.close_connection_pool()


def transaction() -> PostgresTransaction:
    """One database transaction; nested calls join the outer one."""
    return DB.transaction()


@asynccontextmanager
async def _connection() -> AsyncIterator[asyncpg.Connection]:
    tx = DB.current_transaction.get()
    if tx is not None:
        yield tx.connection
        return
    if DB.pool is None:
        raise RuntimeError("database pool is not open")
    async with DB.pool.acquire() as conn:
        yield conn


async def fetch(sql: str, *args: Any) -> list[asyncpg.Record]:
    async with _connection() as conn:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows


async def fetchrow(sql: str, *args: Any) -> asyncpg.Record | None:
    async with _connection() as conn:
        row: asyncpg.Record | None = await conn.fetchrow(sql, *args)
        return row


async def fetchval(sql: str, *args: Any) -> Any:
    async with _connection() as conn:
        return await conn.fetchval(sql, *args)


async def execute(sql: str, *args: Any) -> str:
    async with _connection() as conn:
        status: str = await conn.execute(sql, *args)
        return status


TRANSIENT_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)
"""Failures PostgreSQL asks the client to retry: the transaction was rolled back whole."""


def retry_transient(attempts: int = 3) -> Callable[[F], F]:
    """Run an idempotent service call again when PostgreSQL aborted it as a deadlock victim.

    Only the outermost call retries (inside a caller's transaction the caller must decide).
    After ``attempts`` the error propagates and the API answers 503 with Retry-After.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(attempts):
                try:
                    return await fn(*args, **kwargs)
                except TRANSIENT_ERRORS:
                    if DB.current_transaction.get() is not None or attempt == attempts - 1:
                        raise
                    await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
            raise AssertionError("unreachable")

        return cast(F, wrapper)

    return decorate
