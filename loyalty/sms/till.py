"""The till: find or create the member for a phone number, and what the cashier sees.

``PUT /v1/shop/customers/by-phone/{phone}`` is safe to race: the number is unique in the
database, so twenty tills typing one new number at once create one member (``INSERT ... ON
CONFLICT DO NOTHING``, then read the winner). The new member gets what every new member
gets (welcome, account-created points) and the customer id ``tel:<digits>`` until the shop
sends its own id with the same phone (``loyalty.sms.merge``).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import db, members, order_history, program
from loyalty.rewards import coupons, pricing
from loyalty.sms import merge, phones
from schemas.program import ProgramRules

RECENT_ORDERS = 3
COUPONS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Found:
    member: dict[str, Any]
    created: bool


async def find_or_create(raw_phone: str, profile: members.Profile, *, now: datetime) -> Found:
    """The member with this phone (any common spelling), created when there is none."""
    phone = await phones.normalise(raw_phone)
    created = False
    async with db.transaction():
        member_id = await db.fetchval("SELECT id FROM member WHERE phone = $1", phone)
        if member_id is None:
            member_id, created = await _create(phone, now)
    customer_id = await db.fetchval("SELECT customer_id FROM member WHERE id = $1", member_id)
    if _has_fields(profile):
        row = await members.upsert_profile(customer_id, profile, now=now)
    else:
        row = await members.get(customer_id)
    return Found(row, created)


async def _create(phone: str, now: datetime) -> tuple[int, bool]:
    """Insert the member for ``phone``, or find the one a concurrent till just inserted."""
    for customer_id in (merge.placeholder_id(phone), f"{merge.placeholder_id(phone)}-{_tag()}"):
        created = await db.fetchval(
            """INSERT INTO member (customer_id, phone, created_at, updated_at)
               VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING RETURNING id""",
            customer_id,
            phone,
            now,
        )
        if created is not None:
            await members.on_created(created, now=now)
            return int(created), True
        found = await db.fetchval("SELECT id FROM member WHERE phone = $1", phone)
        if found is not None:
            return int(found), False
    raise RuntimeError("could not create a member for a phone number")  # pragma: no cover


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _has_fields(profile: members.Profile) -> bool:
    return any(getattr(profile, f.name) is not None for f in dataclasses.fields(profile))


@dataclass(frozen=True, slots=True)
class StoreCredit:
    """Rule 5's view of the balance as money: what ``available`` points are worth."""

    value_minor: int
    currency: str
    can_pay_now: bool
    reasons: list[str]
    min_order_minor: int
    max_discount_minor: int


def store_credit(member: dict[str, Any], rules: ProgramRules) -> StoreCredit | None:
    """``None`` when points do not pay in this program."""
    money = rules.points_as_money
    if not money.enabled:
        return None
    reasons = []
    if member["blocked"]:
        reasons.append("member_blocked")
    if member["available"] < money.min_balance:
        reasons.append("below_min_balance")
    return StoreCredit(
        value_minor=pricing.points_value(money, member["available"]),
        currency=rules.currency,
        can_pay_now=not reasons,
        reasons=reasons,
        min_order_minor=money.min_order_minor,
        max_discount_minor=money.max_discount_minor,
    )


@dataclass(frozen=True, slots=True)
class TillView:
    member: dict[str, Any]
    rules: ProgramRules
    coupons: list[dict[str, Any]]
    recent_orders: list[dict[str, Any]]
    credit: StoreCredit | None


async def view(member: dict[str, Any], *, now: datetime) -> TillView:
    """Everything the till shows for one member."""
    rules = await program.get_rules()
    rows = await coupons.list_for_member(member["id"], now=now, limit=COUPONS_SHOWN)
    active = [r for r in rows if coupons.status_at(r, now) == "active"]
    recent, _ = await order_history.page(member["id"], cursor=None, limit=RECENT_ORDERS)
    return TillView(member, rules, active, recent, store_credit(member, rules))
