"""One person, one member: a member made by phone at the till and the shop's own customer id.

A cashier creates ``tel:4791234567`` from a phone number; later the shop sends
``PUT /v1/shop/customers/{its id}`` with the same number. :func:`claim_phone` (run inside the
profile update's transaction, before the member is looked up) makes that end in one member:

- the shop's id is new: the by-phone member is **renamed** to it (nothing else changes);
- the shop's id already has a member: the by-phone member is **merged into** it and deleted.
  Every row that names the by-phone member (ledger entries, lots, orders, coupons,
  notifications, devices, activity... found from the database catalogue, so tables added
  later come along) is moved over, the cached balances are added up in the same statement
  (so cache == ledger still holds), and profile fields the shop's member lacks are filled in.
  Where both members hold a row under one unique key (an activity counted once per member),
  the shop's member's row stays and the other is dropped.
- the number belongs to another shop customer: 409 ``phone_taken`` (a number is unique).

The ledger's entries are never rewritten except for this change of owner, which is audited
(``member.merge``, with the counts moved).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import audit, db
from loyalty.errors import Conflict
from loyalty.rewards import coupons

PLACEHOLDER = "tel:"
"""Customer ids of members made by phone at the till start with this."""
_BALANCES = ("available", "pending", "lifetime", "spent", "expired")


def placeholder_id(phone: str) -> str:
    """The customer id of a member made from ``phone`` (E.164) at the till."""
    return PLACEHOLDER + phone.removeprefix("+")


def is_placeholder(customer_id: str) -> bool:
    return customer_id.startswith(PLACEHOLDER)


async def claim_phone(customer_id: str, phone: str, *, now: datetime) -> None:
    """Make ``phone`` free for ``customer_id`` (see the module doc); call in a transaction."""
    holder = await db.fetchrow(
        "SELECT id, customer_id FROM member WHERE phone = $1 FOR UPDATE", phone
    )
    if holder is None or holder["customer_id"] == customer_id:
        return
    if not is_placeholder(holder["customer_id"]):
        raise Conflict("phone_taken", "another customer has this phone number", field="phone")
    target = await db.fetchrow(
        "SELECT id, customer_id FROM member WHERE customer_id = $1 FOR UPDATE", customer_id
    )
    if target is None:
        await _rename(holder["id"], holder["customer_id"], customer_id, now=now)
    else:
        await merge_into(holder["id"], target["id"], now=now)


async def _rename(member_id: int, old: str, new: str, *, now: datetime) -> None:
    await db.execute("UPDATE member SET customer_id = $2, updated_at = $3 WHERE id = $1", member_id,
                     new, now)  # fmt: skip
    await db.execute("UPDATE member SET referred_by = $2 WHERE referred_by = $1", old, new)
    await audit.record("shop", "member.link", now=now, target=new, details={"from": old})


async def merge_into(source: int, target: int, *, now: datetime) -> dict[str, int]:
    """Move everything of member ``source`` to member ``target`` and delete ``source``."""
    rows = await db.fetch(
        f"SELECT id, customer_id, {', '.join(_BALANCES)} FROM member WHERE id = ANY($1::bigint[])"
        " ORDER BY id FOR UPDATE",
        [source, target],
    )
    by_id = {r["id"]: r for r in rows}
    src, dst = by_id[source], by_id[target]
    moved: dict[str, int] = {}
    for table, column in await _references():
        await _drop_duplicates(table, column, source, target)
        status = await db.execute(
            f'UPDATE "{table}" SET "{column}" = $2 WHERE "{column}" = $1', source, target
        )
        if (count := int(status.split()[-1])) > 0:
            moved[f"{table}.{column}"] = count
    await _merge_member_rows(source, target, now)
    await db.execute(
        "UPDATE member SET referred_by = $2 WHERE referred_by = $1",
        src["customer_id"],
        dst["customer_id"],
    )
    await db.execute("DELETE FROM member WHERE id = $1", source)
    await coupons.issue_due(target, now=now)  # rule 3: the sum may cross the threshold
    await audit.record(
        "shop",
        "member.merge",
        now=now,
        target=dst["customer_id"],
        details={"from": src["customer_id"], "moved": moved,
                 "balances": {b: src[b] for b in _BALANCES}},
    )  # fmt: skip
    return moved


async def _merge_member_rows(source: int, target: int, now: datetime) -> None:
    """Balances added up; profile gaps filled from the by-phone member; consent kept strict."""
    await db.execute("UPDATE member SET phone = NULL, referral_code = NULL WHERE id = $1", source)
    sums = ", ".join(f"{b} = t.{b} + s.{b}" for b in _BALANCES)
    await db.execute(
        f"""UPDATE member t SET {sums},
               email = coalesce(t.email, s.email), name = coalesce(t.name, s.name),
               birthday = coalesce(t.birthday, s.birthday),
               timezone = coalesce(t.timezone, s.timezone),
               newsletter = t.newsletter OR s.newsletter, blocked = t.blocked OR s.blocked,
               blocked_reason = coalesce(t.blocked_reason, s.blocked_reason),
               sms_opt_in = t.sms_opt_in AND s.sms_opt_in,
               sms_block = coalesce(s.sms_block, t.sms_block),
               referred_by = coalesce(t.referred_by, s.referred_by),
               last_order_at = greatest(t.last_order_at, s.last_order_at),
               points_expire_at = greatest(t.points_expire_at, s.points_expire_at),
               created_at = least(t.created_at, s.created_at), updated_at = $3
           FROM member s WHERE t.id = $2 AND s.id = $1""",
        source,
        target,
        now,
    )


async def _references() -> list[tuple[str, str]]:
    """Every (table, column) that holds a member id: foreign keys to ``member`` and the
    plain ``member`` columns of tables that keep the id without one (deliveries, opens)."""
    rows = await db.fetch(
        """SELECT c.conrelid::regclass::text AS tbl, a.attname AS col
           FROM pg_constraint c
           JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
           WHERE c.contype = 'f' AND c.confrelid = 'member'::regclass
           UNION
           SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND column_name = 'member'
             AND table_name <> 'member' AND data_type = 'bigint'
           ORDER BY 1, 2"""
    )
    return [(r["tbl"].strip('"'), r["col"]) for r in rows]


async def _drop_duplicates(table: str, column: str, source: int, target: int) -> None:
    """Rows of ``source`` that would collide with ``target``'s under a unique index."""
    for other in await _unique_partners(table, column):
        match = " AND ".join(f'd."{c}" = s."{c}"' for c in other) or "TRUE"
        await db.execute(
            f'''DELETE FROM "{table}" s WHERE s."{column}" = $1 AND EXISTS (
                    SELECT 1 FROM "{table}" d WHERE d."{column}" = $2 AND {match})''',
            source,
            target,
        )


async def _unique_partners(table: str, column: str) -> list[list[str]]:
    """For each unique index of ``table`` that includes ``column``: its other columns."""
    rows: list[Any] = await db.fetch(
        """SELECT array_agg(a.attname::text) FILTER (WHERE a.attname <> $2) AS others
           FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
           WHERE i.indrelid = $1::regclass AND i.indisunique
           GROUP BY i.indexrelid
           HAVING bool_or(a.attname = $2)""",
        table,
        column,
    )
    return [list(r["others"] or []) for r in rows]
