"""The tiers area's reactions: a member moves up the moment their qualifying total reaches a
higher level (rule 13). Registered at priority 40 (``loyalty.reactions_table``).

Points: an entry that raised ``lifetime`` (a confirmed earning, a grant). Spend: an order that
advanced; its row is saved after the reactions run, so its new figures come with the event.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from loyalty import program, reactions
from loyalty.tiers import qualify, service

PRIORITY = 40


@reactions.on_points_moved(PRIORITY)
async def on_points_moved(event: reactions.PointsMoved) -> None:
    """After a ledger entry: points that count may have reached a level."""
    if event.delta.lifetime <= 0:
        return
    rules = await program.get_rules()
    if rules.tiers.enabled and rules.tiers.qualify_by == "points":
        await service.evaluate(event.member_id, now=event.now)


@reactions.on_order_advanced(PRIORITY)
async def on_order_advanced(event: reactions.OrderAdvanced) -> None:
    """After an order advanced: its spend, once confirmed, may have reached a level."""
    rules = await program.get_rules()
    tiers = rules.tiers
    if not (tiers.enabled and tiers.qualify_by == "spend") or not event.confirmed:
        return  # spend counts once confirmed: nothing can move up before
    change = qualify.OrderChange(
        order_id=event.order_id,
        counts=_counts(
            event.confirmed, event.status, event.placed_at, tiers.window_days, event.now
        ),
        amount_minor=event.total_minor - event.refunded_minor,
    )
    await service.evaluate(event.member_id, now=event.now, change=change)


def _counts(
    confirmed: bool, status: str, placed_at: datetime, window_days: int, now: datetime
) -> bool:
    in_window = not window_days or placed_at >= now - timedelta(days=window_days)
    return confirmed and status != "cancelled" and in_window
