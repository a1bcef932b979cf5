"""SMS as the outbox's third channel: which events go by text, to whom, and refused numbers.

The delivery worker (``loyalty.notify.delivery``) asks :func:`plan` for the SMS row of each
notification it plans, beside its push and email rows. A member gets a text when the event
is one of :data:`SMS_EVENTS` (a member without a phone gets no SMS row at all, except a
``skipped`` one for an SMS-only event) and they have a valid E.164 phone, have not opted out
(``sms_opt_in``) and their number has not been refused for good (``sms_block``). Quiet hours
hold SMS as they hold pushes: a marketing text in the night is dropped, any other waits for
the morning. When Twilio refuses a number for good, :func:`mark_refused` records it on the
member (and 21610, "unsubscribed", also clears ``sms_opt_in``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loyalty import db
from loyalty.sms.phones import is_e164

if TYPE_CHECKING:
    from loyalty.notify.delivery import Planned

SMS_EVENTS = frozenset({"pos_welcome", "birthday", "coupon_issued", "points_expiring"})
"""Events that may go by SMS (rule 15 and issue 11)."""
SMS_ONLY = frozenset({"pos_welcome"})
"""Events that go by SMS alone (the till's welcome: the member gave a phone, not an app)."""
PROVIDER = "twilio"


def channels(event: str, member: dict[str, Any]) -> tuple[str, ...]:
    """``("sms",)`` when this event would go to this member by SMS (for ``skipped`` rows)."""
    return ("sms",) if event in SMS_EVENTS and member.get("phone") else ()


def plan(
    notification: int,
    event: str,
    member: dict[str, Any],
    quiet_until: datetime | None,
    *,
    marketing: bool,
) -> list[Planned]:
    """The SMS row of one notification (none when the event does not go by SMS)."""
    from loyalty.notify.delivery import Planned

    phone = member.get("phone")
    if event not in SMS_EVENTS or (not phone and event not in SMS_ONLY):
        return []  # no number, no row: the other channels' rows say enough
    row = Planned(notification, member["id"], "sms", phone or "", "skipped")
    row.provider, row.locale = PROVIDER, member.get("locale")
    if not phone:
        row.reason = "no_phone"
    elif not is_e164(phone):
        row.reason = "invalid_phone"
    elif member.get("sms_block"):
        row.reason = f"number_{member['sms_block']}"
    elif not member.get("sms_opt_in", True):
        row.reason = "sms_opt_out"
    elif quiet_until is not None and marketing:
        row.reason = "quiet_hours"
    elif quiet_until is not None:
        row.status, row.reason, row.next_attempt_at = "retry", "quiet_hours", quiet_until
    else:
        row.status = "queued"
    if row.status == "skipped":
        row.provider = None
    return [row]


async def mark_refused(refused: Sequence[tuple[str, str]], *, now: datetime) -> None:
    """Record numbers Twilio refused for good (``reason`` starts with the kind, e.g.
    ``unsubscribed``); later notifications skip them until the shop sends a new number."""
    if not refused:
        return
    numbers = [number for number, _ in refused]
    kinds = [reason.split(" ", 1)[0][:32] or "refused" for _, reason in refused]
    await db.execute(
        """UPDATE member m SET sms_block = r.kind, updated_at = $3,
               sms_opt_in = CASE WHEN r.kind = 'unsubscribed' THEN false ELSE m.sms_opt_in END
           FROM unnest($1::text[], $2::text[]) AS r(phone, kind)
           WHERE m.phone = r.phone""",
        numbers,
        kinds,
        now,
    )
