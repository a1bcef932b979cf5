"""Spending points and giving spent points back: the one guarded debit every redemption uses.

Coupons burnt at a threshold, catalogue unlocks, points paid at checkout all go through
:func:`spend`, which locks the member row, refuses a blocked member or a short balance, and
posts one ``spent`` entry consuming the oldest eligible lots. :func:`give_back` reverses a
spend (an order cancelled or refunded) into the very lots it used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import db, ledger, locking
from loyalty.errors import Conflict


async def spend(
    member_id: int,
    points: int,
    *,
    kind: str,
    key: str,
    now: datetime,
    earned_since: datetime | None = None,
    coupon_id: int | None = None,
    order_id: str | None = None,
    reason: str | None = None,
    meta: dict[str, Any] | None = None,
) -> ledger.Balances | None:
    """Debit ``points`` (> 0) of available points; ``None`` if ``key`` was already spent.

    Raises :class:`Conflict` ``member_blocked`` or ``insufficient_points``. With
    ``earned_since`` only points earned since then count (rule 5's age limit).
    """
    if points <= 0:
        raise ValueError("spend needs a positive amount")
    if db.DB.current_transaction.get() is None:
        raise RuntimeError("spending.spend must run inside a transaction")
    member = await locking.lock_member(member_id)
    if member is None:
        raise Conflict("member_not_found", "no such member")
    done = await db.fetchval("SELECT 1 FROM ledger_entry WHERE idempotency_key = $1", key)
    if done:
        return None
    if member.blocked:
        raise Conflict("member_blocked", "a blocked member cannot spend points")
    usable = member.available
    if earned_since is not None:
        usable = min(usable, await ledger.spendable(member_id, earned_since=earned_since))
    if usable < points:
        raise Conflict(
            "insufficient_points", "not enough points", available=max(usable, 0), needed=points
        )
    return await ledger.post(
        member_id,
        kind,
        ledger.Delta(available=-points, spent=points),
        key=key,
        now=now,
        coupon_id=coupon_id,
        order_id=order_id,
        reason=reason,
        meta=meta,
        lots=ledger.LotRule(earned_since=earned_since),
    )


async def give_back(
    spend_key: str,
    points: int,
    *,
    key: str,
    now: datetime,
    kind: str = "spend_reversal",
    reason: str | None = None,
) -> ledger.Balances | None:
    """Return up to ``points`` of the spend recorded under ``spend_key`` to its lots."""
    entry = await db.fetchrow(
        "SELECT id, member, spent, order_id, coupon_id FROM ledger_entry"
        " WHERE idempotency_key = $1",
        spend_key,
    )
    if entry is None or points <= 0:
        return None
    points = min(points, entry["spent"])
    return await ledger.post(
        entry["member"],
        kind,
        ledger.Delta(available=points, spent=-points),
        key=key,
        now=now,
        order_id=entry["order_id"],
        coupon_id=entry["coupon_id"],
        reason=reason,
        lots=ledger.LotRule(restore_entry=entry["id"]),
    )
