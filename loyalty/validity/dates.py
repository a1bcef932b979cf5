"""Expiry dates as the member sees them: the end of a local day, stored as a UTC instant.

Points valid "N days after day D" stay usable through the whole local day D + N and expire at
its end, which is the first instant of day D + N + 1 in the member's time zone (the program's
when the member has none). That instant, converted to UTC, is what the database stores, so
a daylight-saving change between D and D + N moves the UTC hour, never the local day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_TICK = timedelta(microseconds=1)


@lru_cache(maxsize=2048)
def _load(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def is_zone(name: str) -> bool:
    """True for an IANA time zone name this machine knows."""
    return bool(name) and _load(name) is not None


def zone(name: str | None, fallback: str) -> ZoneInfo:
    """The member's zone, else the program's, else UTC (never fails on a bad name)."""
    for candidate in (name, fallback):
        if candidate and (found := _load(candidate)) is not None:
            return found
    return ZoneInfo("UTC")


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def expiry_after(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The end of the local day ``days`` days after the local day of ``moment``."""
    return start_of_day(local_day(moment, tz) + timedelta(days=days + 1), tz)


def last_valid_day(expires_at: datetime, tz: ZoneInfo) -> date:
    """The last local day on which points expiring at ``expires_at`` can still be used."""
    return local_day(expires_at - _TICK, tz)
