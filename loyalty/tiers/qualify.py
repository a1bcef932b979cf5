"""What a member qualifies for (rule 13): their qualifying total and the level it reaches.

By ``points``: the points earned (the ledger's ``lifetime`` deltas: confirmed earnings, minus
clawbacks, plus staff corrections). By ``spend``: the paid totals of confirmed orders minus what
was refunded; cancelled orders count nothing. Over the whole history, or the last
``window_days`` (by the order's ``placed_at`` / the entry's effective date). Refunds and
cancellations therefore count against the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty import db
from schemas.earning import TierLevel, Tiers


@dataclass(frozen=True, slots=True)
class OrderChange:
    """An order whose new state is not saved yet: count these figures instead of its row."""

    order_id: str
    counts: bool
    amount_minor: int


def level_for(tiers: Tiers, total: int) -> TierLevel | None:
    """The highest level whose threshold ``total`` reaches (ERPNext's selection)."""
    reached = [level for level in tiers.levels if level.threshold <= total]
    return reached[-1] if reached else None


def rank(tiers: Tiers, tier_id: str | None) -> int:
    """A level's position (-1 for none or a level no longer in the program)."""
    ids = [level.id for level in tiers.levels]
    return ids.index(tier_id) if tier_id in ids else -1


def next_level(tiers: Tiers, tier_id: str | None) -> TierLevel | None:
    position = rank(tiers, tier_id) + 1
    return tiers.levels[position] if position < len(tiers.levels) else None


def window_start(tiers: Tiers, now: datetime) -> datetime | None:
    return now - timedelta(days=tiers.window_days) if tiers.window_days else None


async def total(
    member_id: int, tiers: Tiers, now: datetime, change: OrderChange | None = None
) -> int:
    """The member's qualifying total at ``now``."""
    since = window_start(tiers, now)
    if tiers.qualify_by == "points":
        if since is None:
            return int(await db.fetchval("SELECT lifetime FROM member WHERE id = $1", member_id))
        value = await db.fetchval(
            """SELECT coalesce(sum(lifetime), 0) FROM ledger_entry
               WHERE member = $1 AND effective_at >= $2""",
            member_id,
            since,
        )
        return int(value)
    spent = await db.fetchval(
        """SELECT coalesce(sum(total_minor - refunded_minor), 0) FROM shop_order
           WHERE member = $1 AND points_state = 'confirmed' AND status <> 'cancelled'
             AND ($2::timestamptz IS NULL OR placed_at >= $2) AND order_id <> $3""",
        member_id,
        since,
        change.order_id if change else "",
    )
    extra = change.amount_minor if change and change.counts else 0
    return int(spent) + extra
