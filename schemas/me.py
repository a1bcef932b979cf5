"""Bodies of the shopper API (``/v1/me``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from schemas.earning import RunningCampaign, TierOut


class Balance(msgspec.Struct):
    """``expires_at`` is the instant the next points expire (the end of ``expires_on``, the
    last local day they can be used); ``expiring_points`` is how many expire then."""

    available: int
    pending: int
    lifetime: int
    spent: int
    expired: int
    expires_at: datetime | None
    points_to_next_reward: int | None
    next_reward_threshold: int | None
    expires_on: date | None = None
    expiring_points: int = 0


class StoreCreditOut(msgspec.Struct, kw_only=True):
    """The balance as money when points pay at checkout (rule 5): ``value_minor`` is what the
    available points are worth; ``can_pay_now`` says whether the balance may be used today
    (an order must still reach ``min_order_minor``; the discount is capped at
    ``max_discount_minor``, 0 = no cap)."""

    value_minor: int
    currency: str
    can_pay_now: bool
    reasons: list[str]
    min_order_minor: int
    max_discount_minor: int


class MeOut(msgspec.Struct):
    customer_id: str
    name: str | None
    email: str | None
    locale: str
    birthday: date | None
    blocked: bool
    member_since: datetime
    balance: Balance
    phone: str | None = None
    sms_opt_in: bool = True
    store_credit: StoreCreditOut | None = None
    """The balance as money when points pay at checkout (rule 5), else null."""
    tier: TierOut | None = None
    campaigns: list[RunningCampaign] = msgspec.field(default_factory=list)


class LedgerEntryOut(msgspec.Struct):
    id: int
    kind: str
    points: int
    available: int
    pending: int
    lifetime: int
    spent: int
    expired: int
    order_id: str | None
    coupon_id: int | None
    reason: str | None
    effective_at: datetime
    created_at: datetime
    meta: dict[str, Any]


class LedgerPage(msgspec.Struct):
    items: list[LedgerEntryOut]
    next_cursor: str | None
