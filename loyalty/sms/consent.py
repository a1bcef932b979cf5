"""Consent to texts: STOP by SMS (Twilio's inbound webhook) and staff opting a member out.

Twilio posts each inbound message form-encoded (``From``, ``To``, ``Body``...) and signs it
with ``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the account's auth token, over
the full URL Twilio called followed by every POST parameter's name and value, sorted by name.
:func:`inbound` checks that with the ``twilio`` library's ``RequestValidator``; a bad or
missing signature is a 401 and changes nothing.

The keywords are Twilio's own (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, plus the
Norwegian STOPP), and START, UNSTOP, YES to opt back in; any other text is ignored. Opting
back in by text clears an ``unsubscribed`` mark (Twilio lifts its own block the same way).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from twilio.request_validator import RequestValidator

from loyalty import audit, db, members
from loyalty.errors import Invalid, Unauthorized
from loyalty.sms import phones

STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "STOPP"})
START_WORDS = frozenset({"START", "UNSTOP", "YES"})


@dataclass(frozen=True, slots=True)
class Inbound:
    action: str
    """``opt_out``, ``opt_in`` or ``ignored``."""
    members: int


def keyword(body: str) -> str | None:
    """``opt_out``/``opt_in`` when the text is one of the keywords (first word, any case)."""
    words = body.strip().split()
    first = words[0].strip(".!").upper() if words else ""
    if first in STOP_WORDS:
        return "opt_out"
    if first in START_WORDS:
        return "opt_in"
    return None


def verify(auth_token: str | None, url: str, form: Mapping[str, str], signature: str) -> None:
    """Refuse (401) a webhook call Twilio did not sign with this account's token."""
    if not auth_token:
        raise Unauthorized("sms_not_configured", "inbound SMS needs LOYALTY_TWILIO_AUTH_TOKEN")
    if not signature or not RequestValidator(auth_token).validate(url, dict(form), signature):
        raise Unauthorized("bad_signature", "X-Twilio-Signature does not match")


async def inbound(
    form: Mapping[str, str], *, url: str, signature: str, auth_token: str | None, now: datetime
) -> Inbound:
    """Apply one inbound text: STOP opts the sender's number out, START back in."""
    verify(auth_token, url, form, signature)
    action = keyword(form.get("Body", ""))
    number = phones.parse(form.get("From", ""), "ZZ")
    if action is None or number is None:
        return Inbound("ignored", 0)
    opt_in = action == "opt_in"
    status = await db.execute(
        """UPDATE member SET sms_opt_in = $2, updated_at = $3,
               sms_block = CASE WHEN $2 AND sms_block = 'unsubscribed' THEN NULL
                                ELSE sms_block END
           WHERE phone = $1""",
        number,
        opt_in,
        now,
    )
    changed = int(status.split()[-1])
    if changed:
        await audit.record(
            "sms", "member.sms_opt_in" if opt_in else "member.sms_opt_out", now=now,
            target=number, reason=f"texted {form.get('Body', '').strip()[:20]!r}",
        )  # fmt: skip
    return Inbound(action, changed)


async def set_opt_in(
    customer_id: str, opt_in: bool, *, reason: str, actor: str, now: datetime
) -> dict[str, Any]:
    """Staff opt a member out of texts (or back in), audited with the reason."""
    reason = reason.strip()
    if len(reason) < 3:
        raise Invalid("reason_required", "a reason of at least 3 characters is required")
    async with db.transaction():
        member = await members.get(customer_id)
        await db.execute(
            "UPDATE member SET sms_opt_in = $2, updated_at = $3 WHERE id = $1",
            member["id"],
            opt_in,
            now,
        )
        await audit.record(
            actor, "member.sms_opt_in" if opt_in else "member.sms_opt_out", now=now,
            target=customer_id, reason=reason,
        )  # fmt: skip
    return await members.get(customer_id)
