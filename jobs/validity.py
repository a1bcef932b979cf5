"""Jobs of validity and expiry: each calls one set-based service of ``loyalty.validity``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty.validity import expiry, reminders, summary


async def expire(as_of: datetime) -> dict[str, Any]:
    """Write the ``expire`` ledger entries due at ``as_of`` (hourly: each time zone's midnight)."""
    return await expiry.run(as_of)


async def remind(as_of: datetime) -> dict[str, Any]:
    """Queue the ``points_expiring`` reminders due at ``as_of``."""
    return await reminders.run(as_of)


async def balance_summary(as_of: datetime) -> dict[str, Any]:
    """Queue this period's balance summaries once their day has come."""
    return await summary.run(as_of)
