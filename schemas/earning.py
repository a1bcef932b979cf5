"""Earning rules beyond one rate (PRODUCT.md rules 12 and 13): campaigns and tiers.

These Structs are parts of the program document (``schemas.program.ProgramRules``); their
cross-field checks live in :func:`validate_earning` so a bad document is a 422 naming the field.
Campaign times without an offset are read in the program's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Key = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Check = Callable[[bool, str, str], None]


class Campaign(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A time-boxed rule: from ``starts_at`` (inclusive) to ``ends_at`` (exclusive).

    ``multiplier_pct`` scales the rate points of the lines it matches (200 = double points);
    ``bonus_points`` are added once per matching order, unscaled. Empty lists mean "any"."""

    id: Key
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    starts_at: datetime
    ends_at: datetime
    multiplier_pct: int = 100
    bonus_points: int = 0
    channels: list[str] = msgspec.field(default_factory=list)
    stores: list[str] = msgspec.field(default_factory=list)
    skus: list[str] = msgspec.field(default_factory=list)
    categories: list[str] = msgspec.field(default_factory=list)
    tiers: list[str] = msgspec.field(default_factory=list)
    min_order_minor: int = 0


class TierCoupon(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The coupon a member gets on reaching a level (same terms as ``CouponTerms``)."""

    kind: Literal[
        "percent_off", "amount_off", "free_shipping", "free_product", "percent_off_product"
    ] = "percent_off"
    value: Annotated[int, Meta(ge=0)] = 10
    sku: str | None = None
    min_order_minor: Annotated[int, Meta(ge=0)] = 0
    valid_days: Annotated[int, Meta(gt=0)] = 30
    title: str = "Welcome to your new level"


class TierLevel(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One VIP level. ``threshold`` is points, or minor units when qualifying by spend;
    ``coupon`` is given once on reaching it; ``perks`` is the app's text per locale."""

    id: Key
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    threshold: int = 0
    earn_multiplier_pct: int = 100
    coupon: TierCoupon | None = None
    perks: dict[str, str] = msgspec.field(default_factory=dict)


class Tiers(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    enabled: bool = False
    qualify_by: Literal["points", "spend"] = "points"
    window_days: int = 0
    retain_days: int = 365
    levels: list[TierLevel] = msgspec.field(default_factory=list)


def validate_earning(
    *,
    campaigns: list[Campaign],
    tiers: Tiers,
    numbers: dict[str, int],
    check: Check,
) -> None:
    """Cross-field checks, and "0 or more" on every number here, so that a negative
    multiplier or threshold is a 422 naming its field like the other rule errors."""
    for i, c in enumerate(campaigns):
        for name in ("multiplier_pct", "bonus_points", "min_order_minor"):
            numbers[f"campaigns[{i}].{name}"] = getattr(c, name)
    for i, level in enumerate(tiers.levels):
        numbers[f"tiers.levels[{i}].threshold"] = level.threshold
        numbers[f"tiers.levels[{i}].earn_multiplier_pct"] = level.earn_multiplier_pct
    numbers["tiers.window_days"] = tiers.window_days
    numbers["tiers.retain_days"] = tiers.retain_days
    for field, value in numbers.items():
        check(value >= 0, field, "0 or more")
    _validate_tiers(tiers, check)
    known = {level.id for level in tiers.levels}
    seen: set[str] = set()
    for i, c in enumerate(campaigns):
        where = f"campaigns[{i}]"
        check(c.id not in seen, f"{where}.id", "unique among campaigns")
        seen.add(c.id)
        aware = {c.starts_at.tzinfo is None, c.ends_at.tzinfo is None}
        check(
            len(aware) == 1,
            f"{where}.ends_at",
            "given with an offset like starts_at (or both without)",
        )
        check(c.ends_at > c.starts_at, f"{where}.ends_at", "after starts_at")
        for t in c.tiers:
            check(t in known, f"{where}.tiers", f"ids of tiers.levels (unknown {t!r})")


def _validate_tiers(tiers: Tiers, check: Check) -> None:
    levels = tiers.levels
    check(not tiers.enabled or bool(levels), "tiers.levels", "at least one level when enabled")
    ids = [level.id for level in levels]
    check(len(set(ids)) == len(ids), "tiers.levels", "levels with distinct ids")
    for i in range(1, len(levels)):
        check(
            levels[i].threshold > levels[i - 1].threshold,
            f"tiers.levels[{i}].threshold",
            "above the previous level's threshold (levels may not overlap)",
        )


class CampaignOut(Campaign, kw_only=True):
    """A campaign as the staff API lists it, with its state now."""

    state: Literal["upcoming", "running", "ended"]


class RunningCampaign(msgspec.Struct):
    """What the app shows to advertise a campaign (``GET /v1/me``'s ``campaigns``)."""

    id: str
    name: str
    ends_at: datetime
    multiplier_pct: int
    bonus_points: int


class TierSetIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Staff put a member on a level by hand; the reason is audited."""

    tier_id: Key
    reason: Annotated[str, Meta(min_length=3, max_length=500)]


class NextTier(msgspec.Struct):
    id: str
    name: str
    missing: int


class TierOut(msgspec.Struct):
    """``GET /v1/me``'s ``tier`` (null when tiers are off): the member's level since when, and
    how much is missing (points, or minor units by spend) to the next one."""

    id: str | None
    name: str | None
    since: datetime | None
    next: NextTier | None
    perks: str | None = None
