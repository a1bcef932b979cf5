"""Writing to the notification outbox, inside the transaction of the event itself.

Delivery (push, email) happens later in jobs; here we only record *that* someone must be told,
once: the dedupe key makes a replayed event a no-op.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any

from loyalty import db

WRITTEN: ContextVar[list[int] | None] = ContextVar("outbox_written", default=None)
"""Set to a list by a caller that wants to know which notifications it wrote (the API's
delivery kick, ``loyalty.notify.kick``); :func:`enqueue` appends each new id."""

MUTED: ContextVar[bool] = ContextVar("outbox_muted", default=False)
"""True while history is imported (``loyalty import`` without ``--notify``): the events of
years ago must not reach anyone today, so nothing is recorded."""

EVENTS = (
    "welcome",
    "points_earned",
    "coupon_issued",
    "reward_unlocked",
    "points_expiring",
    "points_expired",
    "points_added",
    "points_removed",
    "reward_redeemed",
    "admin_redemption_alert",
    "birthday",
    "referral_success",
    "balance_summary",
    "pos_welcome",
    "referral_reversed",
    "tier_up",
    "reward_available",
)


async def enqueue(
    event: str,
    *,
    member_id: int | None,
    dedupe_key: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> bool:
    """Record a notification to deliver; ``False`` if this dedupe key was already recorded."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    if MUTED.get():
        return False
    new_id = await db.fetchval(
        """INSERT INTO notification (member, event, data, dedupe_key, status, attempts,
               next_attempt_at, created_at)
           VALUES ($1, $2, $3::jsonb, $4, 'pending', 0, $5, $5)
           ON CONFLICT (dedupe_key) DO NOTHING RETURNING id""",
        member_id,
        event,
        db.dumps(data or {}),
        dedupe_key,
        now,
    )
    if new_id is not None and (written := WRITTEN.get()) is not None:
        written.append(new_id)
    return new_id is not None


async def enqueue_select(event: str, rows_sql: str, *args: Any, now: datetime) -> int:
    """The set-based :func:`enqueue` of scheduled jobs: one notification per row of
    ``rows_sql`` (``member, dedupe_key, data``; its parameters are ``args`` from ``$1``),
    each skipped when its dedupe key exists. Returns how many were written. Ids are not
    reported to :data:`WRITTEN` (batches are large; the delivery sweep picks them up)."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    if MUTED.get():
        return 0
    n = len(args)
    status = await db.execute(
        f"""INSERT INTO notification (member, event, data, dedupe_key, status, attempts,
               next_attempt_at, created_at)
           SELECT s.member, ${n + 1}, s.data, s.dedupe_key, 'pending', 0, ${n + 2}, ${n + 2}
           FROM ({rows_sql}) AS s
           ON CONFLICT (dedupe_key) DO NOTHING""",
        *args,
        event,
        now,
    )
    return int(status.split()[-1])


async def recent_for_member(member_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """The member's latest notifications and their outbox status (the back office)."""
    rows = await db.fetch(
        """SELECT id, event, status, attempts, created_at, processed_at FROM notification
           WHERE member = $1 ORDER BY id DESC LIMIT $2""",
        member_id,
        limit,
    )
    return [dict(r) for r in rows]
