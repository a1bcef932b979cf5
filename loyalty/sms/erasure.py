"""The SMS area's part of an erasure (``loyalty.privacy.erasure.STEPS``, run before the member
row loses its phone): what the texts left behind that names the person.

- A STOP or START texted to the shop is audited with the sender's *number* as the target
  (there may be no customer id to name then); those rows are re-pointed at the customer id, so
  the audit step anonymises them with the rest (and drops the texted words).
- The consent flags go back to "no texts": ``sms_opt_in`` false, ``sms_block`` cleared (a
  refusal kept for a number that is no longer stored protects nobody).
- The texts' delivery rows (``target`` = the number) are the notifications step's: every
  delivery of the member forgets its address.
"""

from __future__ import annotations

from datetime import datetime

from loyalty import db


async def scrub_member(member_id: int, customer_id: str, now: datetime) -> None:
    phone = await db.fetchval("SELECT phone FROM member WHERE id = $1", member_id)
    if phone:
        await db.execute(
            "UPDATE audit_log SET target = $2 WHERE target = $1 AND action LIKE 'member.sms%'",
            phone,
            customer_id,
        )
    await db.execute(
        "UPDATE member SET sms_opt_in = false, sms_block = NULL, updated_at = $2 WHERE id = $1",
        member_id,
        now,
    )
