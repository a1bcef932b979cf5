"""Body of ``GET /v1/admin/insight``: the dashboard's numbers for scripts."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class WeekOut(msgspec.Struct):
    """Points per week (Monday, in the program's time zone)."""

    week_start: date
    issued: int
    redeemed: int
    expired: int


class InsightOut(msgspec.Struct):
    """Members, points, liability and notification counts as of ``as_of``.

    ``liability_minor`` is the outstanding points' value in minor units of ``currency``
    (``null`` when the program gives points no fixed value; ``liability_basis`` says how).
    Counters owned by other areas (coupons, pushes) are ``null`` until those areas report them.
    """

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
    weeks: list[WeekOut]
    notifications_by_status: dict[str, int]
    coupons_issued: int | None
    coupons_used: int | None
    pushes_sent: int | None
    pushes_delivered: int | None
    pushes_opened: int | None
