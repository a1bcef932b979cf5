"""Login throttling for staff accounts: a guessed password costs time, per account and client.

Failed logins are counted in Redis in fixed windows of :data:`WINDOW` (the window is taken
from the injected clock, so tests and the server agree on it): once an account has
:data:`PER_ACCOUNT` failures, or a client address :data:`PER_CLIENT`, further attempts in
that window are refused with :class:`RateLimited` (429 with ``Retry-After``) before the
password is even checked, and the first refusal of each window is written to the audit log.
A success clears the account's count. The API (``POST /v1/admin/login``) and the login page
share these counters. Without a reachable Redis the limit is not applied (logged): staff can
still log in during an outage.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from loyalty import audit, staff
from loyalty.errors import RateLimited, Unauthorized
from loyalty.staff import StaffIdentity

log = logging.getLogger("loyalty.login_limits")

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5
PER_CLIENT = 20


def _keys(email: str, client: str, now: datetime) -> tuple[str, str, int]:
    seconds = int(WINDOW.total_seconds())
    window = int(now.timestamp()) // seconds
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    retry_after = (window + 1) * seconds - int(now.timestamp())
    return f"login:acct:{account}:{window}", f"login:client:{client}:{window}", retry_after


async def check(redis: Any, email: str, client: str, *, now: datetime) -> None:
    """Raise :class:`RateLimited` when this account or client has failed too often."""
    if redis is None:
        return
    account_key, client_key, retry_after = _keys(email, client, now)
    try:
        account, by_client = await redis.mget(account_key, client_key)
    except Exception as exc:  # Redis down: do not lock everyone out
        log.warning("login limits unavailable (%s); not applied", type(exc).__name__)
        return
    over = int(account or 0) >= PER_ACCOUNT or int(by_client or 0) >= PER_CLIENT
    if not over:
        return
    try:
        first = await redis.set(f"{account_key}:{client_key}:audited", 1, nx=True, ex=_ttl())
    except Exception:
        first = False
    if first:
        await audit.record(
            email.strip().lower()[:254] or "?",
            "staff.login_throttled",
            now=now,
            target=client[:200],
            details={"account_failures": int(account or 0), "client_failures": int(by_client or 0)},
        )
    raise RateLimited(
        "too_many_attempts",
        f"too many failed logins; try again in {retry_after} seconds",
        retry_after=retry_after,
    )


async def failed(redis: Any, email: str, client: str, *, now: datetime) -> None:
    """Count one failed login for the account and the client."""
    if redis is None:
        return
    account_key, client_key, _ = _keys(email, client, now)
    try:
        pipe = redis.pipeline(transaction=False)
        for key in (account_key, client_key):
            pipe.incr(key)
            pipe.expire(key, _ttl())
        await pipe.execute()
    except Exception as exc:
        log.warning("login limits unavailable (%s); failure not counted", type(exc).__name__)


async def succeeded(redis: Any, email: str, client: str, *, now: datetime) -> None:
    """A good password clears the account's failures (not the client's)."""
    if redis is None:
        return
    account_key, _, _ = _keys(email, client, now)
    try:
        await redis.delete(account_key)
    except Exception as exc:
        log.warning("login limits unavailable (%s)", type(exc).__name__)


def _ttl() -> int:
    return int(2 * WINDOW.total_seconds())


async def login(
    redis: Any, email: str, password: str, client: str, *, now: datetime
) -> tuple[str, StaffIdentity]:
    """:func:`loyalty.staff.login` behind the limits above (the API and the page use this)."""
    await check(redis, email, client, now=now)
    try:
        result = await staff.login(email, password, now=now)
    except Unauthorized:
        await failed(redis, email, client, now=now)
        raise
    await succeeded(redis, email, client, now=now)
    return result
