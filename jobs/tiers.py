"""The tiers area's daily job: members whose retention ended move down if they no longer
qualify (``loyalty jobs run tiers --as-of DATE``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty.tiers import service


async def tiers(as_of: datetime) -> dict[str, Any]:
    """Review every member whose retention ended by ``as_of`` (down, kept, or up)."""
    return {"as_of": as_of.isoformat(), **await service.run_daily(as_of)}
