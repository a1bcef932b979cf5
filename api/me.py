"""The shopper's own API (``/v1/me``), authorised by the shop's JWT."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import QueryParameter

from api.deps import CustomerId, Now, provide_customer_id, provide_now
from loyalty import accrual, campaigns, ledger, members, program
from loyalty.errors import Invalid
from loyalty.rewards import reach
from loyalty.sms import till
from loyalty.tiers import service as tiers
from loyalty.validity import stamps
from schemas.earning import RunningCampaign
from schemas.me import Balance, LedgerEntryOut, LedgerPage, MeOut, StoreCreditOut


def balance_of(
    member: dict[str, Any], to_next: int | None, threshold: int, outlook: stamps.Outlook
) -> Balance:
    return Balance(
        available=member["available"],
        pending=member["pending"],
        lifetime=member["lifetime"],
        spent=member["spent"],
        expired=member["expired"],
        expires_at=outlook.expires_at,
        points_to_next_reward=to_next,
        next_reward_threshold=threshold or None,
        expires_on=outlook.expires_on,
        expiring_points=outlook.points,
    )


def entry_out(entry: dict[str, Any]) -> LedgerEntryOut:
    return LedgerEntryOut(points=entry["available"] + entry["pending"], **entry)


def parse_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 19:
        raise Invalid("invalid_cursor", "cursor must come from a previous page's next_cursor")
    return int(cursor)


async def ledger_page(member_id: int, cursor: str | None, limit: int) -> LedgerPage:
    entries = await ledger.history(member_id, before_id=parse_cursor(cursor), limit=limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    return LedgerPage(
        items=[entry_out(e) for e in entries],
        next_cursor=str(entries[-1]["id"]) if more else None,
    )


def credit_out(credit: till.StoreCredit | None) -> StoreCreditOut | None:
    """Rule 5's money view of the balance (null when points do not pay)."""
    if credit is None:
        return None
    return StoreCreditOut(
        value_minor=credit.value_minor,
        currency=credit.currency,
        can_pay_now=credit.can_pay_now,
        reasons=credit.reasons,
        min_order_minor=credit.min_order_minor,
        max_discount_minor=credit.max_discount_minor,
    )


class MeController(Controller):
    path = "/v1/me"
    tags = ["shopper"]
    dependencies = {"customer_id": Provide(provide_customer_id), "now": Provide(provide_now)}
    security = [{"shopperJWT": []}]

    @get("/")
    async def me(self, customer_id: CustomerId, now: Now) -> MeOut:
        """Profile and balance, with how many points are missing to the next reward."""
        member = await members.get(customer_id)
        rules = await program.get_rules()
        purse = await reach.purse(
            member["id"], available=member["available"], blocked=member["blocked"], now=now
        )
        to_next = reach.to_threshold(purse, rules.threshold_points)
        outlook = await stamps.outlook(member, rules)
        return MeOut(
            customer_id=customer_id,
            name=member["name"],
            email=member["email"],
            locale=member["locale"],
            birthday=member["birthday"],
            blocked=member["blocked"],
            member_since=member["created_at"],
            balance=balance_of(member, to_next, rules.threshold_points, outlook),
            phone=member["phone"],
            sms_opt_in=member["sms_opt_in"],
            store_credit=credit_out(till.store_credit(member, rules)),
            tier=await tiers.me_block(member["id"], rules, now, locale=member["locale"]),
            campaigns=[
                RunningCampaign(
                    id=c.id,
                    name=c.name,
                    ends_at=accrual.as_program_time(rules, c.ends_at),
                    multiplier_pct=c.multiplier_pct,
                    bonus_points=c.bonus_points,
                )
                for c in await campaigns.running(now)
            ],
        )

    @get("/ledger")
    async def my_ledger(
        self,
        customer_id: CustomerId,
        cursor: Annotated[str | None, QueryParameter(max_length=19)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> LedgerPage:
        """The points history, newest first; pass ``next_cursor`` back for the next page."""
        member = await members.get(customer_id)
        return await ledger_page(member["id"], cursor, limit)
