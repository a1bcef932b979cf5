"""Referral coupons through the rewards area's coupon service (one adapter, one place)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import program
from loyalty.rewards import codes
from loyalty.rewards import coupons as rewards_coupons
from schemas.program import CouponTerms

SOURCE = "referral"


@dataclass(frozen=True, slots=True)
class Issued:
    id: int
    code: str
    title: str
    titles: dict[str, str]

    def data(self) -> dict[str, Any]:
        code = codes.display(self.code)
        return {"coupon_id": self.id, "code": code, "title": self.title, "titles": self.titles}


async def issue(member_id: int, terms: CouponTerms, *, key: str, now: datetime) -> Issued:
    """Issue one coupon with ``terms`` once per ``key`` (the coupon service tells the member)."""
    default_locale = (await program.get_rules()).default_locale
    new = rewards_coupons.NewCoupon(
        **rewards_coupons.titles_of(terms, default_locale),
        kind=terms.kind,
        value=terms.value,
        sku=terms.sku,
        min_order_minor=terms.min_order_minor,
        valid_days=terms.valid_days,
        source=SOURCE,
        issue_key=key,
    )
    row, _ = await rewards_coupons.issue(member_id, new, now=now)
    titles = new.titles
    return Issued(id=row["id"], code=row["code"], title=row["title"], titles=titles)


async def void(coupon_id: int, *, reason: str, now: datetime) -> bool:
    """Void the coupon if it is still unused; ``False`` if it was used or already void."""
    return await rewards_coupons.void(coupon_id, reason=reason, now=now)
