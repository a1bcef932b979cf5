"""Counting the statements each HTTP request sends to PostgreSQL (``LOYALTY_DB_STATS=1``).

For benchmarks and profiling only: with the setting on, the pool hands out
:class:`CountingConnection` and :func:`middleware` answers every HTTP request with an
``X-DB-Statements`` header, the number of statements the request ran (``BEGIN`` and
``COMMIT`` included). asyncpg keeps each statement prepared per connection, so once a
connection is warm every statement is exactly one round trip; a cold one costs one more
(parse and describe) the first time. With the setting off (the default) neither is installed
and nothing is counted.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import asyncpg
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-db-statements"

_COUNT: ContextVar[list[int] | None] = ContextVar("db_statements", default=None)


def _count() -> None:
    counter = _COUNT.get()
    if counter is not None:
        counter[0] += 1


class CountingConnection(asyncpg.Connection):  # type: ignore[misc]  # asyncpg is untyped
    """An asyncpg connection that counts each public statement call into the request's counter.

    asyncpg's public methods do not call each other (they share private helpers), so each call
    is one statement; transactions' ``BEGIN``/``COMMIT`` go through :meth:`execute`.
    """

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> Any:
        _count()
        return await super().execute(query, *args, **kwargs)

    async def executemany(self, command: str, args: Any, **kwargs: Any) -> Any:
        _count()
        return await super().executemany(command, args, **kwargs)

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> Any:
        _count()
        return await super().fetch(query, *args, **kwargs)

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        _count()
        return await super().fetchrow(query, *args, **kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        _count()
        return await super().fetchval(query, *args, **kwargs)


def middleware(app: ASGIApp) -> ASGIApp:
    """Litestar middleware: count the request's statements and report them in a header.

    The header goes out with the response start, which comes after the handler returned, so
    its transaction (``COMMIT`` included) is already counted.
    """

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        counter = [0]
        token = _COUNT.set(counter)

        async def counted_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (HEADER, str(counter[0]).encode())]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await app(scope, receive, counted_send)
        finally:
            _COUNT.reset(token)

    return wrapped
