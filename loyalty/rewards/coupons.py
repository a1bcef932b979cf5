"""Coupons: issuing them (threshold crossings, catalogue unlocks, other features), listing a
member's discounts, and voiding one whose points were clawed back.

Rule 3: when a member's free points (available minus checkout holds) reach the program's
threshold, :func:`issue_due` burns the threshold (ledger kind ``coupon_burn``) and issues one
coupon per threshold crossed, in the transaction of the credit that crossed it: it is the
reaction to every ledger entry that credits available points (:func:`threshold_reached`,
``PointsMoved`` priority 10), and to a cancelled order, which may have released a hold
(:func:`threshold_freed`). Keys are deterministic (``threshold:<member>:<n>``), so a
replayed credit never issues twice. The burn is itself an entry (a debit), to which this
reaction does nothing: the re-entrancy stops there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from loyalty import db, locking, outbox, program, reactions, spending, texts
from loyalty.rewards import codes
from loyalty.webhooks import events as webhook_events
from schemas.program import CouponTerms, ProgramRules

CODE_ATTEMPTS = 8

COLUMNS = """c.id, c.member, c.code, c.source, c.reward_id, c.title, c.titles, c.kind, c.value,
    c.sku, c.min_order_minor, c.points_cost, c.spend_key, c.status, c.issued_at, c.expires_at,
    c.used_at, c.used_order_id, c.voided_at, c.void_reason"""


@dataclass(frozen=True, slots=True)
class NewCoupon:
    """What to issue. ``points_cost`` > 0 spends that many points under ``spend_kind``.

    ``title`` is in the program's default locale; ``titles`` maps locales to titles."""

    title: str
    kind: str
    value: int
    min_order_minor: int
    valid_days: int
    source: str
    issue_key: str
    sku: str | None = None
    reward_id: int | None = None
    points_cost: int = 0
    spend_kind: str = "coupon_burn"
    titles: dict[str, str] = field(default_factory=dict)


def status_at(row: Any, now: datetime) -> str:
    """``active``, ``used``, ``void`` or ``expired`` (an active coupon past its date)."""
    if row["status"] == "active" and row["expires_at"] <= now:
        return "expired"
    return str(row["status"])


async def issue(
    member_id: int, new: NewCoupon, *, now: datetime, generate: codes.Generator = codes.generate
) -> tuple[dict[str, Any], bool]:
    """Issue ``new`` to the member (spending its points, telling them); ``(row, created)``.

    Idempotent on ``new.issue_key``: a repeat returns the coupon issued the first time.
    Spending may raise ``Conflict`` (blocked, short balance); the caller's transaction then
    rolls the coupon back with it.
    """
    async with db.transaction():
        existing = await by_issue_key(new.issue_key)
        if existing is not None:
            return existing, False
        spend_key = f"spend:{new.issue_key}" if new.points_cost > 0 else None
        row = await _insert(member_id, new, spend_key, now, generate)
        if spend_key is not None:
            await spending.spend(
                member_id,
                new.points_cost,
                kind=new.spend_kind,
                key=spend_key,
                now=now,
                coupon_id=row["id"],
                reason=new.title,
            )
        await _announce(row, new)
        await webhook_events.coupon_issued(member_id, _public(row), now=now)
    return row, True


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """A coupon as webhook receivers see it."""
    return {
        "id": row["id"],
        "code": codes.display(row["code"]),
        "source": row["source"],
        "title": row["title"],
        "kind": row["kind"],
        "value": row["value"],
        "min_order_minor": row["min_order_minor"],
        "points_cost": row["points_cost"],
        "issued_at": row["issued_at"].isoformat(),
        "expires_at": row["expires_at"].isoformat(),
    }


async def by_issue_key(issue_key: str) -> dict[str, Any] | None:
    row = await db.fetchrow(f"SELECT {COLUMNS} FROM coupon c WHERE c.issue_key = $1", issue_key)
    return None if row is None else dict(row)


async def _insert(
    member_id: int, new: NewCoupon, spend_key: str | None, now: datetime, generate: codes.Generator
) -> dict[str, Any]:
    """Insert with a fresh code, drawing again on the (astronomically rare) collision."""
    for _ in range(CODE_ATTEMPTS):
        row = await db.fetchrow(
            f"""INSERT INTO coupon AS c (member, code, issue_key, source, reward_id, title, kind,
                   value, sku, min_order_minor, points_cost, spend_key, status, issued_at,
                   expires_at, titles)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', $13, $14,
                       $15)
               ON CONFLICT (code) DO NOTHING RETURNING {COLUMNS}""",
            member_id,
            generate(),
            new.issue_key,
            new.source,
            new.reward_id,
            new.title,
            new.kind,
            new.value,
            new.sku,
            new.min_order_minor,
            new.points_cost,
            spend_key,
            now,
            now + timedelta(days=new.valid_days),
            db.dumps(new.titles),
        )
        if row is not None:
            return dict(row)
    raise RuntimeError("could not draw an unused coupon code")


async def _announce(row: dict[str, Any], new: NewCoupon) -> None:
    """The shopper's notification: ``reward_unlocked`` for a catalogue unlock, else issued."""
    event = "reward_unlocked" if new.source == "reward" else "coupon_issued"
    data = {
        "coupon_id": row["id"],
        "code": codes.display(row["code"]),
        "title": row["title"],
        "titles": new.titles,
        "expires_at": row["expires_at"].isoformat(),
        "value": row["value"],
        "kind": row["kind"],
        "min_order_minor": row["min_order_minor"],
        "source": row["source"],
    }
    if new.reward_id is not None:
        data |= {
            "reward_id": new.reward_id,
            "reward_title": new.title,
            "reward_titles": new.titles,
            "points": new.points_cost,
        }
    await outbox.enqueue(
        event,
        member_id=row["member"],
        dedupe_key=f"{event}:{row['id']}",
        now=row["issued_at"],
        data=data,
    )


async def held_points(member_id: int, now: datetime, *, except_order: str | None = None) -> int:
    """Points held by live checkout reservations (other than ``except_order``'s)."""
    total = await db.fetchval(
        """SELECT coalesce(sum(points), 0) FROM redemption
           WHERE member = $1 AND status = 'held' AND hold_expires_at > $2
             AND order_id IS DISTINCT FROM $3""",
        member_id,
        now,
        except_order,
    )
    return int(total)


@reactions.on_points_moved(10)
async def threshold_reached(event: reactions.PointsMoved) -> None:
    """Rule 3 after every credit of available points (orders, grants, activity, returns).

    Answered from the balances the entry returned when they are below the threshold (the
    common case: no query). The member row stays locked by the entry's cache update until
    commit, so those balances are current unless a later entry moved them, and a later
    credit is announced and checked in turn."""
    if event.delta.available <= 0:
        return
    rules = await program.get_rules()
    if event.balances.available < rules.threshold_points:
        return
    await issue_due(event.member_id, now=event.now, rules=rules)


@reactions.on_order_advanced(10)
async def threshold_freed(event: reactions.OrderAdvanced) -> None:
    """Rule 3 after a cancellation: it may have released a checkout hold without any entry."""
    if event.status == "cancelled":
        await issue_due(event.member_id, now=event.now)


async def issue_due(
    member_id: int, *, now: datetime, rules: ProgramRules | None = None
) -> list[dict[str, Any]]:
    """Rule 3: burn the threshold and issue a coupon while free points reach it.

    Runs in the transaction that credited points (:func:`threshold_reached`). Blocked
    members, a program without threshold, or an inactive program issue nothing.
    """
    rules = rules or await program.get_rules()
    threshold = rules.threshold_points
    if threshold <= 0 or not rules.active:
        return []
    issued: list[dict[str, Any]] = []
    async with db.transaction():
        member = await locking.lock_member(member_id)
        if member is None or member.blocked or member.available < threshold:
            return []
        held, seq = await _held_and_threshold_count(member_id, now)
        free = member.available - held
        while free >= threshold:
            seq += 1
            row, _ = await issue(member_id, _threshold_coupon(rules, member_id, seq), now=now)
            issued.append(row)
            free -= threshold
    return issued


async def _held_and_threshold_count(member_id: int, now: datetime) -> tuple[int, int]:
    """:func:`held_points` and the member's threshold coupons so far, in one round trip (this
    runs after most credits of an order history: one statement less per coupon issued)."""
    row = await db.fetchrow(
        """SELECT (SELECT coalesce(sum(points), 0) FROM redemption
                    WHERE member = $1 AND status = 'held' AND hold_expires_at > $2
                      AND order_id IS DISTINCT FROM $3) AS held,
                  (SELECT count(*) FROM coupon WHERE member = $1 AND source = 'threshold')
                    AS issued""",
        member_id,
        now,
        None,  # held_points' predicate exactly, with no order excepted
    )
    assert row is not None
    return int(row["held"]), int(row["issued"])


def _threshold_coupon(rules: ProgramRules, member_id: int, seq: int) -> NewCoupon:
    terms = rules.coupon
    return NewCoupon(
        **titles_of(terms, rules.default_locale),
        kind=terms.kind,
        value=terms.value,
        sku=terms.sku,
        min_order_minor=terms.min_order_minor,
        valid_days=terms.valid_days,
        source="threshold",
        issue_key=f"threshold:{member_id}:{seq}",
        points_cost=rules.threshold_points,
        spend_kind="coupon_burn",
    )


def titles_of(terms: CouponTerms, default_locale: str) -> dict[str, Any]:
    """``title`` (the default locale's) and ``titles`` (every locale's) of ``terms``: the
    ``NewCoupon`` fields for its text."""
    return {
        "title": texts.pick(terms.title, default_locale, default_locale),
        "titles": texts.as_map(terms.title, default_locale),
    }


def title_for(row: dict[str, Any], locale: str | None) -> str:
    """A coupon row's title in ``locale``, else the default locale's (``row["title"]``)."""
    return texts.local(row.get("titles"), locale, row["title"])


async def list_for_member(member_id: int, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    """A member's coupons: usable ones first (soonest to expire first), then the rest."""
    rows = await db.fetch(
        f"""SELECT {COLUMNS},
                  (SELECT max(r.hold_expires_at) FROM redemption r
                   WHERE r.coupon_id = c.id AND r.status = 'held' AND r.hold_expires_at > $2)
                  AS reserved_until
           FROM coupon c WHERE c.member = $1
           ORDER BY (c.status = 'active' AND c.expires_at > $2) DESC,
                    CASE WHEN c.status = 'active' AND c.expires_at > $2 THEN c.expires_at END,
                    coalesce(c.used_at, c.voided_at, c.expires_at) DESC, c.id DESC
           LIMIT $3""",
        member_id,
        now,
        limit,
    )
    return [dict(r) for r in rows]


async def mark_used(coupon_id: int, order_id: str, now: datetime) -> bool:
    """Active -> used by ``order_id``, atomically; ``False`` if someone else got there first."""
    done = await db.fetchrow(
        """UPDATE coupon SET status = 'used', used_at = $3, used_order_id = $2
           WHERE id = $1 AND status = 'active' RETURNING member, code""",
        coupon_id,
        order_id,
        now,
    )
    if done is not None:
        await webhook_events.coupon_redeemed(
            done["member"], coupon_id, codes.display(done["code"]), order_id, now=now
        )
    return done is not None


async def unuse(coupon_id: int, order_id: str) -> bool:
    """Give a coupon back after its order was cancelled (only if that order used it)."""
    done = await db.fetchval(
        """UPDATE coupon SET status = 'active', used_at = NULL, used_order_id = NULL
           WHERE id = $1 AND status = 'used' AND used_order_id = $2 RETURNING id""",
        coupon_id,
        order_id,
    )
    return done is not None


async def void(coupon_id: int, *, reason: str, now: datetime) -> bool:
    """Void an unused coupon and give its points back into the lots they came from."""
    row = await db.fetchrow(
        """UPDATE coupon SET status = 'void', voided_at = $2, void_reason = $3
           WHERE id = $1 AND status = 'active' RETURNING spend_key, points_cost""",
        coupon_id,
        now,
        reason,
    )
    if row is None:
        return False
    if row["spend_key"]:
        await spending.give_back(
            row["spend_key"],
            row["points_cost"],
            key=f"coupon_void:{coupon_id}",
            now=now,
            kind="coupon_void",
            reason=reason,
        )
    return True


_PAID_BY_ORDER = """
SELECT DISTINCT c.id FROM coupon c
JOIN ledger_entry s ON s.idempotency_key = c.spend_key
JOIN lot_use u ON u.entry = s.id
JOIN point_lot l ON l.id = u.lot
JOIN ledger_entry e ON e.id = l.entry
WHERE c.member = $1 AND c.status = 'active' AND c.expires_at > $3
  AND e.order_id = $2 AND e.kind = 'earn_confirm'
  AND NOT EXISTS (SELECT 1 FROM redemption r WHERE r.coupon_id = c.id AND r.status = 'held'
                  AND r.hold_expires_at > $3)
ORDER BY c.id DESC
"""


async def void_clawed_back(member_id: int, order_id: str, *, now: datetime) -> list[int]:
    """After a clawback left the balance negative, void unused coupons paid with that order's
    points (newest first) until the balance is no longer negative. Returns their ids."""
    available = await db.fetchval("SELECT available FROM member WHERE id = $1", member_id)
    if available is None or available >= 0:
        return []
    voided: list[int] = []
    for row in await db.fetch(_PAID_BY_ORDER, member_id, order_id, now):
        if await void(row["id"], reason=f"points of order {order_id} were clawed back", now=now):
            voided.append(row["id"])
        available = await db.fetchval("SELECT available FROM member WHERE id = $1", member_id)
        if available >= 0:
            break
    return voided
