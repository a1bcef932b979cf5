"""The program document: every rule marketing controls, validated on save.

Defaults are the demo program (example 004). Money is in minor units; rates are "points per
``rate_unit_minor`` minor units", so "10 points per euro" is exact integer arithmetic
(``earn_points=10, rate_unit_minor=100``). New settings get defaults here so older saved
programs keep loading.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.common import (
    Count,
    Days,
    Line,
    LocalTitle,
    MinorLimit,
    Name,
    PositiveCount,
    Rate,
    Sku,
)
from schemas.coupon_kinds import PERCENT_KINDS, PRODUCT_KINDS, CouponKind
from schemas.earning import Campaign, Tiers, validate_earning
from schemas.widget import WidgetDesign


class InvalidRules(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


NonNeg = Count  # every number of the program is bounded (schemas.common)
Positive = PositiveCount
Channel = Literal["app", "web", "pos"]
Status = Literal["placed", "paid", "completed", "cancelled", "refunded"]


class CouponTerms(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """What a threshold coupon gives. ``value`` is percent (1-100) or minor units by kind."""

    kind: CouponKind = "percent_off"
    value: MinorLimit = 10
    sku: Sku | None = None
    min_order_minor: MinorLimit = 10_000
    valid_days: Days = 30
    title: LocalTitle = "10 % off your next order"  # or {locale: title} (loyalty/texts.py)


class PointsAsMoney(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Rule 5: points pay part of an order (example 003 numbers as the example).

    ``points_per_unit`` points are worth ``unit_minor`` minor units. ``max_discount_minor`` and
    ``max_points_age_days`` of 0 mean no limit (docs/rewards.md)."""

    enabled: bool = False
    points_per_unit: Positive = 100
    unit_minor: Positive = 100
    min_balance: NonNeg = 5_000
    min_order_minor: MinorLimit = 40_000
    max_discount_minor: MinorLimit = 50_000
    max_points_age_days: Annotated[int, Meta(ge=0, le=36_500)] = 365


class Validity(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    policy: Literal["rolling", "per_lot", "never"] = "rolling"
    days: Days = 365
    reminder_days: Annotated[list[Days], Meta(max_length=20)] = msgspec.field(
        default_factory=lambda: [60, 30, 14, 7]
    )


class BalanceSummary(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The periodic balance summary (available, spent, lifetime points; docs/expiry.md), sent on
    ``day`` of each period in the program's time zone: a weekday for ``week`` (1 = Monday), a
    day of the (first) month for ``month`` and ``quarter``."""

    enabled: bool = True
    every: Literal["week", "month", "quarter"] = "month"
    day: Annotated[int, Meta(ge=1, le=28)] = 1


class QuietHours(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """No pushes from ``start`` to ``end`` (``HH:MM``, may span midnight) in the member's
    local time, or the program's when the member's zone is unknown: marketing pushes are
    skipped, the others wait for ``end``. ``null`` in the program turns the rule off."""

    start: Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "22:00"
    end: Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "08:00"


CapPeriod = Literal["day", "month", "ever"]


class ActivityReward(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Rule 10: points for a one-off (account created, newsletter) or yearly (birthday) event.

    ``message`` is marketing's line of copy for the rule, given to its notification as data.
    """

    enabled: bool = False
    points: NonNeg = 0
    notify: bool = True
    message: Line = ""


class CappedActivity(ActivityReward, kw_only=True):
    """A repeatable activity: at most ``cap_count`` awards per ``cap`` window (member's time)."""

    cap: CapPeriod = "day"
    cap_count: Annotated[int, Meta(ge=1, le=1000)] = 1


class ProductViews(CappedActivity, kw_only=True):
    """Viewing one of the ``skus`` marketing picked; each SKU earns once per window."""

    skus: Annotated[list[Sku], Meta(max_length=10_000)] = msgspec.field(default_factory=list)


class ReferralReward(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    kind: Literal["points", "coupon", "none"] = "points"
    points: NonNeg = 0
    coupon: CouponTerms = msgspec.field(default_factory=CouponTerms)


def _friend_reward() -> ReferralReward:
    terms = CouponTerms(
        kind="amount_off", value=1_000, min_order_minor=0, valid_days=60, title="10 off"
    )
    return ReferralReward(kind="coupon", coupon=terms)


class Referrals(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The friend's first confirmed order worth ``min_order_minor`` rewards both."""

    enabled: bool = False
    referrer: ReferralReward = msgspec.field(
        default_factory=lambda: ReferralReward(kind="points", points=500)
    )
    friend: ReferralReward = msgspec.field(default_factory=_friend_reward)
    min_order_minor: MinorLimit = 0
    share_link: Line = "https://shop.example/invite/{code}"


class ActivityRules(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Rule 10's earning rules besides buying (see docs/activity.md). All off by default."""

    account_created: ActivityReward = msgspec.field(
        default_factory=lambda: ActivityReward(points=100)
    )
    birthday: ActivityReward = msgspec.field(default_factory=lambda: ActivityReward(points=500))
    newsletter_signup: ActivityReward = msgspec.field(
        default_factory=lambda: ActivityReward(points=200)
    )
    visit: CappedActivity = msgspec.field(default_factory=lambda: CappedActivity(points=10))
    product_view: ProductViews = msgspec.field(
        default_factory=lambda: ProductViews(points=5, cap_count=3)
    )
    notification_open: CappedActivity = msgspec.field(
        default_factory=lambda: CappedActivity(points=5, cap_count=3)
    )
    referral: Referrals = msgspec.field(default_factory=Referrals)

    def validate(self) -> None:
        for name in ("account_created", "birthday", "newsletter_signup", "visit"):
            rule = getattr(self, name)
            _check(not rule.enabled or rule.points > 0, f"activity.{name}.points", "above 0")
        views = self.product_view
        _check(not views.enabled or views.points > 0, "activity.product_view.points", "above 0")
        _check(not views.enabled or bool(views.skus), "activity.product_view.skus", "some SKUs")
        opens = self.notification_open
        _check(not opens.enabled or opens.points > 0, "activity.notification_open.points", "> 0")
        ref = self.referral
        _check("{code}" in ref.share_link, "activity.referral.share_link", "a URL with {code}")
        for side in ("referrer", "friend"):
            reward: ReferralReward = getattr(ref, side)
            where = f"activity.referral.{side}"
            if reward.kind == "points":
                _check(reward.points > 0, f"{where}.points", "above 0 for a points reward")
            if reward.kind == "coupon":
                _check_coupon(reward.coupon, f"{where}.coupon")


class ProgramRules(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Every setting marketing controls. Defaults are the demo program (example 004)."""

    name: Name = "Loyalty club"
    currency: str = "EUR"  # validate() says "ISO 4217 code"
    active: bool = True
    earn_points: Rate = 10
    rate_unit_minor: Positive = 100
    sku_rates: dict[Sku, Rate] = msgspec.field(default_factory=dict)
    category_rates: dict[Sku, Rate] = msgspec.field(default_factory=dict)
    channels: list[Channel] = msgspec.field(default_factory=list)
    stores: list[Annotated[str, Meta(max_length=64)]] = msgspec.field(default_factory=list)
    confirm_status: Literal["paid", "completed"] = "completed"
    threshold_points: NonNeg = 5_000
    threshold_nudge_points: NonNeg = 0
    """``reward_available`` also when the balance first comes within this many points of the
    threshold coupon (0: off). Marketing's "almost there" nudge."""
    coupon: CouponTerms = msgspec.field(default_factory=CouponTerms)
    points_as_money: PointsAsMoney = msgspec.field(default_factory=PointsAsMoney)
    validity: Validity = msgspec.field(default_factory=Validity)
    summary: BalanceSummary = msgspec.field(default_factory=BalanceSummary)
    widget: WidgetDesign | None = None  # the web shop widget's look (schemas/widget.py)
    timezone: Annotated[str, Meta(max_length=64)] = "Europe/Oslo"
    country: Annotated[str, Meta(max_length=2)] = "NO"
    """ISO 3166 region of the shop: phone numbers written without a country code are read
    as numbers of this country (``91234567`` is ``+4791234567`` in Norway)."""
    default_locale: Annotated[str, Meta(max_length=16)] = "en"
    locales: Annotated[list[Annotated[str, Meta(max_length=16)]], Meta(max_length=100)] = (
        msgspec.field(default_factory=lambda: ["en", "nb"])
    )
    activity: ActivityRules = msgspec.field(default_factory=ActivityRules)
    quiet_hours: QuietHours | None = msgspec.field(default_factory=QuietHours)
    # Rule 12/13 (schemas/earning.py, docs/rules.md): fixed points, campaigns, tiers.
    sku_points: dict[str, int] = msgspec.field(default_factory=dict)
    points_per_order: int = 0
    min_order_minor: int = 0
    channel_rates: dict[str, int] = msgspec.field(default_factory=dict)
    store_rates: dict[str, int] = msgspec.field(default_factory=dict)
    campaigns: list[Campaign] = msgspec.field(default_factory=list)
    tiers: Tiers = msgspec.field(default_factory=Tiers)

    def validate(self) -> None:
        """Cross-field checks msgspec's per-field constraints cannot express."""
        _check(len(self.currency) == 3 and self.currency.isupper(), "currency", "ISO 4217 code")
        coupon = self.coupon
        if coupon.kind in PERCENT_KINDS:
            _check(1 <= coupon.value <= 100, "coupon.value", "a percentage from 1 to 100")
        if coupon.kind in PRODUCT_KINDS:
            _check(bool(coupon.sku), "coupon.sku", "a SKU for this coupon kind")
        _check(self.default_locale in self.locales, "default_locale", "one of locales")
        _check(_valid_timezone(self.timezone), "timezone", "an IANA time zone")
        _check(_valid_region(self.country), "country", "an ISO 3166 country code such as NO")
        quiet = self.quiet_hours
        _check(quiet is None or quiet.start != quiet.end, "quiet_hours.end", "not equal to start")
        offsets = self.validity.reminder_days
        _check(len(set(offsets)) == len(offsets), "validity.reminder_days", "distinct offsets")
        weekly = self.summary.every == "week"
        _check(not weekly or self.summary.day <= 7, "summary.day", "1-7 (Monday = 1) weekly")
        self.activity.validate()
        validate_earning(
            campaigns=self.campaigns,
            tiers=self.tiers,
            numbers={
                "points_per_order": self.points_per_order,
                "min_order_minor": self.min_order_minor,
                **{f"sku_points.{k}": v for k, v in self.sku_points.items()},
                **{f"channel_rates.{k}": v for k, v in self.channel_rates.items()},
                **{f"store_rates.{k}": v for k, v in self.store_rates.items()},
            },
            check=_check,
        )


def _valid_timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _valid_region(code: str) -> bool:
    import phonenumbers

    return code in phonenumbers.SUPPORTED_REGIONS


def _check_coupon(coupon: CouponTerms, field: str) -> None:
    if coupon.kind in PERCENT_KINDS:
        _check(1 <= coupon.value <= 100, f"{field}.value", "a percentage from 1 to 100")
    if coupon.kind in PRODUCT_KINDS:
        _check(bool(coupon.sku), f"{field}.sku", "a SKU for this coupon kind")


def _check(ok: bool, field: str, expected: str) -> None:
    if not ok:
        raise InvalidRules(field, f"{field} must be {expected}")
