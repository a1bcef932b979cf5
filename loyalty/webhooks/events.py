"""Webhook events: written as outbox rows in the transaction of their cause.

:func:`emit` inserts one ``webhook_event`` (public id ``evt_...``, unique ``dedupe_key`` so a
cause that runs twice writes one event) and, in the same statement, a pending delivery for
every subscription that wants the type. When no subscription wants it nothing is written at
all: the order path pays for webhooks only when someone listens. Which types are wanted is
cached per process for a second (:data:`CACHE_SECONDS`), refreshed at once in the process
that changes a subscription.

Other areas call the typed helpers below; ``tier.changed`` is for the tiers area
(:func:`tier_changed`), ``points.changed`` hangs on the ledger's points-moved hook.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from loyalty import db, outbox

TYPES = (
    "member.created",
    "points.changed",
    "coupon.issued",
    "coupon.redeemed",
    "tier.changed",
    "points.expiring",
    "member.blocked",
    "member.unblocked",
    "member.erased",
    "webhook.test",
)
CACHE_SECONDS = 1.0
_wanted: tuple[frozenset[str], float] | None = None


def new_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def forget_cache() -> None:
    """Subscriptions changed in this process: read them again on the next event."""
    global _wanted
    _wanted = None


async def wanted() -> frozenset[str]:
    """Event types some live subscription wants (``*`` means every type)."""
    global _wanted
    if _wanted is not None and time.monotonic() - _wanted[1] < CACHE_SECONDS:
        return _wanted[0]
    rows = await db.fetch(
        """SELECT DISTINCT jsonb_array_elements_text(events) AS type FROM webhook_subscription
           WHERE active AND deleted_at IS NULL AND paused_at IS NULL"""
    )
    types = frozenset(r["type"] for r in rows)
    _wanted = (frozenset(TYPES) if "*" in types else types, time.monotonic())
    return _wanted[0]


_EMIT = """
WITH e AS (
    INSERT INTO webhook_event (event_id, type, member, data, dedupe_key, created_at)
    VALUES ($1, $2, $3,
            jsonb_build_object('customer_id',
                               (SELECT m.customer_id FROM member m WHERE m.id = $3)) || $4::jsonb,
            $5, $6)
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, type
)
INSERT INTO webhook_delivery (event, subscription, status, attempts, next_attempt_at, created_at)
SELECT e.id, s.id, 'pending', 0, $6, $6 FROM e JOIN webhook_subscription s
    ON s.active AND s.deleted_at IS NULL AND s.paused_at IS NULL
   AND (($7::bigint IS NULL AND (s.events ? e.type OR s.events ? '*')) OR s.id = $7)
"""


async def emit(
    type: str,
    data: dict[str, Any],
    *,
    member_id: int | None,
    key: str,
    now: datetime,
    only_subscription: int | None = None,
) -> bool:
    """Record an event for every subscription that wants it; ``False`` when none does.

    Call inside the transaction of the cause. ``data`` gets the member's ``customer_id``
    (unless it carries its own). Muted, like notifications, while history is imported.
    """
    if type not in TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    if outbox.MUTED.get() or (only_subscription is None and type not in await wanted()):
        return False
    await db.execute(_EMIT, new_id(), type, member_id, db.dumps(data), key, now, only_subscription)
    return True


async def emit_select(type: str, rows_sql: str, *args: Any, now: datetime) -> int:
    """The set-based :func:`emit` of scheduled jobs: one event per row of ``rows_sql``
    (``member, dedupe_key, data``; its parameters are ``args`` from ``$1``)."""
    if outbox.MUTED.get() or type not in await wanted():
        return 0
    n = len(args)
    status = await db.execute(
        f"""WITH s AS ({rows_sql}),
           e AS (
               INSERT INTO webhook_event (event_id, type, member, data, dedupe_key, created_at)
               SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), ${n + 1}, s.member,
                      jsonb_build_object('customer_id', m.customer_id) || s.data,
                      'webhook:' || s.dedupe_key, ${n + 2}
               FROM s JOIN member m ON m.id = s.member
               ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, type)
           INSERT INTO webhook_delivery (event, subscription, status, attempts,
               next_attempt_at, created_at)
           SELECT e.id, w.id, 'pending', 0, ${n + 2}, ${n + 2} FROM e JOIN webhook_subscription w
               ON w.active AND w.deleted_at IS NULL AND w.paused_at IS NULL
              AND (w.events ? e.type OR w.events ? '*')""",
        *args,
        type,
        now,
    )
    return int(status.split()[-1])


# -- the catalogue: one helper per event type, called by the area that causes it -------------


async def member_created(member_id: int, *, now: datetime) -> None:
    await emit(
        "member.created", {}, member_id=member_id, key=f"member.created:{member_id}", now=now
    )


async def points_changed(
    member_id: int,
    *,
    entry: dict[str, Any],
    balances: dict[str, int],
    key: str,
    now: datetime,
) -> None:
    """New balances and the ledger entry that moved them (``entry`` has the entry's id)."""
    await emit(
        "points.changed",
        {"entry": entry, "balances": balances},
        member_id=member_id,
        key=f"points.changed:{entry['id']}",
        now=now,
    )


async def coupon_issued(member_id: int, coupon: dict[str, Any], *, now: datetime) -> None:
    await emit(
        "coupon.issued",
        {"coupon": coupon},
        member_id=member_id,
        key=f"coupon.issued:{coupon['id']}",
        now=now,
    )


async def coupon_redeemed(
    member_id: int, coupon_id: int, code: str, order_id: str, *, now: datetime
) -> None:
    await emit(
        "coupon.redeemed",
        {"coupon": {"id": coupon_id, "code": code}, "order_id": order_id},
        member_id=member_id,
        key=f"coupon.redeemed:{coupon_id}:{order_id}",
        now=now,
    )


async def tier_changed(
    member_id: int,
    *,
    previous: dict[str, Any] | None,
    current: dict[str, Any] | None,
    key: str,
    now: datetime,
) -> None:
    """For the tiers area: a member moved from ``previous`` to ``current`` (``{"id",
    "name"}`` or ``None`` for no tier); ``key`` unique per move (e.g. the ledger entry)."""
    await emit(
        "tier.changed",
        {"previous": previous, "current": current},
        member_id=member_id,
        key=f"tier.changed:{key}",
        now=now,
    )


async def member_blocked(member_id: int, blocked: bool, *, reason: str, now: datetime) -> None:
    kind = "member.blocked" if blocked else "member.unblocked"
    await emit(
        kind,
        {"reason": reason} if blocked else {},
        member_id=member_id,
        key=f"{kind}:{member_id}:{uuid.uuid4().hex}",
        now=now,
    )


async def member_erased(member_id: int, customer_id: str, *, now: datetime) -> None:
    """Carries the erased customer id once, so receivers can erase the person too; the event's
    payload is scrubbed when its deliveries are done (:mod:`.delivery`)."""
    await emit(
        "member.erased",
        {"customer_id": customer_id, "erased_at": now.isoformat()},
        member_id=member_id,
        key=f"member.erased:{member_id}",
        now=now,
    )


async def scrub_member(member_id: int, customer_id: str, now: datetime) -> None:
    """Erasure step: the member's earlier events lose their payload and stop being sent."""
    await db.execute(
        """UPDATE webhook_delivery d SET status = 'cancelled', finished_at = $2,
               last_error = 'member erased'
           FROM webhook_event e WHERE e.id = d.event AND e.member = $1 AND d.status = 'pending'""",
        member_id,
        now,
    )
    await db.execute("UPDATE webhook_event SET data = '{}'::jsonb WHERE member = $1", member_id)


async def send_test(subscription_id: int, *, now: datetime) -> str:
    """A ``webhook.test`` event to one subscription (the back office's "send test event")."""
    key = f"webhook.test:{uuid.uuid4().hex}"
    async with db.transaction():
        await emit(
            "webhook.test",
            {"message": "a test event from the loyalty engine"},
            member_id=None,
            key=key,
            now=now,
            only_subscription=subscription_id,
        )
        event_id = await db.fetchval(
            "SELECT event_id FROM webhook_event WHERE dedupe_key = $1", key
        )
    return str(event_id)
