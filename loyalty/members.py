"""Members: created on first contact, their profile, and the staff actions on them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from loyalty import audit, db, ledger, locking, outbox, reactions
from loyalty.activity import awards as activity_awards
from loyalty.errors import Conflict, Invalid, NotFound
from loyalty.validity.dates import is_zone
from loyalty.webhooks import events as webhook_events

_COLUMNS = """id, customer_id, email, phone, name, birthday, locale, timezone, newsletter,
    blocked, blocked_reason, available, pending, lifetime, spent, expired, last_order_at,
    points_expire_at, referral_code, referred_by, sms_opt_in, sms_block, created_at, updated_at"""


@dataclass(frozen=True, slots=True)
class Profile:
    """What the shop tells us about a customer. ``None`` leaves a field as it is."""

    email: str | None = None
    phone: str | None = None
    name: str | None = None
    birthday: date | None = None
    locale: str | None = None
    timezone: str | None = None
    newsletter: bool | None = None
    referral_code: str | None = None
    sms_opt_in: bool | None = None


async def ensure(customer_id: str, *, now: datetime) -> int:
    """The member id for ``customer_id``, creating the member on first contact."""
    member_id = await db.fetchval("SELECT id FROM member WHERE customer_id = $1", customer_id)
    if member_id is not None:
        return int(member_id)
    return await create(customer_id, now=now)


async def create(customer_id: str, *, now: datetime) -> int:
    """:func:`ensure` for a caller that has just seen no member: insert (with the welcome and
    the sign-up award), or take the id of the member a concurrent first contact created."""
    async with db.transaction():
        created = await db.fetchval(
            """INSERT INTO member (customer_id, created_at, updated_at) VALUES ($1, $2, $2)
               ON CONFLICT (customer_id) DO NOTHING RETURNING id""",
            customer_id,
            now,
        )
        if created is not None:
            await on_created(created, now=now)
            return int(created)
    return int(await db.fetchval("SELECT id FROM member WHERE customer_id = $1", customer_id))


async def on_created(member_id: int, *, now: datetime) -> None:
    """What a new member gets, however they were created (shop id or phone at the till)."""
    welcome = await activity_awards.account_created(member_id, now=now)
    await outbox.enqueue(
        "welcome", member_id=member_id, dedupe_key=f"welcome:{member_id}", now=now, data=welcome
    )
    await webhook_events.member_created(member_id, now=now)


async def upsert_profile(customer_id: str, profile: Profile, *, now: datetime) -> dict[str, Any]:
    """Create or update a member's profile (the shop's ``PUT /v1/shop/customers``)."""
    if profile.timezone is not None and not is_zone(profile.timezone):
        raise Invalid("invalid_timezone", "timezone must be an IANA time zone such as Europe/Oslo")
    from loyalty.sms import phones  # imports this module: import at call time

    phone = None if not profile.phone else await phones.normalise(profile.phone)
    try:
        return await _upsert(customer_id, profile, phone, now=now)
    except asyncpg.UniqueViolationError as exc:  # a concurrent update took the number first
        if exc.constraint_name != "member_phone_key":
            raise
        raise Conflict(
            "phone_taken", "another customer has this phone number", field="phone"
        ) from exc


async def _upsert(
    customer_id: str, profile: Profile, phone: str | None, *, now: datetime
) -> dict[str, Any]:
    from loyalty.sms import merge

    async with db.transaction():
        if phone is not None:
            await merge.claim_phone(customer_id, phone, now=now)
        member_id = await ensure(customer_id, now=now)
        row = await db.fetchrow(
            f"""UPDATE member SET email = coalesce($2, email),
                   sms_block = CASE WHEN $3::text IS DISTINCT FROM phone AND $3::text IS NOT NULL
                                    THEN NULL ELSE sms_block END,
                   phone = coalesce($3, phone),
                   name = coalesce($4, name), birthday = coalesce($5, birthday),
                   locale = coalesce($6, locale), timezone = coalesce($7, timezone),
                   newsletter = coalesce($8, newsletter),
                   sms_opt_in = coalesce($10, sms_opt_in), updated_at = $9
               WHERE id = $1 RETURNING {_COLUMNS}""",
            member_id,
            profile.email,
            phone,
            profile.name,
            profile.birthday,
            profile.locale,
            profile.timezone,
            profile.newsletter,
            now,
            profile.sms_opt_in,
        )
        assert row is not None
        await reactions.profile_saved(
            reactions.ProfileSaved(
                member_id=member_id,
                newsletter=row["newsletter"],
                referral_code=profile.referral_code,
                now=now,
            )
        )
    assert row is not None
    return dict(row)


async def get(customer_id: str) -> dict[str, Any]:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM member WHERE customer_id = $1", customer_id)
    if row is None:
        raise NotFound("member_not_found", f"no member with customer id {customer_id!r}")
    return dict(row)


async def find(customer_id: str) -> dict[str, Any] | None:
    row = await db.fetchrow(f"SELECT {_COLUMNS} FROM member WHERE customer_id = $1", customer_id)
    return None if row is None else dict(row)


async def search(query: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Find members by exact customer id, email or phone, or by part of the name."""
    q = query.strip()
    if not q:
        return []
    rows = await db.fetch(
        f"""SELECT {_COLUMNS} FROM member
            WHERE customer_id = $1 OR lower(email) = lower($1) OR phone = $1
               OR name ILIKE '%' || $2 || '%'
            ORDER BY (customer_id = $1) DESC, id LIMIT $3""",
        q,
        q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"),
        limit,
    )
    return [dict(r) for r in rows]


async def _locked(customer_id: str) -> locking.LockedMember:
    member = await locking.lock_customer(customer_id)
    if member is None:
        raise NotFound("member_not_found", f"no member with customer id {customer_id!r}")
    return member


async def adjust(
    customer_id: str, points: int, *, reason: str, actor: str, key: str | None, now: datetime
) -> ledger.Balances | None:
    """Staff grant (positive) or removal (negative) of points, audited and notified.

    A removal never takes the balance below zero; a blocked member gets no grants.
    Returns ``None`` when ``key`` repeats an adjustment already made. A grant that reaches the
    threshold issues its coupon through the ledger's reactions, after the grant was told.
    """
    reason = reason.strip()
    if points == 0:
        raise Invalid("invalid_points", "points must not be zero")
    if len(reason) < 3:
        raise Invalid("reason_required", "a reason of at least 3 characters is required")
    async with db.transaction(), reactions.deferred():
        member = await _locked(customer_id)
        _check_adjustable(member, points)
        # Without a caller key every call is a new adjustment (two identical corrections
        # in the same second are both meant); with one, a retried request applies once.
        key = f"adjust:{member.id}:{key or uuid.uuid4().hex}"
        balances = await ledger.post(
            member.id,
            "adjustment",
            ledger.Delta(available=points, lifetime=points),
            key=key,
            now=now,
            actor=actor,
            reason=reason,
        )
        if balances is not None:
            await audit.record(
                actor,
                "member.adjust",
                now=now,
                target=customer_id,
                reason=reason,
                details={"points": points},
            )
            await outbox.enqueue(
                "points_added" if points > 0 else "points_removed",
                member_id=member.id,
                dedupe_key=key,
                now=now,
                data={"points": abs(points), "reason": reason},
            )
    return balances


def _check_adjustable(member: locking.LockedMember, points: int) -> None:
    if points > 0 and member.blocked:
        raise Conflict("member_blocked", "a blocked member cannot receive points")
    if points < 0 and member.available + points < 0:
        raise Conflict(
            "insufficient_points",
            "removal would take the balance below zero",
            available=member.available,
        )


async def set_blocked(
    customer_id: str, blocked: bool, *, reason: str, actor: str, now: datetime
) -> dict[str, Any]:
    """Block or unblock a member: a blocked member earns and spends nothing."""
    reason = reason.strip()
    if len(reason) < 3:
        raise Invalid("reason_required", "a reason of at least 3 characters is required")
    async with db.transaction():
        member = await _locked(customer_id)
        row = await db.fetchrow(
            f"""UPDATE member SET blocked = $2, blocked_reason = $3, updated_at = $4
                WHERE id = $1 RETURNING {_COLUMNS}""",
            member.id,
            blocked,
            reason if blocked else None,
            now,
        )
        await audit.record(
            actor,
            "member.block" if blocked else "member.unblock",
            now=now,
            target=customer_id,
            reason=reason,
        )
        await webhook_events.member_blocked(member.id, blocked, reason=reason, now=now)
    assert row is not None
    return dict(row)


async def post_opening_balance(
    customer_id: str, points: int, *, earned_at: datetime | None, now: datetime
) -> ledger.Balances | None:
    """Points brought from another loyalty system (``loyalty import members``), posted once
    per member whatever the value: a rerun of the file, or a corrected one, changes nothing.
    The credit is a lot earned at ``earned_at`` (default now). ``None`` when the member
    already had an opening balance."""
    if points <= 0:
        return None
    async with db.transaction():
        member = await _locked(customer_id)
        balances = await ledger.post(
            member.id,
            "opening_balance",
            ledger.Delta(available=points, lifetime=points),
            key=f"opening_balance:{member.id}",
            now=now,
            effective_at=earned_at,
            reason="opening balance from an earlier loyalty system",
        )  # a credit like any other: the threshold reaction may issue coupons
    return balances
