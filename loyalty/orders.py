"""Rule 2: an order's points are pending until the confirming status, then available.

The shop sends the order's whole current state (``PUT /v1/shop/orders/{id}``) as often as it
likes, in any order. :func:`report` merges it with what we know under a row lock and posts only
the ledger entries the difference calls for, each with a deterministic key:

- first sight (not cancelled): ``earn_pending`` of the computed points;
- confirming status (``completed`` by default; a later ``refunded`` implies it): ``earn_confirm``;
- cancelled before confirmation: ``earn_cancel`` drops the pending points;
- refunds after confirmation: ``clawback`` in proportion to the refunded amount (floor);
  cancellation after confirmation claws back everything.

A terminal state (cancelled, refunded) is never undone by a late earlier state, and the
amount refunded only grows. What other areas do about it (threshold coupons, the last-order
and expiry dates, referrals) are reactions (``loyalty.reactions``) to the entries posted and
to ``OrderAdvanced``, run once the order has settled, in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from loyalty import accrual, db, ledger, members, outbox, program, reactions
from loyalty.errors import Conflict
from loyalty.rewards import checkout
from schemas.program import ProgramRules
from schemas.shop import OrderIn

RANK = {"placed": 0, "paid": 1, "completed": 2, "refunded": 3, "cancelled": 3}


def merge_status(current: str, incoming: str) -> str:
    """The status after ``incoming`` arrives on an order at ``current``."""
    if current == "cancelled":
        return "cancelled"
    if current == "refunded":
        return "cancelled" if incoming == "cancelled" else "refunded"
    return incoming if RANK[incoming] >= RANK[current] else current


def is_confirmed(status: str, confirm_status: str) -> bool:
    return status != "cancelled" and RANK[status] >= RANK[confirm_status]


def digest(state: OrderIn) -> str:
    return hashlib.sha256(msgspec.json.encode(state)).hexdigest()


@dataclass(slots=True)
class OrderRow:
    """The mutable part of a ``shop_order`` row while :func:`report` works on it."""

    id: int
    order_id: str
    member_id: int
    status: str
    total_minor: int
    refunded_minor: int
    points: int
    points_state: str
    clawed_back: int
    placed_at: datetime
    new: bool
    member_blocked: bool = False
    member_tier: str | None = None
    flags: list[str] = field(default_factory=list)
    member_facts: reactions.MemberFacts | None = None  # read under the lock (_with_member)
    breakdown: accrual.Breakdown | None = None

    @classmethod
    def from_record(cls, r: Any) -> OrderRow:
        return cls(
            id=r["id"],
            order_id=r["order_id"],
            member_id=r["member"],
            status=r["status"],
            total_minor=r["total_minor"],
            refunded_minor=r["refunded_minor"],
            points=r["points"],
            points_state=r["points_state"],
            clawed_back=r["clawed_back"],
            placed_at=r["placed_at"],
            new=r["state_digest"] == "",
            member_blocked=bool(r["member_blocked"]),
            member_tier=r["member_tier"],
            flags=list(db.loads(r["flags"]) or []),
            member_facts=_facts(r),
            breakdown=_decode_breakdown(r["breakdown"]),
        )


def _facts(r: Any) -> reactions.MemberFacts | None:
    """The member row read with the order's lock (:func:`_with_member`), when it was."""
    if r.get("member_referred") is None:  # asyncpg records: `in` looks at values
        return None
    return reactions.MemberFacts(
        blocked=bool(r["member_blocked"]),
        referred=bool(r["member_referred"]),
        timezone=r["member_timezone"],
        last_order_at=r["member_last_order_at"],
        points_expire_at=r["member_points_expire_at"],
    )


@dataclass(frozen=True, slots=True)
class Reported:
    """What :func:`report` made of a PUT: the order as saved, and whether it changed."""

    order: OrderRow
    changed: bool


_ORDER_COLUMNS = """id, order_id, member, status, total_minor, refunded_minor, points,
    points_state, clawed_back, placed_at, flags::text AS flags, state_digest,
    breakdown::text AS breakdown"""
_TIER = "(SELECT t.tier_id FROM member_tier t WHERE t.member = {}.member) AS member_tier"
_COLUMNS = f"""{_ORDER_COLUMNS},
    (SELECT m.blocked FROM member m WHERE m.id = shop_order.member) AS member_blocked,
    {_TIER.format("shop_order")}"""
_SELECT = f"SELECT {_COLUMNS} FROM shop_order"


def _with_member(order_sql: str) -> str:
    """The order row ``order_sql`` locks or creates, then its member row locked too, in one
    statement: the member lookup depends on the order row, so the order is locked first (the
    lock order everywhere). The member's facts ride along for the reactions."""
    return f"""WITH o AS ({order_sql})
SELECT o.*, m.blocked AS member_blocked, m.referred_by IS NOT NULL AS member_referred,
       m.timezone AS member_timezone, m.last_order_at AS member_last_order_at,
       m.points_expire_at AS member_points_expire_at, {_TIER.format("o")}
FROM o LEFT JOIN LATERAL (SELECT * FROM member WHERE id = o.member FOR NO KEY UPDATE) AS m
ON true"""


_INSERT = _with_member(
    f"""INSERT INTO shop_order (order_id, member, status, currency, total_minor,
           refunded_minor, channel, store_id, items, coupon_code, points_redeemed,
           placed_at, points, points_state, clawed_back, state_digest, flags,
           created_at, updated_at)
       VALUES ($1, $2, 'placed', $3, $4, 0, $5, $6, '[]', NULL, 0, $7, 0, 'none', 0,
               '', '[]', $8, $8)
       ON CONFLICT (order_id) DO NOTHING
       RETURNING {_ORDER_COLUMNS}"""
)
_LOCK = _with_member(f"SELECT {_ORDER_COLUMNS} FROM shop_order WHERE order_id = $1 FOR UPDATE")


_KNOWN = f"""SELECT m.id AS member_id, o.* FROM (SELECT 1) AS one
LEFT JOIN member m ON m.customer_id = $2
LEFT JOIN LATERAL ({_SELECT} WHERE order_id = $1) AS o ON true"""
"""What we know before any lock: the customer's member id and the order row, if any."""


@db.retry_transient()
async def report(order_id: str, state: OrderIn, *, now: datetime) -> Reported:
    """Apply the shop's latest view of an order; safe to repeat and to race.

    One read comes first, outside any transaction: an exact replay of the state we hold (same
    digest) is answered from it, with no write transaction and no lock. Otherwise it gives
    the member id and whether the order exists, so the transaction goes straight to the
    insert (new order) or the row lock (known order), where the digest is checked again.
    """
    state_digest = digest(state)
    rules = await program.get_rules()
    known = await db.fetchrow(_KNOWN, order_id, state.customer_id)
    assert known is not None
    if known["id"] is not None:
        _check_customer(order_id, known["member"], known["member_id"])
        if known["state_digest"] == state_digest:
            return Reported(OrderRow.from_record(known), changed=False)
    async with db.transaction():
        member_id = known["member_id"] or await members.create(state.customer_id, now=now)
        record = await _lock(order_id, member_id, state, now, exists=known["id"] is not None)
        _check_customer(order_id, record["member"], member_id)
        order = OrderRow.from_record(record)
        if record["state_digest"] == state_digest:
            return Reported(order, changed=False)
        before = (None if order.new else order.status, order.refunded_minor)
        async with reactions.deferred():  # the reactions run once the order has settled
            await _advance(order, state, rules, now)  # merged state and its ledger entries
            await checkout.on_order_report(order, state, rules, now=now)  # coupon, points paid
            await _announce(order, state, before, now)  # OrderAdvanced
        await _save(order, state, state_digest, now)
    return Reported(order, changed=True)


def _check_customer(order_id: str, order_member: int, member_id: int | None) -> None:
    if order_member != member_id:
        raise Conflict(
            "order_customer_mismatch",
            "this order belongs to another customer",
            order_id=order_id,
        )


async def _lock(
    order_id: str, member_id: int, state: OrderIn, now: datetime, *, exists: bool
) -> Any:
    """The order row and its member's, locked for this transaction; the order is created
    (empty) on first sight."""
    if not exists:
        created = await db.fetchrow(
            _INSERT,
            order_id,
            member_id,
            state.currency,
            state.total_minor,
            state.channel,
            state.store_id,
            state.placed_at,
            now,
        )
        if created is not None:
            return created
    return await db.fetchrow(_LOCK, order_id)


async def _advance(order: OrderRow, state: OrderIn, rules: ProgramRules, now: datetime) -> None:
    """Move the order to the merged state, posting each ledger entry the change needs."""
    order.status = state.status if order.new else merge_status(order.status, state.status)
    if order.points_state in ("none", "pending"):
        order.total_minor = state.total_minor
        if order.status != "cancelled":
            await _set_pending(order, state, rules, now)
    order.refunded_minor = min(max(order.refunded_minor, state.refunded_minor), order.total_minor)
    if order.points_state == "pending":
        if order.status == "cancelled":
            await _post(order, "earn_cancel", ledger.Delta(pending=-order.points), "cancel", now)
            order.points_state = "void"
        elif is_confirmed(order.status, rules.confirm_status):
            await _confirm(order, now)
    if order.points_state == "confirmed":
        await _claw_back(order, now)


async def _set_pending(order: OrderRow, state: OrderIn, rules: ProgramRules, now: datetime) -> None:
    """(Re)compute the points of an unconfirmed order and hold them as pending."""
    points = await _earnable(order, state, rules)
    if order.points_state == "none":
        await _post(
            order,
            "earn_pending",
            ledger.Delta(pending=points),
            "pending",
            now,
            effective_at=state.placed_at,
        )
    elif points != order.points:
        await _post(
            order,
            "earn_pending",
            ledger.Delta(pending=points - order.points),
            f"repending:{digest(state)}",
            now,
            effective_at=state.placed_at,
        )
    order.points = points
    order.points_state = "pending"


async def _earnable(order: OrderRow, state: OrderIn, rules: ProgramRules) -> int:
    """The order's points (rule 12), its breakdown kept on ``order``.

    The campaigns and tier that applied when the order was first seen stay with it: editing or
    ending a campaign later never changes the points of an order already placed."""
    if order.breakdown is None:
        campaigns = accrual.running_at(rules, state.placed_at)
        tier = accrual.tier_level(rules, order.member_tier)  # read with the order row
    else:
        campaigns = order.breakdown.campaigns
        tier = accrual.tier_level(rules, order.breakdown.tier)
    if order.member_blocked or not accrual.eligible(
        rules, channel=state.channel, store_id=state.store_id
    ):
        reason = "member_blocked" if order.member_blocked else "not_eligible"
        _flag(order, reason)
        order.breakdown = accrual.Breakdown(points=0, campaigns=list(campaigns), reason=reason)
        return 0
    facts = accrual.OrderFacts(
        total_minor=state.total_minor,
        items=state.items,
        channel=state.channel,
        store_id=state.store_id,
        placed_at=state.placed_at,
    )
    order.breakdown = accrual.compute(rules, facts, campaigns=campaigns, tier=tier)
    return order.breakdown.points


def _decode_breakdown(raw: str | None) -> accrual.Breakdown | None:
    return None if raw is None else msgspec.json.decode(raw, type=accrual.Breakdown)


async def _confirm(order: OrderRow, now: datetime) -> None:
    p = order.points
    await _post(
        order,
        "earn_confirm",
        ledger.Delta(pending=-p, available=p, lifetime=p),
        "confirm",
        now,
        effective_at=order.placed_at,
    )
    order.points_state = "confirmed"
    if p > 0:
        await outbox.enqueue(
            "points_earned",
            member_id=order.member_id,
            dedupe_key=f"points_earned:{order.order_id}",
            now=now,
            data={"points": p, "order_id": order.order_id},
        )


async def _claw_back(order: OrderRow, now: datetime) -> None:
    """Take back points in proportion to what was refunded (all of them on cancellation)."""
    if order.status == "cancelled":
        target = order.points
    else:
        target = accrual.clawback_target(order.points, order.total_minor, order.refunded_minor)
    if target > order.clawed_back:
        take = target - order.clawed_back
        await _post(
            order,
            "clawback",
            ledger.Delta(available=-take, lifetime=-take),
            f"clawback:{target}",
            now,
            meta={"refunded_minor": order.refunded_minor},
        )
        order.clawed_back = target


async def _post(
    order: OrderRow,
    kind: str,
    delta: ledger.Delta,
    step: str,
    now: datetime,
    *,
    effective_at: datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> None:
    if delta.is_zero():
        return
    await ledger.post(
        order.member_id,
        kind,
        delta,
        key=f"order:{order.order_id}:{step}",
        now=now,
        effective_at=effective_at,
        order_id=order.order_id,
        meta=meta,
    )


async def _announce(
    order: OrderRow, state: OrderIn, before: tuple[str | None, int], now: datetime
) -> None:
    """``OrderAdvanced`` on first sight, a status change or a grown refund; its reactions
    (the last-order date, referrals) may add flags to the order, saved with it."""
    previous_status, refunded_before = before
    if previous_status == order.status and order.refunded_minor <= refunded_before:
        return
    await reactions.order_advanced(
        reactions.OrderAdvanced(
            member_id=order.member_id,
            order_id=order.order_id,
            previous_status=previous_status,
            status=order.status,
            placed_at=state.placed_at,
            total_minor=order.total_minor,
            refunded_minor=order.refunded_minor,
            points=order.points,
            now=now,
            confirmed=order.points_state == "confirmed",
            referral_code=state.referral_code,
            flags=order.flags,
            member=order.member_facts,
        )
    )


def _flag(order: OrderRow, flag: str) -> None:
    if flag not in order.flags:
        order.flags.append(flag)


async def _save(order: OrderRow, state: OrderIn, state_digest: str, now: datetime) -> None:
    await db.execute(
        """UPDATE shop_order SET status = $2, total_minor = $3, refunded_minor = $4,
               channel = $5, store_id = $6, items = $7::jsonb, coupon_code = $8,
               points_redeemed = $9, placed_at = $10, points = $11, points_state = $12,
               clawed_back = $13, state_digest = $14, flags = $15::jsonb, updated_at = $16,
               breakdown = $17::jsonb
           WHERE id = $1""",
        order.id,
        order.status,
        order.total_minor,
        order.refunded_minor,
        state.channel,
        state.store_id,
        db.dumps(state.items),
        state.coupon_code,
        state.points_redeemed,
        state.placed_at,
        order.points,
        order.points_state,
        order.clawed_back,
        state_digest,
        db.dumps(order.flags),
        now,
        None if order.breakdown is None else db.dumps(order.breakdown),
    )


async def recent_for_member(member_id: int, *, limit: int = 20) -> list[dict[str, Any]]:
    """A member's latest orders (the back office's member page), newest first."""
    rows = await db.fetch(
        """SELECT order_id, status, currency, total_minor, refunded_minor, channel, store_id,
                  points, points_state, clawed_back, placed_at, flags::text AS flags
           FROM shop_order WHERE member = $1 ORDER BY placed_at DESC LIMIT $2""",
        member_id,
        limit,
    )
    return [{**dict(r), "flags": db.loads(r["flags"]) or []} for r in rows]


async def breakdowns(order_ids: list[str]) -> dict[str, accrual.Breakdown]:
    """How each of these orders' points add up (the back office's "why these points?")."""
    if not order_ids:
        return {}
    rows = await db.fetch(
        """SELECT order_id, breakdown::text AS breakdown FROM shop_order
           WHERE order_id = ANY($1::text[]) AND breakdown IS NOT NULL""",
        order_ids,
    )
    return {r["order_id"]: _decode_breakdown(r["breakdown"]) for r in rows}  # type: ignore[misc]
