"""The activity area's scheduled job: birthday points, in each member's time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty.activity import birthdays


async def birthday_points(as_of: datetime) -> dict[str, Any]:
    """Award the birthday rule to every member whose local birthday (08:00) has come.

    Scheduled hourly so each time zone is served soon after 08:00 local; members are due for
    two days, so a missed run catches up, and the key makes a second run a no-op.
    """
    run = await birthdays.run(as_of)
    return {
        "as_of": as_of.isoformat(),
        "enabled": run.enabled,
        "due": run.due,
        "awarded": run.awarded,
    }
