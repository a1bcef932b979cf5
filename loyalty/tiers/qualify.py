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
from typing import Any

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


def _total_sql(tiers: Tiers, now: datetime, change: OrderChange | None) -> tuple[str, list[Any]]:
    """A scalar subquery of the qualifying total of member ``$1`` and its arguments."""
    since = window_start(tiers, now)
    if tiers.qualify_by == "points":
        if since is None:
            return "(SELECT lifetime FROM member WHERE id = $1)", []
        return (
            "(SELECT coalesce(sum(lifetime), 0) FROM ledger_entry"
            " WHERE member = $1 AND effective_at >= $2)",
            [since],
        )
    return (
        """(SELECT coalesce(sum(total_minor - refunded_minor), 0) FROM shop_order
            WHERE member = $1 AND points_state = 'confirmed' AND status <> 'cancelled'
              AND ($2::timestamptz IS NULL OR placed_at >= $2) AND order_id <> $3)""",
        [since, change.order_id if change else ""],
    )


def _extra(change: OrderChange | None) -> int:
    return change.amount_minor if change and change.counts else 0


async def total(
    member_id: int, tiers: Tiers, now: datetime, change: OrderChange | None = None
) -> int:
    """The member's qualifying total at ``now``."""
    sql, args = _total_sql(tiers, now, change)
    return int(await db.fetchval(f"SELECT {sql}", member_id, *args)) + _extra(change)


async def standing(
    member_id: int, tiers: Tiers, now: datetime, change: OrderChange | None = None
) -> tuple[str | None, int]:
    """The member's stored tier id and qualifying total, in one round trip."""
    sql, args = _total_sql(tiers, now, change)
    row = await db.fetchrow(
        f"SELECT (SELECT tier_id FROM member_tier WHERE member = $1) AS tier_id, {sql} AS total",
        member_id,
        *args,
    )
    assert row is not None
    return row["tier_id"], int(row["total"] or 0) + _extra(change)
