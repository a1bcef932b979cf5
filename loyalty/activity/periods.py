"""Cap windows in the member's own time: a day, a month, or ever.

A window is named by a string stored with each event (``2026-03-02``, ``2026-03``, ``ever``),
computed from the server's clock in the member's time zone (the program's when the member
has none or an unknown one), so "once a day" means the shopper's day, not UTC's.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@lru_cache(maxsize=512)
def zone(name: str | None, fallback: str) -> ZoneInfo:
    """The member's zone, or the program's when theirs is missing or unknown."""
    for candidate in (name, fallback):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def local_date(now: datetime, member_tz: str | None, program_tz: str) -> date:
    return now.astimezone(zone(member_tz, program_tz)).date()


def window(cap: str, day: date) -> str:
    """The name of the ``cap`` window (``day``, ``month``, ``ever``) that ``day`` falls in."""
    if cap == "day":
        return day.isoformat()
    if cap == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if cap == "ever":
        return "ever"
    raise ValueError(f"unknown cap window {cap!r}")
