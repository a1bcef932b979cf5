"""Ways to earn: the activity rules marketing switched on, as a shopper may be told them.

Used by ``GET /v1/me/ways-to-earn`` (with how many awards of each repeatable rule the member
already had in its current window, so "3 of 3 today" can be shown) and by the widget's public
program summary (no member, no counts). SKU lists are never included: the shop marks those
products on its pages itself.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from loyalty import db, texts
from loyalty.activity import periods
from schemas.program import ActivityReward, CappedActivity, ProgramRules, ReferralReward
from schemas.widget import WayToEarnOut

ONE_OFF = {"account_created": "ever", "birthday": "year", "newsletter_signup": "ever"}
REPEATABLE = ("visit", "product_view", "notification_open")


def listing(rules: ProgramRules, locale: str | None = None) -> list[WayToEarnOut]:
    """The enabled rules in a stable order (nothing when the program is inactive); coupon
    titles in ``locale``, else the program's default locale."""
    if not rules.active:
        return []
    found: list[WayToEarnOut] = []
    for name in (*REPEATABLE, *ONE_OFF):
        rule: ActivityReward = getattr(rules.activity, name)
        if not (rule.enabled and rule.points > 0):
            continue
        if isinstance(rule, CappedActivity):
            found.append(WayToEarnOut(name, rule.points, rule.cap, rule.cap_count))
        else:
            found.append(WayToEarnOut(name, rule.points, ONE_OFF[name], 1))  # type: ignore[arg-type]
    ref = rules.activity.referral
    if ref.enabled:
        found.append(_referral(ref.referrer, ref.friend, locale or rules.default_locale, rules))
    return found


def _referral(
    referrer: ReferralReward, friend: ReferralReward, locale: str, rules: ProgramRules
) -> WayToEarnOut:
    def points(side: ReferralReward) -> int:
        return side.points if side.kind == "points" else 0

    def coupon(side: ReferralReward) -> str | None:
        title = side.coupon.title
        return texts.pick(title, locale, rules.default_locale) if side.kind == "coupon" else None

    return WayToEarnOut(
        "referral",
        points(referrer),
        "ever",
        0,
        coupon_title=coupon(referrer),
        friend_points=points(friend),
        friend_coupon_title=coupon(friend),
    )


async def for_member(
    rules: ProgramRules, member: dict[str, object] | None, *, now: datetime
) -> list[WayToEarnOut]:
    """:func:`listing` with the member's awards in each repeatable rule's current window."""
    locale = member.get("locale") if member else None
    ways = listing(rules, locale if isinstance(locale, str) else None)
    if member is None:
        return [_with_used(w, 0) if w.type in REPEATABLE else w for w in ways]
    day = periods.local_date(now, member.get("timezone"), rules.timezone)  # type: ignore[arg-type]
    windows = {w.type: periods.window(w.cap, day) for w in ways if w.type in REPEATABLE}
    if not windows:
        return ways
    rows = await db.fetch(
        """SELECT type, period, count(*) AS n FROM activity_event
           WHERE member = $1 AND points > 0 AND type = ANY($2::text[])
             AND period = ANY($3::text[])
           GROUP BY type, period""",
        member["id"],
        list(windows),
        list(set(windows.values())),
    )
    used = {(r["type"], r["period"]): int(r["n"]) for r in rows}
    return [
        _with_used(w, used.get((w.type, windows[w.type]), 0)) if w.type in windows else w
        for w in ways
    ]


def _with_used(way: WayToEarnOut, used: int) -> WayToEarnOut:
    return msgspec.structs.replace(way, used=used)
