"""``POST /v1/me/events``: the shopper's activity, earning points within marketing's caps.

One transaction per event, under the member row lock (so counting the awards of a window and
crediting the next one cannot race):

1. the event's client id was seen: answer what it earned then (a retry counts once);
2. refusals, in this order: ``disabled`` (rule off, program inactive), ``blocked``,
   ``not_eligible`` (a SKU marketing did not pick, a notification that is not the member's),
   ``already_earned`` (this SKU in this window, this notification ever), ``cap_reached``;
3. otherwise credit the rule's points under the key ``activity:{type}:{member}:{window}:{n}``
   where ``n`` is the award's slot in the window (1..cap): the ledger's unique key makes the
   cap a database fact even if the lock were bypassed.

Every event is stored with its outcome.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import db, locking, members, program
from loyalty.activity import awards, periods
from loyalty.errors import Conflict, NotFound
from loyalty.notify import opens
from schemas.program import ActivityReward, CappedActivity, ProductViews, ProgramRules

TYPES = ("visit", "product_view", "notification_open", "newsletter_signup")


@dataclass(frozen=True, slots=True)
class Event:
    """One reported activity; ``client_id`` is the app's id for it (unique per member)."""

    client_id: str
    type: str
    channel: str = "app"
    sku: str | None = None
    notification_id: int | None = None


@dataclass(frozen=True, slots=True)
class Result:
    client_id: str
    type: str
    outcome: str
    points: int
    window: str
    cap: str
    cap_count: int
    used: int
    replayed: bool
    available: int


@dataclass(frozen=True, slots=True)
class _Limits:
    rule: ActivityReward
    cap: str
    cap_count: int


def limits(rules: ProgramRules, event_type: str) -> _Limits:
    """The rule of ``event_type`` and its window; one-off rules are once ever."""
    rule: ActivityReward = getattr(rules.activity, event_type)
    if isinstance(rule, CappedActivity):
        return _Limits(rule, rule.cap, rule.cap_count)
    return _Limits(rule, "ever", 1)


async def record(customer_id: str, event: Event, *, now: datetime) -> Result:
    """Store ``event`` and credit what it earns; safe to retry and to race."""
    if event.type not in TYPES:
        raise ValueError(f"unknown activity {event.type!r}")
    rules = await program.get_rules()
    async with db.transaction():
        member = await _lock_member(customer_id, now)
        stored = await db.fetchrow(
            """SELECT type, outcome, points, period FROM activity_event
               WHERE member = $1 AND client_event_id = $2""",
            member.id,
            event.client_id,
        )
        if stored is not None:
            result = await _replay(member, dict(stored), event, rules)
        else:
            result = await _evaluate(member, event, rules, now)
    return result


async def _lock_member(customer_id: str, now: datetime) -> locking.LockedMember:
    """The member row, locked for this transaction; created on first contact."""
    member = await locking.lock_customer(customer_id)
    if member is None:
        await members.ensure(customer_id, now=now)
        member = await locking.lock_customer(customer_id)
    assert member is not None
    return member


async def _replay(
    member: locking.LockedMember, stored: dict[str, Any], event: Event, rules: ProgramRules
) -> Result:
    if stored["type"] != event.type:
        raise Conflict(
            "event_id_reused",
            "this event id was already used for another kind of event",
            id=event.client_id,
            type=stored["type"],
        )
    lim = limits(rules, event.type)
    return Result(
        client_id=event.client_id,
        type=event.type,
        outcome=stored["outcome"],
        points=stored["points"],
        window=stored["period"],
        cap=lim.cap,
        cap_count=lim.cap_count,
        used=await _used(member.id, event.type, stored["period"]),
        replayed=True,
        available=member.available,
    )


async def _evaluate(
    member: locking.LockedMember, event: Event, rules: ProgramRules, now: datetime
) -> Result:
    lim = limits(rules, event.type)
    day = periods.local_date(now, member.timezone, rules.timezone)
    window = periods.window(lim.cap, day)
    dedupe = _dedupe_key(event, window)
    used = await _used(member.id, event.type, window)
    outcome = await _refusal(member, event, rules, lim, dedupe, used)
    points, ledger_key, available = 0, None, member.available
    if outcome is None:
        ledger_key = f"activity:{event.type}:{member.id}:{window}:{used + 1}"
        posted = await awards.credit(
            member.id,
            lim.rule.points,
            rule=event.type,
            key=ledger_key,
            now=now,
            notify="points_earned" if lim.rule.notify else None,
            data={"message": lim.rule.message},
        )
        if posted is None:
            outcome, ledger_key = "cap_reached", None
        else:
            outcome, points, used = "earned", lim.rule.points, used + 1
            available = await db.fetchval("SELECT available FROM member WHERE id = $1", member.id)
    await _store(member.id, event, window, outcome, points, dedupe, ledger_key, now)
    if event.type == "notification_open" and event.notification_id is not None:
        await _record_open(member.id, event.notification_id, now)
    if event.type == "newsletter_signup":
        await db.execute(
            "UPDATE member SET newsletter = true, updated_at = $2 WHERE id = $1 AND NOT newsletter",
            member.id,
            now,
        )
    return Result(
        client_id=event.client_id,
        type=event.type,
        outcome=outcome,
        points=points,
        window=window,
        cap=lim.cap,
        cap_count=lim.cap_count,
        used=used,
        replayed=False,
        available=available,
    )


async def _record_open(member_id: int, notification_id: int, now: datetime) -> None:
    """Count the open for insight (pushes opened), whether or not the open earned points;
    an id that is not the member's was already answered ``not_eligible``."""
    with contextlib.suppress(NotFound):
        await opens.mark_opened(member_id, notification_id, now)


async def _refusal(
    member: locking.LockedMember,
    event: Event,
    rules: ProgramRules,
    lim: _Limits,
    dedupe: str | None,
    used: int,
) -> str | None:
    """Why this event earns nothing, or ``None`` when it earns."""
    if not (rules.active and lim.rule.enabled and lim.rule.points > 0):
        return "disabled"
    if member.blocked:
        return "blocked"
    if not await _eligible(member.id, event, lim.rule):
        return "not_eligible"
    if dedupe is not None and await db.fetchval(
        "SELECT 1 FROM activity_event WHERE member = $1 AND dedupe_key = $2",
        member.id,
        dedupe,
    ):
        return "already_earned"
    if used >= lim.cap_count:
        return "cap_reached"
    return None


async def _eligible(member_id: int, event: Event, rule: ActivityReward) -> bool:
    if event.type == "product_view":
        assert isinstance(rule, ProductViews)
        return event.sku in rule.skus
    if event.type == "notification_open":
        owner = await db.fetchval(
            "SELECT member FROM notification WHERE id = $1", event.notification_id
        )
        return bool(owner == member_id)
    return True


def _dedupe_key(event: Event, window: str) -> str | None:
    """What may earn only once: a SKU per window, a notification ever."""
    if event.type == "product_view":
        return f"product_view:{window}:{event.sku}"
    if event.type == "notification_open":
        return f"notification_open:{event.notification_id}"
    return None


async def _used(member_id: int, event_type: str, window: str) -> int:
    """Awards already made in this window (the partial index covers exactly these rows)."""
    count = await db.fetchval(
        """SELECT count(*) FROM activity_event
           WHERE member = $1 AND type = $2 AND period = $3 AND points > 0""",
        member_id,
        event_type,
        window,
    )
    return int(count)


async def _store(
    member_id: int,
    event: Event,
    window: str,
    outcome: str,
    points: int,
    dedupe: str | None,
    ledger_key: str | None,
    now: datetime,
) -> None:
    subject = event.sku if event.type == "product_view" else None
    if event.type == "notification_open":
        subject = str(event.notification_id)
    await db.execute(
        """INSERT INTO activity_event (member, client_event_id, type, channel, subject, period,
               outcome, points, dedupe_key, ledger_key, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        member_id,
        event.client_id,
        event.type,
        event.channel,
        subject,
        window,
        outcome,
        points,
        dedupe if points > 0 else None,
        ledger_key,
        now,
    )
