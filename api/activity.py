"""The shopper's activity (``POST /v1/me/events``), referral code (``GET /v1/me/referral``)
and the ways to earn (``GET /v1/me/ways-to-earn``)."""

from __future__ import annotations

import re
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import JSONBody

from api.deps import CustomerId, Now, provide_customer_id, provide_now
from loyalty import members, program
from loyalty.activity import events, referrals, ways
from loyalty.errors import Unauthorized
from schemas.activity import (
    EventIn,
    EventOut,
    NotificationOpenEvent,
    ProductViewEvent,
    ReferralOut,
)
from schemas.widget import WaysToEarnOut

MESSAGES = {
    "earned": "points earned",
    "cap_reached": "the limit for this activity is reached for now",
    "already_earned": "this already earned its points",
    "not_eligible": "this does not earn points",
    "blocked": "the membership is blocked",
    "disabled": "this activity does not earn points in the program",
}


CUSTOMER_ID = re.compile(r"[A-Za-z0-9._:@\-]{1,128}")


async def provide_shopper(request: Request[Any, Any, Any]) -> str:
    """The JWT's customer id, which these calls may turn into a member on first contact:
    it must be one the shop API would accept too."""
    customer_id = await provide_customer_id(request)
    if not CUSTOMER_ID.fullmatch(customer_id):
        raise Unauthorized("invalid_subject", "the token's subject is not a valid customer id")
    return customer_id


def to_event(data: EventIn) -> events.Event:
    return events.Event(
        client_id=data.id,
        type=type(data).__struct_config__.tag,  # type: ignore[arg-type]
        channel=data.channel,
        sku=data.sku if isinstance(data, ProductViewEvent) else None,
        notification_id=data.notification_id if isinstance(data, NotificationOpenEvent) else None,
    )


class ActivityController(Controller):
    path = "/v1/me"
    tags = ["shopper"]
    dependencies = {"customer_id": Provide(provide_shopper), "now": Provide(provide_now)}
    security = [{"shopperJWT": []}]

    @post("/events", status_code=200)
    async def post_event(
        self, customer_id: CustomerId, data: JSONBody[EventIn], now: Now
    ) -> EventOut:
        """Report one activity (visit, product view, notification open, newsletter sign-up).

        Answers what it earned, or that a cap was reached. Send each event with an id of your
        own; a retry with the same id earns nothing more and gets the first answer again.
        """
        result = await events.record(customer_id, to_event(data), now=now)
        return EventOut(
            id=result.client_id,
            type=result.type,
            outcome=result.outcome,  # type: ignore[arg-type]
            points=result.points,
            window=result.window,
            cap=result.cap,  # type: ignore[arg-type]
            cap_count=result.cap_count,
            used=result.used,
            replayed=result.replayed,
            available=result.available,
            message=MESSAGES[result.outcome],
        )

    @get("/referral")
    async def get_referral(self, customer_id: CustomerId, now: Now) -> ReferralOut:
        """The member's referral code (made on first ask) and the link to share it.

        A new customer's first confirmed order carrying the code rewards both sides.
        """
        info = await referrals.info(customer_id, now=now)
        return ReferralOut(
            code=info.code,
            share_link=info.share_link,
            enabled=info.enabled,
            friends_pending=info.pending,
            friends_rewarded=info.rewarded,
            points_earned=info.points_earned,
            rules=info.rules,
        )

    @get("/ways-to-earn")
    async def ways_to_earn(self, customer_id: CustomerId, now: Now) -> WaysToEarnOut:
        """The purchase rate and the activity rules marketing switched on, with how many
        awards of each repeatable rule the shopper had in its current window."""
        rules = await program.get_rules()
        member = await members.find(customer_id)
        return WaysToEarnOut(
            earn_points=rules.earn_points if rules.active else 0,
            rate_unit_minor=rules.rate_unit_minor,
            currency=rules.currency,
            items=await ways.for_member(rules, member, now=now),
        )
