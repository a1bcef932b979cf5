"""The one PostgreSQL engine and the few helpers every service uses.

Piccolo tables are bound to :data:`DB`; its URL is set by :func:`configure` before the pool
opens, so tests and the CLI can aim the same code at different databases. Raw SQL goes
through :func:`fetch`/:func:`fetchrow`/:func:`execute`, which run inside the current Piccolo
transaction when there is one, so ORM queries and hand-written atomic statements share it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

import asyncpg
import msgspec
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

log = logging.getLogger("loyalty.db")

CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,  # 08xxx: the connection is gone
    asyncpg.exceptions.OperatorInterventionError,  # 57xxx: terminated, shutting down, starting
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,  # "connection is closed" and its kin, client side
    asyncpg.exceptions.InternalClientError,  # a protocol left mid-operation by a dead socket
    ConnectionError,
    OSError,  # refused or reset while connecting
)
"""Failures of the connection, not of the statement: the server is (briefly) unreachable.

The API answers them 503 with Retry-After; a service call that retries deadlocks retries
them once too (it is idempotent by contract)."""


class _Transaction(PostgresTransaction):
    """Piccolo's transaction, made safe for a connection that dies inside it.

    Piccolo's ``__aexit__`` rolls back, then releases, then resets its context variable; when
    the backend was terminated the rollback raises (``the underlying connection is closed``)
    and neither of the other two runs: the pool loses that connection for good (after
    ``LOYALTY_DB_POOL_SIZE`` kills the API hangs) and the task keeps pointing at a dead
    transaction. Here the release and the reset always run, and a failed begin releases too.
    """

    __slots__ = ()

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.transaction.start()
        except BaseException:
            await self._release()
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception is not None:
                if not self._rolled_back:
                    await self._quiet_rollback()
            elif not self._committed and not self._rolled_back:
                await self.transaction.commit()
                self._committed = True
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._release()
        return exception is None

    async def get_connection(self) -> Any:
        if self.engine.pool is None:
            return await self.engine.get_new_connection()
        return await self.engine.pool.acquire(timeout=ACQUIRE_TIMEOUT_S)

    async def _quiet_rollback(self) -> None:
        """Roll back; on a dead connection there is nothing to roll back (the server did)."""
        try:
            await self.transaction.rollback()
        except CONNECTION_ERRORS as exc:
            log.warning("rollback on a lost connection: %s", exc)

    async def _release(self) -> None:
        pool = self.engine.pool
        if pool is None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await self.connection.close()
            return
        try:
            await pool.release(self.connection)
        except CONNECTION_ERRORS as exc:  # the pool terminated it and will connect anew
            log.warning("released a broken connection: %s", exc)


class _Engine(PostgresEngine):
    """Piccolo's engine connects at construction to check the server version; ours is built
    at import, before the URL is known, so that check runs in :func:`open_pool` instead."""

    async def check_version(self) -> None:
        return None

    async def prep_database(self) -> None:
        return None

    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _Transaction(engine=self, allow_nested=allow_nested)


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
    """The pool; a connection idle for 5 minutes is closed, and none waits for a dead server
    longer than ``CONNECT_TIMEOUT_S`` (the caller gets a 503 instead of a hang).
    ``count_statements`` (``LOYALTY_DB_STATS``) counts each request's statements for the
    benchmarks (``loyalty.dbstats``)."""
    if DB.pool is None:
        extra: dict[str, Any] = {}
        if count_statements:
            from loyalty.dbstats import CountingConnection

            extra["connection_class"] = CountingConnection
        await DB.start_connection_pool(
            min_size=1,
            max_size=size,
            reset=_keep_session,
            timeout=CONNECT_TIMEOUT_S,
            max_inactive_connection_lifetime=300.0,
            **extra,
        )


CONNECT_TIMEOUT_S = 5.0


async def close_pool(timeout_s: float = 2.0) -> None:
    """Close the pool; connections still out after ``timeout_s`` are terminated, so a stop
    never waits on a request stuck with a dead server."""
    pool = DB.pool
    if pool is None:
        return
    try:
        await asyncio.wait_for(pool.close(), timeout_s)
    except CONNECTION_ERRORS as exc:  # TimeoutError is an OSError
        log.warning("pool did not close cleanly (%r); terminating its connections", exc)
        pool.terminate()
    DB.pool = None


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
    async with DB.pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as conn:
        yield conn


ACQUIRE_TIMEOUT_S = 10.0
"""How long a statement outside a transaction waits for a free connection before the caller
gets a 503 (``TimeoutError``) rather than hanging with the pool."""


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

RETRIED: tuple[type[BaseException], ...] = (*TRANSIENT_ERRORS, *CONNECTION_ERRORS)


def retry_transient(attempts: int = 3) -> Callable[[F], F]:
    """Run an idempotent service call again when PostgreSQL aborted it as a deadlock victim
    or its connection was lost (a terminated backend; the pool connects anew).

    Only the outermost call retries (inside a caller's transaction the caller must decide).
    After ``attempts`` the error propagates and the API answers 503 with Retry-After.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(attempts):
                try:
                    return await fn(*args, **kwargs)
                except RETRIED:
                    if DB.current_transaction.get() is not None or attempt == attempts - 1:
                        raise
                    await asyncio.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
            raise AssertionError("unreachable")

        return cast(F, wrapper)

    return decorate
