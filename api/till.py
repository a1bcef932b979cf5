"""The till and SMS: find-or-create by phone (signed, as the shop), the shopper's orders,
staff SMS consent, and Twilio's inbound-message webhook (``X-Twilio-Signature``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.di import Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.deps import (
    CustomerId,
    Me,
    Now,
    allow,
    provide_customer_id,
    provide_now,
    provide_staff,
    settings_of,
    verify_shop_signature,
)
from api.me import balance_of, credit_out
from api.openapi import ERRORS
from loyalty import members, order_history
from loyalty.rewards import codes, reach
from loyalty.sms import consent, till
from loyalty.tiers import service as tiers
from loyalty.validity import stamps
from schemas.till import (
    OrderPage,
    OrderSummaryOut,
    SmsConsentIn,
    SmsConsentOut,
    TillCouponOut,
    TillCustomerIn,
    TillOut,
)

Phone = Annotated[
    str,
    PathParameter(
        min_length=3,
        max_length=32,
        description="Any common spelling: +47 912 34 567, 004791234567, or 91234567 in the "
        "program's country.",
    ),
]
PathId = Annotated[
    str, PathParameter(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")
]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]


def order_out(row: dict[str, Any]) -> OrderSummaryOut:
    return OrderSummaryOut(
        order_id=row["order_id"],
        status=row["status"],
        currency=row["currency"],
        total_minor=row["total_minor"],
        refunded_minor=row["refunded_minor"],
        points_earned=row["points"] - row["clawed_back"] if row["points_state"] != "void" else 0,
        points_state=row["points_state"],
        points_used=row["points_redeemed"],
        coupon_code=row["coupon_code"],
        channel=row["channel"],
        store_id=row["store_id"],
        placed_at=row["placed_at"],
    )


async def till_out(shown: till.TillView, created: bool, *, now: datetime) -> TillOut:
    m, rules = shown.member, shown.rules
    purse = await reach.purse(m["id"], available=m["available"], blocked=m["blocked"], now=now)
    to_next = reach.to_threshold(purse, rules.threshold_points)
    return TillOut(
        customer_id=m["customer_id"],
        created=created,
        name=m["name"],
        phone=m["phone"],
        sms_opt_in=m["sms_opt_in"],
        blocked=m["blocked"],
        balance=balance_of(m, to_next, rules.threshold_points, await stamps.outlook(m, rules)),
        tier=await tiers.me_block(m["id"], rules, now, locale=m["locale"]),
        coupons=[
            TillCouponOut(
                code=codes.display(c["code"]),
                title=c["title"],
                kind=c["kind"],
                value=c["value"],
                min_order_minor=c["min_order_minor"],
                expires_at=c["expires_at"],
            )
            for c in shown.coupons
        ],
        store_credit=credit_out(shown.credit),
        recent_orders=[order_out(o) for o in shown.recent_orders],
    )


class TillController(Controller):
    path = "/v1/shop/customers/by-phone"
    tags = ["shop"]
    before_request = verify_shop_signature  # type: ignore[assignment]  # a hook, not a method
    dependencies = {"now": Provide(provide_now)}
    security = [{"shopSignature": []}]

    @put("/{phone:str}", status_code=200)
    async def put_by_phone(
        self, phone: Phone, now: Now, data: JSONBody[TillCustomerIn | None] = None
    ) -> TillOut:
        """Find or create the member with this phone number (rule 15) and answer what a till
        shows. Twenty tills sending one new number at once make one member."""
        body = data or TillCustomerIn()
        profile = members.Profile(
            name=body.name,
            email=body.email,
            birthday=body.birthday,
            locale=body.locale,
            newsletter=body.newsletter,
            sms_opt_in=body.sms_opt_in,
        )
        found = await till.find_or_create(phone, profile, now=now)
        return await till_out(await till.view(found.member, now=now), found.created, now=now)


class MeOrdersController(Controller):
    path = "/v1/me"
    tags = ["shopper"]
    dependencies = {"customer_id": Provide(provide_customer_id)}
    security = [{"shopperJWT": []}]

    @get("/orders")
    async def my_orders(
        self,
        customer_id: CustomerId,
        cursor: Annotated[str | None, QueryParameter(max_length=40)] = None,
        limit: Limit = 20,
    ) -> OrderPage:
        """The shopper's orders, newest first: status, total, points earned and used, coupon.
        Pass ``next_cursor`` back for the next page."""
        member = await members.get(customer_id)
        rows, next_cursor = await order_history.page(member["id"], cursor=cursor, limit=limit)
        return OrderPage(items=[order_out(r) for r in rows], next_cursor=next_cursor)


class SmsAdminController(Controller):
    path = "/v1/admin/members"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now), "me": Provide(provide_staff)}
    security = [{"staffToken": []}]

    @put("/{customer_id:str}/sms", guards=[allow("members.write")])
    async def put_sms_consent(
        self, customer_id: PathId, data: JSONBody[SmsConsentIn], me: Me, now: Now
    ) -> SmsConsentOut:
        """Opt a member out of text messages (or back in), with a reason; audited."""
        m = await consent.set_opt_in(
            customer_id, data.opt_in, reason=data.reason, actor=me.email, now=now
        )
        return SmsConsentOut(
            customer_id=m["customer_id"],
            phone=m["phone"],
            sms_opt_in=m["sms_opt_in"],
            sms_block=m["sms_block"],
        )


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


@post(
    "/v1/sms/inbound",
    status_code=200,
    tags=["sms"],
    dependencies={"now": Provide(provide_now)},
    opt={ERRORS: (400, 401, 413)},  # form body; X-Twilio-Signature checked in the handler
)
async def sms_inbound(request: Request[Any, Any, Any], now: Now) -> Response[str]:
    """Twilio's webhook for messages texted to the shop's number: STOP opts the number out,
    START back in. Signed with ``X-Twilio-Signature`` (401 when it does not match)."""
    settings = settings_of(request)
    env = settings.delivery_env
    form = {k: str(v) for k, v in (await request.form()).items()}
    url = (env.get("LOYALTY_TWILIO_WEBHOOK_URL") or "").strip() or str(request.url)
    await consent.inbound(
        form,
        url=url,
        signature=request.headers.get("x-twilio-signature", ""),
        auth_token=(env.get("LOYALTY_TWILIO_AUTH_TOKEN") or "").strip() or None,
        now=now,
    )
    return Response(EMPTY_TWIML, media_type="text/xml")


HANDLERS: list[Any] = [TillController, MeOrdersController, SmsAdminController, sms_inbound]
