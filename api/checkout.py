"""The shop's checkout calls (signed like every shop call): quote a cart, hold its discount."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import Provide
from litestar.params import JSONBody

from api.deps import Now, provide_now, verify_shop_signature
from loyalty.rewards import checkout
from loyalty.rewards.pricing import Reason
from loyalty.rewards.ratelimit import BadCodeLimiter
from schemas.checkout import (
    CouponQuote,
    PointsQuote,
    QuoteIn,
    QuoteOut,
    ReasonOut,
    ReservationOut,
    ReserveIn,
)


def limiter_of(request: Request[Any, Any, Any]) -> BadCodeLimiter | None:
    """Wrong-code counting needs Redis; without one (a bare test app) nothing is limited."""
    redis = getattr(request.app.state, "redis", None)
    return BadCodeLimiter(redis) if redis is not None else None


class CheckoutController(Controller):
    path = "/v1/shop"
    tags = ["shop", "checkout"]
    before_request = verify_shop_signature  # type: ignore[assignment]  # a hook, not a method
    dependencies = {"now": Provide(provide_now)}
    security = [{"shopSignature": []}]

    @post("/checkout/quote", status_code=200)
    async def quote(
        self, request: Request[Any, Any, Any], data: JSONBody[QuoteIn], now: Now
    ) -> QuoteOut:
        """The discount a coupon code and/or points give this cart and the final total, or
        every reason they do not. Holds nothing. Unknown and used codes answer alike
        (``coupon_invalid``); too many wrong codes for one customer answer 429."""
        return quote_out(await checkout.quote(data, now=now, limiter=limiter_of(request)))

    @post("/checkout/reserve", status_code=200)
    async def reserve(
        self, request: Request[Any, Any, Any], data: JSONBody[ReserveIn], now: Now
    ) -> ReservationOut:
        """Hold the coupon and points of this cart for ``order_id`` for a few minutes, so no
        other checkout can take them; the order PUT carrying them commits the hold, its
        cancellation or the timeout releases it. 409 with the reasons when anything asked
        for does not apply (nothing is held then)."""
        quote, expires_at = await checkout.reserve(data, now=now, limiter=limiter_of(request))
        return ReservationOut(
            order_id=data.order_id,
            expires_at=expires_at,
            coupon_code=quote.coupon.code if quote.coupon else None,
            points=quote.points.points_used if quote.points else 0,
            quote=quote_out(quote),
        )


def quote_out(quote: checkout.Quote) -> QuoteOut:
    """The domain's priced cart as the response body."""
    return QuoteOut(
        customer_id=quote.customer_id,
        currency=quote.currency,
        total_minor=quote.total_minor,
        discount_minor=quote.discount_minor,
        final_total_minor=quote.final_total_minor,
        coupon=_coupon_out(quote.coupon) if quote.coupon else None,
        points=_points_out(quote.points) if quote.points else None,
        reasons=_reasons_out(quote.reasons),
    )


def _coupon_out(coupon: checkout.CouponQuote) -> CouponQuote:
    return CouponQuote(
        code=coupon.code,
        applied=coupon.applied,
        discount_minor=coupon.discount_minor,
        free_shipping=coupon.free_shipping,
        title=coupon.title,
        kind=coupon.kind,
        expires_at=coupon.expires_at,
        reasons=_reasons_out(coupon.reasons),
    )


def _points_out(points: checkout.PointsQuote) -> PointsQuote:
    return PointsQuote(
        requested=points.requested,
        applied=points.applied,
        points_used=points.points_used,
        discount_minor=points.discount_minor,
        max_points=points.max_points,
        available=points.available,
        reasons=_reasons_out(points.reasons),
    )


def _reasons_out(reasons: tuple[Reason, ...]) -> list[ReasonOut]:
    return [ReasonOut(code=r.code, message=r.message, details=r.details) for r in reasons]
