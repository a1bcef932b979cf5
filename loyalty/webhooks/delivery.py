"""Delivering webhook events: claim due deliveries, post them signed, record every attempt.

One pass (:func:`run`) repeats until nothing is due (or its time budget is spent):

1. **Claim** up to ``claim`` due deliveries with ``FOR UPDATE SKIP LOCKED`` and push their
   ``next_attempt_at`` out by a lease, in one statement: concurrent workers never take the same
   row, and a worker that dies leaves rows that come due again when the lease ends (so a
   delivery is at least once, never lost; the event ``id`` lets a receiver drop a repeat).
2. **Post** them concurrently, each with a timeout, the body ``{"id", "type", "created_at",
   "data"}`` signed as :mod:`.signing` says. The URL is checked again first (SSRF).
3. **Record** each attempt (``webhook_attempt``) and the outcome: 2xx ``delivered``; a timeout,
   connection error, 429 or 5xx is tried again after exponential back-off with jitter
   (Retry-After when given) until 24 hours after the delivery was made, then ``failed``; any
   other answer is ``failed`` at once.
4. **Health**: a success clears a subscription's ``failing_since``; a failure sets it if
   unset; a subscription failing for three days is paused, audited (``webhook.paused``) and
   shown to staff on the webhooks page.

This queue, its lease and its job are the webhooks' own: a slow receiver delays no push.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec

from loyalty import audit, db
from loyalty.errors import Invalid, NotFound
from loyalty.webhooks import signing, transport, urls
from loyalty.webhooks.transport import Poster

log = logging.getLogger("loyalty.webhooks")
USER_AGENT = "loyalty-webhooks/1"


@dataclass(frozen=True, slots=True)
class Policy:
    allow_private: bool = False
    claim: int = 200
    concurrency: int = 64
    timeout_s: float = 10.0
    lease_s: float = 120.0
    retry_for: timedelta = timedelta(hours=24)
    pause_after: timedelta = timedelta(days=3)
    backoff_base_s: float = 30.0
    backoff_cap_s: float = 3600.0
    budget_s: float = 50.0


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    attempts: int
    created_at: datetime
    event: int
    event_id: str
    type: str
    event_at: datetime
    data: str
    subscription: int
    url: str
    secret: str


@dataclass(frozen=True, slots=True)
class PostOutcome:
    status: str  # delivered | retry | failed
    status_code: int | None
    error: str | None
    duration_ms: int
    response: str | None
    retry_after_s: float | None = None


_CLAIM = """
WITH due AS (
    SELECT d.id FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription
    WHERE d.status = 'pending' AND d.next_attempt_at <= $1
      AND s.paused_at IS NULL AND s.deleted_at IS NULL
    ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_delivery d SET next_attempt_at = $3, attempts = d.attempts + 1
FROM due, webhook_event e, webhook_subscription s
WHERE d.id = due.id AND e.id = d.event AND s.id = d.subscription
RETURNING d.id, d.attempts, d.created_at, e.id AS event, e.event_id, e.type,
          e.created_at AS event_at, e.data::text AS data, s.id AS subscription, s.url, s.secret
"""


async def claim(now: datetime, policy: Policy) -> list[Claimed]:
    rows = await db.fetch(_CLAIM, now, policy.claim, now + timedelta(seconds=policy.lease_s))
    return [Claimed(**dict(r)) for r in rows]


def body_of(c: Claimed) -> bytes:
    """The delivered JSON: the stored ``data`` spliced in as it is (no re-encoding)."""
    head = msgspec.json.encode({"id": c.event_id, "type": c.type, "created_at": c.event_at})
    return head[:-1] + b',"data":' + c.data.encode() + b"}"


def _retry_after(raw: str | None) -> float | None:
    return float(raw) if raw and raw.isdigit() else None


async def send(c: Claimed, post: Poster, policy: Policy, now: datetime) -> PostOutcome:
    """Post one delivery; never raises (every failure is an outcome)."""
    started = time.perf_counter()

    def took() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        await urls.check(c.url, allow_private=policy.allow_private)
    except Invalid as exc:
        return PostOutcome("failed", None, f"refused: {exc.message}", took(), None)
    body = body_of(c)
    headers = {
        "user-agent": USER_AGENT,
        signing.HEADER: signing.signature(c.secret, body, int(now.timestamp())),
        "x-loyalty-event-id": c.event_id,
        "x-loyalty-event-type": c.type,
    }
    try:
        status, retry_after, content = await post(c.url, body, headers, policy.timeout_s)
    except httpx.TimeoutException:
        return PostOutcome("retry", None, "timeout", took(), None)
    except httpx.HTTPError as exc:
        return PostOutcome(
            "retry", None, f"connection: {type(exc).__name__}: {exc}"[:500], took(), None
        )
    text = content[:500].decode(errors="replace")
    if 200 <= status < 300:
        return PostOutcome("delivered", status, None, took(), text)
    if status == 429 or status >= 500:
        return PostOutcome(
            "retry", status, f"HTTP {status}", took(), text, _retry_after(retry_after)
        )
    return PostOutcome("failed", status, f"HTTP {status}", took(), text)


def backoff_s(attempts: int, policy: Policy, rng: random.Random | None = None) -> float:
    """Exponential back-off with jitter over the upper half of the window."""
    ceiling = min(policy.backoff_cap_s, policy.backoff_base_s * 2 ** max(attempts - 1, 0))
    return float(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


def settle(c: Claimed, o: PostOutcome, now: datetime, policy: Policy) -> tuple[str, datetime]:
    """The delivery's new status and next attempt time after this outcome."""
    if o.status != "retry":
        return o.status, now
    if now - c.created_at >= policy.retry_for:
        return "failed", now
    delay = o.retry_after_s if o.retry_after_s is not None else backoff_s(c.attempts, policy)
    return "pending", now + timedelta(seconds=max(delay, 1.0))


async def record(
    batch: list[Claimed], outcomes: list[PostOutcome], now: datetime, policy: Policy
) -> None:
    settled = [settle(c, o, now, policy) for c, o in zip(batch, outcomes, strict=True)]
    async with db.transaction():
        await db.execute(
            """INSERT INTO webhook_attempt (delivery, number, at, duration_ms, status_code, error,
                   response)
               SELECT * FROM unnest($1::bigint[], $2::int[], $3::timestamptz[], $4::int[],
                                    $5::int[], $6::text[], $7::text[])""",
            [c.id for c in batch],
            [c.attempts for c in batch],
            [now] * len(batch),
            [o.duration_ms for o in outcomes],
            [o.status_code for o in outcomes],
            [o.error for o in outcomes],
            [o.response for o in outcomes],
        )
        await db.execute(
            """UPDATE webhook_delivery d SET status = u.status, next_attempt_at = u.next_at,
                   last_status = u.code, last_error = u.error,
                   finished_at = CASE WHEN u.status = 'pending' THEN NULL ELSE $6::timestamptz END
               FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::int[], $5::text[])
                    AS u(id, status, next_at, code, error)
               WHERE d.id = u.id""",
            [c.id for c in batch],
            [s for s, _ in settled],
            [t for _, t in settled],
            [o.status_code for o in outcomes],
            [o.error for o in outcomes],
            now,
        )
        await _health(batch, outcomes, now)
        await _scrub_erased([c.event for c in batch if c.type == "member.erased"])


async def _health(batch: list[Claimed], outcomes: list[PostOutcome], now: datetime) -> None:
    ok = {c.subscription for c, o in zip(batch, outcomes, strict=True) if o.status == "delivered"}
    bad = {c.subscription for c, o in zip(batch, outcomes, strict=True) if o.status != "delivered"}
    if ok:
        await db.execute(
            "UPDATE webhook_subscription SET failing_since = NULL WHERE id = ANY($1::bigint[])"
            " AND failing_since IS NOT NULL",
            list(ok),
        )
    if bad - ok:
        await db.execute(
            "UPDATE webhook_subscription SET failing_since = $2 WHERE id = ANY($1::bigint[])"
            " AND failing_since IS NULL",
            list(bad - ok),
            now,
        )


async def _scrub_erased(event_ids: list[int]) -> None:
    """A ``member.erased`` event forgets the customer id once nothing is left to send."""
    if event_ids:
        await db.execute(
            """UPDATE webhook_event e SET data = '{}'::jsonb WHERE e.id = ANY($1::bigint[])
               AND NOT EXISTS (SELECT 1 FROM webhook_delivery d
                               WHERE d.event = e.id AND d.status = 'pending')""",
            event_ids,
        )


async def pause_failing(now: datetime, policy: Policy) -> list[str]:
    """Pause subscriptions failing for ``pause_after``; audited, shown on the page."""
    async with db.transaction():
        rows = await db.fetch(
            """UPDATE webhook_subscription SET paused_at = $1
               WHERE failing_since <= $2 AND paused_at IS NULL AND deleted_at IS NULL
               RETURNING url, failing_since""",
            now,
            now - policy.pause_after,
        )
        for r in rows:
            log.warning("webhook %s failing since %s: paused", r["url"], r["failing_since"])
            await audit.record(
                "system",
                "webhook.paused",
                now=now,
                target=r["url"],
                reason="every delivery failed for three days",
                details={"failing_since": r["failing_since"].isoformat()},
            )
    if rows:
        from loyalty.webhooks import events

        events.forget_cache()
    return [r["url"] for r in rows]


async def run(
    clock: Callable[[], datetime], client: httpx.AsyncClient | Poster, policy: Policy
) -> dict[str, Any]:
    """Deliver everything due now; returns counts for the job log."""
    post = transport.from_httpx(client) if isinstance(client, httpx.AsyncClient) else client
    counts = {"delivered": 0, "retry": 0, "failed": 0}
    started = time.monotonic()
    gate = asyncio.Semaphore(policy.concurrency)

    async def one(c: Claimed, now: datetime) -> PostOutcome:
        async with gate:
            return await send(c, post, policy, now)

    while time.monotonic() - started < policy.budget_s:
        now = clock()
        batch = await claim(now, policy)
        if not batch:
            break
        outcomes = list(await asyncio.gather(*(one(c, now) for c in batch)))
        await record(batch, outcomes, clock(), policy)
        for o in outcomes:
            counts[o.status] += 1
    paused = await pause_failing(clock(), policy)
    return {**counts, "paused": len(paused)}


async def resend(delivery_id: int, *, actor: str, now: datetime) -> None:
    """Send a delivery again (staff's "re-send"): due now, its 24-hour window restarted."""
    async with db.transaction():
        url = await db.fetchval(
            """UPDATE webhook_delivery d SET status = 'pending', next_attempt_at = $2,
                   created_at = $2, finished_at = NULL
               FROM webhook_subscription s
               WHERE d.id = $1 AND s.id = d.subscription AND s.deleted_at IS NULL
               RETURNING s.url""",
            delivery_id,
            now,
        )
        if url is None:
            raise NotFound("webhook_delivery_not_found", f"no delivery {delivery_id}")
        await audit.record(
            actor, "webhook.resend", now=now, target=url, details={"delivery": delivery_id}
        )


async def log_of(subscription_id: int, *, limit: int = 50) -> list[dict[str, Any]]:
    """The subscription's latest deliveries, each with every attempt (the back office)."""
    rows = await db.fetch(
        """SELECT d.id, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error,
                  d.created_at, d.finished_at, e.event_id, e.type,
                  coalesce((SELECT json_agg(json_build_object('number', a.number, 'at', a.at,
                      'duration_ms', a.duration_ms, 'status_code', a.status_code,
                      'error', a.error) ORDER BY a.id)
                   FROM webhook_attempt a WHERE a.delivery = d.id), '[]')::text AS tries
           FROM webhook_delivery d JOIN webhook_event e ON e.id = d.event
           WHERE d.subscription = $1 ORDER BY d.id DESC LIMIT $2""",
        subscription_id,
        limit,
    )
    return [{**dict(r), "tries": db.loads(r["tries"])} for r in rows]
