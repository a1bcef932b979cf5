"""The append-only points ledger and the balance cache it keeps on the member row.

Every change of points is :func:`post`: one entry with a unique idempotency key and signed
deltas per balance, and the same deltas added to the member's cached columns in the same
statement pair. A repeated key changes nothing, so every caller may safely retry.
:func:`drift` proves cache == ledger for every member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import db

BALANCES = ("available", "pending", "lifetime", "spent", "expired")


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


_INSERT = """
INSERT INTO ledger_entry (member, kind, available, pending, lifetime, spent, expired,
    idempotency_key, order_id, coupon_id, actor, reason, effective_at, created_at, meta)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::jsonb)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id
"""

_APPLY = """
UPDATE member SET available = available + $2, pending = pending + $3,
    lifetime = lifetime + $4, spent = spent + $5, expired = expired + $6, updated_at = $7
WHERE id = $1
RETURNING available, pending, lifetime, spent, expired
"""


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
) -> Balances | None:
    """Write one entry and move the cache; ``None`` when ``key`` was already posted.

    Must run inside a transaction: the entry and the cache move together or not at all.
    """
    if db.DB.current_transaction.get() is None:
        raise RuntimeError("ledger.post must run inside a transaction")
    entry_id = await db.fetchval(
        _INSERT,
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
        effective_at or now,
        now,
        db.dumps(meta or {}),
    )
    if entry_id is None:
        return None
    row = await db.fetchrow(
        _APPLY,
        member_id,
        delta.available,
        delta.pending,
        delta.lifetime,
        delta.spent,
        delta.expired,
        now,
    )
    assert row is not None, f"member {member_id} vanished under a ledger entry"
    return Balances(**dict(row))


async def drift(limit: int = 100) -> list[dict[str, Any]]:
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
    return [dict(r) for r in rows]


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
