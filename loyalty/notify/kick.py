"""Wake the delivery worker right after a request that wrote notifications.

The outbox row is the guarantee (the sweeper delivers it within a minute whatever happens);
the kick only makes delivery immediate. :func:`middleware` wraps each HTTP request: it
collects the ids :func:`loyalty.outbox.enqueue` wrote (``outbox.WRITTEN``) and, once the
handler has returned (its transaction committed) and the response is sent, enqueues the
``deliver`` job with a deterministic id. Best effort: Redis being down costs a log line,
never the request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from loyalty import outbox

log = logging.getLogger("loyalty.notify")
KICK_TIMEOUT_S = 1.0
JOB = "deliver"


def job_id(notification_ids: list[int]) -> str:
    """The same notifications always make the same job id, so a retried kick is one job."""
    return f"{JOB}:n{min(notification_ids)}"


async def kick(redis: Any, notification_ids: list[int]) -> bool:
    """Enqueue ``deliver`` for these notifications; False (logged) when Redis is not there."""
    if redis is None or not notification_ids:
        return False
    try:
        async with asyncio.timeout(KICK_TIMEOUT_S):
            await redis.enqueue_job(JOB, _job_id=job_id(notification_ids))
    except Exception as exc:  # Redis down or slow: the sweeper delivers instead
        log.warning("could not kick delivery (%s); the sweeper will deliver", exc)
        return False
    return True


_waiting: dict[int, tuple[Any, set[int]]] = {}
"""Per Redis client (by id): notification ids written while a kick to it was in flight."""


async def kick_coalesced(redis: Any, notification_ids: list[int]) -> None:
    """:func:`kick`, at most one in flight per Redis client: ids written meanwhile ride on the
    next kick, sent as soon as the one in flight returns.

    An enqueue is several Redis round trips (arq's WATCH/MULTI), about a sixth of the API's CPU
    when every order PUT kicked on its own. One ``deliver`` job sends whatever is due, so a
    kick for many notifications is as good as one each; every notification is still followed
    by a kick enqueued after its transaction committed.
    """
    if redis is None or not notification_ids:
        return
    key = id(redis)
    if key in _waiting:  # a kick is in flight: the loop below sends these next
        _waiting[key][1].update(notification_ids)
        return
    _waiting[key] = (redis, set())
    try:
        batch = notification_ids
        while batch:
            await kick(redis, sorted(batch))
            batch = sorted(_waiting[key][1])
            _waiting[key][1].clear()
    finally:
        del _waiting[key]


def middleware(app: ASGIApp) -> ASGIApp:
    """Litestar middleware: collect notification ids written by the request, then kick."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        written: list[int] = []
        token = outbox.WRITTEN.set(written)
        try:
            await app(scope, receive, send)
        finally:
            outbox.WRITTEN.reset(token)
        if written:
            await kick_coalesced(getattr(scope["app"].state, "redis", None), written)

    return wrapped
