"""Erasure of a member's personal data on request (GDPR article 17), keeping the ledger.

The member row stays (the ledger and orders point at it) but loses every personal field and
its customer id, which becomes ``#erased-<id>``: a value no API path or body can name, so the
person cannot be found, and a customer id that comes back later starts a new, empty member.
In the same transaction:

- unused coupons are voided (:func:`loyalty.rewards.coupons.void`) and checkout holds released;
- what is left on the balance is forfeited by one ledger entry of kind ``erasure``
  (available points move to ``expired``, pending points are dropped), so the shop's liability
  no longer counts points nobody can spend, and ``loyalty check-ledger`` stays right: no entry
  is deleted and no delta changes, only the free text of the member's entries (``reason``);
- devices are deleted; the outbox rows of the member (and the admin alerts naming them) lose
  their data, unsent ones are dropped, and deliveries forget their address;
- the audit trail keeps who did what and when, with the target anonymised and the reasons and
  details removed; another member's ``referred_by`` naming this customer is cleared;
- the SMS area's step re-points the STOP/START audit rows (target: the number) at the customer
  and resets the SMS consent flags; the tiers area's step deletes the member's tier row;
- the erasure itself is audited, and areas with more personal data add a step to :data:`STEPS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from loyalty import audit, db, ledger
from loyalty.errors import NotFound
from loyalty.rewards import coupons
from loyalty.sms import erasure as sms_erasure
from loyalty.tiers import service as tiers
from loyalty.webhooks import events as webhook_events

ERASED_PREFIX = "#erased-"
"""Anonymised customer ids start with this; ``#`` is outside every API's id pattern."""


@dataclass(frozen=True, slots=True)
class Erased:
    """What an erasure did, for the API answer, the audit and the ``member.erased`` event."""

    member_id: int
    anonymous_id: str
    coupons_voided: int
    points_forfeited: int
    pending_dropped: int
    erased_at: datetime


Step = Callable[[int, str, datetime], Awaitable[None]]
"""One area's part of an erasure: ``(member_id, customer_id, now)``, inside its transaction."""


def anonymous_id(member_id: int) -> str:
    return f"{ERASED_PREFIX}{member_id}"


@db.retry_transient()
async def erase(customer_id: str, *, actor: str, via: str, now: datetime) -> Erased:
    """Erase ``customer_id``'s personal data; ``via`` says who asked (``admin`` or ``shop``)."""
    async with db.transaction():
        member = await db.fetchrow(
            "SELECT id, available, pending FROM member WHERE customer_id = $1 FOR NO KEY UPDATE",
            customer_id,
        )
        if member is None:
            raise NotFound("member_not_found", f"no member with customer id {customer_id!r}")
        member_id = int(member["id"])
        # Blocked first: points given back by a voided coupon must not cross the threshold
        # and issue a new one (a blocked member earns and is issued nothing).
        await db.execute("UPDATE member SET blocked = true WHERE id = $1", member_id)
        voided = await _void_coupons(member_id, now)
        available, pending = await _forfeit(member_id, now)
        for step in STEPS:
            await step(member_id, customer_id, now)
        done = Erased(member_id, anonymous_id(member_id), voided, available, pending, now)
        await audit.record(
            actor,
            "member.erase",
            now=now,
            target=done.anonymous_id,
            details={
                "via": via,
                "coupons_voided": voided,
                "points_forfeited": available,
                "pending_dropped": pending,
            },
        )
        await webhook_events.member_erased(member_id, customer_id, now=now)
    return done


async def _void_coupons(member_id: int, now: datetime) -> int:
    await db.execute(
        "UPDATE redemption SET status = 'released', updated_at = $2"
        " WHERE member = $1 AND status = 'held'",
        member_id,
        now,
    )
    rows = await db.fetch(
        "SELECT id FROM coupon WHERE member = $1 AND status = 'active' ORDER BY id", member_id
    )
    voided = 0
    for row in rows:
        voided += await coupons.void(row["id"], reason="member erased", now=now)
    return voided


async def _forfeit(member_id: int, now: datetime) -> tuple[int, int]:
    """Post the ``erasure`` entry taking what is left; ``(available, pending)`` it took."""
    row = await db.fetchrow("SELECT available, pending FROM member WHERE id = $1", member_id)
    assert row is not None
    available, pending = max(int(row["available"]), 0), int(row["pending"])
    delta = ledger.Delta(available=-available, expired=available, pending=-pending)
    if not delta.is_zero():
        await ledger.post(member_id, "erasure", delta, key=f"erasure:{member_id}", now=now)
    return available, pending


async def _scrub_member(member_id: int, customer_id: str, now: datetime) -> None:
    await db.execute(
        """UPDATE member SET customer_id = $2, email = NULL, phone = NULL, name = NULL,
               birthday = NULL, timezone = NULL, locale = 'en', newsletter = false,
               blocked = true, blocked_reason = NULL, referral_code = NULL, referred_by = NULL,
               last_order_at = NULL, points_expire_at = NULL, updated_at = $3
           WHERE id = $1""",
        member_id,
        anonymous_id(member_id),
        now,
    )
    await db.execute("UPDATE member SET referred_by = NULL WHERE referred_by = $1", customer_id)


async def _scrub_ledger(member_id: int, customer_id: str, now: datetime) -> None:
    await db.execute(
        "UPDATE ledger_entry SET reason = NULL WHERE member = $1 AND reason IS NOT NULL",
        member_id,
    )


async def _scrub_notifications(member_id: int, customer_id: str, now: datetime) -> None:
    await db.execute("DELETE FROM device WHERE member = $1", member_id)
    await db.execute(
        """UPDATE notification SET data = '{}'::jsonb,
               status = CASE WHEN status = 'pending' THEN 'erased' ELSE status END,
               processed_at = coalesce(processed_at, $2)
           WHERE member = $1 OR (member IS NULL AND data->>'member_id' = $1::text)""",
        member_id,
        now,
    )
    await db.execute(
        """UPDATE delivery SET target = 'erased:' || id::text,
               status = CASE WHEN status IN ('queued', 'retry') THEN 'skipped' ELSE status END,
               reason = CASE WHEN status IN ('queued', 'retry') THEN 'erased' ELSE reason END,
               updated_at = $2
           WHERE member = $1""",
        member_id,
        now,
    )


async def _scrub_audit(member_id: int, customer_id: str, now: datetime) -> None:
    await db.execute(
        "UPDATE audit_log SET target = $2, reason = NULL, details = '{}'::jsonb WHERE target = $1",
        customer_id,
        anonymous_id(member_id),
    )


STEPS: list[Step] = [
    sms_erasure.scrub_member,  # first: it needs the phone _scrub_member removes
    _scrub_member,
    _scrub_ledger,
    _scrub_notifications,
    _scrub_audit,
    webhook_events.scrub_member,
    tiers.forget_member,
]
"""Every place personal data lives, in order. A new area holding personal data adds its own
step: the SMS area's numbers in the audit and its consent flags (before the member row loses
its phone), the webhooks' event payloads, the member's tier."""
