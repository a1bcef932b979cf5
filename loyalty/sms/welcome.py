"""The till's welcome text (rule 15): after the member's first confirmed visit at the till.

A reaction to ``OrderAdvanced`` (priority 60, ``loyalty.reactions``), so it runs inside the
order's transaction once the order has settled; it acts when the order's points are
confirmed. Only an order from the till (``channel`` ``pos``) counts; a cancelled order
never confirms, so it never welcomes. "Once" is the outbox's dedupe key per member, and a
member who already has another confirmed till order (for instance one merged in from a
by-phone member) is not welcomed again. The text carries the balance as it is when it is
sent, so it includes the visit's points.
"""

from __future__ import annotations

from datetime import datetime

from loyalty import db, outbox, reactions

EVENT = "pos_welcome"


@reactions.on_order_advanced(priority=60)
async def on_order_advanced(event: reactions.OrderAdvanced) -> None:
    """Welcome by text once the order's points are confirmed (the checks are below)."""
    if event.confirmed:
        await after_confirmed_visit(
            event.member_id, event.order_id, channel=None, points=event.points, now=event.now
        )


async def after_confirmed_visit(
    member_id: int, order_id: str, *, channel: str | None, points: int, now: datetime
) -> bool:
    """Write the welcome text to the outbox if this was the first confirmed till visit.

    With the outbox muted (an import of history) the text could not be written anyway, so
    its two reads are skipped: one statement less per imported order."""
    if outbox.MUTED.get():
        return False
    if channel is None:  # a status update need not repeat the channel: the first sight's
        channel = await db.fetchval("SELECT channel FROM shop_order WHERE order_id = $1", order_id)
    if channel != "pos":
        return False
    earlier = await db.fetchval(
        """SELECT EXISTS (SELECT 1 FROM shop_order WHERE member = $1 AND channel = 'pos'
                  AND points_state = 'confirmed' AND order_id <> $2)""",
        member_id,
        order_id,
    )
    if earlier:
        return False
    return await outbox.enqueue(
        EVENT,
        member_id=member_id,
        dedupe_key=f"{EVENT}:{member_id}",
        now=now,
        data={"order_id": order_id, "points": points},
    )
