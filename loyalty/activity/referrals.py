"""Referrals: a member's code, the friend it brings, and the friend's first confirmed order.

- :func:`info` gives (and creates on first ask) the member's code and share link.
- A friend is attached by the code on the shop's customer PUT or on an order PUT, only while
  they have no confirmed order, only once, never to themselves (same member, or the same
  e-mail or phone as the referrer).
- The friend's first order that reaches the confirming status decides, once: worth at least
  ``min_order_minor`` (and more than nothing) after refunds, it rewards the referrer (points or
  a coupon) and the friend (a coupon or points); otherwise the referral is void. A later order
  never decides again.
- A refund or cancellation that takes that order below the minimum takes both rewards back
  (points debited, even into a negative balance like any clawback; unused coupons voided),
  and tells the referrer (``referral_reversed``).

Reactions (``loyalty.reactions``, priority 30): :func:`from_profile` to the shop's customer
PUT, :func:`from_order` to an order that advanced; neither the member nor the order code
imports this module.

Locks: the order row (the caller's), the friend's member row, the referral row, then the
referrer's member row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import db, ledger, locking, members, outbox, program, reactions
from loyalty.activity import awards, referral_coupons
from schemas.program import ReferralReward, Referrals

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


@dataclass(frozen=True, slots=True)
class Info:
    code: str
    share_link: str
    enabled: bool
    pending: int
    rewarded: int
    points_earned: int
    rules: Referrals


def new_code() -> str:
    """8 characters from 32 that read aloud (no 0/O, 1/I): 40 bits of randomness."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize(code: str | None) -> str:
    """What a shopper typed, as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -")


async def info(customer_id: str, *, now: datetime) -> Info:
    """The member's code (made on first ask), share link and how their referrals went."""
    rules = await program.get_rules()
    async with db.transaction():
        member_id = await members.ensure(customer_id, now=now)
        code = await _ensure_code(member_id)
    stats = await db.fetchrow(
        """SELECT count(*) FILTER (WHERE state = 'pending') AS pending,
                  count(*) FILTER (WHERE state = 'rewarded') AS rewarded,
                  coalesce(sum(referrer_points) FILTER (WHERE state = 'rewarded'), 0) AS points
           FROM referral WHERE referrer = $1""",
        member_id,
    )
    assert stats is not None
    ref = rules.activity.referral
    return Info(
        code=code,
        share_link=ref.share_link.replace("{code}", code),
        enabled=rules.active and ref.enabled,
        pending=stats["pending"],
        rewarded=stats["rewarded"],
        points_earned=int(stats["points"]),
        rules=ref,
    )


async def _ensure_code(member_id: int) -> str:
    member = await locking.lock_member(member_id)
    assert member is not None
    current = member.referral_code
    while current is None:
        # The NOT EXISTS guard makes a clash (1 in 2^40 per pair) a retry, not an error.
        current = await db.fetchval(
            """UPDATE member SET referral_code = $2 WHERE id = $1
                 AND NOT EXISTS (SELECT 1 FROM member WHERE referral_code = $2)
               RETURNING referral_code""",
            member_id,
            new_code(),
        )
    return str(current)


async def attach(
    friend_id: int, raw_code: str | None, *, source: str, now: datetime, order_id: str = ""
) -> str | None:
    """Record that ``raw_code`` brought ``friend_id``; the outcome as an order flag.

    Must run inside the caller's transaction. ``None`` when there was no code.
    """
    code = normalize(raw_code)
    if not code:
        return None
    rules = await program.get_rules()
    if not (rules.active and rules.activity.referral.enabled):
        return "referral_disabled"
    referrer = await db.fetchrow(
        "SELECT id, customer_id, email, phone FROM member WHERE referral_code = $1", code
    )
    if referrer is None:
        return "referral_unknown_code"
    if await _same_person(referrer, friend_id):
        return "referral_self"
    existing = await db.fetchval("SELECT referrer FROM referral WHERE friend = $1", friend_id)
    if existing is not None:
        return "referral_attached" if existing == referrer["id"] else "referral_already_referred"
    if await _has_confirmed_order(friend_id, other_than=order_id):
        return "referral_not_first_order"
    await db.execute(
        """INSERT INTO referral (referrer, friend, code, source, state, created_at)
           VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT (friend) DO NOTHING""",
        referrer["id"],
        friend_id,
        code,
        source,
        now,
    )
    await db.execute(
        "UPDATE member SET referred_by = $2 WHERE id = $1 AND referred_by IS NULL",
        friend_id,
        referrer["customer_id"],
    )
    return "referral_attached"


async def _same_person(referrer: Any, friend_id: int) -> bool:
    if referrer["id"] == friend_id:
        return True
    friend = await db.fetchrow("SELECT email, phone FROM member WHERE id = $1", friend_id)
    assert friend is not None
    same_email = bool(referrer["email"]) and (
        (friend["email"] or "").lower() == referrer["email"].lower()
    )
    return same_email or (bool(referrer["phone"]) and friend["phone"] == referrer["phone"])


async def _has_confirmed_order(member_id: int, *, other_than: str) -> bool:
    found = await db.fetchval(
        """SELECT 1 FROM shop_order
           WHERE member = $1 AND order_id <> $2 AND points_state = 'confirmed' LIMIT 1""",
        member_id,
        other_than,
    )
    return bool(found)


@reactions.on_profile_saved(30)
async def from_profile(event: reactions.ProfileSaved) -> None:
    """The shop's customer PUT: a newsletter opt-in earns once; a code attaches the friend."""
    if event.newsletter:
        await awards.newsletter(event.member_id, now=event.now)
    await attach(event.member_id, event.referral_code, source="profile", now=event.now)


@reactions.on_order_advanced(30)
async def from_order(event: reactions.OrderAdvanced) -> None:
    """An order advanced: attach, decide or reverse; the outcome goes on the order's flags."""
    for flag in await _order_flags(event):
        if flag not in event.flags:
            event.flags.append(flag)


async def _order_flags(event: reactions.OrderAdvanced) -> list[str]:
    member_id, order_id, now = event.member_id, event.order_id, event.now
    flags: list[str] = []
    flag = await attach(member_id, event.referral_code, source="order", order_id=order_id, now=now)
    if flag is not None:
        flags.append(flag)
    if not event.confirmed:
        return flags
    if event.member is not None and not event.member.referred and flag != "referral_attached":
        return flags  # never referred (read under the order's member lock): no referral row
    ref = await db.fetchrow("SELECT * FROM referral WHERE friend = $1 FOR NO KEY UPDATE", member_id)
    if ref is None:
        return flags
    net = 0 if event.status == "cancelled" else event.total_minor - event.refunded_minor
    rules = await program.get_rules()
    if ref["state"] == "pending":
        on = rules.active and rules.activity.referral.enabled
        flags.append(await _decide(dict(ref), order_id, net, rules.activity.referral, on, now))
    elif _reversible(dict(ref), order_id, net, rules.activity.referral):
        await _reverse(dict(ref), now)
        flags.append("referral_reversed")
    return flags


def _minimum(rules: Referrals) -> int:
    return max(rules.min_order_minor, 1)


def _reversible(ref: dict[str, Any], order_id: str, net: int, rules: Referrals) -> bool:
    """The rewarded first order was refunded (or cancelled) below the minimum."""
    return ref["state"] == "rewarded" and ref["order_id"] == order_id and net < _minimum(rules)


async def _decide(
    ref: dict[str, Any], order_id: str, net: int, rules: Referrals, on: bool, now: datetime
) -> str:
    """The friend's first confirmed order: reward both, or void the referral for good."""
    reason = None
    if await _has_confirmed_order(ref["friend"], other_than=order_id):
        reason = "not_first_order"
    elif not on:
        reason = "program_disabled"
    elif net < _minimum(rules):
        reason = "order_below_minimum"
    if reason is not None:
        await _void(ref["id"], reason, order_id, now)
        return f"referral_void_{reason}"
    await _reward(ref, order_id, rules, now)
    return "referral_rewarded"


async def _void(referral_id: int, reason: str, order_id: str, now: datetime) -> None:
    await db.execute(
        """UPDATE referral SET state = 'void', reason = $2, order_id = $3, decided_at = $4
           WHERE id = $1""",
        referral_id,
        reason,
        order_id,
        now,
    )


async def _reward(ref: dict[str, Any], order_id: str, rules: Referrals, now: datetime) -> None:
    """Both sides' rewards, each once by its key, and what was given, for a reversal."""
    key = f"referral:{ref['id']}"
    r_points, r_coupon = await _give(
        ref["referrer"], rules.referrer, key=f"{key}:referrer", role="referrer", now=now
    )
    f_points, f_coupon = await _give(
        ref["friend"], rules.friend, key=f"{key}:friend", role="friend", now=now
    )
    await db.execute(
        """UPDATE referral SET state = 'rewarded', order_id = $2, decided_at = $3,
               referrer_points = $4, referrer_coupon_id = $5, friend_points = $6,
               friend_coupon_id = $7
           WHERE id = $1""",
        ref["id"],
        order_id,
        now,
        r_points,
        r_coupon,
        f_points,
        f_coupon,
    )


async def _give(
    member_id: int, reward: ReferralReward, *, key: str, role: str, now: datetime
) -> tuple[int, int | None]:
    """One side's reward: ``(points credited, coupon id)``. A blocked member gets nothing."""
    member = await locking.lock_member(member_id)
    if member is None or member.blocked or reward.kind == "none":
        return 0, None
    event = "referral_success" if role == "referrer" else "points_earned"
    if reward.kind == "points":
        posted = await awards.credit(
            member_id,
            reward.points,
            rule=f"referral_{role}",
            key=key,
            now=now,
            notify=event,
            kind="referral",
        )
        return (reward.points if posted else 0), None
    coupon = await referral_coupons.issue(member_id, reward.coupon, key=key, now=now)
    if role == "referrer":  # the coupon service already sent "coupon_issued"
        await outbox.enqueue(
            event,
            member_id=member_id,
            dedupe_key=key,
            now=now,
            data={"activity": "referral_referrer", "points": 0, **coupon.data()},
        )
    return 0, coupon.id


async def _reverse(ref: dict[str, Any], now: datetime) -> None:
    """Take back what the first order's referral gave: points debited, coupons voided."""
    key = f"referral:{ref['id']}"
    for side in ("referrer", "friend"):
        points = ref[f"{side}_points"]
        if points:
            await ledger.post(
                ref[side],
                "referral_reversal",
                ledger.Delta(available=-points, lifetime=-points),
                key=f"{key}:{side}:reverse",
                now=now,
                meta={"activity": f"referral_{side}", "order_id": ref["order_id"]},
            )
        coupon_id = ref[f"{side}_coupon_id"]
        if coupon_id is not None:
            await referral_coupons.void(coupon_id, reason="referral order refunded", now=now)
    await db.execute(
        "UPDATE referral SET state = 'reversed', reversed_at = $2 WHERE id = $1",
        ref["id"],
        now,
    )
    if ref["referrer_points"] or ref["referrer_coupon_id"] is not None:
        await outbox.enqueue(  # the referrer learns why their reward went
            "referral_reversed",
            member_id=ref["referrer"],
            dedupe_key=f"{key}:referrer:reversed",
            now=now,
            data={"points": ref["referrer_points"] or 0, "referral_id": ref["id"]},
        )
