"""The shop backend's server-to-server API: customers and orders, every request signed."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, put
from litestar.di import Provide
from litestar.params import JSONBody, PathParameter

from api.deps import Now, provide_now, verify_shop_signature
from loyalty import members, orders
from schemas.privacy import ErasureOut
from schemas.shop import CustomerIn, CustomerOut, OrderIn, OrderOut

PathId = Annotated[
    str, PathParameter(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")
]


class ShopController(Controller):
    path = "/v1/shop"
    tags = ["shop"]
    before_request = verify_shop_signature  # type: ignore[assignment]  # a hook, not a method
    dependencies = {"now": Provide(provide_now)}
    security = [{"shopSignature": []}]

    @put("/customers/{customer_id:str}", status_code=200)
    async def put_customer(
        self, customer_id: PathId, data: JSONBody[CustomerIn], now: Now
    ) -> CustomerOut:
        """Create or update a customer's profile (fields left out stay as they are)."""
        profile = members.Profile(
            email=data.email,
            phone=data.phone,
            name=data.name,
            birthday=data.birthday,
            locale=data.locale,
            timezone=data.timezone,
            newsletter=data.newsletter,
            referral_code=data.referral_code,
            sms_opt_in=data.sms_opt_in,
        )
        row = await members.upsert_profile(customer_id, profile, now=now)
        return CustomerOut(
            customer_id=row["customer_id"],
            email=row["email"],
            phone=row["phone"],
            name=row["name"],
            birthday=row["birthday"],
            locale=row["locale"],
            timezone=row["timezone"],
            newsletter=row["newsletter"],
            blocked=row["blocked"],
            sms_opt_in=row["sms_opt_in"],
        )

    @delete("/customers/{customer_id:str}", status_code=200)
    async def erase_customer(self, customer_id: PathId, now: Now) -> ErasureOut:
        """Forward an erasure request the shop received (GDPR); 404 when nothing is held."""
        from api.privacy import erase_member

        return await erase_member(customer_id, actor="shop", via="shop", now=now)

    @put("/orders/{order_id:str}", status_code=200)
    async def put_order(self, order_id: PathId, data: JSONBody[OrderIn], now: Now) -> OrderOut:
        """Report an order's current state; replays and out-of-order states are safe."""
        outcome = await orders.report(order_id, data, now=now)
        o = outcome.order
        return OrderOut(
            order_id=o.order_id,
            customer_id=data.customer_id,
            status=o.status,  # type: ignore[arg-type]
            points=o.points,
            points_state=o.points_state,  # type: ignore[arg-type]
            clawed_back=o.clawed_back,
            changed=outcome.changed,
            flags=o.flags,
        )
