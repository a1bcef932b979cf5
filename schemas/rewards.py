"""Bodies of the coupon and reward catalogue API (shopper ``/v1/me``, staff ``/v1/admin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.common import LocalDescription, LocalTitle
from schemas.coupon_kinds import CouponKind

CouponStatus = Literal["active", "used", "expired", "void"]


class CouponOut(msgspec.Struct):
    """One discount of the shopper's list. ``value`` is a percentage or minor units by kind."""

    id: int
    code: Annotated[str, Meta(description="As printed, e.g. ABCDE-FGHJK; any case and dashes.")]
    title: str
    kind: CouponKind
    value: int
    sku: str | None
    min_order_minor: int
    status: CouponStatus
    source: Annotated[str, Meta(description="threshold, reward, or the feature that gave it")]
    reward_id: int | None
    points_cost: int
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_order_id: str | None
    reserved_until: Annotated[
        datetime | None, Meta(description="Held by a checkout in progress until then.")
    ] = None


class CouponList(msgspec.Struct):
    """Usable coupons first (soonest to expire first), then used, expired and void ones."""

    items: list[CouponOut]
    active: int


class RewardOut(msgspec.Struct):
    """A catalogue reward as a shopper sees it, with whether they can unlock it now."""

    id: int
    title: str
    description: str
    points_cost: int
    kind: CouponKind
    value: int
    sku: str | None
    min_order_minor: int
    valid_days: int
    affordable: bool
    points_missing: int


class RewardList(msgspec.Struct):
    items: list[RewardOut]
    available_points: int


class UnlockOut(msgspec.Struct):
    coupon: CouponOut
    created: Annotated[bool, Meta(description="False when the Idempotency-Key was seen before.")]
    available_points: int


class RewardIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A catalogue reward as marketing defines it (checked again on save: 422 names the field)."""

    title: LocalTitle
    description: LocalDescription = ""
    points_cost: Annotated[int, Meta(gt=0, le=10**9)]
    kind: CouponKind = "amount_off"
    value: Annotated[int, Meta(ge=0, le=10**12)] = 0
    sku: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    min_order_minor: Annotated[int, Meta(ge=0, le=10**13)] = 0
    valid_days: Annotated[int, Meta(gt=0, le=3650)] = 30
    active: bool = True
    position: Annotated[int, Meta(ge=0, le=10**6)] = 0


class RewardAdminOut(msgspec.Struct):
    id: int
    title: str
    description: str
    points_cost: int
    kind: CouponKind
    value: int
    sku: str | None
    min_order_minor: int
    valid_days: int
    active: bool
    position: int
    unlocked: Annotated[int, Meta(description="Coupons issued from this reward so far.")]
    created_at: datetime
    updated_at: datetime
    titles: Annotated[
        dict[str, str], Meta(description="The title per locale; ``title`` is the default's.")
    ] = {}
    descriptions: dict[str, str] = {}
