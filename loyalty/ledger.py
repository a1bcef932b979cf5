"""The append-only points ledger, the balance cache on the member row, and point lots.

Every change of points is :func:`post`: one entry with a unique idempotency key and signed
deltas per balance, and the same deltas added to the member's cached columns in the same
transaction. A repeated key changes nothing, so every caller may safely retry.
:func:`drift` proves cache == ledger for every member.

Lots: every credit of available points becomes a lot (or gives back the lots a reversed debit
had used); every debit consumes lots oldest first (optionally only lots earned since a date,
or only named lots) and records which, in ``lot_use``. The sum of remaining lot points equals
the positive part of the available balance; a debit beyond the lots (a clawback of points
already spent) takes the balance negative without touching lots.

After each entry actually written, :func:`post` announces :class:`loyalty.reactions.PointsMoved`
in the same transaction (threshold coupons, per-lot expiry dates, tiers, webhooks react there;
see ``docs/ARCHITECTURE.md``); the ledger itself imports no feature.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import db, reactions


@dataclass(frozen=True, slots=True)
class Delta:
    """Signed changes to each balance an entry makes."""

    available: int = 0
    pending: int = 0
    lifetime: int = 0
    spent: int = 0
    expired: int = 0

    def is_zero(self) -> bool:
        return not any((self.available, self.pending, self.lifetime, self.spent, self.expired))


@dataclass(frozen=True, slots=True)
class Balances:
    available: int
    pending: int
    lifetime: int
    spent: int
    expired: int


@dataclass(frozen=True, slots=True)
class Drift:
    """A member whose cached balances differ from the sums of their entries."""

    customer_id: str
    cached: Balances
    ledger: Balances


@dataclass(frozen=True, slots=True)
class LotDrift:
    """A member whose open lots do not add up to the positive part of their balance."""

    customer_id: str
    available: int
    lots: int


@dataclass(frozen=True, slots=True)
class LotRule:
    """How an entry touches lots.

    ``earned_since``: a debit may use only lots earned at or after it (rule 5's age limit).
    ``only_lots``: a debit uses only these lots (per-lot expiry names the lots it expires).
    ``restore_entry``: a credit gives back first the lots this earlier debit consumed.
    ``expires_at``: the expiry of a new lot (per-lot validity), else none.
    """

    earned_since: datetime | None = None
    only_lots: tuple[int, ...] | None = None
    restore_entry: int | None = None
    expires_at: datetime | None = None


_POST = """
WITH entry AS (
    INSERT INTO ledger_entry (member, kind, available, pending, lifetime, spent, expired,
        idempotency_key, order_id, coupon_id, actor, reason, effective_at, created_at, meta)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING id
), cache AS (
    UPDATE member m SET available = m.available + $3, pending = m.pending + $4,
        lifetime = m.lifetime + $5, spent = m.spent + $6, expired = m.expired + $7,
        updated_at = $14
    FROM entry WHERE m.id = $1
    RETURNING m.available, m.pending, m.lifetime, m.spent, m.expired
), lot AS (
    INSERT INTO point_lot (member, entry, earned_at, expires_at, points, remaining)
    SELECT $1, entry.id, $13, $16, least($3, cache.available), least($3, cache.available)
    FROM entry, cache WHERE $17 AND least($3, cache.available) > 0
)
SELECT entry.id, cache.available, cache.pending, cache.lifetime, cache.spent, cache.expired
FROM entry LEFT JOIN cache ON true
"""
"""One round trip: the entry, the member's cached balances and, for a plain credit ($17), its
lot (the part of the credit above a negative balance). The cache update runs only when the
entry was written (a repeated key changes nothing) and locks the member row."""


async def post(
    member_id: int,
    kind: str,
    delta: Delta,
    *,
    key: str,
    now: datetime,
    effective_at: datetime | None = None,
    order_id: str | None = None,
    coupon_id: int | None = None,
    actor: str | None = None,
    reason: str | None = None,
    meta: dict[str, Any] | None = None,
    lots: LotRule | None = None,
) -> Balances | None:
    """Write one entry, move the cache and the lots; ``None`` when ``key`` was already posted.

    Must run inside a transaction: the entry, the cache, the lots and the reactions to the
    entry (:func:`loyalty.reactions.points_moved`) happen together or not at all. The member
    row is locked by the cache update before lots are touched, so lots of one member never
    change concurrently. A new lot has no expiry unless ``lots.expires_at`` says so; the
    validity area's reaction dates it under a per-lot policy.
    """
    if db.DB.current_transaction.get() is None:
        raise RuntimeError("ledger.post must run inside a transaction")
    rule = lots or LotRule()
    earned_at = effective_at or now
    plain_credit = delta.available > 0 and rule.restore_entry is None
    row = await db.fetchrow(
        _POST,
        member_id,
        kind,
        delta.available,
        delta.pending,
        delta.lifetime,
        delta.spent,
        delta.expired,
        key,
        order_id,
        coupon_id,
        actor,
        reason,
        earned_at,
        now,
        db.dumps(meta or {}),
        rule.expires_at,
        plain_credit,
    )
    if row is None:
        return None
    assert row["available"] is not None, f"member {member_id} vanished under a ledger entry"
    balances = Balances(
        row["available"], row["pending"], row["lifetime"], row["spent"], row["expired"]
    )
    if delta.available > 0 and not plain_credit:
        await _credit_lots(
            member_id, row["id"], delta.available, balances.available, earned_at, rule
        )
    elif delta.available < 0:
        await _debit_lots(member_id, row["id"], -delta.available, rule)
    await reactions.points_moved(
        reactions.PointsMoved(
            member_id=member_id,
            entry_id=row["id"],
            kind=kind,
            delta=delta,
            balances=balances,
            key=key,
            order_id=order_id,
            now=now,
        )
    )
    return balances


async def _credit_lots(
    member_id: int,
    entry_id: int,
    points: int,
    available_after: int,
    earned_at: datetime,
    rule: LotRule,
) -> None:
    """Credit ``points`` to lots; the part that only repays a negative balance makes none."""
    to_lots = min(points, max(available_after, 0))
    if to_lots <= 0:
        return
    if rule.restore_entry is not None:
        to_lots -= await _restore(rule.restore_entry, to_lots)
    if to_lots > 0:
        await db.execute(
            """INSERT INTO point_lot (member, entry, earned_at, expires_at, points, remaining)
               VALUES ($1, $2, $3, $4, $5, $5)""",
            member_id,
            entry_id,
            earned_at,
            rule.expires_at,
            to_lots,
        )


async def _restore(debit_entry: int, points: int) -> int:
    """Give back up to ``points`` to the lots ``debit_entry`` used, most recent lots first."""
    restored = await db.fetchval(
        """WITH used AS (
               SELECT u.lot, sum(u.points) AS points FROM lot_use u
               WHERE u.entry = $1 GROUP BY u.lot
           ), room AS (
               SELECT l.id, least(used.points, l.points - l.remaining) AS room, l.earned_at
               FROM used JOIN point_lot l ON l.id = used.lot
           ), ordered AS (
               SELECT id, room,
                      sum(room) OVER (ORDER BY earned_at DESC, id DESC) - room AS before
               FROM room WHERE room > 0
           ), give AS (
               SELECT id, least(room, $2 - before) AS give FROM ordered WHERE before < $2
           ), upd AS (
               UPDATE point_lot l SET remaining = l.remaining + give.give FROM give
               WHERE l.id = give.id RETURNING give.give
           )
           SELECT coalesce(sum(give), 0) FROM upd""",
        debit_entry,
        points,
    )
    return int(restored)


async def _debit_lots(member_id: int, entry_id: int, points: int, rule: LotRule) -> None:
    """Consume up to ``points`` from open lots, oldest first, recording each use."""
    await db.execute(
        """WITH ordered AS (
               SELECT id, remaining,
                      sum(remaining) OVER (ORDER BY earned_at, id) - remaining AS before
               FROM point_lot
               WHERE member = $1 AND remaining > 0
                 AND ($4::timestamptz IS NULL OR earned_at >= $4)
                 AND ($5::bigint[] IS NULL OR id = ANY($5))
           ), take AS (
               SELECT id, least(remaining, $2 - before) AS take FROM ordered WHERE before < $2
           ), upd AS (
               UPDATE point_lot l SET remaining = l.remaining - take.take FROM take
               WHERE l.id = take.id RETURNING l.id, take.take
           )
           INSERT INTO lot_use (entry, lot, points) SELECT $3, id, take FROM upd""",
        member_id,
        points,
        entry_id,
        rule.earned_since,
        list(rule.only_lots) if rule.only_lots is not None else None,
    )


async def post_expiries(
    member_ids: list[int], lots_sql: str, args: tuple[Any, ...], *, now: datetime
) -> list[int]:
    """The bulk form of :func:`post` for the expiry job (``loyalty.validity.expiry``).

    ``lots_sql`` (its parameters are ``args``, from ``$1``) selects ``member, lot, points, key,
    effective_at, meta``: each lot gives ``points`` of its remainder, and each distinct ``key``
    becomes one ``expire`` entry moving their sum from ``available`` to ``expired``. The same
    guarantees as :func:`post`: inside a transaction; the members are locked first (id order)
    so the lots read are current; a key already posted changes nothing; the cache, the lots and
    ``lot_use`` move with exactly the entries written. In the same single update of each member
    row, a rolling date (``points_expire_at``) that has passed is consumed. Each new entry is
    then announced (``PointsMoved``; ``balances`` are the member's after the whole batch).
    Returns the new entries' ids.
    """
    if db.DB.current_transaction.get() is None:
        raise RuntimeError("ledger.post_expiries must run inside a transaction")
    if not member_ids:
        return []
    await db.execute(
        "SELECT 1 FROM member WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE", member_ids
    )
    n = len(args)
    rows = await db.fetch(
        f"""WITH picked AS MATERIALIZED (
               SELECT DISTINCT ON (s.lot) s.member, s.lot, s.points, s.key, s.effective_at,
                      s.meta
               FROM ({lots_sql}) AS s JOIN point_lot l ON l.id = s.lot AND l.member = s.member
               WHERE s.member = ANY(${n + 1}::bigint[]) AND s.points > 0
           ), g AS (
               SELECT key, min(member) AS member, sum(points) AS points,
                      min(effective_at) AS effective_at, min(meta::text)::jsonb AS meta
               FROM picked GROUP BY key
           ), entries AS (
               INSERT INTO ledger_entry (member, kind, available, expired, idempotency_key,
                   effective_at, created_at, meta)
               SELECT g.member, 'expire', -g.points, g.points, g.key, g.effective_at,
                      ${n + 2}, g.meta
               FROM g
               ON CONFLICT (idempotency_key) DO NOTHING
               RETURNING id, member, idempotency_key, expired AS points
           ), moved AS (
               SELECT member, sum(points) AS points FROM entries GROUP BY member
           ), cache AS (
               UPDATE member m SET available = m.available - coalesce(t.points, 0),
                   expired = m.expired + coalesce(t.points, 0),
                   points_expire_at = CASE WHEN m.points_expire_at <= ${n + 2} THEN NULL
                                           ELSE m.points_expire_at END,
                   updated_at = ${n + 2}
               FROM (SELECT DISTINCT id FROM unnest(${n + 1}::bigint[]) AS u(id)) u
               LEFT JOIN moved t ON t.member = u.id
               WHERE m.id = u.id AND (t.points IS NOT NULL OR m.points_expire_at <= ${n + 2})
               RETURNING m.id, m.available, m.pending, m.lifetime, m.spent, m.expired
           ), uses AS (
               INSERT INTO lot_use (entry, lot, points)
               SELECT e.id, p.lot, p.points
               FROM entries e JOIN picked p ON p.key = e.idempotency_key
           ), lots AS (
               UPDATE point_lot l SET remaining = l.remaining - p.points
               FROM entries e JOIN picked p ON p.key = e.idempotency_key WHERE l.id = p.lot
           )
           SELECT e.id, e.member, e.idempotency_key, e.points, c.available, c.pending,
                  c.lifetime, c.spent, c.expired
           FROM entries e JOIN cache c ON c.id = e.member ORDER BY e.id""",
        *args,
        member_ids,
        now,
    )
    for r in rows:
        await reactions.points_moved(_expired(r, now))
    return [r["id"] for r in rows]


def _expired(row: Any, now: datetime) -> reactions.PointsMoved:
    points = row["points"]
    return reactions.PointsMoved(
        member_id=row["member"],
        entry_id=row["id"],
        kind="expire",
        delta=Delta(available=-points, expired=points),
        balances=Balances(
            row["available"], row["pending"], row["lifetime"], row["spent"], row["expired"]
        ),
        key=row["idempotency_key"],
        order_id=None,
        now=now,
    )


async def spendable(member_id: int, *, earned_since: datetime | None = None) -> int:
    """Points a debit restricted to lots earned since ``earned_since`` could use now."""
    total = await db.fetchval(
        """SELECT coalesce(sum(remaining), 0) FROM point_lot
           WHERE member = $1 AND remaining > 0
             AND ($2::timestamptz IS NULL OR earned_at >= $2)""",
        member_id,
        earned_since,
    )
    return int(total)


async def lot_drift(limit: int = 100) -> list[LotDrift]:
    """Members whose open lots do not add up to the positive part of their balance."""
    rows = await db.fetch(
        """SELECT m.customer_id, m.available, coalesce(l.remaining, 0) AS lots
           FROM member m LEFT JOIN (
               SELECT member, sum(remaining) AS remaining FROM point_lot GROUP BY member
           ) l ON l.member = m.id
           WHERE greatest(m.available, 0) <> coalesce(l.remaining, 0)
           ORDER BY m.id LIMIT $1""",
        limit,
    )
    return [LotDrift(r["customer_id"], r["available"], int(r["lots"])) for r in rows]


async def drift(limit: int = 100) -> list[Drift]:
    """Members whose cached balances differ from the sums of their ledger entries."""
    rows = await db.fetch(
        """
        SELECT m.customer_id,
               m.available, m.pending, m.lifetime, m.spent, m.expired,
               coalesce(l.available, 0) AS l_available, coalesce(l.pending, 0) AS l_pending,
               coalesce(l.lifetime, 0) AS l_lifetime, coalesce(l.spent, 0) AS l_spent,
               coalesce(l.expired, 0) AS l_expired
        FROM member m
        LEFT JOIN (
            SELECT member, sum(available) AS available, sum(pending) AS pending,
                   sum(lifetime) AS lifetime, sum(spent) AS spent, sum(expired) AS expired
            FROM ledger_entry GROUP BY member
        ) l ON l.member = m.id
        WHERE (m.available, m.pending, m.lifetime, m.spent, m.expired)
          IS DISTINCT FROM (coalesce(l.available, 0), coalesce(l.pending, 0),
                            coalesce(l.lifetime, 0), coalesce(l.spent, 0),
                            coalesce(l.expired, 0))
        ORDER BY m.id
        LIMIT $1
        """,
        limit,
    )
    return [_drift(r) for r in rows]


def _drift(row: Any) -> Drift:
    names = ("available", "pending", "lifetime", "spent", "expired")
    return Drift(
        customer_id=row["customer_id"],
        cached=Balances(*(row[n] for n in names)),
        ledger=Balances(*(int(row[f"l_{n}"]) for n in names)),
    )


async def history(member_id: int, *, before_id: int | None, limit: int) -> list[dict[str, Any]]:
    """A member's entries, newest first, keyset-paginated by id."""
    rows = await db.fetch(
        """SELECT id, kind, available, pending, lifetime, spent, expired, order_id, coupon_id,
                  reason, effective_at, created_at, meta::text AS meta
           FROM ledger_entry WHERE member = $1 AND ($2::bigint IS NULL OR id < $2)
           ORDER BY id DESC LIMIT $3""",
        member_id,
        before_id,
        limit,
    )
    return [{**dict(r), "meta": db.loads(r["meta"])} for r in rows]
