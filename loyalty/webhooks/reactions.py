"""The webhooks' reaction to points moving: a ``points.changed`` event per ledger entry.

Priority 90: after the threshold coupons (10) and the expiry dates (5), so the event written in
the entry's transaction sits beside the coupon and dates it caused (the balances are the ones
the entry left; a coupon burn is its own entry, hence its own event).
"""

from __future__ import annotations

from dataclasses import asdict

from loyalty import reactions
from loyalty.webhooks import events


@reactions.on_points_moved(priority=90)
async def points_changed(event: reactions.PointsMoved) -> None:
    entry = {"id": event.entry_id, "kind": event.kind, "order_id": event.order_id}
    await events.points_changed(
        event.member_id,
        entry={**entry, **asdict(event.delta)},
        balances=asdict(event.balances),
        key=event.key,
        now=event.now,
    )
