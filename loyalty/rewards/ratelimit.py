"""Wrong coupon codes per customer, counted in Redis, so codes cannot be guessed by brute force.

A fixed window: every unknown, foreign or used code a customer tries counts; once
:data:`LIMIT` are counted in :data:`WINDOW_S`, every further code check answers 429 until the
window ends. Only wrong codes count, so a shopper re-quoting a cart with a good code is never
limited.
"""

from __future__ import annotations

from typing import Any

from loyalty.errors import DomainError

LIMIT = 10
WINDOW_S = 900


class RateLimited(DomainError):
    status = 429


class BadCodeLimiter:
    """Counts wrong codes per customer id in ``redis`` (an arq ``ArqRedis``)."""

    def __init__(self, redis: Any, *, limit: int = LIMIT, window_s: int = WINDOW_S) -> None:
        self.redis = redis
        self.limit = limit
        self.window_s = window_s

    @staticmethod
    def key(customer_id: str) -> str:
        return f"loyalty:bad-codes:{customer_id}"

    async def check(self, customer_id: str) -> None:
        """Raise :class:`RateLimited` when this customer already tried too many wrong codes."""
        count = await self.redis.get(self.key(customer_id))
        if count is not None and int(count) >= self.limit:
            ttl = await self.redis.ttl(self.key(customer_id))
            raise RateLimited(
                "rate_limited",
                "too many wrong coupon codes; try again later",
                retry_after_s=max(int(ttl), 1),
                limit=self.limit,
                window_s=self.window_s,
            )

    async def hit(self, customer_id: str) -> None:
        """Count one wrong code; the window starts at the first one (SET NX keeps its TTL,
        and works on Redis 6 where ``EXPIRE NX`` does not)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.key(customer_id), 0, ex=self.window_s, nx=True)
            pipe.incr(self.key(customer_id))
            await pipe.execute()
