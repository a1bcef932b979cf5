"""Writing to the notification outbox, inside the transaction of the event itself.

Delivery (push, email) happens later in jobs; here we only record *that* someone must be told,
once: the dedupe key makes a replayed event a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import db

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
    return new_id is not None
