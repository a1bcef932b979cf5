"""The member row lock every service takes before it reads a balance it will act on.

One statement instead of one per service. ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: a
concurrent transaction inserting a row that references the member (an order, a ledger entry)
holds ``KEY SHARE`` on it; ``FOR UPDATE`` would wait for it while it waits for us (a deadlock
between two orders of one member). Lock order when several rows are locked: the order row,
then the member row, then redemption and coupon rows. Locks fused into a larger statement
(the validity settings read in ``validity.stamps``) or over many members at once (the expiry
job, ``ledger.post_expiries``, id order, ``SKIP LOCKED``) stay in that statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from loyalty import db


@dataclass(frozen=True, slots=True)
class LockedMember:
    """The member row's columns services decide on, read under the lock."""

    id: int
    customer_id: str
    available: int
    blocked: bool
    timezone: str | None
    referral_code: str | None


_LOCK = """SELECT id, customer_id, available, blocked, timezone, referral_code FROM member
WHERE {} FOR NO KEY UPDATE"""
_BY_ID = _LOCK.format("id = $1")
_BY_CUSTOMER = _LOCK.format("customer_id = $1")


async def lock_member(member_id: int) -> LockedMember | None:
    """Lock the member row until the transaction ends; ``None`` if there is no such member."""
    _in_transaction()
    return _locked(await db.fetchrow(_BY_ID, member_id))


async def lock_customer(customer_id: str) -> LockedMember | None:
    """:func:`lock_member` by the shop's customer id."""
    _in_transaction()
    return _locked(await db.fetchrow(_BY_CUSTOMER, customer_id))


def _in_transaction() -> None:
    if db.DB.current_transaction.get() is None:
        raise RuntimeError("a member lock must be taken inside a transaction")


def _locked(row: Any) -> LockedMember | None:
    return None if row is None else LockedMember(**dict(row))
