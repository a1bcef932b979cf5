"""Insight (rule 11): the numbers the dashboard draws and ``GET /v1/admin/insight`` returns.

Every figure is one set-based SQL statement over the ledger, the member cache and the outbox;
nothing is counted row by row in Python. Points per week use ``effective_at`` (when it happened
in the shop, so imported history lands in the right week) and the index
``ledger_entry_effective_totals`` (``admin_ui`` migrations) makes the range an index-only scan.

Definitions:

- *active member*: an order placed in the last ``active_days`` days (``last_order_at``);
- *issued*: net change of lifetime points (confirmed earnings, grants, activity points, minus
  clawbacks and removals); *redeemed*: points spent; *expired*: points expired;
- *outstanding*: the positive available balances; *liability*: their value in minor units, by
  the points-as-money rate when it is enabled, else by the least value of the threshold coupon
  (a fixed amount, or the percentage of the minimum order); ``None`` when no rate applies
  (free shipping, free product).

Coupons (``loyalty.rewards``) and pushes (``loyalty.notify``) are counted by
:data:`PROVIDERS`, which read those areas' tables (or call their domain functions) only when
the area is installed; a missing area leaves its figures ``None``. Other areas can append
their own provider.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty import db, program
from loyalty.notify import opens
from schemas.program import ProgramRules

Counts = dict[str, int]
Provider = Callable[[datetime, datetime], Awaitable[Counts]]


@dataclass(frozen=True, slots=True)
class Week:
    start: date
    issued: int
    redeemed: int
    expired: int


@dataclass(frozen=True, slots=True)
class Insight:
    as_of: datetime
    since: datetime
    currency: str
    members: int
    active_members: int
    active_days: int
    blocked_members: int
    outstanding_points: int
    pending_points: int
    liability_minor: int | None
    liability_basis: str
    weeks: list[Week]
    notifications: Counts
    extra: Counts = field(default_factory=dict)


async def compute(now: datetime, *, weeks: int = 12, active_days: int = 90) -> Insight:
    """All figures as of ``now``; weekly series cover the last ``weeks`` weeks."""
    rules = await program.get_rules()
    tz = _zone(rules.timezone)
    first = _week_start(now.astimezone(tz).date(), weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=tz)
    # Independent statements on separate pooled connections: the page waits for the slowest.
    until = now + timedelta(microseconds=1)  # windows are [since, until): now included
    provided = asyncio.gather(*(provider(since, until) for provider in PROVIDERS))
    totals, series, outbox_counts = await asyncio.gather(
        _member_totals(now - timedelta(days=active_days)),
        _weeks(first, weeks, tz),
        _notifications(since),
    )
    liability, basis = liability_of(totals["outstanding"], rules)
    extra: Counts = {k: v for counts in await provided for k, v in counts.items()}
    return Insight(
        as_of=now,
        since=since,
        currency=rules.currency,
        members=totals["members"],
        active_members=totals["active"],
        active_days=active_days,
        blocked_members=totals["blocked"],
        outstanding_points=totals["outstanding"],
        pending_points=totals["pending"],
        liability_minor=liability,
        liability_basis=basis,
        weeks=series,
        notifications=outbox_counts,
        extra=extra,
    )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def _week_start(day: date, weeks_back: int) -> date:
    return day - timedelta(days=day.weekday(), weeks=weeks_back)


async def _member_totals(active_since: datetime) -> Counts:
    row = await db.fetchrow(
        """SELECT count(*) AS members,
                  count(*) FILTER (WHERE last_order_at >= $1) AS active,
                  count(*) FILTER (WHERE blocked) AS blocked,
                  coalesce(sum(greatest(available, 0)), 0) AS outstanding,
                  coalesce(sum(pending), 0) AS pending
           FROM member""",
        active_since,
    )
    assert row is not None
    return {k: int(v) for k, v in dict(row).items()}


async def _weeks(first: date, count: int, tz: ZoneInfo) -> list[Week]:
    """Issued, redeemed and expired points per week (Monday 00:00, program time zone).

    Week boundaries are computed here (DST-exact) and each entry is bucketed with
    ``width_bucket`` over them, so the scan is the index range alone, no per-row time zone
    arithmetic.
    """
    bounds = [
        datetime.combine(first + timedelta(weeks=i), datetime.min.time(), tzinfo=tz)
        for i in range(count + 1)
    ]
    rows = await db.fetch(
        """SELECT width_bucket(effective_at, $1::timestamptz[]) AS bucket,
                  coalesce(sum(lifetime), 0) AS issued,
                  coalesce(sum(spent), 0) AS redeemed,
                  coalesce(sum(expired), 0) AS expired
           FROM ledger_entry WHERE effective_at >= $2 AND effective_at < $3
           GROUP BY 1""",
        bounds,
        bounds[0],
        bounds[-1],
    )
    found = {int(r["bucket"]): r for r in rows}
    weeks = []
    for i in range(count):
        r = found.get(i + 1)
        weeks.append(
            Week(
                start=first + timedelta(weeks=i),
                issued=int(r["issued"]) if r else 0,
                redeemed=int(r["redeemed"]) if r else 0,
                expired=int(r["expired"]) if r else 0,
            )
        )
    return weeks


async def _notifications(since: datetime) -> Counts:
    """Outbox rows created since ``since``, by delivery status."""
    rows = await db.fetch(
        "SELECT status, count(*) AS n FROM notification WHERE created_at >= $1 GROUP BY status",
        since,
    )
    return {r["status"]: int(r["n"]) for r in rows}


def liability_of(points: int, rules: ProgramRules) -> tuple[int | None, str]:
    """What ``points`` are worth to the shop in minor units, and how that was reckoned."""
    money = rules.points_as_money
    if money.enabled:
        value = points * money.unit_minor // money.points_per_unit
        return value, f"{money.points_per_unit} points = {money.unit_minor} minor units"
    coupon = rules.coupon
    threshold = rules.threshold_points
    if threshold <= 0:
        return None, "no threshold and no points-as-money rate"
    if coupon.kind == "amount_off":
        return points * coupon.value // threshold, f"{threshold} points = one coupon"
    if coupon.kind == "percent_off":
        per_coupon = coupon.min_order_minor * coupon.value // 100
        return (
            points * per_coupon // threshold,
            f"{threshold} points = {coupon.value} % of the minimum order",
        )
    return None, f"a {coupon.kind.replace('_', ' ')} coupon has no fixed value"


async def _coupons(since: datetime, until: datetime) -> Counts:
    """Coupons issued and used in [since, until) (the rewards area's ``coupon`` table)."""
    row = await db.fetchrow(
        """SELECT count(*) FILTER (WHERE issued_at >= $1 AND issued_at < $2) AS issued,
                  count(*) FILTER (WHERE used_at >= $1 AND used_at < $2) AS used
           FROM coupon WHERE issued_at >= $1 OR used_at >= $1""",
        since,
        until,
    )
    assert row is not None
    return {"coupons_issued": int(row["issued"]), "coupons_used": int(row["used"])}


async def _pushes(since: datetime, until: datetime) -> Counts:
    """Pushes handed to a provider, accepted by it, and opened (the notification area)."""
    counts = await opens.delivery_counts(since, until)
    handed = sum(counts.get(f"push_{s}", 0) for s in ("sent", "failed", "pruned"))
    return {
        "pushes_sent": handed,
        "pushes_delivered": counts.get("push_sent", 0),
        "pushes_opened": counts.get("opened", 0),
    }


PROVIDERS: list[Provider] = [_coupons, _pushes]
"""Extra counters for a window, e.g. ``{"coupons_issued": 3, "pushes_sent": 10}``."""
