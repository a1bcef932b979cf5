"""The one credit path of every activity rule, and the one-off rules (welcome, newsletter).

:func:`credit` posts points with a deterministic idempotency key (the key *is* the cap: a
second credit under the same key changes nothing) and tells the member through the outbox;
threshold coupons the credit made due follow from the ledger's reactions. Callers hold the
member row lock when they count awards.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import db, ledger, locking, outbox, program, reactions

KIND = "activity"


async def credit(
    member_id: int,
    points: int,
    *,
    rule: str,
    key: str,
    now: datetime,
    notify: str | None,
    kind: str = KIND,
    data: dict[str, Any] | None = None,
) -> ledger.Balances | None:
    """Credit ``points`` (available and lifetime) once per ``key``; ``None`` if already done.

    ``notify`` is the outbox event to enqueue (deduplicated by the same key), or ``None``.
    """
    async with reactions.deferred():  # the credit is told before the coupon it may unlock
        balances = await ledger.post(
            member_id,
            kind,
            ledger.Delta(available=points, lifetime=points),
            key=key,
            now=now,
            meta={"activity": rule},
        )
        if balances is not None and notify is not None:
            payload = {"points": points, "activity": rule, **(data or {})}
            await outbox.enqueue(notify, member_id=member_id, dedupe_key=key, now=now, data=payload)
    return balances


async def account_created(member_id: int, *, now: datetime) -> dict[str, Any]:
    """Points for a new member (``members.ensure``); the welcome notification's data."""
    rules = await program.get_rules()
    rule = rules.activity.account_created
    if not (rules.active and rule.enabled and rule.points > 0):
        return {}
    async with db.transaction():
        posted = await credit(
            member_id,
            rule.points,
            rule="account_created",
            key=f"activity:account_created:{member_id}",
            now=now,
            notify=None,
        )
    if posted is None:
        return {}
    return {"points": rule.points, "message": rule.message}


async def newsletter(member_id: int, *, now: datetime) -> int:
    """Points for a newsletter opt-in, once ever (same key as the app's event); 0 if none."""
    rules = await program.get_rules()
    rule = rules.activity.newsletter_signup
    if not (rules.active and rule.enabled and rule.points > 0):
        return 0
    async with db.transaction():
        member = await locking.lock_member(member_id)
        if member is None or member.blocked:
            return 0
        posted = await credit(
            member_id,
            rule.points,
            rule="newsletter_signup",
            key=newsletter_key(member_id),
            now=now,
            notify="points_earned" if rule.notify else None,
            data={"message": rule.message},
        )
    return rule.points if posted is not None else 0


def newsletter_key(member_id: int) -> str:
    """The newsletter's one slot: the event path and the profile path share it."""
    return f"activity:newsletter_signup:{member_id}:ever:1"
